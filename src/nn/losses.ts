/**
 * Losses as modules over the functional ones: `new nn.CrossEntropyLoss({ labelSmoothing: 0.1 }).forward(logits, target)`.
 */
import type { Tensor } from '../tensor/tensor.js';
import * as F from './functional/index.js';
import { Module } from './module.js';

export type Reduction = 'mean' | 'sum' | 'none';

abstract class Loss<O extends object> extends Module {
  constructor(readonly options: O = {} as O) {
    super();
  }
  abstract override forward(input: Tensor, target: Tensor): Tensor;
  override extraRepr(): string {
    return Object.entries(this.options).filter(([, v]) => v !== undefined && typeof v !== 'object').map(([k, v]) => `${k}=${String(v)}`).join(', ');
  }
}

export class MSELoss extends Loss<{ reduction?: Reduction }> {
  forward(input: Tensor, target: Tensor): Tensor { return F.mseLoss(input, target, this.options as never); }
}
export class L1Loss extends Loss<{ reduction?: Reduction }> {
  forward(input: Tensor, target: Tensor): Tensor { return F.l1Loss(input, target, this.options as never); }
}
export class SmoothL1Loss extends Loss<{ reduction?: Reduction; beta?: number }> {
  forward(input: Tensor, target: Tensor): Tensor { return F.smoothL1Loss(input, target, this.options as never); }
}
export class CrossEntropyLoss extends Loss<{ reduction?: Reduction; ignoreIndex?: number; labelSmoothing?: number; weight?: Tensor }> {
  forward(input: Tensor, target: Tensor): Tensor { return F.crossEntropy(input, target, this.options as never); }
}
export class NLLLoss extends Loss<{ reduction?: Reduction; ignoreIndex?: number; weight?: Tensor }> {
  forward(input: Tensor, target: Tensor): Tensor { return F.nllLoss(input, target, this.options as never); }
}
export class BCELoss extends Loss<{ reduction?: Reduction; weight?: Tensor }> {
  forward(input: Tensor, target: Tensor): Tensor { return F.binaryCrossEntropy(input, target, this.options as never); }
}
export class BCEWithLogitsLoss extends Loss<{ reduction?: Reduction; weight?: Tensor; posWeight?: Tensor }> {
  forward(input: Tensor, target: Tensor): Tensor { return F.binaryCrossEntropyWithLogits(input, target, this.options as never); }
}
