/**
 * The cpu backend's worker threads: a pool that runs a kernel's shares on worker_threads over
 * SharedArrayBuffers, for the large matmuls (matmul/cpu.ts). Like every backend method a
 * kernel call is synchronous: the calling thread posts each ready worker its job (the shared
 * buffers and sizes, read on the worker with receiveMessageOnPort), wakes them (Atomics.notify
 * on a control block), runs its own share and waits (Atomics.wait) until every worker is done.
 *
 * The workers run the same functions as the calling thread: their source is the kernel
 * functions' own text (Function.prototype.toString, so they must use nothing from their
 * module but each other), so every element is computed by the same code in the same order
 * whatever the thread count. One pool serves the backend (`cpuThreads`); kernels register
 * their functions with `define` when their module loads. Workers start in the background at the first large call (or
 * when `setThreads` is awaited); a call uses the workers that are ready and runs single
 * threaded until one is. Where there are no worker_threads (browsers) or no
 * SharedArrayBuffer, everything runs on the calling thread.
 */

// The control block, in int32 slots: a generation counter the workers wait on, the count of
// workers still running, an error flag; then per worker slot its readiness and the
// generation of its last job (a worker woken by a call it is not part of goes back to sleep).
const GEN = 0;
const PENDING = 1;
const FAILED = 2;
const READY = 8;
const JOB = 8 + 256;
const CTRL_SLOTS = 8 + 512;
/** Polls of the control block before a thread sleeps in Atomics.wait. */
const SPIN = 2000;

type Port = { postMessage(m: unknown): void };
type NodeWorker = Port & { once(ev: string, f: (x: unknown) => void): void; unref(): void; terminate(): unknown };
type WorkerThreads = { Worker: new (src: string, o: object) => NodeWorker };

/** Node's worker_threads, where the calling thread may block on Atomics.wait; else undefined. */
function workerThreads(): WorkerThreads | undefined {
  if (typeof SharedArrayBuffer !== 'function') return undefined;
  const proc = (globalThis as { process?: { getBuiltinModule?: (n: string) => unknown } }).process;
  return proc?.getBuiltinModule?.('node:worker_threads') as WorkerThreads | undefined;
}

/** The machine's cores (1 where unknown). */
export function defaultThreads(): number {
  const proc = (globalThis as { process?: { getBuiltinModule?: (n: string) => unknown } }).process;
  const os = proc?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number; cpus(): unknown[] } | undefined;
  return Math.max(1, os ? (os.availableParallelism?.() ?? os.cpus().length) : 1);
}

/** Scratch kept for the next call (up to SCRATCH_KEEP bytes): fresh shared memory faults its pages in on first write. */
let scratch: SharedArrayBuffer | undefined;
const SCRATCH_KEEP = 64 << 20;

/**
 * Shared memory for one call's operands: at least `bytes`, reused from the last call when it
 * is large enough (kernel calls on a thread never overlap). Its contents are not zeroed.
 */
export function sharedScratch(bytes: number): SharedArrayBuffer {
  if (scratch && scratch.byteLength >= bytes) return scratch;
  const sab = new SharedArrayBuffer(Math.ceil(bytes / 8) * 8);
  if (bytes <= SCRATCH_KEEP) scratch = sab;
  return sab;
}

/** A job: named shared arrays and numbers, handed to `entry(job, tid, nthreads)` on every thread. */
export type Job = Record<string, number | Float64Array | Float32Array | Int32Array | Int8Array | Uint8Array>;

export class CpuThreads {
  /** Threads wanted, the calling one included. */
  private wanted: number | undefined;
  private workers: NodeWorker[] = [];
  private ctrl: Int32Array | undefined;
  private startup: Promise<void> | undefined;
  /** Threads the last call ran on (tests read it). */
  lastThreads = 0;

  /** The kernels workers can run: entry name -> the text of its functions. */
  private readonly kernels = new Map<string, () => string>();

  /**
   * Registers a kernel the workers can run: `source` gives the text of `entry` and of every
   * function it calls (none may use anything else from its module). Kernels register when
   * their module loads; workers started before that are stopped, to restart with it.
   */
  define(entry: string, source: () => string): void {
    this.kernels.set(entry, source);
    if (this.workers.length > 0) this.close();
  }

  /** Whether workers can run here at all. */
  available(): boolean {
    return workerThreads() !== undefined;
  }

  /** Threads that calls will use once the workers are up (the calling one included). */
  threads(): number {
    return this.available() ? (this.wanted ?? defaultThreads()) : 1;
  }

  /** Sets the thread count (1: no workers) and waits until that many are ready. */
  async setThreads(n: number): Promise<void> {
    if (!(Number.isInteger(n) && n >= 1 && n <= 256)) throw new Error(`cpu: threads must be an integer from 1 to 256, got ${String(n)}`);
    this.wanted = n;
    await this.start();
  }

