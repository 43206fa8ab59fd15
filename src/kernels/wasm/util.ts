/** Helpers the wasm families' binders share. */
import type { View } from '../../core/view.js';
import type { TypedArray } from '../../core/dtype.js';

/** The byte address of a view's first element in the wasm memory. */
export function ptr(v: View): number {
  const a = v.storage.handle as TypedArray;
  return a.byteOffset + v.offset * a.BYTES_PER_ELEMENT;
}

/**
 * Below this many multiply-adds (or elements, for the streaming kernels) a kernel runs on the
 * calling thread alone: waking the workers costs tens of microseconds.
 */
export const PARALLEL_WORK = 1 << 17;
