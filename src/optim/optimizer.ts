/**
 * The optimizer base: parameter groups with their own options, per-parameter state, one fused
 * kernel per parameter per step (Backend.optimizerStep), and stateDict/loadStateDict.
 *
 * Parameters are updated in place (like PyTorch's optimizers under no_grad): their buffers
 * are written by the step kernel and their storage version bumped, so a graph recorded before
 * the step refuses to run backward on the old values.
 */
import type { OptimizerHyper, OptimizerKind } from '../kernels/backend.js';
import { getBackend } from '../runtime.js';
import { zeros } from '../tensor/creation.js';
import { Tensor } from '../tensor/tensor.js';
import { keep } from '../tensor/memory.js';
import { noGrad } from '../autograd/mode.js';
import { zeroGrad } from '../autograd/engine.js';
import { fmtShape, shapeEq } from '../tensor/shape.js';
import { copyInto } from '../nn/module.js';

/** A group of parameters and the options that apply to them (any option not given comes from the defaults). */
export interface ParamGroup<O> {
  params: Tensor[];
  options: O;
}

export type ParamsArg<O> = Iterable<Tensor> | readonly { params: Iterable<Tensor>; options?: Partial<O> }[];

/** An optimizer's serialisable state: per parameter (by index across groups) its step and tensors. */
export interface OptimizerState<O> {
  groups: { options: O; params: number[] }[];
  state: Record<number, { step: number; tensors: Record<string, Tensor> }>;
}

interface ParamState {
  step: number;
  tensors: Record<string, Tensor>;
}

export abstract class Optimizer<O extends { lr: number }> {
  readonly paramGroups: ParamGroup<O>[];
  protected readonly state = new Map<Tensor, ParamState>();

  constructor(params: ParamsArg<O>, readonly defaults: O) {
    const list = [...(params as Iterable<unknown>)];
    if (list.length === 0) throw new Error(`${this.constructor.name}: got an empty parameter list`);
    const groups = list[0] instanceof Tensor
      ? [{ params: list as Tensor[], options: {} as Partial<O> }]
      : (list as { params: Iterable<Tensor>; options?: Partial<O> }[]).map((g) => ({ params: [...g.params], options: g.options ?? {} }));
    const seen = new Set<Tensor>();
    this.paramGroups = groups.map((g, gi) => {
      for (const p of g.params) {
        if (!(p instanceof Tensor)) throw new Error(`${this.constructor.name}: parameter group ${gi} holds something that is not a Tensor`);
        if (!p.isLeaf || !p.requiresGrad) throw new Error(`${this.constructor.name}: parameters must be leaf tensors that require grad (group ${gi}, shape ${fmtShape(p.shape)})`);
        if (seen.has(p)) throw new Error(`${this.constructor.name}: a parameter (shape ${fmtShape(p.shape)}) appears in more than one group`);
        seen.add(p);
      }
      const options = { ...defaults, ...g.options } as O;
      this.validate(options);
      return { params: g.params, options };
    });
  }

  /** Throws a clear error for options out of range. */
  protected abstract validate(o: O): void;
  /** Which kernel, which state tensors (by name, created as zeros), and the step's hyper-parameters. */
  protected abstract plan(o: O, step: number, first: boolean): { kind: OptimizerKind; state: (string | null)[]; hyper: OptimizerHyper };

  /** Sets every parameter's .grad to null (freeing the gradients at once). */
  zeroGrad(): void {
    zeroGrad(this.paramGroups.flatMap((g) => g.params));
  }

  /** Updates every parameter that has a gradient: one fused kernel each. Enqueues only: nothing is read back. */
  step(): void {
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          if (!p.grad) continue;
          if (p.isDisposed) throw new Error(`${this.constructor.name}.step: a parameter of shape ${fmtShape(p.shape)} was disposed`);
          let st = this.state.get(p);
          const first = !st;
          if (!st) {
            st = { step: 0, tensors: {} };
            this.state.set(p, st);
          }
          st.step++;
          const { kind, state, hyper } = this.plan(group.options, st.step, first);
          const views = state.map((name) => {
            if (!name) return null;
            // Optimizer state outlives the step: it must not join an enclosing tidy scope.
            const t = (st!.tensors[name] ??= keep(zeros(p.shape, { device: p.device, dtype: p.dtype })));
            if (t.isDisposed) throw new Error(`${this.constructor.name}.step: the optimizer state '${name}' of a parameter of shape ${fmtShape(p.shape)} was disposed`);
            return t;
          });
          const g0 = p.grad.dtype === p.dtype ? p.grad : p.grad.cast(p.dtype);
          const g = g0.isContiguous() && g0.offset === 0 ? g0 : g0.clone();
          if (!p.isContiguous() || p.offset !== 0) throw new Error(`${this.constructor.name}.step: parameters must be contiguous tensors (shape ${fmtShape(p.shape)})`);
          getBackend(p.device).optimizerStep(kind, p, g, views, hyper);
          p.storage.version++;
          for (const v of views) if (v) v.storage.version++;
          if (g !== p.grad) g.dispose();
          if (g0 !== p.grad && g0 !== g) g0.dispose();
        }
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
    if (!sd || !Array.isArray(sd.groups) || sd.groups.length !== this.paramGroups.length) {
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
      this.validate(opts);
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

export function checkRange(op: string, name: string, v: unknown, lo: number, hi: number, loOpen = false, hiOpen = true): void {
  const n = v as number;
  const ok = typeof v === 'number' && Number.isFinite(n) && (loOpen ? n > lo : n >= lo) && (hiOpen ? n < hi : n <= hi);
  if (!ok) throw new Error(`${op}: ${name} must be in ${loOpen ? '(' : '['}${lo}, ${hi === Infinity ? 'inf' : hi}${hiOpen ? ')' : ']'}, got ${String(v)}`);
}
