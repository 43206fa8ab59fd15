/**
 * The WebGPU backend: hand-written WGSL kernels (shaders/) behind the Backend interface.
 *
 * Batching: kernels are recorded into one open compute pass; the batch is submitted when a
 * read needs it, when the uniform arena is full, or every MAX_BATCH dispatches, so a chain of
 * ops costs no host round trip. Each dispatch's uniforms are packed into a host-side arena that
 * is written to one GPU uniform buffer just before its batch is submitted (queue order makes
 * reusing that buffer for the next batch safe).
 *
 * Memory: storages come from a size-class BufferPool; `free` returns them to it.
 */
import type { Backend, BackendMemory, KernelFamilies, RandomDist, View } from '../backend.js';
import type { WebGPUContext } from './context.js';
import { FAMILY_SHADERS, webgpuFamilies } from './families.js';
import { BindGroupCache } from './bindgroups.js';
import type { DType, TypedArray } from '../../core/dtype.js';
import { allocArray } from '../../core/dtype.js';
import { Storage } from '../../core/storage.js';
import { coalesce, contiguousStrides, fmtShape, isContiguous, numel } from '../../core/shape.js';
import { workgroupSize, type AdapterReport } from './device.js';
import { BufferPool, sizeClass } from './pool.js';
import { PipelineCache, packUniform, type KernelSource, type KernelSpec, type UniformValues } from './pipelines.js';
import copySrc from '../../../shaders/copy.wgsl';
import fillSrc from '../../../shaders/fill.wgsl';
import randomSrc from '../../../shaders/random.wgsl';
import gatherSrc from '../../../shaders/gather.wgsl';
import scatterAddSrc from '../../../shaders/scatter_add.wgsl';
import halfSrc from '../../../shaders/half.wgsl';
import { halfBitsSrc } from './halfLoads.js';
import { narrowHalf } from '../../core/half.js';
import { KERNEL_ERRORS, MAX_RANK, STRIDED_LIB, buf, lostError, pad, wgslType } from './util.js';

/** Every shader file, by name (the compile-all test walks this). */
export const SHADERS = {
  copy: { file: 'copy.wgsl', source: copySrc, lib: STRIDED_LIB },
  fill: { file: 'fill.wgsl', source: fillSrc, lib: STRIDED_LIB },
  random: { file: 'random.wgsl', source: randomSrc },
  gather: { file: 'gather.wgsl', source: gatherSrc, lib: STRIDED_LIB },
  scatterAdd: { file: 'scatter_add.wgsl', source: scatterAddSrc, lib: STRIDED_LIB },
  half: { file: 'half.wgsl', source: halfSrc, lib: halfBitsSrc },
  // the kernel families' shaders (webgpu/families.ts)
  ...FAMILY_SHADERS,
} as const satisfies Record<string, KernelSource>;

export const MAX_BATCH = 128;
/** Compute passes one submit may time (startGpuTimer): a timestamp pair each. */
const TIMER_PASSES = 256;
const UNIFORM_SLOT = 256; // >= every kernel's Params and a multiple of minUniformBufferOffsetAlignment
const ARENA_SLOTS = 256;


export { wgslType };

/** A storage's bytes: 4 per element (bool is a u32), float16 two to a word; at least one word. */
function storageBytes(dtype: DType, length: number): number {
  if (dtype === 'float16') return Math.max(Math.ceil(length / 2), 1) * 4;
  wgslType(dtype); // refuses the dtypes webgpu does not store
  return Math.max(length, 1) * 4;
}

// The kernel families' tables (webgpu/families.ts) become properties: backend.conv.conv2d(...).
export interface WebGPUBackend extends KernelFamilies {}

