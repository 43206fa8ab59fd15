/**
 * Module: the base of every layer. A module owns named parameters (leaf tensors that require
 * grad), buffers (state that is saved but not trained, like batch-norm running statistics)
 * and submodules, and knows whether it is training. As in PyTorch, `stateDict()` names every
 * parameter and buffer by its dotted path ('0.weight', 'features.conv1.bias').
 */
import type { DeviceName } from '../kernels/backend.js';
import { noGrad } from '../autograd/mode.js';
import { zeroGrad } from '../autograd/engine.js';
import { getBackend } from '../runtime.js';
import { fmtShape, shapeEq } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { keep } from '../tensor/memory.js';

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

  /** The computation. Call it directly: `model.forward(x)`. */
  abstract forward(...inputs: Tensor[]): Tensor;

  /** Registers (or replaces) a parameter; it becomes a leaf that requires grad. */
  registerParameter(name: string, t: Tensor | null): Tensor | null {
    checkName(this, name);
    if (t) {
      if (!t.isLeaf) throw new Error(`${this.constructor.name}.registerParameter: '${name}' must be a leaf tensor (use detach())`);
      t.requiresGrad = true;
      keep(t); // a module's state outlives any tidy scope it was made in
    }
    this.params.set(name, t);
    return t;
  }

  registerBuffer(name: string, t: Tensor | null): Tensor | null {
    checkName(this, name);
    if (t) keep(t);
    this.bufs.set(name, t);
    return t;
  }

  registerModule<M extends Module>(name: string, m: M): M {
    checkName(this, name);
    if (!(m instanceof Module)) throw new Error(`${this.constructor.name}.registerModule: '${name}' is not a Module`);
    this.mods.set(name, m);
    return m;
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
  /** This module and every module below it, depth first, with dotted names ('' for this one). */
  *namedModules(prefix = ''): IterableIterator<[string, Module]> {
    yield [prefix, this];
    for (const [n, m] of this.mods) yield* m.namedModules(prefix ? `${prefix}.${n}` : n);
  }
  modules(): Module[] {
    return [...this.namedModules()].map(([, m]) => m);
  }

  *namedParameters(prefix = ''): IterableIterator<[string, Tensor]> {
    for (const [path, m] of this.namedModules(prefix)) {
      for (const [n, t] of m.params) if (t) yield [path ? `${path}.${n}` : n, t];
    }
  }
  parameters(): Tensor[] {
    return [...this.namedParameters()].map(([, t]) => t);
  }
  *namedBuffers(prefix = ''): IterableIterator<[string, Tensor]> {
    for (const [path, m] of this.namedModules(prefix)) {
      for (const [n, t] of m.bufs) if (t) yield [path ? `${path}.${n}` : n, t];
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

  /** Sets every parameter's .grad to null, freeing the old gradients at once. */
  zeroGrad(): void {
    zeroGrad(this.parameters());
  }

  /**
   * Moves every parameter and buffer to `device`. The parameter objects are replaced, so make
   * the optimizer after moving the model (as with PyTorch's `.to()` before `optim.*`).
   */
  async to(device: DeviceName): Promise<this> {
    for (const m of this.modules()) {
      for (const map of [m.params, m.bufs]) {
        for (const [n, t] of map) {
          if (!t || t.device === device) continue;
          const moved = keep(await t.to(device));
          if (map === m.params) moved.requiresGrad = true;
          map.set(n, moved);
          t.dispose();
        }
      }
    }
    return this;
  }

  /** Every parameter and buffer by dotted name: handles sharing the buffers (no copy). */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [n, t] of this.namedParameters()) out[n] = t.detach();
    for (const [n, t] of this.namedBuffers()) out[n] = t.detach();
    return out;
  }

  /**
   * Copies values into the parameters and buffers, in place (an optimizer holding them keeps
   * working). `strict` (default): every key must match, both ways; otherwise the missing and
   * unexpected keys are returned. A shape mismatch is always an error, and nothing is written
   * unless every check passes.
   */
  loadStateDict(state: Record<string, Tensor> | Map<string, Tensor>, strict = true): LoadResult {
    const src = state instanceof Map ? state : new Map(Object.entries(state));
    const own = new Map<string, Tensor>([...this.namedParameters(), ...this.namedBuffers()]);
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
    const walk = (m: Module, name: string, depth: number) => {
      const own = [...m.params.values()].reduce((a, p) => a + (p?.size ?? 0), 0);
      const extra = m.extraRepr();
      const head = `${'  '.repeat(depth)}${name ? `(${name}): ` : ''}${m.constructor.name}(${extra})`;
      lines.push(m.mods.size === 0 && own > 0 ? `${head}  # ${own.toLocaleString('en-US')} params` : head);
      for (const [n, c] of m.mods) walk(c, n, depth + 1);
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
