/**
 * Optimizers: each step against a reference written here from the published algorithms (and
 * a hand-computed case for SGD momentum and Adam's bias correction), webgpu against cpu,
 * parameter groups, stateDict, clipping, schedulers, and bad options.
 */
import type { DeviceName } from '../src/index.js';
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { DEVICES, NO_WEBGPU, relErr, reseed, rng, traceDispatches, useDevices } from './helpers.js';
import { MAX_GROUP, groupPreamble } from '../src/kernels/optim/webgpu.js';

useDevices();
const { optim } = wg;

const vec = (v: number[], device: DeviceName) => wg.tensor(v, { dtype: 'float32', device, requiresGrad: true });
const setGrad = (p: Tensor, g: number[]) => {
  p.grad = wg.tensor(g, { dtype: 'float32', device: p.device });
};
const values = async (t: Tensor) => Array.from(await t.data());

/** Host references of the algorithms (PyTorch's documentation), on plain arrays. */
function refRun(kind: string, o: Record<string, number | boolean>, p0: number[], grads: number[][]): number[] {
  const p = [...p0];
  const n = p.length;
  const s0 = new Array(n).fill(0);
  const s1 = new Array(n).fill(0);
  const s2 = new Array(n).fill(0);
  if (kind === 'adagrad') s0.fill((o.initialAccumulatorValue as number) ?? 0);
  grads.forEach((gs, t0) => {
    const t = t0 + 1;
    for (let i = 0; i < n; i++) {
      let g = o.maximize ? -gs[i]! : gs[i]!;
      const wd = (o.weightDecay as number) ?? 0;
      if (kind === 'sgd') {
        g += wd * p[i]!;
        const mom = (o.momentum as number) ?? 0;
        if (mom > 0) {
          s0[i] = t === 1 ? g : mom * s0[i] + (1 - ((o.dampening as number) ?? 0)) * g;
          g = o.nesterov ? g + mom * s0[i] : s0[i];
        }
        p[i] = p[i]! - (o.lr as number) * g;
      } else if (kind === 'adam' || kind === 'adamw') {
        const [b1, b2, eps, lr] = [0.9, 0.999, 1e-8, o.lr as number];
        if (kind === 'adamw') p[i] = p[i]! * (1 - lr * wd);
        else g += wd * p[i]!;
        s0[i] = b1 * s0[i] + (1 - b1) * g;
        s1[i] = b2 * s1[i] + (1 - b2) * g * g;
        let v = s1[i];
        if (o.amsgrad) v = s2[i] = Math.max(s2[i], s1[i]);
        const mhat = s0[i] / (1 - b1 ** t);
        const vhat = v / (1 - b2 ** t);
        p[i] = p[i]! - (lr * mhat) / (Math.sqrt(vhat) + eps);
      } else if (kind === 'rmsprop') {
        const [alpha, eps, lr, mom] = [0.99, 1e-8, o.lr as number, (o.momentum as number) ?? 0];
        g += wd * p[i]!;
        s0[i] = alpha * s0[i] + (1 - alpha) * g * g;
        let avg = s0[i];
        if (o.centered) {
          s1[i] = alpha * s1[i] + (1 - alpha) * g;
          avg -= s1[i] * s1[i];
        }
        const d = Math.sqrt(avg) + eps;
        if (mom > 0) {
          s2[i] = mom * s2[i] + g / d;
          p[i] = p[i]! - lr * s2[i];
        } else p[i] = p[i]! - (lr * g) / d;
      } else if (kind === 'adagrad') {
        // torch.optim.Adagrad: clr = lr / (1 + (t - 1) lr_decay); sum += g^2; p -= clr g / (sqrt(sum) + eps).
        const clr = (o.lr as number) / (1 + (t - 1) * ((o.lrDecay as number) ?? 0));
        const eps = (o.eps as number) ?? 1e-10;
        g += wd * p[i]!;
        s0[i] += g * g;
        p[i] = p[i]! - (clr * g) / (Math.sqrt(s0[i]) + eps);
      } else if (kind === 'adadelta') {
        // torch.optim.Adadelta: v = rho v + (1 - rho) g^2; dx = sqrt(u + eps) / sqrt(v + eps) g; u = rho u + (1 - rho) dx^2; p -= lr dx.
        const rho = (o.rho as number) ?? 0.9;
        const eps = (o.eps as number) ?? 1e-6;
        const lr = (o.lr as number) ?? 1;
        g += wd * p[i]!;
        s0[i] = rho * s0[i] + (1 - rho) * g * g;
        const dx = (Math.sqrt(s1[i] + eps) / Math.sqrt(s0[i] + eps)) * g;
        s1[i] = rho * s1[i] + (1 - rho) * dx * dx;
        p[i] = p[i]! - lr * dx;
      }
    }
  });
  return p;
}

