/**
 * Reference batch normalization (the cpu side of shaders/batch_norm*.wgsl): x is [N, C, S],
 * contiguous; statistics per channel over N * S, in doubles.
 */
import type { View } from '../backend.js';
import type { TypedArray } from '../../core/dtype.js';
import type { NormKernels, RowNormShape } from './types.js';

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

/** The affine parameter of element i of row r (types.ts). */
const param = (s: RowNormShape, r: number, i: number) => (r % s.groups) * (s.len / s.per) + Math.floor(i / s.per);

export function rowNormForward(x: View, weight: View | null, bias: View | null, s: RowNormShape, eps: number, y: View, stats: View): void {
  const [X, Y, ST] = [arr(x), arr(y), arr(stats)];
  const W = weight ? arr(weight) : null;
  const B = bias ? arr(bias) : null;
  const L = s.len;
  for (let r = 0; r < s.rows; r++) {
    const base = x.offset + r * L;
    let sum = 0;
    for (let i = 0; i < L; i++) sum += X[base + i]!;
    const m = sum / L;
    let q = 0;
    for (let i = 0; i < L; i++) {
      const d = X[base + i]! - m;
      q += d * d;
    }
    const rstd = 1 / Math.sqrt(q / L + eps);
    for (let i = 0; i < L; i++) {
      const k = param(s, r, i);
      const v = (X[base + i]! - m) * rstd;
      Y[y.offset + r * L + i] = (W ? v * W[weight!.offset + k]! : v) + (B ? B[bias!.offset + k]! : 0);
    }
    ST[stats.offset + r] = m;
    ST[stats.offset + s.rows + r] = rstd;
  }
}

export function rowNormBackward(g: View, x: View, weight: View | null, s: RowNormShape, stats: View, dx: View): void {
  const [G, X, ST, D] = [arr(g), arr(x), arr(stats), arr(dx)];
  const W = weight ? arr(weight) : null;
  const L = s.len;
  for (let r = 0; r < s.rows; r++) {
    const m = ST[stats.offset + r]!;
    const rstd = ST[stats.offset + s.rows + r]!;
    let a = 0;
    let b = 0;
    for (let i = 0; i < L; i++) {
      const dh = G[g.offset + r * L + i]! * (W ? W[weight!.offset + param(s, r, i)]! : 1);
      a += dh;
      b += dh * (X[x.offset + r * L + i]! - m) * rstd;
    }
    for (let i = 0; i < L; i++) {
      const dh = G[g.offset + r * L + i]! * (W ? W[weight!.offset + param(s, r, i)]! : 1);
      const xh = (X[x.offset + r * L + i]! - m) * rstd;
      D[dx.offset + r * L + i] = rstd * (dh - a / L - (xh * b) / L);
    }
  }
}

/** The family's table on the cpu backend. */
export const cpuKernels: NormKernels = { batchNormStats, batchNormApply, batchNormBackward, rowNormForward, rowNormBackward };
