/**
 * Learning-rate schedulers: each sets every group's lr from its closed form at step (epoch)
 * t; call `scheduler.step()` once per epoch (or per batch for OneCycleLR), after
 * `optimizer.step()`, as in PyTorch. Creating one sets the t = 0 value.
 */
import { checkBoolean, checkChoice, checkNumber, checkOptions, describe, noExtra } from '../core/options.js';
import { Optimizer } from './optimizer.js';
import { Tensor } from '../tensor/tensor.js';

type AnyOptimizer = Optimizer<{ lr: number }>;

/** The options given, without the keys whose value is undefined (those take the default). */
const given = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

export abstract class LRScheduler {
  /** Steps taken so far (PyTorch's last_epoch). */
  lastEpoch = 0;
  readonly baseLrs: number[];
  readonly optimizer: AnyOptimizer;

  constructor(optimizer: AnyOptimizer, protected readonly op: string = new.target.name) {
    if (!(optimizer instanceof Optimizer)) {
      throw new Error(`${op}: optimizer must be an optimizer (e.g. new optim.SGD(model.parameters(), { lr })), got ${describe(optimizer)}`);
    }
    this.optimizer = optimizer;
    this.baseLrs = optimizer.paramGroups.map((g) => g.options.lr);
  }

  /** Sets the t = 0 lr; each subclass calls it at the end of its constructor (its fields exist by then). */
  protected start(): void {
    this.apply();
  }

  /** The lr of group i at step t. */
  protected abstract lrAt(base: number, t: number, i: number): number;

  step(...extra: unknown[]): void {
    noExtra(`${this.op}.step`, extra, 'no arguments (an epoch number is not accepted: the scheduler counts its own steps)');
    this.lastEpoch++;
    this.apply();
  }

  protected apply(): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      g.options.lr = this.lrAt(this.baseLrs[i]!, this.lastEpoch, i);
    });
  }

  /** The current lr of each group. */
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.options.lr);
  }

  stateDict(): { lastEpoch: number; baseLrs: number[] } {
    return { lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs] };
  }
  loadStateDict(s: { lastEpoch: number; baseLrs?: number[] }): void {
    const op = `${this.op}.loadStateDict`;
    if (s === null || typeof s !== 'object') throw new Error(`${op}: expected { lastEpoch, baseLrs } from stateDict(), got ${describe(s)}`);
    checkOptions(op, s, ['lastEpoch', 'baseLrs']);
    checkNumber(op, 'lastEpoch', s.lastEpoch, { int: true, min: 0 });
    this.checkStep(op, s.lastEpoch);
    this.lastEpoch = s.lastEpoch;
    this.apply();
  }

  /** Throws if step t is past the schedule's end (OneCycleLR). */
  protected checkStep(_op: string, _t: number): void {}
}

const positiveInt = { int: true, min: 1 };
const positive = { gt: 0 };

/** lr = base * gamma^floor(t / stepSize). */
export class StepLR extends LRScheduler {
  constructor(optimizer: AnyOptimizer, readonly stepSize: number, readonly gamma = 0.1, ...extra: never[]) {
    super(optimizer, 'StepLR');
    noExtra('StepLR', extra, '(optimizer, stepSize, gamma = 0.1)');
    checkNumber('StepLR', 'stepSize', stepSize, positiveInt);
    checkNumber('StepLR', 'gamma', gamma, positive);
    this.start();
  }
  protected lrAt(base: number, t: number): number {
    return base * this.gamma ** Math.floor(t / this.stepSize);
  }
}

/** lr = base * gamma^t. */
export class ExponentialLR extends LRScheduler {
  constructor(optimizer: AnyOptimizer, readonly gamma: number, ...extra: never[]) {
    super(optimizer, 'ExponentialLR');
    noExtra('ExponentialLR', extra, '(optimizer, gamma)');
    checkNumber('ExponentialLR', 'gamma', gamma, positive);
    this.start();
  }
  protected lrAt(base: number, t: number): number {
    return base * this.gamma ** t;
  }
}

