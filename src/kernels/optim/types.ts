/** The optimizer family: one fused update per parameter (shaders/optimizer.wgsl). */
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

export interface OptimKernels {
  /**
   * One fused optimizer step on one parameter, in place: `param` and the `state` buffers (see
   * shaders/optimizer.wgsl for which is which; null where unused) are updated from `grad`.
   * All are contiguous and of the parameter's shape.
   */
  step(kind: OptimizerKind, param: View, grad: View, state: readonly (View | null)[], h: OptimizerHyper): void;
}
