// sort.wgsl: sorts each row of a contiguous [n_rows, len] input into (value, index) pairs, by
// a bitonic sorting network over the rows padded to p2 = the next power of two.
//
// Bindings (group 0): x (read, contiguous rows from x_offset), keys and idx (read_write: the
// padded [n_rows, p2] pairs between passes, for rows longer than BLOCK; scratch buffers
// otherwise), values (read_write, contiguous [n_rows, len], x's type) and indices
// (read_write, i32, same shape): the result, p (uniform Params).
// Preamble: alias C = f32 | i32 and fn key_nan(v: C) -> bool (the bit test for f32; false for i32).
//
// The order is total: (value, index) pairs compare by value, NaN above every number (as
// PyTorch sorts it), equal values (and NaNs among themselves) by their index. A sorting
// network gives the one order a total order allows, so ties keep their input order (the sort
// is stable) on every device, whatever the schedule. Padding pairs (index PAD) go after all.
//
// Layout: a flat position g in [0, n_rows * p2) is row g / p2, column g % p2. A bitonic stage
// (k, j) compares positions i and i + j (i with bit j clear) and orders them up when
// (g mod p2) & k == 0, down otherwise; k doubles from 2 to p2 and j halves from k / 2 to 1.
//
// Entry points (no loop an invocation runs exceeds 66 stages * BLOCK / (2 WG) iterations,
// far below llvmpipe's 65535 cap):
//   sort_block: one workgroup per BLOCK consecutive positions (several short rows, or a slice of
//     a long one), in workgroup memory: it loads from x (p.from_x = 1) or from keys/idx, runs
//     the stages k in [k_first, k_last] with j < BLOCK only (j from min(k/2, BLOCK/2)), then
//     writes values/indices (p.final_pass = 1) or back to keys/idx.
//   sort_merge: one invocation per compared pair of one stage (k, j) with j >= BLOCK, in place in
//     keys/idx (rows longer than BLOCK: each k past BLOCK runs its long-j stages here, one
//     dispatch each, then its short ones in `sort_block`).

struct Params {
  n_rows: u32,
  len: u32,
  p2: u32,
  x_offset: u32,
  descending: u32,
  from_x: u32,
  final_pass: u32,
  k_first: u32,
  k_last: u32,
  k: u32,
  j: u32,
  _pad0: u32,
}

override WG: u32 = 256u;
override BLOCK: u32 = 2048u;

@group(0) @binding(0) var<storage, read> x: array<C>;
@group(0) @binding(1) var<storage, read_write> keys: array<C>;
@group(0) @binding(2) var<storage, read_write> idx: array<u32>;
@group(0) @binding(3) var<storage, read_write> values: array<C>;
@group(0) @binding(4) var<storage, read_write> indices: array<i32>;
@group(0) @binding(5) var<uniform> p: Params;

const PAD: u32 = 0xffffffffu;

var<workgroup> wk: array<C, BLOCK>;
var<workgroup> wi: array<u32, BLOCK>;

// Whether pair a comes before pair b in the sorted order.
fn before(ka: C, ia: u32, kb: C, ib: u32) -> bool {
  if (ia == PAD) { return false; }
  if (ib == PAD) { return true; }
  let na = key_nan(ka);
  let nb = key_nan(kb);
  if (na || nb) {
    if (na && nb) { return ia < ib; }
    // Ascending: NaN is last; descending: first.
    return select(nb, na, p.descending == 1u);
  }
  if (ka == kb) { return ia < ib; }
  return select((ka < kb), (ka > kb), p.descending == 1u);
}

fn total() -> u32 { return p.n_rows * p.p2; }

// Positions i and i + j of stage (k, j) for pair t; whether they are ordered up.
fn pair_of(t: u32, j: u32) -> u32 { return (t / j) * 2u * j + t % j; }
fn up_at(g: u32, k: u32) -> bool { return ((g & (p.p2 - 1u)) & k) == 0u; }

@compute @workgroup_size(WG)
fn sort_block(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let base = (wid.x + wid.y * nwg.x) * BLOCK;
  let n = total();
  for (var e = lid; e < BLOCK; e += WG) {
    let g = base + e;
    var kv: C;
    var iv = PAD;
    if (g < n) {
      if (p.from_x == 1u) {
        let c = g % p.p2;
        if (c < p.len) {
          kv = x[p.x_offset + (g / p.p2) * p.len + c];
          iv = c;
        }
      } else {
        kv = keys[g];
        iv = idx[g];
      }
    }
    wk[e] = kv;
    wi[e] = iv;
  }
  workgroupBarrier();
  for (var k = p.k_first; k <= p.k_last; k = k * 2u) {
    for (var j = min(k / 2u, BLOCK / 2u); j > 0u; j = j / 2u) {
      for (var t = lid; t < BLOCK / 2u; t += WG) {
        let i = pair_of(t, j);
        let l = i + j;
        let a = wk[i];
        let ia = wi[i];
        let b = wk[l];
        let ib = wi[l];
        // Swap when the pair is out of the stage's direction.
        let swap = select(before(a, ia, b, ib), before(b, ib, a, ia), up_at(base + i, k));
        if (swap) {
          wk[i] = b;
          wi[i] = ib;
          wk[l] = a;
          wi[l] = ia;
        }
      }
      workgroupBarrier();
    }
  }
  for (var e = lid; e < BLOCK; e += WG) {
    let g = base + e;
    if (g < n) {
      if (p.final_pass == 1u) {
        let c = g % p.p2;
        if (c < p.len) {
          let o = (g / p.p2) * p.len + c;
          values[o] = wk[e];
          indices[o] = i32(wi[e]);
        }
      } else {
        keys[g] = wk[e];
        idx[g] = wi[e];
      }
    }
  }
}

@compute @workgroup_size(WG)
fn sort_merge(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * WG;
  if (t >= total() / 2u) { return; }
  let i = pair_of(t, p.j);
  let l = i + p.j;
  let a = keys[i];
  let ia = idx[i];
  let b = keys[l];
  let ib = idx[l];
  let swap = select(before(a, ia, b, ib), before(b, ib, a, ia), up_at(i, p.k));
  if (swap) {
    keys[i] = b;
    idx[i] = ib;
    keys[l] = a;
    idx[l] = ia;
  }
}