/** lr = etaMin + (base - etaMin) (1 + cos(pi t / tMax)) / 2 (the closed form, as PyTorch documents it). */
export class CosineAnnealingLR extends LRScheduler {
  constructor(optimizer: AnyOptimizer, readonly tMax: number, readonly etaMin = 0, ...extra: never[]) {
    super(optimizer, 'CosineAnnealingLR');
    noExtra('CosineAnnealingLR', extra, '(optimizer, tMax, etaMin = 0)');
    checkNumber('CosineAnnealingLR', 'tMax', tMax, positiveInt);
    checkNumber('CosineAnnealingLR', 'etaMin', etaMin, { min: 0 });
    this.start();
  }
  protected lrAt(base: number, t: number): number {
    return this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * t) / this.tMax))) / 2;
  }
}

/** Linear change of the lr factor from startFactor to endFactor over totalIters steps (a warmup). */
export class LinearLR extends LRScheduler {
  constructor(optimizer: AnyOptimizer, readonly startFactor = 1 / 3, readonly endFactor = 1, readonly totalIters = 5, ...extra: never[]) {
    super(optimizer, 'LinearLR');
    noExtra('LinearLR', extra, '(optimizer, startFactor = 1/3, endFactor = 1, totalIters = 5)');
    checkNumber('LinearLR', 'startFactor', startFactor, { gt: 0, max: 1 });
    checkNumber('LinearLR', 'endFactor', endFactor, { min: 0, max: 1 });
    checkNumber('LinearLR', 'totalIters', totalIters, positiveInt);
    this.start();
  }
  protected lrAt(base: number, t: number): number {
    return base * (this.startFactor + ((this.endFactor - this.startFactor) * Math.min(t, this.totalIters)) / this.totalIters);
  }
}

export interface OneCycleOptions {
  /** With stepsPerEpoch, gives totalSteps = epochs * stepsPerEpoch when totalSteps is null. */
  epochs?: number;
  stepsPerEpoch?: number;
  /** The fraction of the steps spent raising the lr, in [0, 1] (default 0.3; at most 0.5 with threePhase). */
  pctStart?: number;
  /** 'cos' (default) or 'linear'. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle the momentum (SGD's and RMSprop's momentum, Adam's beta1) inversely to the lr (default true). */
  cycleMomentum?: boolean;
  /** The momentum at the lr's peak (default 0.85), per group or one for all. */
  baseMomentum?: number | readonly number[];
  /** The momentum at the start and the end (default 0.95), per group or one for all. */
  maxMomentum?: number | readonly number[];
  /** The initial lr is maxLr / divFactor (default 25). */
  divFactor?: number;
  /** The final lr is the initial lr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Three phases (up, back down to the initial lr, then down to the final lr) instead of two (default false). */
  threePhase?: boolean;
}

const ONE_CYCLE_KEYS = ['epochs', 'stepsPerEpoch', 'pctStart', 'annealStrategy', 'cycleMomentum', 'baseMomentum', 'maxMomentum', 'divFactor', 'finalDivFactor', 'threePhase'];

interface Phase {
  /** The last step of the phase (PyTorch's end_step: fractional steps allowed). */
  end: number;
  lr: ['initial' | 'max' | 'min', 'initial' | 'max' | 'min'];
  momentum: ['base' | 'max', 'base' | 'max'];
}

/** One number per parameter group: a number for all, or a list of one per group. */
function perGroup(op: string, name: string, v: unknown, groups: number, check: Parameters<typeof checkNumber>[3]): number[] {
  if (Array.isArray(v)) {
    if (v.length !== groups) throw new Error(`${op}: ${name} has ${v.length} values, but the optimizer has ${groups} parameter groups`);
    return v.map((x, i) => checkNumber(op, `${name}[${i}]`, x, check));
  }
  return new Array<number>(groups).fill(checkNumber(op, name, v, check));
}

/**
 * The 1cycle policy (Smith), as PyTorch's OneCycleLR: from maxLr / divFactor up to maxLr over
 * pctStart of the steps, then down to maxLr / (divFactor * finalDivFactor) (with `threePhase`:
 * back down to the initial lr by 2 pctStart, then to the final lr). The momentum (beta1 for
 * Adam) goes the other way, from maxMomentum down to baseMomentum and back, unless
 * `cycleMomentum` is false. Step it once per batch: `step()` may be called totalSteps times
 * after construction, as in PyTorch (the last call sets the final lr, never used by a step).
 */
export class OneCycleLR extends LRScheduler {
  readonly totalSteps: number;
  readonly maxLrs: number[];
  private readonly initialLrs: number[];
  private readonly minLrs: number[];
  private readonly baseMomenta: number[] = [];
  private readonly maxMomenta: number[] = [];
  private readonly momentumKey: 'betas' | 'momentum' | null = null;
  private readonly phases: Phase[];
  private readonly linear: boolean;

