/**
 * Memory scopes: `tidy(fn)` disposes every tensor created inside `fn` except the ones it
 * returns (and the ones passed to `keep`), like TensorFlow.js. Counting of live tensors per
 * device lives here too; buffer statistics come from each backend.
 */
import type { Tensor } from './tensor.js';
import { SENTINEL, addSentinelPlanter, sentinelBack } from '../core/collect.js';

type Scope = Set<Tensor>;
const scopes: Scope[] = [];

/** Counts of live tensors by device (created, not yet disposed nor collected). */
export const liveTensors: Record<string, number> = { cpu: 0, webgpu: 0 };

/** What the leak report knows of one live tensor. */
interface LiveInfo {
  op: string;
  device: string;
  bytes: number;
  site: string | undefined;
}
const live = new Map<number, LiveInfo>();
const ids = new WeakMap<Tensor, number>();
let nextId = 1;

/** Options of the leak report (memory({ detailed: true })). */
export const leakOptions = {
  /** Record the call site (the first stack frame outside webgrad) of every tensor: slow, for debugging. */
  callSites: false,
};

let currentOp: string | undefined;
/**
 * Runs `fn` with `name` as the op that makes the tensors it creates (the outermost op wins,
 * so a layer's intermediates are reported under the op the user called).
 */
export function withOp<T>(name: string, fn: () => T): T {
  if (currentOp !== undefined) return fn();
  currentOp = name;
  try {
    return fn();
  } finally {
    currentOp = undefined;
  }
}

const tensorRegistry = new FinalizationRegistry<{ device: string; id: number } | typeof SENTINEL>((h) => {
  if (h === SENTINEL) return sentinelBack();
  liveTensors[h.device] = (liveTensors[h.device] ?? 1) - 1;
  live.delete(h.id);
});
addSentinelPlanter(() => tensorRegistry.register({}, SENTINEL));

/** Where this module's own code lives (a bundle or src/), to skip its frames in call sites. */
const ownRoot: string | undefined = (() => {
  const frame = new Error().stack?.split('\n')[1] ?? '';
  const m = /((?:file:\/\/)?\/[^:()]*\/)(?:dist|src)\//.exec(frame);
  return m?.[1];
})();

function callSite(): string | undefined {
  const E = Error as { stackTraceLimit?: number }; // V8's, absent from the standard types
  const limit = E.stackTraceLimit;
  E.stackTraceLimit = 64; // an op's own frames can pass the default 10
  const frames = new Error().stack?.split('\n').slice(1) ?? [];
  E.stackTraceLimit = limit;
  for (const f of frames) {
    if (ownRoot && (f.includes(`${ownRoot}dist/`) || f.includes(`${ownRoot}src/`))) continue;
    if (f.includes('node:internal') || f.includes('node_modules')) continue;
    return f.trim().replace(/^at /, '');
  }
  return undefined;
}

/** Called by the Tensor constructor. */
export function trackTensor(t: Tensor, device: string): void {
  liveTensors[device] = (liveTensors[device] ?? 0) + 1;
  const id = nextId++;
  ids.set(t, id);
  const st = t.storage;
  const bytes = st.length > 0 ? Math.round((st.bytes / st.length) * t.shape.reduce((a, b) => a * b, 1)) : 0;
  live.set(id, { op: currentOp ?? 'untraced', device, bytes, site: leakOptions.callSites ? callSite() : undefined });
  tensorRegistry.register(t, { device, id }, t);
  scopes[scopes.length - 1]?.add(t);
}

/** Called by `Tensor.dispose()`. */
export function untrackTensor(t: Tensor, device: string): void {
  liveTensors[device] = (liveTensors[device] ?? 1) - 1;
  tensorRegistry.unregister(t);
  const id = ids.get(t);
  if (id !== undefined) live.delete(id);
  for (const s of scopes) s.delete(t);
}

/** Live tensors grouped by device, the op that made them and (with call sites on) where. */
export interface LiveGroup {
  device: string;
  op: string;
  /** The first stack frame outside webgrad, when `leakOptions.callSites` was on at creation. */
  site?: string;
  tensors: number;
  /** Bytes of the tensors' own elements (views of one buffer each count their elements). */
  bytes: number;
}

export function liveGroups(): LiveGroup[] {
  const groups = new Map<string, LiveGroup>();
  for (const info of live.values()) {
    const key = `${info.device}\u0000${info.op}\u0000${info.site ?? ''}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { device: info.device, op: info.op, ...(info.site ? { site: info.site } : {}), tensors: 0, bytes: 0 }));
    g.tensors++;
    g.bytes += info.bytes;
  }
  return [...groups.values()].sort((a, b) => b.bytes - a.bytes || b.tensors - a.tensors);
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
