// batch_norm_stats.wgsl: per-channel mean and (biased) variance of x [N, C, S] (contiguous),
// the statistics of batch normalization in training mode.
//
// Bindings (group 0): x (read), mean (read_write, [C]), var_out (read_write, [C]),
// p (uniform Params). Preamble: alias C (f32); GroupIds, group_sum and group_sum_b, the
// workgroup reducers of src/kernels/webgpu/subgroups.ts (subgroups where the device has them,
// else trees in workgroup memory).
// One workgroup per channel (a 2-D grid past 65535 channels). Two passes over the channel's
// N * S elements, each invocation striding by WG: the sum (then the mean), then the sum of
// squared deviations from it (the two-pass variance stays accurate when the mean is large),
// each pass's partial sums summed by the workgroup, the second pass by its own reducer: with
// one tree helper for both, llvmpipe (Mesa 22.3, OpenGL ES) returned wrong variances. The host
// keeps N * S / WG under llvmpipe's loop cap (it takes the composite path beyond that).

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

fn offset(ch: u32, e: u32) -> u32 {
  return (e / p.s) * p.c * p.s + ch * p.s + e % p.s;
}

@compute @workgroup_size(WG)
fn main(ids: GroupIds) {
  let ch = ids.wid.x + ids.wid.y * ids.nwg.x;
  let lid = ids.lid;
  // Every invocation reaches group_sum (its barriers need uniform control flow, and the
  // uniformity analysis sees ids as varying): a workgroup past the channels walks nothing.
  let in_range = ch < p.c;
  let count = select(0u, p.count, in_range);
  var acc = C(0);
  for (var e = lid; e < count; e += WG) { acc += x[offset(ch, e)]; }
  let m = group_sum(ids, acc) / C(p.count);
  var sq = C(0);
  for (var e = lid; e < count; e += WG) {
    let d = x[offset(ch, e)] - m;
    sq += d * d;
  }
  let v = group_sum_b(ids, sq) / C(p.count);
  if (in_range && lid == 0u) {
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
fn main4(ids: GroupIds) {
  let ch = ids.wid.x + ids.wid.y * ids.nwg.x;
  let lid = ids.lid;
  let in_range = ch < p.c; // as in main
  let images = select(0u, p.n, in_range);
  let s4 = p.s / 4u;
  let row4 = p.c * s4; // vec4s between one image's channel run and the next's
  let dn = WG / s4;
  let dq = WG % s4;
  var acc = vec4<C>(0);
  {
    var n = lid / s4;
    var q = lid % s4;
    loop {
      if (n >= images) { break; }
      acc += x4[n * row4 + ch * s4 + q];
      n += dn;
      q += dq;
      if (q >= s4) { q -= s4; n += 1u; }
    }
  }
  let m = group_sum(ids, (acc.x + acc.y) + (acc.z + acc.w)) / C(p.count);
  var sq = vec4<C>(0);
  {
    var n = lid / s4;
    var q = lid % s4;
    loop {
      if (n >= images) { break; }
      let d = x4[n * row4 + ch * s4 + q] - vec4<C>(m);
      sq += d * d;
      n += dn;
      q += dq;
      if (q >= s4) { q -= s4; n += 1u; }
    }
  }
  let v = group_sum_b(ids, (sq.x + sq.y) + (sq.z + sq.w)) / C(p.count);
  if (in_range && lid == 0u) {
    mean[ch] = m;
    var_out[ch] = v;
  }
}
