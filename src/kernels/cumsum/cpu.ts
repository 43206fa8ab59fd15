/**
 * Reference prefix sums (the cpu side of shaders/cumsum.wgsl): a serial pass per row, float
 * rows accumulated in doubles, int32 rows wrapped to 32 bits at each step.
 */
import type { View } from '../backend.js';
import type { TypedArray } from '../../core/dtype.js';
import type { CumsumKernels } from './types.js';

export function cumsum(x: View, dim: number, reverse: boolean, out: View): void {
  const X = x.storage.handle as TypedArray;
  const O = out.storage.handle as TypedArray;
  const rank = x.shape.length;
  if (x.shape.some((s) => s === 0)) return;
  const len = rank === 0 ? 1 : x.shape[dim]!;
  const xStep = rank === 0 ? 0 : x.strides[dim]!;
  const oStep = rank === 0 ? 0 : out.strides[dim]!;
  // The other dims number the rows; walk them with an odometer.
  const outer = x.shape.map((_, i) => i).filter((i) => i !== dim);
  const idx = outer.map(() => 0);
  const int = x.dtype === 'int32';
  for (;;) {
    let xo = x.offset;
    let oo = out.offset;
    outer.forEach((d, i) => {
      xo += idx[i]! * x.strides[d]!;
      oo += idx[i]! * out.strides[d]!;
    });
    let acc = 0;
    for (let j = 0; j < len; j++) {
      const k = reverse ? len - 1 - j : j;
      acc = int ? (acc + X[xo + k * xStep]!) | 0 : acc + X[xo + k * xStep]!;
      O[oo + k * oStep] = acc;
    }
    let i = outer.length - 1;
    while (i >= 0 && ++idx[i]! === x.shape[outer[i]!]!) idx[i--] = 0;
    if (i < 0) return;
  }
}

/** The family's table on the cpu backend. */
export const cpuKernels: CumsumKernels = { cumsum };
