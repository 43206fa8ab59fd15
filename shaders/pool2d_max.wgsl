// pool2d_max.wgsl: max pooling one spatial axis at a time, keeping the argmax, for
// webgrad.nn.functional maxPool2d (nn_pool.ts).
//
// Bindings (group 0): x (read, 4-D [N, C, A, B] with any strides), x_idx (read, i32, x's
// layout: the flat index each value of x stands for; read only when p.has_idx != 0), out and
// out_idx (read_write, contiguous 4-D with p.shape), p (uniform Params).
// Preamble: alias C (f32) and shaders/lib/math_f32.wgsl (is_nan, f32_inf).
// One invocation per output element, 1-D or 2-D grid (as in gather.wgsl).
//
// The max over a 2-D window (an H range times a W range) is the max over its rows of each row's
// max. Pass 1 (along W, has_idx = 0) writes each row window's max and its w; pass 2 (along H,
// has_idx = 1, idx_mult = W) picks the best row and writes h * W + w. Both keep the first
// maximum in scan order, and NaN beats every number (the first NaN wins), so the index is the
// first maximum in row-major order, as the cpu reference finds it with a 2-D loop. A loop runs
// over one axis's taps (the kernel size), which the host checks against llvmpipe's 65535
// iterations per invocation.

struct Params {
  n: u32,
  // The dim the windows run along: 2 (H) or 3 (W).
  axis: u32,
  x_offset: u32,
  size: u32,
  out_len: u32,
  kernel: u32,
  stride: u32,
  pad: u32,
  dilation: u32,
  adaptive: u32,
  has_idx: u32,
  idx_mult: u32,
  shape: vec4<u32>,
  x_strides: vec4<u32>,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> x: array<C>;
@group(0) @binding(1) var<storage, read> x_idx: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<C>;
@group(0) @binding(3) var<storage, read_write> out_idx: array<i32>;
@group(0) @binding(4) var<uniform> p: Params;

fn coords(i: u32) -> vec4<u32> {
  var r = i;
  let b = r % p.shape.w;
  r = r / p.shape.w;
  let a = r % p.shape.z;
  r = r / p.shape.z;
  let c = r % p.shape.y;
  return vec4<u32>(r / p.shape.y, c, a, b);
}

// Window o: first input position, number of taps, step between taps.
fn window(o: i32) -> vec3<i32> {
  if (p.adaptive != 0u) {
    // u32: (o + 1) * size fits (the host checks), where i32 might not.
    let start = (u32(o) * p.size) / p.out_len;
    let end = ((u32(o) + 1u) * p.size + p.out_len - 1u) / p.out_len;
    return vec3<i32>(i32(start), i32(end - start), 1);
  }
  return vec3<i32>(o * i32(p.stride) - i32(p.pad), i32(p.kernel), i32(p.dilation));
}

@compute @workgroup_size(WG)
fn max_axis(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let co = coords(i);
  let along_h = p.axis == 2u;
  let base = p.x_offset + co.x * p.x_strides.x + co.y * p.x_strides.y
    + select(co.z * p.x_strides.z, co.w * p.x_strides.w, along_h);
  let step = select(p.x_strides.w, p.x_strides.z, along_h);
  let w = window(i32(select(co.w, co.z, along_h)));
  var best = -f32_inf();
  var best_idx = -1;
  var found = false;
  for (var t = 0; t < w.y; t++) {
    let q = w.x + t * w.z;
    if (q < 0 || q >= i32(p.size)) { continue; }
    let at = base + u32(q) * step;
    var idx = q * i32(p.idx_mult);
    if (p.has_idx != 0u) {
      let j = x_idx[at];
      if (j < 0) { continue; } // a row window with no element inside the input
      idx += j;
    }
    let v = x[at];
    if (!found || v > best || (is_nan(v) && !is_nan(best))) {
      best = v;
      best_idx = idx;
      found = true;
    }
  }
  out[i] = best;
  out_idx[i] = best_idx;
}
