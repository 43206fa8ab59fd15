import type { DType } from './dtype.js';
import type { Storage } from './storage.js';

/** A strided window on a storage: what every kernel reads and writes. Tensors are Views. */
export interface View {
  readonly storage: Storage;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}
