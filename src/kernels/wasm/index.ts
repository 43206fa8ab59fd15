/**
 * The wasm backend: tensors live in one WebAssembly memory (runtime.ts), and the kernels that
 * dominate training (matmul, convolution, ...: see families.ts) are C compiled to WebAssembly
 * with 128-bit SIMD, split over worker threads. Every other kernel is the cpu reference loop,
 * run on the same typed arrays: the arrays are views of the wasm memory, so nothing is copied.
 */
import type { Backend, BackendMemory, KernelFamilies, RandomDist, View } from '../backend.js';
import { CpuBackend } from '../cpu/index.js';
import type { DType, TypedArray } from '../../core/dtype.js';
import { Storage } from '../../core/storage.js';
import { narrowHalf, widenHalf } from '../../core/half.js';
import { stridedRuns } from '../cpu/strided.js';
import { bitsToUnit, randomBits } from '../../core/random.js';
import { WasmRuntime, type WasmInfo, type WasmOptions } from './runtime.js';
import { wasmFamilies } from './families.js';

export type { WasmInfo, WasmOptions };

const ARRAYS = {
  float32: Float32Array, float16: Uint16Array, int32: Int32Array, float64: Float64Array, bool: Uint8Array, int8: Int8Array, uint8: Uint8Array,
} as const;

// The kernel families' tables (wasm/families.ts) become properties: backend.matmul.matmul(...).
export interface WasmBackend extends KernelFamilies {}

export class WasmBackend implements Backend {
  readonly name = 'wasm' as const;
  /** The cpu reference, for the core kernels: they only index the typed arrays. */
  private readonly host = new CpuBackend();
  private stats = { buffers: 0, bytes: 0 };

  private constructor(readonly rt: WasmRuntime) {
    Object.assign(this, wasmFamilies(rt));
  }

  static async create(options: WasmOptions = {}): Promise<WasmBackend> {
    return new WasmBackend(await WasmRuntime.create(options));
  }

  info(): WasmInfo {
    return { simd: true, threads: this.rt.threads, sharedMemory: this.rt.shared, memoryBytes: this.rt.memoryBytes() };
  }

  /** Sets the threads that run large kernels (init({ backend: 'wasm', threads }) calls it). */
  setThreads(n: number): Promise<void> {
    return this.rt.setThreads(n);
  }

  supports(dtype: DType): boolean {
    // float64 stays the cpu reference's own (gradcheck's dtype), as on webgpu.
    return dtype !== 'float64';
  }

  allocate(dtype: DType, length: number): Storage {
    const Ctor = ARRAYS[dtype];
    const bytes = length * Ctor.BYTES_PER_ELEMENT;
    const at = this.rt.alloc(bytes);
    const a = new Ctor(this.rt.memory.buffer, at, length) as TypedArray; // float16: its 16-bit words
    this.stats.buffers++;
    this.stats.bytes += bytes;
    return new Storage(this, a, dtype, length, bytes);
  }

  upload(dtype: DType, data: TypedArray): Storage {
    const s = this.allocate(dtype, data.length);
    if (dtype === 'float16') narrowHalf(data instanceof Float32Array ? data : Float32Array.from(data), s.handle as unknown as Uint16Array);
    else (s.handle as TypedArray).set(data);
    return s;
  }

  widenHalf(src: Storage, lo: number, n: number): Storage {
    const t = this.allocate('float32', n);
    widenHalf((src.handle as unknown as Uint16Array).subarray(lo, lo + n), t.handle as Float32Array);
    return t;
  }

  narrowHalf(temp: Storage, dst: Storage, lo: number, n: number): void {
    this.host.narrowHalf(temp, dst, lo, n); // only the typed arrays are touched
  }

  free(handle: unknown, bytes: number): void {
    this.stats.buffers--;
    this.stats.bytes -= bytes;
    this.rt.release((handle as TypedArray).byteOffset, bytes);
  }

  async read(x: View): Promise<TypedArray> {
    // A host copy (readSync allocates a fresh array): the heap block may be reused later.
    return this.host.readSync(x);
  }

  /** A contiguous host copy, synchronously (the memory is the host's). */
  readSync(x: View): TypedArray {
    return this.host.readSync(x);
  }

  copy(x: View, out: View): void {
    // Same dtype: walk runs (stridedRuns merges what it can); runs contiguous on both sides are
    // one typed-array copy each (a memcpy). Casts and scattered elements take the reference.
    if (x.dtype === out.dtype) {
      const { inner, steps, starts } = stridedRuns(out.shape, [x, out]);
      if (steps[0] === 1 && steps[1] === 1 && inner >= 16) {
        const [src, dst] = [x.storage.handle as TypedArray, out.storage.handle as TypedArray];
        const [sx, so] = [starts[0]!, starts[1]!];
        for (let r = 0; r < sx.length; r++) dst.set(src.subarray(sx[r]!, sx[r]! + inner), so[r]!);
        return;
      }
    }
    this.host.copy(x, out);
  }

  gather(x: View, dim: number, index: View, out: View): void {
    this.host.gather(x, dim, index, out);
  }

  scatterAdd(src: View, dim: number, index: View, out: View): void {
    this.host.scatterAdd(src, dim, index, out);
  }

  fill(out: View, value: number): void {
    this.host.fill(out, value);
  }

  arange(out: View, start: number, step: number): void {
    this.host.arange(out, start, step);
  }

  random(out: View, dist: RandomDist, seed: number, counter: number): void {
    // A contiguous output (dropout masks, init) is filled in one loop, without the reference's
    // offset table; the numbers are the reference's, element for element (same counters).
    const { inner, steps, starts } = stridedRuns(out.shape, [out]);
    if (starts[0]!.length !== 1 || steps[0] !== 1 || dist.kind !== 'uniform') return this.host.random(out, dist, seed, counter);
    const O = out.storage.handle as TypedArray;
    const at = starts[0]![0]!;
    const span = dist.high - dist.low;
    for (let i = 0; i < inner; i++) O[at + i] = dist.low + span * bitsToUnit(randomBits(seed, counter + i));
  }

  memory(): BackendMemory {
    const p = this.rt.pooled();
    return { buffers: this.stats.buffers, bytes: this.stats.bytes, pooledBytes: p.bytes, pooledBuffers: p.blocks };
  }

  trimPool(): number {
    return this.rt.trim();
  }

  async sync(): Promise<void> {}

  /** Stops the worker threads; the backend must not be used afterwards. */
  close(): void {
    this.rt.close();
  }
}

