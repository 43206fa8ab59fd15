/** Offsets of every element of a strided view, in row-major order of its shape. */
import type { View } from '../backend.js';
import { numel } from '../../core/shape.js';

export function elementOffsets(shape: readonly number[], strides: readonly number[], offset: number): Int32Array | Float64Array {
  const n = numel(shape);
  // Offsets fit int32 except on huge host arrays; use doubles there.
  const out = n > 0 && offset + maxSpan(shape, strides) > 0x7fffffff ? new Float64Array(n) : new Int32Array(n);
  const rank = shape.length;
  if (n === 0) return out;
  if (rank === 0) {
    out[0] = offset;
    return out;
  }
  // The last dim in a plain loop, the odometer over the others once per run of it.
  const last = shape[rank - 1]!;
  const step = strides[rank - 1]!;
  const idx = new Array<number>(rank).fill(0);
  let off = offset;
  for (let i = 0; i < n; ) {
    for (let j = 0, o = off; j < last; j++, o += step) out[i++] = o;
    for (let d = rank - 2; d >= 0; d--) {
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

/**
 * A strided loop over `shape` for several operands, as runs: the shape's dims are merged where
 * every operand's strides allow it, the last merged dim is walked with a stride per operand
 * (`steps`, `inner` elements a run), and `starts[k]` holds operand k's offset at the start of
 * each run. Broadcast (stride 0) and transposed operands then cost a table of n / inner
 * offsets instead of n, and the inner loop is a plain strided walk.
 */
export interface Runs {
  readonly inner: number;
  readonly steps: readonly number[];
  readonly starts: readonly (Int32Array | Float64Array)[];
}

export function stridedRuns(shape: readonly number[], views: readonly { readonly strides: readonly number[]; readonly offset: number }[]): Runs {
  // Drop size-1 dims, then merge neighbours (d, d+1) where stride[d] = stride[d+1] * shape[d+1] for all.
  const dims: number[] = [];
  const strides: number[][] = views.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && views.every((v, k) => strides[k]![last]! === v.strides[d]! * shape[d]!)) {
      dims[last] = dims[last]! * shape[d]!;
      views.forEach((v, k) => { strides[k]![last] = v.strides[d]!; });
    } else {
      dims.push(shape[d]!);
      views.forEach((v, k) => strides[k]!.push(v.strides[d]!));
    }
  }
  if (numel(shape) === 0) return { inner: 0, steps: views.map(() => 0), starts: views.map(() => new Int32Array(0)) };
  if (dims.length === 0) return { inner: 1, steps: views.map(() => 0), starts: views.map((v) => Int32Array.of(v.offset)) };
  const inner = dims[dims.length - 1]!;
  const outer = dims.slice(0, -1);
  return {
    inner,
    steps: strides.map((s) => s[s.length - 1]!),
    starts: views.map((v, k) => elementOffsets(outer, strides[k]!.slice(0, -1), v.offset)),
  };
}
