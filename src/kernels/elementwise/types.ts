/** The elementwise family: unary ops, binary ops and where, over any strides. */
import type { View } from '../../core/view.js';
import type { BinaryKernelOp, UnaryOp } from '../ops.js';

export interface ElementwiseKernels {
  /** out = op(x), elementwise; out is contiguous with x's shape. `params`: the op's parameters (a0, a1). */
  unary(op: UnaryOp, x: View, out: View, params?: readonly number[]): void;
  /** out = op(a, b); a and b are already broadcast (stride 0) to out's shape. op: a Tensor method's or an activation's backward (ACTIVATION_GRADS). */
  binary(op: BinaryKernelOp, a: View, b: View, out: View): void;
  /** out = cond ? a : b; all broadcast to out's shape. */
  where(cond: View, a: View, b: View, out: View): void;
}
