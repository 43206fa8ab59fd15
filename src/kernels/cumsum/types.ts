/** The scan family: inclusive prefix sums and prefix products along one dim, and the products' adjoint. */
import type { View } from '../../core/view.js';

export interface CumsumKernels {
  /**
   * out[..., k, ...] = sum of x[..., j, ...] for j <= k along `dim` (j >= k when `reverse`: the
   * suffix sum, cumsum's adjoint). x is any strided view; out is contiguous with x's shape and
   * x's dtype (float32 or int32; float64 on cpu). int32 sums wrap around on overflow.
   */
  cumsum(x: View, dim: number, reverse: boolean, out: View): void;
  /**
   * out[..., k, ...] = the product of x[..., j, ...] for j <= k along `dim`. Same views and
   * dtypes as cumsum; int32 products wrap around on overflow.
   */
  cumprod(x: View, dim: number, out: View): void;
  /**
   * The gradient of cumprod: out[k] = sum over j >= k of g[j] * prod_{i <= j, i != k} x[i],
   * computed without dividing by x (exact when x has zeros) as out[k] = E[k] * S[k], where
   * E[k] = prod_{i < k} x[i] and S[k] = g[k] + x[k + 1] * S[k + 1]. x and g have the same
   * shape (any strides), out is contiguous; float32 (float64 on cpu).
   */
  cumprodBackward(x: View, g: View, dim: number, out: View): void;
}
