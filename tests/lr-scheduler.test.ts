/**
 * Learning-rate schedulers against PyTorch: OneCycleLR's lr and momentum sequences, computed
 * here from the formulas of PyTorch's documentation (Smith's 1cycle, two or three phases, cos or
 * linear annealing), its step count (totalSteps calls of step() after construction), and the
 * checks of every scheduler's arguments.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import { reseed, rng, useDevices } from './helpers.js';

useDevices();
const { optim } = wg;
const sgd = (o: wg.optim.SGDOptions = { lr: 1 }) => new optim.SGD([wg.zeros([1], { dtype: 'float32', requiresGrad: true })], o);

/**
 * The 1cycle reference, written from PyTorch's docs: phase boundaries at pct * T - 1 (and
 * 2 pct T - 2 with three phases) and T - 1; within a phase, the fraction of it done anneals
 * from its start value to its end value, cos: end + (start - end) (1 + cos(pi f)) / 2,
 * linear: start + (end - start) f.
 */
function oneCycleRef(T: number, o: { maxLr: number; pct?: number; div?: number; finalDiv?: number; linear?: boolean; three?: boolean; base?: number; max?: number }) {
  const pct = o.pct ?? 0.3;
  const lr0 = o.maxLr / (o.div ?? 25);
  const lrMin = lr0 / (o.finalDiv ?? 1e4);
  const [mb, mm] = [o.base ?? 0.85, o.max ?? 0.95];
  const ann = (a: number, b: number, f: number) => (o.linear ? a + (b - a) * f : b + ((a - b) * (1 + Math.cos(Math.PI * f))) / 2);
  const lrs: number[] = [];
  const moms: number[] = [];
  for (let t = 0; t < T; t++) {
    const e1 = pct * T - 1;
    if (!o.three) {
      if (t <= e1) { lrs.push(ann(lr0, o.maxLr, t / e1)); moms.push(ann(mm, mb, t / e1)); }
      else { const f = (t - e1) / (T - 1 - e1); lrs.push(ann(o.maxLr, lrMin, f)); moms.push(ann(mb, mm, f)); }
    } else {
      const e2 = 2 * pct * T - 2;
      if (t <= e1) { lrs.push(ann(lr0, o.maxLr, t / e1)); moms.push(ann(mm, mb, t / e1)); }
      else if (t <= e2) { const f = (t - e1) / (e2 - e1); lrs.push(ann(o.maxLr, lr0, f)); moms.push(ann(mb, mm, f)); }
      else { lrs.push(ann(lr0, lrMin, (t - e2) / (T - 1 - e2))); moms.push(mm); }
    }
  }
  return { lrs, moms };
}

/** The lr (and the momentum, or beta1) after construction and after each of n steps. */
function trace(s: wg.optim.LRScheduler, n: number): { lrs: number[]; moms: number[] } {
  const opts = () => s.optimizer.paramGroups[0]!.options as unknown as { lr: number; momentum?: number; betas?: number[] };
  const mom = () => opts().momentum ?? opts().betas![0]!;
  const lrs = [opts().lr];
  const moms = [mom()];
  for (let i = 0; i < n; i++) {
    s.step();
    lrs.push(opts().lr);
    moms.push(mom());
  }
  return { lrs, moms };
}

const close = (a: number[], b: number[]) => {
  expect(a).toHaveLength(b.length);
  a.forEach((v, i) => expect(v, `step ${i}`).toBeCloseTo(b[i]!, 12));
};

