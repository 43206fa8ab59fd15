/** The reduction family: sum, prod, max, min, argmax, argmin over the trailing dims. */
import type { View } from '../../core/view.js';
import type { ReduceOp } from '../ops.js';

export interface ReduceKernels {
  /**
   * Reduces the last `reduceRank` dims of x; out is contiguous with x's leading dims.
   * argmax/argmin write the flat index within the reduced dims (first occurrence).
   */
  reduce(op: ReduceOp, x: View, reduceRank: number, out: View): void;
}