  constructor(optimizer: AnyOptimizer, maxLr: number | readonly number[], totalSteps: number | null | undefined, options: OneCycleOptions = {}, ...extra: never[]) {
    const op = 'OneCycleLR';
    super(optimizer, op);
    noExtra(op, extra, '(optimizer, maxLr, totalSteps, options)');
    checkOptions(op, options, ONE_CYCLE_KEYS);
    const o = { pctStart: 0.3, annealStrategy: 'cos', cycleMomentum: true, baseMomentum: 0.85, maxMomentum: 0.95, divFactor: 25, finalDivFactor: 1e4, threePhase: false, ...options };
    const groups = optimizer.paramGroups.length;
    this.maxLrs = perGroup(op, 'maxLr', maxLr, groups, positive);
    if (totalSteps !== null && totalSteps !== undefined) {
      if (o.epochs !== undefined || o.stepsPerEpoch !== undefined) throw new Error(`${op}: give totalSteps or (epochs and stepsPerEpoch), not both`);
      this.totalSteps = checkNumber(op, 'totalSteps', totalSteps, positiveInt);
    } else if (o.epochs !== undefined && o.stepsPerEpoch !== undefined) {
      this.totalSteps = checkNumber(op, 'epochs', o.epochs, positiveInt) * checkNumber(op, 'stepsPerEpoch', o.stepsPerEpoch, positiveInt);
    } else {
      throw new Error(`${op}: give totalSteps, or epochs and stepsPerEpoch in the options (totalSteps = epochs * stepsPerEpoch)`);
    }
    checkBoolean(op, 'threePhase', o.threePhase);
    const pct = checkNumber(op, 'pctStart', o.pctStart, o.threePhase ? { min: 0, max: 0.5 } : { min: 0, max: 1 });
    this.linear = checkChoice(op, 'annealStrategy', o.annealStrategy, ['cos', 'linear']) === 'linear';
    const divFactor = checkNumber(op, 'divFactor', o.divFactor, positive);
    const finalDivFactor = checkNumber(op, 'finalDivFactor', o.finalDivFactor, positive);
    checkBoolean(op, 'cycleMomentum', o.cycleMomentum);
    const T = this.totalSteps;
    this.phases = o.threePhase
      ? [
          { end: pct * T - 1, lr: ['initial', 'max'], momentum: ['max', 'base'] },
          { end: 2 * pct * T - 2, lr: ['max', 'initial'], momentum: ['base', 'max'] },
          { end: T - 1, lr: ['initial', 'min'], momentum: ['max', 'max'] },
        ]
      : [
          { end: pct * T - 1, lr: ['initial', 'max'], momentum: ['max', 'base'] },
          { end: T - 1, lr: ['max', 'min'], momentum: ['base', 'max'] },
        ];
    this.initialLrs = this.maxLrs.map((m) => m / divFactor);
    this.minLrs = this.initialLrs.map((l) => l / finalDivFactor);
    // As PyTorch's base_lrs: the lr each group starts the cycle from, not the optimizer's lr.
    this.baseLrs.splice(0, this.baseLrs.length, ...this.initialLrs);
    if (o.cycleMomentum) {
      const d = optimizer.defaults as Record<string, unknown>;
      this.momentumKey = 'betas' in d ? 'betas' : 'momentum' in d ? 'momentum' : null;
      if (!this.momentumKey) {
        throw new Error(`${op}: cycleMomentum needs an optimizer with momentum or betas, got ${optimizer.constructor.name} (pass cycleMomentum: false)`);
      }
      this.baseMomenta = perGroup(op, 'baseMomentum', o.baseMomentum, groups, { min: 0, lt: 1 });
      this.maxMomenta = perGroup(op, 'maxMomentum', o.maxMomentum, groups, { min: 0, lt: 1 });
    }
    this.start();
  }

  protected lrAt(): number {
    throw new Error('OneCycleLR: lrAt is not used');
  }

  /** PyTorch's count: the scheduler's step 0 is its construction, and step() may reach totalSteps. */
  protected override checkStep(op: string, t: number): void {
    if (t > this.totalSteps) {
      throw new Error(`${op}: step() called ${t} times after construction, more than totalSteps (${this.totalSteps}); each batch steps once, so totalSteps must be at least epochs * batches per epoch`);
    }
  }

