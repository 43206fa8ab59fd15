/** The sort family: rows sorted into (value, index) pairs. */
import type { View } from '../../core/view.js';

export interface SortKernels {
  /**
   * Sorts each row of x along its last dim: values (x's dtype: float32, int32; float64 on cpu)
   * and indices (int32, the positions in the row), both contiguous with x's shape. The order is
   * total: by value (descending when asked), NaN above every number, ties by index, so equal
   * values keep their input order (a stable sort) on every device. x is any strided view.
   */
  sort(x: View, descending: boolean, values: View, indices: View): void;
}
