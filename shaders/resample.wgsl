// resample.wgsl: separable resampling along one axis (interpolate's nearest, nearest-exact and
// linear modes) and its adjoint.
//
// Bindings (group 0): x (read: [outer, in_len, inner] contiguous; the gradient [outer, out_len,
// inner] in axis_grad), idx (read, i32: i0 [out_len], i1 [out_len], lo [in_len], hi [in_len]),
// lam (read, f32 [out_len]: the weight of i1), out (read_write, contiguous), p (uniform Params).
// Preamble: alias C = f32.
//
// The host computes the index tables from the mode's formula. axis_fwd: one invocation per
// output element, out[o] = (1 - lam[o]) x[i0[o]] + lam[o] x[i1[o]] (nearest: x[i0[o]]).
// axis_grad: one invocation per input element i, summing over the outputs o in [lo[i], hi[i])
// that read it, in order of o (deterministic, no atomics), weight (1 - lam) where i0 = i plus
// lam where i1 = i; zero weights are skipped. The host bounds hi - lo under llvmpipe's
// 65535-iteration loop cap.

struct Params {
  outer: u32,
  inner: u32,
  in_len: u32,
  out_len: u32,
  nearest: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> x: array<C>;
@group(0) @binding(1) var<storage, read> idx: array<i32>;
@group(0) @binding(2) var<storage, read> lam: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<C>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn axis_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = gid.x + gid.y * nwg.x * WG;
  if (e >= p.outer * p.out_len * p.inner) { return; }
  let j = e % p.inner;
  let t = e / p.inner;
  let o = t % p.out_len;
  let n = t / p.out_len;
  let base = n * p.in_len * p.inner + j;
  let v0 = x[base + u32(idx[o]) * p.inner];
  if (p.nearest == 1u) {
    out[e] = v0;
    return;
  }
  let l = C(lam[o]);
  out[e] = (C(1) - l) * v0 + l * x[base + u32(idx[p.out_len + o]) * p.inner];
}

@compute @workgroup_size(WG)
fn axis_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = gid.x + gid.y * nwg.x * WG;
  if (e >= p.outer * p.in_len * p.inner) { return; }
  let j = e % p.inner;
  let t = e / p.inner;
  let i = i32(t % p.in_len);
  let n = t / p.in_len;
  let lo = u32(idx[2u * p.out_len + u32(i)]);
  let hi = u32(idx[2u * p.out_len + p.in_len + u32(i)]);
  let base = n * p.out_len * p.inner + j;
  var acc = C(0);
  for (var o = lo; o < hi; o++) {
    var l = C(0);
    if (p.nearest == 0u) { l = C(lam[o]); }
    var w = C(0);
    if (idx[o] == i) { w += C(1) - l; }
    if (idx[p.out_len + o] == i) { w += l; }
    if (w != C(0)) { acc += w * x[base + o * p.inner]; }
  }
  out[e] = acc;
}