const CASES: [string, string, Record<string, number | boolean>][] = [
  ['SGD', 'sgd', { lr: 0.1 }],
  ['SGD momentum 0.9, dampening 0.1, weight decay', 'sgd', { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 }],
  ['SGD Nesterov', 'sgd', { lr: 0.05, momentum: 0.8, nesterov: true }],
  ['SGD maximize', 'sgd', { lr: 0.1, maximize: true }],
  ['Adam', 'adam', { lr: 0.01 }],
  ['Adam weight decay, amsgrad', 'adam', { lr: 0.01, weightDecay: 0.1, amsgrad: true }],
  ['AdamW', 'adamw', { lr: 0.01, weightDecay: 0.1 }],
  ['RMSprop', 'rmsprop', { lr: 0.01 }],
  ['RMSprop centered, momentum, weight decay', 'rmsprop', { lr: 0.01, centered: true, momentum: 0.5, weightDecay: 0.01 }],
  ['Adagrad', 'adagrad', { lr: 0.1 }],
  ['Adagrad lrDecay, weight decay, initialAccumulatorValue, maximize', 'adagrad', { lr: 0.1, lrDecay: 0.3, weightDecay: 0.05, initialAccumulatorValue: 0.5, maximize: true }],
  ['Adadelta', 'adadelta', { lr: 1 }],
  ['Adadelta rho 0.5, eps 1e-3, weight decay, lr 0.5', 'adadelta', { lr: 0.5, rho: 0.5, eps: 1e-3, weightDecay: 0.1 }],
];

function make(kind: string, params: Tensor[], o: Record<string, number | boolean>) {
  const opts = o as never;
  switch (kind) {
    case 'sgd': return new optim.SGD(params, opts);
    case 'adam': return new optim.Adam(params, opts);
    case 'adamw': return new optim.AdamW(params, opts);
    case 'adagrad': return new optim.Adagrad(params, opts);
    case 'adadelta': return new optim.Adadelta(params, opts);
    default: return new optim.RMSprop(params, opts);
  }
}

