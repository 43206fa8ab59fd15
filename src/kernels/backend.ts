/**
 * The interface a backend implements. Ops (src/tensor/ops) are written once against it:
 * they check shapes and dtypes, allocate the output, and call exactly one kernel method.
 * Every method only enqueues work; the one way back to the host is the async `read`.
 */
import type { DType, TypedArray } from '../core/dtype.js';
import type { Storage } from '../core/storage.js';
import type { View } from '../core/view.js';
import type { DeviceName } from '../core/device.js';
import type { KernelFamilies } from './families.js';

export type { DeviceName, View, KernelFamilies };
export type { Conv2dParams } from './conv/types.js';
export type { Pool2dSpec, PoolAxis, IndexCheckOp } from './pool/types.js';
export type { ClassLossArgs } from './softmax/types.js';
export type { OptimizerKind, OptimizerHyper } from './optim/types.js';

export type RandomDist =
  | { kind: 'uniform'; low: number; high: number }
  | { kind: 'normal'; mean: number; std: number }
  | { kind: 'int'; low: number; high: number };

export interface BackendMemory {
  /** Live storages (buffers held by tensors). */
  buffers: number;
  /** Bytes held by live storages. */
  bytes: number;
  /** Bytes kept in the pool for reuse (webgpu), not held by any tensor. */
  pooledBytes: number;
  /** Buffers kept in the pool. */
  pooledBuffers: number;
}

/** Storage and the core kernels: what every backend implements in its own class. */
export interface CoreBackend {
  readonly name: DeviceName;
  /** Which dtypes this backend stores. */
  supports(dtype: DType): boolean;

  /** A storage for `length` elements; contents are unspecified. */
  allocate(dtype: DType, length: number): Storage;
  /** A storage holding a copy of `data`. */
  upload(dtype: DType, data: TypedArray): Storage;
  /** Gives a storage's buffer back (called by Storage, once). */
  free(handle: unknown, bytes: number): void;
  /** A contiguous host copy of the view's elements. */
  read(x: View): Promise<TypedArray>;
  /**
   * float16 storage (16-bit words; src/kernels/half.ts): a float32 storage holding elements
   * [lo, lo + n) of the float16 storage `src`, widened exactly.
   */
  widenHalf(src: Storage, lo: number, n: number): Storage;
  /** Elements [lo, lo + n) of the float16 storage `dst` = the first n values of `temp`, rounded to nearest even. */
  narrowHalf(temp: Storage, dst: Storage, lo: number, n: number): void;

  /** Strided copy with dtype conversion; out may be any view (cat writes into slices). */
  copy(x: View, out: View): void;
  /** out[i] = x[i with coordinate `dim` replaced by index[i]]; index is int32 with out's shape. */
  gather(x: View, dim: number, index: View, out: View): void;
  /**
   * out[i with coordinate `dim` replaced by index[i]] += src[i] for every i over index's shape
   * (src has index's shape; out is contiguous and already filled). Repeated indices add up.
   */
  scatterAdd(src: View, dim: number, index: View, out: View): void;
  fill(out: View, value: number): void;
  /** out[i] = start + i * step (contiguous out). */
  arange(out: View, start: number, step: number): void;
  /** Counter-based random numbers: element i uses counters starting at `counter + i` (see random.ts). */
  random(out: View, dist: RandomDist, seed: number, counter: number): void;

  memory(): BackendMemory;
  /** Frees every pooled (unused) buffer; returns the bytes freed (0 on cpu, which pools nothing). */
  trimPool(): number;
  /** Waits until all enqueued work has finished (a no-op on cpu). */
  sync(): Promise<void>;
}

/**
 * A backend: the core kernels, plus one table per kernel family (`backend.conv.conv2d(...)`,
 * `backend.pool.maxPool2d(...)`...; see families.ts). Each backend builds its tables in its own
 * families.ts, so adding a family touches neither backend class.
 */
export interface Backend extends CoreBackend, KernelFamilies {}
