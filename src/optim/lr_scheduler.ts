/**
 * Learning-rate schedulers: each sets every group's lr from its closed form at step (epoch)
 * t; call `scheduler.step()` once per epoch (or per batch for OneCycleLR), after
 * `optimizer.step()`, as in PyTorch. Creating one sets the t = 0 value.
 */
import type { Optimizer } from './optimizer.js';

export abstract class LRScheduler {
  /** Steps taken so far (PyTorch's last_epoch). */
  lastEpoch = 0;
  readonly baseLrs: number[];

  constructor(readonly optimizer: Optimizer<{ lr: number }>) {
    this.baseLrs = optimizer.paramGroups.map((g) => g.options.lr);
  }

  /** Sets the t = 0 lr; each subclass calls it at the end of its constructor (its fields exist by then). */
  protected start(): void {
    this.apply();
  }

  /** The lr of group i at step t. */
  protected abstract lrAt(base: number, t: number, i: number): number;

  step(): void {
    this.lastEpoch++;
    this.apply();
  }

  private apply(): void {
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
  loadStateDict(s: { lastEpoch: number }): void {
    this.lastEpoch = s.lastEpoch;
    this.apply();
  }
}

function positive(op: string, name: string, v: number, integer = false): void {
  if (!(v > 0) || (integer && !Number.isInteger(v))) throw new Error(`${op}: ${name} must be a positive ${integer ? 'integer' : 'number'}, got ${v}`);
}

/** lr = base * gamma^floor(t / stepSize). */
export class StepLR extends LRScheduler {
  constructor(optimizer: Optimizer<{ lr: number }>, readonly stepSize: number, readonly gamma = 0.1) {
    positive('StepLR', 'stepSize', stepSize, true);
    super(optimizer);
    this.start();
  }
  protected lrAt(base: number, t: number): number {
    return base * this.gamma ** Math.floor(t / this.stepSize);
  }
}

/** lr = base * gamma^t. */
export class ExponentialLR extends LRScheduler {
  constructor(optimizer: Optimizer<{ lr: number }>, readonly gamma: number) {
    positive('ExponentialLR', 'gamma', gamma);
    super(optimizer);
    this.start();
  }
  protected lrAt(base: number, t: number): number {
    return base * this.gamma ** t;
  }
}

/** lr = etaMin + (base - etaMin) (1 + cos(pi t / tMax)) / 2 (the closed form, as PyTorch documents it). */
export class CosineAnnealingLR extends LRScheduler {
  constructor(optimizer: Optimizer<{ lr: number }>, readonly tMax: number, readonly etaMin = 0) {
    positive('CosineAnnealingLR', 'tMax', tMax, true);
    super(optimizer);
    this.start();
  }
  protected lrAt(base: number, t: number): number {
    return this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * t) / this.tMax))) / 2;
  }
}

/** Linear change of the lr factor from startFactor to endFactor over totalIters steps (a warmup). */
export class LinearLR extends LRScheduler {
  constructor(optimizer: Optimizer<{ lr: number }>, readonly startFactor = 1 / 3, readonly endFactor = 1, readonly totalIters = 5) {
    if (!(startFactor > 0 && startFactor <= 1)) throw new Error(`LinearLR: startFactor must be in (0, 1], got ${startFactor}`);
    if (!(endFactor >= 0 && endFactor <= 1)) throw new Error(`LinearLR: endFactor must be in [0, 1], got ${endFactor}`);
    positive('LinearLR', 'totalIters', totalIters, true);
    super(optimizer);
    this.start();
  }
  protected lrAt(base: number, t: number): number {
    return base * (this.startFactor + ((this.endFactor - this.startFactor) * Math.min(t, this.totalIters)) / this.totalIters);
  }
}

export interface OneCycleOptions {
  pctStart?: number;
  annealStrategy?: 'cos' | 'linear';
  divFactor?: number;
  finalDivFactor?: number;
}

/**
 * The 1cycle policy (Smith): from maxLr / divFactor up to maxLr over pctStart of the steps,
 * then down to maxLr / (divFactor * finalDivFactor). Step it once per batch.
 */
export class OneCycleLR extends LRScheduler {
  private readonly o: Required<OneCycleOptions>;
  constructor(optimizer: Optimizer<{ lr: number }>, readonly maxLr: number, readonly totalSteps: number, options: OneCycleOptions = {}) {
    positive('OneCycleLR', 'maxLr', maxLr);
    positive('OneCycleLR', 'totalSteps', totalSteps, true);
    const o = { pctStart: 0.3, annealStrategy: 'cos' as const, divFactor: 25, finalDivFactor: 1e4, ...options };
    if (!(o.pctStart > 0 && o.pctStart < 1)) throw new Error(`OneCycleLR: pctStart must be in (0, 1), got ${o.pctStart}`);
    super(optimizer);
    this.o = o;
    this.start();
  }
  protected lrAt(_base: number, t: number): number {
    const initial = this.maxLr / this.o.divFactor;
    const min = initial / this.o.finalDivFactor;
    const up = this.o.pctStart * this.totalSteps - 1;
    const end = this.totalSteps - 1;
    if (t > end) throw new Error(`OneCycleLR: stepped ${t + 1} times, more than totalSteps (${this.totalSteps})`);
    const anneal = (a: number, b: number, pct: number) =>
      this.o.annealStrategy === 'cos' ? b + ((a - b) / 2) * (1 + Math.cos(Math.PI * pct)) : a + (b - a) * pct;
    return t <= up ? anneal(initial, this.maxLr, t / up) : anneal(this.maxLr, min, (t - up) / (end - up));
  }
}
