/**
 * The normalization binder on the wasm backend (src/kernels/wasm/c/norm.c): batch norm's
 * statistics, apply and backward of float32 x [N, C, S], and the row normalization of layerNorm
 * and groupNorm (rows over the threads), in doubles as the reference (the per-element formulas in its
 * order, the sums in f64x2 lanes), channels (or planes) split over the threads when the work is
 * large. Other dtypes, or views that are not contiguous, run the cpu reference.
 */
import type { View } from '../backend.js';
import { isContiguous } from '../../core/shape.js';
import type { WasmRuntime } from '../wasm/runtime.js';
import { PARALLEL_WORK, ptr } from '../wasm/util.js';
import * as reference from './cpu.js';
import type { NormKernels, RowNormShape } from './types.js';

/** Whether v is contiguous (size-1 dims free). */
const contiguous = (v: View): boolean => isContiguous(v.shape, v.strides);

const ok = (...vs: (View | null)[]) => vs.every((v) => !v || (v.dtype === 'float32' && contiguous(v)));
const at = (v: View | null) => (v ? ptr(v) : 0);
const dims = (x: View) => [x.shape[0]!, x.shape[1]!, x.shape[2]!] as const;

export function batchNormStats(rt: WasmRuntime, x: View, mean: View, variance: View): void {
  if (!ok(x, mean, variance)) return reference.batchNormStats(x, mean, variance);
  const [N, C, S] = dims(x);
  if (C === 0) return;
  rt.run('bn_stats_f32', [ptr(x), N, C, S, ptr(mean), ptr(variance)], C > 1 && N * C * S >= PARALLEL_WORK);
}

export function batchNormApply(rt: WasmRuntime, x: View, mean: View, variance: View, weight: View | null, bias: View | null, eps: number, y: View): void {
  if (!ok(x, mean, variance, weight, bias, y)) return reference.batchNormApply(x, mean, variance, weight, bias, eps, y);
  const [N, C, S] = dims(x);
  if (N * C * S === 0) return;
  rt.run('bn_apply_f32', [ptr(x), N, C, S, ptr(mean), ptr(variance), at(weight), at(bias), eps, ptr(y)], N * C > 1 && N * C * S >= PARALLEL_WORK);
}

export function batchNormBackward(rt: WasmRuntime, g: View, x: View, mean: View, variance: View, weight: View | null, eps: number, batchStats: boolean, sums: View, dx: View): void {
  if (!ok(g, x, mean, variance, weight, sums, dx)) return reference.batchNormBackward(g, x, mean, variance, weight, eps, batchStats, sums, dx);
  const [N, C, S] = dims(x);
  if (C === 0) return;
  rt.run('bn_backward_f32', [ptr(g), ptr(x), N, C, S, ptr(mean), ptr(variance), at(weight), eps, batchStats ? 1 : 0, ptr(sums), ptr(dx)], C > 1 && N * C * S >= PARALLEL_WORK);
}

export function rowNormForward(rt: WasmRuntime, x: View, weight: View | null, bias: View | null, s: RowNormShape, eps: number, y: View, stats: View): void {
  if (!ok(x, weight, bias, y, stats)) return reference.rowNormForward(x, weight, bias, s, eps, y, stats);
  if (s.rows * s.len === 0) return;
  rt.run('row_norm_forward_f32', [ptr(x), s.rows, s.len, s.groups, s.per, at(weight), at(bias), eps, ptr(y), ptr(stats)], s.rows > 1 && s.rows * s.len >= PARALLEL_WORK / 4);
}

export function rowNormBackward(rt: WasmRuntime, g: View, x: View, weight: View | null, s: RowNormShape, stats: View, dx: View): void {
  if (!ok(g, x, weight, stats, dx)) return reference.rowNormBackward(g, x, weight, s, stats, dx);
  if (s.rows * s.len === 0) return;
  rt.run('row_norm_backward_f32', [ptr(g), ptr(x), s.rows, s.len, s.groups, s.per, at(weight), ptr(stats), ptr(dx)], s.rows > 1 && s.rows * s.len >= PARALLEL_WORK / 4);
}

/** The family's table on the wasm backend. */
export function wasmKernels(rt: WasmRuntime): NormKernels {
  return {
    batchNormStats: (x, mean, variance) => batchNormStats(rt, x, mean, variance),
    batchNormApply: (x, mean, variance, weight, bias, eps, y) => batchNormApply(rt, x, mean, variance, weight, bias, eps, y),
    batchNormBackward: (g, x, mean, variance, weight, eps, batchStats, sums, dx) => batchNormBackward(rt, g, x, mean, variance, weight, eps, batchStats, sums, dx),
    rowNormForward: (x, weight, bias, s, eps, y, stats) => rowNormForward(rt, x, weight, bias, s, eps, y, stats),
    rowNormBackward: (g, x, weight, s, stats, dx) => rowNormBackward(rt, g, x, weight, s, stats, dx),
  };
}
