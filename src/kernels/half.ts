/**
 * float16 on every backend, around kernels that know only float32.
 *
 * A float16 tensor's storage holds 16-bit words (a Uint16Array on cpu and wasm, u32 words two
 * elements each on webgpu): half the memory of float32. No kernel reads those words. Instead,
 * `withFloat16(backend)` wraps each kernel method (the core ones and every family's): when an
 * argument is a float16 view, the elements the call can touch are widened into a float32
 * temporary (`backend.widenHalf`), the kernel runs on float32 views of the temporaries, and
 * the temporaries are rounded back into the float16 storages (`backend.narrowHalf`: nearest,
 * ties to even) and freed.
 *
 * So every op computes in float32 and rounds its result to float16 once, which is how PyTorch
 * runs float16 on the CPU (its "opmath" type for half is float): matmul and sums accumulate in
 * float32. Inputs are narrowed back too; they were float16 values, so that changes no bit, and
 * it keeps one rule for in-place ops (add_, optimizer steps) and outputs that share storage
 * with an input. The price is two conversion passes per float16 operand per op: float16 saves
 * memory, not time (docs/ARCHITECTURE.md, "Dtypes").
 */
import type { Backend, CoreBackend, KernelFamilies } from './backend.js';
import { Storage } from '../core/storage.js';
import type { View } from '../core/view.js';

/** The family tables (a Record, so a new family missing here is a compile error). */
const FAMILIES: Record<keyof KernelFamilies, true> = {
  elementwise: true, reduce: true, matmul: true, conv: true, pooling: true, softmax: true, norm: true,
  optim: true, cumsum: true, sort: true, scatter: true, resample: true, recurrent: true,
};

function isView(x: unknown): x is View {
  return typeof x === 'object' && x !== null && (x as View).storage instanceof Storage;
}

/**
 * Whether some view in `x` (an argument: a view, a list of views, an options object of them)
 * satisfies `test`. Every walk of the arguments goes through here or substitute().
 */
function someView(x: unknown, test: (v: View) => boolean, depth = 0): boolean {
  if (typeof x !== 'object' || x === null || depth > 3) return false;
  if (isView(x)) return test(x);
  if (Array.isArray(x)) return x.some((v) => someView(v, test, depth + 1));
  if (Object.getPrototypeOf(x) !== Object.prototype) return false;
  for (const k in x) if (someView((x as Record<string, unknown>)[k], test, depth + 1)) return true;
  return false;
}

const isHalf = (v: View) => v.dtype === 'float16';
const hasHalf = (x: unknown) => someView(x, isHalf);

/** The element range [lo, hi) a view can touch, or undefined if it has no elements. */
function extent(v: View): [number, number] | undefined {
  let lo = v.offset;
  let hi = v.offset;
  for (let d = 0; d < v.shape.length; d++) {
    const n = v.shape[d]!;
    if (n === 0) return undefined;
    const reach = (n - 1) * v.strides[d]!;
    if (reach < 0) lo += reach;
    else hi += reach;
  }
  return [lo, hi + 1];
}

/** One float16 storage met in a call: the range the call's views cover, and its temporary. */
interface Staged {
  lo: number;
  hi: number;
  temp?: Storage;
}

/** Every float16 view in `x`, by storage, with the union of their ranges. */
function collect(x: unknown, out: Map<Storage, Staged>): void {
  someView(x, (v) => {
    if (v.dtype !== 'float16') return false;
    const r = extent(v);
    const s = out.get(v.storage);
    if (!r) {
      if (!s) out.set(v.storage, { lo: 0, hi: 0 });
    } else if (!s) out.set(v.storage, { lo: r[0], hi: r[1] });
    else if (s.hi === s.lo) [s.lo, s.hi] = r;
    else [s.lo, s.hi] = [Math.min(s.lo, r[0]), Math.max(s.hi, r[1])];
    return false; // visit them all
  });
}

/** `x` with every float16 view replaced by a float32 view of its storage's temporary. */
function substitute(x: unknown, staged: Map<Storage, Staged>, depth = 0): unknown {
  if (typeof x !== 'object' || x === null || depth > 3) return x;
  if (isView(x)) {
    if (x.dtype !== 'float16') return x;
    const s = staged.get(x.storage)!;
    return { storage: s.temp!, dtype: 'float32', shape: x.shape, strides: x.strides, offset: x.offset - s.lo } satisfies View;
  }
  if (Array.isArray(x)) return x.map((v) => substitute(v, staged, depth + 1));
  if (Object.getPrototypeOf(x) !== Object.prototype) return x;
  const o: Record<string, unknown> = {};
  for (const k in x) o[k] = substitute((x as Record<string, unknown>)[k], staged, depth + 1);
  return o;
}