  override step(...extra: unknown[]): void {
    noExtra('OneCycleLR.step', extra, 'no arguments');
    this.checkStep('OneCycleLR.step', this.lastEpoch + 1);
    this.lastEpoch++;
    this.apply();
  }

  /** The lr and the momentum of group i at step t (PyTorch's get_lr). */
  valuesAt(t: number, i: number): { lr: number; momentum: number } {
    const lrs = { initial: this.initialLrs[i]!, max: this.maxLrs[i]!, min: this.minLrs[i]! };
    const moms = { base: this.baseMomenta[i] ?? 0, max: this.maxMomenta[i] ?? 0 };
    let start = 0;
    for (let k = 0; k < this.phases.length; k++) {
      const ph = this.phases[k]!;
      if (t <= ph.end || k === this.phases.length - 1) {
        // A phase of no length ends at once (PyTorch divides by zero there); past the last step
        // (t = totalSteps) the values stay at the final ones (PyTorch extrapolates, possibly below 0).
        const pct = ph.end === start ? 1 : Math.min(1, (t - start) / (ph.end - start));
        return { lr: this.anneal(lrs[ph.lr[0]], lrs[ph.lr[1]], pct), momentum: this.anneal(moms[ph.momentum[0]], moms[ph.momentum[1]], pct) };
      }
      start = ph.end;
    }
    throw new Error('OneCycleLR: unreachable');
  }

  private anneal(a: number, b: number, pct: number): number {
    return this.linear ? (b - a) * pct + a : b + ((a - b) / 2) * (Math.cos(Math.PI * pct) + 1);
  }

  protected override apply(): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      const { lr, momentum } = this.valuesAt(this.lastEpoch, i);
      g.options.lr = lr;
      const opts = g.options as unknown as Record<string, unknown>;
      if (this.momentumKey === 'betas') opts.betas = [momentum, (opts.betas as number[])[1]!];
      else if (this.momentumKey === 'momentum') opts.momentum = momentum;
    });
  }
}

export interface MultiStepOptions {
  /** The steps (epochs) at which the lr is multiplied by gamma: integers >= 1, in any order; one listed twice counts twice (as PyTorch's Counter). */
  milestones: readonly number[];
  /** Default 0.1. */
  gamma?: number;
}

/** lr = base gamma^(the number of milestones <= t). */
export class MultiStepLR extends LRScheduler {
  readonly milestones: readonly number[];
  readonly gamma: number;

  constructor(optimizer: AnyOptimizer, options: MultiStepOptions, ...extra: never[]) {
    const op = 'MultiStepLR';
    super(optimizer, op);
    noExtra(op, extra, '(optimizer, { milestones, gamma = 0.1 })');
    if (options === undefined) throw new Error(`${op}: options { milestones, gamma } are required (milestones, e.g. [30, 80], is the list of epochs at which the lr drops)`);
    checkOptions(op, options, ['milestones', 'gamma']);
    const ms: unknown = options.milestones;
    if (!Array.isArray(ms)) throw new Error(`${op}: milestones must be an array of integers >= 1 (the epochs at which the lr drops), got ${describe(ms)}`);
    this.milestones = ms.map((m, i) => checkNumber(op, `milestones[${i}]`, m, positiveInt)).sort((a, b) => a - b);
    this.gamma = checkNumber(op, 'gamma', options.gamma ?? 0.1, positive);
    this.start();
  }
  protected lrAt(base: number, t: number): number {
    return base * this.gamma ** this.milestones.filter((m) => m <= t).length;
  }
}

export interface CosineWarmRestartsOptions {
  /** The length of the first cycle, in steps (an integer >= 1). */
  T0: number;
  /** Each cycle is TMult times as long as the one before (an integer >= 1, default 1). */
  TMult?: number;
  /** The lr at the end of each cycle (default 0). */
  etaMin?: number;
}

