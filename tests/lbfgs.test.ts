/**
 * optim.LBFGS on both devices: it minimises the Rosenbrock function and a least-squares problem
 * to their known solutions, with and without the strong-Wolfe line search; its first iterates
 * (one iteration per step) match a plain-JS two-loop recursion written here; the closure may be
 * async; the state round-trips through stateDict/loadStateDict. Refused calls:
 * tests/sweep/ops13b.ts.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { DEVICES, reseed, rng, useDevices } from './helpers.js';

useDevices();

const rosenbrock = (p: Tensor) => {
  const x = p.slice([0, 1]);
  const y = p.slice([1, 2]);
  return x.neg().add(1).square().add(y.sub(x.square()).square().mul(100)).sum();
};

/** A 20 x 3 least-squares problem with the exact solution [1, -2, 0.5] (b = A x*, no noise). */
function leastSquares(): { A: number[][]; b: number[]; xStar: number[] } {
  reseed(51);
  const xStar = [1, -2, 0.5];
  const A = Array.from({ length: 20 }, () => Array.from({ length: 3 }, () => rng() * 2 - 1));
  const b = A.map((r) => r.reduce((s, v, j) => s + v * xStar[j]!, 0));
  return { A, b, xStar };
}

/** PyTorch's L-BFGS without line search, one iteration per call, in plain JS numbers. */
function referenceIterates(grad: (x: number[]) => number[], x0: number[], steps: number, lr: number, history = 100): number[][] {
  const dotp = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0);
  let x = [...x0];
  const S: number[][] = [];
  const Y: number[][] = [];
  const rho: number[] = [];
  let h = 1;
  let prevG: number[] = [];
  let d: number[] = [];
  let t = 0;
  const out: number[][] = [];
  for (let k = 0; k < steps; k++) {
    const g = grad(x);
    if (k === 0) d = g.map((v) => -v);
    else {
      const y = g.map((v, i) => v - prevG[i]!);
      const s = d.map((v) => v * t);
      const ys = dotp(y, s);
      if (ys > 1e-10) {
        if (S.length === history) { S.shift(); Y.shift(); rho.shift(); }
        S.push(s); Y.push(y); rho.push(1 / ys);
        h = ys / dotp(y, y);
      }
      const q = g.map((v) => -v);
      const a: number[] = [];
      for (let i = S.length - 1; i >= 0; i--) {
        a[i] = dotp(S[i]!, q) * rho[i]!;
        for (let j = 0; j < q.length; j++) q[j]! -= a[i]! * Y[i]![j]!;
      }
      const r = q.map((v) => v * h);
      for (let i = 0; i < S.length; i++) {
        const beta = dotp(Y[i]!, r) * rho[i]!;
        for (let j = 0; j < r.length; j++) r[j]! += (a[i]! - beta) * S[i]![j]!;
      }
      d = r;
    }
    prevG = g;
    t = k === 0 ? Math.min(1, 1 / g.reduce((s, v) => s + Math.abs(v), 0)) * lr : lr;
    x = x.map((v, i) => v + t * d[i]!);
    out.push([...x]);
  }
  return out;
}

