// copy.wgsl: strided-to-strided copy with dtype conversion (contiguous(), cast, cat into slices).
//
// Bindings (group 0): x (read), out (read_write, any strides), p (uniform Params).
// Preamble: alias SX (x's storage type), alias SO (out's storage type), fn convert(v: SX) -> SO
// (float -> int truncates toward zero; anything -> bool is v != 0).
// Lib: shaders/lib/strided.wgsl (strided_offset2; Dims, MAX_RANK).

struct Params {
  n: u32,
  rank: u32,
  x_offset: u32,
  out_offset: u32,
  shape: Dims,
  x_strides: Dims,
  out_strides: Dims,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> x: array<SX>;
@group(0) @binding(1) var<storage, read_write> out: array<SO>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let o = strided_offset2(i, p.rank, p.shape, p.x_strides, p.out_strides);
  out[p.out_offset + o.y] = convert(x[p.x_offset + o.x]);
}
