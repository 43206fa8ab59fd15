/**
 * Module: the base of every layer. A module owns named parameters (leaf tensors that require
 * grad), buffers (state that is saved but not trained, like batch-norm running statistics)
 * and submodules, and knows whether it is training. As in PyTorch, `stateDict()` names every
 * parameter and buffer by its dotted path ('0.weight', 'features.conv1.bias').
 *
 * Assigning a property registers it, as PyTorch's __setattr__ does: `this.fc = new Linear(...)`
 * makes fc a submodule and `this.w = randn([3], { requiresGrad: true })` a parameter (a leaf
 * that requires grad), in the order of assignment. A plain tensor stays a plain property (use
 * registerBuffer for state that moves and saves with the module). The base constructor
 * returns a Proxy whose defineProperty trap sees both `this.x = v` and class-field
 * definitions (which use [[Define]], not [[Set]], under useDefineForClassFields); a registered
 * name becomes an accessor over the module's own maps, so `to()` and loadStateDict, which
 * replace or update the tensors there, are seen through the property.
 */
import type { DeviceName } from '../kernels/backend.js';
import { noGrad } from '../autograd/mode.js';
import { zeroGrad } from '../autograd/engine.js';
import { getBackend } from '../runtime.js';
import { fmtShape, shapeEq } from '../core/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { keep } from '../tensor/memory.js';
import { describe } from '../core/options.js';
import { isFloat } from '../core/dtype.js';