/** Runs `call` on float32 stand-ins for the float16 views in `args`; see the file's comment. */
function staged<R>(b: CoreBackend, args: unknown[], call: (args: unknown[]) => R, narrow: boolean, overwritten?: ReadonlySet<Storage>): R {
  const map = new Map<Storage, Staged>();
  for (const a of args) collect(a, map);
  try {
    for (const [storage, s] of map) s.temp = overwritten?.has(storage) ? b.allocate('float32', s.hi - s.lo) : b.widenHalf(storage, s.lo, s.hi - s.lo);
    const result = call(args.map((a) => substitute(a, map)));
    if (narrow) for (const [storage, s] of map) b.narrowHalf(s.temp!, storage, s.lo, s.hi - s.lo);
    return result;
  } finally {
    // On webgpu the buffers go back to the pool; the queue runs in order, so reuse is safe.
    for (const s of map.values()) s.temp?.free();
  }
}

/**
 * Marks a kernel that reads float16 views itself at these argument positions (webgpu's matmul
 * loads its operands as f16, kernels/webgpu/halfLoads.ts): the wrapper passes them as they are
 * and stages only the others. `overwrites`: positions of views the kernel writes every element
 * of (matmul's out), whose temporaries need no widening first.
 */
export function halfOperands<F extends (...a: never[]) => unknown>(fn: F, positions: readonly number[], overwrites: readonly number[] = []): F {
  return Object.assign(fn, { halfOperands: positions, overwrites });
}

/** The core kernels (CoreBackend's methods that take views), wrapped like every family kernel. */
const CORE_KERNELS = ['copy', 'gather', 'scatterAdd', 'fill', 'arange', 'random'] as const satisfies readonly (keyof CoreBackend)[];

/**
 * Gives `backend` float16 support in every kernel, in place: its core kernels and its family
 * tables are replaced by wrappers (own properties of the instance), so `this` inside every
 * kernel is still the backend, and a test's spy on its internals (`dispatch`) still sees every call.
 */
export function withFloat16<B extends Backend>(backend: B): B {
  const self = backend as unknown as Record<string, unknown>;
  const wrapped = (fn: (...a: unknown[]) => unknown, thisArg: unknown) => {
    const marks = fn as { halfOperands?: readonly number[]; overwrites?: readonly number[] };
    const native = marks.halfOperands;
    return function (...args: unknown[]) {
      if (!args.some((a, i) => !native?.includes(i) && hasHalf(a))) return fn.apply(thisArg, args);
      if (!native) return staged(backend, args, (a) => fn.apply(thisArg, a), true);
      // Stage all but the native positions, then put those back as they came. A view written
      // whole whose storage no other argument shares needs no widening.
      const rest = args.map((a, i) => (native.includes(i) ? undefined : a));
      const others = (i: number) => args.filter((_, j) => j !== i);
      const overwritten = new Set<Storage>();
      for (const i of marks.overwrites ?? []) {
        const v = args[i];
        if (isView(v) && v.dtype === 'float16' && !others(i).some((o) => someView(o, (w) => w.storage === v.storage))) overwritten.add(v.storage);
      }
      return staged(backend, rest, (a) => fn.apply(thisArg, a.map((v, i) => (native.includes(i) ? args[i] : v))), true, overwritten);
    };
  };
  for (const name of CORE_KERNELS) self[name] = wrapped(self[name] as (...a: unknown[]) => unknown, backend);
  // Reads: widen, read the float32 copy (a Float32Array of the values), free it. The temporary
  // may go once read() has returned its promise: by then the copy out of it is enqueued.
  for (const name of ['read', 'readSync'] as const) {
    const fn = self[name] as ((x: View) => unknown) | undefined;
    if (fn) self[name] = (x: View) => (x.dtype !== 'float16' ? fn.call(backend, x) : staged(backend, [x], (a) => fn.call(backend, a[0] as View), false));
  }
  // Each family's table: a copy whose kernels are wrapped.
  for (const family of Object.keys(FAMILIES) as (keyof KernelFamilies)[]) {
    const table = self[family] as Record<string, unknown>;
    const t: Record<string, unknown> = {};
    for (const name of Object.keys(table)) {
      const fn = table[name];
      t[name] = typeof fn === 'function' ? wrapped(fn as (...a: unknown[]) => unknown, table) : fn;
    }
    self[family] = t;
  }
  return backend;
}
