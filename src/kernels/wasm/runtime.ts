/**
 * The wasm backend's machine: one WebAssembly module (the C kernels of ./c, compiled by
 * scripts/build-wasm.mjs), one linear memory that holds every wasm tensor, a heap allocator
 * over it, and a pool of threads that run the same module on the same (shared) memory.
 *
 * Memory. Tensors are typed arrays over the module's memory, so the cpu reference kernels run
 * on them unchanged, and a kernel's pointer is just `array.byteOffset`. The memory is shared
 * (a SharedArrayBuffer) wherever that exists: growing it then leaves every earlier view valid.
 * Where it does not (a browser page that is not cross-origin isolated), growing would detach
 * the views, so the memory is made once at its full size (`heapMiB`) and never grows.
 *
 * Threads. A kernel call is synchronous, like every backend method: the calling thread writes
 * the function's name and arguments into a control block in the shared memory, wakes the
 * workers (Atomics.notify), runs its own share (`tid` 0), and waits (Atomics.wait) until every
 * worker has run its share. Each C kernel takes `tid, nthreads` last and splits its own work.
 * Workers are Node's worker_threads, or in a browser Web Workers, which need the memory to be
 * shared: a cross-origin-isolated page (served with Cross-Origin-Opener-Policy: same-origin and
 * Cross-Origin-Embedder-Policy: require-corp), or a worker of one. Elsewhere every kernel runs
 * on the calling thread. A page's main thread may not sleep in Atomics.wait, so there the
 * calling thread polls the control block until the workers are done (it would be busy with the
 * kernel anyway); workers, and Node's main thread, sleep.
 */
import kernelsShared from './kernels.wasm';
import kernelsSingle from './kernels-single.wasm';

/** The C exports the backend calls (each parallel kernel ends with tid, nthreads). */
export interface KernelExports {
  readonly [name: string]: ((...args: number[]) => number) | WebAssembly.Global;
}

export interface WasmOptions {
  /** Threads for large kernels, the calling one included (default: the machine's cores; 1 = no workers); with backend 'cpu', its large matmuls' threads. */
  threads?: number;
  /** Where the memory cannot be shared (and so cannot grow), its fixed size in MiB (default 512). */
  heapMiB?: number;
}

export interface WasmInfo {
  /** WebAssembly 128-bit SIMD (required: the backend refuses to start without it). */
  simd: true;
  /** Threads that run large kernels, the calling one included. */
  threads: number;
  /** Whether the memory is a SharedArrayBuffer (it can grow, and workers can share it). */
  sharedMemory: boolean;
  /** Bytes of linear memory now reserved (it only grows). */
  memoryBytes: number;
}

const PAGE = 65536;
/** Largest wasm32 memory: 65536 pages of 64 KiB. */
const MAX_PAGES = 65536;
const ALIGN = 64;

// The control block, in int32 slots: a generation counter the workers wait on, the count of
// workers still running, an error flag, the function's index, the argument count; arguments
// follow as float64 (pointers, sizes and float hyper-parameters alike).
const GEN = 0;
const PENDING = 1;
const FAILED = 2;
const FN = 3;
const NARGS = 4;
/** How many threads take part in the current call (workers with a higher tid sit it out). */
const ACTIVE = 5;
/** The work counter of kernels that split their items dynamically (common.h's claim). */
const COUNTER = 6;
const ARGS_BYTE = 64;
const MAX_ARGS = 40;
const CTRL_BYTES = ARGS_BYTE + 8 * MAX_ARGS;
/** Polls of the control block before a thread sleeps in Atomics.wait (a few tens of microseconds). */
const SPIN = 4000;

/** A tiny SIMD module: validates only where the engine has WebAssembly SIMD. */
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