/**
 * SGDR (Loshchilov and Hutter), as PyTorch's CosineAnnealingWarmRestarts: within each cycle
 * of length T_i, lr = etaMin + (base - etaMin)(1 + cos(pi T_cur / T_i)) / 2, and at the end of
 * it the lr restarts from base and T_i becomes T_i TMult. `step()` advances one epoch;
 * `step(epoch)` jumps to `epoch`, which may be fractional (per batch: epoch + i / batches),
 * and the next `step()` goes on from there by one.
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  readonly T0: number;
  readonly TMult: number;
  readonly etaMin: number;
  /** Where the schedule stands, possibly fractional (lastEpoch is its floor, as in PyTorch). */
  epoch = 0;

  constructor(optimizer: AnyOptimizer, options: CosineWarmRestartsOptions, ...extra: never[]) {
    const op = 'CosineAnnealingWarmRestarts';
    super(optimizer, op);
    noExtra(op, extra, '(optimizer, { T0, TMult = 1, etaMin = 0 })');
    if (options === undefined) throw new Error(`${op}: options { T0, TMult, etaMin } are required (T0: the length of the first cycle)`);
    checkOptions(op, options, ['T0', 'TMult', 'etaMin']);
    this.T0 = checkNumber(op, 'T0', options.T0, positiveInt);
    this.TMult = checkNumber(op, 'TMult', options.TMult ?? 1, positiveInt);
    this.etaMin = checkNumber(op, 'etaMin', options.etaMin ?? 0, { min: 0 });
    this.start();
  }

  /** T_cur and T_i at epoch e: walk the cycles (PyTorch's closed form, without its logarithm's rounding at cycle ends). */
  cycleAt(e: number): { tCur: number; tI: number } {
    if (this.TMult === 1) return { tCur: e % this.T0, tI: this.T0 };
    let tCur = e;
    let tI = this.T0;
    while (tCur >= tI) {
      tCur -= tI;
      tI *= this.TMult;
    }
    return { tCur, tI };
  }

  protected lrAt(base: number): number {
    const { tCur, tI } = this.cycleAt(this.epoch);
    return this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * tCur) / tI))) / 2;
  }

  /** One epoch on, or (with `epoch`, a number >= 0, fractional allowed) to that epoch. */
  override step(...args: unknown[]): void {
    const op = 'CosineAnnealingWarmRestarts.step';
    noExtra(op, args.slice(1), '(epoch?)');
    if (args.length && args[0] !== undefined) this.epoch = checkNumber(op, 'epoch', args[0], { min: 0 });
    else this.epoch += 1;
    this.lastEpoch = Math.floor(this.epoch);
    this.apply();
  }

  override stateDict(): { lastEpoch: number; baseLrs: number[]; epoch: number } {
    return { ...super.stateDict(), epoch: this.epoch };
  }

  override loadStateDict(s: { lastEpoch: number; baseLrs?: number[]; epoch?: number }): void {
    const op = `${this.op}.loadStateDict`;
    if (s === null || typeof s !== 'object') throw new Error(`${op}: expected { lastEpoch, baseLrs, epoch } from stateDict(), got ${describe(s)}`);
    checkOptions(op, s, ['lastEpoch', 'baseLrs', 'epoch']);
    checkNumber(op, 'lastEpoch', s.lastEpoch, { int: true, min: 0 });
    const e = s.epoch === undefined ? s.lastEpoch : checkNumber(op, 'epoch', s.epoch, { min: 0 });
    if (Math.floor(e) !== s.lastEpoch) throw new Error(`${op}: epoch ${e} does not go with lastEpoch ${s.lastEpoch} (lastEpoch is floor(epoch))`);
    this.epoch = e;
    this.lastEpoch = s.lastEpoch;
    this.apply();
  }
}

export interface ReduceLROnPlateauOptions {
  /** 'min' (default: the metric should fall, e.g. a loss) or 'max' (it should rise, e.g. an accuracy). */
  mode?: 'min' | 'max';
  /** The lr is multiplied by factor on a plateau: in (0, 1), default 0.1. */
  factor?: number;
  /** Steps without improvement tolerated before the lr drops (an integer >= 0, default 10). */
  patience?: number;
  /** How much better counts as better (default 1e-4), relative or absolute by thresholdMode. */
  threshold?: number;
  /** 'rel' (default: better than best (1 -/+ threshold)) or 'abs' (better than best -/+ threshold). */
  thresholdMode?: 'rel' | 'abs';
  /** Steps after a drop during which bad steps are not counted (an integer >= 0, default 0). */
  cooldown?: number;
  /** The lr never drops below this (default 0), per group or one for all. */
  minLr?: number | readonly number[];
  /** A drop smaller than eps is not made (default 1e-8). */
  eps?: number;
}

const PLATEAU_KEYS = ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps'];

/** The state of ReduceLROnPlateau (stateDict). */
export interface PlateauState {
  lastEpoch: number;
  best: number;
  numBadEpochs: number;
  cooldownCounter: number;
}

