// scatter_reduce.wgsl: out[coords(i) with coordinate `dim` replaced by index[i]] combined with
// src[i] (sum, prod, mean, amax, amin, or a plain write), for every i over index's shape: the
// kernels of scatterReduce and scatter.
//
// Bindings (group 0): src (read, strided), index (read, i32, strided/broadcast), out
// (read_write, contiguous, as atomic<u32>: the host fills it with the input first), count
// (read_write, atomic<u32>: per out element, the values scattered there, for mean; a scratch
// buffer otherwise), errors (read_write, atomic flags, as in gather.wgsl; code 41), p (uniform Params).
// Preamble: alias C (f32 | i32), fn combine(a: C, b: C) -> C, fn identity() -> C (the mode's
// neutral value), fn mean_of(sum: C, n: u32) -> C.
// Lib: shaders/lib/strided.wgsl (strided_offset3; Dims, MAX_RANK).
//
// WGSL has atomics on integers only, so each combine is a compare-exchange loop on the
// value's bits. amax and amin give the same result in any order (deterministic); sums,
// products and means may differ in their last bits from run to run, as the order of the
// operations does. A plain write (scatter) with repeated indices keeps one of the values.
//
// Entry points:
//   clear: one invocation per index element: writes the identity at its target (includeSelf
//     false: the input's value takes no part where something is scattered).
//   main: one invocation per index element: combines src into its target; counts it (mean).
//   finish_mean: one invocation per out element: divides the sum by the count (plus one when
//     the input's value is included), where anything was scattered.

struct Params {
  n: u32,
  rank: u32,
  dim: u32,
  dim_size: u32,
  s_offset: u32,
  i_offset: u32,
  include_self: u32,
  assign: u32,
  count_it: u32,
  n_out: u32,
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
@group(0) @binding(3) var<storage, read_write> count: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read_write> errors: array<atomic<u32>, 4>;
@group(0) @binding(5) var<uniform> p: Params;

// The flat out position of index element i and its src offset; out of range: an error, and
// 0xffffffff as the position.
fn target_of(i: u32) -> vec2<u32> {
  var os = p.o_strides;
  os[p.dim / 4u][p.dim % 4u] = 0u;
  let o = strided_offset3(i, p.rank, p.shape, p.s_strides, p.i_strides, os);
  let j = index[p.i_offset + o.y];
  if (j < 0 || u32(j) >= p.dim_size) {
    if (atomicCompareExchangeWeak(&errors[0], 0u, 41u).exchanged) {
      atomicStore(&errors[1], bitcast<u32>(j));
      atomicStore(&errors[2], p.dim_size);
    }
    return vec2<u32>(0xffffffffu, 0u);
  }
  return vec2<u32>(o.z + u32(j) * dims_at(p.o_strides, p.dim), p.s_offset + o.x);
}

@compute @workgroup_size(WG)
fn clear(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let t = target_of(i);
  if (t.x == 0xffffffffu) { return; }
  atomicStore(&out[t.x], bitcast<u32>(identity()));
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let t = target_of(i);
  if (t.x == 0xffffffffu) { return; }
  let v = src[t.y];
  if (p.assign == 1u) {
    atomicStore(&out[t.x], bitcast<u32>(v));
    return;
  }
  var old = atomicLoad(&out[t.x]);
  loop {
    let nv = bitcast<u32>(combine(bitcast<C>(old), v));
    if (nv == old) { break; }
    let r = atomicCompareExchangeWeak(&out[t.x], old, nv);
    if (r.exchanged) { break; }
    old = r.old_value;
  }
  if (p.count_it == 1u) { atomicAdd(&count[t.x], 1u); }
}

@compute @workgroup_size(WG)
fn finish_mean(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n_out) { return; }
  let c = atomicLoad(&count[i]);
  if (c == 0u) { return; }
  atomicStore(&out[i], bitcast<u32>(mean_of(bitcast<C>(atomicLoad(&out[i])), c + p.include_self)));
}
