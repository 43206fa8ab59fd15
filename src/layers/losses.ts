/**
 * Losses as modules over the functional ones: `new nn.CrossEntropyLoss({ labelSmoothing: 0.1 }).forward(logits, target)`.
 * Each takes one options object (PyTorch's keyword arguments, camelCase); an unknown key or a
 * value out of range is refused when the loss is made, not at its first use. PyTorch's
 * deprecated positional `size_average` and `reduce` have no counterpart: use `reduction`.
 */
import { Tensor } from '../tensor/tensor.js';
import { checkBoolean, checkChoice, checkNumber, checkOptions, describe } from '../core/options.js';
import * as F from '../nn/functional/index.js';
import { Module } from './module.js';

export type Reduction = 'mean' | 'sum' | 'none';

const REDUCTIONS = ['mean', 'sum', 'none'] as const;

/** How each option is checked (the loss's accepted keys are this record's keys). */
type Checks = Record<string, (op: string, name: string, v: unknown) => void>;

const reduction = (op: string, name: string, v: unknown) => void checkChoice(op, name, v, REDUCTIONS);
const tensorOrNull = (op: string, name: string, v: unknown) => {
  if (v !== null && !(v instanceof Tensor)) throw new Error(`${op}: ${name} must be a Tensor or null, got ${describe(v)}`);
};
const integer = (op: string, name: string, v: unknown) => void checkNumber(op, name, v, { int: true });

abstract class Loss<O extends object> extends Module {
  readonly options: O;
  constructor(op: string, checks: Checks, args: unknown[]) {
    super();
    if (args.length > 1) throw new Error(`${op}: expected one options object, got ${args.length} arguments`);
    const o = (args[0] ?? {}) as Record<string, unknown>;
    checkOptions(op, args[0], Object.keys(checks));
    for (const [k, v] of Object.entries(o)) if (v !== undefined) checks[k]!(op, k, v);
    this.options = { ...o } as O;
    // As PyTorch: the class weights are buffers (moved by to(), saved by stateDict()).
    if (o.weight instanceof Tensor) this.registerBuffer('weight', o.weight);
    if (o.posWeight instanceof Tensor) this.registerBuffer('pos_weight', o.posWeight);
  }
  /** The options with the weights read from the buffers (which to() may have replaced). */
  protected resolved(): O {
    const o = { ...this.options } as Record<string, unknown>;
    if (o.weight instanceof Tensor) o.weight = this.getOptional('weight');
    if (o.posWeight instanceof Tensor) o.posWeight = this.getOptional('pos_weight');
    return o as O;
  }
  abstract override forward(input: Tensor, target: Tensor): Tensor;
  override extraRepr(): string {
    return Object.entries(this.options).filter(([, v]) => v !== undefined && typeof v !== 'object').map(([k, v]) => `${k}=${String(v)}`).join(', ');
  }
}

type ReductionOptions = { reduction?: Reduction };

export class MSELoss extends Loss<ReductionOptions> {
  constructor(...args: [options?: ReductionOptions]) { super('MSELoss', { reduction }, args); }
  forward(input: Tensor, target: Tensor): Tensor { return F.mseLoss(input, target, this.resolved()); }
}
export class L1Loss extends Loss<ReductionOptions> {
  constructor(...args: [options?: ReductionOptions]) { super('L1Loss', { reduction }, args); }
  forward(input: Tensor, target: Tensor): Tensor { return F.l1Loss(input, target, this.resolved()); }
}
export class SmoothL1Loss extends Loss<ReductionOptions & { beta?: number }> {
  constructor(...args: [options?: ReductionOptions & { beta?: number }]) {
    super('SmoothL1Loss', { reduction, beta: (op, n, v) => void checkNumber(op, n, v, { min: 0 }) }, args);
  }
  forward(input: Tensor, target: Tensor): Tensor { return F.smoothL1Loss(input, target, this.resolved()); }
}
export class HuberLoss extends Loss<ReductionOptions & { delta?: number }> {
  constructor(...args: [options?: ReductionOptions & { delta?: number }]) {
    super('HuberLoss', { reduction, delta: (op, n, v) => void checkNumber(op, n, v, { gt: 0 }) }, args);
  }
  forward(input: Tensor, target: Tensor): Tensor { return F.huberLoss(input, target, this.resolved()); }
}
/** `new KLDivLoss({ reduction, logTarget })`: `F.klDiv` (input: log-probabilities). */
export class KLDivLoss extends Loss<F.KlDivOptions> {
  constructor(...args: [options?: F.KlDivOptions]) {
    super('KLDivLoss', {
      reduction: (op, n, v) => void checkChoice(op, n, v, ['mean', 'batchmean', 'sum', 'none']),
      logTarget: (op, n, v) => void checkBoolean(op, n, v),
    }, args);
  }
  forward(input: Tensor, target: Tensor): Tensor { return F.klDiv(input, target, this.resolved()); }
}
type ClassOptions = ReductionOptions & { ignoreIndex?: number; weight?: Tensor | null };
export class CrossEntropyLoss extends Loss<ClassOptions & { labelSmoothing?: number }> {
  constructor(...args: [options?: ClassOptions & { labelSmoothing?: number }]) {
    super('CrossEntropyLoss', { reduction, ignoreIndex: integer, weight: tensorOrNull, labelSmoothing: (op, n, v) => void checkNumber(op, n, v, { min: 0, max: 1 }) }, args);
  }
  forward(input: Tensor, target: Tensor): Tensor { return F.crossEntropy(input, target, this.resolved()); }
}
export class NLLLoss extends Loss<ClassOptions> {
  constructor(...args: [options?: ClassOptions]) { super('NLLLoss', { reduction, ignoreIndex: integer, weight: tensorOrNull }, args); }
  forward(input: Tensor, target: Tensor): Tensor { return F.nllLoss(input, target, this.resolved()); }
}
export class BCELoss extends Loss<ReductionOptions & { weight?: Tensor | null }> {
  constructor(...args: [options?: ReductionOptions & { weight?: Tensor | null }]) { super('BCELoss', { reduction, weight: tensorOrNull }, args); }
  forward(input: Tensor, target: Tensor): Tensor { return F.binaryCrossEntropy(input, target, this.resolved()); }
}
export class BCEWithLogitsLoss extends Loss<ReductionOptions & { weight?: Tensor | null; posWeight?: Tensor | null }> {
  constructor(...args: [options?: ReductionOptions & { weight?: Tensor | null; posWeight?: Tensor | null }]) {
    super('BCEWithLogitsLoss', { reduction, weight: tensorOrNull, posWeight: tensorOrNull }, args);
  }
  forward(input: Tensor, target: Tensor): Tensor { return F.binaryCrossEntropyWithLogits(input, target, this.resolved()); }
}
