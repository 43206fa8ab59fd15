// gather.wgsl: out[i] = x[coords(i) with coordinate `dim` replaced by index[i]].
//
// Bindings (group 0): x (read), index (read, i32, strided/broadcast), out (read_write,
// contiguous), errors (read_write, atomic flags shared by kernels that validate input),
// p (uniform Params). Preamble: alias C (x's storage type).
// An index outside [0, size) writes 0 and records (code 1, the index, the size) in `errors`;
// the host reports it as a clear error at the next read back.

struct Params {
  n: u32,
  rank: u32,
  dim: u32,
  dim_size: u32,
  x_offset: u32,
  i_offset: u32,
  _pad0: u32,
  _pad1: u32,
  shape: array<vec4<u32>, 2>,
  x_strides: array<vec4<u32>, 2>,
  i_strides: array<vec4<u32>, 2>,
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
  var rem = i;
  var ox = p.x_offset;
  var oi = p.i_offset;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let k = u32(d);
    let size = p.shape[k / 4u][k % 4u];
    let c = rem % size;
    rem = rem / size;
    if (k != p.dim) { ox += c * p.x_strides[k / 4u][k % 4u]; }
    oi += c * p.i_strides[k / 4u][k % 4u];
  }
  let j = index[oi];
  if (j < 0 || u32(j) >= p.dim_size) {
    if (atomicCompareExchangeWeak(&errors[0], 0u, 1u).exchanged) {
      atomicStore(&errors[1], bitcast<u32>(j));
      atomicStore(&errors[2], p.dim_size);
    }
    out[i] = C(0);
    return;
  }
  out[i] = x[ox + u32(j) * p.x_strides[p.dim / 4u][p.dim % 4u]];
}
