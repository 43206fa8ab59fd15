/**
 * The convolution family: conv2d and its two gradients (implicit GEMM; shaders/conv2d.wgsl).
 * conv1d, convTranspose2d and the other gradients are built from these in nn/functional/conv.ts.
 */
import type { FusedAct } from '../ops.js';
import type { View } from '../../core/view.js';

/** A 2-D convolution's geometry beyond the shapes; each pair is [along H, along W]. */
export interface Conv2dParams {
  readonly stride: readonly [number, number];
  /** Zero padding before the first row / column (the padding after is implied by the output size). */
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly groups: number;
}

export interface ConvKernels {
  /**
   * 2-D convolution, NCHW (cross-correlation, as in PyTorch). Shapes come from the views:
   * x [N, Cin, H, W], w [Cout, Cin / groups, KH, KW], y [N, Cout, OH, OW] (contiguous, fresh):
   * y[n, o, i, j] = sum over c, a, b of x[n, g(o) * Cin/groups + c, i * sh - ph + a * dh, j * sw - pw + b * dw] * w[o, c, a, b],
   * where taps outside x read zero. `padding` is the top/left padding; the bottom/right padding
   * is whatever OH and OW imply (asymmetric 'same' padding needs nothing else).
   * With `bias` (Cout values, float32 like y), y[n, o, i, j] gets bias[o] added, rounded as
   * conv2d followed by an add of the bias would be (webgpu's implicit product adds it in its
   * store; the other kernels in one pass over y after the product).
   */
  conv2d(x: View, w: View, y: View, p: Conv2dParams, bias?: View | null, act?: FusedAct | null): void;
  /**
   * The gradient of conv2d with respect to x (also convTranspose2d's forward): dx [N, Cin, H, W]
   * (contiguous, fresh) gets, at each element, the sum over the (dy, w) pairs whose tap reads it.
   * dy [N, Cout, OH, OW], w as for conv2d.
   */
  conv2dBackwardInput(dy: View, w: View, dx: View, p: Conv2dParams): void;
  /** The gradient of conv2d with respect to w: dw [Cout, Cin / groups, KH, KW] (contiguous, fresh). */
  conv2dBackwardWeight(dy: View, x: View, dw: View, p: Conv2dParams): void;
}
