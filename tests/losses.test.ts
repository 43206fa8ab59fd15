/**
 * The losses of webgrad.nn.functional: hand-computed values (the math is written next to each
 * number), every option, webgpu against cpu (forward and gradients), gradcheck / gradgradcheck
 * in float64 on cpu, and the errors.
 */
import type { DeviceName } from '../src/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { Tensor } from '../src/index.js';
import type { WebGPUBackend } from '../src/kernels/webgpu/index.js';
import { NN_SOFTMAX_LIMITS } from '../src/kernels/softmax/webgpu.js';
import { DEVICES, relErr, reseed, rng, traceDispatches, useDevices } from './helpers.js';

useDevices();
const { F } = wg;
const { log } = Math;
const close = (got: number, want: number, tol = 1e-6) => expect(Math.abs(got - want), `${got} vs ${want}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want)));
const closeAll = (got: unknown, want: number[], tol = 1e-6) => {
  const g = (got as number[]).flat(4) as number[];
  expect(g.length).toBe(want.length);
  g.forEach((v, i) => close(v, want[i]!, tol));
};

describe.each(DEVICES)('crossEntropy on %s: hand-computed values', (device) => {
  // Row 0: logits ln[1, 2, 3], so softmax = [1, 2, 3] / 6 and -logp = [ln 6, ln 3, ln 2].
  // Row 1: logits [0, 0, 0], softmax = 1/3 each, -logp = ln 3 for every class.
  const x = () => wg.tensor([[0, log(2), log(3)], [0, 0, 0]], { dtype: 'float32', device, requiresGrad: true });
  const t = (v: number[]) => wg.tensor(v, { dtype: 'int32', device });

  it('all reductions: per-sample -logp[t], their sum, their mean', async () => {
    const target = t([2, 0]); // losses ln 2 and ln 3
    closeAll(await F.crossEntropy(x(), target, { reduction: 'none' }).toArray(), [log(2), log(3)]);
    close(await F.crossEntropy(x(), target, { reduction: 'sum' }).item(), log(6));
    close(await F.crossEntropy(x(), target).item(), log(6) / 2);
  });

  it('a -inf logit of another class leaves the loss finite, as in PyTorch; with smoothing it is inf', async () => {
    // logsumexp(0, -inf, 1) = ln(1 + e); the target's logit is 0.
    const xi = wg.tensor([[0, -Infinity, 1]], { dtype: 'float32', device });
    close(await F.crossEntropy(xi, t([0])).item(), Math.log(1 + Math.E));
    expect(await F.crossEntropy(xi, t([0]), { labelSmoothing: 0.1 }).item()).toBe(Infinity);
  });

  it('gradient of the mean: (softmax - onehot(t)) / N', async () => {
    const xs = x();
    F.crossEntropy(xs, t([2, 0])).backward();
    closeAll(await xs.grad!.toArray(), [1 / 12, 2 / 12, (3 / 6 - 1) / 2, (1 / 3 - 1) / 2, 1 / 6, 1 / 6]);
  });

  it('class weights w = [1, 2, 3]: w[t] (-logp[t]); the mean divides by sum of w[t]', async () => {
    const weight = wg.tensor([1, 2, 3], { dtype: 'float32', device });
    const target = t([2, 0]); // w[t] = 3 and 1: losses 3 ln 2 and ln 3
    closeAll(await F.crossEntropy(x(), target, { weight, reduction: 'none' }).toArray(), [3 * log(2), log(3)]);
    close(await F.crossEntropy(x(), target, { weight, reduction: 'sum' }).item(), 3 * log(2) + log(3));
    close(await F.crossEntropy(x(), target, { weight }).item(), (3 * log(2) + log(3)) / 4);
    // Gradient of the weighted mean: w[t] (softmax - onehot) / sum w[t].
    const xs = x();
    F.crossEntropy(xs, target, { weight }).backward();
    closeAll(await xs.grad!.toArray(), [3 / 6 / 4, 3 * 2 / 6 / 4, 3 * (3 / 6 - 1) / 4, (1 / 3 - 1) / 4, 1 / 3 / 4, 1 / 3 / 4]);
  });

  it('ignoreIndex: ignored samples give 0 and leave the mean divisor', async () => {
    closeAll(await F.crossEntropy(x(), t([2, -100]), { reduction: 'none' }).toArray(), [log(2), 0]);
    close(await F.crossEntropy(x(), t([2, -100])).item(), log(2)); // ln 2 / 1 sample
    close(await F.crossEntropy(x(), t([2, 0]), { ignoreIndex: 0 }).item(), log(2));
    const weight = wg.tensor([1, 2, 3], { dtype: 'float32', device });
    close(await F.crossEntropy(x(), t([-100, 1]), { weight }).item(), log(3)); // 2 ln 3 / 2
    // Every sample ignored: 0 / 0 = NaN, as in PyTorch; the gradient is 0 where ignored.
    expect(Number.isNaN(await F.crossEntropy(x(), t([-100, -100])).item())).toBe(true);
    const xs = x();
    F.crossEntropy(xs, t([-100, 0]), { reduction: 'sum' }).backward();
    closeAll(await xs.grad!.toArray(), [0, 0, 0, 1 / 3 - 1, 1 / 3, 1 / 3]);
  });

  it('label smoothing e = 0.3: (1 - e) (-logp[t]) + (e / C) sum_c (-logp[c])', async () => {
    const target = t([2, 0]);
    // Row 0: 0.7 ln 2 + 0.1 (ln 6 + ln 3 + ln 2); row 1: 0.7 ln 3 + 0.1 (3 ln 3) = ln 3.
    const want = [0.7 * log(2) + 0.1 * (log(6) + log(3) + log(2)), log(3)];
    closeAll(await F.crossEntropy(x(), target, { labelSmoothing: 0.3, reduction: 'none' }).toArray(), want);
    close(await F.crossEntropy(x(), target, { labelSmoothing: 0.3 }).item(), (want[0]! + want[1]!) / 2);
    // Gradient of the sum: softmax - (0.7 onehot(t) + 0.1).
    const xs = x();
    F.crossEntropy(xs, target, { labelSmoothing: 0.3, reduction: 'sum' }).backward();
    closeAll(await xs.grad!.toArray(), [1 / 6 - 0.1, 2 / 6 - 0.1, 3 / 6 - 0.8, 1 / 3 - 0.8, 1 / 3 - 0.1, 1 / 3 - 0.1]);
  });

  it('label smoothing with weights (PyTorch: (1 - e) w[t] (-logp[t]) + (e / C) sum_c w[c] (-logp[c]), mean over sum w[t])', async () => {
    const weight = wg.tensor([1, 2, 3], { dtype: 'float32', device });
    // Row 0 (t = 2): 0.7 * 3 ln 2 + 0.1 (ln 6 + 2 ln 3 + 3 ln 2); row 1 (t = 0): 0.7 ln 3 + 0.1 * 6 ln 3 = 1.3 ln 3.
    const r0 = 0.7 * 3 * log(2) + 0.1 * (log(6) + 2 * log(3) + 3 * log(2));
    const r1 = 1.3 * log(3);
    closeAll(await F.crossEntropy(x(), t([2, 0]), { weight, labelSmoothing: 0.3, reduction: 'none' }).toArray(), [r0, r1]);
    close(await F.crossEntropy(x(), t([2, 0]), { weight, labelSmoothing: 0.3 }).item(), (r0 + r1) / 4);
    close(await F.crossEntropy(x(), t([2, -100]), { weight, labelSmoothing: 0.3 }).item(), r0 / 3);
  });

  it('probability targets: -sum_c q[c] logp[c], the mean over samples, with smoothing and weights', async () => {
    const q = wg.tensor([[0.5, 0.5, 0], [0, 0, 1]], { dtype: 'float32', device });
    // Row 0: 0.5 ln 6 + 0.5 ln 3; row 1: ln 3.
    const r0 = 0.5 * log(6) + 0.5 * log(3);
    closeAll(await F.crossEntropy(x(), q, { reduction: 'none' }).toArray(), [r0, log(3)]);
    close(await F.crossEntropy(x(), q).item(), (r0 + log(3)) / 2);
    // Smoothing 0.3: q' = 0.7 q + 0.1 -> row 0: [0.45, 0.45, 0.1]; row 1: [0.1, 0.1, 0.8] (-logp all ln 3).
    const s0 = 0.45 * log(6) + 0.45 * log(3) + 0.1 * log(2);
    closeAll(await F.crossEntropy(x(), q, { labelSmoothing: 0.3, reduction: 'none' }).toArray(), [s0, log(3)]);
    // Weights [1, 2, 3]: row 0: 0.5 ln 6 + 2 * 0.5 ln 3; row 1: 3 ln 3; the mean still divides by N = 2.
    const weight = wg.tensor([1, 2, 3], { dtype: 'float32', device });
    close(await F.crossEntropy(x(), q, { weight }).item(), (0.5 * log(6) + log(3) + 3 * log(3)) / 2);
    // Gradient w.r.t. the logits of the sum: softmax * sum(q) - q.
    const xs = x();
    F.crossEntropy(xs, q, { reduction: 'sum' }).backward();
    closeAll(await xs.grad!.toArray(), [1 / 6 - 0.5, 2 / 6 - 0.5, 3 / 6, 1 / 3, 1 / 3, 1 / 3 - 1]);
  });

  it('unbatched [C] logits with a 0-d target, and [N, C, d] logits', async () => {
    close(await F.crossEntropy(wg.tensor([0, log(2), log(3)], { dtype: 'float32', device }), wg.tensor(1, { dtype: 'int32', device })).item(), log(3));
    // [1, 3, 2]: position 0 holds row 0's logits, position 1 row 1's.
    const x3 = wg.tensor([[[0, 0], [log(2), 0], [log(3), 0]]], { dtype: 'float32', device });
    const t3 = wg.tensor([[2, 0]], { dtype: 'int32', device });
    const per = F.crossEntropy(x3, t3, { reduction: 'none' });
    expect(per.shape).toEqual([1, 2]);
    closeAll(await per.toArray(), [log(2), log(3)]);
  });

  it('large logits (1e4) give exact, finite losses and gradients', async () => {
    const xs = wg.tensor([[1e4, -1e4, 0], [1e4, 1e4, -1e4]], { dtype: 'float32', device, requiresGrad: true });
    const per = F.crossEntropy(xs, t([0, 1]), { reduction: 'none' });
    closeAll(await per.toArray(), [0, log(2)]);
    per.sum().backward();
    closeAll(await xs.grad!.toArray(), [0, 0, 0, 0.5, -0.5, 0]);
  });
});

describe.each(DEVICES)('other losses on %s: hand-computed values', (device) => {
  const f = (v: number[]) => wg.tensor(v, { dtype: 'float32', device });

  it('nllLoss: -w[t] input[t], ignoreIndex, weighted mean', async () => {
    const lp = wg.tensor([[-1, -2, -3], [-4, -5, -6]], { dtype: 'float32', device, requiresGrad: true });
    const t = wg.tensor([2, 0], { dtype: 'int32', device });
    closeAll(await F.nllLoss(lp, t, { reduction: 'none' }).toArray(), [3, 4]);
    close(await F.nllLoss(lp, t).item(), 3.5);
    close(await F.nllLoss(lp, t, { weight: f([1, 2, 3]) }).item(), (9 + 4) / 4);
    close(await F.nllLoss(lp, wg.tensor([2, -100], { dtype: 'int32', device })).item(), 3);
    F.nllLoss(lp, t, { weight: f([1, 2, 3]), reduction: 'sum' }).backward();
    closeAll(await lp.grad!.toArray(), [0, 0, -3, -1, 0, 0]);
  });

  it('mseLoss, l1Loss, smoothL1Loss', async () => {
    const a = f([1, 2, 3, 4]);
    const b = f([1.5, 2, 1, 8]); // d = [-0.5, 0, 2, -4]
    close(await F.mseLoss(a, b).item(), (0.25 + 0 + 4 + 16) / 4);
    close(await F.mseLoss(a, b, { reduction: 'sum' }).item(), 20.25);
    closeAll(await F.l1Loss(a, b, { reduction: 'none' }).toArray(), [0.5, 0, 2, 4]);
    close(await F.l1Loss(a, b).item(), 6.5 / 4);
    // beta 1: 0.5 d^2 below 1, |d| - 0.5 above: [0.125, 0, 1.5, 3.5].
    closeAll(await F.smoothL1Loss(a, b, { reduction: 'none' }).toArray(), [0.125, 0, 1.5, 3.5]);
    // beta 3: [0.25 / 6, 0, 4 / 6, 4 - 1.5].
    closeAll(await F.smoothL1Loss(a, b, { beta: 3, reduction: 'none' }).toArray(), [0.25 / 6, 0, 4 / 6, 2.5]);
    close(await F.smoothL1Loss(a, b, { beta: 0 }).item(), 6.5 / 4); // = l1Loss
  });

  it('binaryCrossEntropy: -(t log p + (1 - t) log(1 - p)), logs clamped at -100', async () => {
    const p = f([0.25, 0.5, 0.9, 0, 1]);
    const t = f([1, 0, 0.5, 1, 1]);
    const want = [-log(0.25), -log(0.5), -(0.5 * log(0.9) + 0.5 * log(0.1)), 100, 0];
    closeAll(await F.binaryCrossEntropy(p, t, { reduction: 'none' }).toArray(), want, 1e-5);
    close(await F.binaryCrossEntropy(p, t, { reduction: 'sum', weight: f([2, 1, 1, 0, 1]) }).item(), 2 * want[0]! + want[1]! + want[2]!, 1e-5);
    const pg = wg.tensor([0.25, 0.5], { dtype: 'float32', device, requiresGrad: true });
    F.binaryCrossEntropy(pg, f([1, 0]), { reduction: 'sum' }).backward();
    closeAll(await pg.grad!.toArray(), [-4, 2]); // (p - t) / (p (1 - p))
  });

  it('binaryCrossEntropyWithLogits: max(x, 0) - x t + log(1 + exp(-|x|)), posWeight, no overflow', async () => {
    const x = wg.tensor([0, 2, -3, 100, -100], { dtype: 'float32', device, requiresGrad: true });
    const t = f([1, 0, 1, 0, 1]);
    const sp = (v: number) => Math.max(v, 0) + log(1 + Math.exp(-Math.abs(v))); // softplus
    const want = [log(2), sp(2), sp(3), 100, 100];
    closeAll(await F.binaryCrossEntropyWithLogits(x, t, { reduction: 'none' }).toArray(), want, 1e-5);
    // posWeight 3: (1 - t) x + (1 + 2 t) softplus(-x).
    const withPw = [3 * log(2), 2 + sp(-2), 3 * sp(3), 100, 300];
    closeAll(await F.binaryCrossEntropyWithLogits(x, t, { posWeight: f([3]), reduction: 'none' }).toArray(), withPw, 1e-5);
    // Gradient of the sum at x = 0 (t = 1) is sigmoid(0) - 1 = -0.5: smooth there despite |x|.
    F.binaryCrossEntropyWithLogits(x, t, { reduction: 'sum' }).backward();
    const s = (v: number) => 1 / (1 + Math.exp(-v));
    closeAll(await x.grad!.toArray(), [-0.5, s(2), s(-3) - 1, 1, -1], 1e-5);
  });
});

// ---- every loss: webgpu against cpu, and gradcheck -----------------------------------------------

interface Input {
  shape: number[];
  /** Float data uniform in [low, high) (differentiated unless grad is false) ... */
  low?: number;
  high?: number;
  grad?: boolean;
  /** ... or int32 class indices in [0, int), with some set to ignoreIndex -100 when `ignore`. */
  int?: number;
  ignore?: boolean;
  /** Rows summing to 1 along dim 1 (probability targets). */
  probs?: boolean;
}
interface Case {
  name: string;
  inputs: Input[];
  fn: (...xs: Tensor[]) => Tensor;
  noSecond?: string;
}

const noGradW = { grad: false };
const cases: Case[] = [
  { name: 'crossEntropy mean', inputs: [{ shape: [5, 4] }, { shape: [5], int: 4 }], fn: (x, t) => F.crossEntropy(x, t) },
  { name: 'crossEntropy sum, batch 1', inputs: [{ shape: [1, 7] }, { shape: [1], int: 7 }], fn: (x, t) => F.crossEntropy(x, t, { reduction: 'sum' }) },
  { name: 'crossEntropy none, ignoreIndex', inputs: [{ shape: [6, 3] }, { shape: [6], int: 3, ignore: true }], fn: (x, t) => F.crossEntropy(x, t, { reduction: 'none' }) },
  {
    name: 'crossEntropy weights + smoothing + ignoreIndex, mean',
    inputs: [{ shape: [5, 4] }, { shape: [5], int: 4, ignore: true }, { shape: [4], low: 0.5, high: 2, ...noGradW }],
    fn: (x, t, w) => F.crossEntropy(x, t, { weight: w, labelSmoothing: 0.2 }),
  },
  { name: 'crossEntropy [N, C, d1, d2] layout', inputs: [{ shape: [2, 3, 2, 3] }, { shape: [2, 2, 3], int: 3, ignore: true }], fn: (x, t) => F.crossEntropy(x, t, { labelSmoothing: 0.1 }) },
  { name: 'crossEntropy transposed logits, unbatched', inputs: [{ shape: [4, 3] }, { shape: [], int: 3 }], fn: (x, t) => F.crossEntropy(x.T.select(1, 2), t) },
  { name: 'crossEntropy of a transposed [C, N] view', inputs: [{ shape: [4, 5] }, { shape: [5], int: 4 }], fn: (x, t) => F.crossEntropy(x.T, t, { reduction: 'sum' }) },
  { name: 'crossEntropy probability targets', inputs: [{ shape: [3, 4] }, { shape: [3, 4], probs: true }], fn: (x, q) => F.crossEntropy(x, q) },
  {
    name: 'crossEntropy probability targets, smoothing, weights, [N, C, d]',
    inputs: [{ shape: [2, 3, 2] }, { shape: [2, 3, 2], probs: true }, { shape: [3], low: 0.5, high: 2, ...noGradW }],
    fn: (x, q, w) => F.crossEntropy(x, q, { labelSmoothing: 0.25, weight: w, reduction: 'sum' }),
  },
  { name: 'nllLoss mean, weights, ignoreIndex', inputs: [{ shape: [5, 3] }, { shape: [5], int: 3, ignore: true }, { shape: [3], low: 0.5, high: 2, ...noGradW }], fn: (x, t, w) => F.nllLoss(x, t, { weight: w }) },
  { name: 'nllLoss none, [N, C, d]', inputs: [{ shape: [2, 4, 3] }, { shape: [2, 3], int: 4 }], fn: (x, t) => F.nllLoss(x, t, { reduction: 'none' }) },
  { name: 'mseLoss', inputs: [{ shape: [3, 5] }, { shape: [3, 5] }], fn: (a, b) => F.mseLoss(a, b) },
  { name: 'mseLoss none, strided', inputs: [{ shape: [4, 3] }, { shape: [3, 4] }], fn: (a, b) => F.mseLoss(a.T, b, { reduction: 'none' }) },
  { name: 'l1Loss sum', inputs: [{ shape: [7] }, { shape: [7] }], fn: (a, b) => F.l1Loss(a, b, { reduction: 'sum' }), noSecond: 'piecewise linear' },
  { name: 'smoothL1Loss beta 0.7', inputs: [{ shape: [3, 5] }, { shape: [3, 5] }], fn: (a, b) => F.smoothL1Loss(a, b, { beta: 0.7 }), noSecond: 'piecewise' },
  { name: 'binaryCrossEntropy', inputs: [{ shape: [3, 4], low: 0.05, high: 0.95 }, { shape: [3, 4], low: 0, high: 1 }], fn: (p, t) => F.binaryCrossEntropy(p, t) },
  {
    name: 'binaryCrossEntropy weight, none',
    inputs: [{ shape: [2, 5], low: 0.05, high: 0.95 }, { shape: [2, 5], low: 0, high: 1 }, { shape: [5], low: 0.5, high: 2 }],
    fn: (p, t, w) => F.binaryCrossEntropy(p, t, { weight: w, reduction: 'none' }),
  },
  { name: 'binaryCrossEntropyWithLogits', inputs: [{ shape: [3, 4], low: -4, high: 4 }, { shape: [3, 4], low: 0, high: 1 }], fn: (x, t) => F.binaryCrossEntropyWithLogits(x, t) },
  {
    name: 'binaryCrossEntropyWithLogits weight, posWeight',
    inputs: [{ shape: [3, 4], low: -4, high: 4 }, { shape: [3, 4], low: 0, high: 1 }, { shape: [3, 1], low: 0.5, high: 2 }, { shape: [4], low: 0.5, high: 3 }],
    fn: (x, t, w, pw) => F.binaryCrossEntropyWithLogits(x, t, { weight: w, posWeight: pw, reduction: 'sum' }),
  },
];

function caseData(c: Case): number[][] {
  return c.inputs.map((s) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    if (s.int !== undefined) return Array.from({ length: n }, (_, i) => (s.ignore && i % 3 === 1 ? -100 : Math.floor(rng() * s.int!)));
    const v = Array.from({ length: n }, () => (s.low ?? -2) + ((s.high ?? 2) - (s.low ?? -2)) * rng());
    if (!s.probs) return v.map((x) => (Math.abs(x) < 0.05 ? x + 0.1 : x)); // off the kinks of l1 / smoothL1
    // Normalise along dim 1.
    const [n0, C] = [s.shape[0]!, s.shape[1]!];
    const inner = n / (n0 * C);
    for (let a = 0; a < n0; a++) {
      for (let k = 0; k < inner; k++) {
        let sum = 0;
        for (let c = 0; c < C; c++) sum += v[(a * C + c) * inner + k]! += 2.5;
        for (let c = 0; c < C; c++) v[(a * C + c) * inner + k]! /= sum;
      }
    }
    return v;
  });
}

function build(c: Case, d: number[][], dtype: 'float32' | 'float64', device: DeviceName): Tensor[] {
  return c.inputs.map((s, i) =>
    s.int !== undefined
      ? wg.tensor(Int32Array.from(d[i]!), { shape: s.shape, device })
      : wg.tensor(d[i]!, { shape: s.shape, dtype, device, requiresGrad: s.grad !== false }),
  );
}

describe.each(DEVICES)('every loss on %s matches cpu (float32): forward and gradients', (device) => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    reseed(cases.indexOf(c) + 1);
    const d = caseData(c);
    const run = async (dev: DeviceName) => {
      const xs = build(c, d, 'float32', dev);
      const y = c.fn(...xs);
      reseed(99);
      const w = wg.tensor(Array.from({ length: y.size }, () => rng() + 0.5), { shape: y.shape, dtype: 'float32', device: dev });
      y.mul(w).sum().backward();
      const out = [Array.from(await y.data())];
      for (const x of xs) if (x.requiresGrad) out.push(Array.from(await x.grad!.data()));
      return out;
    };
    const [got, ref] = [await run(device), await run('cpu')];
    expect(got.length).toBe(ref.length);
    got.forEach((g, i) => expect(relErr(g, ref[i]!), `${i === 0 ? 'value' : `grad ${i}`}: ${g.slice(0, 6)} vs ${ref[i]!.slice(0, 6)}`).toBeLessThan(2e-5));
  });
});

describe('every loss: gradcheck (float64, cpu)', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    reseed(cases.indexOf(c) + 1);
    expect(await wg.gradcheck(c.fn, build(c, caseData(c), 'float64', 'cpu'))).toBe(true);
  });
});

describe('losses: a recorded backward (createGraph) gives the same first derivatives (float64, cpu)', () => {
  // crossEntropy rebuilds its gradient from differentiable ops under createGraph, instead of
  // using the one its kernel saved; gradgradcheck alone would not notice if the two differed.
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    reseed(cases.indexOf(c) + 1);
    const xs = build(c, caseData(c), 'float64', 'cpu');
    const wrt = xs.filter((x) => x.requiresGrad);
    const y = c.fn(...xs);
    reseed(98);
    const v = wg.tensor(Array.from({ length: y.size }, () => rng() + 0.5), { shape: y.shape, dtype: 'float64' });
    const plain = wg.grad(y, wrt, { gradOutputs: [v], retainGraph: true });
    const recorded = wg.grad(y, wrt, { gradOutputs: [v], createGraph: true });
    for (let i = 0; i < wrt.length; i++) expect(relErr(Array.from(await recorded[i]!.data()), Array.from(await plain[i]!.data()))).toBeLessThan(1e-12);
  });
});

describe('losses: gradgradcheck (float64, cpu)', () => {
  it.each(cases.filter((c) => !c.noSecond).map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    reseed(cases.indexOf(c) + 1);
    expect(await wg.gradgradcheck(c.fn, build(c, caseData(c), 'float64', 'cpu'), { atol: 1e-4, rtol: 1e-3 })).toBe(true);
  });
});

describe.each(DEVICES)('crossEntropy on %s, larger sizes against cpu', (device) => {
  it('C = 1000 with weights and smoothing; batch 1 and 3', async () => {
    reseed(31);
    for (const N of [1, 3]) {
      const C = 1000;
      const xv = Array.from({ length: N * C }, () => rng() * 20 - 10);
      const tv = Array.from({ length: N }, () => Math.floor(rng() * C));
      const wv = Array.from({ length: C }, () => rng() + 0.5);
      const run = async (dev: DeviceName) => {
        const x = wg.tensor(xv, { shape: [N, C], dtype: 'float32', device: dev, requiresGrad: true });
        const l = F.crossEntropy(x, wg.tensor(tv, { dtype: 'int32', device: dev }), { weight: wg.tensor(wv, { dtype: 'float32', device: dev }), labelSmoothing: 0.05 });
        l.backward();
        return [Array.from(await l.data()), Array.from(await x.grad!.data())];
      };
      const [got, ref] = [await run(device), await run('cpu')];
      expect(relErr(got[0]!, ref[0]!)).toBeLessThan(1e-5);
      expect(relErr(got[1]!, ref[1]!)).toBeLessThan(1e-5);
    }
  });
});

// ---- errors --------------------------------------------------------------------------------------

describe.each(DEVICES)('loss errors on %s', (device) => {
  const x = () => wg.zeros([2, 3], { device });
  const idx = (v: number[]) => wg.tensor(v, { dtype: 'int32', device });

  it('target dtype: bool, float class indices, int regression targets', () => {
    expect(() => F.crossEntropy(x(), wg.tensor([true, false], { device }))).toThrow(/crossEntropy: target must hold int32 class indices \(shape \[2\]\), got \[2\] bool/);
    expect(() => F.crossEntropy(x(), wg.tensor([1, 0], { dtype: 'float32', device }))).toThrow(/crossEntropy: a float target holds class probabilities and must have the input's shape \[2, 3\], got \[2\]/);
    expect(() => F.nllLoss(x(), wg.tensor([1, 0], { dtype: 'float32', device }))).toThrow(/nllLoss: target must hold int32 class indices/);
    expect(() => F.mseLoss(x(), wg.zeros([2, 3], { dtype: 'int32', device }))).toThrow(/mseLoss: target must be a floating-point tensor, got \[2, 3\] int32/);
    expect(() => F.crossEntropy(wg.zeros([2, 3], { dtype: 'int32', device }), idx([0, 1]))).toThrow(/crossEntropy: input must be a floating-point tensor/);
  });

  it('shape mismatches name both shapes', () => {
    expect(() => F.mseLoss(x(), wg.zeros([3], { device }))).toThrow(/mseLoss: input shape \[2, 3\] and target shape \[3\] differ/);
    expect(() => F.l1Loss(x(), wg.zeros([2, 1], { device }))).toThrow(/l1Loss: input shape \[2, 3\] and target shape \[2, 1\] differ/);
    expect(() => F.binaryCrossEntropyWithLogits(x(), wg.zeros([3, 2], { device }))).toThrow(/input shape \[2, 3\] and target shape \[3, 2\] differ/);
    expect(() => F.crossEntropy(x(), idx([0, 1, 2]))).toThrow(/crossEntropy: target shape \[3\] does not match input shape \[2, 3\]: class indices need \[2\]/);
    expect(() => F.crossEntropy(wg.zeros([2, 3, 4], { device }), idx([0, 1]))).toThrow(/target shape \[2\] does not match input shape \[2, 3, 4\]: class indices need \[2, 4\]/);
    expect(() => F.binaryCrossEntropy(x(), x(), { weight: wg.ones([2], { device }) })).toThrow(/binaryCrossEntropy: .*\[2, 3\] and \[2\] cannot be broadcast/);
    expect(() => F.binaryCrossEntropyWithLogits(x(), x(), { posWeight: wg.ones([2, 1, 3], { device }) })).toThrow(/posWeight of shape \[2, 1, 3\] does not broadcast to the input's shape \[2, 3\]/);
    expect(() => F.crossEntropy(wg.tensor(1, { dtype: 'float32', device }), idx([0]))).toThrow(/crossEntropy: input must have a class dim/);
  });

  it('labelSmoothing outside [0, 1], weight of the wrong length, unknown reduction, bad beta', () => {
    for (const e of [-0.1, 1.5, NaN]) expect(() => F.crossEntropy(x(), idx([0, 1]), { labelSmoothing: e })).toThrow(/crossEntropy: labelSmoothing must be a finite number >= 0 and <= 1, got/);
    expect(() => F.crossEntropy(x(), idx([0, 1]), { weight: wg.ones([4], { device }) })).toThrow(/crossEntropy: weight must be a 1-D tensor of one value per class, \[3\] for input \[2, 3\]; got \[4\]/);
    expect(() => F.nllLoss(x(), idx([0, 1]), { weight: wg.ones([1, 3], { device }) })).toThrow(/nllLoss: weight must be a 1-D tensor .* got \[1, 3\]/);
    expect(() => F.crossEntropy(x(), idx([0, 1]), { reduction: 'avg' as never })).toThrow(/crossEntropy: reduction must be one of 'mean', 'sum', 'none', got 'avg'/);
    expect(() => F.mseLoss(x(), x(), { reduction: 'batchmean' as never })).toThrow(/mseLoss: reduction must be one of 'mean', 'sum', 'none', got 'batchmean'/);
    expect(() => F.smoothL1Loss(x(), x(), { beta: -1 })).toThrow(/smoothL1Loss: beta must be a finite number >= 0, got -1/);
    expect(() => F.crossEntropy(x(), idx([0, 1]), { ignoreIndex: 0.5 })).toThrow(/crossEntropy: ignoreIndex must be an integer >= -2147483648 and <= 2147483647, got 0.5/);
  });
});

describe('class index out of range', () => {
  it('cpu: thrown at once, naming the class and the number of classes', () => {
    const x = wg.zeros([2, 3]);
    expect(() => F.crossEntropy(x, wg.tensor([0, 3], { dtype: 'int32' }))).toThrow(/crossEntropy: target class 3 is out of range for 3 classes \(expected 0 to 2, or ignoreIndex -100\)/);
    expect(() => F.crossEntropy(x, wg.tensor([-1, 0], { dtype: 'int32' }))).toThrow(/target class -1 is out of range for 3 classes/);
    expect(() => F.nllLoss(x, wg.tensor([0, 5], { dtype: 'int32' }), { ignoreIndex: 1 })).toThrow(/nllLoss: target class 5 is out of range for 3 classes \(expected 0 to 2, or ignoreIndex 1\)/);
  });

  it.skipIf(!DEVICES.includes('webgpu'))('webgpu: reported at the next read (error code 6), and the read after that is clean', async () => {
    const device = 'webgpu' as const;
    const x = wg.zeros([2, 3], { device, requiresGrad: true });
    const loss = F.crossEntropy(x, wg.tensor([0, 3], { dtype: 'int32', device }));
    await expect(loss.data()).rejects.toThrow(/crossEntropy\/nllLoss: target class 3 is out of range for 3 classes \(expected 0 to 2, or ignoreIndex\); detected on webgpu/);
    const n = F.nllLoss(x, wg.tensor([-7, 1], { dtype: 'int32', device }), { reduction: 'none' });
    await expect(n.data()).rejects.toThrow(/target class -7 is out of range for 3 classes/);
    const ok = F.crossEntropy(x, wg.tensor([0, -100], { dtype: 'int32', device }), { reduction: 'sum' });
    close(await ok.item(), log(3));
  });

  describe.skipIf(!DEVICES.includes('webgpu'))('webgpu: too many classes for the fused kernel', () => {
    const saved = NN_SOFTMAX_LIMITS.rowSteps;
    afterEach(() => {
      NN_SOFTMAX_LIMITS.rowSteps = saved;
    });
    it('is refused with the limit and a way around it', () => {
      NN_SOFTMAX_LIMITS.rowSteps = 1; // one WG-wide step per pass
      const w = (wg.getBackend('webgpu') as unknown as WebGPUBackend).wg;
      const x = wg.zeros([2, w + 1], { device: 'webgpu' });
      expect(() => F.crossEntropy(x, wg.tensor([0, 1], { dtype: 'int32', device: 'webgpu' }))).toThrow(
        new RegExp(`webgpu crossEntropy: ${w + 1} classes exceed the fused kernel's ${w} per row .* use F.nllLoss\\(F.logSoftmax`),
      );
    });
  });
});

