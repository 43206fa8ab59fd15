// scatter_add.wgsl: out[coords(i) with coordinate `dim` replaced by index[i]] += src[i], for
// every i over index's shape (src, strided, has that shape). The backward of gather and
// indexSelect: the gradient of an element read several times is the sum of its reads.
//
// Bindings (group 0): src (read, strided), index (read, i32, strided/broadcast), out
// (read_write, contiguous, as atomic<u32>: the host fills it first, usually with zeros),
// errors (read_write, atomic flags, as in gather.wgsl), p (uniform Params).
// Preamble: alias C (f32 | i32) and fn add_at(i: u32, v: C).
//
// Repeated indices make several invocations add into one element. WGSL has atomicAdd for
// integers only, so f32 adds go through a compare-exchange loop on the value's bits: no
// update is lost (the order of the additions, and so the last bits of a sum, may vary).
// Lib: shaders/lib/strided.wgsl (strided_offset3; Dims, MAX_RANK).

struct Params {
  n: u32,
  rank: u32,
  dim: u32,
  dim_size: u32,
  s_offset: u32,
  i_offset: u32,
  _pad0: u32,
  _pad1: u32,
  shape: Dims,
  s_strides: Dims,
  i_strides: Dims,
  o_strides: Dims,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> src: array<C>;
@group(0) @binding(1) var<storage, read> index: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read_write> errors: array<atomic<u32>, 4>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  // out's coordinate along dim comes from the index, not from i.
  var os = p.o_strides;
  os[p.dim / 4u][p.dim % 4u] = 0u;
  let o = strided_offset3(i, p.rank, p.shape, p.s_strides, p.i_strides, os);
  let j = index[p.i_offset + o.y];
  if (j < 0 || u32(j) >= p.dim_size) {
    if (atomicCompareExchangeWeak(&errors[0], 0u, 2u).exchanged) {
      atomicStore(&errors[1], bitcast<u32>(j));
      atomicStore(&errors[2], p.dim_size);
    }
    return;
  }
  add_at(o.z + u32(j) * dims_at(p.o_strides, p.dim), src[p.s_offset + o.x]);
}
