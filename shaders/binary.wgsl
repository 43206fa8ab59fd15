// binary.wgsl: out[i] = op(a[strided i], b[strided i]), inputs already broadcast (stride 0).
//
// Bindings (group 0): a, b (read), out (read_write, contiguous), p (uniform Params).
// Preamble from the binder: alias C (compute type), alias SO (out storage), fn op(a: C, b: C) -> SO,
// and math helpers (pow_c) for C. Indexing as in unary.wgsl; one element per invocation.
// Lib: shaders/lib/strided.wgsl (strided_offset2; Dims, MAX_RANK).

struct Params {
  n: u32,
  rank: u32,
  a_offset: u32,
  b_offset: u32,
  shape: Dims,
  a_strides: Dims,
  b_strides: Dims,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> a: array<C>;
@group(0) @binding(1) var<storage, read> b: array<C>;
@group(0) @binding(2) var<storage, read_write> out: array<SO>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let o = strided_offset2(i, p.rank, p.shape, p.a_strides, p.b_strides);
  out[i] = op(a[p.a_offset + o.x], b[p.b_offset + o.y]);
}
