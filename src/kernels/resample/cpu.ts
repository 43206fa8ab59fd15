/** Reference resampling along one axis and its adjoint (the cpu side of shaders/resample.wgsl), in doubles. */
import type { View } from '../backend.js';
import type { TypedArray } from '../../core/dtype.js';
import type { ResampleAxis, ResampleKernels } from './types.js';

export function resampleAxis(x: View, a: ResampleAxis, out: View): void {
  const X = x.storage.handle as TypedArray;
  const O = out.storage.handle as TypedArray;
  const [outer, , inner] = x.shape as [number, number, number];
  const [s0, s1, s2] = x.strides as [number, number, number];
  let e = out.offset;
  for (let n = 0; n < outer; n++) {
    for (let o = 0; o < a.outLen; o++) {
      const l = a.lambda[o]!;
      for (let j = 0; j < inner; j++) {
        const base = x.offset + n * s0 + j * s2;
        const v0 = X[base + a.i0[o]! * s1]!;
        O[e++] = a.nearest ? v0 : (1 - l) * v0 + l * X[base + a.i1[o]! * s1]!;
      }
    }
  }
}

/** The adjoint, as the transpose of resampleAxis: out[i] = the sum over the outputs o that read i of their weight times g[o]. */
export function resampleAxisBackward(g: View, a: ResampleAxis, out: View): void {
  const G = g.storage.handle as TypedArray;
  const O = out.storage.handle as TypedArray;
  const [outer, , inner] = g.shape as [number, number, number];
  const [s0, s1, s2] = g.strides as [number, number, number];
  O.fill(0, out.offset, out.offset + outer * a.inLen * inner);
  for (let n = 0; n < outer; n++) {
    for (let o = 0; o < a.outLen; o++) {
      const l = a.nearest ? 0 : a.lambda[o]!;
      for (let j = 0; j < inner; j++) {
        const gv = G[g.offset + n * s0 + o * s1 + j * s2]!;
        const base = out.offset + n * a.inLen * inner + j;
        if (1 - l !== 0) O[base + a.i0[o]! * inner] += (1 - l) * gv;
        if (l !== 0) O[base + a.i1[o]! * inner] += l * gv;
      }
    }
  }
}

/** The family's table on the cpu backend. */
export const cpuKernels: ResampleKernels = { resampleAxis, resampleAxisBackward };
