/**
 * The resampling family (interpolate): a separable resampling along one axis, and its adjoint.
 * A 2-D resize is two passes (W, then H); the backward is the two adjoint passes in reverse.
 */
import type { View } from '../../core/view.js';

/**
 * Where each output position along an axis reads: out[o] = (1 - lambda[o]) x[i0[o]] +
 * lambda[o] x[i1[o]] (nearest: out[o] = x[i0[o]], lambda all 0). The op computes it on the
 * host from the mode's index formula (src/nn/functional/interpolate.ts); i0 and i1 are
 * non-decreasing in o, so the outputs that read input i are one range [lo[i], hi[i]) (empty:
 * lo = hi), which the adjoint gathers over.
 */
export interface ResampleAxis {
  inLen: number;
  outLen: number;
  nearest: boolean;
  i0: Int32Array;
  i1: Int32Array;
  lambda: Float64Array;
  lo: Int32Array;
  hi: Int32Array;
  /** The longest [lo, hi) range: the adjoint's loop per input element. */
  maxRange: number;
}

export interface ResampleKernels {
  /** x [outer, inLen, inner] (contiguous) resampled along its middle axis into out [outer, outLen, inner] (contiguous, fresh). */
  resampleAxis(x: View, axis: ResampleAxis, out: View): void;
  /**
   * The adjoint: g [outer, outLen, inner] (contiguous) into out [outer, inLen, inner]
   * (contiguous, fresh), each input position gathering, in order, the weighted gradients of the
   * outputs that read it: deterministic, no atomics.
   */
  resampleAxisBackward(g: View, axis: ResampleAxis, out: View): void;
}
