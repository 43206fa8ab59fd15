// fill.wgsl: constants and ranges.
//   fill:   out[strided i] = value            (full, zeros, ones, the diagonal of eye)
//   arange: out[i] = start + i * step          (arange, linspace; contiguous out)
//
// Bindings (group 0): out (read_write), p (uniform Params).
// Preamble: alias SO (out storage), fn from_f32(v: f32) -> SO, fn from_i32(v: i32) -> SO.
// Float tensors take the f32 fields, int32 and bool tensors the i32 ones.
// Lib: shaders/lib/strided.wgsl (strided_offset; Dims, MAX_RANK).

struct Params {
  n: u32,
  rank: u32,
  out_offset: u32,
  is_int: u32,
  value: f32,
  ivalue: i32,
  step: f32,
  istep: i32,
  shape: Dims,
  out_strides: Dims,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read_write> out: array<SO>;
@group(0) @binding(1) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn fill(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let oo = p.out_offset + strided_offset(i, p.rank, p.shape, p.out_strides);
  if (p.is_int != 0u) { out[oo] = from_i32(p.ivalue); } else { out[oo] = from_f32(p.value); }
}

@compute @workgroup_size(WG)
fn arange(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  if (p.is_int != 0u) {
    out[p.out_offset + i] = from_i32(p.ivalue + i32(i) * p.istep);
  } else {
    out[p.out_offset + i] = from_f32(p.value + f32(i) * p.step);
  }
}
