// softmax.wgsl: softmax / log-softmax of a strided f32 input along one axis, a row per workgroup.
//
// Bindings (group 0): x (read, strided), out (read_write: x's shape, contiguous, addressed
// through its own strides), partials (read_write, (max, sum) per chunk: long rows only; a
// 4-element scratch buffer otherwise), p (uniform Params). Preamble: shaders/lib/math_f32.wgsl.
//
// Layout: the host takes the softmax axis out of the shape (x_step, o_step are the two
// operands' strides along it); the remaining "outer" dims, coalesced, number the rows. Nothing
// is copied: a softmax over dim 0 of a row-major tensor reads x with a large x_step.
//
// Stability: a row's max m is subtracted before exp, so logits of +-1e4 neither overflow nor
// vanish; y = exp(x - m) / sum, log y = (x - m) - log(sum). A row whose max is -inf (all -inf)
// or +inf, or that holds a NaN, comes out NaN, as in PyTorch.
//
// Entry points:
//   row: one workgroup of WG invocations per row, three strided passes (max, sum of exp,
//     write) with a workgroup-wide reduction after the first two (group_max, group_sum from
//     the preamble, kernels/webgpu/subgroups.ts: a tree in workgroup memory, or subgroups
//     where the device has them; the entries take their builtins as its GroupIds).
//   chunk_stats + chunk_write: rows too long for `row` (llvmpipe silently ends an invocation's
//     loops after 65535 iterations in all: the host keeps ceil(row_len / WG) * 3 below that).
//     A workgroup per (row, chunk of chunk_len elements): chunk_stats writes the chunk's max and
//     sum of exp(x - max) into partials; chunk_write merges the row's n_chunks partials
//     (sum_j s_j exp(m_j - M)) and writes its chunk.
//   row_thread: an invocation per row, three serial passes (a CPU adapter's layout for many
//     rows; softmax_vec4.wgsl is the same for contiguous rows aligned to 4).
// Lib: shaders/lib/strided.wgsl (strided_offset2, for the rows; Dims, MAX_RANK).

struct Params {
  n_rows: u32,
  row_len: u32,
  outer_rank: u32,
  x_offset: u32,
  x_step: u32,
  o_step: u32,
  n_chunks: u32,
  chunk_len: u32,
  log_out: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
  outer_shape: Dims,
  x_strides: Dims,
  o_strides: Dims,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

// Offsets of row `r`'s first element in x and in out.
fn row_bases(r: u32) -> vec2<u32> {
  return vec2<u32>(p.x_offset, 0u) + strided_offset2(r, p.outer_rank, p.outer_shape, p.x_strides, p.o_strides);
}

// Max and sum of exp(x - max) over elements [begin, end) of the row at xb.
fn stats(ids: GroupIds, in_range: bool, xb: u32, begin: u32, end: u32) -> vec2<f32> {
  var m = -f32_inf();
  if (in_range) {
    for (var i = begin + ids.lid; i < end; i += WG) { m = max_c(m, x[xb + i * p.x_step]); }
  }
  m = group_max(ids, m);
  var s = 0.0;
  if (in_range) {
    for (var i = begin + ids.lid; i < end; i += WG) { s += exp(x[xb + i * p.x_step] - m); }
  }
  return vec2<f32>(m, group_sum(ids, s));
}

fn write_row(lid: u32, b: vec2<u32>, begin: u32, end: u32, m: f32, s: f32) {
  if (p.log_out != 0u) {
    // (x - m) - log(s), not x - (m + log(s)): with |m| large, m + log(s) would round log(s) away.
    let log_s = log(s);
    for (var i = begin + lid; i < end; i += WG) { out[b.y + i * p.o_step] = (x[b.x + i * p.x_step] - m) - log_s; }
  } else {
    for (var i = begin + lid; i < end; i += WG) { out[b.y + i * p.o_step] = exp(x[b.x + i * p.x_step] - m) / s; }
  }
}

@compute @workgroup_size(WG)
fn row(ids: GroupIds) {
  let q = ids.wid.x + ids.wid.y * ids.nwg.x;
  // q is uniform over the workgroup: every invocation reaches the same barriers.
  let in_range = q < p.n_rows;
  var b = vec2<u32>(0u, 0u);
  if (in_range) { b = row_bases(q); }
  let ms = stats(ids, in_range, b.x, 0u, p.row_len);
  if (!in_range) { return; }
  write_row(ids.lid, b, 0u, p.row_len, ms.x, ms.y);
}

@compute @workgroup_size(WG)
fn chunk_stats(ids: GroupIds) {
  let q = ids.wid.x + ids.wid.y * ids.nwg.x;
  let in_range = q < p.n_rows * p.n_chunks;
  var b = vec2<u32>(0u, 0u);
  var begin = 0u;
  var end = 0u;
  if (in_range) {
    b = row_bases(q / p.n_chunks);
    begin = (q % p.n_chunks) * p.chunk_len;
    end = min(p.row_len, begin + p.chunk_len);
  }
  let ms = stats(ids, in_range, b.x, begin, end);
  if (in_range && ids.lid == 0u) {
    partials[2u * q] = ms.x;
    // A chunk of -inf only: its sum is exp(-inf - -inf) = NaN; it contributes nothing instead.
    partials[2u * q + 1u] = select(ms.y, 0.0, ms.x == -f32_inf());
  }
}

@compute @workgroup_size(WG)
fn chunk_write(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
  let q = wid.x + wid.y * nwg.x;
  if (q >= p.n_rows * p.n_chunks) { return; }
  let r = q / p.n_chunks;
  let first = 2u * r * p.n_chunks;
  var m = -f32_inf();
  for (var j = 0u; j < p.n_chunks; j++) { m = max_c(m, partials[first + 2u * j]); }
  var s = 0.0;
  for (var j = 0u; j < p.n_chunks; j++) {
    let sj = partials[first + 2u * j + 1u];
    // sj == 0: an all -inf chunk (skipped: exp(-inf - m) could be NaN when m = -inf too);
    // a NaN sj still propagates.
    if (sj != 0.0) { s += sj * exp(partials[first + 2u * j] - m); }
  }
  let begin = (q % p.n_chunks) * p.chunk_len;
  write_row(lid, row_bases(r), begin, min(p.row_len, begin + p.chunk_len), m, s);
}

// An invocation per row, three serial passes, no workgroup memory: the layout for a CPU adapter
// (llvmpipe), where barriers cost more than the arithmetic of short rows. Rows of any strides;
// contiguous aligned rows take softmax_vec4.wgsl instead.
@compute @workgroup_size(WG)
fn row_thread(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = gid.x + gid.y * nwg.x * WG;
  if (r >= p.n_rows) { return; }
  let b = row_bases(r);
  var m = -f32_inf();
  for (var i = 0u; i < p.row_len; i++) { m = max_c(m, x[b.x + i * p.x_step]); }
  var s = 0.0;
  for (var i = 0u; i < p.row_len; i++) { s += exp(x[b.x + i * p.x_step] - m); }
  if (p.log_out != 0u) {
    let log_s = log(s);
    for (var i = 0u; i < p.row_len; i++) { out[b.y + i * p.o_step] = (x[b.x + i * p.x_step] - m) - log_s; }
  } else {
    for (var i = 0u; i < p.row_len; i++) { out[b.y + i * p.o_step] = exp(x[b.x + i * p.x_step] - m) / s; }
  }
}
