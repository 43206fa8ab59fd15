/**
 * The optimizer base: parameter groups with their own options, per-parameter state, one fused
 * kernel per parameter per step (Backend.optimizerStep), and stateDict/loadStateDict.
 *
 * Parameters are updated in place (like PyTorch's optimizers under no_grad): their buffers
 * are written by the step kernel and their storage version bumped, so a graph recorded before
 * the step refuses to run backward on the old values.
 */
import type { OptimizerHyper, OptimizerKind } from '../kernels/backend.js';
import type { OptimItem } from '../kernels/optim/types.js';
import type { DeviceName } from '../core/device.js';
import { getBackend } from '../runtime.js';
import { zeros } from '../tensor/creation.js';
import { Tensor } from '../tensor/tensor.js';
import { keep } from '../tensor/memory.js';
import { noGrad } from '../autograd/mode.js';
import { zeroGrad } from '../autograd/engine.js';
import { fmtShape, shapeEq } from '../core/shape.js';
import { Module, copyInto } from '../layers/module.js';
import { checkOptions, describe } from '../core/options.js';

/** A group of parameters and the options that apply to them (any option not given comes from the defaults). */
export interface ParamGroup<O> {
  params: Tensor[];
  options: O;
}

/** One parameter group as given to an optimizer: its parameters and the options it overrides. */
export interface ParamGroupSpec<O> {
  params: Iterable<Tensor> | Tensor;
  options?: O;
}

/** What an optimizer takes: the parameters (e.g. `model.parameters()`), or a list of parameter groups. */
export type ParamsArg<O> = Iterable<Tensor> | readonly ParamGroupSpec<O>[];

/** An optimizer's serialisable state: per parameter (by index across groups) its step and tensors. */
export interface OptimizerState<O> {
  groups: { options: O; params: number[] }[];
  state: Record<number, { step: number; tensors: Record<string, Tensor> }>;
}

interface ParamState {
  step: number;
  tensors: Record<string, Tensor>;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && [Object.prototype, null].includes(Object.getPrototypeOf(v));

/** The options given, without the keys whose value is undefined (those take the default). */
function given<O>(o: Partial<O> | undefined): Partial<O> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<O>;
}

/**
 * The parameter groups of `params`, checked: a Module, a single Tensor, a Map, null or a string
 * are refused with what to pass instead; each group is { params, options } with known keys.
 * A parameter listed twice in one group is kept once; one in two groups is an error (as PyTorch).
 */
function groupsOf<O>(op: string, params: unknown, optionNames: readonly string[]): { params: Tensor[]; options: Partial<O> }[] {
  const expected = `${op}: params must be an iterable of Tensors or of parameter groups ({ params, options })`;
  if (params instanceof Module) throw new Error(`${expected}; got a ${params.constructor.name} module (pass model.parameters())`);
  if (params instanceof Tensor) throw new Error(`${expected}; got a single Tensor of shape ${fmtShape(params.shape)} (pass [tensor])`);
  if (params instanceof Map) throw new Error(`${expected}; got a Map (pass [...map.values()])`);
  if (params === null || params === undefined || typeof params === 'string' || typeof (params as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new Error(`${expected}; got ${describe(params)}`);
  }
  const list = [...(params as Iterable<unknown>)];
  if (list.length === 0) throw new Error(`${op}: got an empty parameter list`);
  if (list.every((p) => p instanceof Tensor)) return [{ params: dedupe(list as Tensor[]), options: {} }];
  return list.map((g, gi) => {
    if (Array.isArray(g) && g.length === 2 && typeof g[0] === 'string' && g[1] instanceof Tensor) {
      throw new Error(`${expected}; got [name, Tensor] pairs (pass model.parameters(), not namedParameters())`);
    }
    if (g instanceof Tensor) throw new Error(`${expected}; got a list mixing Tensors and other things (item ${gi} is a Tensor, another is not)`);
    if (!isPlainObject(g)) throw new Error(`${expected}; got ${describe(g)} as item ${gi}`);
    for (const k of Object.keys(g)) {
      if (k !== 'params' && k !== 'options' && optionNames.includes(k)) {
        throw new Error(`${op}: parameter group ${gi} has the key '${k}': a group's options go under 'options', as { params, options: { ${k} } }`);
      }
    }
    checkOptions(`${op}: parameter group ${gi}`, g, ['params', 'options']);
    const ps = g.params instanceof Tensor ? [g.params] : g.params;
    if (ps === null || ps === undefined || typeof ps === 'string' || ps instanceof Module || typeof (ps as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw new Error(`${op}: parameter group ${gi}: params must be a Tensor or an iterable of Tensors, got ${describe(ps)}${ps instanceof Module ? ' (pass model.parameters())' : ''}`);
    }
    const tensors = [...(ps as Iterable<unknown>)];
    tensors.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new Error(`${op}: parameter group ${gi}: params[${i}] is ${describe(t)}, not a Tensor`);
    });
    if (tensors.length === 0) throw new Error(`${op}: parameter group ${gi} has an empty parameter list`);
    return { params: dedupe(tensors as Tensor[]), options: checkOptions(`${op}: parameter group ${gi} options`, g.options as Partial<O> | undefined, optionNames) ?? {} };
  });
}

