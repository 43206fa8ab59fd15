// random.wgsl: counter-based random numbers, bit-identical in their integer part to
// src/tensor/random.ts (the CPU reference): element i hashes counter + i (normals use the two
// counters 2i and 2i+1 for Box-Muller).
//
// Bindings (group 0): out (read_write, contiguous), p (uniform Params).
// Preamble: alias SO (out storage: f32 for uniform/normal, i32 for int).
// kind: 0 = uniform on [a, b), 1 = normal(mean a, std b), 2 = integers low + bits % range.

struct Params {
  n: u32,
  seed: u32,
  counter: u32,
  kind: u32,
  a: f32,
  b: f32,
  low: i32,
  range: u32,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read_write> out: array<SO>;
@group(0) @binding(1) var<uniform> p: Params;

fn pcg_hash(v: u32) -> u32 {
  let s = v * 747796405u + 2891336453u;
  let w = ((s >> ((s >> 28u) + 4u)) ^ s) * 277803737u;
  return (w >> 22u) ^ w;
}

fn random_bits(c: u32) -> u32 {
  return pcg_hash(pcg_hash(c) + p.seed);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  if (p.kind == 0u) {
    let u = f32(random_bits(p.counter + i) >> 8u) * (1.0 / 16777216.0);
    out[i] = SO(p.a + (p.b - p.a) * u);
  } else if (p.kind == 1u) {
    let u1 = f32((random_bits(p.counter + 2u * i) >> 8u) + 1u) * (1.0 / 16777216.0);
    let u2 = f32(random_bits(p.counter + 2u * i + 1u) >> 8u) * (1.0 / 16777216.0);
    out[i] = SO(p.a + p.b * sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
  } else {
    var r = random_bits(p.counter + i);
    if (p.range != 0u) { r = r % p.range; }
    out[i] = SO(p.low + bitcast<i32>(r));
  }
}