export class WebGPUBackend implements Backend, WebGPUContext {
  readonly name = 'webgpu' as const;
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  /** @internal Bind groups reused across dispatches (webgpu/bindgroups.ts). */
  readonly bindGroups: BindGroupCache;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private dispatches = 0;
  private readonly arena: GPUBuffer;
  private readonly arenaHost = new ArrayBuffer(UNIFORM_SLOT * ARENA_SLOTS);
  private arenaUsed = 0;
  /** @internal The buffer kernels that validate input write error codes into (see util.ts KERNEL_ERRORS). */
  readonly errorFlags: GPUBuffer;
  /** @internal Set by a dispatch that may write errorFlags, so the next read checks them. */
  errorsMayBeSet = false;
  private readonly pendingErrors: Error[] = [];
  private readonly buildErrors: Error[] = [];
  /** Invocations per workgroup of the 1-D kernels (the WG override). */
  readonly wg: number;
  private lostReason: string | undefined;
  private stats = { buffers: 0, bytes: 0 };
  /** Queue submissions so far (each is one batch of kernels); for tests and diagnostics. */
  submits = 0;
  /** Kernels dispatched so far. */
  dispatchCount = 0;
  private readonly maxBinding: number;
  private readonly maxBuffer: number;
  private readonly maxPerDim: number;
  /** The GPU timer while it runs (startGpuTimer): a timestamp pair per compute pass, summed per submit. */
  private timer: { set: GPUQuerySet; resolve: GPUBuffer; used: number; ns: number; pending: Promise<void>[] } | null = null;

