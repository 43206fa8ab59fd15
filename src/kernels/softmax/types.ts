/** The softmax family: softmax / log-softmax along a dim and the fused class-index losses. */
import type { View } from '../../core/view.js';

/**
 * The arguments of the class-index losses (crossEntropy, nllLoss): x with the classes along
 * `dim`, int32 target class indices with x's shape less `dim`, weight [C] class weights or
 * null; the kernels write loss and rowWeight per sample (target's shape, contiguous).
 */
export interface ClassLossArgs {
  x: View;
  dim: number;
  target: View;
  weight: View | null;
  ignoreIndex: number;
  loss: View;
  rowWeight: View;
}

export interface SoftmaxKernels {
  /**
   * out = softmax(x) along `dim` (log-softmax when `log`), the row max subtracted first; out is
   * contiguous with x's shape. Float input.
   */
  softmax(x: View, dim: number, log: boolean, out: View): void;
  /**
   * Cross-entropy with class indices, fused: x holds logits with the classes along `dim`, target
   * int32 class indices with x's shape less `dim`, weight [C] class weights or null. Writes, per
   * sample (target's shape, contiguous): loss = -(1 - e) w[t] logp[t] - (e / C) sum_c w[c] logp[c]
   * (e = labelSmoothing) and rowWeight = w[t]; when `grad` is given (x's shape, contiguous),
   * d loss / d x. Ignored samples get 0 in all three. A target neither in [0, C) nor ignoreIndex
   * is an error (thrown on cpu; reported at the next read on webgpu).
   */
  crossEntropy(a: ClassLossArgs, labelSmoothing: number, grad: View | null): void;
  /** loss = -w[t] x[t] per sample, rowWeight = w[t], as crossEntropy but on log-probabilities and without a gradient. */
  nllLoss(a: ClassLossArgs): void;
}