// Needs the webgpu backend: it compares the two layouts of its fused cross-entropy kernel.
// Skipped only when the run declares it has no WebGPU adapter (WEBGRAD_TEST_NO_WEBGPU=1, which helpers.ts warns about); a missing adapter otherwise fails the suite.
describe.skipIf(!DEVICES.includes('webgpu'))('webgpu crossEntropy: a workgroup per sample, or one invocation per sample', () => {
  afterEach(() => {
    NN_SOFTMAX_LIMITS.perInvocation = 'cpuAdapter';
  });
  it.each(['never', 'always'] as const)('perInvocation %s: every option, values and gradients against cpu, by that entry', async (mode) => {
    NN_SOFTMAX_LIMITS.perInvocation = mode;
    reseed(77);
    const vals = (n: number, s = 4) => Array.from({ length: n }, () => s * (2 * rng() - 1));
    // [5, 7, 3]: classes along dim 1 (strided), a bad target's flag is its own test above.
    const xs = vals(5 * 7 * 3);
    const ts = Array.from({ length: 15 }, (_, i) => (i % 6 === 5 ? -100 : Math.floor(rng() * 7)));
    const ws = Array.from({ length: 7 }, () => 0.25 + rng());
    const cases: [string, (x: Tensor, t: Tensor, w: Tensor) => Tensor][] = [
      ['class dim 1 of [5, 7, 3], weight, ignore_index, smoothing', (x, t, w) => F.crossEntropy(x, t, { weight: w, labelSmoothing: 0.15, reduction: 'sum' })],
      ['class dim 1, mean, no weight', (x, t) => F.crossEntropy(x, t)],
      ['a transposed [3, 7] view of rows', (x, t) => F.crossEntropy(x.narrow(0, 0, 1).squeeze(0).transpose(0, 1), t.narrow(0, 0, 1).squeeze(0), { reduction: 'none' })],
    ];
    const kernels = await traceDispatches(async () => {
      for (const [name, f] of cases) {
        const got: number[][] = [];
        for (const device of ['cpu', 'webgpu'] as DeviceName[]) {
          const x = wg.tensor(xs, { shape: [5, 7, 3], device, requiresGrad: true });
          const t = wg.tensor(ts, { shape: [5, 3], dtype: 'int32', device });
          const w = wg.tensor(ws, { device });
          const loss = f(x, t, w);
          loss.sum().backward();
          got.push([...Array.from(await loss.data()), ...Array.from(await x.grad!.data())]);
        }
        expect(relErr(got[1]!, got[0]!), name).toBeLessThan(1e-5);
      }
      // Rows longer than a workgroup.
      const long = vals(9 * 301);
      const lt = Array.from({ length: 9 }, (_, i) => (i * 37) % 301);
      const got: number[][] = [];
      for (const device of ['cpu', 'webgpu'] as DeviceName[]) {
        const x = wg.tensor(long, { shape: [9, 301], device, requiresGrad: true });
        const loss = F.crossEntropy(x, wg.tensor(lt, { dtype: 'int32', device }), { labelSmoothing: 0.05 });
        loss.backward();
        got.push([await loss.item(), ...Array.from(await x.grad!.data())]);
      }
      expect(relErr(got[1]!, got[0]!), 'rows of 301').toBeLessThan(1e-5);
    });
    expect(kernels).toContain(mode === 'always' ? 'cross_entropy.wgsl:main_thread' : 'cross_entropy.wgsl:main');
    expect(kernels).not.toContain(mode === 'always' ? 'cross_entropy.wgsl:main' : 'cross_entropy.wgsl:main_thread');
  });

  it('perInvocation always: a bad target is flagged and reported at the next read', async () => {
    NN_SOFTMAX_LIMITS.perInvocation = 'always';
    const x = wg.zeros([2, 3], { device: 'webgpu' });
    const loss = F.crossEntropy(x, wg.tensor([0, 3], { dtype: 'int32', device: 'webgpu' }));
    await expect(loss.data()).rejects.toThrow(/target class 3 is out of range for 3 classes/);
  });
});

