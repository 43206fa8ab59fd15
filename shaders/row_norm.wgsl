// row_norm.wgsl: layerNorm and groupNorm as one kernel each way, a row at a time (the row
// normalization of src/kernels/norm/types.ts): x [R, L] contiguous from x_offset, each row
// normalized by its mean and biased variance (two passes: the mean, then the squared
// deviations from it), then scaled and shifted by the affine parameter of each element,
// number (r % groups) * (L / per) + i / per.
//
// Bindings (group 0): x, g (read: the output's gradient, backward), weight, bias (read; scratch
// where absent, has_weight / has_bias say), y (read_write: the output, or dx), stats
// (read_write [2R]: each row's mean, then its rstd = 1 / sqrt(var + eps); the backward reads
// them), p (uniform Params). Preamble: alias C (f32); GroupIds, group_sum and group_sum_b (f32)
// and group_sum2 (vec2<f32>), the workgroup reducers of src/kernels/webgpu/subgroups.ts (subgroups where the
// device has them, else trees in workgroup memory).
// One workgroup per row (a 2-D grid past 65535 rows); each invocation strides the row by WG,
// then the workgroup sums its partial sums. The host keeps L / WG under llvmpipe's loop cap.
//   forward   stats, then y = (x - mean) * rstd * weight + bias
//   backward  dx = rstd * (dxhat - sum(dxhat) / L - xhat * sum(dxhat * xhat) / L), dxhat = g * weight

struct Params {
  rows: u32,
  len: u32,
  groups: u32,
  per: u32,
  has_weight: u32,
  has_bias: u32,
  eps: f32,
  _pad0: u32,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> x: array<C>;
@group(0) @binding(1) var<storage, read> g: array<C>;
@group(0) @binding(2) var<storage, read> weight: array<C>;
@group(0) @binding(3) var<storage, read> bias: array<C>;
@group(0) @binding(4) var<storage, read_write> y: array<C>;
@group(0) @binding(5) var<storage, read_write> stats: array<C>;
@group(0) @binding(6) var<uniform> p: Params;

fn param_of(row: u32, i: u32) -> u32 {
  return (row % p.groups) * (p.len / p.per) + i / p.per;
}

fn w_at(row: u32, i: u32) -> C {
  if (p.has_weight != 0u) { return weight[param_of(row, i)]; }
  return C(1);
}

@compute @workgroup_size(WG)
fn forward(ids: GroupIds) {
  let row = ids.wid.x + ids.wid.y * ids.nwg.x;
  let lid = ids.lid;
  // Every invocation reaches the reducers (their barriers need uniform control flow; the
  // uniformity analysis sees ids as varying), so a workgroup past the rows skips the loops.
  let in_range = row < p.rows;
  let base = row * p.len;
  var acc = C(0);
  if (in_range) {
    for (var i = lid; i < p.len; i += WG) { acc += x[base + i]; }
  }
  let m = group_sum(ids, acc) / C(p.len);
  var sq = C(0);
  if (in_range) {
    for (var i = lid; i < p.len; i += WG) {
      let d = x[base + i] - m;
      sq += d * d;
    }
  }
  let rstd = C(1) / sqrt(group_sum_b(ids, sq) / C(p.len) + C(p.eps));
  if (!in_range) { return; }
  for (var i = lid; i < p.len; i += WG) {
    var v = (x[base + i] - m) * rstd * w_at(row, i);
    if (p.has_bias != 0u) { v += bias[param_of(row, i)]; }
    y[base + i] = v;
  }
  if (lid == 0u) {
    stats[row] = m;
    stats[p.rows + row] = rstd;
  }
}

@compute @workgroup_size(WG)
fn backward(ids: GroupIds) {
  let row = ids.wid.x + ids.wid.y * ids.nwg.x;
  let lid = ids.lid;
  let in_range = row < p.rows; // as in forward
  let base = row * p.len;
  var m = C(0);
  var rstd = C(0);
  var ab = vec2<C>(0);
  if (in_range) {
    m = stats[row];
    rstd = stats[p.rows + row];
    for (var i = lid; i < p.len; i += WG) {
      let dh = g[base + i] * w_at(row, i);
      ab += vec2<C>(dh, dh * (x[base + i] - m) * rstd);
    }
  }
  let mab = group_sum2(ids, ab) / C(p.len);
  if (!in_range) { return; }
  for (var i = lid; i < p.len; i += WG) {
    let dh = g[base + i] * w_at(row, i);
    let xh = (x[base + i] - m) * rstd;
    y[base + i] = rstd * (dh - mab.x - xh * mab.y);
  }
}

// The same, one invocation per row (forward_thread, backward_thread), for a CPU adapter
// (llvmpipe runs a workgroup's invocations as SIMD lanes, so a workgroup's barriers and tree
// reductions cost more than a row walked by one lane): taken for many rows that one
// invocation may walk three times under llvmpipe's loop cap (the host checks).

@compute @workgroup_size(WG)
fn forward_thread(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * nwg.x * WG;
  if (row >= p.rows) { return; }
  let base = row * p.len;
  var acc = C(0);
  for (var i = 0u; i < p.len; i++) { acc += x[base + i]; }
  let m = acc / C(p.len);
  var sq = C(0);
  for (var i = 0u; i < p.len; i++) {
    let d = x[base + i] - m;
    sq += d * d;
  }
  let rstd = C(1) / sqrt(sq / C(p.len) + C(p.eps));
  for (var i = 0u; i < p.len; i++) {
    var v = (x[base + i] - m) * rstd * w_at(row, i);
    if (p.has_bias != 0u) { v += bias[param_of(row, i)]; }
    y[base + i] = v;
  }
  stats[row] = m;
  stats[p.rows + row] = rstd;
}

@compute @workgroup_size(WG)
fn backward_thread(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * nwg.x * WG;
  if (row >= p.rows) { return; }
  let base = row * p.len;
  let m = stats[row];
  let rstd = stats[p.rows + row];
  var a = C(0);
  var b = C(0);
  for (var i = 0u; i < p.len; i++) {
    let dh = g[base + i] * w_at(row, i);
    a += dh;
    b += dh * (x[base + i] - m) * rstd;
  }
  let ma = a / C(p.len);
  let mb = b / C(p.len);
  for (var i = 0u; i < p.len; i++) {
    let dh = g[base + i] * w_at(row, i);
    let xh = (x[base + i] - m) * rstd;
    y[base + i] = rstd * (dh - ma - xh * mb);
  }
}
