/**
 * IEEE edge values: NaN and ±Infinity go through every op as IEEE 754 and PyTorch say, and
 * the stable forms keep logits of ±1e4 finite. The expected values are PyTorch's (float32),
 * worked out from its kernels where IEEE leaves a choice:
 *   - max/min (reductions and maximum/minimum) and clamp propagate NaN; relu(NaN) = NaN;
 *   - argmax/argmin return the index of the first NaN (NaN counts as the largest value for
 *     argmax and the smallest for argmin, as torch.argmax / torch.argmin do);
 *   - softmax subtracts the row max first, so a row holding +inf gives exp(inf - inf) = NaN
 *     in its sum and is NaN throughout (torch.softmax([inf, 1]) = [nan, nan]); a row of -inf
 *     only is NaN too; -inf entries of an otherwise finite row get 0 (log-softmax: -inf);
 *   - logsumexp handles infinite maxima: all -inf gives -inf, +inf gives +inf.
 * Every case runs on both devices, on the same values; the webgpu kernels must agree exactly.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import { F } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { DEVICES, useDevices } from './helpers.js';

useDevices();

const inf = Infinity;
const nan = NaN;

describe.each(DEVICES)('IEEE edge values on %s', (device: DeviceName) => {
  const f32 = (values: number[], shape?: number[]) => wg.tensor(Float32Array.from(values), { shape: shape ?? [values.length], device });
  /** Values as numbers, with -0 read as 0 (toEqual tells them apart; the sign of zero is not specified here). */
  const read = async (t: Tensor) => Array.from(await t.data(), (v) => (v === 0 ? 0 : v));

  describe('max and min propagate NaN', () => {
    it('max and min of a row holding NaN are NaN', async () => {
      expect(await read(f32([1, nan, 3]).max())).toEqual([nan]);
      expect(await read(f32([1, nan, 3]).min())).toEqual([nan]);
    });

    it('max and min over a dim: only the row with the NaN is NaN', async () => {
      const x = f32([1, 2, nan, -inf, 5, 6], [2, 3]);
      expect(await read(x.max(1).values)).toEqual([nan, 6]);
      expect(await read(x.min(1).values)).toEqual([nan, -inf]);
      expect(await read(x.max(0).values)).toEqual([1, 5, nan]);
    });

    it('many short rows (an invocation per row): the NaN row alone is NaN', async () => {
      const v = Array.from({ length: 300 }, (_, i) => i % 7);
      v[57 * 3 + 1] = nan;
      const r = await read(f32(v, [100, 3]).max(1).values);
      expect(r[57]).toBeNaN();
      expect(r.filter(Number.isNaN).length).toBe(1);
    });

    it('a long row cut into chunks keeps a NaN in its last chunk', async () => {
      const n = 40_000; // over REDUCE_MIN_CHUNK: split over several workgroups on webgpu
      const v = Array.from({ length: n }, (_, i) => i);
      v[n - 2] = nan;
      expect(await read(f32(v).max())).toEqual([nan]);
      expect(await read(f32(v).min())).toEqual([nan]);
    });

    it('±inf are ordinary extremes: max([-inf, 1]) = 1, min([inf, -inf]) = -inf', async () => {
      expect(await read(f32([-inf, 1]).max())).toEqual([1]);
      expect(await read(f32([inf, -inf]).min())).toEqual([-inf]);
      expect(await read(f32([-inf, -inf]).max())).toEqual([-inf]);
    });

    it('maximum and minimum elementwise propagate NaN from either side', async () => {
      const a = f32([nan, 1, inf, -inf, nan]);
      const b = f32([0, nan, -inf, 2, nan]);
      expect(await read(a.maximum(b))).toEqual([nan, nan, inf, 2, nan]);
      expect(await read(a.minimum(b))).toEqual([nan, nan, -inf, -inf, nan]);
    });

    it('clamp keeps NaN and clamps ±inf to the bounds', async () => {
      expect(await read(f32([nan, inf, -inf, 0.5]).clamp(-1, 1))).toEqual([nan, 1, -1, 0.5]);
    });
  });

  describe('argmax and argmin return the first NaN', () => {
    it('argmax and argmin of a row with NaN give its index', async () => {
      expect(await read(f32([1, 5, nan, 7, nan]).argmax())).toEqual([2]);
      expect(await read(f32([1, -5, nan, -7, nan]).argmin())).toEqual([2]);
    });

    it('over a dim, each row finds its own first NaN', async () => {
      const x = f32([nan, 9, 1, 3, nan, nan, 2, 8, 4], [3, 3]);
      expect(await read(x.argmax(1))).toEqual([0, 1, 1]);
      expect(await read(x.argmin(1))).toEqual([0, 1, 0]);
    });

    it('a NaN in a long row (cut into chunks on webgpu) is found, the first of two', async () => {
      const n = 40_000;
      const v = Array.from({ length: n }, (_, i) => i % 1000);
      v[300] = nan; // a later chunk and a later invocation than nothing: the first NaN must win
      v[25_000] = nan;
      expect(await read(f32(v).argmax())).toEqual([300]);
      expect(await read(f32(v).argmin())).toEqual([300]);
    });

    it('two NaNs far apart in one workgroup: the smaller index wins the tree reduction', async () => {
      const v = Array.from({ length: 600 }, (_, i) => i);
      v[5] = nan; // invocation 5's first element
      v[256] = nan; // invocation 0's second element
      expect(await read(f32(v).argmax())).toEqual([5]);
      expect(await read(f32(v).argmin())).toEqual([5]);
    });

    it('+inf is the argmax and -inf the argmin when no NaN is present', async () => {
      expect(await read(f32([1, inf, -inf, inf]).argmax())).toEqual([1]);
      expect(await read(f32([1, inf, -inf, -inf]).argmin())).toEqual([2]);
    });
  });

  describe('elementwise functions at ±inf and NaN', () => {
    it('relu(NaN) is NaN, relu(±inf) is inf and 0', async () => {
      expect(await read(f32([nan, -inf, inf, -1, 2]).relu())).toEqual([nan, 0, inf, 0, 2]);
    });

    it('log(0) = -inf, log(-1) = NaN, log(inf) = inf, log(NaN) = NaN', async () => {
      expect(await read(f32([0, -0, -1, inf, nan, 1]).log())).toEqual([-inf, -inf, nan, inf, nan, 0]);
    });

    it('exp(inf) = inf, exp(-inf) = 0, exp(NaN) = NaN, exp(100) overflows to inf', async () => {
      expect(await read(f32([inf, -inf, nan, 100, 0]).exp())).toEqual([inf, 0, nan, inf, 1]);
    });

    it('sigmoid(±inf) = 1 and 0, sigmoid(NaN) = NaN; no NaN at ±1e4', async () => {
      expect(await read(f32([inf, -inf, nan, 1e4, -1e4]).sigmoid())).toEqual([1, 0, nan, 1, 0]);
    });

    it('tanh(±inf) = ±1, tanh(NaN) = NaN; no NaN at ±1e4', async () => {
      expect(await read(f32([inf, -inf, nan, 1e4, -1e4]).tanh())).toEqual([1, -1, nan, 1, -1]);
    });

    it('sign(NaN) is 0 as in PyTorch (torch.sign is (0 < x) - (x < 0)), sign(±inf) = ±1', async () => {
      expect(await read(f32([nan, inf, -inf, -3, 2]).sign())).toEqual([0, 1, -1, -1, 1]);
    });

    it('sqrt(-1) = NaN, sqrt(inf) = inf', async () => {
      expect(await read(f32([-1, inf, 4]).sqrt())).toEqual([nan, inf, 2]);
    });

    it('division by zero gives ±inf, 0/0 gives NaN', async () => {
      expect(await read(f32([1, -1, 0]).div(f32([0, 0, 0])))).toEqual([inf, -inf, nan]);
    });
  });

  describe('sums and products of infinities', () => {
    it('sum of inf and -inf is NaN; of inf and finite values inf; mean the same', async () => {
      expect(await read(f32([inf, 1, -inf]).sum())).toEqual([nan]);
      expect(await read(f32([inf, 1, 2]).sum())).toEqual([inf]);
      expect(await read(f32([inf, -inf, -inf, 2], [2, 2]).mean(0))).toEqual([nan, -inf]);
      expect(await read(f32([inf, 1, 2, 3], [2, 2]).mean(1))).toEqual([inf, 2.5]);
    });

    it('prod of 0 and inf is NaN', async () => {
      expect(await read(f32([0, inf, 2]).prod())).toEqual([nan]);
    });
  });

  describe('softmax and logsumexp', () => {
    it('softmax([inf, 1]) is NaN throughout (inf - inf in the shifted row), as torch.softmax', async () => {
      expect(await read(F.softmax(f32([inf, 1]), 0))).toEqual([nan, nan]);
      expect(await read(F.logSoftmax(f32([inf, 1]), 0))).toEqual([nan, nan]);
    });

    it('softmax([-inf, 1]) = [0, 1], logSoftmax = [-inf, 0]', async () => {
      expect(await read(F.softmax(f32([-inf, 1]), 0))).toEqual([0, 1]);
      expect(await read(F.logSoftmax(f32([-inf, 1]), 0))).toEqual([-inf, 0]);
    });

    it('a row of -inf only is NaN; the other rows are untouched', async () => {
      const x = f32([-inf, -inf, 0, 0], [2, 2]);
      expect(await read(F.softmax(x, 1))).toEqual([nan, nan, 0.5, 0.5]);
      expect(await read(F.logSoftmax(x, 1))).toEqual([nan, nan, Math.fround(-Math.LN2), Math.fround(-Math.LN2)]);
    });

    it('a NaN makes its row NaN and no other', async () => {
      const x = f32([nan, 1, 0, 0], [2, 2]);
      expect(await read(F.softmax(x, 1))).toEqual([nan, nan, 0.5, 0.5]);
    });

    it('a long row (chunked on webgpu) with -inf entries and one all -inf chunk gives 0 there', async () => {
      const n = 20_000;
      const v = Array.from({ length: n }, (_, i) => (i < 12_000 ? -inf : 0));
      const p = await read(F.softmax(f32(v), 0));
      expect(p.slice(0, 12_000).every((x) => x === 0)).toBe(true);
      expect(p[n - 1]).toBeCloseTo(1 / 8000, 9);
    });

    it('softmax rows of ±1e4 stay finite: [1, 0] and logSoftmax [0, -2e4]', async () => {
      expect(await read(F.softmax(f32([1e4, -1e4]), 0))).toEqual([1, 0]);
      expect(await read(F.logSoftmax(f32([1e4, -1e4]), 0))).toEqual([0, -2e4]);
    });

    it('logsumexp: all -inf gives -inf, -inf entries add nothing, +inf gives inf, NaN gives NaN', async () => {
      expect(await read(f32([-inf, -inf]).logsumexp(0))).toEqual([-inf]);
      expect(await read(f32([-inf, 0]).logsumexp(0))).toEqual([0]);
      expect(await read(f32([inf, 1]).logsumexp(0))).toEqual([inf]);
      expect(await read(f32([nan, 1]).logsumexp(0))).toEqual([nan]);
      expect(await read(f32([1e4, -1e4]).logsumexp(0))).toEqual([1e4]);
    });

    it('logsumexp over an empty dim is -inf (log of an empty sum), as torch.logsumexp', async () => {
      const x = wg.zeros([3, 0], { device, dtype: 'float32' });
      expect(await read(x.logsumexp(1))).toEqual([-inf, -inf, -inf]);
      expect(x.logsumexp(1, true).shape).toEqual([3, 1]);
      expect(await read(x.logsumexp(0))).toEqual([]);
      expect(await read(x.logsumexp())).toEqual([-inf]);
    });

    it('the gradient of logsumexp is 0 at -inf entries', async () => {
      const x = f32([-inf, 0, 0]);
      x.requiresGrad = true;
      x.logsumexp(0).backward();
      expect(await read(x.grad!)).toEqual([0, 0.5, 0.5]);
    });
  });

  describe('losses at logits of ±1e4', () => {
    it('crossEntropy is exact and finite, and so is its gradient', async () => {
      const logits = f32([1e4, -1e4, -1e4, 1e4], [2, 2]);
      logits.requiresGrad = true;
      const target = wg.tensor(Int32Array.from([0, 0]), { device });
      const loss = F.crossEntropy(logits, target);
      expect(await read(loss)).toEqual([1e4]); // (0 + 2e4) / 2
      loss.backward();
      // (softmax - onehot) / 2: row 0 is [1, 0] - [1, 0], row 1 is [0, 1] - [1, 0]
      expect(await read(logits.grad!)).toEqual([0, 0, -0.5, 0.5]);
    });

    it('crossEntropy with label smoothing stays finite at ±1e4', async () => {
      const logits = f32([1e4, -1e4, 0], [1, 3]);
      const loss = await read(F.crossEntropy(logits, wg.tensor(Int32Array.from([0]), { device }), { labelSmoothing: 0.1 }));
      // (0.1 / 3) * (0 + 2e4 + 1e4) = 1000
      expect(loss[0]).toBeCloseTo(1000, 1);
    });

    it('binaryCrossEntropyWithLogits at ±1e4 is exact and finite, and so is its gradient', async () => {
      const x = f32([1e4, 1e4, -1e4, -1e4]);
      x.requiresGrad = true;
      const t = f32([0, 1, 0, 1]);
      const loss = F.binaryCrossEntropyWithLogits(x, t, { reduction: 'none' });
      expect(await read(loss)).toEqual([1e4, 0, 0, 1e4]);
      loss.sum().backward();
      expect(await read(x.grad!)).toEqual([1, 0, 0, -1]);
    });

    it('logSoftmax of ±1e4 has a finite gradient', async () => {
      const x = f32([1e4, -1e4, 0], [1, 3]);
      x.requiresGrad = true;
      F.logSoftmax(x, 1).select(1, 1).sum().backward();
      expect(await read(x.grad!)).toEqual([-1, 1, 0]);
    });
  });
});
