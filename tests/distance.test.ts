/**
 * F.normalize, F.cosineSimilarity, cdist, F.huberLoss, F.klDiv and their modules
 * (nn.CosineSimilarity, nn.HuberLoss, nn.KLDivLoss), on both devices: values against
 * references in doubles written here from PyTorch's formulas, webgpu against cpu, the edge
 * cases (zero vectors, zero targets), the options and the refused calls.
 * gradcheck / gradgradcheck: tests/gradients.test.ts.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import { F, nn } from '../src/index.js';
import { DEVICES, pair, relErr, useDevices } from './helpers.js';

useDevices();

const any = <T>(f: T) => f as unknown as (...a: unknown[]) => unknown;
const vals = async (t: wg.Tensor) => Array.from(await t.data());

/** Rows of a contiguous [n, m] host array. */
const rows = (v: ArrayLike<number>, m: number) => Array.from({ length: v.length / m }, (_, i) => Array.from(v).slice(i * m, (i + 1) * m));
const norm = (r: number[], p = 2) => (p === Infinity ? Math.max(...r.map(Math.abs)) : r.reduce((a, x) => a + Math.abs(x) ** p, 0) ** (1 / p));

describe.each(DEVICES)('normalize, cosineSimilarity and cdist on %s', (device) => {
  it.each([1, 2, 3, Infinity])('normalize with p = %s over dim 1 divides each row by its norm', async (p) => {
    const [c, x] = pair([4, 7], device);
    const ref = rows(await c.data(), 7).flatMap((r) => r.map((v) => v / Math.max(norm(r, p), 1e-12)));
    expect(relErr(await vals(F.normalize(x, { p })), ref)).toBeLessThan(1e-5);
  });

  it('normalize over dim 0 of a transposed view, and a zero row stays zero (eps)', async () => {
    const x = wg.tensor([[3, 0], [4, 0]], { device }).T; // rows [3, 4], [0, 0]
    expect(await F.normalize(x, { dim: 1 }).toArray()).toEqual([[0.6, 0.8], [0, 0]].map((r) => r.map(Math.fround)));
    expect(await vals(F.normalize(x, { dim: 0 }))).toEqual([1, 1, 0, 0]); // columns [3, 0] and [4, 0]
  });

  it('cosineSimilarity over dim 1 is x1.x2 / (|x1| |x2|), with [3] broadcast against [5, 3]', async () => {
    const [c1, x1] = pair([5, 3], device);
    const [c2, x2] = pair([3], device);
    const b = Array.from(await c2.data());
    const ref = rows(await c1.data(), 3).map((a) => a.reduce((s, v, i) => s + v * b[i]!, 0) / (norm(a) * norm(b)));
    const y = F.cosineSimilarity(x1, x2.unsqueeze(0));
    expect(y.shape).toEqual([5]);
    expect(relErr(await vals(y), ref)).toBeLessThan(1e-5);
  });

  it('cosineSimilarity clamps each norm to eps separately: a zero vector gives 0, a tiny one its direction', async () => {
    const a = wg.tensor([[0, 0], [1e-10, 0]], { device });
    const b = wg.tensor([[1, 0], [1, 0]], { device });
    const y = await vals(F.cosineSimilarity(a, b, { dim: -1 }));
    // per-norm: 1e-10 / max(1e-10, 1e-8) * 1 = 0.01 (clamping the product instead gives 1)
    expect(y[0]).toBe(0);
    expect(Math.abs(y[1]! - 0.01)).toBeLessThan(1e-6);
  });

  it('nn.CosineSimilarity(0, 1e-6) takes dim and eps positionally, as PyTorch', async () => {
    const m = new nn.CosineSimilarity(0, 1e-6);
    expect(m.dim).toBe(0);
    expect(m.eps).toBe(1e-6);
    const y = m.forward(wg.tensor([[1, 0], [0, 1]], { device }), wg.tensor([[1, 1], [0, 1]], { device }));
    expect(relErr(await vals(y), [1, Math.SQRT1_2])).toBeLessThan(1e-6);
  });

  it.each([0, 1, 2, 3, Infinity])('cdist with p = %s of [2, 4, 3] and [2, 5, 3] matches the pairwise norms', async (p) => {
    const [c1, x1] = pair([2, 4, 3], device);
    const [c2, x2] = pair([2, 5, 3], device);
    const A = rows(await c1.data(), 3);
    const B = rows(await c2.data(), 3);
    const ref: number[] = [];
    for (let b = 0; b < 2; b++) for (let i = 0; i < 4; i++) for (let j = 0; j < 5; j++) {
      const d = A[b * 4 + i]!.map((v, k) => v - B[b * 5 + j]![k]!);
      ref.push(p === 0 ? d.filter((v) => v !== 0).length : norm(d, p));
    }
    const y = wg.cdist(x1, x2, p);
    expect(y.shape).toEqual([2, 4, 5]);
    expect(relErr(await vals(y), ref)).toBeLessThan(1e-5);
  });

  it('cdist broadcasts batch dims and gives 0 (gradient 0, not NaN) for equal rows', async () => {
    const x1 = wg.tensor([[[1, 2], [3, 4]]], { device, requiresGrad: true });
    const x2 = wg.tensor([[1, 2]], { device });
    const y = wg.cdist(x1, x2.unsqueeze(0).expand(3, 1, 2));
    expect(y.shape).toEqual([3, 2, 1]);
    expect(relErr(await vals(y), [0, Math.sqrt(8), 0, Math.sqrt(8), 0, Math.sqrt(8)])).toBeLessThan(1e-6);
    y.sum().backward();
    expect(relErr(await vals(x1.grad!), [0, 0, 3 * Math.SQRT1_2, 3 * Math.SQRT1_2])).toBeLessThan(1e-6);
  });

  it('refuses mismatched features, a 1-D input and a negative p', () => {
    const a = wg.zeros([2, 3], { device });
    expect(() => wg.cdist(a, wg.zeros([2, 4], { device }))).toThrow('cdist: x1 [2, 3] and x2 [2, 4] must have the same number of features (last dim), got 3 and 4');
    expect(() => wg.cdist(wg.zeros([3], { device }), a)).toThrow('cdist: x1 and x2 must have at least 2 dimensions');
    expect(() => wg.cdist(a, a, -1)).toThrow('cdist: p must be a number >= 0, got -1');
  });
});

