// copy.wgsl: strided-to-strided copy with dtype conversion (contiguous(), cast, cat into slices).
//
// Bindings (group 0): x (read), out (read_write, any strides), p (uniform Params).
// Preamble: alias SX (x's storage type), alias SO (out's storage type), fn convert(v: SX) -> SO
// (float -> int truncates toward zero; anything -> bool is v != 0).

struct Params {
  n: u32,
  rank: u32,
  x_offset: u32,
  out_offset: u32,
  shape: array<vec4<u32>, 2>,
  x_strides: array<vec4<u32>, 2>,
  out_strides: array<vec4<u32>, 2>,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> x: array<SX>;
@group(0) @binding(1) var<storage, read_write> out: array<SO>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  var rem = i;
  var ox = p.x_offset;
  var oo = p.out_offset;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let k = u32(d);
    let size = p.shape[k / 4u][k % 4u];
    let c = rem % size;
    rem = rem / size;
    ox += c * p.x_strides[k / 4u][k % 4u];
    oo += c * p.out_strides[k / 4u][k % 4u];
  }
  out[oo] = convert(x[ox]);
}