describe('OneCycleLR, as PyTorch', () => {
  it('cos annealing: the lr sequence of its documented formula', () => {
    const got = trace(new optim.OneCycleLR(sgd(), 0.5, 20, { cycleMomentum: false }), 19);
    close(got.lrs, oneCycleRef(20, { maxLr: 0.5 }).lrs);
  });

  it('linear annealing with divFactor, finalDivFactor and pctStart', () => {
    const got = trace(new optim.OneCycleLR(sgd(), 2, 17, { annealStrategy: 'linear', divFactor: 10, finalDivFactor: 100, pctStart: 0.4, cycleMomentum: false }), 16);
    close(got.lrs, oneCycleRef(17, { maxLr: 2, linear: true, div: 10, finalDiv: 100, pct: 0.4 }).lrs);
  });

  it('threePhase: up, back to the initial lr, then down to the final lr', () => {
    const got = trace(new optim.OneCycleLR(sgd({ lr: 1, momentum: 0.9 }), 1, 30, { threePhase: true }), 29);
    const ref = oneCycleRef(30, { maxLr: 1, three: true });
    close(got.lrs, ref.lrs);
    close(got.moms, ref.moms);
  });

  it('cycleMomentum (the default) moves SGD momentum from maxMomentum to baseMomentum and back', () => {
    const got = trace(new optim.OneCycleLR(sgd({ lr: 1, momentum: 0.9 }), 1, 12), 11);
    close(got.moms, oneCycleRef(12, { maxLr: 1 }).moms);
    expect(got.moms[0]).toBeCloseTo(0.95, 12);
  });

  it('cycleMomentum cycles Adam beta1 with the given momenta and keeps beta2', () => {
    const adam = new optim.Adam([wg.zeros([1], { dtype: 'float32', requiresGrad: true })], { betas: [0.9, 0.99] });
    const got = trace(new optim.OneCycleLR(adam, 0.01, 10, { baseMomentum: 0.8, maxMomentum: 0.9 }), 9);
    close(got.moms, oneCycleRef(10, { maxLr: 0.01, base: 0.8, max: 0.9 }).moms);
    expect(adam.paramGroups[0]!.options.betas[1]).toBe(0.99);
  });

  it('cycleMomentum: false leaves the momentum alone', () => {
    const opt = sgd({ lr: 1, momentum: 0.5 });
    new optim.OneCycleLR(opt, 1, 10, { cycleMomentum: false }).step();
    expect(opt.paramGroups[0]!.options.momentum).toBe(0.5);
  });

  it('step() may be called totalSteps times after construction', () => {
    const s = new optim.OneCycleLR(sgd(), 1, 5);
    for (let i = 0; i < 5; i++) s.step();
    expect(s.lastEpoch).toBe(5);
  });

  it('the next step() is refused, counting the calls as PyTorch does, and changes nothing', () => {
    const s = new optim.OneCycleLR(sgd(), 1, 5);
    for (let i = 0; i < 5; i++) s.step();
    const lr = s.getLastLr()[0];
    expect(() => s.step()).toThrow('OneCycleLR.step: step() called 6 times after construction, more than totalSteps (5)');
    expect([s.lastEpoch, s.getLastLr()[0]]).toEqual([5, lr]);
  });

  it('at step totalSteps the lr stays at the final lr (PyTorch extrapolates past it)', () => {
    const s = new optim.OneCycleLR(sgd(), 1, 10, { annealStrategy: 'linear' });
    for (let i = 0; i < 10; i++) s.step();
    expect(s.getLastLr()[0]).toBeCloseTo(1 / 25 / 1e4, 15);
  });

  it('epochs and stepsPerEpoch give totalSteps', () => {
    expect(new optim.OneCycleLR(sgd(), 1, null, { epochs: 3, stepsPerEpoch: 7 }).totalSteps).toBe(21);
  });

  it('maxLr may be one per parameter group', () => {
    const opt = new optim.SGD([{ params: [wg.zeros([1], { dtype: 'float32', requiresGrad: true })] }, { params: [wg.zeros([1], { dtype: 'float32', requiresGrad: true })] }], { lr: 1, momentum: 0.9 });
    close(new optim.OneCycleLR(opt, [1, 0.1], 10).getLastLr(), [1 / 25, 0.1 / 25]);
  });

  it("baseLrs are the initial lrs, maxLr / divFactor (PyTorch's base_lrs)", () => {
    expect(new optim.OneCycleLR(sgd(), 2, 10, { divFactor: 4 }).baseLrs).toEqual([0.5]);
  });

  it('a one-step warmup starts at maxLr (PyTorch divides by zero there)', () => {
    expect(new optim.OneCycleLR(sgd(), 1, 10, { pctStart: 0.1 }).getLastLr()[0]).toBe(1);
  });

  it('fit with schedulerPerBatch and totalSteps = epochs * batches runs every batch', async () => {
    const x = wg.randn([8, 2]);
    const y = wg.tensor(new Int32Array([0, 1, 0, 1, 0, 1, 0, 1]));
    const model = new wg.nn.Linear(2, 2);
    const optimizer = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const train = new wg.data.DataLoader(new wg.data.TensorDataset(x, y), { batchSize: 2 });
    const scheduler = new optim.OneCycleLR(optimizer, 0.1, 2 * 4);
    await wg.train.fit({ model, loss: new wg.nn.CrossEntropyLoss(), optimizer, train, epochs: 2, scheduler, schedulerPerBatch: true, progress: false });
    expect(scheduler.lastEpoch).toBe(8);
  });
});

