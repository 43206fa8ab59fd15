// gather.wgsl: out[i] = x[coords(i) with coordinate `dim` replaced by index[i]].
//
// Bindings (group 0): x (read), index (read, i32, strided/broadcast), out (read_write,
// contiguous), errors (read_write, atomic flags shared by kernels that validate input),
// p (uniform Params). Preamble: alias C (x's storage type).
// An index outside [0, size) writes 0 and records (code 1, the index, the size) in `errors`;
// the host reports it as a clear error at the next read back.
// Lib: shaders/lib/strided.wgsl (strided_offset2; Dims, MAX_RANK).

struct Params {
  n: u32,
  rank: u32,
  dim: u32,
  dim_size: u32,
  x_offset: u32,
  i_offset: u32,
  _pad0: u32,
  _pad1: u32,
  shape: Dims,
  x_strides: Dims,
  i_strides: Dims,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> x: array<C>;
@group(0) @binding(1) var<storage, read> index: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<C>;
@group(0) @binding(3) var<storage, read_write> errors: array<atomic<u32>, 4>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  // x's coordinate along dim comes from the index, not from i.
  var xs = p.x_strides;
  xs[p.dim / 4u][p.dim % 4u] = 0u;
  let o = strided_offset2(i, p.rank, p.shape, xs, p.i_strides);
  let j = index[p.i_offset + o.y];
  if (j < 0 || u32(j) >= p.dim_size) {
    if (atomicCompareExchangeWeak(&errors[0], 0u, 1u).exchanged) {
      atomicStore(&errors[1], bitcast<u32>(j));
      atomicStore(&errors[2], p.dim_size);
    }
    out[i] = C(0);
    return;
  }
  out[i] = x[p.x_offset + o.x + u32(j) * dims_at(p.x_strides, p.dim)];
}
