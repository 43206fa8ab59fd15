/**
 * A convolution's bias on the backends whose products do not add it in their store (cpu,
 * wasm): y[n, c, ...] += bias[c] in place, one pass of the elementwise family's add with the
 * bias broadcast as a view over y (step 0 along every dim but the channels'). Each element
 * is read and written at the same index, so the in-place add is safe. The result is rounded
 * as conv2d followed by an add of the bias.
 */
import type { View } from '../../core/view.js';
import type { ElementwiseKernels } from '../elementwise/types.js';

export function addChannelBias(binary: ElementwiseKernels['binary'], y: View, bias: View): void {
  // Built field by field: tensors' fields are getters, which a spread would drop.
  const b: View = { storage: bias.storage, dtype: bias.dtype, shape: y.shape, strides: y.shape.map((_, d) => (d === 1 ? bias.strides[0]! : 0)), offset: bias.offset };
  binary('add', y, b, y);
}
