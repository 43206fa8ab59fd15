// pool_index.wgsl: checks that int32 indices lie in [0, size), for webgrad.nn.functional
// embedding and oneHot (nn_pool.ts), so that an index out of range is a clear error naming
// the op rather than a silent zero.
//
// Bindings (group 0): index (read, i32, strided), errors (read_write, the atomic error flags
// shared with gather.wgsl), p (uniform Params). No preamble.
// One invocation per index, 1-D or 2-D grid. The first bad index seen records (p.code, the
// index, the size) in `errors`; the host reports it at the next read back (KERNEL_ERRORS).
// Lib: shaders/lib/strided.wgsl (strided_offset; Dims, MAX_RANK).

struct Params {
  n: u32,
  rank: u32,
  offset: u32,
  size: u32,
  code: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
  shape: Dims,
  strides: Dims,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> index: array<i32>;
@group(0) @binding(1) var<storage, read_write> errors: array<atomic<u32>, 4>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn check_range(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let j = index[p.offset + strided_offset(i, p.rank, p.shape, p.strides)];
  if (j < 0 || u32(j) >= p.size) {
    if (atomicCompareExchangeWeak(&errors[0], 0u, p.code).exchanged) {
      atomicStore(&errors[1], bitcast<u32>(j));
      atomicStore(&errors[2], p.size);
    }
  }
}
