// batch_norm.wgsl: batch normalization's elementwise forward and its backward, over x [N, C, S]
// (contiguous) with per-channel mean and variance (the batch's, or the running ones).
//
// Bindings (group 0): x, g, mean, var_in, weight, bias (read), sums (read_write, [2C]: the
// per-channel sums of g and of g * xhat), y (read_write, [N, C, S]: the output, or dx),
// p (uniform Params). Preamble: alias C (f32); GroupIds and group_sum2 (vec2<f32>), the
// workgroup reducer of src/kernels/webgpu/subgroups.ts (subgroups where the device has them).
// Unused inputs are bound to a scratch buffer.
// Entry points:
//   apply            y = (x - mean) / sqrt(var + eps) * weight + bias, one element per invocation
//   backward_sums    per channel (a workgroup each, a workgroup reduction): sum(g), sum(g * xhat)
//   backward_sums4   the same over vec4s where S is a multiple of 4 (x4, g4: x and g again)
//   backward_dx      training: dx = w * invstd * (g - sum(g) / M - xhat * sum(g * xhat) / M),
//                    M = N * S; with fixed statistics (eval): dx = g * w * invstd
//   apply4, backward_dx4: the same, four consecutive elements per invocation where S is a
//                    multiple of 4 (one channel's statistics and weights, read once, serve all
//                    four: on llvmpipe those per-element gathers and the div/mod dominated).
// The host keeps backward_sums' loop (M / WG per invocation) under llvmpipe's loop cap.

struct Params {
  n: u32,
  c: u32,
  s: u32,
  count: u32,
  total: u32,
  has_weight: u32,
  has_bias: u32,
  batch_stats: u32,
  eps: f32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> x: array<C>;
@group(0) @binding(1) var<storage, read> g: array<C>;
@group(0) @binding(2) var<storage, read> mean: array<C>;
@group(0) @binding(3) var<storage, read> var_in: array<C>;
@group(0) @binding(4) var<storage, read> weight: array<C>;
@group(0) @binding(5) var<storage, read> bias: array<C>;
@group(0) @binding(6) var<storage, read_write> sums: array<C>;
@group(0) @binding(7) var<storage, read_write> y: array<C>;
@group(0) @binding(8) var<uniform> p: Params;
// x and g again, as vec4s (the same buffers bound twice, read-only), for backward_sums4.
@group(0) @binding(9) var<storage, read> x4: array<vec4<C>>;
@group(0) @binding(10) var<storage, read> g4: array<vec4<C>>;

fn channel(i: u32) -> u32 {
  return (i / p.s) % p.c;
}
fn invstd(ch: u32) -> C {
  return inverseSqrt(var_in[ch] + p.eps);
}
fn w_of(ch: u32) -> C {
  return select(C(1), weight[ch], p.has_weight != 0u);
}

@compute @workgroup_size(WG)
fn apply(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.total) { return; }
  let ch = channel(i);
  var v = (x[i] - mean[ch]) * invstd(ch) * w_of(ch);
  if (p.has_bias != 0u) { v += bias[ch]; }
  y[i] = v;
}

@compute @workgroup_size(WG)
fn backward_sums(ids: GroupIds) {
  let ch = ids.wid.x + ids.wid.y * ids.nwg.x;
  let lid = ids.lid;
  // Every invocation reaches group_sum2 (its barriers need uniform control flow; the
  // uniformity analysis sees ids as varying): a workgroup past the channels walks nothing.
  let in_range = ch < p.c;
  let count = select(0u, p.count, in_range);
  let m = mean[min(ch, p.c - 1u)];
  let r = invstd(min(ch, p.c - 1u));
  var sg = C(0);
  var sgx = C(0);
  for (var e = lid; e < count; e += WG) {
    let i = (e / p.s) * p.c * p.s + ch * p.s + e % p.s;
    let gi = g[i];
    sg += gi;
    sgx += gi * (x[i] - m) * r;
  }
  let t = group_sum2(ids, vec2<C>(sg, sgx));
  if (in_range && lid == 0u) {
    sums[ch] = t.x;
    sums[p.c + ch] = t.y;
  }
}