describe('OneCycleLR arguments', () => {
  it('an unknown option, with did-you-mean', () => {
    expect(() => new optim.OneCycleLR(sgd(), 1, 10, { anneal_strategy: 'cos' } as never)).toThrow("OneCycleLR: unknown option 'anneal_strategy' (did you mean 'annealStrategy'?)");
  });
  it('pctStart outside [0, 1]', () => {
    expect(() => new optim.OneCycleLR(sgd(), 1, 10, { pctStart: 1.5 })).toThrow('OneCycleLR: pctStart must be a finite number >= 0 and <= 1, got 1.5');
  });
  it('threePhase needs pctStart <= 0.5', () => {
    expect(() => new optim.OneCycleLR(sgd(), 1, 10, { pctStart: 0.6, threePhase: true })).toThrow('OneCycleLR: pctStart must be a finite number >= 0 and <= 0.5, got 0.6');
  });
  it('annealStrategy not cos or linear', () => {
    expect(() => new optim.OneCycleLR(sgd(), 1, 10, { annealStrategy: 'cosine' as never })).toThrow("OneCycleLR: annealStrategy must be one of 'cos', 'linear', got 'cosine'");
  });
  it('neither totalSteps nor epochs and stepsPerEpoch', () => {
    expect(() => new optim.OneCycleLR(sgd(), 1, null, { epochs: 3 })).toThrow('OneCycleLR: give totalSteps, or epochs and stepsPerEpoch');
  });
  it('maxLr with the wrong number of groups', () => {
    expect(() => new optim.OneCycleLR(sgd(), [1, 2], 10)).toThrow('OneCycleLR: maxLr has 2 values, but the optimizer has 1 parameter groups');
  });
  it('a momentum of 1', () => {
    expect(() => new optim.OneCycleLR(sgd(), 1, 10, { maxMomentum: 1 })).toThrow('OneCycleLR: maxMomentum must be a finite number >= 0 and < 1, got 1');
  });
});

describe('scheduler arguments', () => {
  it('an optimizer that is not one', () => {
    expect(() => new optim.StepLR({ paramGroups: [] } as never, 2)).toThrow('StepLR: optimizer must be an optimizer');
  });
  it('an extra argument is refused', () => {
    expect(() => new (optim.ExponentialLR as unknown as new (...a: unknown[]) => unknown)(sgd(), 0.5, 3)).toThrow('ExponentialLR: takes (optimizer, gamma); got 1 more argument (3)');
  });
  it('step() with an epoch number is refused', () => {
    expect(() => (new optim.StepLR(sgd(), 2).step as (e: number) => void)(5)).toThrow('StepLR.step: takes no arguments');
  });
  it('CosineAnnealingLR refuses a fractional tMax', () => {
    expect(() => new optim.CosineAnnealingLR(sgd(), 2.5)).toThrow('CosineAnnealingLR: tMax must be an integer >= 1, got 2.5');
  });
  it('LinearLR refuses startFactor 0', () => {
    expect(() => new optim.LinearLR(sgd(), 0)).toThrow('LinearLR: startFactor must be a finite number > 0 and <= 1, got 0');
  });
  it('loadStateDict refuses an unknown key', () => {
    expect(() => new optim.StepLR(sgd(), 2).loadStateDict({ last_epoch: 3 } as never)).toThrow("StepLR.loadStateDict: unknown option 'last_epoch' (did you mean 'lastEpoch'?)");
  });
  it('loadStateDict past a OneCycleLR schedule is refused', () => {
    expect(() => new optim.OneCycleLR(sgd(), 1, 4).loadStateDict({ lastEpoch: 5 })).toThrow('OneCycleLR.loadStateDict: step() called 5 times after construction, more than totalSteps (4)');
  });
});

