/** The optimizer family: a fused update per parameter, several parameters a kernel (shaders/optimizer.wgsl). */
import type { View } from '../../core/view.js';

export type OptimizerKind = 'sgd' | 'adam' | 'rmsprop' | 'adagrad' | 'adadelta';

/** The hyper-parameters of one optimizer step (the union over kinds; unused fields are ignored). */
export interface OptimizerHyper {
  lr: number;
  weightDecay: number;
  maximize: boolean;
  /** SGD and RMSprop momentum. */
  momentum: number;
  useMomentum: boolean;
  dampening: number;
  nesterov: boolean;
  /** The momentum buffer starts at this step (SGD: it takes the gradient itself). */
  first: boolean;
  beta1: number;
  beta2: number;
  eps: number;
  amsgrad: boolean;
  /** AdamW's decoupled weight decay. */
  decoupled: boolean;
  /** 1 - beta1^t and 1 - beta2^t, computed in double precision. */
  biasCorrection1: number;
  biasCorrection2: number;
  /** RMSprop smoothing constant and centering. */
  alpha: number;
  centered: boolean;
  /** Adadelta's decay of its two running averages. */
  rho: number;
  /** Adagrad: the sum of squares starts at this value (with `first`). */
  initialAccumulatorValue: number;
}

/** One parameter of a group step: itself, its gradient and its state tensors (null where unused). */
export interface OptimItem {
  param: View;
  grad: View;
  state: readonly (View | null)[];
}

export interface OptimKernels {
  /**
   * One fused optimizer step on one parameter, in place: `param` and the `state` buffers (see
   * shaders/optimizer.wgsl for which is which; null where unused) are updated from `grad`.
   * All are contiguous and of the parameter's shape.
   */
  step(kind: OptimizerKind, param: View, grad: View, state: readonly (View | null)[], h: OptimizerHyper): void;
  /**
   * The same step for several parameters that share the hyper-parameters and use the same
   * state tensors (an optimizer's parameter group): webgpu runs as many a dispatch as the
   * adapter's storage bindings allow; cpu and wasm step them one by one.
   */
  stepGroup(kind: OptimizerKind, items: readonly OptimItem[], h: OptimizerHyper): void;
}
