/**
 * IEEE 754 binary16 (float16) on the host: the bit conversions every backend's float16 storage
 * uses. A float16 tensor holds 16-bit words; ops widen them to float32, compute there, and
 * round the results back (round to nearest, ties to even, as PyTorch's `.half()` does),
 * overflow to ±inf, NaN stays NaN. shaders/half.wgsl does the same in integer WGSL, so every
 * adapter rounds alike (a WGSL f32 -> f16 conversion may round either way).
 */

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** The float16 bits nearest to the float32 with bits `x` (ties to even). */
export function halfBitsFromFloatBits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const e = (x >>> 23) & 0xff;
  const m = x & 0x7fffff;
  if (e === 0xff) return sign | 0x7c00 | (m !== 0 ? 0x200 | (m >>> 13) : 0); // inf, or a quiet NaN keeping the payload's top bits
  const e16 = e - 112; // e - 127 + 15
  if (e16 >= 31) return sign | 0x7c00; // past 65504 + half an ulp: infinity
  if (e16 <= 0) {
    if (e16 < -10) return sign; // below half the smallest subnormal (2^-25): zero
    const full = m | 0x800000;
    const shift = 14 - e16; // 14..24
    const r = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    return sign | (rem > half || (rem === half && (r & 1) === 1) ? r + 1 : r);
  }
  const r = (e16 << 10) | (m >>> 13);
  const rem = m & 0x1fff;
  // A carry out of the mantissa raises the exponent (to infinity from 65504's binade): still right.
  return sign | (rem > 0x1000 || (rem === 0x1000 && (r & 1) === 1) ? r + 1 : r);
}

/** The float32 bits of the float16 with bits `h` (exact: every float16 is a float32). */
export function floatBitsFromHalfBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) {
    if (m === 0) return sign >>> 0;
    const p = 31 - Math.clz32(m); // the leading bit, 0..9: value = m * 2^-24
    return (sign | ((p + 103) << 23) | ((m << (23 - p)) & 0x7fffff)) >>> 0;
  }
  if (e === 31) return (sign | 0x7f800000 | (m << 13)) >>> 0;
  return (sign | ((e + 112) << 23) | (m << 13)) >>> 0;
}

/** The float16 bits nearest to `v` (through float32, as a float32 -> float16 cast does). */
export function halfBits(v: number): number {
  F32[0] = v;
  return halfBitsFromFloatBits(U32[0]!);
}

/** The value of the float16 with bits `h`. */
export function halfValue(h: number): number {
  U32[0] = floatBitsFromHalfBits(h);
  return F32[0]!;
}

/** `v` rounded to the nearest float16 (Math.f16round where the engine has it). */
export function roundHalf(v: number): number {
  return halfValue(halfBits(v));
}

let table: Float32Array | undefined;
/** All 65,536 float16 values, by bits (256 KiB, made on first use): widening is one lookup. */
function widenTable(): Float32Array {
  if (!table) {
    const bits = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) bits[h] = floatBitsFromHalfBits(h);
    table = new Float32Array(bits.buffer);
  }
  return table;
}

/** dst[i] = the value of src[i] for i < n (src holds float16 bits). */
export function widenHalf(src: Uint16Array, dst: Float32Array, n = src.length): void {
  const t = widenTable();
  for (let i = 0; i < n; i++) dst[i] = t[src[i]!]!;
}

/** dst[i] = the float16 bits nearest to src[i] for i < n. */
export function narrowHalf(src: Float32Array, dst: Uint16Array, n = src.length): void {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < n; i++) dst[i] = halfBitsFromFloatBits(bits[i]!);
}
