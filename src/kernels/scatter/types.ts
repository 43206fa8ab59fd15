/** The scatter family: reductions into positions named by an index (scatterReduce, scatter). */
import type { View } from '../../core/view.js';

/** How scattered values meet what is there: 'assign' is plain scatter (one of the writes wins). */
export type ScatterMode = 'sum' | 'prod' | 'mean' | 'amax' | 'amin' | 'assign';

export interface ScatterKernels {
  /**
   * For every i over index's shape, out[i with coordinate `dim` replaced by index[i]] is
   * combined with src[i] by `mode`. out holds the input (x's shape, contiguous, fresh, written
   * by the caller first); with `includeSelf` false a position's input value is left out of its
   * reduction (kept where nothing is scattered). mean divides by the number of values met
   * (input included when includeSelf; int32 rounds down). src and index are strided views of
   * out's rank; index is int32, each value in [0, out.shape[dim]) (an error otherwise: thrown
   * before any write on cpu, reported at the next read on webgpu).
   */
  scatterReduce(src: View, dim: number, index: View, mode: ScatterMode, includeSelf: boolean, out: View): void;
}
