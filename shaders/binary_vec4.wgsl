// binary_vec4.wgsl: out = op(a, b) four elements per invocation, for the common contiguous case.
//
// Bindings (group 0): a, b (read, as vec4s), out (read_write, vec4s), p (uniform Params).
// Used when, after coalescing, the op is rank <= 1 and each input is either contiguous from an
// offset that is a multiple of 4, or a single broadcast value (stride 0: `*_splat`, read at its
// element offset). Buffers are whole multiples of 16 bytes (see pool.ts), so the last vec4 may
// run past n into padding that no tensor uses. Preamble as in binary.wgsl; op is applied per
// component.

struct Params {
  n4: u32,
  a_offset: u32,
  b_offset: u32,
  a_splat: u32,
  b_splat: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> a: array<vec4<C>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<C>>;
@group(0) @binding(2) var<storage, read_write> out: array<vec4<SO>>;
@group(0) @binding(3) var<uniform> p: Params;

fn load(buf_is_a: bool, i: u32) -> vec4<C> {
  if (buf_is_a) {
    if (p.a_splat != 0u) { return vec4<C>(a[p.a_offset / 4u][p.a_offset % 4u]); }
    return a[p.a_offset / 4u + i];
  }
  if (p.b_splat != 0u) { return vec4<C>(b[p.b_offset / 4u][p.b_offset % 4u]); }
  return b[p.b_offset / 4u + i];
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n4) { return; }
  let va = load(true, i);
  let vb = load(false, i);
  out[i] = vec4<SO>(op(va.x, vb.x), op(va.y, vb.y), op(va.z, vb.z), op(va.w, vb.w));
}
