/**
 * CPU reference for softmax / log-softmax and the class-index losses (cross-entropy with its
 * gradient, nll). Plain loops in doubles, rounded once on store; float32 and float64 alike.
 * Written from the definitions, not from the WGSL.
 */
import type { ClassLossArgs, View } from '../backend.js';
import type { TypedArray } from '../../core/dtype.js';
import { elementOffsets } from '../cpu/strided.js';
import type { SoftmaxKernels } from './types.js';

const arr = (v: View): TypedArray => v.storage.handle as TypedArray;
const without = <T>(list: readonly T[], dim: number): T[] => list.filter((_, i) => i !== dim);

/**
 * out = softmax(x) along `dim` (log-softmax when `log`). The row max is subtracted first, so
 * large logits neither overflow nor underflow; a row whose max is +-inf or NaN gives NaN (the
 * shifted values are NaN there), as PyTorch's softmax does.
 */
export function softmaxCpu(x: View, dim: number, log: boolean, out: View): void {
  const C = x.shape[dim]!;
  const outer = without(x.shape, dim);
  const xBase = elementOffsets(outer, without(x.strides, dim), x.offset);
  const oBase = elementOffsets(outer, without(out.strides, dim), out.offset);
  const xs = x.strides[dim]!;
  const os = out.strides[dim]!;
  const X = arr(x);
  const O = arr(out);
  const row = new Float64Array(C);
  for (let r = 0; r < xBase.length; r++) {
    let max = -Infinity;
    for (let c = 0; c < C; c++) {
      const v = X[xBase[r]! + c * xs]!;
      row[c] = v;
      max = Math.max(max, v); // NaN propagates
    }
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(row[c]! - max);
    const logSum = Math.log(sum);
    for (let c = 0; c < C; c++) {
      const shifted = row[c]! - max;
      O[oBase[r]! + c * os] = log ? shifted - logSum : Math.exp(shifted) / sum;
    }
  }
}

/** Throws (naming `op`) on the first target that is neither a class of [0, C) nor ignoreIndex. */
function readTargets(op: string, a: ClassLossArgs): Int32Array {
  const C = a.x.shape[a.dim]!;
  const outer = without(a.x.shape, a.dim);
  const offs = elementOffsets(outer, a.target.strides, a.target.offset);
  const T = arr(a.target);
  const t = new Int32Array(offs.length);
  for (let i = 0; i < offs.length; i++) {
    const v = T[offs[i]!]!;
    if (v !== a.ignoreIndex && (v < 0 || v >= C)) {
      throw new Error(`${op}: target class ${v} is out of range for ${C} classes (expected 0 to ${C - 1}, or ignoreIndex ${a.ignoreIndex})`);
    }
    t[i] = v;
  }
  return t;
}

function classWeights(a: ClassLossArgs): Float64Array {
  const C = a.x.shape[a.dim]!;
  const w = new Float64Array(C).fill(1);
  if (a.weight) {
    const W = arr(a.weight);
    for (let c = 0; c < C; c++) w[c] = W[a.weight.offset + c * a.weight.strides[0]!]!;
  }
  return w;
}

/**
 * Cross-entropy with class indices and PyTorch's label smoothing e (C classes, weights w):
 *   loss_i = -(1 - e) w[t] logp[t] - (e / C) sum_c w[c] logp[c]
 * and, when `grad` is given, its derivative w.r.t. the logits,
 *   (1 - e) w[t] (p - onehot(t)) + (e / C) sum_k w[k] (p - onehot(k)).
 * rowWeight_i = w[t_i]; ignored samples get 0 everywhere.
 */
export function crossEntropyCpu(a: ClassLossArgs, labelSmoothing: number, grad: View | null): void {
  const t = readTargets('crossEntropy', a);
  const C = a.x.shape[a.dim]!;
  const outer = without(a.x.shape, a.dim);
  const xBase = elementOffsets(outer, without(a.x.strides, a.dim), a.x.offset);
  const gBase = grad ? elementOffsets(outer, without(grad.strides, a.dim), grad.offset) : null;
  const xs = a.x.strides[a.dim]!;
  const gs = grad ? grad.strides[a.dim]! : 0;
  const lo = elementOffsets(outer, a.loss.strides, a.loss.offset);
  const wo = elementOffsets(outer, a.rowWeight.strides, a.rowWeight.offset);
  const X = arr(a.x);
  const L = arr(a.loss);
  const RW = arr(a.rowWeight);
  const G = grad ? arr(grad) : null;
  const w = classWeights(a);
  let wTotal = 0;
  for (let c = 0; c < C; c++) wTotal += w[c]!;
  const e = labelSmoothing;
  const logp = new Float64Array(C);
  for (let i = 0; i < t.length; i++) {
    const k = t[i]!;
    if (k === a.ignoreIndex) {
      L[lo[i]!] = 0;
      RW[wo[i]!] = 0;
      if (G) for (let c = 0; c < C; c++) G[gBase![i]! + c * gs] = 0;
      continue;
    }
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, X[xBase[i]! + c * xs]!);
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(X[xBase[i]! + c * xs]! - max);
    const logSum = Math.log(sum);
    let smooth = 0;
    for (let c = 0; c < C; c++) {
      logp[c] = X[xBase[i]! + c * xs]! - max - logSum;
      smooth -= w[c]! * logp[c]!;
    }
    // Without smoothing its sum is left out: a -inf logit makes it inf, and 0 * inf is NaN
    // (PyTorch: cross_entropy([[0, -inf, 1]], [0]) is finite).
    L[lo[i]!] = -(1 - e) * w[k]! * logp[k]! + (e > 0 ? (e / C) * smooth : 0);
    RW[wo[i]!] = w[k]!;
    if (G) {
      for (let c = 0; c < C; c++) {
        const p = Math.exp(logp[c]!);
        const target = (1 - e) * w[k]! * (c === k ? 1 : 0) + (e / C) * w[c]!;
        G[gBase![i]! + c * gs] = p * ((1 - e) * w[k]! + (e / C) * wTotal) - target;
      }
    }
  }
}

/** loss_i = -w[t_i] x[i, t_i], rowWeight_i = w[t_i]; ignored samples get 0. */
export function nllLossCpu(a: ClassLossArgs): void {
  const t = readTargets('nllLoss', a);
  const outer = without(a.x.shape, a.dim);
  const xBase = elementOffsets(outer, without(a.x.strides, a.dim), a.x.offset);
  const xs = a.x.strides[a.dim]!;
  const lo = elementOffsets(outer, a.loss.strides, a.loss.offset);
  const wo = elementOffsets(outer, a.rowWeight.strides, a.rowWeight.offset);
  const X = arr(a.x);
  const L = arr(a.loss);
  const RW = arr(a.rowWeight);
  const w = classWeights(a);
  for (let i = 0; i < t.length; i++) {
    const k = t[i]!;
    const ignored = k === a.ignoreIndex;
    L[lo[i]!] = ignored ? 0 : -w[k]! * X[xBase[i]! + k * xs]!;
    RW[wo[i]!] = ignored ? 0 : w[k]!;
  }
}

/** The family's table on the cpu backend. */
export const cpuKernels: SoftmaxKernels = { softmax: softmaxCpu, crossEntropy: crossEntropyCpu, nllLoss: nllLossCpu };
