// channel_bias.wgsl: a bias added in place, where the product kernel did not add it in its
// store (src/kernels/webgpu/bias.ts, for the conv and matmul binders).
// Bindings (group 0): y (read_write, contiguous from y_offset), bias (read, one float per
// channel at bias_offset + c * bias_stride), p (uniform Params). Preamble: fn act(x: f32) -> f32,
// the activation applied after the bias (the identity, or a fused relu, sigmoid or tanh with
// shaders/lib/math_f32.wgsl). Override: WG.
// The grid is 2-D past 65535 workgroups.
//   main:  y[n, c, i] += bias[c] over a contiguous [N, C, P] output (P the pixels of an image);
//          an invocation adds to four pixels of one (n, c) row (p.p4 = ceil(P / 4) a row).
//   last:  y[.., j] += bias[j] over a contiguous [rows, C] output (a linear layer's features);
//          an invocation adds to four consecutive elements (p.p4 = ceil(rows * C / 4) in all).

struct Params {
  rows: u32,
  channels: u32,
  pixels: u32,
  p4: u32,
  y_offset: u32,
  bias_offset: u32,
  bias_stride: u32,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read_write> y: array<f32>;
@group(0) @binding(1) var<storage, read> bias: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.rows * p.p4) { return; }
  let row = i / p.p4;
  let q0 = (i % p.p4) * 4u;
  let b = bias[p.bias_offset + (row % p.channels) * p.bias_stride];
  let base = p.y_offset + row * p.pixels;
  for (var j = 0u; j < 4u; j++) {
    if (q0 + j < p.pixels) { y[base + q0 + j] = act(y[base + q0 + j] + b); }
  }
}

@compute @workgroup_size(WG)
fn last(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.p4) { return; }
  let n = p.rows * p.channels;
  for (var j = 0u; j < 4u; j++) {
    let e = i * 4u + j;
    if (e < n) { y[p.y_offset + e] = act(y[p.y_offset + e] + bias[p.bias_offset + (e % p.channels) * p.bias_stride]); }
  }
}
