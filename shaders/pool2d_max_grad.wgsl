// pool2d_max_grad.wgsl: the backward of max pooling, for webgrad.nn.functional maxPool2d
// (nn_pool.ts): each input element gathers the gradients of the outputs whose argmax it is.
//
// Bindings (group 0): g (read, the output's gradient, 4-D [N, C, OH, OW] with any strides),
// idx (read, i32, the forward's argmax indices h * W + w, 4-D with any strides), out
// (read_write, contiguous [N, C, H, W]), p (uniform Params). Preamble: alias C (f32).
// One invocation per input element, 1-D or 2-D grid (as in gather.wgsl).
//
// A gather rather than a scatter: no atomics (which WGSL lacks for f32), and the sum runs in a
// fixed order, so the gradient is deterministic. The loop visits every window that may hold
// the element, about (kernel * dilation / stride)^2 of them; the host sends larger windows to
// an atomic scatter-add instead, keeping under llvmpipe's 65535 loop iterations per invocation.

struct Params {
  n: u32,
  g_offset: u32,
  i_offset: u32,
  _pad0: u32,
  // [N, C, H, W] of out, and [OH, OW, -, -].
  shape: vec4<u32>,
  out_hw: vec4<u32>,
  g_strides: vec4<u32>,
  i_strides: vec4<u32>,
  // kernel, stride, padding, dilation along H, then along W.
  win_h: vec4<u32>,
  win_w: vec4<u32>,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> g: array<C>;
@group(0) @binding(1) var<storage, read> idx: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<C>;
@group(0) @binding(3) var<uniform> p: Params;

// The windows (kernel, stride, pad, dilation in win) that may contain position q: [lo, hi].
fn covering(q: i32, win: vec4<u32>, n: u32) -> vec2<i32> {
  let s = i32(win.y);
  let first = q + i32(win.z) - (i32(win.x) - 1) * i32(win.w);
  let lo = select(0, (first + s - 1) / s, first > 0);
  return vec2<i32>(lo, min((q + i32(win.z)) / s, i32(n) - 1));
}

@compute @workgroup_size(WG)
fn max_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  var r = i;
  let w = r % p.shape.w;
  r = r / p.shape.w;
  let h = r % p.shape.z;
  r = r / p.shape.z;
  let c = r % p.shape.y;
  let n = r / p.shape.y;
  let me = i32(h * p.shape.w + w);
  let rh = covering(i32(h), p.win_h, p.out_hw.x);
  let rw = covering(i32(w), p.win_w, p.out_hw.y);
  let gb = p.g_offset + n * p.g_strides.x + c * p.g_strides.y;
  let ib = p.i_offset + n * p.i_strides.x + c * p.i_strides.y;
  var s = C(0);
  for (var oh = rh.x; oh <= rh.y; oh++) {
    for (var ow = rw.x; ow <= rw.y; ow++) {
      if (idx[ib + u32(oh) * p.i_strides.z + u32(ow) * p.i_strides.w] == me) {
        s += g[gb + u32(oh) * p.g_strides.z + u32(ow) * p.g_strides.w];
      }
    }
  }
  out[i] = s;
}