/** The list with each tensor once (tied weights listed twice are one parameter, updated once per step). */
function dedupe(ps: Tensor[]): Tensor[] {
  return [...new Set(ps)];
}

export abstract class Optimizer<O extends { lr: number }> {
  readonly paramGroups: ParamGroup<O>[];
  /** The options every group starts from: the optimizer's defaults overridden by the options given. */
  readonly defaults: O;
  protected readonly state = new Map<Tensor, ParamState>();

  /**
   * `defaults` lists every option the optimizer reads, with its default value; `options` (what
   * the caller gave) may only have those keys, and each group's options too.
   */
  constructor(params: ParamsArg<Partial<O>>, options: Partial<O> | undefined, defaults: O) {
    const op = this.constructor.name;
    const names = Object.keys(defaults);
    checkOptions(op, options, names);
    this.defaults = { ...defaults, ...given(options) };
    this.validate(this.defaults, '');
    const seen = new Map<Tensor, number>();
    this.paramGroups = groupsOf<O>(op, params, names).map((g, gi) => {
      for (const p of g.params) {
        if (p.isDisposed) throw new Error(`${op}: a parameter of shape ${fmtShape(p.shape)} (group ${gi}) was disposed`);
        if (!p.isLeaf || !p.requiresGrad) throw new Error(`${op}: parameters must be leaf tensors that require grad (group ${gi}, shape ${fmtShape(p.shape)})`);
        const other = seen.get(p);
        if (other !== undefined) throw new Error(`${op}: a parameter (shape ${fmtShape(p.shape)}) appears in more than one group (groups ${other} and ${gi})`);
        seen.set(p, gi);
      }
      const options = { ...this.defaults, ...given(g.options) } as O;
      if (Object.keys(g.options).length) this.validate(options, ` (parameter group ${gi})`);
      return { params: g.params, options };
    });
  }

  /** Throws a clear error for options out of range; `where` (e.g. " (parameter group 1)") follows the option name in the message. */
  protected abstract validate(o: O, where: string): void;
  /** Which kernel, which state tensors (by name, created as zeros), and the step's hyper-parameters. */
  protected abstract plan(o: O, step: number, first: boolean): { kind: OptimizerKind; state: (string | null)[]; hyper: OptimizerHyper };

  /** Sets every parameter's .grad to null (freeing the gradients at once). */
  zeroGrad(...extra: never[]): void {
    if (extra.length) throw new Error(`${this.constructor.name}.zeroGrad: takes no arguments (gradients are always set to null, as PyTorch's set_to_none), got ${extra.map(describe).join(', ')}`);
    zeroGrad(this.paramGroups.flatMap((g) => g.params));
  }