describe.each(DEVICES)('optimizers on %s', (device) => {
  it.each(CASES)('%s: 6 steps match the reference algorithm', async (_name, kind, o) => {
    reseed(11);
    const p0 = Array.from({ length: 37 }, () => rng() * 2 - 1);
    const grads = Array.from({ length: 6 }, () => Array.from({ length: 37 }, () => rng() * 2 - 1));
    const p = vec(p0, device);
    const opt = make(kind, [p], o);
    for (const g of grads) {
      setGrad(p, g);
      opt.step();
    }
    const ref = refRun(kind, o, p0.map(Math.fround), grads.map((g) => g.map(Math.fround)));
    expect(relErr(await values(p), ref)).toBeLessThan(1e-5);
  });

  it('SGD with momentum by hand: p = 1, g = 1, lr 0.1, momentum 0.9 -> 0.9, 0.71, 0.439', async () => {
    const p = vec([1], device);
    const opt = new optim.SGD([p], { lr: 0.1, momentum: 0.9 });
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      setGrad(p, [1]);
      opt.step();
      seen.push((await values(p))[0]!);
    }
    // buffers 1, 1.9, 2.71: p = 1 - 0.1, 0.9 - 0.19, 0.71 - 0.271
    expect(relErr(seen, [0.9, 0.71, 0.439])).toBeLessThan(1e-6);
  });

  it("Adam's bias correction makes the first step lr * sign(g), whatever |g|", async () => {
    const p = vec([0, 0, 0], device);
    const opt = new optim.Adam([p], { lr: 0.01 });
    setGrad(p, [1e-3, -5, 100]);
    opt.step();
    expect(relErr(await values(p), [-0.01, 0.01, -0.01])).toBeLessThan(1e-5);
  });

  it('parameter groups keep their own options; parameters without a gradient are left alone', async () => {
    const a = vec([1, 1], device);
    const b = vec([1, 1], device);
    const c = vec([5], device);
    const opt = new optim.SGD([{ params: [a] }, { params: [b, c], options: { lr: 1 } }], { lr: 0.1 });
    setGrad(a, [1, 2]);
    setGrad(b, [1, 2]);
    opt.step();
    expect(await values(a)).toEqual([Math.fround(0.9), Math.fround(0.8)]);
    expect(await values(b)).toEqual([0, -1]);
    expect(await values(c)).toEqual([5]);
    expect(opt.lrs).toEqual([0.1, 1]);
  });

  it('stateDict and loadStateDict carry the optimizer over: the same steps follow', async () => {
    reseed(12);
    const grads = Array.from({ length: 4 }, () => Array.from({ length: 5 }, () => rng() - 0.5));
    const p = vec([1, 2, 3, 4, 5], device);
    const opt = new optim.Adam([p], { lr: 0.1 });
    for (const g of grads.slice(0, 2)) { setGrad(p, g); opt.step(); }
    const q = wg.tensor(await values(p), { device, requiresGrad: true });
    const opt2 = new optim.Adam([q], { lr: 0.1 });
    opt2.loadStateDict(opt.stateDict());
    for (const g of grads.slice(2)) {
      setGrad(p, g); opt.step();
      setGrad(q, g); opt2.step();
    }
    expect(await values(q)).toEqual(await values(p));
  });

  it.each([
    ['Adagrad', ['sum'], (ps: Tensor[]): wg.optim.Optimizer<{ lr: number }> => new optim.Adagrad(ps, { lr: 0.1, lrDecay: 0.1, initialAccumulatorValue: 0.2 })],
    ['Adadelta', ['squareAvg', 'accDelta'], (ps: Tensor[]): wg.optim.Optimizer<{ lr: number }> => new optim.Adadelta(ps, { lr: 0.5 })],
  ] as const)('%s: stateDict holds its state tensors and step, and loadStateDict continues the same steps', async (_name, names, mk) => {
    reseed(13);
    const grads = Array.from({ length: 4 }, () => Array.from({ length: 5 }, () => rng() - 0.5));
    const p = vec([1, 2, 3, 4, 5], device);
    const opt = mk([p]);
    for (const g of grads.slice(0, 2)) { setGrad(p, g); opt.step(); }
    const sd = opt.stateDict();
    expect(Object.keys(sd.state[0]!.tensors).sort()).toEqual([...names].sort());
    expect(sd.state[0]!.step).toBe(2);
    const q = wg.tensor(await values(p), { device, requiresGrad: true });
    const opt2 = mk([q]);
    opt2.loadStateDict(sd);
    for (const g of grads.slice(2)) {
      setGrad(p, g); opt.step();
      setGrad(q, g); opt2.step();
    }
    expect(await values(q)).toEqual(await values(p));
  });

  it('Adagrad and Adadelta parameter groups keep their own options', async () => {
    const a = vec([1, 1], device);
    const b = vec([1, 1], device);
    const opt = new optim.Adagrad([{ params: [a] }, { params: [b], options: { lr: 1 } }], { lr: 0.1 });
    setGrad(a, [1, -1]);
    setGrad(b, [1, -1]);
    opt.step();
    // The first Adagrad step is lr * sign(g) (up to eps): sum = g^2.
    expect(relErr(await values(a), [0.9, 1.1])).toBeLessThan(1e-6);
    expect(relErr(await values(b), [0, 2])).toBeLessThan(1e-6);
    const c = vec([1], device);
    const d = vec([1], device);
    const ad = new optim.Adadelta([{ params: [c], options: { rho: 0 } }, { params: [d] }]);
    setGrad(c, [2]);
    setGrad(d, [2]);
    ad.step();
    // rho 0: v = g^2, dx = sqrt(eps) / sqrt(g^2 + eps) g; rho 0.9: v = 0.1 g^2.
    expect(relErr(await values(c), [1 - (Math.sqrt(1e-6) / Math.sqrt(4 + 1e-6)) * 2])).toBeLessThan(1e-6);
    expect(relErr(await values(d), [1 - (Math.sqrt(1e-6) / Math.sqrt(0.4 + 1e-6)) * 2])).toBeLessThan(1e-6);
  });

  it('zeroGrad frees the gradients', () => {
    const p = vec([1], device);
    setGrad(p, [1]);
    const g = p.grad!;
    new optim.SGD([p], { lr: 1 }).zeroGrad();
    expect(p.grad).toBe(null);
    expect(g.isDisposed).toBe(true);
  });

  it('a graph recorded before step() refuses to run backward on the updated parameter', () => {
    const p = vec([1, 2], device);
    const loss = p.square().sum();
    setGrad(p, [1, 1]);
    new optim.SGD([p], { lr: 0.1 }).step();
    expect(() => loss.backward()).toThrow(/backward: a tensor of shape \[2\] saved by 'square' was modified in place after the forward pass/);
  });

  it('clipGradNorm scales the gradients to the max norm and returns the norm before, on the device', async () => {
    const a = vec([0, 0], device);
    const b = vec([0], device);
    setGrad(a, [3, 0]);
    setGrad(b, [4]);
    const norm = optim.clipGradNorm([a, b], 1);
    expect(norm.device).toBe(device);
    expect(await norm.item()).toBeCloseTo(5, 5);
    expect(relErr([...(await values(a.grad!)), ...(await values(b.grad!))], [0.6, 0, 0.8])).toBeLessThan(1e-5);
    // under the limit: unchanged (the scale is clamped at 1)
    setGrad(a, [0.3, 0]);
    setGrad(b, [0.4]);
    optim.clipGradNorm([a, b], 1);
    expect(relErr(await values(a.grad!), [0.3, 0])).toBeLessThan(1e-5);
    // infinity norm
    setGrad(a, [3, -7]);
    expect(await optim.clipGradNorm([a], 1, Infinity).item()).toBe(7);
  });

  it('clipGradValue clamps every element', async () => {
    const a = vec([0, 0, 0], device);
    setGrad(a, [-3, 0.5, 9]);
    optim.clipGradValue([a], 1);
    expect(await values(a.grad!)).toEqual([-1, 0.5, 1]);
  });
});

