/**
 * Element types. `float64` exists only on the `cpu` backend (for gradient checks);
 * `bool` is what comparisons return (stored as one byte on cpu, one u32 on webgpu).
 */
export type DType = 'float32' | 'int32' | 'float64' | 'bool';

export const DTYPES: readonly DType[] = ['float32', 'int32', 'float64', 'bool'];

export type TypedArray = Float32Array | Int32Array | Float64Array | Uint8Array;

export interface TypedArrayFor {
  float32: Float32Array;
  int32: Int32Array;
  float64: Float64Array;
  bool: Uint8Array;
}

export function isDType(x: unknown): x is DType {
  return typeof x === 'string' && (DTYPES as readonly string[]).includes(x);
}

export function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float64';
}

/** Allocates a zeroed host array for `n` elements of `dtype`. */
export function allocArray(dtype: DType, n: number): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(n);
    case 'int32': return new Int32Array(n);
    case 'float64': return new Float64Array(n);
    case 'bool': return new Uint8Array(n);
  }
}

/** Copies (and converts) any numeric array-like into a host array of `dtype`. */
export function toArray(dtype: DType, src: ArrayLike<number | boolean>): TypedArray {
  const out = allocArray(dtype, src.length);
  if (dtype === 'bool') {
    for (let i = 0; i < src.length; i++) out[i] = Number(src[i]) !== 0 ? 1 : 0; // NaN is true, as a cast makes it
  } else if (dtype === 'int32') {
    // Truncate toward zero as a cast does (Int32Array alone would wrap NaN to 0 silently too).
    for (let i = 0; i < src.length; i++) out[i] = Math.trunc(Number(src[i]));
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
  return undefined;
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** Type promotion of two tensors (PyTorch's category order: bool < int < float). */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * The dtype a JS number scalar takes next to a tensor of `t`: an integer-valued number keeps an
 * int tensor int; a fractional one makes it float32. Floats keep their own width.
 */
export function promoteWithScalar(t: DType, value: number | boolean): DType {
  if (typeof value === 'boolean') return t;
  if (isFloat(t)) return t;
  if (Number.isInteger(value)) return t === 'bool' ? 'int32' : t;
  return 'float32';
}

/** The float type ops like `exp` compute in: float64 stays, everything else is float32. */
export function floatTypeFor(d: DType): DType {
  return d === 'float64' ? 'float64' : 'float32';
}
