// pool2d.wgsl: average pooling (plain and adaptive windows) one spatial axis at a time, and its
// adjoint (the backward), for webgrad.nn.functional avgPool2d / adaptiveAvgPool2d (nn_pool.ts).
//
// Bindings (group 0): x (read, 4-D [N, C, A, B] with any strides), out (read_write, contiguous
// 4-D with p.shape), p (uniform Params). Preamble: alias C (f32).
// One invocation per output element, 1-D or 2-D grid (as in gather.wgsl).
//
// A 2-D window is the product of an H range and a W range, so a 2-D average is two passes:
// avg_axis sums along W ([N, C, H, W] -> [N, C, H, OW]) and then along H (-> [N, C, OH, OW]),
// each pass dividing by its axis's factor of the divisor (the divisor is a product too; a
// divisorOverride is applied by one pass). The backward runs the adjoint passes, avg_axis_grad,
// along H then W. Each invocation's loop runs over one axis only, at most kernel taps (or one
// adaptive window) forward and about kernel / stride windows backward: the host checks those
// bounds against llvmpipe's 65535-iteration cap on an invocation's loops.

struct Params {
  n: u32,
  // The dim the windows run along: 2 (H) or 3 (W).
  axis: u32,
  x_offset: u32,
  // Length along the axis of the pooled tensor's input (size) and output (out_len).
  size: u32,
  out_len: u32,
  kernel: u32,
  stride: u32,
  pad: u32,
  dilation: u32,
  adaptive: u32,
  // 0: divide by 1; 1: by the window's length inside the padded input; 2: by its number of
  // real input elements; 3: by p.divisor.
  div_mode: u32,
  divisor: f32,
  shape: vec4<u32>,
  x_strides: vec4<u32>,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> x: array<C>;
@group(0) @binding(1) var<storage, read_write> out: array<C>;
@group(0) @binding(2) var<uniform> p: Params;

// (n, c, a, b) of output element i.
fn coords(i: u32) -> vec4<u32> {
  var r = i;
  let b = r % p.shape.w;
  r = r / p.shape.w;
  let a = r % p.shape.z;
  r = r / p.shape.z;
  let c = r % p.shape.y;
  return vec4<u32>(r / p.shape.y, c, a, b);
}

// Offset in x of the line through co along the axis (the axis coordinate left out), and the
// stride along it.
fn line_base(co: vec4<u32>) -> u32 {
  let other = select(co.z * p.x_strides.z, co.w * p.x_strides.w, p.axis == 2u);
  return p.x_offset + co.x * p.x_strides.x + co.y * p.x_strides.y + other;
}
fn line_step() -> u32 {
  return select(p.x_strides.w, p.x_strides.z, p.axis == 2u);
}
fn axis_coord(co: vec4<u32>) -> i32 {
  return i32(select(co.w, co.z, p.axis == 2u));
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

fn divisor(o: i32) -> C {
  let w = window(o);
  switch p.div_mode {
    case 1u: { return C(min(w.x + w.y, i32(p.size + p.pad)) - w.x); }
    case 2u: { return C(min(w.x + w.y, i32(p.size)) - max(w.x, 0)); }
    case 3u: { return C(p.divisor); }
    default: { return C(1); }
  }
}

// The windows that may contain input position q: [lo, hi] (empty when lo > hi).
fn covering(q: i32) -> vec2<i32> {
  let n = i32(p.out_len);
  if (p.adaptive != 0u) {
    let uq = u32(q);
    return vec2<i32>(i32((uq * p.out_len) / p.size), min(i32(((uq + 1u) * p.out_len + p.size - 1u) / p.size) - 1, n - 1));
  }
  let s = i32(p.stride);
  let first = q + i32(p.pad) - (i32(p.kernel) - 1) * i32(p.dilation);
  let lo = select(0, (first + s - 1) / s, first > 0);
  return vec2<i32>(lo, min((q + i32(p.pad)) / s, n - 1));
}

@compute @workgroup_size(WG)
fn avg_axis(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let co = coords(i);
  let base = line_base(co);
  let step = line_step();
  let o = axis_coord(co);
  let w = window(o);
  let hi = min(w.x + w.y, i32(p.size));
  var s = C(0);
  for (var q = max(w.x, 0); q < hi; q++) {
    s += x[base + u32(q) * step];
  }
  out[i] = s / divisor(o);
}

// out (input space) = the sum of x (output space, the gradient) over the windows holding each
// position, each divided by its divisor.
@compute @workgroup_size(WG)
fn avg_axis_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let co = coords(i);
  let base = line_base(co);
  let step = line_step();
  let q = axis_coord(co);
  let r = covering(q);
  var s = C(0);
  for (var o = r.x; o <= r.y; o++) {
    let w = window(o);
    let t = q - w.x;
    if (t >= 0 && t < w.y) {
      s += x[base + u32(o) * step] / divisor(o);
    }
  }
  out[i] = s;
}
