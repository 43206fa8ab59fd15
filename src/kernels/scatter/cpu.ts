/**
 * Reference scatter reductions (the cpu side of shaders/scatter_reduce.wgsl): the index's
 * elements in row-major order, each combined into its target as it comes; float values are
 * rounded to the storage type at each step, int32 sums and products wrap.
 */
import type { View } from '../backend.js';
import type { TypedArray } from '../../core/dtype.js';
import { elementOffsets, viewOffsets } from '../cpu/strided.js';
import type { ScatterKernels, ScatterMode } from './types.js';

const nanMax = (a: number, b: number): number => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b));
const nanMin = (a: number, b: number): number => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b));

function combiner(mode: ScatterMode, int: boolean): (a: number, b: number) => number {
  switch (mode) {
    case 'sum':
    case 'mean':
      return int ? (a, b) => (a + b) | 0 : (a, b) => a + b;
    case 'prod':
      return int ? (a, b) => Math.imul(a, b) : (a, b) => a * b;
    case 'amax':
      return nanMax;
    case 'amin':
      return nanMin;
    case 'assign':
      return (_a, b) => b;
  }
}

export function scatterReduce(src: View, dim: number, index: View, mode: ScatterMode, includeSelf: boolean, out: View): void {
  const base = elementOffsets(index.shape, out.strides.map((s, d) => (d === dim ? 0 : s)), out.offset);
  const oi = viewOffsets(index, index.shape);
  const os = viewOffsets(src, index.shape);
  const S = src.storage.handle as TypedArray;
  const I = index.storage.handle as TypedArray;
  const O = out.storage.handle as TypedArray;
  const size = out.shape[dim]!;
  const step = out.strides[dim]!;
  for (let i = 0; i < oi.length; i++) {
    const j = I[oi[i]!]!;
    if (j < 0 || j >= size) throw new Error(`scatterReduce: index ${j} is out of range for dimension ${dim} of size ${size} (expected 0 to ${size - 1})`);
  }
  const int = out.dtype === 'int32';
  const f = combiner(mode, int);
  const n = O.length;
  const seen = new Uint8Array(n);
  const count = mode === 'mean' ? new Int32Array(n) : undefined;
  for (let i = 0; i < base.length; i++) {
    const at = base[i]! + I[oi[i]!]! * step;
    const v = S[os[i]!]!;
    O[at] = includeSelf || seen[at] ? f(O[at]!, v) : v;
    seen[at] = 1;
    if (count) count[at]!++;
  }
  if (count) {
    const extra = includeSelf ? 1 : 0;
    for (let at = 0; at < n; at++) {
      if (count[at]! === 0) continue;
      const q = O[at]! / (count[at]! + extra);
      O[at] = int ? Math.floor(q) : q;
    }
  }
}

/** The family's table on the cpu backend. */
export const cpuKernels: ScatterKernels = { scatterReduce };
