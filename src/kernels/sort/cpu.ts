/**
 * Reference row sort (the cpu side of shaders/sort.wgsl): each row's positions sorted by a
 * comparator on (value, position), NaN as the largest value, so the order is total and ties
 * keep their input order.
 */
import type { View } from '../backend.js';
import type { TypedArray } from '../../core/dtype.js';
import { viewOffsets } from '../cpu/strided.js';
import type { SortKernels } from './types.js';

export function sort(x: View, descending: boolean, values: View, indices: View): void {
  const X = x.storage.handle as TypedArray;
  const V = values.storage.handle as TypedArray;
  const I = indices.storage.handle as TypedArray;
  const n = x.shape.reduce((a, b) => a * b, 1);
  if (n === 0) return;
  const len = x.shape.length === 0 ? 1 : x.shape[x.shape.length - 1]!;
  const offs = viewOffsets(x, x.shape); // row-major: row r, column c at r * len + c
  const order = new Array<number>(len);
  const sign = descending ? -1 : 1;
  for (let base = 0; base < n; base += len) {
    for (let c = 0; c < len; c++) order[c] = c;
    order.sort((a, b) => {
      const va = X[offs[base + a]!]!;
      const vb = X[offs[base + b]!]!;
      const na = Number.isNaN(va);
      const nb = Number.isNaN(vb);
      if (na || nb) return na && nb ? a - b : (na ? 1 : -1) * sign;
      if (va < vb) return -sign;
      if (va > vb) return sign;
      return a - b;
    });
    for (let c = 0; c < len; c++) {
      V[values.offset + base + c] = X[offs[base + order[c]!]!]!;
      I[indices.offset + base + c] = order[c]!;
    }
  }
}

/** The family's table on the cpu backend. */
export const cpuKernels: SortKernels = { sort };
