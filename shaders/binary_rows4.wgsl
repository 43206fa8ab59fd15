// binary_rows4.wgsl: out = op(a, b) four elements per invocation over rows: a broadcast whose
// innermost dim is contiguous or broadcast in each operand (a bias added to [N, C, H, W], a
// row vector added to a matrix, a column vector multiplied in).
//
// Bindings (group 0): a, b (read, as vec4s), out (read_write, vec4s, contiguous), p (uniform
// Params). Preamble as in binary.wgsl; op is applied per component.
// Layout: the host coalesces the op's dims; the innermost (inner4 * 4 elements long) is walked
// four at a time, the outer ones (outer_rank of them) through strided_offset2 once per vec4.
// An operand with a_inner = 1 is contiguous along the inner dim from a multiple of 4 (its
// offset and outer strides are multiples of 4) and loaded as vec4s; with a_inner = 0 it is
// constant along it and its one value is splatted.
// Why: on a CPU adapter (llvmpipe) the strided kernel pays a div/mod per dim for every element;
// a conv bias add over 800k floats took 11 ms there, the flat vec4 kernel's contiguous add 1 ms.
// Lib: shaders/lib/strided.wgsl (strided_offset2; Dims, MAX_RANK).

struct Params {
  n4: u32,
  inner4: u32,
  outer_rank: u32,
  a_offset: u32,
  b_offset: u32,
  a_inner: u32,
  b_inner: u32,
  _pad0: u32,
  outer_shape: Dims,
  a_strides: Dims,
  b_strides: Dims,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> a: array<vec4<C>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<C>>;
@group(0) @binding(2) var<storage, read_write> out: array<vec4<SO>>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n4) { return; }
  let row = i / p.inner4;
  let j = i - row * p.inner4;
  let off = vec2<u32>(p.a_offset, p.b_offset) + strided_offset2(row, p.outer_rank, p.outer_shape, p.a_strides, p.b_strides);
  var va: vec4<C>;
  if (p.a_inner != 0u) { va = a[off.x / 4u + j]; } else { va = vec4<C>(a[off.x / 4u][off.x % 4u]); }
  var vb: vec4<C>;
  if (p.b_inner != 0u) { vb = b[off.y / 4u + j]; } else { vb = vec4<C>(b[off.y / 4u][off.y % 4u]); }
  out[i] = vec4<SO>(op(va.x, vb.x), op(va.y, vb.y), op(va.z, vb.z), op(va.w, vb.w));
}
