/**
 * Memory scopes: `tidy(fn)` disposes every tensor created inside `fn` except the ones it
 * returns (and the ones passed to `keep`), like TensorFlow.js. Counting of live tensors per
 * device lives here too; buffer statistics come from each backend.
 */
import type { Tensor } from './tensor.js';

type Scope = Set<Tensor>;
const scopes: Scope[] = [];

/** Counts of live tensors by device (created, not yet disposed nor collected). */
export const liveTensors: Record<string, number> = { cpu: 0, webgpu: 0 };

const tensorRegistry = new FinalizationRegistry<string>((device) => {
  liveTensors[device] = (liveTensors[device] ?? 1) - 1;
});

/** Called by the Tensor constructor. */
export function trackTensor(t: Tensor, device: string): void {
  liveTensors[device] = (liveTensors[device] ?? 0) + 1;
  tensorRegistry.register(t, device, t);
  scopes[scopes.length - 1]?.add(t);
}

/** Called by `Tensor.dispose()`. */
export function untrackTensor(t: Tensor, device: string): void {
  liveTensors[device] = (liveTensors[device] ?? 1) - 1;
  tensorRegistry.unregister(t);
  for (const s of scopes) s.delete(t);
}

/** Keeps `t` alive past the enclosing `tidy` scopes. Returns `t`. */
export function keep<T extends Tensor>(t: T): T {
  for (const s of scopes) s.delete(t);
  return t;
}

function collectTensors(x: unknown, out: Set<Tensor>, isTensor: (v: unknown) => v is Tensor, depth = 0): void {
  if (depth > 8 || x === null || typeof x !== 'object') return;
  if (isTensor(x)) {
    out.add(x);
    return;
  }
  if (Array.isArray(x)) for (const v of x) collectTensors(v, out, isTensor, depth + 1);
  else if (x instanceof Map) for (const v of x.values()) collectTensors(v, out, isTensor, depth + 1);
  else if (Object.getPrototypeOf(x) === Object.prototype) for (const v of Object.values(x)) collectTensors(v, out, isTensor, depth + 1);
}

let isTensorFn: ((v: unknown) => v is Tensor) | undefined;
/** Set once by tensor.ts, to avoid an import cycle at module evaluation. */
export function setTensorCheck(fn: (v: unknown) => v is Tensor): void {
  isTensorFn = fn;
}

/**
 * Runs `fn` and disposes every tensor it created, except those in its result (a tensor, or
 * tensors inside arrays, Maps and plain objects) and those passed to `keep`. Returned tensors
 * belong to the enclosing scope. `fn` must be synchronous: an async function would leave its
 * scope before its tensors are made.
 */
export function tidy<T>(fn: () => T): T {
  const scope: Scope = new Set();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope) t.dispose();
    throw e;
  }
  scopes.pop();
  if (result instanceof Promise) {
    // Free what ran before the first await, as on any other error path (nothing escapes the scope).
    for (const t of scope) t.dispose();
    throw new Error('tidy: the function returned a Promise; tidy only takes synchronous functions (await outside it)');
  }
  const kept = new Set<Tensor>();
  if (isTensorFn) collectTensors(result, kept, isTensorFn);
  for (const t of scope) if (!kept.has(t)) t.dispose();
  const parent = scopes[scopes.length - 1];
  if (parent) for (const t of kept) if (scope.has(t)) parent.add(t);
  return result;
}
