/**
 * SGD, Adam, AdamW and RMSprop with PyTorch's options and formulas (see
 * shaders/optimizer.wgsl for the update each runs per element).
 */
import type { OptimizerHyper } from '../kernels/backend.js';
import { Optimizer, checkRange, type ParamsArg } from './optimizer.js';

const base: Omit<OptimizerHyper, 'lr'> = {
  weightDecay: 0, maximize: false, momentum: 0, useMomentum: false, dampening: 0, nesterov: false, first: false,
  beta1: 0.9, beta2: 0.999, eps: 1e-8, amsgrad: false, decoupled: false, biasCorrection1: 1, biasCorrection2: 1, alpha: 0.99, centered: false,
};

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  maximize?: boolean;
}

/** Stochastic gradient descent, with momentum (dampening, Nesterov) and weight decay. */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsArg<SGDOptions>, options: SGDOptions) {
    super(params, { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, ...options });
  }
  protected validate(o: SGDOptions): void {
    checkRange('SGD', 'lr', o.lr, 0, Infinity);
    checkRange('SGD', 'momentum', o.momentum, 0, Infinity);
    checkRange('SGD', 'weightDecay', o.weightDecay, 0, Infinity);
    if (o.nesterov && (!(o.momentum! > 0) || o.dampening !== 0)) throw new Error('SGD: Nesterov momentum needs momentum > 0 and dampening 0');
  }
  protected plan(o: SGDOptions, _step: number, first: boolean) {
    return {
      kind: 'sgd' as const,
      state: [o.momentum! > 0 ? 'momentumBuffer' : null],
      hyper: { ...base, lr: o.lr, momentum: o.momentum!, useMomentum: o.momentum! > 0, dampening: o.dampening!, nesterov: o.nesterov!, weightDecay: o.weightDecay!, maximize: o.maximize!, first },
    };
  }
}

export interface AdamOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  maximize?: boolean;
}

function checkAdam(name: string, o: AdamOptions): void {
  checkRange(name, 'lr', o.lr, 0, Infinity);
  checkRange(name, 'eps', o.eps, 0, Infinity);
  checkRange(name, 'betas[0]', o.betas?.[0], 0, 1);
  checkRange(name, 'betas[1]', o.betas?.[1], 0, 1);
  checkRange(name, 'weightDecay', o.weightDecay, 0, Infinity);
}

function adamPlan(o: AdamOptions, step: number, decoupled: boolean) {
  const [b1, b2] = o.betas!;
  return {
    kind: 'adam' as const,
    state: ['expAvg', 'expAvgSq', o.amsgrad ? 'maxExpAvgSq' : null],
    hyper: {
      ...base, lr: o.lr, beta1: b1, beta2: b2, eps: o.eps!, weightDecay: o.weightDecay!, amsgrad: o.amsgrad!, maximize: o.maximize!, decoupled,
      biasCorrection1: 1 - b1 ** step, biasCorrection2: 1 - b2 ** step,
    },
  };
}

/** Adam (Kingma and Ba), with bias correction, L2 weight decay and optional AMSGrad. */
export class Adam extends Optimizer<AdamOptions> {
  constructor(params: ParamsArg<AdamOptions>, options: AdamOptions = { lr: 1e-3 }) {
    super(params, { betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, ...options });
  }
  protected validate(o: AdamOptions): void {
    checkAdam('Adam', o);
  }
  protected plan(o: AdamOptions, step: number) {
    return adamPlan(o, step, false);
  }
}

/** Adam with decoupled weight decay (Loshchilov and Hutter); weightDecay defaults to 0.01. */
export class AdamW extends Optimizer<AdamOptions> {
  constructor(params: ParamsArg<AdamOptions>, options: AdamOptions = { lr: 1e-3 }) {
    super(params, { betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01, amsgrad: false, maximize: false, ...options });
  }
  protected validate(o: AdamOptions): void {
    checkAdam('AdamW', o);
  }
  protected plan(o: AdamOptions, step: number) {
    return adamPlan(o, step, true);
  }
}

export interface RMSpropOptions {
  lr: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
  maximize?: boolean;
}

/** RMSprop (Hinton), optionally centered and with momentum. lr defaults to 0.01. */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: ParamsArg<RMSpropOptions>, options: RMSpropOptions = { lr: 1e-2 }) {
    super(params, { alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false, ...options });
  }
  protected validate(o: RMSpropOptions): void {
    checkRange('RMSprop', 'lr', o.lr, 0, Infinity);
    checkRange('RMSprop', 'alpha', o.alpha, 0, 1, false, false);
    checkRange('RMSprop', 'eps', o.eps, 0, Infinity);
    checkRange('RMSprop', 'momentum', o.momentum, 0, Infinity);
    checkRange('RMSprop', 'weightDecay', o.weightDecay, 0, Infinity);
  }
  protected plan(o: RMSpropOptions) {
    return {
      kind: 'rmsprop' as const,
      state: ['squareAvg', o.centered ? 'gradAvg' : null, o.momentum! > 0 ? 'momentumBuffer' : null],
      hyper: { ...base, lr: o.lr, alpha: o.alpha!, eps: o.eps!, weightDecay: o.weightDecay!, momentum: o.momentum!, useMomentum: o.momentum! > 0, centered: o.centered!, maximize: o.maximize! },
    };
  }
}
