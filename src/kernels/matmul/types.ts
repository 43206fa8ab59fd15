/** The matmul family: batched matrix products (shaders/matmul.wgsl; variants: kernels/variants.ts). */
import type { View } from '../../core/view.js';

export interface MatmulKernels {
  /** out[..., m, n] = sum_k a[..., m, k] * b[..., k, n]; batch dims already broadcast, out contiguous. */
  matmul(a: View, b: View, out: View): void;
}
