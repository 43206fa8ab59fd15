/**
 * SGD, Adam, AdamW, RMSprop, Adagrad and Adadelta with PyTorch's options and formulas (see
 * shaders/optimizer.wgsl for the update each runs per element).
 */
import type { OptimizerHyper } from '../kernels/backend.js';
import { checkBoolean, checkNumber, describe } from '../core/options.js';
import { Optimizer, type ParamsArg } from './optimizer.js';

const base: Omit<OptimizerHyper, 'lr'> = {
  weightDecay: 0, maximize: false, momentum: 0, useMomentum: false, dampening: 0, nesterov: false, first: false,
  beta1: 0.9, beta2: 0.999, eps: 1e-8, amsgrad: false, decoupled: false, biasCorrection1: 1, biasCorrection2: 1, alpha: 0.99, centered: false,
  rho: 0.9, initialAccumulatorValue: 0,
};

const nonNeg = { min: 0, infinite: false };

/** PyTorch's checks: lr, momentum, weightDecay and eps are numbers >= 0 (finite), betas in [0, 1). */
function checkNonNeg(op: string, o: object, names: string[], where: string): void {
  for (const n of names) checkNumber(op, `${n}${where}`, (o as Record<string, unknown>)[n], nonNeg);
}
function checkFlags(op: string, o: object, names: string[], where: string): void {
  for (const n of names) checkBoolean(op, `${n}${where}`, (o as Record<string, unknown>)[n]);
}

export interface SGDOptions {
  /** Default 1e-3 (as in recent PyTorch, where lr is no longer required). */
  lr?: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  maximize?: boolean;
}

/** Stochastic gradient descent, with momentum (dampening, Nesterov) and weight decay. */
export class SGD extends Optimizer<Required<SGDOptions>> {
  constructor(params: ParamsArg<SGDOptions>, options?: SGDOptions) {
    super(params, options, { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false });
  }
  protected validate(o: Required<SGDOptions>, where: string): void {
    checkNonNeg('SGD', o, ['lr', 'momentum', 'dampening', 'weightDecay'], where);
    checkFlags('SGD', o, ['nesterov', 'maximize'], where);
    if (o.nesterov && (!(o.momentum > 0) || o.dampening !== 0)) {
      throw new Error(`SGD: Nesterov momentum needs momentum > 0 and dampening 0${where}, got momentum ${o.momentum} and dampening ${o.dampening}`);
    }
  }
  protected plan(o: Required<SGDOptions>, _step: number, first: boolean) {
    return {
      kind: 'sgd' as const,
      state: [o.momentum > 0 ? 'momentumBuffer' : null],
      hyper: { ...base, lr: o.lr, momentum: o.momentum, useMomentum: o.momentum > 0, dampening: o.dampening, nesterov: o.nesterov, weightDecay: o.weightDecay, maximize: o.maximize, first },
    };
  }
}

export interface AdamOptions {
  /** Default 1e-3. */
  lr?: number;
  /** Default [0.9, 0.999]; each in [0, 1). */
  betas?: readonly [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  maximize?: boolean;
}

function checkAdam(op: string, o: Required<AdamOptions>, where: string): void {
  checkNonNeg(op, o, ['lr', 'eps', 'weightDecay'], where);
  if (!Array.isArray(o.betas) || o.betas.length !== 2) throw new Error(`${op}: betas${where} must be a pair [beta1, beta2], got ${describe(o.betas)}`);
  checkNumber(op, `betas[0]${where}`, o.betas[0], { min: 0, lt: 1 });
  checkNumber(op, `betas[1]${where}`, o.betas[1], { min: 0, lt: 1 });
  checkFlags(op, o, ['amsgrad', 'maximize'], where);
}

function adamPlan(o: Required<AdamOptions>, step: number, decoupled: boolean) {
  const [b1, b2] = o.betas;
  return {
    kind: 'adam' as const,
    state: ['expAvg', 'expAvgSq', o.amsgrad ? 'maxExpAvgSq' : null],
    hyper: {
      ...base, lr: o.lr, beta1: b1, beta2: b2, eps: o.eps, weightDecay: o.weightDecay, amsgrad: o.amsgrad, maximize: o.maximize, decoupled,
      biasCorrection1: 1 - b1 ** step, biasCorrection2: 1 - b2 ** step,
    },
  };
}

/** Adam (Kingma and Ba), with bias correction, L2 weight decay and optional AMSGrad. */
export class Adam extends Optimizer<Required<AdamOptions>> {
  constructor(params: ParamsArg<AdamOptions>, options?: AdamOptions) {
    super(params, options, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false });
  }
  protected validate(o: Required<AdamOptions>, where: string): void {
    checkAdam('Adam', o, where);
  }
  protected plan(o: Required<AdamOptions>, step: number) {
    return adamPlan(o, step, false);
  }
}

