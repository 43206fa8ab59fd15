import type { DeviceName } from './device.js';
import type { DType } from './dtype.js';
import { SENTINEL, addSentinelPlanter, ballastBytes, noteAllocation, noteFree, sentinelBack } from './collect.js';

/**
 * A backend buffer shared by a tensor and all of its views.
 *
 * `refs` counts the live (not disposed) tensors that use it; the buffer goes back to the
 * backend (its pool, on webgpu) when the last one is disposed. Tensors that are simply dropped
 * are caught by a FinalizationRegistry: once no tensor can reach the storage, the garbage
 * collector hands the buffer back too; collect.ts makes the collector run often enough that
 * loops that never call `dispose()` stay bounded.
 */
/**
 * What a Storage needs of the backend that made it: its name and a way to give the buffer back.
 * (The full Backend interface lives in src/kernels/backend.ts, above this folder.)
 */
export interface StorageOwner {
  readonly name: DeviceName;
  /** Gives a storage's buffer back (called once per storage). */
  free(handle: unknown, bytes: number): void;
}

export class Storage {
  refs = 0;
  released = false;
  /**
   * Bumped by every write into an existing buffer (the in-place ops, optimizer steps,
   * loadStateDict, batchNorm's running statistics), so host copies cached by `data()` are not
   * reused after them, and autograd refuses a backward through saved values changed since.
   */
  version = 0;

  constructor(
    readonly backend: StorageOwner,
    /** The backend's buffer: a TypedArray on cpu, a GPUBuffer on webgpu. */
    readonly handle: unknown,
    readonly dtype: DType,
    /** Capacity in elements. */
    readonly length: number,
    /** Bytes this storage accounts for on its backend. */
    readonly bytes: number,
  ) {
    storageRegistry.register(this, { backend, handle, bytes }, this);
    noteAllocation(bytes);
    const extra = backend.name === 'cpu' ? 0 : ballastBytes(bytes);
    if (extra > 0) this.ballast = new ArrayBuffer(extra);
  }

  /** Host bytes that make a GPU buffer's weight visible to the JS engine (collect.ts); never touched. */
  private ballast: ArrayBuffer | undefined;

  retain(): void {
    this.refs++;
  }

  /** Drops one tensor's claim; the last one frees the buffer at once. */
  releaseRef(): void {
    if (--this.refs <= 0) this.free();
  }

  free(): void {
    if (this.released) return;
    this.released = true;
    storageRegistry.unregister(this);
    noteFree(this.bytes);
    this.backend.free(this.handle, this.bytes);
  }
}

interface Held {
  backend: StorageOwner;
  handle: unknown;
  bytes: number;
}

const storageRegistry = new FinalizationRegistry<Held | typeof SENTINEL>((h) => (h === SENTINEL ? sentinelBack() : h.backend.free(h.handle, h.bytes)));
addSentinelPlanter(() => storageRegistry.register({}, SENTINEL));