describe('learning-rate schedulers', () => {
  const opt = (lr = 1) => new optim.SGD([wg.zeros([1], { requiresGrad: true })], { lr });
  const run = (s: { step(): void; getLastLr(): number[] }, n: number) => {
    const lrs = [s.getLastLr()[0]!];
    for (let i = 0; i < n; i++) { s.step(); lrs.push(s.getLastLr()[0]!); }
    return lrs;
  };
  it('StepLR', () => {
    expect(run(new optim.StepLR(opt(), 2, 0.5), 5)).toEqual([1, 1, 0.5, 0.5, 0.25, 0.25]);
  });
  it('ExponentialLR', () => {
    expect(run(new optim.ExponentialLR(opt(), 0.5), 3)).toEqual([1, 0.5, 0.25, 0.125]);
  });
  it('CosineAnnealingLR reaches etaMin at tMax', () => {
    const lrs = run(new optim.CosineAnnealingLR(opt(), 4, 0.1), 4);
    expect(lrs[0]).toBe(1);
    expect(lrs[2]).toBeCloseTo(0.55, 10);
    expect(lrs[4]).toBeCloseTo(0.1, 10);
  });
  it('LinearLR warms up from startFactor', () => {
    expect(run(new optim.LinearLR(opt(2), 0.25, 1, 3), 4).map((v) => +v.toFixed(10))).toEqual([0.5, 1, 1.5, 2, 2]);
  });
  it('OneCycleLR rises to maxLr then anneals to maxLr / (divFactor * finalDivFactor)', () => {
    const lrs = run(new optim.OneCycleLR(opt(), 1, 10, { pctStart: 0.3 }), 9);
    expect(lrs[0]).toBeCloseTo(1 / 25, 10);
    expect(lrs[2]).toBeCloseTo(1, 10);
    expect(lrs[9]).toBeCloseTo(1 / 25 / 1e4, 10);
    expect(Math.max(...lrs)).toBeCloseTo(1, 10);
  });
});

