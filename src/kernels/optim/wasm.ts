/**
 * The optimizer binder on the wasm backend (src/kernels/wasm/c/optim.c): every kind's fused
 * step on float32 tensors, in doubles in the reference's order (so bit for bit the cpu
 * reference's result), the elements split over the threads when there are many. Other dtypes
 * run the cpu reference.
 */
import type { OptimizerHyper, OptimizerKind, View } from '../backend.js';
import { isContiguous } from '../../core/shape.js';
import type { WasmRuntime } from '../wasm/runtime.js';
import { PARALLEL_WORK, ptr } from '../wasm/util.js';
import { optimizerStep } from './cpu.js';
import type { OptimKernels } from './types.js';

/** Whether v is contiguous (size-1 dims free). */
const contiguous = (v: View): boolean => isContiguous(v.shape, v.strides);

export function step(rt: WasmRuntime, kind: OptimizerKind, param: View, grad: View, state: readonly (View | null)[], h: OptimizerHyper): void {
  const views = [param, grad, ...state];
  if (!views.every((v) => !v || (v.dtype === 'float32' && contiguous(v)))) return optimizerStep(kind, param, grad, state, h);
  const n = param.shape.reduce((a, b) => a * b, 1);
  if (n === 0) return;
  const s = [0, 1, 2].map((i) => (state[i] ? ptr(state[i]!) : 0));
  const p = ptr(param);
  const g = ptr(grad);
  const par = n >= PARALLEL_WORK;
  const b = (x: boolean) => (x ? 1 : 0);
  switch (kind) {
    case 'sgd':
      return rt.run('sgd_f32', [p, g, s[0]!, n, h.lr, h.weightDecay, b(h.maximize), b(h.useMomentum), h.momentum, h.dampening, b(h.nesterov), b(h.first)], par);
    case 'adam':
      return rt.run('adam_f32', [
        p, g, s[0]!, s[1]!, s[2]!, n, h.lr / h.biasCorrection1, Math.sqrt(h.biasCorrection2), h.weightDecay, 1 - h.lr * h.weightDecay,
        b(h.decoupled), b(h.maximize), h.beta1, h.beta2, h.eps, b(h.amsgrad),
      ], par);
    case 'rmsprop':
      return rt.run('rmsprop_f32', [p, g, s[0]!, s[1]!, s[2]!, n, h.lr, h.weightDecay, b(h.maximize), h.alpha, b(h.centered), b(h.useMomentum), h.momentum, h.eps], par);
    case 'adagrad':
      return rt.run('adagrad_f32', [p, g, s[0]!, n, h.lr, h.weightDecay, b(h.maximize), b(h.first), h.initialAccumulatorValue, h.eps], par);
    case 'adadelta':
      return rt.run('adadelta_f32', [p, g, s[0]!, s[1]!, n, h.lr, h.weightDecay, b(h.maximize), h.rho, h.eps], par);
    default:
      return optimizerStep(kind, param, grad, state, h);
  }
}

/** The family's table on the wasm backend. */
export function wasmKernels(rt: WasmRuntime): OptimKernels {
  return {
    step: (kind, param, grad, state, h) => step(rt, kind, param, grad, state, h),
    stepGroup: (kind, items, h) => {
      for (const it of items) step(rt, kind, it.param, it.grad, it.state, h);
    },
  };
}
