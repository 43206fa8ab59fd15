/**
 * A bias added in place where a product's kernel does not add it in its store (the cpu and
 * wasm backends, and webgpu's layouts without a fused store): y += bias along one dim (a
 * convolution's channels, dim 1; a linear layer's features, the last dim), one pass of the
 * elementwise family's add with the bias broadcast as a view over y (step 0 along every other
 * dim). Each element is read and written at the same index, so the in-place add is safe; the
 * result is rounded as the product followed by an add of the bias.
 */
import type { View } from '../../core/view.js';
import type { FusedAct } from '../ops.js';
import type { ElementwiseKernels } from './types.js';

/** The elementwise kernels addBiasAlong runs: the add, and the unary op of a fused activation. */
export type BiasKernels = Pick<ElementwiseKernels, 'binary' | 'unary'>;

/** y = act(y + bias) along `dim`, in place: the add, then the activation (the unary kernel, also in place). */
export function addBiasAlong(k: BiasKernels, y: View, bias: View, dim: number, act?: FusedAct | null): void {
  // Built field by field: tensors' fields are getters, which a spread would drop.
  const b: View = { storage: bias.storage, dtype: bias.dtype, shape: y.shape, strides: y.shape.map((_, d) => (d === dim ? bias.strides[0]! : 0)), offset: bias.offset };
  k.binary('add', y, b, y);
  if (act) k.unary(act, y, y);
}
