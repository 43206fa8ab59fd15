/** The fused optimizer step on WebGPU: one dispatch of shaders/optimizer.wgsl per parameter. */
import type { OptimizerHyper, OptimizerKind, View } from '../backend.js';
import type { WebGPUContext } from '../webgpu/context.js';
import { buf } from '../webgpu/util.js';
import optimizerSrc from '../../../shaders/optimizer.wgsl';
import { numel } from '../../core/shape.js';
import type { OptimKernels } from './types.js';

export const OPTIM_SHADERS = {
  optimizer: { file: 'optimizer.wgsl', source: optimizerSrc },
} as const;

/** Small buffers bound where an optimizer has no state; three, since writable bindings must not alias. */
const dummies = new WeakMap<GPUDevice, GPUBuffer[]>();

export function optimizerStep(b: WebGPUContext, kind: OptimizerKind, param: View, grad: View, state: readonly (View | null)[], h: OptimizerHyper): void {
  for (const v of [param, grad, ...state]) {
    if (v && (v.offset !== 0 || v.dtype !== 'float32')) throw new Error(`webgpu optimizerStep: parameters, gradients and state must be fresh float32 tensors (got ${v.dtype}, offset ${v.offset})`);
  }
  const n = numel(param.shape);
  if (n === 0) return;
  let d = dummies.get(b.device);
  if (!d) {
    const usage = GPUBufferUsage.STORAGE;
    d = [0, 1, 2].map((i) => b.device.createBuffer({ label: `optimizer dummy state ${i}`, size: 16, usage }));
    dummies.set(b.device, d);
  }
  const s = [0, 1, 2].map((i) => (state[i] ? buf(state[i]!) : d![i]!));
  b.dispatch(
    { shader: OPTIM_SHADERS.optimizer, entry: kind, variant: kind, preamble: '' },
    { grad: buf(grad), param: buf(param), s0: s[0]!, s1: s[1]!, s2: s[2]! },
    {
      n, nesterov: +h.nesterov, amsgrad: +h.amsgrad, decoupled: +h.decoupled, centered: +h.centered, maximize: +h.maximize,
      first: +h.first, use_momentum: +h.useMomentum, lr: h.lr, weight_decay: h.weightDecay, momentum: h.momentum,
      dampening: h.dampening, beta1: h.beta1, beta2: h.beta2, eps: h.eps, alpha: h.alpha,
      bias_correction1: h.biasCorrection1, sqrt_bias_correction2: Math.sqrt(h.biasCorrection2),
      rho: h.rho, initial_accumulator: h.initialAccumulatorValue,
    },
    b.grid(Math.ceil(n / b.wg)),
  );
}

/** The family's table on a webgpu backend. */
export function webgpuKernels(b: WebGPUContext): OptimKernels {
  return {
    step: (kind, param, grad, state, h) => optimizerStep(b, kind, param, grad, state, h),
  };
}

/** This family's shaders, by name. */
export const SHADERS = OPTIM_SHADERS;
