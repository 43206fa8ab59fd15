/**
 * optim.LBFGS: limited-memory BFGS with PyTorch's algorithm (torch.optim.LBFGS): the two-loop
 * recursion over the last `historySize` curvature pairs, a first step scaled by the gradient's
 * L1 norm, and optionally the strong-Wolfe line search with cubic interpolation.
 *
 * The parameters live on their device; the direction arithmetic runs on the host in float64
 * (the flat gradient is read once per evaluation, which the loss's read and the search's
 * decisions need anyway), so the iterates are the same on every device up to the
 * parameters' float32 rounding, and the history holds no device memory (nothing for a tidy
 * scope to free). A step writes the parameters in place and bumps their storage version.
 */
import { getBackend } from '../runtime.js';
import { cat } from '../tensor/ops/indexing.js';
import { tensor } from '../tensor/creation.js';
import { tidy } from '../tensor/memory.js';
import { Tensor } from '../tensor/tensor.js';
import { enableGrad, noGrad } from '../autograd/mode.js';
import { zeroGrad } from '../autograd/engine.js';
import { fmtShape } from '../core/shape.js';
import { copyInto, Module } from '../layers/module.js';
import { checkChoice, checkNumber, checkOptions, describe } from '../core/options.js';

export interface LBFGSOptions {
  /** Scales every step (default 1). */
  lr: number;
  /** Iterations per step() (default 20). */
  maxIter: number;
  /** Closure evaluations per step() (default maxIter * 5 / 4, rounded down). */
  maxEval: number;
  /** Stop when the gradient's largest magnitude is at most this (default 1e-7). */
  toleranceGrad: number;
  /** Stop when a step or the change of the loss is below this (default 1e-9). */
  toleranceChange: number;
  /** Curvature pairs kept (default 100). */
  historySize: number;
  /** null (default: fixed steps of lr) or 'strong_wolfe'. */
  lineSearchFn: null | 'strong_wolfe';
}

/** What a closure returns: the loss as a 0-d (or one-element) tensor, or a number; maybe a promise. */
export type LBFGSClosure = () => Tensor | number | Promise<Tensor | number>;

/** LBFGS's state, as stateDict() gives it: vectors as float64 cpu tensors. */
export interface LBFGSState {
  groups: { options: LBFGSOptions; params: number[] }[];
  state: {
    funcEvals: number;
    nIter: number;
    t: number | null;
    hDiag: number;
    prevLoss: number | null;
    ro: number[];
    d: Tensor | null;
    prevFlatGrad: Tensor | null;
    oldDirs: Tensor[];
    oldStps: Tensor[];
  };
}

type Vec = Float64Array;

const dot = (a: Vec, b: Vec): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};
const absMax = (a: Vec): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
};
const absSum = (a: Vec): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]!);
  return s;
};
/** x + t * d. */
const axpy = (x: Vec, t: number, d: Vec): Vec => x.map((v, i) => v + t * d[i]!);

/**
 * The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1, g2, clamped to
 * `bounds` (default: between the two points); their midpoint when the cubic has no minimum.
 */
export function cubicInterpolate(x1: number, f1: number, g1: number, x2: number, f2: number, g2: number, bounds?: [number, number]): number {
  const [lo, hi] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2sq = d1 * d1 - g1 * g2;
  if (d2sq >= 0) {
    const d2 = Math.sqrt(d2sq);
    const at = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2)) : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    return Math.min(Math.max(at, lo), hi);
  }
  return (lo + hi) / 2;
}

type Objective = (t: number) => Promise<[number, Vec]>;

/**
 * The strong-Wolfe line search of PyTorch's LBFGS (after Nocedal and Wright, algorithms 3.5
 * and 3.6): bracket a step satisfying the sufficient-decrease and curvature conditions, then
 * zoom by cubic interpolation. Returns [loss, gradient, step, evaluations].
 */