  constructor(readonly device: GPUDevice, readonly adapter: AdapterReport) {
    Object.assign(this, webgpuFamilies(this));
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    this.bindGroups = new BindGroupCache(device);
    this.pool = new BufferPool(device, usage, undefined, undefined, (buffer) => this.bindGroups.forget(buffer));
    // A kernel that fails to build is the root cause of the submit errors after it: report it first.
    this.pipelines = new PipelineCache(device, (_label, err) => this.buildErrors.push(err));
    this.arena = device.createBuffer({ label: 'uniform arena', size: this.arenaHost.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.errorFlags = device.createBuffer({ label: 'kernel error flags', size: 16, usage });
    this.maxBinding = device.limits.maxStorageBufferBindingSize;
    this.maxBuffer = device.limits.maxBufferSize;
    this.maxPerDim = device.limits.maxComputeWorkgroupsPerDimension;
    this.wg = workgroupSize(device.limits);
    if (device.limits.maxComputeInvocationsPerWorkgroup < 256) {
      throw new Error(`webgpu: the device allows ${device.limits.maxComputeInvocationsPerWorkgroup} invocations per workgroup; webgrad's matmul needs 256`);
    }
    void device.lost.then((info) => {
      this.lostReason = `${info.reason}: ${info.message}`;
    });
    device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => {
      this.pendingErrors.push(new Error(`webgpu: ${ev.error.message}`));
    };
  }

  supports(dtype: DType): boolean {
    // WGSL has no 8-bit storage type: int8/uint8 would need packing four to a u32 in every kernel.
    // float16 is packed two to a u32, and only half.wgsl reads those words (src/kernels/half.ts).
    return dtype !== 'float64' && dtype !== 'int8' && dtype !== 'uint8';
  }

  /** Why the device was lost ('destroyed: ...'), once it has been; undefined while it works. */
  get lost(): string | undefined {
    return this.lostReason;
  }

  private checkAlive(op: string): void {
    if (this.lostReason) throw lostError(this.lostReason, op);
  }

  /**
   * The error for a failed map or submit: the lost-device error when the device is gone (its
   * loss is reported a moment after the failure, so wait for it briefly), else `e` with a message.
   */
  private async failure(op: string, e: unknown): Promise<Error> {
    if (!this.lostReason) await Promise.race([this.device.lost, new Promise((r) => setTimeout(r, 100))]);
    await Promise.resolve();
    if (this.lostReason) return lostError(this.lostReason, op);
    const msg = e instanceof Error ? e.message || e.name : String(e);
    return new Error(`webgpu: ${op} failed: ${msg || 'no reason given by the driver'}`);
  }

  // ---- memory ------------------------------------------------------------------------------
  allocate(dtype: DType, length: number): Storage {
    this.checkAlive('allocate');
    const bytes = storageBytes(dtype, length);
    if (bytes > this.maxBinding) {
      throw new Error(
        // Exact byte counts: just over the limit, both round to the same number of MiB.
        `webgpu: a ${dtype} tensor of ${length} elements (${bytes} bytes) exceeds this adapter's largest storage binding ` +
          `(maxStorageBufferBindingSize = ${this.maxBinding} bytes, ${(this.maxBinding / 2 ** 20).toFixed(1)} MiB); split it, or use the cpu backend`,
      );
    }
    // The pool rounds sizes up to a class; that must still be a buffer the device can create.
    if (sizeClass(bytes) > this.maxBuffer) {
      throw new Error(
        `webgpu: a ${dtype} tensor of ${length} elements needs a ${sizeClass(bytes)}-byte buffer, over this adapter's ` +
          `maxBufferSize = ${this.maxBuffer} bytes; split it, or use the cpu backend`,
      );
    }
    const buffer = this.pool.acquire(bytes, false);
    this.stats.buffers++;
    this.stats.bytes += buffer.size;
    return new Storage(this, buffer, dtype, length, buffer.size);
  }

  upload(dtype: DType, data: TypedArray): Storage {
    this.checkAlive('upload');
    const s = this.allocateForUpload(dtype, data.length);
    if (data.length > 0) {
      if (dtype === 'float16') {
        const words = new Uint16Array(data.length + (data.length & 1)); // whole u32 words
        narrowHalf(data instanceof Float32Array ? data : Float32Array.from(data), words, data.length);
        this.device.queue.writeBuffer(s.handle as GPUBuffer, 0, words.buffer, 0, words.byteLength);
      } else {
        const src = dtype === 'bool' ? Uint32Array.from(data as Uint8Array) : data;
        this.device.queue.writeBuffer(s.handle as GPUBuffer, 0, src.buffer, src.byteOffset, data.length * 4);
      }
    }
    return s;
  }

  /** A float32 storage holding elements [lo, lo + n) of the float16 storage `src`, widened (half.wgsl). */
  widenHalf(src: Storage, lo: number, n: number): Storage {
    const t = this.allocate('float32', n);
    if (n > 0) {
      this.dispatch({ shader: SHADERS.half, entry: 'widen', preamble: '' }, { halves: src.handle as GPUBuffer, wide: t.handle as GPUBuffer },
        { lo, n, first_word: 0, words: 0 }, this.grid(Math.ceil(n / this.wg)));
    }
    return t;
  }

  /** Elements [lo, lo + n) of the float16 storage `dst` = temp's n values, rounded (half.wgsl). */
  narrowHalf(temp: Storage, dst: Storage, lo: number, n: number): void {
    if (n === 0) return;
    const first = lo >> 1;
    const words = ((lo + n - 1) >> 1) - first + 1;
    this.dispatch({ shader: SHADERS.half, entry: 'narrow', preamble: '' }, { halves: dst.handle as GPUBuffer, wide: temp.handle as GPUBuffer },
      { lo, n, first_word: first, words }, this.grid(Math.ceil(words / this.wg)));
  }

  private allocateForUpload(dtype: DType, length: number): Storage {
    const bytes = storageBytes(dtype, length);
    if (bytes > this.maxBinding || sizeClass(bytes) > this.maxBuffer) return this.allocate(dtype, length); // throws the size error
    const buffer = this.pool.acquire(bytes, true);
    this.stats.buffers++;
    this.stats.bytes += buffer.size;
    return new Storage(this, buffer, dtype, length, buffer.size);
  }

  free(handle: unknown, bytes: number): void {
    this.stats.buffers--;
    this.stats.bytes -= bytes;
    if (!this.lostReason) this.pool.release(handle as GPUBuffer);
  }

  trimPool(): number {
    if (this.lostReason) return 0;
    this.flush(); // pooled buffers may still be bound by unsubmitted commands
    return this.pool.trim();
  }

  memory(): BackendMemory {
    return { buffers: this.stats.buffers, bytes: this.stats.bytes, pooledBytes: this.pool.pooledBytes, pooledBuffers: this.pool.pooledBuffers };
  }

  // ---- command batching --------------------------------------------------------------------
  private beginPass(): GPUComputePassEncoder {
    if (this.pass) return this.pass;
    const t = this.timer;
    if (t && t.used === TIMER_PASSES) this.flush();
    if (!this.encoder) this.encoder = this.device.createCommandEncoder({ label: 'webgrad batch' });
    this.pass = t
      ? this.encoder.beginComputePass({ timestampWrites: { querySet: t.set, beginningOfPassWriteIndex: 2 * t.used, endOfPassWriteIndex: 2 * t.used + 1 } })
      : this.encoder.beginComputePass();
    if (t) t.used++;
    return this.pass;
  }

  /**
   * Starts timing the GPU (the benchmark's GPU-time column): every compute pass recorded from
   * now on writes a timestamp when it begins and when it ends, and stopGpuTimer() adds the
   * passes' durations up. Needs the 'timestamp-query' feature (the device is created with it
   * where the adapter has it); throws, saying so, where it is missing. Browsers may quantise
   * the timestamps (Chrome: to 100 microseconds).
   */
  startGpuTimer(): void {
    this.checkAlive('startGpuTimer');
    if (!this.device.features.has('timestamp-query')) {
      throw new Error(`webgpu startGpuTimer: this device has no 'timestamp-query' feature (adapter: ${this.adapter.description || this.adapter.device || this.adapter.vendor}); GPU time cannot be measured here`);
    }
    if (this.timer) throw new Error('webgpu startGpuTimer: the GPU timer is already running (stopGpuTimer first)');
    this.flush(); // passes recorded before now are not timed
    this.timer = {
      set: this.device.createQuerySet({ label: 'webgrad gpu timer', type: 'timestamp', count: 2 * TIMER_PASSES }),
      resolve: this.device.createBuffer({ label: 'webgrad gpu timer resolve', size: 16 * TIMER_PASSES, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC }),
      used: 0, ns: 0, pending: [],
    };
  }

  /** Stops the GPU timer: resolves to the milliseconds the timed compute passes took on the GPU, in all. */
  async stopGpuTimer(): Promise<number> {
    const t = this.timer;
    if (!t) throw new Error('webgpu stopGpuTimer: the GPU timer is not running (startGpuTimer first)');
    this.flush();
    this.timer = null;
    await Promise.all(t.pending);
    t.set.destroy();
    t.resolve.destroy();
    return t.ns / 1e6;
  }

  /** Before a submit: the timed passes' timestamps into a mappable buffer, summed once the GPU is done. */
  private resolveTimer(enc: GPUCommandEncoder): (() => void) | undefined {
    const t = this.timer;
    if (!t || t.used === 0) return undefined;
    const n = t.used;
    const read = this.device.createBuffer({ label: 'webgrad gpu timer read', size: 16 * n, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    enc.resolveQuerySet(t.set, 0, 2 * n, t.resolve, 0);
    enc.copyBufferToBuffer(t.resolve, 0, read, 0, 16 * n);
    t.used = 0;
    return () => {
      t.pending.push(read.mapAsync(GPUMapMode.READ).then(() => {
        const stamps = new BigUint64Array(read.getMappedRange());
        for (let i = 0; i < n; i++) {
          const d = stamps[2 * i + 1]! - stamps[2 * i]!;
          if (d > 0n) t.ns += Number(d); // an implementation may leave a pair unwritten (zeros) or out of order
        }
        read.unmap();
        read.destroy();
      }));
    };
  }

  /** Submits everything recorded so far; `beforeSubmit` may add copies after the kernels. */
  flush(beforeSubmit?: (enc: GPUCommandEncoder) => void): void {
    if (!this.encoder && !beforeSubmit) return;
    if (!this.encoder) this.encoder = this.device.createCommandEncoder({ label: 'webgrad batch' });
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    beforeSubmit?.(this.encoder);
    const timed = this.resolveTimer(this.encoder);
    if (this.arenaUsed > 0) this.device.queue.writeBuffer(this.arena, 0, this.arenaHost, 0, this.arenaUsed);
    this.device.queue.submit([this.encoder.finish()]);
    timed?.();
    this.submits++;
    this.encoder = null;
    this.arenaUsed = 0;
    this.dispatches = 0;
    this.pool.afterSubmit();
  }

  /** Workgroup grid for `groups` workgroups: 2-D when one dimension is not enough. */
  /** @internal */
  grid(groups: number): [number, number, number] {
    if (groups <= this.maxPerDim) return [groups, 1, 1];
    const y = Math.ceil(groups / this.maxPerDim);
    if (y > this.maxPerDim) throw new Error(`webgpu: ${groups} workgroups exceed a ${this.maxPerDim} x ${this.maxPerDim} grid`);
    return [this.maxPerDim, y, 1];
  }

  /** Binds `resources` (by WGSL variable name) and `params` (the uniform), then dispatches. */
  dispatch(spec: KernelSpec, resources: Record<string, GPUBuffer>, params: UniformValues, grid: [number, number, number]): void {
    this.checkAlive(spec.shader.file);
    const k = this.pipelines.get(declaresWG(spec.shader) ? { ...spec, constants: { WG: this.wg, ...spec.constants } } : spec);
    if (k.uniform && this.arenaUsed + UNIFORM_SLOT > this.arenaHost.byteLength) this.flush();
    for (const name of Object.keys(resources)) {
      if (!k.bindings.some((b) => b.name === name && b.kind !== 'uniform')) {
        throw new Error(`webgpu: kernel ${k.label} declares no storage binding '${name}' (it has: ${k.bindings.map((b) => b.name).join(', ')})`);
      }
    }
    let at = -1;
    const buffers = k.bindings.map((b) => {
      if (b.kind === 'uniform') {
        at = this.arenaUsed;
        if (k.uniform!.size > UNIFORM_SLOT) throw new Error(`webgpu: ${k.label}'s uniform struct is larger than ${UNIFORM_SLOT} bytes`);
        packUniform(k.uniform!, params, this.arenaHost, at, k.label);
        this.arenaUsed += UNIFORM_SLOT;
        return this.arena;
      }
      const r = resources[b.name];
      if (!r) throw new Error(`webgpu: kernel ${k.label} needs a buffer for binding '${b.name}', none was given`);
      return r;
    });
    checkNoAliasing(k.label, k.bindings, resources);
    // The uniform's slot is a dynamic offset, so one group serves every dispatch of k on these buffers.
    const group = this.bindGroups.get(k, k.id, buffers, k.uniform?.size ?? 0);
    const pass = this.beginPass();
    pass.setPipeline(k.pipeline);
    pass.setBindGroup(0, group, at >= 0 ? [at] : []);
    pass.dispatchWorkgroups(grid[0], grid[1], grid[2]);
    this.dispatchCount++;
    if (++this.dispatches >= MAX_BATCH) this.flush();
  }

  // ---- reading back --------------------------------------------------------------------------
  async read(x: View): Promise<TypedArray> {
    this.checkAlive('read');
    const n = numel(x.shape);
    if (n === 0) {
      this.throwPending();
      return allocArray(x.dtype, 0);
    }
    let src = x;
    let temp: Storage | undefined;
    if (!isContiguous(x.shape, x.strides)) {
      temp = this.allocate(x.dtype, n);
      src = { storage: temp, dtype: x.dtype, shape: x.shape, strides: contiguousStrides(x.shape), offset: 0 };
      this.copy(x, src);
    }
    const bytes = n * 4;
    const staging = this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const checkErrors = this.errorsMayBeSet;
    const errStaging = checkErrors
      ? this.device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST })
      : undefined;
    this.flush((enc) => {
      enc.copyBufferToBuffer(buf(src), src.offset * 4, staging, 0, bytes);
      if (errStaging) {
        enc.copyBufferToBuffer(this.errorFlags, 0, errStaging, 0, 16);
        enc.clearBuffer(this.errorFlags);
      }
    });
    if (checkErrors) this.errorsMayBeSet = false;
    temp?.free();
    await this.pipelines.settled();
    try {
      await staging.mapAsync(GPUMapMode.READ);
    } catch (e) {
      this.throwPending();
      throw await this.failure('read', e);
    }
    const raw = staging.getMappedRange().slice(0);
    staging.unmap();
    staging.destroy();
    if (errStaging) {
      await errStaging.mapAsync(GPUMapMode.READ);
      const flags = new Uint32Array(errStaging.getMappedRange().slice(0));
      errStaging.unmap();
      errStaging.destroy();
      if (flags[0]) throw new Error(KERNEL_ERRORS[flags[0]]?.(flags[1]!, flags[2]!) ?? `webgpu: kernel error code ${flags[0]}`);
    }
    this.throwPending();
    switch (x.dtype) {
      case 'float32': return new Float32Array(raw);
      case 'int32': return new Int32Array(raw);
      case 'bool': return Uint8Array.from(new Uint32Array(raw));
      default: throw new Error(`read: dtype ${x.dtype} is not stored on webgpu`);
    }
  }

  private throwPending(): void {
    const e = this.buildErrors.shift() ?? this.pendingErrors.shift();
    if (e) {
      this.pendingErrors.length = 0;
      throw e;
    }
  }

  async sync(): Promise<void> {
    this.checkAlive('sync');
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.pipelines.settled();
    await Promise.resolve(); // a loss during the wait is reported by now
    this.checkAlive('sync');
    this.throwPending();
  }

  // ---- kernels ---------------------------------------------------------------------------------
  /** @internal */
  checkOut(op: string, out: View): void {
    if (out.offset !== 0 || !isContiguous(out.shape, out.strides)) {
      throw new Error(`webgpu ${op}: the output must be a fresh contiguous tensor (got strides ${fmtShape(out.strides)}, offset ${out.offset})`);
    }
  }

  /** Coalesced shape and per-operand strides, checked against the kernels' rank limit. */
  /** @internal */
  strided(op: string, shape: readonly number[], views: readonly View[]): { rank: number; shape: number[]; strides: number[][] } {
    const c = coalesce(shape, views.map((v) => v.strides));
    if (c.shape.length > MAX_RANK) {
      throw new Error(`webgpu ${op}: views with more than ${MAX_RANK} non-mergeable dims are not supported (shape ${fmtShape(shape)}); call .contiguous() first`);
    }
    return { rank: c.shape.length, shape: pad(c.shape), strides: c.strides.map((s) => pad(s)) };
  }

  copy(x: View, out: View): void {
    const n = numel(out.shape);
    if (n === 0) return;
    const sx = wgslType(x.dtype);
    const so = wgslType(out.dtype);
    // float -> int: WGSL's i32(f32) truncates and clamps to [-2^31, 2147483520] (the largest
    // f32 below 2^31), but leaves NaN unspecified: NaN becomes 0, as on the cpu.
    // float -> bool: nonzero or NaN is true, the NaN found on the bits (lavapipe folds NaN != 0 to false).
    const convert = out.dtype === 'bool' ? (x.dtype === 'float32' ? `u32(v != 0.0 || (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u)` : `u32(v != SX(0))`)
      : out.dtype === 'int32' && x.dtype === 'float32' ? `select(i32(v), 0, (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u)`
      : `SO(v)`;
    const s = this.strided('copy', out.shape, [x, out]);
    this.dispatch(
      { shader: SHADERS.copy, entry: 'main', variant: `${x.dtype}>${out.dtype}`, preamble: () => `alias SX = ${sx};\nalias SO = ${so};\nfn convert(v: SX) -> SO { return ${convert}; }\n` },
      { x: buf(x), out: buf(out) },
      { n, rank: s.rank, x_offset: x.offset, out_offset: out.offset, shape: s.shape, x_strides: s.strides[0]!, out_strides: s.strides[1]! },
      this.grid(Math.ceil(n / this.wg)),
    );
  }

  private fillPreamble(dtype: DType): string {
    const so = wgslType(dtype);
    const conv = dtype === 'bool'
      ? `fn from_f32(v: f32) -> SO { return u32(v != 0.0 || (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u); }\nfn from_i32(v: i32) -> SO { return u32(v != 0); }`
      : `fn from_f32(v: f32) -> SO { return SO(v); }\nfn from_i32(v: i32) -> SO { return SO(v); }`;
    return `alias SO = ${so};\n${conv}\n`;
  }

  fill(out: View, value: number): void {
    const n = numel(out.shape);
    if (n === 0) return;
    const s = this.strided('fill', out.shape, [out]);
    if (value === 0 && !Object.is(value, -0) && (s.rank === 0 || (s.rank === 1 && s.strides[0]![0] === 1))) {
      // Zeros over a contiguous range (0.0, int 0 and false are all zero bits): the queue's own
      // clear, a memset on a CPU adapter (the kernel took 9 ms for 800k floats on llvmpipe).
      this.checkAlive('fill');
      if (!this.encoder) this.encoder = this.device.createCommandEncoder({ label: 'webgrad batch' });
      if (this.pass) {
        this.pass.end();
        this.pass = null;
      }
      this.encoder.clearBuffer(buf(out), out.offset * 4, n * 4);
      return;
    }
    const isInt = out.dtype !== 'float32';
    this.dispatch(
      { shader: SHADERS.fill, entry: 'fill', variant: out.dtype, preamble: () => this.fillPreamble(out.dtype) },
      { out: buf(out) },
      {
        n, rank: s.rank, out_offset: out.offset, is_int: isInt ? 1 : 0, value, ivalue: isInt ? Math.trunc(value) | 0 : 0,
        step: 0, istep: 0, shape: s.shape, out_strides: s.strides[0]!,
      },
      this.grid(Math.ceil(n / this.wg)),
    );
  }

  arange(out: View, start: number, step: number): void {
    this.checkOut('arange', out);
    const n = numel(out.shape);
    if (n === 0) return;
    // Integer math only when start and step are integers: linspace(0, 10, 5) as int32 steps by
    // 2.5 and truncates each value (0, 2, 5, 7, 10), as the cpu reference and PyTorch do.
    const isInt = out.dtype !== 'float32' && Number.isInteger(start) && Number.isInteger(step);
    this.dispatch(
      { shader: SHADERS.fill, entry: 'arange', variant: out.dtype, preamble: () => this.fillPreamble(out.dtype) },
      { out: buf(out) },
      {
        n, rank: 1, out_offset: 0, is_int: isInt ? 1 : 0, value: start, ivalue: isInt ? start | 0 : 0,
        step, istep: isInt ? step | 0 : 0, shape: pad([n]), out_strides: pad([1]),
      },
      this.grid(Math.ceil(n / this.wg)),
    );
  }

  random(out: View, dist: RandomDist, seed: number, counter: number): void {
    this.checkOut('random', out);
    const n = numel(out.shape);
    if (n === 0) return;
    const kind = dist.kind === 'uniform' ? 0 : dist.kind === 'normal' ? 1 : 2;
    const [a, b] = dist.kind === 'uniform' ? [dist.low, dist.high] : dist.kind === 'normal' ? [dist.mean, dist.std] : [0, 0];
    const range = dist.kind === 'int' ? (dist.high - dist.low) >>> 0 : 0;
    this.dispatch(
      { shader: SHADERS.random, entry: 'main', variant: out.dtype, preamble: () => `alias SO = ${wgslType(out.dtype)};\n` },
      { out: buf(out) },
      { n, seed: seed >>> 0, counter: counter >>> 0, kind, a, b, low: dist.kind === 'int' ? dist.low | 0 : 0, range },
      this.grid(Math.ceil(n / this.wg)),
    );
  }

  gather(x: View, dim: number, index: View, out: View): void {
    this.checkOut('gather', out);
    const n = numel(out.shape);
    if (n === 0) return;
    if (out.shape.length > MAX_RANK) throw new Error(`webgpu gather: rank ${out.shape.length} exceeds ${MAX_RANK}`);
    this.dispatch(
      { shader: SHADERS.gather, entry: 'main', variant: x.dtype, preamble: () => `alias C = ${wgslType(x.dtype)};\n` },
      { x: buf(x), index: buf(index), out: buf(out), errors: this.errorFlags },
      {
        n, rank: out.shape.length, dim, dim_size: x.shape[dim]!, x_offset: x.offset, i_offset: index.offset,
        shape: pad(out.shape), x_strides: pad(x.strides), i_strides: pad(index.strides),
      },
      this.grid(Math.ceil(n / this.wg)),
    );
    this.errorsMayBeSet = true;
  }

  scatterAdd(src: View, dim: number, index: View, out: View): void {
    this.checkOut('scatterAdd', out);
    const n = numel(index.shape);
    if (n === 0) return;
    if (index.shape.length > MAX_RANK) throw new Error(`webgpu scatterAdd: rank ${index.shape.length} exceeds ${MAX_RANK}`);
    const c = wgslType(out.dtype);
    if (c === 'u32') throw new Error('webgpu scatterAdd: bool tensors cannot be summed');
    // f32: compare-exchange on the bits (WGSL has no float atomics); i32: atomicAdd wraps like i32 adds.
    const addAt = c === 'f32'
      ? `fn add_at(i: u32, v: C) {\n  var old = atomicLoad(&out[i]);\n  loop {\n    let r = atomicCompareExchangeWeak(&out[i], old, bitcast<u32>(bitcast<f32>(old) + v));\n    if (r.exchanged) { break; }\n    old = r.old_value;\n  }\n}\n`
      : `fn add_at(i: u32, v: C) { atomicAdd(&out[i], bitcast<u32>(v)); }\n`;
    this.dispatch(
      { shader: SHADERS.scatterAdd, entry: 'main', variant: c, preamble: () => `alias C = ${c};\n${addAt}` },
      { src: buf(src), index: buf(index), out: buf(out), errors: this.errorFlags },
      {
        n, rank: index.shape.length, dim, dim_size: out.shape[dim]!, s_offset: src.offset, i_offset: index.offset,
        shape: pad(index.shape), s_strides: pad(src.strides), i_strides: pad(index.strides), o_strides: pad(out.strides),
      },
      this.grid(Math.ceil(n / this.wg)),
    );
    this.errorsMayBeSet = true;
  }
}

const wgDeclared = new WeakMap<KernelSource, boolean>();
/** Whether a shader sizes its workgroups by the WG override (the 1-D kernels; matmul's tiles size its own). */
function declaresWG(src: KernelSource): boolean {
  let d = wgDeclared.get(src);
  if (d === undefined) wgDeclared.set(src, (d = /\boverride\s+WG\b/.test(src.source)));
  return d;
}

/**
 * WebGPU forbids a buffer bound writable and bound again in the same dispatch; Dawn reports it
 * only later, as a validation message naming no op. A pooled buffer can only appear twice when
 * a freed tensor is still in use, so this says so at the dispatch that would fail.
 */
export function checkNoAliasing(label: string, bindings: readonly { name: string; kind: string }[], resources: Record<string, GPUBuffer>): void {
  for (const w of bindings) {
    if (w.kind !== 'read_write') continue;
    const wb = resources[w.name];
    for (const o of bindings) {
      if (o === w || o.kind === 'uniform' || resources[o.name] !== wb) continue;
      throw new Error(
        `webgpu: kernel ${label} was given one buffer for '${w.name}' (written) and '${o.name}'; a buffer cannot be written and bound again in one dispatch (a tensor freed by dispose() or tidy is probably still in use)`,
      );
    }
  }
}
