// cumsum.wgsl: inclusive prefix sums of a strided input along one axis (cumsum), forward or
// reversed (the suffix sums: cumsum's adjoint).
//
// Bindings (group 0): x (read, strided), carry (read: the inclusive scan of the chunk totals,
// add_carry only; a scratch buffer otherwise), out (read_write: x's shape, contiguous,
// addressed through its own strides), sums (read_write: one total per (row, chunk), written by
// chunk_scan when p.write_sums; a scratch buffer otherwise), p (uniform Params).
// Preamble: alias C = f32 | i32 (int32 sums wrap around, as WGSL's i32 addition does).
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
  _pad0: u32,
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
  var acc = C(0);
  for (var k = 0u; k < p.len; k++) {
    let i = pos(k);
    acc += x[s.x + i * p.x_step];
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
  var own = C(0);
  for (var k = k0; k < k1; k++) {
    own += x[s.x + pos(k) * p.x_step];
  }
  partial[lid] = own;
  workgroupBarrier();
  for (var off = 1u; off < WG; off = off * 2u) {
    var v = partial[lid];
    if (lid >= off) { v += partial[lid - off]; }
    workgroupBarrier();
    partial[lid] = v;
    workgroupBarrier();
  }
  var acc = select(C(0), partial[max(lid, 1u) - 1u], lid > 0u);
  for (var k = k0; k < k1; k++) {
    let i = pos(k);
    acc += x[s.x + i * p.x_step];
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
  out[i] = out[i] + carry[row * p.n_chunks + c - 1u];
}
