// batch_norm_stats.wgsl: per-channel mean and (biased) variance of x [N, C, S] (contiguous),
// the statistics of batch normalization in training mode.
//
// Bindings (group 0): x (read), mean (read_write, [C]), var_out (read_write, [C]),
// p (uniform Params). Preamble: alias C (f32).
// One workgroup per channel (a 2-D grid past 65535 channels). Two passes over the channel's
// N * S elements, each invocation striding by WG: the sum (then the mean), then the sum of
// squared deviations from it (the two-pass variance stays accurate when the mean is large).
// Each pass is a tree reduction in workgroup memory, written out in the entry point: with the
// barriers inside a helper function, llvmpipe returned wrong variances (the second pass saw a
// stale mean in some invocations). The host keeps N * S / WG under
// llvmpipe's loop cap (it takes the composite path beyond that).

struct Params {
  n: u32,
  c: u32,
  s: u32,
  count: u32,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> x: array<C>;
@group(0) @binding(1) var<storage, read_write> mean: array<C>;
@group(0) @binding(2) var<storage, read_write> var_out: array<C>;
@group(0) @binding(3) var<uniform> p: Params;
// x again, as vec4s (the same buffer bound twice, both read-only), for main4.
@group(0) @binding(4) var<storage, read> x4: array<vec4<C>>;

var<workgroup> part: array<C, WG>;

fn offset(ch: u32, e: u32) -> u32 {
  return (e / p.s) * p.c * p.s + ch * p.s + e % p.s;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>) {
  let ch = wid.x + wid.y * nwg.x;
  let lid = lid3.x;
  if (ch >= p.c) { return; } // uniform per workgroup: every invocation of it returns
  var acc = C(0);
  for (var e = lid; e < p.count; e += WG) { acc += x[offset(ch, e)]; }
  part[lid] = acc;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k = k / 2u) {
    if (lid < k) { part[lid] = part[lid] + part[lid + k]; }
    workgroupBarrier();
  }
  let m = part[0] / C(p.count);
  workgroupBarrier(); // everyone has read the mean before part is reused
  var sq = C(0);
  for (var e = lid; e < p.count; e += WG) {
    let d = x[offset(ch, e)] - m;
    sq += d * d;
  }
  part[lid] = sq;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k = k / 2u) {
    if (lid < k) { part[lid] = part[lid] + part[lid + k]; }
    workgroupBarrier();
  }
  let v = part[0] / C(p.count);
  if (lid == 0u) {
    mean[ch] = m;
    var_out[ch] = v;
  }
}

// main4: where S is a multiple of 4, the same two passes over vec4s of x (a channel's run of S
// holds whole vec4s). An invocation's vec4s are lid, lid + WG, ... of the channel's N * S / 4;
// it walks their (image, vec4-in-image) pair by adding WG's quotient and remainder by S / 4,
// so the loop has no division. Each pass sums a vec4 per invocation, then its four lanes,
// then the tree: another order of the additions than main's.
@compute @workgroup_size(WG)
fn main4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>) {
  let ch = wid.x + wid.y * nwg.x;
  let lid = lid3.x;
  if (ch >= p.c) { return; }
  let s4 = p.s / 4u;
  let row4 = p.c * s4; // vec4s between one image's channel run and the next's
  let dn = WG / s4;
  let dq = WG % s4;
  var acc = vec4<C>(0);
  {
    var n = lid / s4;
    var q = lid % s4;
    loop {
      if (n >= p.n) { break; }
      acc += x4[n * row4 + ch * s4 + q];
      n += dn;
      q += dq;
      if (q >= s4) { q -= s4; n += 1u; }
    }
  }
  part[lid] = (acc.x + acc.y) + (acc.z + acc.w);
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k = k / 2u) {
    if (lid < k) { part[lid] = part[lid] + part[lid + k]; }
    workgroupBarrier();
  }
  let m = part[0] / C(p.count);
  workgroupBarrier();
  var sq = vec4<C>(0);
  {
    var n = lid / s4;
    var q = lid % s4;
    loop {
      if (n >= p.n) { break; }
      let d = x4[n * row4 + ch * s4 + q] - vec4<C>(m);
      sq += d * d;
      n += dn;
      q += dq;
      if (q >= s4) { q -= s4; n += 1u; }
    }
  }
  part[lid] = (sq.x + sq.y) + (sq.z + sq.w);
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k = k / 2u) {
    if (lid < k) { part[lid] = part[lid] + part[lid + k]; }
    workgroupBarrier();
  }
  let v = part[0] / C(p.count);
  if (lid == 0u) {
    mean[ch] = m;
    var_out[ch] = v;
  }
}
