/**
 * Collection of dropped tensors: why a loop that never calls `dispose()` stays bounded.
 *
 * A tensor that is simply dropped frees its buffer when the garbage collector finds its
 * Storage unreachable (a FinalizationRegistry in core/storage.ts). Two things stop that from
 * happening on its own:
 *   1. V8 cannot see GPU memory. A webgpu tensor is a few hundred bytes of JS heap holding
 *      megabytes of GPU buffer, so V8's heap stays small and it seldom collects.
 *   2. Finalization callbacks run in a later macrotask, never in the middle of synchronous
 *      code nor between microtasks (an `await` on a cpu read resolves as a microtask).
 *
 * So every allocation is counted here, and every explicit free (dispose, a tidy scope's end)
 * taken off again: what is counted is the growth of the bytes held since the last collection.
 * When it passes a budget (the larger of `minBudgetBytes` and `liveFraction` of the live bytes,
 * like V8's own heap growth rule), a full collection is requested at once (`gc()` where the runtime offers
 * one: Node, through `v8.setFlagsFromString('--expose-gc')`; or `globalThis.gc`), and the
 * next read (`data()`, `item()`, `toArray()`...) yields one macrotask before it resolves, so
 * the finalizers run and the buffers go back to the pool. A loop that reads once per step
 * (as `fit` does) therefore holds at most about one budget of dropped tensors.
 *
 * Where no `gc()` can be had (browsers), GPU bytes are made visible to the engine instead:
 * each non-cpu storage carries an untouched host ArrayBuffer of `ballastFraction` of its size
 * (zero pages, so no resident memory on the platforms measured), which V8 counts as external
 * memory and weighs in its own collection decisions; reads still yield after each budget's
 * worth of allocations so that the finalizers of whatever was collected run (docs/memory.md).
 */

export interface CollectOptions {
  /** Bytes allocated between forced collections, at least (default 64 MiB). */
  minBudgetBytes: number;
  /** ...or this fraction of the live bytes, when larger (default 0.5). */
  liveFraction: number;
  /** Whether to force collections at all (default true). */
  enabled: boolean;
  /**
   * Host ballast per byte of a non-cpu storage, making GPU memory visible to the engine's own
   * collector: 'auto' (default) is 0.25 where collections cannot be forced, else 0.
   */
  ballastFraction: number | 'auto';
}

export const collectOptions: CollectOptions = { minBudgetBytes: 64 * 2 ** 20, liveFraction: 0.5, enabled: true, ballastFraction: 'auto' };

/** The ballast (bytes) a storage of `bytes` on a non-cpu backend carries now. */
export function ballastBytes(bytes: number): number {
  const f = collectOptions.ballastFraction === 'auto' ? (collectOptions.enabled && findGc() ? 0 : 0.25) : collectOptions.ballastFraction;
  return f > 0 ? Math.ceil(bytes * f) : 0;
}

export interface CollectStats {
  /** Forced collections so far. */
  collections: number;
  /** Bytes allocated (on every backend) since the last forced collection. */
  allocatedSinceCollection: number;
  /** Whether this runtime gives webgrad a way to force a collection. */
  canForce: boolean;
}

let allocatedSince = 0;
let collections = 0;
let pendingFinalizers = false;
let gcFn: (() => void) | null | undefined;
/** Reports the live bytes on every backend (set by stats.ts, to avoid an import cycle). */
let liveBytes: () => number = () => 0;

export function setLiveBytesSource(fn: () => number): void {
  liveBytes = fn;
}

interface NodeProcess {
  getBuiltinModule?: (name: string) => unknown;
}

