/** The matmul family: batched matrix products (shaders/matmul.wgsl; variants: kernels/variants.ts). */
import type { FusedAct } from '../ops.js';
import type { View } from '../../core/view.js';

export interface MatmulKernels {
  /**
   * out[..., m, n] = sum_k a[..., m, k] * b[..., k, n]; batch dims already broadcast, out
   * contiguous. With `bias` (N values, out's dtype), out[..., m, n] gets bias[n] added, rounded
   * as the product followed by an add of the bias (a linear layer's; webgpu's register-blocked
   * kernel adds it in its store, the other kernels in one pass over out after the product).
   */
  matmul(a: View, b: View, out: View, bias?: View | null, act?: FusedAct | null): void;
}
