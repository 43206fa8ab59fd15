/** The normalization family: batch normalization's statistics, normalization and backward. */
import type { View } from '../../core/view.js';

export interface NormKernels {
  /** Per-channel mean and biased variance of x [N, C, S] (contiguous, offset 0). */
  batchNormStats(x: View, mean: View, variance: View): void;
  /** y = (x - mean) / sqrt(variance + eps) * weight + bias, per channel of x [N, C, S]. */
  batchNormApply(x: View, mean: View, variance: View, weight: View | null, bias: View | null, eps: number, y: View): void;
  /**
   * sums = [sum(g), sum(g * xhat)] per channel ([2C]) and dx: with `batchStats` the gradient
   * through the batch statistics too, else g * weight / sqrt(variance + eps).
   */
  batchNormBackward(g: View, x: View, mean: View, variance: View, weight: View | null, eps: number, batchStats: boolean, sums: View, dx: View): void;
}
