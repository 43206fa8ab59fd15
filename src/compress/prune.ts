/**
 * Magnitude pruning, after PyTorch's torch.nn.utils.prune: pruning `name` of a module moves the
 * parameter to `${name}_orig` (still the trained parameter, the same tensor), adds a buffer
 * `${name}_mask` (1 keeps, 0 prunes; the parameter's dtype, as PyTorch's), and makes
 * `module[name]` read `orig * mask`. Forward passes therefore see the masked weight, and the
 * gradient reaching `_orig` is masked too (d(orig * mask)/d orig = mask). `remove` makes it
 * permanent.
 *
 * Where webgrad differs from PyTorch: the masked weight is computed each time `module[name]` is
 * read (PyTorch recomputes it in a forward pre-hook, which webgrad's direct `forward` calls have
 * no place for); and the functions are async, because choosing which entries to prune reads the
 * weights, and a read of a webgpu tensor is async.
 */
import { Module } from '../layers/module.js';
import { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/creation.js';
import { noGrad } from '../autograd/mode.js';
import { checkNumber, checkOptions, describe } from '../core/options.js';
import { keep } from '../tensor/memory.js';

/** How much to prune: a fraction of the entries, or an exact number of them. */
export interface PruneOptions {
  /** The fraction in [0, 1] of the entries to prune (of those not pruned yet), rounded half to even as Python's round(). */
  amount?: number;
  /** Instead of `amount`: the number of entries to prune (of those not pruned yet). */
  count?: number;
}

const PRUNE_KEYS = ['amount', 'count'] as const;

/** The pruned names of each module; present only while at least one is pruned. */
const pruned = new WeakMap<Module, Set<string>>();

type Getter = (this: Module, name: string) => Tensor;
type OptGetter = (this: Module, name: string) => Tensor | null;
const protoGet = (Module.prototype as unknown as { get: Getter }).get;
const protoGetOptional = (Module.prototype as unknown as { getOptional: OptGetter }).getOptional;

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The number to prune out of `n` still unpruned entries. */
function howMany(op: string, options: PruneOptions | undefined, n: number): number {
  checkOptions(op, options, PRUNE_KEYS);
  const o = options ?? {};
  if ((o.amount === undefined) === (o.count === undefined)) {
    throw new Error(`${op}: give exactly one of amount (a fraction in [0, 1]) or count (a number of entries), got ${o.amount === undefined ? 'neither' : 'both'}`);
  }
  if (o.amount !== undefined) return roundHalfEven(checkNumber(op, 'amount', o.amount, { min: 0, max: 1 }) * n);
  const c = checkNumber(op, 'count', o.count, { int: true, min: 0 });
  if (c > n) throw new Error(`${op}: count ${c} is more than the ${n} entries not pruned yet`);
  return c;
}

function ownParameter(op: string, module: unknown, name: unknown): Tensor {
  if (!(module instanceof Module)) throw new Error(`${op}: expected a Module, got ${describe(module)}`);
  if (typeof name !== 'string') throw new Error(`${op}: name must be a string (the parameter's name, e.g. 'weight'), got ${describe(name)}`);
  if (pruned.get(module)?.has(name)) return protoGet.call(module, `${name}_orig`);
  const own = [...module.namedParameters('', false)].filter(([n]) => !n.includes('.'));
  const hit = own.find(([n]) => n === name);
  if (!hit) {
    throw new Error(`${op}: ${module.constructor.name} has no parameter '${name}' (its parameters: ${own.map(([n]) => n).join(', ') || 'none'})`);
  }
  return hit[1];
}

/** The current mask of `name` (all ones when not pruned yet), as host values. */
async function currentMask(module: Module, name: string, size: number): Promise<Float32Array> {
  if (!pruned.get(module)?.has(name)) return new Float32Array(size).fill(1);
  return Float32Array.from(await protoGet.call(module, `${name}_mask`).data());
}

/** Installs (or replaces) the mask of `name`: the first time, moves the parameter to `_orig`. */
function applyMask(module: Module, name: string, orig: Tensor, mask: Float32Array): void {
  const device = orig.device;
  const m = keep(tensor(mask, { shape: orig.shape, device }).cast(orig.dtype));
  let names = pruned.get(module);
  if (!names?.has(name)) {
    delete (module as unknown as Record<string, unknown>)[name]; // unregisters the parameter
    module.registerParameter(`${name}_orig`, orig);
    if (!names) {
      names = new Set();
      pruned.set(module, names);
      shadowGetters(module);
    }
    names.add(name);
    if (!(name in module)) {
      // A module without a class getter for `name` (its own registered names are properties): read the masked weight.
      Object.defineProperty(module, name, { get: () => maskedWeight(module, name), enumerable: true, configurable: true });
    }
  } else {
    protoGet.call(module, `${name}_mask`).dispose();
  }
  module.registerBuffer(`${name}_mask`, m);
}

function maskedWeight(module: Module, name: string): Tensor {
  return protoGet.call(module, `${name}_orig`).mul(protoGet.call(module, `${name}_mask`));
}

/** Makes the module's own lookups (Linear's `get weight()` reads `this.get('weight')`) see the masked weight. */
function shadowGetters(module: Module): void {
  const isPruned = (n: string) => pruned.get(module)?.has(n) ?? false;
  Object.defineProperty(module, 'get', {
    value: function (this: Module, n: string) { return isPruned(n) ? maskedWeight(module, n) : protoGet.call(this, n); },
    configurable: true, writable: true, enumerable: false,
  });
  Object.defineProperty(module, 'getOptional', {
    value: function (this: Module, n: string) { return isPruned(n) ? maskedWeight(module, n) : protoGetOptional.call(this, n); },
    configurable: true, writable: true, enumerable: false,
  });
}

/** Indices of the `k` smallest scores among those with keep[i] = 1 (ties: the lower index first). */
function smallest(scores: ArrayLike<number>, alive: ArrayLike<number>, k: number): number[] {
  const idx: number[] = [];
  for (let i = 0; i < scores.length; i++) if (alive[i] !== 0) idx.push(i);
  idx.sort((a, b) => scores[a]! - scores[b]! || a - b);
  return idx.slice(0, k);
}

/**
 * Prunes the `amount` fraction (or `count` entries) of `module[name]` with the smallest absolute
 * values, among those not pruned yet (pruning again prunes further, as PyTorch's pruning
 * container does). Returns the module. See the file's comment for the `_orig` / `_mask` names.
 */
export async function l1Unstructured(module: Module, name: string, options?: PruneOptions): Promise<Module> {
  const op = 'prune.l1Unstructured';
  const orig = ownParameter(op, module, name);
  const mask = await currentMask(module, name, orig.size);
  const alive = mask.reduce((a, v) => a + (v !== 0 ? 1 : 0), 0);
  const k = howMany(op, options, alive);
  const w = await orig.data();
  for (const i of smallest(Array.from(w, Math.abs), mask, k)) mask[i] = 0;
  applyMask(module, name, orig, mask);
  return module;
}

/**
 * Prunes the `amount` fraction (or `count` entries) with the smallest absolute values across
 * all the given parameters together (PyTorch's global_unstructured with L1Unstructured): a layer
 * of small weights loses more than one of large weights. `params`: [module, name] pairs.
 */
export async function globalUnstructured(params: readonly (readonly [Module, string])[], options?: PruneOptions): Promise<void> {
  const op = 'prune.globalUnstructured';
  if (!Array.isArray(params) || params.length === 0) throw new Error(`${op}: params must be a non-empty array of [module, name] pairs, got ${describe(params)}`);
  const items: { module: Module; name: string; orig: Tensor; mask: Float32Array; start: number }[] = [];
  let total = 0;
  for (const [i, p] of params.entries()) {
    if (!Array.isArray(p) || p.length !== 2) throw new Error(`${op}: params[${i}] must be a [module, name] pair, got ${describe(p)}`);
    const [module, name] = p;
    const orig = ownParameter(op, module, name);
    if (items.some((it) => it.module === module && it.name === name)) throw new Error(`${op}: params[${i}] names '${name}' of the same module twice`);
    items.push({ module, name, orig, mask: await currentMask(module, name, orig.size), start: total });
    total += orig.size;
  }
  const scores = new Float64Array(total);
  const alive = new Float32Array(total);
  for (const it of items) {
    const w = await it.orig.data();
    for (let j = 0; j < w.length; j++) scores[it.start + j] = Math.abs(w[j]!);
    alive.set(it.mask, it.start);
  }
  const k = howMany(op, options, alive.reduce((a, v) => a + (v !== 0 ? 1 : 0), 0));
  for (const i of smallest(scores, alive, k)) {
    let it = items[0]!;
    for (const x of items) if (x.start <= i) it = x;
    it.mask[i - it.start] = 0;
  }
  for (const it of items) applyMask(it.module, it.name, it.orig, it.mask);
}

/**
 * Makes the pruning of `module[name]` permanent, as PyTorch's prune.remove: the zeros are written
 * into the parameter (in place: an optimizer holding it keeps working), which is registered
 * as `name` again; `_orig` and `_mask` are gone.
 */
export function remove(module: Module, name: string): Module {
  const op = 'prune.remove';
  if (!(module instanceof Module)) throw new Error(`${op}: expected a Module, got ${describe(module)}`);
  const names = pruned.get(module);
  if (!names?.has(name)) {
    throw new Error(`${op}: '${String(name)}' of ${module.constructor.name} is not pruned (pruned: ${names ? [...names].join(', ') : 'none'})`);
  }
  const orig = protoGet.call(module, `${name}_orig`);
  const mask = protoGet.call(module, `${name}_mask`);
  noGrad(() => orig.mul_(mask));
  const rec = module as unknown as Record<string, unknown>;
  delete rec[`${name}_orig`];
  delete rec[`${name}_mask`];
  mask.dispose();
  names.delete(name);
  if (Object.getOwnPropertyDescriptor(module, name)?.get) delete rec[name];
  if (names.size === 0) {
    pruned.delete(module);
    delete rec.get;
    delete rec.getOptional;
  }
  module.registerParameter(name, orig);
  return module;
}

/** Whether any parameter of `module` (itself, not its submodules) is pruned and not yet removed. */
export function isPruned(module: Module): boolean {
  return pruned.has(module);
}

/** The fraction of zeros in `t` (a pruned weight, read as `module[name]`). */
export async function sparsity(t: Tensor): Promise<number> {
  if (!(t instanceof Tensor)) throw new Error(`prune.sparsity: expected a Tensor, got ${describe(t)}`);
  if (t.size === 0) return 0;
  const v = await t.data();
  let z = 0;
  for (let i = 0; i < v.length; i++) if (v[i] === 0) z++;
  return z / v.length;
}
