/**
 * Learning-rate schedulers against PyTorch: OneCycleLR's lr and momentum sequences, computed
 * here from the formulas of PyTorch's documentation (Smith's 1cycle, two or three phases, cos or
 * linear annealing), its step count (totalSteps calls of step() after construction), and the
 * checks of every scheduler's arguments.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import { useDevices } from './helpers.js';

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
