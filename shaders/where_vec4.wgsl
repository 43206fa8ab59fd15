// where_vec4.wgsl: out = cond ? a : b four elements per invocation, for contiguous operands.
//
// Bindings (group 0): cond (read, u32 per element, as vec4s), a, b (read, as vec4s), out
// (read_write, vec4s), p (uniform Params). Preamble: alias C (the value type).
// Used when, after coalescing, the op is rank <= 1 and each operand is contiguous from an offset
// that is a multiple of 4 or a single broadcast value (stride 0: `*_splat`, read at its element
// offset); out is contiguous from 0. Buffers are whole multiples of 16 bytes (see pool.ts), so
// the last vec4 may run past n into padding that no tensor uses.
// Why: ReLU's gradient is where(y > 0, g, 0); one element per load took 4-5 ms for 800k floats
// on llvmpipe, four times a vec4 binary op.

struct Params {
  n4: u32,
  c_offset: u32,
  a_offset: u32,
  b_offset: u32,
  c_splat: u32,
  a_splat: u32,
  b_splat: u32,
  _pad0: u32,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> cond: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read> a: array<vec4<C>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<C>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<C>>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n4) { return; }
  var c: vec4<u32>;
  if (p.c_splat != 0u) { c = vec4<u32>(cond[p.c_offset / 4u][p.c_offset % 4u]); } else { c = cond[p.c_offset / 4u + i]; }
  var va: vec4<C>;
  if (p.a_splat != 0u) { va = vec4<C>(a[p.a_offset / 4u][p.a_offset % 4u]); } else { va = a[p.a_offset / 4u + i]; }
  var vb: vec4<C>;
  if (p.b_splat != 0u) { vb = vec4<C>(b[p.b_offset / 4u][p.b_offset % 4u]); } else { vb = b[p.b_offset / 4u + i]; }
  out[i] = select(vb, va, c != vec4<u32>(0u));
}
