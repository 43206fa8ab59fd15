/** The scan family: inclusive prefix sums along one dim. */
import type { View } from '../../core/view.js';

export interface CumsumKernels {
  /**
   * out[..., k, ...] = sum of x[..., j, ...] for j <= k along `dim` (j >= k when `reverse`: the
   * suffix sum, cumsum's adjoint). x is any strided view; out is contiguous with x's shape and
   * x's dtype (float32 or int32; float64 on cpu). int32 sums wrap around on overflow.
   */
  cumsum(x: View, dim: number, reverse: boolean, out: View): void;
}
