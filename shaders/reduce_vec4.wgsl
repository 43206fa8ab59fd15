// reduce_vec4.wgsl: sum / prod / max / min of contiguous rows, one invocation per row (or per
// chunk of a row), reading four elements per load.
//
// Bindings (group 0): x (read, as vec4s), out (read_write, one value per row or chunk),
// p (uniform Params). Preamble as in reduce.wgsl: alias C, fn identity() -> C,
// fn combine(a: C, b: C) -> C.
//
// Used by the reduce_thread layouts (rowPerInvocation, invocationChunks) where the reduced dims
// coalesce to one contiguous run (stride 1) and every row starts on a multiple of 4 (x_offset
// and the coalesced outer strides are multiples of 4). chunk_len is then a multiple of 4 too,
// so every chunk starts aligned; a row whose length is not a multiple of 4 ends in a scalar
// tail read as components of the last vec4 (buffers are whole multiples of 16 bytes: pool.ts).
// The four lanes of the accumulator are combined at the end, so the order of a float sum
// differs from reduce_thread's (as any two layouts' orders differ).
// Why: on a CPU adapter (llvmpipe) the invocations of a workgroup are SIMD lanes on different
// rows, so every load is a gather; a vec4 per lane quarters the gathers (sum of 1024 rows of
// 1024 floats: 2.4 -> 1.3 ms on llvmpipe, raw kernels measured side by side).
// Lib: shaders/lib/strided.wgsl (strided_offset for the rows; Dims, MAX_RANK).

struct Params {
  n_outer: u32,
  n_inner: u32,
  outer_rank: u32,
  x_offset: u32,
  n_chunks: u32,
  chunk_len: u32,
  _pad0: u32,
  _pad1: u32,
  outer_shape: Dims,
  outer_strides: Dims,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> x: array<vec4<C>>;
@group(0) @binding(1) var<storage, read_write> out: array<C>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let q = gid.x + gid.y * nwg.x * WG;
  if (q >= p.n_outer * p.n_chunks) { return; }
  // Chunk q % n_chunks of row q / n_chunks, in elements from the row's (aligned) start.
  let base = p.x_offset + strided_offset(q / p.n_chunks, p.outer_rank, p.outer_shape, p.outer_strides);
  let begin = (q % p.n_chunks) * p.chunk_len;
  let end = min(p.n_inner, begin + p.chunk_len);
  let full = begin + (end - begin) / 4u * 4u;
  let i0 = (base + begin) / 4u;
  let n4 = (full - begin) / 4u;
  var acc = vec4<C>(identity(), identity(), identity(), identity());
  for (var j = 0u; j < n4; j++) {
    let v = x[i0 + j];
    acc = vec4<C>(combine(acc.x, v.x), combine(acc.y, v.y), combine(acc.z, v.z), combine(acc.w, v.w));
  }
  var r = combine(combine(acc.x, acc.y), combine(acc.z, acc.w));
  if (full < end) {
    let t = x[i0 + n4];
    for (var k = 0u; k < end - full; k++) { r = combine(r, t[k]); }
  }
  out[q] = r;
}
