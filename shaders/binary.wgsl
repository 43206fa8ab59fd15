// binary.wgsl: out[i] = op(a[strided i], b[strided i]), inputs already broadcast (stride 0).
//
// Bindings (group 0): a, b (read), out (read_write, contiguous), p (uniform Params).
// Preamble from the binder: alias C (compute type), alias SO (out storage), fn op(a: C, b: C) -> SO,
// and math helpers (pow_c) for C. Indexing as in unary.wgsl; one element per invocation.

struct Params {
  n: u32,
  rank: u32,
  a_offset: u32,
  b_offset: u32,
  shape: array<vec4<u32>, 2>,
  a_strides: array<vec4<u32>, 2>,
  b_strides: array<vec4<u32>, 2>,
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
  // Rank <= 1 (every contiguous op, once the host has coalesced dims) needs no div/mod.
  var oa = p.a_offset + i * p.a_strides[0][0];
  var ob = p.b_offset + i * p.b_strides[0][0];
  if (p.rank > 1u) {
    oa = p.a_offset;
    ob = p.b_offset;
    var rem = i;
    for (var d = i32(p.rank) - 1; d >= 0; d--) {
      let k = u32(d);
      let size = p.shape[k / 4u][k % 4u];
      let c = rem % size;
      rem = rem / size;
      oa += c * p.a_strides[k / 4u][k % 4u];
      ob += c * p.b_strides[k / 4u][k % 4u];
    }
  }
  out[i] = op(a[oa], b[ob]);
}
