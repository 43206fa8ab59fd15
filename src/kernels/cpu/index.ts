/**
 * The CPU reference backend: plain loops over TypedArrays, written independently of the WGSL
 * so that it can catch the kernels' own bugs. Float math runs in doubles and is rounded once
 * on store; int32 math wraps like the GPU's. It is also the only backend with float64.
 */
import type { Backend, BackendMemory, KernelFamilies, RandomDist, View } from '../backend.js';
import { cpuFamilies } from './families.js';
import { allocArray, type DType, type TypedArray } from '../../core/dtype.js';
import { Storage } from '../../core/storage.js';
import { numel } from '../../core/shape.js';
import { narrowHalf, widenHalf } from '../../core/half.js';
import { bitsToUnit, randomBits } from '../../core/random.js';
import { elementOffsets, stridedRuns, viewOffsets } from './strided.js';
import { cpuThreads } from './threads.js';

const arr = (v: View): TypedArray => v.storage.handle as TypedArray;

/** Arrays from this many elements are pooled when freed (smaller ones are cheap to allocate). */
const POOL_MIN_ELEMENTS = 1 << 16;
/** At most this many bytes wait in the pool; past it freed arrays go to the garbage collector. */
const POOL_MAX_BYTES = 64 << 20;
/** The array class allocArray makes for each dtype (the pool's keys). */
const ARRAY_NAME: Record<DType, string> = { float32: 'Float32Array', float16: 'Uint16Array', int32: 'Int32Array', float64: 'Float64Array', bool: 'Uint8Array', int8: 'Int8Array', uint8: 'Uint8Array' };

// The kernel families' tables (cpu/families.ts) become properties: backend.conv.conv2d(...).
export interface CpuBackend extends KernelFamilies {}