/** The lr after construction and after each step(arg) of `args` (undefined: step() with no argument). */
function lrTrace(s: wg.optim.LRScheduler, args: (number | undefined)[]): number[] {
  const lrs = [s.getLastLr()[0]!];
  for (const a of args) {
    if (a === undefined) s.step();
    else (s.step as (x: number) => void)(a);
    lrs.push(s.getLastLr()[0]!);
  }
  return lrs;
}

describe('MultiStepLR, as PyTorch', () => {
  /** PyTorch's chainable form: at step t the lr is multiplied by gamma once per milestone equal to t. */
  const ref = (base: number, milestones: number[], gamma: number, n: number) => {
    const lrs = [base];
    for (let t = 1; t <= n; t++) lrs.push(lrs[t - 1]! * gamma ** milestones.filter((m) => m === t).length);
    return lrs;
  };
  it('drops by gamma at each milestone', () => {
    close(lrTrace(new optim.MultiStepLR(sgd({ lr: 0.5 }), { milestones: [3, 7], gamma: 0.2 }), Array(10).fill(undefined)), ref(0.5, [3, 7], 0.2, 10));
  });
  it('takes the milestones in any order, and one listed twice drops twice (gamma defaults to 0.1)', () => {
    close(lrTrace(new optim.MultiStepLR(sgd(), { milestones: [6, 2, 6] }), Array(8).fill(undefined)), ref(1, [6, 2, 6], 0.1, 8));
  });
  it('is refused without milestones, or with a milestone not an integer >= 1', () => {
    expect(() => new optim.MultiStepLR(sgd(), undefined as never)).toThrow('MultiStepLR: options { milestones, gamma } are required');
    expect(() => new optim.MultiStepLR(sgd(), { milestones: 3 } as never)).toThrow('MultiStepLR: milestones must be an array of integers >= 1');
    expect(() => new optim.MultiStepLR(sgd(), { milestones: [2, 0.5] })).toThrow('MultiStepLR: milestones[1] must be an integer >= 1, got 0.5');
    expect(() => new optim.MultiStepLR(sgd(), { milestones: [2], gama: 0.5 } as never)).toThrow("MultiStepLR: unknown option 'gama' (did you mean 'gamma'?)");
  });
});