  /** Starts the workers still missing (in the background) and resolves when all are ready. */
  private start(): Promise<void> {
    const wt = workerThreads();
    const want = this.threads();
    if (!wt || want <= this.workers.length + 1) return this.startup ?? Promise.resolve();
    this.ctrl ??= new Int32Array(new SharedArrayBuffer(CTRL_SLOTS * 4));
    const ready: Promise<unknown>[] = [];
    for (let slot = this.workers.length; slot < want - 1; slot++) {
      const w = new wt.Worker(workerSource(this.kernels), { eval: true, workerData: { ctrl: this.ctrl.buffer, slot } });
      // Unreferenced once ready, so a process whose work is done exits with them waiting.
      ready.push(new Promise((resolve, reject) => {
        w.once('message', (m) => { w.unref(); resolve(m); });
        w.once('error', reject);
      }));
      this.workers.push(w);
    }
    this.startup = Promise.all(ready).then(() => undefined);
    // A worker that fails to start is left out: calls only use the ready ones.
    this.startup.catch(() => undefined);
    return this.startup;
  }

  /**
   * Runs `share(job, tid, nthreads)` on the calling thread (tid 0) and on every ready worker
   * (wanted - 1 at most), returning when all are done. Single threaded when none is ready.
   */
  run(entry: string, job: Job, share: (job: Job, tid: number, nthreads: number) => void): void {
    if (!this.kernels.has(entry)) throw new Error(`cpu: no kernel '${entry}' is registered for the worker threads`);
    const want = this.threads();
    if (want > 1 && this.workers.length < want - 1) void this.start();
    const c = this.ctrl;
    const slots: number[] = [];
    if (c) for (let s = 0; s < Math.min(this.workers.length, want - 1); s++) if (Atomics.load(c, READY + s) === 1) slots.push(s);
    if (!c || slots.length === 0) {
      this.lastThreads = 1;
      share(job, 0, 1);
      return;
    }
    const nthreads = slots.length + 1;
    this.lastThreads = nthreads;
    let gen = (Atomics.load(c, GEN) + 1) | 0;
    if (gen === -1) gen = 0; // -1 stops the workers
    slots.forEach((s, i) => {
      this.workers[s]!.postMessage({ entry, job, tid: i + 1, nthreads });
      Atomics.store(c, JOB + s, gen);
    });
    Atomics.store(c, FAILED, 0);
    Atomics.store(c, PENDING, slots.length);
    Atomics.store(c, GEN, gen);
    Atomics.notify(c, GEN);
    let error: unknown;
    try {
      share(job, 0, nthreads);
    } catch (e) {
      error = e;
    }
    for (let s = 0; s < SPIN && Atomics.load(c, PENDING) !== 0; s++);
    for (let p = Atomics.load(c, PENDING); p !== 0; p = Atomics.load(c, PENDING)) Atomics.wait(c, PENDING, p);
    if (error) throw error;
    if (Atomics.load(c, FAILED)) throw new Error('cpu: a kernel failed on a worker thread');
  }

  /** Stops the workers (tests; the process exits with them waiting anyway). */
  close(): void {
    if (!this.ctrl || this.workers.length === 0) return;
    for (let s = 0; s < this.workers.length; s++) Atomics.store(this.ctrl, JOB + s, -1);
    Atomics.store(this.ctrl, GEN, -1);
    Atomics.notify(this.ctrl, GEN);
    for (const w of this.workers) w.terminate();
    this.workers = [];
    this.ctrl = undefined;
    this.startup = undefined;
  }
}

/** Each worker: the kernels' functions and a table of their entries, then a loop serving calls. */
function workerSource(kernels: Map<string, () => string>): string {
  const functions = [...kernels.values()].map((f) => f()).join('\n');
  const entries = [...kernels.keys()].join(', ');
  return `
const { parentPort, workerData, receiveMessageOnPort } = process.getBuiltinModule('node:worker_threads');
const c = new Int32Array(workerData.ctrl);
const slot = workerData.slot;
${functions}
const ENTRIES = { ${entries} };
let seen = Atomics.load(c, ${GEN});
Atomics.store(c, ${READY} + slot, 1);
parentPort.postMessage('ready');
for (;;) {
  for (let s = 0; s < ${SPIN} && Atomics.load(c, ${GEN}) === seen; s++);
  Atomics.wait(c, ${GEN}, seen);
  seen = Atomics.load(c, ${GEN});
  if (seen === -1) break;
  if (Atomics.load(c, ${JOB} + slot) !== seen) continue;
  let m;
  while (!(m = receiveMessageOnPort(parentPort)));
  try {
    ENTRIES[m.message.entry](m.message.job, m.message.tid, m.message.nthreads);
  } catch (e) {
    Atomics.store(c, ${FAILED}, 1);
  }
  if (Atomics.sub(c, ${PENDING}, 1) === 1) Atomics.notify(c, ${PENDING});
}
`;
}

/** The cpu backend's pool. */
export const cpuThreads = new CpuThreads();
