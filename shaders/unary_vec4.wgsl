// unary_vec4.wgsl: out = op(x) four elements per invocation, for the common contiguous case.
//
// Bindings (group 0): x (read, as vec4s), out (read_write, vec4s), p (uniform Params).
// Used when, after coalescing, x is rank <= 1, contiguous from an offset that is a multiple of
// 4. Buffers are whole multiples of 16 bytes (see pool.ts), so the last vec4 may run past n
// into padding that no tensor uses. Preamble as in unary.wgsl; op is applied per component.
// Why: on a CPU adapter (llvmpipe) an invocation costs more than the arithmetic of a cheap op;
// one element each ran relu at a sixth of the speed of binary_vec4's add (measured, 800k floats).

struct Params {
  n4: u32,
  x_offset: u32,
  _pad0: u32,
  _pad1: u32,
  a0: f32, // the op's parameters, as in unary.wgsl
  a1: f32,
  _pad2: u32,
  _pad3: u32,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> x: array<vec4<C>>;
@group(0) @binding(1) var<storage, read_write> out: array<vec4<SO>>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n4) { return; }
  let v = x[p.x_offset / 4u + i];
  out[i] = vec4<SO>(op(v.x), op(v.y), op(v.z), op(v.w));
}