describe('CosineAnnealingWarmRestarts, as PyTorch', () => {
  const cos = (base: number, etaMin: number, tCur: number, tI: number) => etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * tCur) / tI))) / 2;
  /** step(): PyTorch's recursion, T_cur += 1 and on reaching T_i a restart with T_i *= TMult. */
  const refSteps = (base: number, T0: number, TMult: number, etaMin: number, n: number) => {
    let [tCur, tI] = [0, T0];
    const lrs = [cos(base, etaMin, 0, T0)];
    for (let k = 0; k < n; k++) {
      tCur += 1;
      if (tCur >= tI) { tCur -= tI; tI *= TMult; }
      lrs.push(cos(base, etaMin, tCur, tI));
    }
    return lrs;
  };
  /** step(epoch): PyTorch's closed form, with the cycle number from a logarithm. */
  const refEpoch = (base: number, T0: number, TMult: number, etaMin: number, e: number) => {
    if (e < T0) return cos(base, etaMin, e, T0);
    if (TMult === 1) return cos(base, etaMin, e % T0, T0);
    const n = Math.floor(Math.log((e / T0) * (TMult - 1) + 1) / Math.log(TMult));
    return cos(base, etaMin, e - (T0 * (TMult ** n - 1)) / (TMult - 1), T0 * TMult ** n);
  };
  it('TMult 1: restarts every T0 steps', () => {
    close(lrTrace(new optim.CosineAnnealingWarmRestarts(sgd({ lr: 0.1 }), { T0: 4 }), Array(13).fill(undefined)), refSteps(0.1, 4, 1, 0, 13));
  });
  it('TMult 2 and etaMin: each cycle twice as long, down to etaMin', () => {
    close(lrTrace(new optim.CosineAnnealingWarmRestarts(sgd({ lr: 0.1 }), { T0: 3, TMult: 2, etaMin: 0.01 }), Array(25).fill(undefined)), refSteps(0.1, 3, 2, 0.01, 25));
  });
  it('step(epoch) with fractional epochs follows the closed form', () => {
    const epochs = [0.25, 1.5, 2.75, 3.1, 5.5, 8.9, 9.2, 17.3, 4.4];
    const s = new optim.CosineAnnealingWarmRestarts(sgd({ lr: 0.1 }), { T0: 3, TMult: 2, etaMin: 0.001 });
    close(lrTrace(s, epochs).slice(1), epochs.map((e) => refEpoch(0.1, 3, 2, 0.001, e)));
    expect(s.lastEpoch).toBe(4);
  });
  it('step() after step(2.5) goes on by one epoch, to 3.5, as PyTorch', () => {
    const s = new optim.CosineAnnealingWarmRestarts(sgd({ lr: 0.1 }), { T0: 4 });
    close(lrTrace(s, [2.5, undefined, undefined]).slice(1), [2.5, 3.5, 4.5].map((e) => refEpoch(0.1, 4, 1, 0, e)));
    expect(s.lastEpoch).toBe(4);
  });
  it('stateDict and loadStateDict carry the fractional epoch', () => {
    const a = new optim.CosineAnnealingWarmRestarts(sgd({ lr: 0.1 }), { T0: 3, TMult: 2 });
    a.step(4.5);
    const b = new optim.CosineAnnealingWarmRestarts(sgd({ lr: 0.1 }), { T0: 3, TMult: 2 });
    b.loadStateDict(a.stateDict());
    a.step();
    b.step();
    expect(b.getLastLr()).toEqual(a.getLastLr());
    expect(b.epoch).toBe(5.5);
  });
  it('refuses T0 and TMult not integers >= 1, a negative etaMin, a negative or NaN epoch', () => {
    const s = sgd();
    expect(() => new optim.CosineAnnealingWarmRestarts(s, { T0: 0 })).toThrow('CosineAnnealingWarmRestarts: T0 must be an integer >= 1, got 0');
    expect(() => new optim.CosineAnnealingWarmRestarts(s, { T0: 2, TMult: 1.5 })).toThrow('CosineAnnealingWarmRestarts: TMult must be an integer >= 1, got 1.5');
    expect(() => new optim.CosineAnnealingWarmRestarts(s, { T0: 2, etaMin: -1 })).toThrow('CosineAnnealingWarmRestarts: etaMin must be a finite number >= 0, got -1');
    expect(() => new optim.CosineAnnealingWarmRestarts(s, { T0: 2 }).step(-1)).toThrow('CosineAnnealingWarmRestarts.step: epoch must be a finite number >= 0, got -1');
    expect(() => new optim.CosineAnnealingWarmRestarts(s, { T0: 2 }).step(NaN)).toThrow('CosineAnnealingWarmRestarts.step: epoch must be a finite number >= 0, got NaN');
    expect(() => new optim.CosineAnnealingWarmRestarts(s, { t0: 2 } as never)).toThrow("CosineAnnealingWarmRestarts: unknown option 't0' (did you mean 'T0'?)");
  });
});

