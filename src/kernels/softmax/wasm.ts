/**
 * The softmax binder on the wasm backend (src/kernels/wasm/c/softmax.c): float32 softmax /
 * log-softmax and the fused class-index losses, x read in place as [A, C, I] (the dims before
 * the class dim coalesced into A, those after it into I, each by one stride), rows split over
 * the threads. Anything else (float64, dims that do not coalesce, a strided target or loss)
 * runs the cpu reference, which also throws the out-of-range target error.
 */
import type { ClassLossArgs, View } from '../backend.js';
import { coalesce, isContiguous } from '../../core/shape.js';
import type { WasmRuntime } from '../wasm/runtime.js';
import { PARALLEL_WORK, ptr } from '../wasm/util.js';
import { crossEntropyCpu, nllLossCpu, softmaxCpu } from './cpu.js';
import type { SoftmaxKernels } from './types.js';

/** x as [A, C, I] with element strides [sa, sc, si], or null when the outer / inner dims do not merge into one each. */
export function rowLayout(x: View, dim: number): { A: number; C: number; I: number; sa: number; sc: number; si: number } | null {
  const before = coalesce(x.shape.slice(0, dim), [x.strides.slice(0, dim)]);
  const after = coalesce(x.shape.slice(dim + 1), [x.strides.slice(dim + 1)]);
  if (before.shape.length > 1 || after.shape.length > 1) return null;
  return {
    A: before.shape[0] ?? 1, C: x.shape[dim]!, I: after.shape[0] ?? 1,
    sa: before.strides[0]![0] ?? 0, sc: x.strides[dim]!, si: after.strides[0]![0] ?? 0,
  };
}

/** Whether v is contiguous (size-1 dims free). */
const contiguous = (v: View): boolean => isContiguous(v.shape, v.strides);

const f32 = (...vs: (View | null)[]) => vs.every((v) => !v || v.dtype === 'float32');

export function softmax(rt: WasmRuntime, x: View, dim: number, log: boolean, out: View): void {
  const L = f32(x, out) && contiguous(out) ? rowLayout(x, dim) : null;
  if (!L) return softmaxCpu(x, dim, log, out);
  if (L.A * L.I === 0 || L.C === 0) return;
  rt.run('softmax_f32', [ptr(x), L.A, L.C, L.I, L.sa, L.sc, L.si, log ? 1 : 0, ptr(out)], L.A * L.C * L.I >= PARALLEL_WORK / 4 && L.A * L.I > 1);
}

/**
 * The class weights as a contiguous float32 block (the view itself, or a copy in `temps`), and
 * their sum in doubles in the reference's order.
 */
function weights(rt: WasmRuntime, w: View | null, C: number, temps: number[]): { at: number; total: number } {
  if (!w) return { at: 0, total: C };
  const W = w.storage.handle as Float32Array;
  let total = 0;
  for (let c = 0; c < C; c++) total += W[w.offset + c * w.strides[0]!]!;
  if (C <= 1 || w.strides[0] === 1) return { at: ptr(w), total };
  const at = rt.alloc(4 * C);
  temps.push(at, 4 * C);
  const dst = new Float32Array(rt.memory.buffer, at, C);
  for (let c = 0; c < C; c++) dst[c] = W[w.offset + c * w.strides[0]!]!;
  return { at, total };
}

/** Whether every target is a class of [0, C) or ignoreIndex (else the reference throws the error). */
function targetsOk(t: View, n: number, C: number, ignore: number): boolean {
  const T = t.storage.handle as Int32Array;
  for (let i = t.offset, end = t.offset + n; i < end; i++) {
    const v = T[i]!;
    if (v !== ignore && (v < 0 || v >= C)) return false;
  }
  return true;
}

/** The layout of a class loss, or null when it takes the reference. */
function lossLayout(a: ClassLossArgs, grad: View | null) {
  if (!f32(a.x, a.weight, a.loss, a.rowWeight, grad) || a.target.dtype !== 'int32') return null;
  if (!contiguous(a.target) || !contiguous(a.loss) || !contiguous(a.rowWeight) || (grad && !contiguous(grad))) return null;
  const L = rowLayout(a.x, a.dim);
  if (!L || !targetsOk(a.target, L.A * L.I, L.C, a.ignoreIndex)) return null;
  return L;
}

export function crossEntropy(rt: WasmRuntime, a: ClassLossArgs, labelSmoothing: number, grad: View | null): void {
  const L = lossLayout(a, grad);
  if (!L) return crossEntropyCpu(a, labelSmoothing, grad);
  if (L.A * L.I === 0) return;
  const temps: number[] = [];
  try {
    const w = weights(rt, a.weight, L.C, temps);
    rt.run('cross_entropy_f32', [
      ptr(a.x), L.A, L.C, L.I, L.sa, L.sc, L.si, ptr(a.target), w.at, w.total, a.ignoreIndex, labelSmoothing,
      ptr(a.loss), ptr(a.rowWeight), grad ? ptr(grad) : 0,
    ], L.A * L.C * L.I >= PARALLEL_WORK / 4 && L.A * L.I > 1);
  } finally {
    for (let i = 0; i < temps.length; i += 2) rt.release(temps[i]!, temps[i + 1]!);
  }
}

export function nllLoss(rt: WasmRuntime, a: ClassLossArgs): void {
  const L = lossLayout(a, null);
  if (!L) return nllLossCpu(a);
  if (L.A * L.I === 0) return;
  const temps: number[] = [];
  try {
    const w = weights(rt, a.weight, L.C, temps);
    rt.run('nll_loss_f32', [
      ptr(a.x), L.A, L.C, L.I, L.sa, L.sc, L.si, ptr(a.target), w.at, a.ignoreIndex, ptr(a.loss), ptr(a.rowWeight),
    ], false);
  } finally {
    for (let i = 0; i < temps.length; i += 2) rt.release(temps[i]!, temps[i + 1]!);
  }
}

/** The family's table on the wasm backend. */
export function wasmKernels(rt: WasmRuntime): SoftmaxKernels {
  return {
    softmax: (x, dim, log, out) => softmax(rt, x, dim, log, out),
    crossEntropy: (a, e, grad) => crossEntropy(rt, a, e, grad),
    nllLoss: (a) => nllLoss(rt, a),
  };
}
