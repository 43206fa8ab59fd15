import { roundHalf } from './half.js';

/**
 * Element types. `float16` is stored as 16-bit words on every backend (half the memory of
 * float32); ops compute in float32 and round their results to float16 (src/kernels/half.ts).
 * `float64` exists only on the `cpu` backend (for gradient checks);
 * `bool` is what comparisons return (stored as one byte on cpu, one u32 on webgpu).
 * `int8` and `uint8` are storage types for quantized weights, on cpu only (WGSL has no 8-bit
 * storage type; see docs/ARCHITECTURE.md, "Dtypes").
 */
export type DType = 'float32' | 'float16' | 'int32' | 'float64' | 'bool' | 'int8' | 'uint8';

export const DTYPES: readonly DType[] = ['float32', 'float16', 'int32', 'float64', 'bool', 'int8', 'uint8'];

/** The dtype names, for error messages: 'float32, float16, int32, float64, bool, int8 or uint8'. */
export const DTYPE_LIST = `${DTYPES.slice(0, -1).join(', ')} or ${DTYPES[DTYPES.length - 1]}`;

export type TypedArray = Float32Array | Int32Array | Float64Array | Uint8Array | Int8Array;

/** The host array each dtype reads into and is made from (float16's values are float32s). */
export interface TypedArrayFor {
  float32: Float32Array;
  float16: Float32Array;
  int32: Int32Array;
  float64: Float64Array;
  bool: Uint8Array;
  int8: Int8Array;
  uint8: Uint8Array;
}

export function isDType(x: unknown): x is DType {
  return typeof x === 'string' && (DTYPES as readonly string[]).includes(x);
}

export function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float16' || d === 'float64';
}

/** int32, int8 and uint8: the integer types (bool is not one, as in PyTorch's is_floating_point/is_signed split). */
export function isIntegral(d: DType): boolean {
  return d === 'int32' || d === 'int8' || d === 'uint8';
}

/** Allocates a zeroed host array for `n` elements of `dtype` (float16: a Float32Array of its values). */
export function allocArray(dtype: DType, n: number): TypedArray {
  switch (dtype) {
    case 'float32':
    case 'float16': return new Float32Array(n);
    case 'int32': return new Int32Array(n);
    case 'float64': return new Float64Array(n);
    case 'bool': return new Uint8Array(n);
    case 'int8': return new Int8Array(n);
    case 'uint8': return new Uint8Array(n);
  }
}

/** Copies (and converts) any numeric array-like into a host array of `dtype`. */
export function toArray(dtype: DType, src: ArrayLike<number | boolean>): TypedArray {
  const out = allocArray(dtype, src.length);
  if (dtype === 'bool') {
    for (let i = 0; i < src.length; i++) out[i] = Number(src[i]) !== 0 ? 1 : 0; // NaN is true, as a cast makes it
  } else if (isIntegral(dtype)) {
    // Truncate toward zero as a cast does (Int32Array alone would wrap NaN to 0 silently too);
    // int8/uint8 then wrap modulo 256, as the typed array stores it.
    for (let i = 0; i < src.length; i++) out[i] = Math.trunc(Number(src[i]));
  } else if (dtype === 'float16') {
    for (let i = 0; i < src.length; i++) out[i] = roundHalf(Number(src[i]));
  } else {
    for (let i = 0; i < src.length; i++) out[i] = Number(src[i]);
  }
  return out;
}

/** The dtype a TypedArray holds (Uint8Array is read as bool). */
export function dtypeOfArray(a: ArrayBufferView): DType | undefined {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Uint8Array) return 'bool';
  if (a instanceof Int8Array) return 'int8';
  return undefined;
}

const RANK: Record<DType, number> = { bool: 0, uint8: 1, int8: 1, int32: 2, float16: 3, float32: 4, float64: 5 };

/**
 * Type promotion of two tensors (PyTorch's category order: bool < int < float, and the wider
 * type within one). int8 with uint8 is int16 in PyTorch; webgrad has no int16, so it is int32.
 */
export function promoteTypes(a: DType, b: DType): DType {
  if (RANK[a] === RANK[b] && a !== b) return 'int32';
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * The dtype a JS number scalar takes next to a tensor of `t`: an integer-valued number keeps an
 * int tensor int; a fractional one makes it float32. Floats keep their own width.
 */
export function promoteWithScalar(t: DType, value: number | boolean): DType {
  if (typeof value === 'boolean') return t;
  if (isFloat(t)) return t;
  if (Number.isInteger(value)) return t === 'bool' ? 'int32' : t; // an int8 tensor stays int8 (the scalar wraps into its range)
  return 'float32';
}

/** The float type ops like `exp` give: float64 and float16 stay, everything else is float32. */
export function floatTypeFor(d: DType): DType {
  return d === 'float64' || d === 'float16' ? d : 'float32';
}
