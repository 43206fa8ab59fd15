// strided.wgsl: the strided-index walk, for every kernel that reads or writes a view through
// its shape and strides (spliced in by the host for the shader files that declare it: the `lib`
// of their KernelSource in src/kernels/webgpu/).
//
// The rank limit: MAX_RANK, a `const u32` the host writes in front of this file from the one
// TypeScript constant (MAX_RANK in src/kernels/webgpu/util.ts, a multiple of 4), is the most
// dims a view may have once the host has coalesced it. A shape or a set of strides is a Dims:
// MAX_RANK u32s packed four to a vec4 (a uniform array's elements are 16 bytes apart); entries
// past `rank` are ignored (the host pads them with 0).
//
// strided_offset(i, rank, shape, strides): the offset, relative to the view's own offset, of
// the element at row-major linear index i over `shape`. strided_offset2 and strided_offset3
// walk once for two or three views of one shape (an op's operands): one div/mod per dim for
// all of them. A coordinate that must not move a view (gather's `dim` in x) takes a stride of
// 0 in a local copy of its strides.
//
// Precondition: i < the product of shape[0..rank) (every caller's grid checks it). The
// outermost coordinate is then i / (the product of the other dims) with no wrap, so it is
// taken without a modulo; rank <= 1 (every contiguous view, once coalesced) takes i itself
// and needs no div/mod at all.

alias Dims = array<vec4<u32>, MAX_RANK / 4u>;

// Entry k of a Dims.
fn dims_at(v: Dims, k: u32) -> u32 {
  return v[k / 4u][k % 4u];
}

fn strided_offset(i: u32, rank: u32, shape: Dims, strides: Dims) -> u32 {
  if (rank <= 1u) { return i * strides[0].x; }
  var rem = i;
  var off = 0u;
  for (var k = rank - 1u; k > 0u; k--) {
    let size = shape[k / 4u][k % 4u];
    off += (rem % size) * strides[k / 4u][k % 4u];
    rem = rem / size;
  }
  return off + rem * strides[0].x;
}

fn strided_offset2(i: u32, rank: u32, shape: Dims, s0: Dims, s1: Dims) -> vec2<u32> {
  if (rank <= 1u) { return i * vec2<u32>(s0[0].x, s1[0].x); }
  var rem = i;
  var off = vec2<u32>(0u, 0u);
  for (var k = rank - 1u; k > 0u; k--) {
    let size = shape[k / 4u][k % 4u];
    let c = rem % size;
    rem = rem / size;
    off += c * vec2<u32>(s0[k / 4u][k % 4u], s1[k / 4u][k % 4u]);
  }
  return off + rem * vec2<u32>(s0[0].x, s1[0].x);
}

fn strided_offset3(i: u32, rank: u32, shape: Dims, s0: Dims, s1: Dims, s2: Dims) -> vec3<u32> {
  if (rank <= 1u) { return i * vec3<u32>(s0[0].x, s1[0].x, s2[0].x); }
  var rem = i;
  var off = vec3<u32>(0u, 0u, 0u);
  for (var k = rank - 1u; k > 0u; k--) {
    let size = shape[k / 4u][k % 4u];
    let c = rem % size;
    rem = rem / size;
    off += c * vec3<u32>(s0[k / 4u][k % 4u], s1[k / 4u][k % 4u], s2[k / 4u][k % 4u]);
  }
  return off + rem * vec3<u32>(s0[0].x, s1[0].x, s2[0].x);
}
