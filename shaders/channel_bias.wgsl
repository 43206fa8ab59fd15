// channel_bias.wgsl: y[n, c, i] += bias[c] in place, over a contiguous [N, C, P] output (P the
// pixels of an image): the bias of a convolution whose product kernel did not add it in its
// store (src/kernels/conv/webgpu.ts; the implicit products add it there).
//
// Bindings (group 0): y (read_write, contiguous from y_offset), bias (read, one float per
// channel at bias_offset + c * bias_stride), p (uniform Params). No preamble. Override: WG.
// The grid is 2-D past 65535 workgroups; an invocation adds to four pixels of one (n, c) row
// (p.p4 = ceil(P / 4) invocations per row).

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
    if (q0 + j < p.pixels) { y[base + q0 + j] += b; }
  }
}
