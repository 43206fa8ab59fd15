// half.wgsl: float16 storage <-> float32, around every kernel that touches a float16 tensor
// (src/kernels/half.ts). A float16 storage is u32 words, two elements each, element 2k in the
// low half of word k (the bytes of a little-endian array of float16).
// Bindings (group 0): halves (read_write), wide (read_write), p (uniform Params); both storages
// are read_write because each entry writes the one the other reads.
//   widen:  wide[i] = the float32 bits of element lo + i                      (i < n)
//   narrow: elements [lo, lo + n) = wide's values rounded to float16 (nearest, ties to even;
//           overflow to infinity, NaN stays NaN); a word's other element, outside the range,
//           is kept, so one invocation writes one whole word.
// Integer arithmetic only, on the bits (shaders/lib/half_bits.wgsl): a WGSL f32 -> f16
// conversion may round either way, and an adapter may flush subnormals, so this gives the same
// bits on every adapter (and the same as src/core/half.ts on the host).
// Lib: shaders/lib/half_bits.wgsl (half_from_f32_bits, f32_bits_from_half).

struct Params {
  lo: u32,
  n: u32,
  first_word: u32,
  words: u32,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read_write> halves: array<u32>;
@group(0) @binding(1) var<storage, read_write> wide: array<u32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn widen(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let e = p.lo + i;
  let h = (halves[e >> 1u] >> ((e & 1u) * 16u)) & 0xffffu;
  wide[i] = f32_bits_from_half(h);
}

@compute @workgroup_size(WG)
fn narrow(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let j = gid.x + gid.y * nwg.x * WG;
  if (j >= p.words) { return; }
  let word = p.first_word + j;
  var w = halves[word];
  for (var k = 0u; k < 2u; k++) {
    let e = 2u * word + k;
    if (e >= p.lo && e - p.lo < p.n) {
      let s = 16u * k;
      w = (w & ~(0xffffu << s)) | (half_from_f32_bits(wide[e - p.lo]) << s);
    }
  }
  halves[word] = w;
}