// backward_sums4: where S is a multiple of 4, backward_sums over vec4s, walked as
// batch_norm_stats.wgsl's main4 walks them (no division in the loop; another order of the
// additions than backward_sums').
@compute @workgroup_size(WG)
fn backward_sums4(ids: GroupIds) {
  let ch = ids.wid.x + ids.wid.y * ids.nwg.x;
  let lid = ids.lid;
  let in_range = ch < p.c; // as in backward_sums
  let images = select(0u, p.n, in_range);
  let m = vec4<C>(mean[min(ch, p.c - 1u)]);
  let r = invstd(min(ch, p.c - 1u));
  let s4 = p.s / 4u;
  let row4 = p.c * s4;
  let dn = WG / s4;
  let dq = WG % s4;
  var sg = vec4<C>(0);
  var sgx = vec4<C>(0);
  var n = lid / s4;
  var q = lid % s4;
  loop {
    if (n >= images) { break; }
    let i = n * row4 + ch * s4 + q;
    let gi = g4[i];
    sg += gi;
    sgx += gi * (x4[i] - m);
    n += dn;
    q += dq;
    if (q >= s4) { q -= s4; n += 1u; }
  }
  let t = group_sum2(ids, vec2<C>((sg.x + sg.y) + (sg.z + sg.w), ((sgx.x + sgx.y) + (sgx.z + sgx.w)) * r));
  if (in_range && lid == 0u) {
    sums[ch] = t.x;
    sums[p.c + ch] = t.y;
  }
}

@compute @workgroup_size(WG)
fn backward_dx(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.total) { return; }
  let ch = channel(i);
  let r = invstd(ch);
  let scale = w_of(ch) * r;
  if (p.batch_stats == 0u) {
    y[i] = g[i] * scale;
    return;
  }
  let xhat = (x[i] - mean[ch]) * r;
  let inv_m = C(1) / C(p.count);
  y[i] = scale * (g[i] - sums[ch] * inv_m - xhat * sums[p.c + ch] * inv_m);
}

@compute @workgroup_size(WG)
fn apply4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i0 = (gid.x + gid.y * nwg.x * WG) * 4u;
  if (i0 >= p.total) { return; }
  let ch = channel(i0);
  let m = mean[ch];
  let r = invstd(ch);
  let w = w_of(ch);
  let shift = select(C(0), bias[ch], p.has_bias != 0u);
  // apply's expression, in its order of operations (the same bits); x as one vec4 load.
  let xv = x4[i0 / 4u];
  for (var k = 0u; k < 4u; k++) {
    var v = (xv[k] - m) * r * w;
    if (p.has_bias != 0u) { v += shift; }
    y[i0 + k] = v;
  }
}

@compute @workgroup_size(WG)
fn backward_dx4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i0 = (gid.x + gid.y * nwg.x * WG) * 4u;
  if (i0 >= p.total) { return; }
  let ch = channel(i0);
  let r = invstd(ch);
  let scale = w_of(ch) * r;
  let gv = g4[i0 / 4u];
  if (p.batch_stats == 0u) {
    for (var k = 0u; k < 4u; k++) { y[i0 + k] = gv[k] * scale; }
    return;
  }
  let m = mean[ch];
  let inv_m = C(1) / C(p.count);
  let mean_g = sums[ch] * inv_m;
  let sum_gx = sums[p.c + ch];
  // backward_dx's expression, in its order of operations; x and g as vec4 loads.
  let xv = x4[i0 / 4u];
  for (var k = 0u; k < 4u; k++) {
    let xhat = (xv[k] - m) * r;
    y[i0 + k] = scale * (gv[k] - mean_g - xhat * sum_gx * inv_m);
  }
}