async function strongWolfe(obj: Objective, t0: number, d: Vec, f: number, g: Vec, gtd: number, c1 = 1e-4, c2 = 0.9, toleranceChange = 1e-9, maxLs = 25): Promise<[number, Vec, number, number]> {
  const dNorm = absMax(d);
  let t = t0;
  let [fNew, gNew] = await obj(t);
  let evals = 1;
  let gtdNew = dot(gNew, d);
  let tPrev = 0;
  let fPrev = f;
  let gPrev = g;
  let gtdPrev = gtd;
  let done = false;
  let lsIter = 0;
  let bracket: number[] = [];
  let bf: number[] = [];
  let bg: Vec[] = [];
  let bgtd: number[] = [];
  while (lsIter < maxLs) {
    if (fNew > f + c1 * t * gtd || (lsIter > 1 && fNew >= fPrev)) {
      [bracket, bf, bg, bgtd] = [[tPrev, t], [fPrev, fNew], [gPrev, gNew], [gtdPrev, gtdNew]];
      break;
    }
    if (Math.abs(gtdNew) <= -c2 * gtd) {
      [bracket, bf, bg, bgtd] = [[t], [fNew], [gNew], [gtdNew]];
      done = true;
      break;
    }
    if (gtdNew >= 0) {
      [bracket, bf, bg, bgtd] = [[tPrev, t], [fPrev, fNew], [gPrev, gNew], [gtdPrev, gtdNew]];
      break;
    }
    // Extrapolate, between a little past t and 10 t.
    const tmp = t;
    t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [t + 0.01 * (t - tPrev), t * 10]);
    [tPrev, fPrev, gPrev, gtdPrev] = [tmp, fNew, gNew, gtdNew];
    [fNew, gNew] = await obj(t);
    evals++;
    gtdNew = dot(gNew, d);
    lsIter++;
  }
  if (lsIter === maxLs) [bracket, bf, bg, bgtd] = [[0, t], [f, fNew], [g, gNew], [gtd, gtdNew]];
  // Zoom: shrink the bracket around a point satisfying both conditions.
  let insufProgress = false;
  let [low, high] = bf[0]! <= bf[bf.length - 1]! ? [0, 1] : [1, 0];
  while (!done && lsIter < maxLs) {
    if (Math.abs(bracket[1]! - bracket[0]!) * dNorm < toleranceChange) break;
    t = cubicInterpolate(bracket[0]!, bf[0]!, bgtd[0]!, bracket[1]!, bf[1]!, bgtd[1]!);
    // Too close to an end of the bracket: move away from it, unless the last step did too little.
    const bMax = Math.max(...bracket);
    const bMin = Math.min(...bracket);
    const eps = 0.1 * (bMax - bMin);
    if (Math.min(bMax - t, t - bMin) < eps) {
      if (insufProgress || t >= bMax || t <= bMin) {
        t = Math.abs(t - bMax) < Math.abs(t - bMin) ? bMax - eps : bMin + eps;
        insufProgress = false;
      } else {
        insufProgress = true;
      }
    } else {
      insufProgress = false;
    }
    [fNew, gNew] = await obj(t);
    evals++;
    gtdNew = dot(gNew, d);
    lsIter++;
    if (fNew > f + c1 * t * gtd || fNew >= bf[low]!) {
      [bracket[high], bf[high], bg[high], bgtd[high]] = [t, fNew, gNew, gtdNew];
      [low, high] = bf[0]! <= bf[1]! ? [0, 1] : [1, 0];
    } else {
      if (Math.abs(gtdNew) <= -c2 * gtd) done = true;
      else if (gtdNew * (bracket[high]! - bracket[low]!) >= 0) {
        [bracket[high], bf[high], bg[high], bgtd[high]] = [bracket[low]!, bf[low]!, bg[low]!, bgtd[low]!];
      }
      [bracket[low], bf[low], bg[low], bgtd[low]] = [t, fNew, gNew, gtdNew];
    }
  }
  return [bf[low]!, bg[low]!, bracket[low]!, evals];
}

const DEFAULTS = { lr: 1, maxIter: 20, toleranceGrad: 1e-7, toleranceChange: 1e-9, historySize: 100, lineSearchFn: null };

/**
 * L-BFGS, as `torch.optim.LBFGS(params, lr=1, max_iter=20, max_eval=None,
 * tolerance_grad=1e-7, tolerance_change=1e-9, history_size=100, line_search_fn=None)`, with
 * camelCase options. `await step(closure)`: the closure clears the gradients, computes the
 * loss, calls backward() and returns the loss (it may be async); step runs up to maxIter
 * iterations (maxEval evaluations) and resolves to the closure's first loss. One parameter
 * group only, as PyTorch.
 */
export class LBFGS {
  /** The single parameter group (what schedulers set `lr` on). */
  readonly paramGroups: { params: Tensor[]; options: LBFGSOptions }[];
  private st: { funcEvals: number; nIter: number; t: number | null; hDiag: number; prevLoss: number | null; ro: number[]; d: Vec | null; prevFlatGrad: Vec | null; oldDirs: Vec[]; oldStps: Vec[] } = {
    funcEvals: 0, nIter: 0, t: null, hDiag: 1, prevLoss: null, ro: [], d: null, prevFlatGrad: null, oldDirs: [], oldStps: [],
  };

