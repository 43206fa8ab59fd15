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