// Needs the webgpu backend (its dispatches are counted).
// Skipped only when the run declares it has no WebGPU adapter (WEBGRAD_TEST_NO_WEBGPU=1, which helpers.ts warns about); a missing adapter otherwise fails the suite.
describe.skipIf(NO_WEBGPU)('a parameter group in as few dispatches as the storage bindings allow (webgpu)', () => {
  // 11 parameters of odd sizes (one empty), one of them without a gradient on the first step
  // (so its step counts, and its bias corrections, differ from the others' afterwards).
  const SIZES = [37, 1, 256, 0, 513, 7, 64, 3, 1000, 2, 19];
  it.each(CASES)('%s: 4 steps match the reference algorithm for every parameter, in ceil(count / per-dispatch) dispatches a call', async (_name, kind, o) => {
    reseed(23);
    const p0 = SIZES.map((n) => Array.from({ length: n }, () => rng() * 2 - 1));
    const grads = Array.from({ length: 4 }, () => SIZES.map((n) => Array.from({ length: n }, () => rng() * 2 - 1)));
    const ps = p0.map((v) => vec(v, 'webgpu'));
    const opt = make(kind, ps, o);
    const limit = (wg.getBackend('webgpu') as unknown as { device: GPUDevice }).device.limits.maxStorageBuffersPerShaderStage;
    for (let s = 0; s < grads.length; s++) {
      ps.forEach((p, k) => (s === 0 && k === 5 ? (p.grad = null) : setGrad(p, grads[s]![k]!)));
      const ran = await traceDispatches(async () => {
        opt.step();
        await wg.sync();
      });
      const steps = ran.filter((k) => k.startsWith('optimizer.wgsl'));
      // Bindings a parameter: gradient, itself, and the states the kind uses with these options.
      const states = kind === 'sgd' ? (o.momentum ? 1 : 0) : kind === 'adam' || kind === 'adamw' ? (o.amsgrad ? 3 : 2) : kind === 'rmsprop' ? 1 + (o.centered ? 1 : 0) + (o.momentum ? 1 : 0) : kind === 'adagrad' ? 1 : 2;
      const per = Math.min(MAX_GROUP, Math.floor(limit / (2 + states)));
      // The parameters with data updated this step (parameter 5 only from the second step), in
      // one call; or, from the second step on, where parameter 5's lagging step count changes
      // its hyper-parameters (Adam's bias corrections, a first momentum step), it goes alone.
      const live = SIZES.filter((n, k) => n > 0 && !(s === 0 && k === 5)).length;
      const one = Math.ceil(live / per);
      if (s === 0) expect(steps.length, `step ${s}: ${per} parameters a dispatch`).toBe(one);
      else expect([one, Math.ceil((live - 1) / per) + 1], `step ${s}: ${per} parameters a dispatch`).toContain(steps.length);
    }
    for (let k = 0; k < SIZES.length; k++) {
      const mine = grads.map((g) => g[k]!).slice(k === 5 ? 1 : 0);
      const ref = refRun(kind, o, p0[k]!.map(Math.fround), mine.map((g) => g.map(Math.fround)));
      expect(relErr(await values(ps[k]!), ref), `parameter ${k} (${SIZES[k]} elements)`).toBeLessThan(1e-5);
    }
  });

  it('the kernel is written per (kind, states, count): a binding per gradient, parameter and used state, and one branch per parameter', () => {
    const code = groupPreamble('adam', 3, [true, true, false], false);
    expect(code.match(/var<storage, read> g\d/g)).toHaveLength(3);
    expect(code.match(/var<storage, read_write> [wab]\d/g)).toHaveLength(9);
    expect(code).not.toMatch(/\bc\d/);
    expect(code.match(/if \(t < p\.ends/g)).toHaveLength(3);
    expect(code).toContain('let i = t - p.ends[0].y;');
    // SGD's momentum buffer is not read on the step that starts it.
    expect(groupPreamble('sgd', 1, [true, false, false], true)).toContain('sgd_update(g0[i], w0[i], 0.0)');
    expect(groupPreamble('sgd', 1, [true, false, false], false)).toContain('sgd_update(g0[i], w0[i], a0[i])');
  });
});

describe('Adagrad and Adadelta: webgpu against cpu', () => {
  it.each([
    ['Adagrad', (ps: Tensor[]) => new optim.Adagrad(ps, { lr: 0.05, lrDecay: 0.01, weightDecay: 0.01, initialAccumulatorValue: 0.1 })],
    ['Adadelta', (ps: Tensor[]) => new optim.Adadelta(ps, { weightDecay: 0.01 })],
  ] as const)('%s: 5 steps on 1000 elements agree', async (_name, mk) => {
    reseed(14);
    const p0 = Array.from({ length: 1000 }, () => rng() * 2 - 1);
    const grads = Array.from({ length: 5 }, () => Array.from({ length: 1000 }, () => rng() * 2 - 1));
    const out: number[][] = [];
    for (const device of ['cpu', 'webgpu'] as const) {
      const p = vec(p0, device);
      const opt = mk([p]);
      for (const g of grads) { setGrad(p, g); opt.step(); }
      out.push(await values(p));
    }
    expect(relErr(out[1]!, out[0]!)).toBeLessThan(1e-5);
  });
});

describe('optimizers: bad options', () => {
  const p = () => wg.zeros([2], { requiresGrad: true });
  it('names the optimizer and the option', () => {
    expect(() => new optim.SGD([p()], { lr: -1 })).toThrow(/SGD: lr must be a finite number >= 0, got -1/);
    expect(() => new optim.SGD([p()], { lr: 0.1, nesterov: true })).toThrow(/SGD: Nesterov momentum needs momentum > 0 and dampening 0/);
    expect(() => new optim.Adam([p()], { lr: 0.1, betas: [0.9, 1] })).toThrow(/Adam: betas\[1\] must be a finite number >= 0 and < 1, got 1/);
    expect(() => new optim.SGD([], { lr: 0.1 })).toThrow(/SGD: got an empty parameter list/);
    expect(() => new optim.SGD([wg.zeros([2])], { lr: 0.1 })).toThrow(/SGD: parameters must be leaf tensors that require grad/);
    const q = p();
    expect(() => new optim.SGD([{ params: [q] }, { params: [q] }], { lr: 0.1 })).toThrow(/appears in more than one group/);
    expect(() => new optim.Adagrad([p()], { lrDecay: -1 })).toThrow(/Adagrad: lrDecay must be a finite number >= 0, got -1/);
    expect(() => new optim.Adadelta([p()], { rho: 1.5 })).toThrow(/Adadelta: rho must be a finite number >= 0 and <= 1, got 1.5/);
    expect(() => new optim.StepLR(new optim.SGD([p()], { lr: 1 }), 0)).toThrow(/StepLR: stepSize must be an integer >= 1, got 0/);
  });
});