export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  private stats = { buffers: 0, bytes: 0 };
  /**
   * Freed large arrays by type and length, handed out again zeroed. A fresh array's pages
   * fault in as it is first written, which cost an elementwise op on a million floats about as
   * much as its arithmetic; a reused one is already mapped.
   */
  private pool = new Map<string, TypedArray[]>();
  private pooled = { buffers: 0, bytes: 0 };

  constructor() {
    Object.assign(this, cpuFamilies);
  }

  /**
   * Threads for the large kernels (matmul), the calling one included; resolves once the
   * workers are up. Default: the machine's cores, started at the first large matmul; 1 where
   * worker_threads or SharedArrayBuffer are missing (browsers).
   */
  setThreads(n: number): Promise<void> {
    return cpuThreads.setThreads(n);
  }

  /** The threads large kernels use once the workers are up. */
  threads(): number {
    return cpuThreads.threads();
  }

  supports(_dtype: DType): boolean {
    return true;
  }

  allocate(dtype: DType, length: number): Storage {
    // float16 storage is its 16-bit words (src/kernels/half.ts widens them for the kernels).
    const a = this.reuse(dtype, length) ?? (dtype === 'float16' ? (new Uint16Array(length) as unknown as TypedArray) : allocArray(dtype, length));
    this.stats.buffers++;
    this.stats.bytes += a.byteLength;
    return new Storage(this, a, dtype, length, a.byteLength);
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
    narrowHalf((temp.handle as Float32Array).subarray(0, n), (dst.handle as unknown as Uint16Array).subarray(lo, lo + n));
  }

  free(handle: unknown, bytes: number): void {
    this.stats.buffers--;
    this.stats.bytes -= bytes;
    const a = handle as TypedArray;
    if (a.length >= POOL_MIN_ELEMENTS && this.pooled.bytes + a.byteLength <= POOL_MAX_BYTES) {
      const key = `${a.constructor.name}:${a.length}`;
      const list = this.pool.get(key);
      if (list) list.push(a);
      else this.pool.set(key, [a]);
      this.pooled.buffers++;
      this.pooled.bytes += a.byteLength;
    }
  }

  /** A pooled array for `dtype` and `length`, zeroed (allocate's contract), or undefined. */
  private reuse(dtype: DType, length: number): TypedArray | undefined {
    if (length < POOL_MIN_ELEMENTS) return undefined;
    const list = this.pool.get(`${ARRAY_NAME[dtype]}:${length}`);
    const a = list?.pop();
    if (!a) return undefined;
    this.pooled.buffers--;
    this.pooled.bytes -= a.byteLength;
    return a.fill(0);
  }

  readSync(x: View): TypedArray {
    const src = arr(x);
    const n = numel(x.shape);
    const out = allocArray(x.dtype, n);
    const offs = viewOffsets(x, x.shape);
    for (let i = 0; i < n; i++) out[i] = src[offs[i]!]!;
    return out;
  }

  async read(x: View): Promise<TypedArray> {
    return this.readSync(x);
  }

  copy(x: View, out: View): void {
    const src = arr(x);
    const dst = arr(out);
    const ox = viewOffsets(x, out.shape);
    const oo = viewOffsets(out, out.shape);
    if (out.dtype === 'int32' && x.dtype !== 'int32') {
      // float -> int truncates toward zero; out-of-range saturates like WGSL's i32(f32).
      for (let i = 0; i < ox.length; i++) {
        const v = Math.trunc(src[ox[i]!]!);
        // 2147483520 is the largest float32 below 2^31 (where WGSL's i32(f32) clamps).
        dst[oo[i]!] = v !== v ? 0 : Math.max(-2147483648, Math.min(x.dtype === 'float32' ? 2147483520 : 2147483647, v));
      }
    } else if (out.dtype === 'bool') {
      // Nonzero is true, NaN included (as in PyTorch and the WGSL `v != 0`).
      for (let i = 0; i < ox.length; i++) dst[oo[i]!] = src[ox[i]!] !== 0 ? 1 : 0;
    } else {
      for (let i = 0; i < ox.length; i++) dst[oo[i]!] = src[ox[i]!]!;
    }
  }

  gather(x: View, dim: number, index: View, out: View): void {
    const base = elementOffsets(out.shape, x.strides.map((s, d) => (d === dim ? 0 : s)), x.offset);
    const oi = viewOffsets(index, out.shape);
    const oo = viewOffsets(out, out.shape);
    const X = arr(x);
    const I = arr(index);
    const O = arr(out);
    const size = x.shape[dim]!;
    const step = x.strides[dim]!;
    for (let i = 0; i < base.length; i++) {
      const j = I[oi[i]!]!;
      if (j < 0 || j >= size) {
        throw new Error(`gather: index ${j} is out of range for dimension ${dim} of size ${size} (expected 0 to ${size - 1})`);
      }
      O[oo[i]!] = X[base[i]! + j * step]!;
    }
  }

  scatterAdd(src: View, dim: number, index: View, out: View): void {
    const base = elementOffsets(index.shape, out.strides.map((s, d) => (d === dim ? 0 : s)), out.offset);
    const oi = viewOffsets(index, index.shape);
    const os = viewOffsets(src, index.shape);
    const S = arr(src);
    const I = arr(index);
    const O = arr(out);
    const size = out.shape[dim]!;
    const step = out.strides[dim]!;
    // Check every index first, so an error leaves out untouched.
    for (let i = 0; i < oi.length; i++) {
      const j = I[oi[i]!]!;
      if (j < 0 || j >= size) throw new Error(`scatterAdd: index ${j} is out of range for dimension ${dim} of size ${size} (expected 0 to ${size - 1})`);
    }
    const wrap = out.dtype === 'int32';
    for (let i = 0; i < base.length; i++) {
      const at = base[i]! + I[oi[i]!]! * step;
      O[at] = wrap ? (O[at]! + S[os[i]!]!) | 0 : O[at]! + S[os[i]!]!;
    }
  }

  fill(out: View, value: number): void {
    const O = arr(out);
    const { inner, steps: [step], starts: [starts] } = stridedRuns(out.shape, [out]);
    for (let r = 0; r < starts!.length; r++) {
      const at = starts![r]!;
      if (step === 1) O.fill(value, at, at + inner);
      else for (let j = 0, i = at; j < inner; j++, i += step!) O[i] = value;
    }
  }

  arange(out: View, start: number, step: number): void {
    const O = arr(out);
    const oo = viewOffsets(out, out.shape);
    for (let i = 0; i < oo.length; i++) O[oo[i]!] = start + i * step;
  }

  random(out: View, dist: RandomDist, seed: number, counter: number): void {
    const O = arr(out);
    const oo = viewOffsets(out, out.shape);
    const n = oo.length;
    switch (dist.kind) {
      case 'uniform':
        for (let i = 0; i < n; i++) {
          O[oo[i]!] = dist.low + (dist.high - dist.low) * bitsToUnit(randomBits(seed, counter + i));
        }
        break;
      case 'normal':
        for (let i = 0; i < n; i++) {
          // Box-Muller on two counters; u1 in (0, 1] so the log is finite.
          const u1 = ((randomBits(seed, counter + 2 * i) >>> 8) + 1) / 16777216;
          const u2 = bitsToUnit(randomBits(seed, counter + 2 * i + 1));
          O[oo[i]!] = dist.mean + dist.std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
        }
        break;
      case 'int': {
        const range = dist.high - dist.low;
        for (let i = 0; i < n; i++) O[oo[i]!] = dist.low + (randomBits(seed, counter + i) % range);
        break;
      }
    }
  }

  memory(): BackendMemory {
    return { buffers: this.stats.buffers, bytes: this.stats.bytes, pooledBytes: this.pooled.bytes, pooledBuffers: this.pooled.buffers };
  }

  trimPool(): number {
    const bytes = this.pooled.bytes;
    this.pool.clear();
    this.pooled = { buffers: 0, bytes: 0 };
    return bytes;
  }

  async sync(): Promise<void> {}
}