/** Adam with decoupled weight decay (Loshchilov and Hutter); weightDecay defaults to 0.01. */
export class AdamW extends Optimizer<Required<AdamOptions>> {
  constructor(params: ParamsArg<AdamOptions>, options?: AdamOptions) {
    super(params, options, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01, amsgrad: false, maximize: false });
  }
  protected validate(o: Required<AdamOptions>, where: string): void {
    checkAdam('AdamW', o, where);
  }
  protected plan(o: Required<AdamOptions>, step: number) {
    return adamPlan(o, step, true);
  }
}

export interface RMSpropOptions {
  /** Default 1e-2. */
  lr?: number;
  /** Smoothing constant, in [0, 1] (default 0.99). */
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
  maximize?: boolean;
}

/** RMSprop (Hinton), optionally centered and with momentum. lr defaults to 0.01. */
export class RMSprop extends Optimizer<Required<RMSpropOptions>> {
  constructor(params: ParamsArg<RMSpropOptions>, options?: RMSpropOptions) {
    super(params, options, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false });
  }
  protected validate(o: Required<RMSpropOptions>, where: string): void {
    checkNonNeg('RMSprop', o, ['lr', 'eps', 'weightDecay', 'momentum'], where);
    checkNumber('RMSprop', `alpha${where}`, o.alpha, { min: 0, max: 1 });
    checkFlags('RMSprop', o, ['centered', 'maximize'], where);
  }
  protected plan(o: Required<RMSpropOptions>) {
    return {
      kind: 'rmsprop' as const,
      state: ['squareAvg', o.centered ? 'gradAvg' : null, o.momentum > 0 ? 'momentumBuffer' : null],
      hyper: { ...base, lr: o.lr, alpha: o.alpha, eps: o.eps, weightDecay: o.weightDecay, momentum: o.momentum, useMomentum: o.momentum > 0, centered: o.centered, maximize: o.maximize },
    };
  }
}

export interface AdagradOptions {
  /** Default 1e-2. */
  lr?: number;
  /** The step size at step t is lr / (1 + (t - 1) lrDecay) (default 0). */
  lrDecay?: number;
  weightDecay?: number;
  /** The sum of squared gradients starts at this value (default 0). */
  initialAccumulatorValue?: number;
  /** Default 1e-10. */
  eps?: number;
  maximize?: boolean;
}

/** Adagrad (Duchi et al.): each element's step is divided by the root of its summed squared gradients. */
export class Adagrad extends Optimizer<Required<AdagradOptions>> {
  constructor(params: ParamsArg<AdagradOptions>, options?: AdagradOptions) {
    super(params, options, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false });
  }
  protected validate(o: Required<AdagradOptions>, where: string): void {
    checkNonNeg('Adagrad', o, ['lr', 'lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps'], where);
    checkFlags('Adagrad', o, ['maximize'], where);
  }
  protected plan(o: Required<AdagradOptions>, step: number, first: boolean) {
    return {
      kind: 'adagrad' as const,
      state: ['sum'],
      hyper: { ...base, lr: o.lr / (1 + (step - 1) * o.lrDecay), weightDecay: o.weightDecay, eps: o.eps, initialAccumulatorValue: o.initialAccumulatorValue, maximize: o.maximize, first },
    };
  }
}

export interface AdadeltaOptions {
  /** Scales the delta before it is applied (default 1). */
  lr?: number;
  /** The decay of the running averages of squared gradients and squared deltas, in [0, 1] (default 0.9). */
  rho?: number;
  /** Default 1e-6. */
  eps?: number;
  weightDecay?: number;
  maximize?: boolean;
}

/** Adadelta (Zeiler): the step is the ratio of the running RMS of past deltas to that of the gradients. */
export class Adadelta extends Optimizer<Required<AdadeltaOptions>> {
  constructor(params: ParamsArg<AdadeltaOptions>, options?: AdadeltaOptions) {
    super(params, options, { lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false });
  }
  protected validate(o: Required<AdadeltaOptions>, where: string): void {
    checkNonNeg('Adadelta', o, ['lr', 'eps', 'weightDecay'], where);
    checkNumber('Adadelta', `rho${where}`, o.rho, { min: 0, max: 1 });
    checkFlags('Adadelta', o, ['maximize'], where);
  }
  protected plan(o: Required<AdadeltaOptions>) {
    return {
      kind: 'adadelta' as const,
      state: ['squareAvg', 'accDelta'],
      hyper: { ...base, lr: o.lr, rho: o.rho, eps: o.eps, weightDecay: o.weightDecay, maximize: o.maximize },
    };
  }
}
