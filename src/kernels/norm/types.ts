/**
 * The normalization family: batch normalization's statistics, normalization and backward, and
 * the row normalization of layerNorm and groupNorm.
 *
 * Row normalization: x [R, L] (contiguous from its offset) is normalized a row at a time by the
 * row's mean and biased variance (two-pass); the affine parameter of element i of row r is
 * number (r % groups) * (L / per) + floor(i / per): layerNorm has groups 1 and per 1 (a weight per
 * element of the row), groupNorm over [N, C, S] has rows N * G of (C / G) * S, groups G and
 * per S (a weight per channel).
 */
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
  /** y = (x - mean_r) * rstd_r * weight[p] + bias[p]; stats [2R] gets each row's mean, then its rstd = 1 / sqrt(var + eps). */
  rowNormForward(x: View, weight: View | null, bias: View | null, rows: RowNormShape, eps: number, y: View, stats: View): void;
  /** dx = rstd_r (dxhat - mean_r(dxhat) - xhat mean_r(dxhat xhat)), dxhat = g * weight[p], xhat = (x - mean_r) rstd_r, from the forward's stats. */
  rowNormBackward(g: View, x: View, weight: View | null, rows: RowNormShape, stats: View, dx: View): void;
}

/**
 * Longest row the fused row normalization takes: on webgpu each of a row's 256 invocations walks
 * len / 256 elements per pass, under llvmpipe's 65535-iteration loop cap (the functional layer
 * runs longer rows as composite ops, on every backend alike).
 */
export const ROW_NORM_MAX_LEN = 256 * 20000;

/** The rows of a row normalization (see the file's comment). */
export interface RowNormShape {
  rows: number;
  len: number;
  groups: number;
  per: number;
}