describe('ReduceLROnPlateau, as PyTorch', () => {
  type O = { mode: 'min' | 'max'; factor: number; patience: number; threshold: number; thresholdMode: 'rel' | 'abs'; cooldown: number; minLr: number; eps: number };
  const defaults: O = { mode: 'min', factor: 0.1, patience: 10, threshold: 1e-4, thresholdMode: 'rel', cooldown: 0, minLr: 0, eps: 1e-8 };
  /** torch.optim.lr_scheduler.ReduceLROnPlateau.step, on one group: the lr after each metric. */
  const ref = (lr: number, metrics: number[], given: Partial<O>) => {
    const o = { ...defaults, ...given };
    let best = o.mode === 'min' ? Infinity : -Infinity;
    let [bad, cool] = [0, 0];
    return metrics.map((m) => {
      const better = o.mode === 'min'
        ? (o.thresholdMode === 'rel' ? m < best * (1 - o.threshold) : m < best - o.threshold)
        : (o.thresholdMode === 'rel' ? m > best * (1 + o.threshold) : m > best + o.threshold);
      if (better) { best = m; bad = 0; } else bad += 1;
      if (cool > 0) { cool -= 1; bad = 0; }
      if (bad > o.patience) {
        const next = Math.max(lr * o.factor, o.minLr);
        if (lr - next > o.eps) lr = next;
        cool = o.cooldown;
        bad = 0;
      }
      return lr;
    });
  };
  const run = (lr: number, metrics: number[], o: Partial<O>) => {
    const s = new optim.ReduceLROnPlateau(sgd({ lr }), o);
    return metrics.map((m) => { s.step(m); return s.getLastLr()[0]!; });
  };
  it('by hand: patience 2, factor 0.5: the lr halves after 3 steps without improvement', () => {
    expect(run(1, [5, 4, 4, 4, 4, 3, 3, 3, 3], { patience: 2, factor: 0.5 })).toEqual([1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25]);
  });
  it('does not change the lr at construction', () => {
    const o = sgd({ lr: 0.3 });
    new optim.ReduceLROnPlateau(o);
    expect(o.lrs).toEqual([0.3]);
  });
  const metrics = (seed: number) => {
    reseed(seed);
    // A noisy plateau: the metric falls a little, then wanders.
    return Array.from({ length: 60 }, (_, t) => 1 / (1 + Math.min(t, 15) * 0.1) + (rng() - 0.5) * 0.02);
  };
  it.each([
    ['min, rel (the defaults) with patience 3', { patience: 3 }],
    ['min, abs threshold 0.01, cooldown 2, minLr 1e-3', { patience: 2, thresholdMode: 'abs', threshold: 0.01, cooldown: 2, minLr: 1e-3 }],
    ['max, rel threshold 0.05, factor 0.5', { mode: 'max', threshold: 0.05, factor: 0.5, patience: 1 }],
    ['max, abs, cooldown 1, eps 0.005 (drops below 0.005 skipped)', { mode: 'max', thresholdMode: 'abs', threshold: 0.001, patience: 0, cooldown: 1, factor: 0.9, eps: 0.005 }],
  ] as const)('%s: the lr sequence of the reference', (_name, o) => {
    const m = metrics(21);
    const lrs = run(0.1, m, o as Partial<O>);
    expect(lrs).toEqual(ref(0.1, m, o as Partial<O>));
    expect(new Set(lrs).size, "the lr drops more than once").toBeGreaterThan(2);
  });
  it('minLr may be one per group', () => {
    const a = wg.zeros([1], { requiresGrad: true });
    const b = wg.zeros([1], { requiresGrad: true });
    const opt = new optim.SGD([{ params: [a] }, { params: [b] }], { lr: 1 });
    const s = new optim.ReduceLROnPlateau(opt, { patience: 0, factor: 0.5, minLr: [0.4, 0.1] });
    for (const m of [1, 1, 1, 1]) s.step(m);
    expect(opt.lrs).toEqual([0.4, 0.125]);
  });
  it('stateDict and loadStateDict carry best and the counters', () => {
    const a = new optim.ReduceLROnPlateau(sgd({ lr: 1 }), { patience: 2, cooldown: 1 });
    for (const m of [3, 2, 2, 2]) a.step(m);
    const b = new optim.ReduceLROnPlateau(sgd({ lr: 1 }), { patience: 2, cooldown: 1 });
    b.loadStateDict(a.stateDict());
    expect(b.stateDict()).toEqual(a.stateDict());
    a.step(2);
    b.step(2);
    expect(b.getLastLr()).toEqual(a.getLastLr());
    expect(b.getLastLr()).toEqual([0.1]);
  });
  it('step takes one number: no argument, a Tensor, NaN or a second argument are refused', () => {
    const s = new optim.ReduceLROnPlateau(sgd());
    expect(() => s.step()).toThrow('ReduceLROnPlateau.step: takes the metric to watch (e.g. the validation loss), got no argument');
    expect(() => s.step(wg.tensor([1]))).toThrow('ReduceLROnPlateau.step: the metric must be a number, got a Tensor (read it first: step(await loss.item()))');
    expect(() => s.step(NaN)).toThrow('ReduceLROnPlateau.step: metric must be a number, got NaN');
    expect(() => s.step(1, 2)).toThrow('ReduceLROnPlateau.step: takes (metric); got 1 more argument');
    expect(s.lastEpoch).toBe(0);
  });
  it('refuses options out of range, with the op and the value', () => {
    const s = sgd();
    expect(() => new optim.ReduceLROnPlateau(s, { mode: 'minimum' as never })).toThrow("ReduceLROnPlateau: mode must be one of 'min', 'max', got 'minimum'");
    expect(() => new optim.ReduceLROnPlateau(s, { factor: 1 })).toThrow('ReduceLROnPlateau: factor must be a finite number > 0 and < 1, got 1');
    expect(() => new optim.ReduceLROnPlateau(s, { patience: 1.5 })).toThrow('ReduceLROnPlateau: patience must be an integer >= 0, got 1.5');
    expect(() => new optim.ReduceLROnPlateau(s, { thresholdMode: 'relative' as never })).toThrow("ReduceLROnPlateau: thresholdMode must be one of 'rel', 'abs', got 'relative'");
    expect(() => new optim.ReduceLROnPlateau(s, { min_lr: 0.1 } as never)).toThrow("ReduceLROnPlateau: unknown option 'min_lr' (did you mean 'minLr'?)");
  });
});

