/** Offsets of every element of a strided view, in row-major order of its shape. */
import type { View } from '../backend.js';
import { numel } from '../../core/shape.js';

export function elementOffsets(shape: readonly number[], strides: readonly number[], offset: number): Int32Array | Float64Array {
  const n = numel(shape);
  // Offsets fit int32 except on huge host arrays; use doubles there.
  const out = n > 0 && offset + maxSpan(shape, strides) > 0x7fffffff ? new Float64Array(n) : new Int32Array(n);
  const rank = shape.length;
  if (n === 0) return out;
  const idx = new Array<number>(rank).fill(0);
  let off = offset;
  for (let i = 0; i < n; i++) {
    out[i] = off;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      off += strides[d]!;
      if (idx[d]! < shape[d]!) break;
      off -= strides[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

function maxSpan(shape: readonly number[], strides: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < shape.length; i++) s += (shape[i]! - 1) * strides[i]!;
  return s;
}

/** Offsets of a view, broadcast (stride 0) to `shape`. */
export function viewOffsets(v: View, shape: readonly number[]): Int32Array | Float64Array {
  return elementOffsets(shape, v.strides, v.offset);
}