describe.each(DEVICES)('memory on %s', (device) => {
  it('the losses leave no tensor behind: forward, backward, and bad input', async () => {
    await wg.sync();
    const live = () => wg.memory().devices[device]!.tensors;
    const before = live();
    reseed(41);
    const vals = (n: number, lo = -2, hi = 2) => Array.from({ length: n }, () => lo + (hi - lo) * rng());
    const x = wg.tensor(vals(12), { shape: [4, 3], dtype: 'float32', device, requiresGrad: true });
    const p = wg.tensor(vals(12, 0.1, 0.9), { shape: [4, 3], dtype: 'float32', device, requiresGrad: true });
    const y = wg.tensor(vals(12, 0, 1), { shape: [4, 3], dtype: 'float32', device });
    const t = wg.tensor([0, 2, -100, 1], { dtype: 'int32', device });
    const w = wg.tensor([0.5, 1, 2], { dtype: 'float32', device });
    const losses: (() => Tensor)[] = [
      () => F.crossEntropy(x, t, { weight: w, labelSmoothing: 0.1 }),
      () => F.crossEntropy(x, t, { reduction: 'sum' }),
      () => F.crossEntropy(x, y, { weight: w, labelSmoothing: 0.2 }),
      () => F.nllLoss(x, t, { weight: w }),
      () => F.mseLoss(x, y),
      () => F.l1Loss(x, y, { reduction: 'sum' }),
      () => F.smoothL1Loss(x, y, { beta: 0.5 }),
      () => F.binaryCrossEntropy(p, y, { weight: w }),
      () => F.binaryCrossEntropyWithLogits(x, y, { weight: w, posWeight: w }),
      () => wg.tidy(() => F.softmax(x, 0).sum()),
      () => wg.tidy(() => F.logSoftmax(x, 1).mean()),
    ];
    for (const f of losses) {
      const l = f();
      l.backward();
      l.dispose();
      wg.noGrad(f).dispose(); // the no-grad path (no saved gradient) too
    }
    expect(() => F.crossEntropy(x, w)).toThrow(/crossEntropy/);
    expect(() => F.mseLoss(x, w)).toThrow(/mseLoss/);
    const bad = wg.tensor([0, 1, 2, 3], { dtype: 'int32', device });
    if (device === 'cpu') expect(() => F.crossEntropy(x, bad)).toThrow(/out of range/);
    for (const g of [x.grad, p.grad]) g?.dispose();
    for (const v of [x, p, y, t, w, bad]) v.dispose();
    expect(live()).toBe(before);
  });
});