export function hasSimd(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/** The loop each worker runs once it has the module and the memory: sleep, run its share, report. */
const WORKER_LOOP = `
const instance = new WebAssembly.Instance(module, { env: { memory } });
const ex = instance.exports;
const fns = names.map((n) => ex[n]);
const i32 = new Int32Array(memory.buffer, ctrl, ${CTRL_BYTES / 4});
let seen = Atomics.load(i32, ${GEN});
post('ready');
for (;;) {
  // Spin a little before sleeping: a training step's calls come tens of microseconds apart,
  // and waking from Atomics.wait costs about that much.
  for (let s = 0; s < ${SPIN} && Atomics.load(i32, ${GEN}) === seen; s++);
  Atomics.wait(i32, ${GEN}, seen);
  seen = Atomics.load(i32, ${GEN});
  if (seen < 0) break;
  const nthreads = i32[${ACTIVE}];
  if (tid >= nthreads) continue;
  try {
    const f64 = new Float64Array(memory.buffer, ctrl + ${ARGS_BYTE}, i32[${NARGS}]);
    fns[i32[${FN}]](...f64, tid, nthreads);
  } catch (e) {
    Atomics.store(i32, ${FAILED}, 1);
  }
  if (Atomics.sub(i32, ${PENDING}, 1) === 1) Atomics.notify(i32, ${PENDING});
}
`;

/** A Node worker (worker_threads): its data comes as workerData. */
const NODE_WORKER_SOURCE = `
const { parentPort, workerData } = process.getBuiltinModule('node:worker_threads');
const { module, memory, ctrl, tid, names } = workerData;
const post = (m) => parentPort.postMessage(m);
${WORKER_LOOP}`;

/** A browser Web Worker (from a blob: URL): its data comes as the first message. */
const BROWSER_WORKER_SOURCE = `
self.onmessage = (event) => {
  self.onmessage = null;
  const { module, memory, ctrl, tid, names } = event.data;
  const post = (m) => self.postMessage(m);
  ${WORKER_LOOP}
};`;

interface Block {
  at: number;
  bytes: number;
}

export class WasmRuntime {
  readonly memory: WebAssembly.Memory;
  readonly exports: KernelExports;
  readonly shared: boolean;
  /** Threads that take part in parallel calls (the calling one included). */
  threads: number;
  private readonly names: string[];
  private readonly index = new Map<string, number>();
  private ctrl!: Int32Array;
  private ctrlAt = 0;
  private workers: { terminate(): unknown }[] = [];
  /** Whether this thread may sleep in Atomics.wait (not a browser page's main thread). */
  private readonly canSleep = workerThreads() !== undefined || typeof (globalThis as { document?: unknown }).document === 'undefined';
  /** Scratch for the kernels that need it (gemm's packed panels): thread t's is at scratch + t * scratchBytes. */
  scratch = 0;
  scratchBytes = 0;
  private scratchThreads = 0;
  private module!: WebAssembly.Module;

  // The heap: a bump pointer, free blocks by size for reuse, and the bytes they hold.
  private top: number;
  private readonly freeBySize = new Map<number, number[]>();
  private freeBytesTotal = 0;
  private freeCount = 0;

  private constructor(memory: WebAssembly.Memory, instance: WebAssembly.Instance, shared: boolean, threads: number) {
    this.memory = memory;
    this.shared = shared;
    this.threads = threads;
    this.exports = instance.exports as unknown as KernelExports;
    this.names = Object.keys(this.exports).filter((n) => typeof this.exports[n] === 'function');
    this.names.forEach((n, i) => this.index.set(n, i));
    const heapBase = (this.exports.__heap_base as WebAssembly.Global).value as number;
    this.top = align(heapBase);
  }

  /** Compiles the module, makes the memory and starts the workers. */
  static async create(options: WasmOptions = {}): Promise<WasmRuntime> {
    if (!hasSimd()) {
      throw new Error('init: the wasm backend needs WebAssembly SIMD (128-bit), which this JavaScript engine does not have; use the cpu backend');
    }
    const canShare = typeof SharedArrayBuffer === 'function';
    const heapMiB = options.heapMiB ?? 512;
    const pages = Math.ceil((heapMiB * 1024 * 1024) / PAGE);
    let memory: WebAssembly.Memory;
    let shared = false;
    if (canShare) {
      try {
        memory = new WebAssembly.Memory({ initial: 64, maximum: MAX_PAGES, shared: true });
        shared = true;
      } catch {
        memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
      }
    } else {
      memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    }
    // Two builds of the same C: one imports a shared memory (threads), one a plain memory.
    const module = await WebAssembly.compile((shared ? kernelsShared : kernelsSingle) as Uint8Array<ArrayBuffer>);
    const instance = await WebAssembly.instantiate(module, { env: { memory } }).catch((e: Error) => {
      throw new Error(`init: the wasm backend's module could not start on this engine's memory (${e.message})`);
    });
    const rt = new WasmRuntime(memory, instance, shared, 1);
    rt.module = module;
    rt.ctrlAt = rt.rawAlloc(CTRL_BYTES);
    rt.ctrl = new Int32Array(memory.buffer, rt.ctrlAt, CTRL_BYTES / 4);
    rt.scratchBytes = align((rt.exports.gemm_scratch_floats as () => number)() * 4);
    await rt.setThreads(options.threads ?? defaultThreads());
    return rt;
  }

  /** Whether this engine can run workers on the shared memory (else every call runs on one thread). */
  canThread(): boolean {
    return this.shared && (workerThreads() !== undefined || browserWorkers());
  }

  /**
   * Sets how many threads take part in parallel calls, starting workers if there are fewer;
   * where workers cannot run (see canThread), the count stays 1.
   */
  async setThreads(n: number): Promise<void> {
    const wt = workerThreads();
    const want = this.canThread() ? n : 1;
    if (want > this.scratchThreads) {
      // Each thread's scratch: one block for all, so thread t's is at scratch + t * scratchBytes.
      if (this.scratchThreads > 0) this.release(this.scratch, this.scratchBytes * this.scratchThreads);
      this.scratch = this.alloc(this.scratchBytes * want);
      this.scratchThreads = want;
    }
    if (want > this.workers.length + 1) {
      const ready: Promise<unknown>[] = [];
      for (let t = this.workers.length + 1; t < want; t++) {
        const data = { module: this.module, memory: this.memory, ctrl: this.ctrlAt, tid: t, names: this.names };
        if (wt) {
          const w = new wt.Worker(NODE_WORKER_SOURCE, { eval: true, workerData: data });
          // Unreferenced once ready, so a process whose work is done exits with them waiting.
          ready.push(new Promise((resolve, reject) => {
            w.once('message', (m) => { w.unref(); resolve(m); });
            w.once('error', reject);
          }));
          this.workers.push(w);
        } else {
          const url = URL.createObjectURL(new Blob([BROWSER_WORKER_SOURCE], { type: 'text/javascript' }));
          const w = new (globalThis as unknown as { Worker: BrowserWorkerClass }).Worker(url);
          ready.push(new Promise((resolve, reject) => {
            w.onmessage = (e) => { w.onmessage = null; URL.revokeObjectURL(url); resolve(e.data); };
            w.onerror = (e) => reject(new Error(`init: a wasm Web Worker failed to start (${e.message ?? 'no message'})`));
          }));
          w.postMessage(data);
          this.workers.push(w);
        }
      }
      await Promise.all(ready);
    }
    this.threads = want;
  }

  /**
   * Runs `fn(...args, tid, nthreads)` on every thread (the calling one included) when
   * `parallel`, else once on the calling thread as `fn(...args, 0, 1)`.
   */
  run(fn: string, args: number[], parallel = true): void {
    const f = this.exports[fn] as ((...a: number[]) => number) | undefined;
    if (typeof f !== 'function') throw new Error(`wasm: the module has no kernel '${fn}'`);
    if (!parallel || this.threads === 1) {
      f(...args, 0, 1);
      return;
    }
    if (args.length > MAX_ARGS) throw new Error(`wasm: ${fn} has ${args.length} arguments (at most ${MAX_ARGS})`);
    const c = this.ctrl;
    new Float64Array(this.memory.buffer, this.ctrlAt + ARGS_BYTE, args.length).set(args);
    c[FN] = this.index.get(fn)!;
    c[NARGS] = args.length;
    c[ACTIVE] = this.threads;
    Atomics.store(c, FAILED, 0);
    Atomics.store(c, PENDING, this.threads - 1);
    Atomics.add(c, GEN, 1);
    Atomics.notify(c, GEN);
    let error: unknown;
    try {
      f(...args, 0, this.threads);
    } catch (e) {
      error = e;
    }
    for (let s = 0; s < SPIN && Atomics.load(c, PENDING) !== 0; s++);
    if (this.canSleep) {
      for (let p = Atomics.load(c, PENDING); p !== 0; p = Atomics.load(c, PENDING)) Atomics.wait(c, PENDING, p);
    } else {
      while (Atomics.load(c, PENDING) !== 0); // a page's main thread: Atomics.wait is not allowed there
    }
    if (error) throw error;
    if (c[FAILED]) throw new Error(`wasm: kernel ${fn} failed on a worker thread`);
  }

  /**
   * The address of the work counter, zeroed: an argument for a kernel that claims its items
   * (common.h's claim) instead of taking a fixed share. One call at a time uses it.
   */
  counter(): number {
    Atomics.store(this.ctrl, COUNTER, 0);
    return this.ctrlAt + 4 * COUNTER;
  }

  /** A block of `bytes` (64-byte aligned); reuses a freed block of the same size first. */
  alloc(bytes: number): number {
    const size = align(Math.max(bytes, 1));
    const list = this.freeBySize.get(size);
    if (list && list.length > 0) {
      this.freeBytesTotal -= size;
      this.freeCount--;
      return list.pop()!;
    }
    return this.rawAlloc(size);
  }

  /** Gives a block back for reuse. */
  release(at: number, bytes: number): void {
    const size = align(Math.max(bytes, 1));
    let list = this.freeBySize.get(size);
    if (!list) this.freeBySize.set(size, (list = []));
    list.push(at);
    this.freeBytesTotal += size;
    this.freeCount++;
  }

  /** Bytes and blocks held free for reuse. */
  pooled(): { bytes: number; blocks: number } {
    return { bytes: this.freeBytesTotal, blocks: this.freeCount };
  }

  /**
   * Merges the free blocks: adjacent ones become one, and those at the top of the heap go back
   * to the bump pointer (the memory itself never shrinks). Returns the bytes so released.
   */
  trim(): number {
    const blocks: Block[] = [];
    for (const [bytes, list] of this.freeBySize) for (const at of list) blocks.push({ at, bytes });
    if (blocks.length === 0) return 0;
    const before = this.freeBytesTotal;
    blocks.sort((a, b) => a.at - b.at);
    const merged: Block[] = [];
    for (const b of blocks) {
      const last = merged[merged.length - 1];
      if (last && last.at + last.bytes === b.at) last.bytes += b.bytes;
      else merged.push({ ...b });
    }
    while (merged.length > 0 && merged[merged.length - 1]!.at + merged[merged.length - 1]!.bytes === this.top) {
      this.top = merged.pop()!.at;
    }
    this.freeBySize.clear();
    this.freeBytesTotal = 0;
    this.freeCount = 0;
    for (const b of merged) this.release(b.at, b.bytes);
    return before - this.freeBytesTotal;
  }

  /** Bytes of linear memory reserved. */
  memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  private rawAlloc(bytes: number): number {
    const size = align(bytes);
    const at = this.top;
    const end = at + size;
    if (end > this.memory.buffer.byteLength) {
      const pages = Math.ceil((end - this.memory.buffer.byteLength) / PAGE);
      if (!this.shared || this.memory.buffer.byteLength / PAGE + pages > MAX_PAGES) {
        // Merge what is free, then try once more before failing.
        if (this.trim() > 0) return this.alloc(bytes);
        const limit = this.shared ? '4 GiB (wasm32)' : `${this.memory.buffer.byteLength / 1048576} MiB (init({ backend: 'wasm', heapMiB }) sets it)`;
        throw new Error(`wasm: out of memory allocating ${bytes} bytes (heap ${this.top} bytes in use or pooled, limit ${limit})`);
      }
      const have = this.memory.buffer.byteLength / PAGE;
      // Grow by a quarter at least, so a loop of growing allocations does not grow page by page.
      this.memory.grow(Math.min(MAX_PAGES - have, Math.max(pages, Math.ceil(have / 4))));
    }
    this.top = end;
    return at;
  }

  /** Stops the workers (tests; the process may otherwise exit with them waiting). */
  close(): void {
    if (this.workers.length === 0) return;
    Atomics.store(this.ctrl, GEN, -1);
    Atomics.notify(this.ctrl, GEN);
    for (const w of this.workers) w.terminate();
    this.workers = [];
  }
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

type WorkerThreads = { Worker: new (src: string, o: object) => { once(ev: string, f: (x: unknown) => void): void; unref(): void; terminate(): unknown } };

/** Node's worker_threads, where this thread may block on Atomics.wait; else undefined. */
function workerThreads(): WorkerThreads | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (n: string) => unknown } }).process;
  return proc?.getBuiltinModule?.('node:worker_threads') as WorkerThreads | undefined;
}

type BrowserWorkerClass = new (url: string) => {
  postMessage(m: unknown): void;
  onmessage: ((e: { data: unknown }) => void) | null;
  onerror: ((e: { message?: string }) => void) | null;
  terminate(): unknown;
};

/** Web Workers on a shared memory: a browser context that is cross-origin isolated. */
function browserWorkers(): boolean {
  const g = globalThis as { Worker?: unknown; crossOriginIsolated?: boolean; Blob?: unknown; URL?: { createObjectURL?: unknown } };
  return typeof g.Worker === 'function' && g.crossOriginIsolated === true && typeof g.Blob === 'function' && typeof g.URL?.createObjectURL === 'function';
}

function defaultThreads(): number {
  const proc = (globalThis as { process?: { getBuiltinModule?: (n: string) => unknown } }).process;
  const os = proc?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number; cpus(): unknown[] } | undefined;
  if (os) return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  const hc = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return Math.max(1, hc ?? 1);
}