/** The runtime's full-collection function, if it has one (looked up once). */
function findGc(): (() => void) | null {
  if (gcFn !== undefined) return gcFn;
  gcFn = null;
  const g = (globalThis as { gc?: unknown }).gc;
  if (typeof g === 'function') return (gcFn = g as () => void);
  try {
    const proc = (globalThis as { process?: NodeProcess }).process;
    const v8 = proc?.getBuiltinModule?.('node:v8') as { setFlagsFromString(f: string): void } | undefined;
    const vm = proc?.getBuiltinModule?.('node:vm') as { runInNewContext(code: string): unknown } | undefined;
    if (v8 && vm) {
      v8.setFlagsFromString('--expose-gc');
      const fn = vm.runInNewContext('gc');
      if (typeof fn === 'function') gcFn = fn as () => void;
    }
  } catch {
    gcFn = null; // a runtime that refuses: collection is left to the engine
  }
  return gcFn;
}

/** Called for every storage allocated on any backend. */
export function noteAllocation(bytes: number): void {
  allocatedSince += bytes;
  // The budget is at least minBudgetBytes: only past that is the live total (a walk over the
  // backends) worth reading, so an allocation costs an addition and a comparison.
  if (allocatedSince < collectOptions.minBudgetBytes) return;
  if (allocatedSince >= collectOptions.liveFraction * liveBytes()) collectNow();
}

/**
 * Called for every storage freed explicitly (not by a finalizer): those bytes are no longer
 * held, so a loop that disposes what it makes (a tidy scope per step) never forces a collection.
 */
export function noteFree(bytes: number): void {
  allocatedSince = Math.max(0, allocatedSince - bytes);
}

/**
 * Forces a full collection now (if allowed and the runtime can) and marks finalizers as
 * pending either way: the engine may have collected on its own since the last budget.
 */
export function collectNow(): boolean {
  allocatedSince = 0;
  pendingFinalizers = true;
  const gc = collectOptions.enabled ? findGc() : null;
  if (!gc) return false;
  // One unreachable sentinel per registry, collected by this gc(): when each has come back,
  // every registry's cleanup for this collection has run (letFinalizersRun waits for that).
  for (const plant of sentinelPlanters) plant();
  sentinelsOut = sentinelPlanters.length;
  gc();
  collections++;
  return true;
}

/** The held value of a sentinel (see collectNow); a registry's callback hands it to sentinelBack. */
export const SENTINEL = Symbol('webgrad collection sentinel');
const sentinelPlanters: (() => void)[] = [];
let sentinelsOut = 0;

/** A registry's way to plant a sentinel: `registry.register({}, SENTINEL)` (core/storage.ts, tensor/memory.ts). */
export function addSentinelPlanter(plant: () => void): void {
  sentinelPlanters.push(plant);
}

/** Called by a registry's callback when it receives the SENTINEL. */
export function sentinelBack(): void {
  if (sentinelsOut > 0) sentinelsOut--;
}

/** How many FinalizationRegistry objects webgrad has (core/storage.ts, tensor/memory.ts). */
const FINALIZATION_REGISTRIES = 2;

const macrotask = (): Promise<void> =>
  new Promise((resolve) => {
    const si = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
    if (si) si(resolve);
    else setTimeout(resolve, 0);
  });

/**
 * Called by every read: after a forced collection, yields one macrotask so the finalizers of
 * the collected tensors run (their buffers return to the pool) before the caller goes on.
 */
export async function letFinalizersRun(): Promise<void> {
  if (!pendingFinalizers) return;
  pendingFinalizers = false;
  // V8 runs one FinalizationRegistry's callbacks per cleanup task and posts another task for
  // the next dirty registry; webgrad has FINALIZATION_REGISTRIES of them (storages, tensors).
  // The tasks can come later than that (seen with worker threads running: the wasm backend's),
  // so after a forced collection wait until every registry's sentinel has come back (a bound
  // keeps a lost sentinel from stalling reads).
  for (let i = 0; i < FINALIZATION_REGISTRIES || (sentinelsOut > 0 && i < 100); i++) await macrotask();
  sentinelsOut = 0;
}

export function collectStats(): CollectStats {
  return { collections, allocatedSinceCollection: allocatedSince, canForce: findGc() !== null };
}
