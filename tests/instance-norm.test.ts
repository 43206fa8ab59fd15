/**
 * F.instanceNorm and nn.InstanceNorm1d / 2d, PyTorch's semantics: per-(n, c) statistics over the
 * spatial dims, the running statistics' update (the batch mean of the per-instance statistics,
 * the variance unbiased), useInputStats false, affine and trackRunningStats in the modules.
 * Values against a reference written here; webgpu against cpu; gradcheck in float64 on cpu.
 * Refused calls: tests/sweep/ops13a.ts.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import { DEVICES, expectClose, pair, relErr, reseed, useDevices } from './helpers.js';

useDevices();
const F = wg.F;

/** Instance norm of contiguous [N, C, S] host data, from the definition. */
function reference(v: ArrayLike<number>, N: number, C: number, S: number, eps = 1e-5): { y: number[]; mean: number[]; varB: number[] } {
  const y: number[] = [];
  const mean: number[] = [];
  const varB: number[] = [];
  for (let p = 0; p < N * C; p++) {
    const xs = Array.from({ length: S }, (_, s) => v[p * S + s]!);
    const m = xs.reduce((a, b) => a + b, 0) / S;
    const va = xs.reduce((a, b) => a + (b - m) ** 2, 0) / S;
    mean.push(m);
    varB.push(va);
    for (const x of xs) y.push((x - m) / Math.sqrt(va + eps));
  }
  return { y, mean, varB };
}

describe.each(DEVICES)('instanceNorm on %s', (device) => {
  it('normalizes each (n, c) plane by its own mean and biased variance', async () => {
    reseed(61);
    const [c, x] = pair([2, 3, 4, 5], device);
    const ref = reference(await c.data(), 2, 3, 20);
    expect(relErr(Array.from(await F.instanceNorm(x).data()), ref.y)).toBeLessThan(1e-5);
  });

  it('updates runningMean / runningVar with the batch mean of the per-instance statistics (variance unbiased)', async () => {
    reseed(62);
    const [c, x] = pair([3, 2, 6], device, { low: 0, high: 5 });
    const rm = wg.zeros([2], { device });
    const rv = wg.ones([2], { device });
    F.instanceNorm(x, { runningMean: rm, runningVar: rv, momentum: 0.2 });
    const ref = reference(await c.data(), 3, 2, 6);
    for (let ch = 0; ch < 2; ch++) {
      const m = [0, 1, 2].reduce((a, n) => a + ref.mean[n * 2 + ch]!, 0) / 3;
      const vu = [0, 1, 2].reduce((a, n) => a + ref.varB[n * 2 + ch]! * 6 / 5, 0) / 3;
      expect((await rm.data())[ch]).toBeCloseTo(0.2 * m, 5);
      expect((await rv.data())[ch]).toBeCloseTo(0.8 + 0.2 * vu, 5);
    }
  });

  it('with useInputStats false normalizes by the running statistics, then weight and bias per channel', async () => {
    const x = wg.tensor([[[1, 3], [2, 6]]], { device }); // [1, 2, 2]
    const y = F.instanceNorm(x, {
      runningMean: wg.tensor([1, 2], { device }), runningVar: wg.tensor([4, 16], { device }), useInputStats: false, eps: 0,
      weight: wg.tensor([2, 1], { device }), bias: wg.tensor([0, 10], { device }),
    });
    // channel 0: (x - 1) / 2 * 2 = 0, 2; channel 1: (x - 2) / 4 + 10 = 10, 11
    expect(await y.toArray()).toEqual([[[0, 2], [10, 11]]]);
  });

  it('forward and backward match cpu on odd sizes and a transposed input, with weight and bias', async () => {
    reseed(63);
    const [c, d] = pair([3, 7, 5], device);
    const [wc, w] = pair([5], device);
    const [bc, b] = pair([5], device);
    const cx = c.transpose(1, 2).detach().requiresGrad_();
    const dx = d.transpose(1, 2).detach().requiresGrad_();
    const yc = F.instanceNorm(cx, { weight: wc, bias: bc });
    const yd = F.instanceNorm(dx, { weight: w, bias: b });
    await expectClose(yd, yc, 1e-5);
    const [gc, g] = pair([3, 5, 7], device);
    yc.mul(gc).sum().backward();
    yd.mul(g).sum().backward();
    await expectClose(dx.grad!, cx.grad!, 1e-4);
  });

  it('nn.InstanceNorm2d: no parameters or running statistics by default; unbatched [C, H, W] works', async () => {
    reseed(64);
    const m = new wg.nn.InstanceNorm2d(3, { device });
    expect(Object.keys(m.stateDict())).toEqual([]);
    const [, x] = pair([2, 3, 4, 4], device);
    await expectClose(m.forward(x), F.instanceNorm(x));
    const u = m.forward(x.select(0, 1));
    expect(u.shape).toEqual([3, 4, 4]);
    await expectClose(u, F.instanceNorm(x).select(0, 1).contiguous());
  });

  it('nn.InstanceNorm1d with affine and trackRunningStats: PyTorch names, running statistics used in eval', async () => {
    reseed(65);
    const m = new wg.nn.InstanceNorm1d(4, { affine: true, trackRunningStats: true, device });
    expect(Object.keys(m.stateDict()).sort()).toEqual(['bias', 'num_batches_tracked', 'running_mean', 'running_var', 'weight']);
    const [, x] = pair([2, 4, 9], device, { low: 1, high: 3 });
    m.forward(x);
    const rm = Array.from(await (m.stateDict().running_mean as wg.Tensor).data());
    expect(rm.every((v) => v > 0.1 && v < 0.3)).toBe(true); // 0.1 * a mean in [1, 3)
    m.eval();
    const rs = m.stateDict();
    await expectClose(m.forward(x), F.instanceNorm(x, { runningMean: rs.running_mean, runningVar: rs.running_var, weight: rs.weight, bias: rs.bias, useInputStats: false }));
  });
});

describe('instanceNorm gradcheck (float64, cpu)', () => {
  it('with and without weight and bias, and gradgradcheck', async () => {
    const n = 2 * 3 * 4;
    const x = wg.tensor(Float64Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) * 2), { shape: [2, 3, 4], requiresGrad: true });
    const w = wg.tensor(Float64Array.from([0.5, 1.5, -1]), { requiresGrad: true });
    const b = wg.tensor(Float64Array.from([0.1, 0, -0.2]), { requiresGrad: true });
    expect(await wg.gradcheck((t) => F.instanceNorm(t), [x])).toBe(true);
    expect(await wg.gradcheck((t, ww, bb) => F.instanceNorm(t, { weight: ww, bias: bb }), [x, w, b])).toBe(true);
    expect(await wg.gradgradcheck((t) => F.instanceNorm(t).square(), [x])).toBe(true);
  });
});