export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export abstract class Module {
  /** Set by train() / eval(); layers such as Dropout and BatchNorm read it. */
  training = true;
  private readonly params = new Map<string, Tensor | null>();
  private readonly bufs = new Map<string, Tensor | null>();
  private readonly mods = new Map<string, Module>();

  constructor() {
    // Everything above is defined on the plain object; from here on `this` (in subclasses'
    // constructors and field initialisers) is the proxy.
    return new Proxy(this, { defineProperty: defineOn, deleteProperty: deleteOn, set: setOn });
  }

  /**
   * The computation. Call it directly: `model.forward(x)`. As in PyTorch, the arguments and the
   * result are the layer's own (a tensor for most; MultiheadAttention's `forward(q, k, v, { ... })`
   * returns [output, weights], the recurrent layers take a state and options and return
   * [output, state]): each subclass types its own, so the base leaves them open.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  abstract forward(...inputs: any[]): any;

  /** Registers (or replaces) a parameter; it becomes a leaf that requires grad. */
  registerParameter(name: string, t: Tensor | null): Tensor | null {
    checkName(this, name);
    if (t !== null && !(t instanceof Tensor)) throw new Error(`${this.constructor.name}.registerParameter: '${name}' must be a Tensor or null, got ${describe(t)}`);
    if (t) {
      if (!t.isLeaf) throw new Error(`${this.constructor.name}.registerParameter: '${name}' must be a leaf tensor (use detach())`);
      t.requiresGrad = true;
      keep(t); // a module's state outlives any tidy scope it was made in
    }
    this.bufs.delete(name);
    this.mods.delete(name);
    this.params.set(name, t);
    expose(this, name);
    return t;
  }

  /** Registers (or replaces) a buffer: state saved in stateDict and moved by to(), not trained. */
  registerBuffer(name: string, t: Tensor | null): Tensor | null {
    checkName(this, name);
    if (t !== null && !(t instanceof Tensor)) throw new Error(`${this.constructor.name}.registerBuffer: '${name}' must be a Tensor or null, got ${describe(t)}`);
    if (t) keep(t);
    this.params.delete(name);
    this.mods.delete(name);
    this.bufs.set(name, t);
    expose(this, name);
    return t;
  }

  /** Registers (or replaces) a submodule; assigning `this.name = module` does the same. */
  registerModule<M extends Module>(name: string, m: M): M {
    checkName(this, name);
    if (!(m instanceof Module)) throw new Error(`${this.constructor.name}.registerModule: '${name}' is not a Module`);
    this.params.delete(name);
    this.bufs.delete(name);
    this.mods.set(name, m);
    expose(this, name);
    return m;
  }

  /** What an assignment to a registered name does; false: the name is not registered. */
  private assignRegistered(name: string, v: unknown): boolean {
    if (this.mods.has(name)) {
      if (v === null) {
        // As PyTorch's `self.fc = None`: no longer a submodule; the property holds null.
        this.mods.delete(name);
        Reflect.deleteProperty(this, name);
        Reflect.defineProperty(this, name, { value: null, writable: true, enumerable: true, configurable: true });
      } else if (v instanceof Module) this.registerModule(name, v);
      else if (isParameterLike(v)) this.registerParameter(name, v);
      else throw new Error(`${this.constructor.name}: cannot assign ${describe(v)} to '${name}', a submodule (a Module expected; registerModule, or delete the property first)`);
      return true;
    }
    if (this.params.has(name)) {
      if (v === null || isParameterLike(v)) this.registerParameter(name, v);
      else if (v instanceof Module) this.registerModule(name, v);
      else throw new Error(`${this.constructor.name}: cannot assign ${describe(v)}${v instanceof Tensor ? ' that does not require grad' : ''} to '${name}', a parameter (a leaf Tensor that requires grad, or null, expected)`);
      return true;
    }
    if (this.bufs.has(name)) {
      if (v === null || v instanceof Tensor) this.registerBuffer(name, v);
      else throw new Error(`${this.constructor.name}: cannot assign ${describe(v)} to '${name}', a buffer (a Tensor or null expected)`);
      return true;
    }
    if (v instanceof Module) {
      this.registerModule(name, v);
      return true;
    }
    if (isParameterLike(v)) {
      this.registerParameter(name, v);
      return true;
    }
    return false;
  }

  /** The parameter or buffer registered as `name` (throws if there is none). */
  protected get(name: string): Tensor {
    const t = this.params.get(name) ?? this.bufs.get(name);
    if (!t) throw new Error(`${this.constructor.name}: no parameter or buffer '${name}'`);
    return t;
  }
  protected getOptional(name: string): Tensor | null {
    return this.params.get(name) ?? this.bufs.get(name) ?? null;
  }

  *namedChildren(): IterableIterator<[string, Module]> {
    yield* this.mods;
  }
  children(): Module[] {
    return [...this.mods.values()];
  }
  /**
   * This module and every module below it, depth first, with dotted names ('' for this one).
   * A module reachable by two paths is listed once, under the first (PyTorch's
   * remove_duplicate=True); pass `removeDuplicate = false` for every path.
   */
  *namedModules(prefix = '', removeDuplicate = true): IterableIterator<[string, Module]> {
    yield* walkModules(this, prefix, removeDuplicate ? new Set() : null, new Set());
  }
  modules(): Module[] {
    return [...this.namedModules()].map(([, m]) => m);
  }

  /**
   * Every parameter with its dotted name. A parameter shared by two modules (tied weights) is
   * listed once, under its first name, so an optimizer sees it once; `removeDuplicate = false`
   * lists every name. stateDict keeps every name, as PyTorch's does.
   */
  *namedParameters(prefix = '', removeDuplicate = true): IterableIterator<[string, Tensor]> {
    yield* this.namedTensors('params', prefix, removeDuplicate);
  }
  parameters(): Tensor[] {
    return [...this.namedParameters()].map(([, t]) => t);
  }
  /** Every buffer with its dotted name (a shared one once, as namedParameters). */
  *namedBuffers(prefix = '', removeDuplicate = true): IterableIterator<[string, Tensor]> {
    yield* this.namedTensors('bufs', prefix, removeDuplicate);
  }
  private *namedTensors(kind: 'params' | 'bufs', prefix: string, removeDuplicate: boolean): IterableIterator<[string, Tensor]> {
    const seen = new Set<Tensor>();
    for (const [path, m] of this.namedModules(prefix, removeDuplicate)) {
      for (const [n, t] of m[kind]) {
        if (!t || (removeDuplicate && seen.has(t))) continue;
        seen.add(t);
        yield [path ? `${path}.${n}` : n, t];
      }
    }
  }
  buffers(): Tensor[] {
    return [...this.namedBuffers()].map(([, t]) => t);
  }

  /** Sets training mode on this module and every submodule. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  eval(): this {
    return this.train(false);
  }

  /**
   * Calls `fn` on every submodule (each child's subtree first, depth first) and then on this
   * module, as PyTorch's `apply` (typically to initialise weights). A module reachable by two
   * paths is visited once per path, as in PyTorch. Returns this.
   */
  apply(fn: (m: Module) => void): this {
    if (typeof fn !== 'function') throw new Error(`${this.constructor.name}.apply: expected a function (module) => void, got ${describe(fn)}`);
    const open = new Set<Module>();
    const visit = (m: Module, path: string) => {
      if (open.has(m)) throw new Error(`${this.constructor.name}.apply: module '${path}' contains itself (a cycle of submodules)`);
      open.add(m);
      for (const [n, c] of m.mods) visit(c, path ? `${path}.${n}` : n);
      open.delete(m);
      fn(m);
    };
    visit(this, '');
    return this;
  }

  /**
   * Casts every floating-point parameter and buffer to float64 (int and bool buffers stay),
   * as PyTorch's `double()`. float64 exists on the cpu backend only: a module with a tensor on
   * webgpu is refused, naming it. As with `to()`, the parameters are new tensors: make the
   * optimizer after casting. Tied tensors stay tied.
   */
  double(): this {
    return this.castFloats('double', 'float64');
  }

  /** Casts every floating-point parameter and buffer to float32, as PyTorch's `float()`. */
  float(): this {
    return this.castFloats('float', 'float32');
  }

  /**
   * Casts every floating-point parameter and buffer to float16, as PyTorch's `half()`: half the
   * memory; every op still computes in float32 and rounds its result (docs/ARCHITECTURE.md, "Dtypes").
   */
  half(): this {
    return this.castFloats('half', 'float16');
  }

  private castFloats(op: string, dtype: 'float32' | 'float64' | 'float16'): this {
    const name = `${this.constructor.name}.${op}`;
    if (dtype === 'float64') {
      for (const [n, t] of this.stateEntries()) {
        if (t.device !== 'cpu' && isFloat(t.dtype)) {
          throw new Error(`${name}: float64 exists on the cpu backend only, and '${n}' is on ${t.device} (move the module first: await model.to('cpu'))`);
        }
      }
    }
    const castOf = new Map<Tensor, Tensor>();
    noGrad(() => {
      for (const m of this.modules()) {
        for (const map of [m.params, m.bufs]) {
          for (const [n, t] of map) {
            if (!t || !isFloat(t.dtype) || t.dtype === dtype) continue;
            let c = castOf.get(t);
            if (!c) {
              c = keep(t.cast(dtype));
              if (map === m.params) c.requiresGrad = true;
              castOf.set(t, c);
            }
            map.set(n, c);
          }
        }
      }
    });
    for (const t of castOf.keys()) t.dispose();
    return this;
  }

  /** Sets every parameter's .grad to null, freeing the old gradients at once. */
  zeroGrad(): void {
    zeroGrad(this.parameters());
  }

  /**
   * Moves every parameter and buffer to `device`. The parameter objects are replaced, so make
   * the optimizer after moving the model (as with PyTorch's `.to()` before `optim.*`).
   */
  async to(device: DeviceName): Promise<this> {
    const movedOf = new Map<Tensor, Tensor>(); // a tied tensor moves once and stays tied
    for (const m of this.modules()) {
      for (const map of [m.params, m.bufs]) {
        for (const [n, t] of map) {
          if (!t || t.device === device) continue;
          let moved = movedOf.get(t);
          if (!moved) {
            moved = keep(await t.to(device));
            if (map === m.params) moved.requiresGrad = true;
            movedOf.set(t, moved);
          }
          map.set(n, moved);
        }
      }
    }
    for (const t of movedOf.keys()) t.dispose();
    return this;
  }

  /**
   * Every parameter and buffer by dotted name: handles sharing the buffers (no copy). As in
   * PyTorch, a tied parameter (or a module reachable by two paths) appears under every name,
   * each module's parameters then its buffers, module by module.
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [n, t] of this.stateEntries()) out[n] = t.detach();
    return out;
  }
  private stateEntries(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [path, m] of this.namedModules('', false)) {
      for (const map of [m.params, m.bufs]) for (const [n, t] of map) if (t) out.push([path ? `${path}.${n}` : n, t]);
    }
    return out;
  }

  /**
   * Copies values into the parameters and buffers, in place (an optimizer holding them keeps
   * working). `strict` (default): every key must match, both ways; otherwise the missing and
   * unexpected keys are returned. A shape mismatch is always an error, and nothing is written
   * unless every check passes.
   */
  loadStateDict(state: Record<string, Tensor> | Map<string, Tensor>, strict = true): LoadResult {
    if (state === null || typeof state !== 'object' || Array.isArray(state) || state instanceof Tensor) {
      throw new Error(`${this.constructor.name}.loadStateDict: expected a record or Map of tensors by name (as stateDict() or io.loadSafetensors give), got ${describe(state)}`);
    }
    if (typeof strict !== 'boolean') throw new Error(`${this.constructor.name}.loadStateDict: strict must be true or false, got ${describe(strict)}`);
    const src = state instanceof Map ? state : new Map(Object.entries(state));
    const own = new Map<string, Tensor>(this.stateEntries());
    const missingKeys = [...own.keys()].filter((k) => !src.has(k));
    const unexpectedKeys = [...src.keys()].filter((k) => !own.has(k));
    if (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0)) {
      throw new Error(
        `${this.constructor.name}.loadStateDict: the state does not match the model` +
          (missingKeys.length ? `; missing keys: ${missingKeys.join(', ')}` : '') +
          (unexpectedKeys.length ? `; unexpected keys: ${unexpectedKeys.join(', ')}` : '') +
          ' (pass strict = false to load the keys that match)',
      );
    }
    const pairs: [Tensor, Tensor, string][] = [];
    for (const [k, dst] of own) {
      const v = src.get(k);
      if (!v) continue;
      if (!(v instanceof Tensor)) throw new Error(`${this.constructor.name}.loadStateDict: '${k}' is not a Tensor`);
      if (!shapeEq(v.shape, dst.shape)) {
        throw new Error(`${this.constructor.name}.loadStateDict: '${k}' has shape ${fmtShape(v.shape)} in the state but ${fmtShape(dst.shape)} in the model`);
      }
      pairs.push([v, dst, k]);
    }
    noGrad(() => {
      for (const [v, dst] of pairs) {
        if (v.device !== dst.device) throw new Error(`loadStateDict: move the state to ${dst.device} first (await t.to('${dst.device}'))`);
        copyInto(dst, v);
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /** Number of parameter elements (trainable, that is all of them). */
  numParameters(): number {
    return this.parameters().reduce((a, p) => a + p.size, 0);
  }

  /** One line per module with its own settings (`extraRepr`) and parameter counts. */
  toString(): string {
    const lines: string[] = [];
    const open = new Set<Module>();
    const walk = (m: Module, name: string, depth: number) => {
      if (open.has(m)) throw new Error(`${this.constructor.name}.toString: module '${name}' contains itself (a cycle of submodules)`);
      open.add(m);
      const own = [...m.params.values()].reduce((a, p) => a + (p?.size ?? 0), 0);
      const extra = m.extraRepr();
      const head = `${'  '.repeat(depth)}${name ? `(${name}): ` : ''}${m.constructor.name}(${extra})`;
      lines.push(m.mods.size === 0 && own > 0 ? `${head}  # ${own.toLocaleString('en-US')} params` : head);
      for (const [n, c] of m.mods) walk(c, n, depth + 1);
      open.delete(m);
    };
    walk(this, '', 0);
    lines.push(`Total: ${this.numParameters().toLocaleString('en-US')} parameters`);
    return lines.join('\n');
  }

  /** The settings shown by toString(), e.g. 'in=784, out=10'. */
  extraRepr(): string {
    return '';
  }
}

/** Depth-first walk; `seen` (when deduplicating) skips modules met before; a cycle is an error. */
function* walkModules(m: Module, path: string, seen: Set<Module> | null, stack: Set<Module>): IterableIterator<[string, Module]> {
  if (seen) {
    if (seen.has(m)) return;
    seen.add(m);
  }
  if (stack.has(m)) throw new Error(`${m.constructor.name}: module '${path}' contains itself (a cycle of submodules)`);
  yield [path, m];
  stack.add(m);
  for (const [n, c] of (m as unknown as Internals).mods) yield* walkModules(c, path ? `${path}.${n}` : n, seen, stack);
  stack.delete(m);
}

/** What an assignment registers as a parameter: a leaf Tensor that requires grad. */
function isParameterLike(v: unknown): v is Tensor {
  return v instanceof Tensor && v.requiresGrad && v.isLeaf;
}

type Internals = {
  assignRegistered(name: string, v: unknown): boolean;
  params: Map<string, Tensor | null>;
  bufs: Map<string, Tensor | null>;
  mods: Map<string, Module>;
};

/** The getters that expose registered names (to tell them from a class's own). */
const accessors = new WeakSet<object>();

/** The proxy's defineProperty trap: `this.x = v` and class fields both arrive here. */
function defineOn(target: Module, key: string | symbol, desc: PropertyDescriptor): boolean {
  if (typeof key === 'string' && 'value' in desc && key !== '' && !key.includes('.')) {
    const own = Object.getOwnPropertyDescriptor(target, key);
    // A field declared without initialiser (`fc!: Linear`) defines undefined after the
    // registration it annotates: the registration stands.
    if (desc.value === undefined && own?.get && accessors.has(own.get)) return true;
    if ((target as unknown as Internals).assignRegistered(key, desc.value)) return true;
  }
  return Reflect.defineProperty(target, key, desc);
}

/**
 * The proxy's set trap: a registered name is assigned through the registry even where the
 * class has a getter only (Linear's `weight`, `bias`), so `linear.weight = p` replaces the
 * parameter, and a wrong value is refused with a message rather than a TypeError.
 */
function setOn(target: Module, key: string | symbol, v: unknown, receiver: unknown): boolean {
  const t = target as unknown as Internals;
  if (typeof key === 'string' && (t.params.has(key) || t.bufs.has(key) || t.mods.has(key))) return t.assignRegistered(key, v);
  return Reflect.set(target, key, v, receiver);
}

/** The proxy's deleteProperty trap: `delete this.fc` unregisters fc, as PyTorch's __delattr__. */
function deleteOn(target: Module, key: string | symbol): boolean {
  if (typeof key === 'string') {
    const t = target as unknown as Internals;
    t.params.delete(key);
    t.bufs.delete(key);
    t.mods.delete(key);
  }
  return Reflect.deleteProperty(target, key);
}

/** Makes `m.name` read (and assign) the registered parameter, buffer or submodule, unless the class defines that name itself. */
function expose(m: Module, name: string): void {
  const own = Object.getOwnPropertyDescriptor(m, name);
  if (own?.get && accessors.has(own.get)) return;
  if (own ? !own.configurable : name in m) return; // a getter or method of the class (Linear's `weight`) wins
  const self = m as unknown as Internals;
  const get = (): unknown => {
    if (self.mods.has(name)) return self.mods.get(name);
    if (self.params.has(name)) return self.params.get(name);
    return self.bufs.get(name);
  };
  accessors.add(get);
  Reflect.defineProperty(m, name, {
    get,
    set: (v: unknown) => {
      if (!self.assignRegistered(name, v)) {
        // No longer registered (it was moved to a map and back out): a plain property again.
        Reflect.deleteProperty(m, name);
        Reflect.defineProperty(m, name, { value: v, writable: true, enumerable: true, configurable: true });
      }
    },
    enumerable: true,
    configurable: true,
  });
}

function checkName(m: Module, name: string): void {
  if (typeof name !== 'string' || name === '' || name.includes('.')) {
    throw new Error(`${m.constructor.name}: a parameter, buffer or module name must be a non-empty string without '.', got '${String(name)}'`);
  }
}

/** Writes v's values into dst's buffer (parameters and buffers are updated in place, like PyTorch's copy_). */
export function copyInto(dst: Tensor, v: Tensor): void {
  const src = v.dtype === dst.dtype ? v : v.cast(dst.dtype);
  getBackend(dst.device).copy(src, dst);
  dst.storage.version++;
  if (src !== v) src.dispose();
}
