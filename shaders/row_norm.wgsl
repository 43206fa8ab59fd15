// row_norm.wgsl: layerNorm and groupNorm as one kernel each way, a row at a time (the row
// normalization of src/kernels/norm/types.ts): x [R, L] contiguous from x_offset, each row
// normalized by its mean and biased variance (two passes: the mean, then the squared
// deviations from it), then scaled and shifted by the affine parameter of each element,
// number (r % groups) * (L / per) + i / per.
//
// Bindings (group 0): x, g (read: the output's gradient, backward), weight, bias (read; scratch
// where absent, has_weight / has_bias say), y (read_write: the output, or dx), stats
// (read_write [2R]: each row's mean, then its rstd = 1 / sqrt(var + eps); the backward reads
// them), p (uniform Params). Preamble: alias C (f32).
// One workgroup per row (a 2-D grid past 65535 rows); each invocation strides the row by WG,
// and the sums are tree reductions in workgroup memory, written out in each entry point (with
// the barriers inside a helper, llvmpipe returned wrong results: batch_norm_stats.wgsl). The
// host keeps L / WG under llvmpipe's loop cap.
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

var<workgroup> part: array<C, WG>;
var<workgroup> part2: array<C, WG>;

fn param_of(row: u32, i: u32) -> u32 {
  return (row % p.groups) * (p.len / p.per) + i / p.per;
}

fn w_at(row: u32, i: u32) -> C {
  if (p.has_weight != 0u) { return weight[param_of(row, i)]; }
  return C(1);
}

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>) {
  let row = wid.x + wid.y * nwg.x;
  let lid = lid3.x;
  if (row >= p.rows) { return; } // uniform per workgroup
  let base = row * p.len;
  var acc = C(0);
  for (var i = lid; i < p.len; i += WG) { acc += x[base + i]; }
  part[lid] = acc;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k = k / 2u) {
    if (lid < k) { part[lid] = part[lid] + part[lid + k]; }
    workgroupBarrier();
  }
  let m = part[0] / C(p.len);
  workgroupBarrier(); // everyone has read the mean before part is reused
  var sq = C(0);
  for (var i = lid; i < p.len; i += WG) {
    let d = x[base + i] - m;
    sq += d * d;
  }
  part[lid] = sq;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k = k / 2u) {
    if (lid < k) { part[lid] = part[lid] + part[lid + k]; }
    workgroupBarrier();
  }
  let rstd = C(1) / sqrt(part[0] / C(p.len) + C(p.eps));
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
fn backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>) {
  let row = wid.x + wid.y * nwg.x;
  let lid = lid3.x;
  if (row >= p.rows) { return; }
  let base = row * p.len;
  let m = stats[row];
  let rstd = stats[p.rows + row];
  var a = C(0);
  var b = C(0);
  for (var i = lid; i < p.len; i += WG) {
    let dh = g[base + i] * w_at(row, i);
    a += dh;
    b += dh * (x[base + i] - m) * rstd;
  }
  part[lid] = a;
  part2[lid] = b;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k = k / 2u) {
    if (lid < k) {
      part[lid] = part[lid] + part[lid + k];
      part2[lid] = part2[lid] + part2[lid + k];
    }
    workgroupBarrier();
  }
  let ma = part[0] / C(p.len);
  let mb = part2[0] / C(p.len);
  for (var i = lid; i < p.len; i += WG) {
    let dh = g[base + i] * w_at(row, i);
    let xh = (x[base + i] - m) * rstd;
    y[base + i] = rstd * (dh - ma - xh * mb);
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