describe.each(DEVICES)('huberLoss and klDiv on %s', (device) => {
  it.each([0.5, 1, 2])('huberLoss with delta %s is 0.5 d^2 inside delta and delta (|d| - delta / 2) outside', async (delta) => {
    const [ci, input] = pair([3, 7], device, { low: -3, high: 3 });
    const [ct, target] = pair([3, 7], device);
    const t = await ct.data();
    const per = Array.from(await ci.data(), (v, i) => {
      const d = Math.abs(v - t[i]!);
      return d < delta ? 0.5 * d * d : delta * (d - 0.5 * delta);
    });
    expect(relErr(await vals(F.huberLoss(input, target, { delta, reduction: 'none' })), per)).toBeLessThan(1e-5);
    expect(relErr([await F.huberLoss(input, target, { delta }).item()], [per.reduce((a, b) => a + b) / per.length])).toBeLessThan(1e-5);
    expect(relErr([await new nn.HuberLoss({ delta, reduction: 'sum' }).forward(input, target).item()], [per.reduce((a, b) => a + b)])).toBeLessThan(1e-5);
  });

  const klRef = (inp: ArrayLike<number>, tgt: ArrayLike<number>, log: boolean) =>
    Array.from(inp, (x, i) => {
      const t = tgt[i]!;
      return log ? Math.exp(t) * (t - x) : t === 0 ? 0 : t * (Math.log(t) - x);
    });

  it('klDiv of log-probabilities against probabilities, each reduction; a zero target adds 0', async () => {
    const input = wg.tensor([[-1.2, -0.5, -2], [-0.1, -3, -0.7]], { device });
    const tv = [0.2, 0.8, 0, 0.5, 0.25, 0.25];
    const target = wg.tensor(tv, { shape: [2, 3], device });
    const per = klRef(await input.data(), tv, false);
    const sum = per.reduce((a, b) => a + b);
    expect(relErr(await vals(F.klDiv(input, target, { reduction: 'none' })), per)).toBeLessThan(1e-6);
    expect(relErr([await F.klDiv(input, target).item()], [sum / 6])).toBeLessThan(1e-6);
    expect(relErr([await F.klDiv(input, target, { reduction: 'batchmean' }).item()], [sum / 2])).toBeLessThan(1e-6);
    expect(relErr([await new nn.KLDivLoss({ reduction: 'sum' }).forward(input, target).item()], [sum])).toBeLessThan(1e-6);
  });

  it('klDiv with logTarget takes exp(target) (target - input)', async () => {
    const [ci, input] = pair([4, 5], device, { low: -3, high: 0 });
    const [ct, target] = pair([4, 5], device, { low: -3, high: 0 });
    const ref = klRef(await ci.data(), await ct.data(), true);
    expect(relErr(await vals(F.klDiv(input, target, { logTarget: true, reduction: 'none' })), ref)).toBeLessThan(1e-5);
  });

  it('klDiv gradient at a zero target entry is finite: the t log t term gives 0, so the target gets -input, the input -target', async () => {
    const input = wg.tensor([-1, -2], { device, requiresGrad: true });
    const target = wg.tensor([0, 1], { device, requiresGrad: true });
    F.klDiv(input, target, { reduction: 'sum' }).backward();
    expect(await vals(input.grad!)).toEqual([-0, -1]);
    expect(relErr(await vals(target.grad!), [1, Math.log(1) + 1 + 2])).toBeLessThan(1e-6); // log t + 1 - x where t > 0
  });

  it('refuses a delta of 0, an unknown reduction and a non-boolean logTarget, naming the op', () => {
    const a = wg.zeros([2], { device });
    expect(() => F.huberLoss(a, a, { delta: 0 })).toThrow('huberLoss: delta must be a finite number > 0, got 0');
    expect(() => F.klDiv(a, a, { reduction: 'batchMean' as 'batchmean' })).toThrow("klDiv: reduction must be one of 'mean', 'batchmean', 'sum', 'none', got 'batchMean' (did you mean 'batchmean'?)");
    expect(() => any(F.klDiv)(a, a, { logTarget: 1 })).toThrow('klDiv: logTarget must be true or false, got 1');
    expect(() => new nn.KLDivLoss({ reduction: 'avg' as 'mean' })).toThrow("KLDivLoss: reduction must be one of 'mean', 'batchmean', 'sum', 'none', got 'avg'");
    expect(() => new nn.HuberLoss({ delta: -1 })).toThrow('HuberLoss: delta must be a finite number > 0, got -1');
  });
});