  /**
   * Updates every parameter that has a gradient: a fused kernel per parameter group (on webgpu
   * as few dispatches as the adapter's storage bindings allow; the parameters of a group whose
   * step counts differ go in separate calls). Enqueues only: nothing is read back. Every
   * parameter is checked before any is updated.
   */
  step(...extra: never[]): void {
    if (extra.length) {
      throw new Error(`${this.constructor.name}.step: takes no arguments (no closure: compute the loss and call backward() before step()), got ${extra.map(describe).join(', ')}`);
    }
    const op = `${this.constructor.name}.step`;
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          if (!p.grad) continue;
          if (p.isDisposed) throw new Error(`${op}: a parameter of shape ${fmtShape(p.shape)} was disposed`);
          if (!p.isContiguous() || p.offset !== 0) throw new Error(`${op}: parameters must be contiguous tensors (shape ${fmtShape(p.shape)})`);
          for (const [name, t] of Object.entries(this.state.get(p)?.tensors ?? {})) {
            if (t.isDisposed) throw new Error(`${op}: the optimizer state '${name}' of a parameter of shape ${fmtShape(p.shape)} was disposed`);
          }
        }
      }
      for (const group of this.paramGroups) {
        // Parameters that take the same kernel with the same hyper-parameters and states, by device: one call each.
        const calls = new Map<string, { device: DeviceName; kind: OptimizerKind; hyper: OptimizerHyper; items: OptimItem[] }>();
        const temps: Tensor[] = [];
        const touched: Tensor[] = [];
        for (const p of group.params) {
          if (!p.grad) continue;
          let st = this.state.get(p);
          const first = !st;
          if (!st) {
            st = { step: 0, tensors: {} };
            this.state.set(p, st);
          }
          st.step++;
          let { kind, state, hyper } = this.plan(group.options, st.step, first);
          // A state tensor that does not exist yet (momentum turned on later, e.g. by OneCycleLR) starts as on a first step.
          if (!first && state.some((name) => name !== null && !st!.tensors[name])) ({ kind, state, hyper } = this.plan(group.options, st.step, true));
          const views = state.map((name) => {
            if (!name) return null;
            // Optimizer state outlives the step: it must not join an enclosing tidy scope.
            return (st!.tensors[name] ??= keep(zeros(p.shape, { device: p.device, dtype: p.dtype })));
          });
          const g0 = p.grad.dtype === p.dtype ? p.grad : p.grad.cast(p.dtype);
          const g = g0.isContiguous() && g0.offset === 0 ? g0 : g0.clone();
          if (g !== p.grad) temps.push(g);
          if (g0 !== p.grad && g0 !== g) temps.push(g0);
          const key = `${p.device}|${p.dtype}|${kind}|${state.map((n) => n ?? '-').join(',')}|${JSON.stringify(hyper)}`;
          let call = calls.get(key);
          if (!call) calls.set(key, (call = { device: p.device, kind, hyper, items: [] }));
          call.items.push({ param: p, grad: g, state: views });
          touched.push(p, ...views.filter((v): v is Tensor => v !== null));
        }
        for (const c of calls.values()) getBackend(c.device).optim.stepGroup(c.kind, c.items, c.hyper);
        for (const t of touched) t.storage.version++;
        for (const t of temps) t.dispose();
      }
    });
  }

  /** The step count and state tensors of every parameter, by its index across the groups (as PyTorch's state_dict). */
  stateDict(): OptimizerState<O> {
    let idx = 0;
    const state: OptimizerState<O>['state'] = {};
    const groups = this.paramGroups.map((g) => ({
      options: { ...g.options },
      params: g.params.map((p) => {
        const s = this.state.get(p);
        if (s) state[idx] = { step: s.step, tensors: Object.fromEntries(Object.entries(s.tensors).map(([k, t]) => [k, t.detach()])) };
        return idx++;
      }),
    }));
    return { groups, state };
  }

  /** Loads state saved by stateDict (the same parameter layout); tensors are copied in. */
  loadStateDict(sd: OptimizerState<O>): void {
    const op = `${this.constructor.name}.loadStateDict`;
    if (sd === null || typeof sd !== 'object') throw new Error(`${op}: expected the { groups, state } of stateDict(), got ${describe(sd)}`);
    checkOptions(op, sd, ['groups', 'state']);
    if (Array.isArray(sd.groups)) {
      sd.groups.forEach((g, i) => {
        checkOptions(`${op}: group ${i}`, g, ['options', 'params']);
        checkOptions(`${op}: group ${i} options`, g.options, Object.keys(this.defaults));
      });
    }
    if (!Array.isArray(sd.groups) || sd.groups.length !== this.paramGroups.length) {
      throw new Error(`${this.constructor.name}.loadStateDict: the state has ${sd?.groups?.length ?? 'no'} parameter groups, this optimizer has ${this.paramGroups.length}`);
    }
    const params = this.paramGroups.flatMap((g) => g.params);
    sd.groups.forEach((g, i) => {
      if (g.params.length !== this.paramGroups[i]!.params.length) {
        throw new Error(`${this.constructor.name}.loadStateDict: group ${i} has ${g.params.length} parameters in the state, ${this.paramGroups[i]!.params.length} here`);
      }
    });
    for (const [k, s] of Object.entries(sd.state ?? {})) {
      const p = params[Number(k)];
      if (!p) throw new Error(`${this.constructor.name}.loadStateDict: state for parameter ${k}, but there are ${params.length}`);
      for (const [name, t] of Object.entries(s.tensors)) {
        if (!shapeEq(t.shape, p.shape)) throw new Error(`${this.constructor.name}.loadStateDict: '${name}' of parameter ${k} has shape ${fmtShape(t.shape)}, the parameter ${fmtShape(p.shape)}`);
      }
    }
    sd.groups.forEach((g, i) => {
      const opts = { ...this.paramGroups[i]!.options, ...g.options };
      this.validate(opts, ` (loadStateDict, group ${i})`);
      this.paramGroups[i]!.options = opts;
    });
    for (const [k, s] of Object.entries(sd.state ?? {})) {
      const p = params[Number(k)]!;
      const tensors: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(s.tensors)) {
        const mine = keep(zeros(p.shape, { device: p.device, dtype: p.dtype }));
        if (t.device !== p.device) throw new Error(`${this.constructor.name}.loadStateDict: move the state to ${p.device} first`);
        copyInto(mine, t);
        tensors[name] = mine;
      }
      this.state.set(p, { step: s.step, tensors });
    }
  }

  /** The learning rate of each group (what schedulers set). */
  get lrs(): number[] {
    return this.paramGroups.map((g) => g.options.lr);
  }
}