describe('ReduceLROnPlateau in fit', () => {
  const setup = () => {
    wg.manualSeed(5);
    const x = wg.randn([8, 2]);
    const y = wg.tensor(new Int32Array([0, 1, 0, 1, 0, 1, 0, 1]));
    const model = new wg.nn.Linear(2, 2);
    // An lr too small to move the loss: every epoch after the first is a plateau.
    const optimizer = new optim.SGD(model.parameters(), { lr: 1e-9 });
    const data = new wg.data.DataLoader(new wg.data.TensorDataset(x, y), { batchSize: 4 });
    return { model, optimizer, data, loss: new wg.nn.CrossEntropyLoss() };
  };
  it('fit steps it once per epoch with the validation loss', async () => {
    const { model, optimizer, data, loss } = setup();
    const scheduler = new optim.ReduceLROnPlateau(optimizer, { patience: 0, factor: 0.5, eps: 0 });
    const history = await wg.train.fit({ model, loss, optimizer, train: data, val: data, epochs: 3, scheduler, progress: false });
    expect(history.map((h) => h.lr)).toEqual([1e-9, 1e-9, 5e-10]);
    expect(scheduler.lastEpoch).toBe(3);
    expect(scheduler.best).toBe(history[0]!.valLoss);
  });
  it('fit refuses it without val, and per batch', async () => {
    const { model, optimizer, data, loss } = setup();
    const scheduler = new optim.ReduceLROnPlateau(optimizer);
    await expect(wg.train.fit({ model, loss, optimizer, train: data, epochs: 1, scheduler, progress: false })).rejects.toThrow('fit: a ReduceLROnPlateau scheduler steps on the validation loss, so fit needs val');
    await expect(wg.train.fit({ model, loss, optimizer, train: data, val: data, epochs: 1, scheduler, schedulerPerBatch: true, progress: false })).rejects.toThrow('schedulerPerBatch must not be true');
  });
});
