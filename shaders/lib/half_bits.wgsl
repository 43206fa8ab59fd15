// half_bits.wgsl: float16 <-> float32 on the bits, in integer arithmetic (the same rules as
// src/core/half.ts): half_from_f32_bits rounds to nearest, ties to even, overflows to infinity
// and keeps NaN a (quiet) NaN; f32_bits_from_half is exact, subnormals included. Used by
// shaders/half.wgsl and by kernels that load float16 operands from packed u32 words
// (src/kernels/webgpu/halfLoads.ts).

fn half_from_f32_bits(x: u32) -> u32 {
  let sign = (x >> 16u) & 0x8000u;
  let e = i32((x >> 23u) & 0xffu);
  let m = x & 0x7fffffu;
  if (e == 255) { return sign | 0x7c00u | select(0u, 0x200u | (m >> 13u), m != 0u); } // inf; NaN made quiet
  let e16 = e - 112;
  if (e16 >= 31) { return sign | 0x7c00u; }
  if (e16 <= 0) {
    if (e16 < -10) { return sign; } // below 2^-25: zero
    let full = m | 0x800000u;
    let shift = u32(14 - e16);
    let r = full >> shift;
    let rem = full & ((1u << shift) - 1u);
    let half = 1u << (shift - 1u);
    return sign | select(r, r + 1u, rem > half || (rem == half && (r & 1u) == 1u));
  }
  let r = (u32(e16) << 10u) | (m >> 13u);
  let rem = m & 0x1fffu;
  // A carry out of the mantissa raises the exponent (to infinity above 65504): still right.
  return sign | select(r, r + 1u, rem > 0x1000u || (rem == 0x1000u && (r & 1u) == 1u));
}

fn f32_bits_from_half(h: u32) -> u32 {
  let sign = (h & 0x8000u) << 16u;
  let e = (h >> 10u) & 0x1fu;
  let m = h & 0x3ffu;
  if (e == 0u) {
    if (m == 0u) { return sign; }
    let lead = firstLeadingBit(m); // subnormal: m * 2^-24
    return sign | ((lead + 103u) << 23u) | ((m << (23u - lead)) & 0x7fffffu);
  }
  if (e == 31u) { return sign | 0x7f800000u | (m << 13u); }
  return sign | ((e + 112u) << 23u) | (m << 13u);
}

