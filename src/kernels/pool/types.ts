/** The pooling family: max / average / adaptive pooling over the last two dims, their adjoints, and the index-range check. */
import type { View } from '../../core/view.js';
import type { IndexCheckOp } from './index_check.js';

export type { IndexCheckOp };

/** The windows of a pooling along one spatial axis. */
export interface PoolAxis {
  /** Input length along the axis. */
  size: number;
  /** Output length along the axis. */
  out: number;
  kernel: number;
  stride: number;
  padding: number;
  dilation: number;
  /**
   * Adaptive windows: output o averages [floor(o * size / out), ceil((o + 1) * size / out)),
   * and kernel/stride/padding/dilation are unused.
   */
  adaptive: boolean;
}

/**
 * A 2-D pooling over [N, C, H, W]: the windows along H and W, and (average pooling only) the
 * divisor: the window's area inside the padded input (countIncludePad), or its number of real
 * input elements, or divisorOverride.
 */
export interface Pool2dSpec {
  h: PoolAxis;
  w: PoolAxis;
  countIncludePad: boolean;
  divisorOverride: number | null;
}

export interface PoolKernels {
  /**
   * Max pooling of x [N, C, H, W] (any strides) into out and indices (int32), both contiguous
   * [N, C, OH, OW]; the windows are spec's (see Pool2dSpec above). indices hold
   * h * W + w of each window's maximum (the first in row-major order; NaN wins).
   */
  maxPool2d(x: View, spec: Pool2dSpec, out: View, indices: View): void;
  /** out [N, C, H, W] (contiguous, fresh) = the sum of the g [N, C, OH, OW] whose argmax (indices) is each element. */
  maxPool2dBackward(g: View, indices: View, spec: Pool2dSpec, out: View): void;
  /** Average pooling (plain or adaptive windows, spec's divisor) of x [N, C, H, W] (any strides) into contiguous out. */
  avgPool2d(x: View, spec: Pool2dSpec, out: View): void;
  /** The adjoint of avgPool2d: g [N, C, OH, OW] spread over the windows into out [N, C, H, W] (contiguous, fresh). */
  avgPool2dBackward(g: View, spec: Pool2dSpec, out: View): void;
  /** An int32 index outside [0, size) is an error naming `op` (thrown on cpu; reported at the next read on webgpu). */
  checkIndexRange(op: IndexCheckOp, index: View, size: number): void;
}
