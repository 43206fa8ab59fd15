/**
 * Reference prefix sums and products (the cpu side of shaders/cumsum.wgsl): a serial pass per
 * row, float rows accumulated in doubles, int32 rows wrapped to 32 bits at each step.
 */
import type { View } from '../backend.js';
import type { TypedArray } from '../../core/dtype.js';
import type { CumsumKernels } from './types.js';

/**
 * Calls `row(starts, len, steps)` for every row along `dim` of the views (same shape): the
 * offset of each view's row start and each view's stride along dim.
 */
function eachRow(views: View[], dim: number, row: (starts: number[], len: number, steps: number[]) => void): void {
  const x = views[0]!;
  const rank = x.shape.length;
  if (x.shape.some((s) => s === 0)) return;
  const len = rank === 0 ? 1 : x.shape[dim]!;
  const steps = views.map((v) => (rank === 0 ? 0 : v.strides[dim]!));
  // The other dims number the rows; walk them with an odometer.
  const outer = x.shape.map((_, i) => i).filter((i) => i !== dim);
  const idx = outer.map(() => 0);
  for (;;) {
    const starts = views.map((v) => outer.reduce((o, d, i) => o + idx[i]! * v.strides[d]!, v.offset));
    row(starts, len, steps);
    let i = outer.length - 1;
    while (i >= 0 && ++idx[i]! === x.shape[outer[i]!]!) idx[i--] = 0;
    if (i < 0) return;
  }
}

export function cumsum(x: View, dim: number, reverse: boolean, out: View): void {
  const X = x.storage.handle as TypedArray;
  const O = out.storage.handle as TypedArray;
  const int = x.dtype === 'int32';
  eachRow([x, out], dim, ([xo, oo], len, [xStep, oStep]) => {
    let acc = 0;
    for (let j = 0; j < len; j++) {
      const k = reverse ? len - 1 - j : j;
      acc = int ? (acc + X[xo! + k * xStep!]!) | 0 : acc + X[xo! + k * xStep!]!;
      O[oo! + k * oStep!] = acc;
    }
  });
}

export function cumprod(x: View, dim: number, out: View): void {
  const X = x.storage.handle as TypedArray;
  const O = out.storage.handle as TypedArray;
  const int = x.dtype === 'int32';
  eachRow([x, out], dim, ([xo, oo], len, [xStep, oStep]) => {
    let acc = 1;
    for (let k = 0; k < len; k++) {
      acc = int ? Math.imul(acc, X[xo! + k * xStep!]!) : acc * X[xo! + k * xStep!]!;
      O[oo! + k * oStep!] = acc;
    }
  });
}

export function cumprodBackward(x: View, g: View, dim: number, out: View): void {
  const X = x.storage.handle as TypedArray;
  const G = g.storage.handle as TypedArray;
  const O = out.storage.handle as TypedArray;
  eachRow([x, g, out], dim, ([xo, go, oo], len, [xs, gs, os]) => {
    // S[k] = g[k] + x[k + 1] * S[k + 1], from the end (the sum over j >= k of g[j] times the
    // product of x past k up to j)...
    let s = 0;
    for (let k = len - 1; k >= 0; k--) {
      s = G[go! + k * gs!]! + (k + 1 < len ? X[xo! + (k + 1) * xs!]! * s : 0);
      O[oo! + k * os!] = s;
    }
    // ...times E[k], the product of x before k.
    let e = 1;
    for (let k = 0; k < len; k++) {
      O[oo! + k * os!] = O[oo! + k * os!]! * e;
      e *= X[xo! + k * xs!]!;
    }
  });
}

/** The family's table on the cpu backend. */
export const cpuKernels: CumsumKernels = { cumsum, cumprod, cumprodBackward };