/**
 * Drops the lr by `factor` when a metric has stopped improving for `patience` steps, as
 * PyTorch's ReduceLROnPlateau: call `step(metric)` once per epoch with the metric (a number,
 * e.g. the validation loss: `fit` passes its valLoss and so needs `val`). The lr does not
 * change at construction.
 */
export class ReduceLROnPlateau extends LRScheduler {
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLrs: number[];
  readonly eps: number;
  /** The best metric so far (Infinity in 'min' mode, -Infinity in 'max' mode, before any). */
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;

  constructor(optimizer: AnyOptimizer, options: ReduceLROnPlateauOptions = {}, ...extra: never[]) {
    const op = 'ReduceLROnPlateau';
    super(optimizer, op);
    noExtra(op, extra, '(optimizer, options)');
    checkOptions(op, options, PLATEAU_KEYS);
    const o = { mode: 'min', factor: 0.1, patience: 10, threshold: 1e-4, thresholdMode: 'rel', cooldown: 0, minLr: 0, eps: 1e-8, ...given(options) };
    this.mode = checkChoice(op, 'mode', o.mode, ['min', 'max']);
    this.factor = checkNumber(op, 'factor', o.factor, { gt: 0, lt: 1 });
    this.patience = checkNumber(op, 'patience', o.patience, { int: true, min: 0 });
    this.threshold = checkNumber(op, 'threshold', o.threshold, { min: 0 });
    this.thresholdMode = checkChoice(op, 'thresholdMode', o.thresholdMode, ['rel', 'abs']);
    this.cooldown = checkNumber(op, 'cooldown', o.cooldown, { int: true, min: 0 });
    this.minLrs = perGroup(op, 'minLr', o.minLr, optimizer.paramGroups.length, { min: 0 });
    this.eps = checkNumber(op, 'eps', o.eps, { min: 0 });
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  protected lrAt(): number {
    throw new Error('ReduceLROnPlateau: lrAt is not used');
  }

  /** Whether `a` improves on the best so far by more than the threshold. */
  private isBetter(a: number): boolean {
    const b = this.best;
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < b * (1 - this.threshold) : a < b - this.threshold;
    return this.thresholdMode === 'rel' ? a > b * (1 + this.threshold) : a > b + this.threshold;
  }

  /** One epoch's metric (a number; a Tensor must be read first: `await t.item()`). */
  override step(...args: unknown[]): void {
    const op = 'ReduceLROnPlateau.step';
    noExtra(op, args.slice(1), '(metric)');
    if (args.length === 0 || args[0] === undefined) throw new Error(`${op}: takes the metric to watch (e.g. the validation loss), got no argument`);
    if (args[0] instanceof Tensor) throw new Error(`${op}: the metric must be a number, got a Tensor (read it first: step(await loss.item()))`);
    const current = checkNumber(op, 'metric', args[0], { infinite: true });
    this.lastEpoch++;
    if (this.isBetter(current)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs++;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const next = Math.max(g.options.lr * this.factor, this.minLrs[i]!);
        if (g.options.lr - next > this.eps) g.options.lr = next;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
  }

  override stateDict(): PlateauState & { baseLrs: number[] } {
    return { ...super.stateDict(), best: this.best, numBadEpochs: this.numBadEpochs, cooldownCounter: this.cooldownCounter };
  }

  /** Restores the counters and the best metric (the lrs are the optimizer's: load its state too). */
  override loadStateDict(s: PlateauState & { baseLrs?: number[] }): void {
    const op = `${this.op}.loadStateDict`;
    if (s === null || typeof s !== 'object') throw new Error(`${op}: expected { lastEpoch, best, numBadEpochs, cooldownCounter } from stateDict(), got ${describe(s)}`);
    checkOptions(op, s, ['lastEpoch', 'baseLrs', 'best', 'numBadEpochs', 'cooldownCounter']);
    checkNumber(op, 'lastEpoch', s.lastEpoch, { int: true, min: 0 });
    checkNumber(op, 'best', s.best, { infinite: true });
    checkNumber(op, 'numBadEpochs', s.numBadEpochs, { int: true, min: 0 });
    checkNumber(op, 'cooldownCounter', s.cooldownCounter, { int: true, min: 0 });
    this.lastEpoch = s.lastEpoch;
    this.best = s.best;
    this.numBadEpochs = s.numBadEpochs;
    this.cooldownCounter = s.cooldownCounter;
  }
}
