/**
 * Reference batch normalization (the cpu side of shaders/batch_norm*.wgsl): x is [N, C, S],
 * contiguous; statistics per channel over N * S, in doubles.
 */
import type { View } from '../backend.js';
import type { TypedArray } from '../../core/dtype.js';
import type { NormKernels } from './types.js';

const arr = (v: View): TypedArray => v.storage.handle as TypedArray;

function dims(x: View): [number, number, number] {
  return [x.shape[0]!, x.shape[1]!, x.shape[2]!];
}

export function batchNormStats(x: View, mean: View, variance: View): void {
  const [N, C, S] = dims(x);
  const X = arr(x);
  const M = arr(mean);
  const V = arr(variance);
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let n = 0; n < N; n++) for (let k = 0; k < S; k++) s += X[x.offset + (n * C + c) * S + k]!;
    const m = s / (N * S);
    let q = 0;
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < S; k++) {
        const d = X[x.offset + (n * C + c) * S + k]! - m;
        q += d * d;
      }
    }
    M[mean.offset + c] = m;
    V[variance.offset + c] = q / (N * S);
  }
}

export function batchNormApply(x: View, mean: View, variance: View, weight: View | null, bias: View | null, eps: number, y: View): void {
  const [N, C, S] = dims(x);
  const [X, M, V, Y] = [arr(x), arr(mean), arr(variance), arr(y)];
  const W = weight ? arr(weight) : null;
  const B = bias ? arr(bias) : null;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const r = 1 / Math.sqrt(V[variance.offset + c]! + eps);
      const w = W ? W[weight!.offset + c]! : 1;
      const b = B ? B[bias!.offset + c]! : 0;
      const m = M[mean.offset + c]!;
      for (let k = 0; k < S; k++) {
        const i = (n * C + c) * S + k;
        Y[y.offset + i] = (X[x.offset + i]! - m) * r * w + b;
      }
    }
  }
}

/** sums[c] = sum(g), sums[C + c] = sum(g * xhat); dx from them (batch statistics) or g * w * invstd (fixed ones). */
export function batchNormBackward(g: View, x: View, mean: View, variance: View, weight: View | null, eps: number, batchStats: boolean, sums: View, dx: View): void {
  const [N, C, S] = dims(x);
  const [G, X, M, V, SU, D] = [arr(g), arr(x), arr(mean), arr(variance), arr(sums), arr(dx)];
  const W = weight ? arr(weight) : null;
  const count = N * S;
  for (let c = 0; c < C; c++) {
    const m = M[mean.offset + c]!;
    const r = 1 / Math.sqrt(V[variance.offset + c]! + eps);
    const w = W ? W[weight!.offset + c]! : 1;
    let sg = 0;
    let sgx = 0;
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < S; k++) {
        const i = (n * C + c) * S + k;
        sg += G[g.offset + i]!;
        sgx += G[g.offset + i]! * (X[x.offset + i]! - m) * r;
      }
    }
    SU[sums.offset + c] = sg;
    SU[sums.offset + C + c] = sgx;
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < S; k++) {
        const i = (n * C + c) * S + k;
        const gi = G[g.offset + i]!;
        D[dx.offset + i] = batchStats ? w * r * (gi - sg / count - ((X[x.offset + i]! - m) * r * sgx) / count) : gi * w * r;
      }
    }
  }
}

/** The family's table on the cpu backend. */
export const cpuKernels: NormKernels = { batchNormStats, batchNormApply, batchNormBackward };
