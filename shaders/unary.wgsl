// unary.wgsl: out[i] = op(x[strided i]) for every element.
//
// Bindings (group 0): x (read), out (read_write, contiguous), p (uniform Params).
// The binder prepends a preamble that defines:
//   alias C  = compute type (f32 | i32)      alias SO = out's storage type (f32 | i32 | u32 for bool)
//   fn op(x: C) -> SO                        (the op's expression from src/kernels/ops.ts)
// Indexing: i -> offset through x's strides over `shape` (dims already coalesced by the host),
// by strided_offset from shaders/lib/strided.wgsl (rank <= MAX_RANK; rank <= 1 needs no
// div/mod). One element per invocation; a 2-D grid when n needs more than
// 65535 workgroups.
// Lib: shaders/lib/strided.wgsl (strided_offset; Dims, MAX_RANK).

struct Params {
  n: u32,
  rank: u32,
  x_offset: u32,
  _pad: u32,
  a0: f32, // the op's parameters (leakyRelu's slope, elu's alpha, softplus's beta and threshold...)
  a1: f32,
  _pad1: u32,
  _pad2: u32,
  shape: Dims,
  x_strides: Dims,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> x: array<C>;
@group(0) @binding(1) var<storage, read_write> out: array<SO>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  out[i] = op(x[p.x_offset + strided_offset(i, p.rank, p.shape, p.x_strides)]);
}