describe.each(DEVICES)('LBFGS on %s', (device) => {
  const lsq = leastSquares();
  const lsqLoss = (p: Tensor) => wg.tensor(lsq.A, { device }).matmul(p).sub(wg.tensor(lsq.b, { device })).square().mean();

  for (const lineSearchFn of [null, 'strong_wolfe'] as const) {
    it(`solves least squares to the known solution (lineSearchFn ${lineSearchFn})`, async () => {
      const p = wg.zeros([3], { device, requiresGrad: true });
      const opt = new wg.optim.LBFGS([p], { lineSearchFn, maxIter: 50 });
      for (let i = 0; i < 3; i++) {
        await opt.step(() => {
          opt.zeroGrad();
          const l = lsqLoss(p);
          l.backward();
          return l;
        });
      }
      const v = Array.from(await p.data());
      v.forEach((a, i) => expect(a).toBeCloseTo(lsq.xStar[i]!, 3));
    });
  }

  it('minimises the Rosenbrock function to (1, 1) with strong_wolfe', async () => {
    const p = wg.tensor([-1.5, 2], { device, requiresGrad: true });
    const opt = new wg.optim.LBFGS([p], { lineSearchFn: 'strong_wolfe', maxIter: 100, historySize: 10 });
    const closure = () => {
      opt.zeroGrad();
      const l = rosenbrock(p);
      l.backward();
      return l;
    };
    for (let i = 0; i < 4; i++) await opt.step(closure);
    const v = Array.from(await p.data());
    expect(v[0]).toBeCloseTo(1, 2);
    expect(v[1]).toBeCloseTo(1, 2);
    expect(await rosenbrock(p).item()).toBeLessThan(1e-5);
  });

  it('minimises the Rosenbrock function without a line search (lr 0.1, an async closure)', async () => {
    const p = wg.tensor([-1.5, 2], { device, requiresGrad: true });
    const opt = new wg.optim.LBFGS([p], { lr: 0.1, maxIter: 200, historySize: 10 });
    const closure = async () => {
      opt.zeroGrad();
      const l = rosenbrock(p);
      l.backward();
      await wg.sync();
      return l;
    };
    const first = await rosenbrock(p).item();
    for (let i = 0; i < 10; i++) await opt.step(closure);
    const last = await rosenbrock(p).item();
    expect(last).toBeLessThan(first * 1e-3);
    const v = Array.from(await p.data());
    expect(v[0]).toBeCloseTo(1, 1);
    expect(v[1]).toBeCloseTo(1, 1);
  });

  it('takes the iterates of the plain two-loop recursion (first 6 steps, maxIter 1)', async () => {
    const p = wg.tensor([0.3, -0.2, 0.1], { device, requiresGrad: true });
    const opt = new wg.optim.LBFGS([p], { lr: 0.8, maxIter: 1 });
    const grad = (x: number[]) => {
      // d/dx mean((A x - b)^2) = 2/n A^T (A x - b)
      const r = lsq.A.map((row, i) => row.reduce((s, v, j) => s + v * x[j]!, 0) - lsq.b[i]!);
      return [0, 1, 2].map((j) => (2 / lsq.A.length) * lsq.A.reduce((s, row, i) => s + row[j]! * r[i]!, 0));
    };
    const ref = referenceIterates(grad, [0.3, -0.2, 0.1], 6, 0.8);
    for (let k = 0; k < 6; k++) {
      await opt.step(() => {
        opt.zeroGrad();
        const l = lsqLoss(p);
        l.backward();
        return l;
      });
      const v = Array.from(await p.data());
      v.forEach((a, i) => expect(Math.abs(a - ref[k]![i]!)).toBeLessThan(1e-4));
    }
  });

  it('resolves to the loss before the step and stops at once at a minimum (toleranceGrad)', async () => {
    const p = wg.tensor([1, 1], { device, requiresGrad: true });
    const opt = new wg.optim.LBFGS([p]);
    let calls = 0;
    const loss = await opt.step(() => {
      calls++;
      opt.zeroGrad();
      const l = rosenbrock(p);
      l.backward();
      return l;
    });
    expect(await (loss as Tensor).item()).toBe(0);
    expect(calls).toBe(1);
  });

  it('continues from a loaded stateDict as the original does', async () => {
    const make = () => wg.tensor([-1.2, 1], { device, requiresGrad: true });
    const run = (p: Tensor, opt: InstanceType<typeof wg.optim.LBFGS>) => opt.step(() => {
      opt.zeroGrad();
      const l = rosenbrock(p);
      l.backward();
      return l;
    });
    const a = make();
    const optA = new wg.optim.LBFGS([a], { maxIter: 3, lineSearchFn: 'strong_wolfe' });
    await run(a, optA);
    const b = wg.tensor(Array.from(await a.data()), { device, requiresGrad: true });
    const optB = new wg.optim.LBFGS([b], { maxIter: 1 });
    optB.loadStateDict(optA.stateDict());
    expect(optB.paramGroups[0]!.options.lineSearchFn).toBe('strong_wolfe');
    await run(a, optA);
    await run(b, optB);
    const va = Array.from(await a.data());
    const vb = Array.from(await b.data());
    va.forEach((v, i) => expect(vb[i]).toBeCloseTo(v, 5));
  });
});
