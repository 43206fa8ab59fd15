// reduce.wgsl: sum / prod / max / min over the trailing (reduced) dims of a strided input.
//
// Bindings (group 0): x (read), out (read_write, contiguous, one value per outer index),
// p (uniform Params). The host permutes the reduced axes last and coalesces each group, so
// outer and inner are each at most MAX_RANK dims here (shaders/lib/strided.wgsl walks them).
// Preamble: alias C (value type), fn identity() -> C, fn combine(a: C, b: C) -> C, and the
// workgroup reducer group_reduce with its GroupIds struct (kernels/webgpu/subgroups.ts: a tree in
// workgroup memory, or subgroups where the device has them).
//
// Two entry points:
//   reduce_workgroup: one workgroup of WG invocations per output; each sums a strided share of
//     the inner elements, then a tree reduction in workgroup memory (long rows). A row may be
//     cut into n_chunks chunks of chunk_len elements: workgroup q then reduces chunk
//     q % n_chunks of row q / n_chunks into out[q], and the host reduces those partials again
//     (llvmpipe silently stops an invocation's loops after 65535 iterations in all).
//   reduce_thread: one invocation per output, a serial loop (many short rows); with n_chunks > 1,
//     one invocation per chunk of chunk_len <= 2048 elements, into partials as above (on a CPU
//     adapter the cheaper way to share a long row out: no workgroup memory, no barriers).
// Lib: shaders/lib/strided.wgsl (strided_offset; Dims, MAX_RANK).

struct Params {
  n_outer: u32,
  n_inner: u32,
  outer_rank: u32,
  inner_rank: u32,
  x_offset: u32,
  n_chunks: u32,
  chunk_len: u32,
  _pad2: u32,
  outer_shape: Dims,
  outer_strides: Dims,
  inner_shape: Dims,
  inner_strides: Dims,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> x: array<C>;
@group(0) @binding(1) var<storage, read_write> out: array<C>;
@group(0) @binding(2) var<uniform> p: Params;

fn outer_offset(o: u32) -> u32 {
  return p.x_offset + strided_offset(o, p.outer_rank, p.outer_shape, p.outer_strides);
}

fn inner_offset(r: u32) -> u32 {
  return strided_offset(r, p.inner_rank, p.inner_shape, p.inner_strides);
}

@compute @workgroup_size(WG)
fn reduce_workgroup(ids: GroupIds) {
  let q = ids.wid.x + ids.wid.y * ids.nwg.x;
  // Every invocation of a workgroup takes the same path to the barriers (q is uniform).
  let in_range = q < p.n_outer * p.n_chunks;
  var acc = identity();
  if (in_range) {
    let base = outer_offset(q / p.n_chunks);
    let begin = (q % p.n_chunks) * p.chunk_len;
    let end = min(p.n_inner, begin + p.chunk_len);
    for (var r = begin + ids.lid; r < end; r += WG) {
      acc = combine(acc, x[base + inner_offset(r)]);
    }
  }
  let total = group_reduce(ids, acc);
  if (in_range && ids.lid == 0u) { out[q] = total; }
}

@compute @workgroup_size(WG)
fn reduce_thread(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let q = gid.x + gid.y * nwg.x * WG;
  if (q >= p.n_outer * p.n_chunks) { return; }
  // Chunk q % n_chunks of row q / n_chunks (n_chunks 1: the whole row).
  let base = outer_offset(q / p.n_chunks);
  let begin = (q % p.n_chunks) * p.chunk_len;
  let end = min(p.n_inner, begin + p.chunk_len);
  var acc = identity();
  for (var r = begin; r < end; r++) {
    acc = combine(acc, x[base + inner_offset(r)]);
  }
  out[q] = acc;
}