  constructor(params: Iterable<Tensor>, options?: Partial<LBFGSOptions>, ...extra: never[]) {
    const op = 'LBFGS';
    if (extra.length) throw new Error(`${op}: takes (params, options?); got ${extra.length} more argument${extra.length > 1 ? 's' : ''} (${extra.map(describe).join(', ')})`);
    if (params instanceof Module) throw new Error(`${op}: params must be an iterable of Tensors; got a ${params.constructor.name} module (pass model.parameters())`);
    if (params instanceof Tensor) throw new Error(`${op}: params must be an iterable of Tensors; got a single Tensor of shape ${fmtShape(params.shape)} (pass [tensor])`);
    if (params === null || params === undefined || typeof params === 'string' || typeof (params as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw new Error(`${op}: params must be an iterable of Tensors, got ${describe(params)}`);
    }
    const list = [...new Set(params as Iterable<unknown>)];
    if (list.length === 0) throw new Error(`${op}: got an empty parameter list`);
    list.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new Error(`${op}: doesn't support per-parameter options (parameter groups): params[${i}] is ${describe(p)}, not a Tensor`);
      if (!p.isLeaf || !p.requiresGrad) throw new Error(`${op}: parameters must be leaf tensors that require grad (params[${i}], shape ${fmtShape(p.shape)})`);
      if (!p.isContiguous() || p.offset !== 0) throw new Error(`${op}: parameters must be contiguous tensors (params[${i}], shape ${fmtShape(p.shape)})`);
    });
    const ps = list as Tensor[];
    const dev = ps[0]!.device;
    const other = ps.find((p) => p.device !== dev);
    if (other) throw new Error(`${op}: all parameters must be on one device, got ${dev} and ${other.device}`);
    this.paramGroups = [{ params: ps, options: LBFGS.check(options) }];
  }

  private static check(options: Partial<LBFGSOptions> | undefined, op = 'LBFGS'): LBFGSOptions {
    checkOptions(op, options, ['lr', 'maxIter', 'maxEval', 'toleranceGrad', 'toleranceChange', 'historySize', 'lineSearchFn']);
    const o = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options ?? {}).filter(([, v]) => v !== undefined)) } as Partial<LBFGSOptions> & typeof DEFAULTS;
    checkNumber(op, 'lr', o.lr, { gt: 0 });
    checkNumber(op, 'maxIter', o.maxIter, { int: true, min: 1 });
    const maxEval = o.maxEval ?? Math.floor((o.maxIter * 5) / 4);
    checkNumber(op, 'maxEval', maxEval, { int: true, min: 1 });
    checkNumber(op, 'toleranceGrad', o.toleranceGrad, { min: 0 });
    checkNumber(op, 'toleranceChange', o.toleranceChange, { min: 0 });
    checkNumber(op, 'historySize', o.historySize, { int: true, min: 1 });
    if (o.lineSearchFn !== null) checkChoice(op, 'lineSearchFn', o.lineSearchFn, ['strong_wolfe']);
    return { lr: o.lr, maxIter: o.maxIter, maxEval, toleranceGrad: o.toleranceGrad, toleranceChange: o.toleranceChange, historySize: o.historySize, lineSearchFn: o.lineSearchFn };
  }

  private get params(): Tensor[] {
    return this.paramGroups[0]!.params;
  }

  /** The learning rate of each group (one). */
  get lrs(): number[] {
    return [this.paramGroups[0]!.options.lr];
  }

  /** Sets every parameter's .grad to null. */
  zeroGrad(): void {
    zeroGrad(this.params);
  }

  private checkParams(op: string): void {
    for (const p of this.params) if (p.isDisposed) throw new Error(`${op}: a parameter of shape ${fmtShape(p.shape)} was disposed`);
  }

  /** The parameters (or their gradients, zeros where none) as one float64 vector: one read. */
  private async flat(grads: boolean): Promise<Vec> {
    const parts = this.params;
    const joined = tidy(() =>
      noGrad(() => {
        const pieces = parts.map((p) => {
          const v = grads ? p.grad : p;
          return v ? v.reshape([p.size]).cast('float32') : tensor(new Float32Array(p.size), { device: p.device });
        });
        return pieces.length === 1 ? pieces[0]!.clone() : cat(pieces, 0);
      }),
    );
    const v = await joined.data();
    joined.dispose();
    return Float64Array.from(v);
  }

  /** Writes a flat vector into the parameters (in place, versions bumped). */
  private write(x: Vec): void {
    noGrad(() => {
      let at = 0;
      for (const p of this.params) {
        const part = x.subarray(at, at + p.size);
        at += p.size;
        const t = tensor(p.dtype === 'float64' ? Float64Array.from(part) : Float32Array.from(part), { shape: p.shape, device: p.device });
        copyInto(p, t);
        t.dispose();
      }
    });
  }

  private async evaluate(closure: LBFGSClosure): Promise<[number | Tensor, number]> {
    const r = await enableGrad(() => closure());
    let loss: number;
    if (typeof r === 'number') loss = r;
    else if (r instanceof Tensor) {
      if (r.size !== 1) throw new Error(`LBFGS.step: the closure must return the loss as a one-element tensor or a number, got a tensor of shape ${fmtShape(r.shape)}`);
      loss = await r.item();
    } else throw new Error(`LBFGS.step: the closure must return the loss (a Tensor or a number), got ${describe(r)}`);
    return [r, loss];
  }

  /**
   * One optimization step (up to maxIter iterations). `closure` re-evaluates the model: it
   * clears the gradients, computes the loss, calls backward() and returns the loss. Resolves
   * to the closure's first return value (the loss before the step), as PyTorch.
   */
  async step(closure: LBFGSClosure, ...extra: never[]): Promise<Tensor | number> {
    const op = 'LBFGS.step';
    if (typeof closure !== 'function') throw new Error(`${op}: needs a closure that clears the gradients, computes the loss, calls backward() and returns it; got ${describe(closure)}`);
    if (extra.length) throw new Error(`${op}: takes (closure); got ${extra.length} more argument${extra.length > 1 ? 's' : ''}`);
    this.checkParams(op);
    const o = this.paramGroups[0]!.options;
    const s = this.st;
    const [origLoss, loss0] = await this.evaluate(closure);
    let loss = loss0;
    let currentEvals = 1;
    s.funcEvals++;
    let flatGrad = await this.flat(true);
    if (absMax(flatGrad) <= o.toleranceGrad) return origLoss;
    let { d, t } = s;
    let nIter = 0;
    while (nIter < o.maxIter) {
      nIter++;
      s.nIter++;
      if (s.nIter === 1) {
        d = flatGrad.map((v) => -v);
        s.oldDirs = [];
        s.oldStps = [];
        s.ro = [];
        s.hDiag = 1;
      } else {
        // Update the history with the last step's curvature pair, then the two-loop recursion.
        const y = flatGrad.map((v, i) => v - s.prevFlatGrad![i]!);
        const st = d!.map((v) => v * t!);
        const ys = dot(y, st);
        if (ys > 1e-10) {
          if (s.oldDirs.length === o.historySize) {
            s.oldDirs.shift();
            s.oldStps.shift();
            s.ro.shift();
          }
          s.oldDirs.push(y);
          s.oldStps.push(st);
          s.ro.push(1 / ys);
          s.hDiag = ys / dot(y, y);
        }
        const m = s.oldDirs.length;
        const al = new Array<number>(m);
        const q = flatGrad.map((v) => -v);
        for (let i = m - 1; i >= 0; i--) {
          al[i] = dot(s.oldStps[i]!, q) * s.ro[i]!;
          const yi = s.oldDirs[i]!;
          for (let k = 0; k < q.length; k++) q[k]! -= al[i]! * yi[k]!;
        }
        const r = q.map((v) => v * s.hDiag);
        for (let i = 0; i < m; i++) {
          const be = dot(s.oldDirs[i]!, r) * s.ro[i]!;
          const si = s.oldStps[i]!;
          for (let k = 0; k < r.length; k++) r[k]! += (al[i]! - be) * si[k]!;
        }
        d = r;
      }
      s.prevFlatGrad = Float64Array.from(flatGrad);
      s.prevLoss = loss;
      // The first step of all is scaled down by the gradient's L1 norm.
      t = s.nIter === 1 ? Math.min(1, 1 / absSum(flatGrad)) * o.lr : o.lr;
      const gtd = dot(flatGrad, d!);
      if (gtd > -o.toleranceChange) break; // not a descent direction
      let lsEvals = 0;
      let optCond = false;
      if (o.lineSearchFn === 'strong_wolfe') {
        const x0 = await this.flat(false);
        const dir = d!;
        const obj: Objective = async (step) => {
          this.write(axpy(x0, step, dir));
          const [, l] = await this.evaluate(closure);
          const g = await this.flat(true);
          return [l, g];
        };
        [loss, flatGrad, t, lsEvals] = await strongWolfe(obj, t, dir, loss, flatGrad, gtd);
        this.write(axpy(x0, t, dir));
        optCond = absMax(flatGrad) <= o.toleranceGrad;
      } else {
        const x0 = await this.flat(false);
        this.write(axpy(x0, t, d!));
        if (nIter !== o.maxIter) {
          [, loss] = await this.evaluate(closure);
          flatGrad = await this.flat(true);
          optCond = absMax(flatGrad) <= o.toleranceGrad;
          lsEvals = 1;
        }
      }
      currentEvals += lsEvals;
      s.funcEvals += lsEvals;
      if (nIter === o.maxIter) break;
      if (currentEvals >= o.maxEval) break;
      if (optCond) break;
      if (absMax(d!) * Math.abs(t) <= o.toleranceChange) break;
      if (Math.abs(loss - s.prevLoss) < o.toleranceChange) break;
    }
    s.d = d;
    s.t = t;
    return origLoss;
  }

  /** The options and the state (history vectors as float64 cpu tensors), as PyTorch's state_dict. */
  stateDict(): LBFGSState {
    const s = this.st;
    const vec = (v: Vec | null) => (v ? tensor(Float64Array.from(v), { dtype: 'float64', device: 'cpu' }) : null);
    return {
      groups: [{ options: { ...this.paramGroups[0]!.options }, params: this.params.map((_, i) => i) }],
      state: {
        funcEvals: s.funcEvals, nIter: s.nIter, t: s.t, hDiag: s.hDiag, prevLoss: s.prevLoss, ro: [...s.ro],
        d: vec(s.d), prevFlatGrad: vec(s.prevFlatGrad), oldDirs: s.oldDirs.map((v) => vec(v)!), oldStps: s.oldStps.map((v) => vec(v)!),
      },
    };
  }

  /** Loads what stateDict() gave (the same parameters); the vectors are copied. */
  loadStateDict(sd: LBFGSState): void {
    const op = 'LBFGS.loadStateDict';
    if (sd === null || typeof sd !== 'object') throw new Error(`${op}: expected the { groups, state } of stateDict(), got ${describe(sd)}`);
    checkOptions(op, sd, ['groups', 'state']);
    if (!Array.isArray(sd.groups) || sd.groups.length !== 1) throw new Error(`${op}: expected 1 parameter group, got ${Array.isArray(sd.groups) ? sd.groups.length : describe(sd.groups)}`);
    const g = sd.groups[0]!;
    if (!Array.isArray(g.params) || g.params.length !== this.params.length) throw new Error(`${op}: the state has ${g.params?.length ?? 'no'} parameters, this optimizer has ${this.params.length}`);
    const options = LBFGS.check(g.options, op);
    const s = sd.state;
    checkOptions(`${op}: state`, s, ['funcEvals', 'nIter', 't', 'hDiag', 'prevLoss', 'ro', 'd', 'prevFlatGrad', 'oldDirs', 'oldStps']);
    const n = this.params.reduce((a, p) => a + p.size, 0);
    const host = (v: Tensor | null, name: string): Vec | null => {
      if (v === null || v === undefined) return null;
      if (!(v instanceof Tensor) || v.device !== 'cpu') throw new Error(`${op}: '${name}' must be a cpu tensor (as stateDict() gives), got ${v instanceof Tensor ? `a ${v.device} tensor` : describe(v)}`);
      if (v.size !== n) throw new Error(`${op}: '${name}' has ${v.size} elements, the parameters ${n}`);
      return Float64Array.from((getBackend('cpu') as unknown as { readSync(t: Tensor): ArrayLike<number> }).readSync(v));
    };
    this.st = {
      funcEvals: s.funcEvals, nIter: s.nIter, t: s.t, hDiag: s.hDiag, prevLoss: s.prevLoss, ro: [...s.ro],
      d: host(s.d, 'd'), prevFlatGrad: host(s.prevFlatGrad, 'prevFlatGrad'),
      oldDirs: s.oldDirs.map((v, i) => host(v, `oldDirs[${i}]`)!), oldStps: s.oldStps.map((v, i) => host(v, `oldStps[${i}]`)!),
    };
    this.paramGroups[0]!.options = options;
  }
}
