// cumsum.wgsl: inclusive scans of a strided input along one axis: prefix sums (cumsum),
// forward or reversed (the suffix sums: cumsum's adjoint), prefix products (cumprod), and
// cumprod's gradient (prod_grad_*).
//
// Bindings (group 0): x (read, strided), carry (read: the inclusive scan of the chunk totals,
// add_carry only; a scratch buffer otherwise), out (read_write: x's shape, contiguous,
// addressed through its own strides), sums (read_write: one total per (row, chunk), written by
// chunk_scan when p.write_sums; a scratch buffer otherwise), p (uniform Params).
// Preamble: alias C = f32 | i32 (int32 sums and products wrap around, as WGSL's i32 does);
// fn comb(a: C, b: C) -> C (a + b or a * b) and const ID: C (its identity, 0 or 1).
// Lib: shaders/lib/strided.wgsl (strided_offset2, for the rows; Dims, MAX_RANK).
//
// Layout: the host takes the scanned axis out of the shape (x_step, o_step are the operands'
// strides along it, len its size); the remaining "outer" dims, coalesced, number the rows. A
// row's logical element k sits at position k, or len - 1 - k when p.reverse = 1.
//
// Entry points (llvmpipe silently ends an invocation's loops after 65535 iterations in all, so
// no loop here grows with the row beyond what the host bounds):
//   row_thread: one invocation per row, a serial loop (many short rows; len <= the host's
//     rowSteps).
//   chunk_scan: one workgroup per (row, chunk of chunk_len = WG * per_thread elements). Each
//     invocation sums its per_thread consecutive elements, a Hillis-Steele scan in workgroup
//     memory turns those into prefixes, then each invocation rescans its elements from its
//     prefix and writes them. The chunk's total goes to sums.
//   add_carry: rows of more than one chunk: the host scans `sums` (this same kernel, on the
//     [n_rows, n_chunks] totals) into `carry`; every element of chunk c >= 1 then adds
//     carry[row, c - 1]. One invocation per element.
//   prod_grad_suffix, prod_grad_prefix: cumprod's gradient (f32), one invocation per row over
//     the positions [k_begin, k_end); the host runs them chunk by chunk (suffix from the last
//     chunk back, then prefix from the first), so each invocation's loop stays short. Bindings:
//     x = the cumprod's input, carry = the gradient g (same layout as out: contiguous), out,
//     sums = one running value per row, carried between chunks. suffix: S[k] = g[k] +
//     x[k + 1] * S[k + 1] into out (sums holds x[k_end] * S[k_end], 0 at the row's end);
//     prefix: out[k] *= E[k], E[k] = the product of x before k (sums holds E[k_begin]). No
//     division, so zeros in x are exact.

struct Params {
  n_rows: u32,
  len: u32,
  outer_rank: u32,
  x_offset: u32,
  x_step: u32,
  o_step: u32,
  n_chunks: u32,
  chunk_len: u32,
  per_thread: u32,
  reverse: u32,
  write_sums: u32,
  k_begin: u32,
  k_end: u32,
  _pad0: u32,
  _pad1: u32,
  outer_shape: Dims,
  x_strides: Dims,
  o_strides: Dims,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> x: array<C>;
@group(0) @binding(1) var<storage, read> carry: array<C>;
@group(0) @binding(2) var<storage, read_write> out: array<C>;
@group(0) @binding(3) var<storage, read_write> sums: array<C>;
@group(0) @binding(4) var<uniform> p: Params;

var<workgroup> partial: array<C, WG>;

// Where row r starts in x and in out.
fn row_start(r: u32) -> vec2<u32> {
  return vec2<u32>(p.x_offset, 0u) + strided_offset2(r, p.outer_rank, p.outer_shape, p.x_strides, p.o_strides);
}

// The position of a row's logical element k.
fn pos(k: u32) -> u32 {
  return select(k, p.len - 1u - k, p.reverse == 1u);
}

@compute @workgroup_size(WG)
fn row_thread(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = gid.x + gid.y * nwg.x * WG;
  if (r >= p.n_rows) { return; }
  let s = row_start(r);
  var acc = ID;
  for (var k = 0u; k < p.len; k++) {
    let i = pos(k);
    acc = comb(acc, x[s.x + i * p.x_step]);
    out[s.y + i * p.o_step] = acc;
  }
}

@compute @workgroup_size(WG)
fn chunk_scan(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let q = wid.x + wid.y * nwg.x;
  // Uniform across the workgroup (workgroup_id is), so the barriers below stay uniform.
  if (q >= p.n_rows * p.n_chunks) { return; }
  let row = q / p.n_chunks;
  let s = row_start(row);
  let k0 = (q % p.n_chunks) * p.chunk_len + lid * p.per_thread;
  let k1 = min(k0 + p.per_thread, p.len);
  var own = ID;
  for (var k = k0; k < k1; k++) {
    own = comb(own, x[s.x + pos(k) * p.x_step]);
  }
  partial[lid] = own;
  workgroupBarrier();
  for (var off = 1u; off < WG; off = off * 2u) {
    var v = partial[lid];
    if (lid >= off) { v = comb(partial[lid - off], v); }
    workgroupBarrier();
    partial[lid] = v;
    workgroupBarrier();
  }
  var acc = select(ID, partial[max(lid, 1u) - 1u], lid > 0u);
  for (var k = k0; k < k1; k++) {
    let i = pos(k);
    acc = comb(acc, x[s.x + i * p.x_step]);
    out[s.y + i * p.o_step] = acc;
  }
  if (lid == WG - 1u && p.write_sums == 1u) { sums[q] = partial[WG - 1u]; }
}

@compute @workgroup_size(WG)
fn add_carry(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = gid.x + gid.y * nwg.x * WG;
  if (e >= p.n_rows * p.len) { return; }
  let row = e / p.len;
  let k = e % p.len;
  let c = k / p.chunk_len;
  if (c == 0u) { return; }
  let s = row_start(row);
  let i = s.y + pos(k) * p.o_step;
  out[i] = comb(out[i], carry[row * p.n_chunks + c - 1u]);
}

@compute @workgroup_size(WG)
fn prod_grad_suffix(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = gid.x + gid.y * nwg.x * WG;
  if (r >= p.n_rows) { return; }
  let s = row_start(r);
  var pend = select(sums[r], C(0), p.k_end == p.len);
  for (var k = p.k_end; k > p.k_begin; k--) {
    let v = carry[s.y + (k - 1u) * p.o_step] + pend;
    out[s.y + (k - 1u) * p.o_step] = v;
    pend = x[s.x + (k - 1u) * p.x_step] * v;
  }
  sums[r] = pend;
}

@compute @workgroup_size(WG)
fn prod_grad_prefix(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = gid.x + gid.y * nwg.x * WG;
  if (r >= p.n_rows) { return; }
  let s = row_start(r);
  var e = select(sums[r], C(1), p.k_begin == 0u);
  for (var k = p.k_begin; k < p.k_end; k++) {
    let i = s.y + k * p.o_step;
    out[i] = out[i] * e;
    e = e * x[s.x + k * p.x_step];
  }
  sums[r] = e;
}
