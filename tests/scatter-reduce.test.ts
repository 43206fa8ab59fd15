/**
 * scatterReduce and scatter (the kernel family src/kernels/scatter/), on both devices: values
 * against a reference written here in plain JS (PyTorch's torch.scatter_reduce semantics,
 * includeSelf and mean's count), webgpu against cpu on odd sizes, non-contiguous and broadcast
 * operands, indices smaller than src, repeated indices, ties and NaN, int32 (mean rounding
 * down), the index range error, and gradients (gradcheck in float64 on cpu; ties share).
 * Refused calls: tests/sweep/ops13b.ts.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { ScatterReduceMode, Tensor } from '../src/index.js';
import { DEVICES, expectClose, reseed, rng, useDevices } from './helpers.js';

useDevices();

const MODES: ScatterReduceMode[] = ['sum', 'prod', 'mean', 'amax', 'amin'];

/** torch.scatter_reduce on 2-D host arrays, from the definition. */
function reference(x: number[][], dim: number, index: number[][], src: number[][], reduce: ScatterReduceMode, includeSelf: boolean, int = false): number[][] {
  const out = x.map((r) => [...r]);
  const met = x.map((r) => r.map(() => [] as number[]));
  index.forEach((row, i) => row.forEach((t, j) => {
    const [a, b] = dim === 0 ? [t, j] : [i, t];
    met[a]![b]!.push(src[i]![j]!);
  }));
  return out.map((row, a) => row.map((v, b) => {
    const vals = met[a]![b]!;
    if (vals.length === 0) return v;
    const all = includeSelf ? [v, ...vals] : vals;
    switch (reduce) {
      case 'sum': return all.reduce((p, q) => p + q, 0);
      case 'prod': return all.reduce((p, q) => p * q, 1);
      case 'mean': {
        const m = all.reduce((p, q) => p + q, 0) / all.length;
        return int ? Math.floor(m) : m;
      }
      case 'amax': return all.some(Number.isNaN) ? NaN : Math.max(...all);
      case 'amin': return all.some(Number.isNaN) ? NaN : Math.min(...all);
    }
  }));
}

const randMatrix = (r: number, c: number, f: () => number): number[][] => Array.from({ length: r }, () => Array.from({ length: c }, f));

describe.each(DEVICES)('scatterReduce on %s', (device) => {
  const x = () => wg.tensor([1, 2, 3, 4], { device });
  const index = () => wg.tensor([0, 1, 0, 1, 2, 1], { device, dtype: 'int32' });
  const src = () => wg.tensor([1, 2, 3, 4, 5, 6], { device });

  it("reduce 'sum' of PyTorch's documented example is [5, 14, 8, 4]", async () => {
    expect(await x().scatterReduce(0, index(), src(), 'sum').toArray()).toEqual([5, 14, 8, 4]);
  });

  it("reduce 'amax' with includeSelf false is [3, 6, 5, 4] (the untouched position keeps x)", async () => {
    expect(await wg.scatterReduce(x(), 0, index(), src(), 'amax', { includeSelf: false }).toArray()).toEqual([3, 6, 5, 4]);
  });

  it("reduce 'mean' counts x's own value only with includeSelf", async () => {
    const withSelf = (await x().scatterReduce(0, index(), src(), 'mean').toArray()) as number[];
    expect(withSelf.map((v) => Math.round(v * 1e5) / 1e5)).toEqual([1.66667, 3.5, 4, 4]);
    const without = (await x().scatterReduce(0, index(), src(), 'mean', { includeSelf: false }).toArray()) as number[];
    expect(without).toEqual([2, 4, 5, 4]);
  });

  it("reduce 'prod' and 'amin', with and without includeSelf", async () => {
    expect(await x().scatterReduce(0, index(), src(), 'prod').toArray()).toEqual([3, 96, 15, 4]);
    expect(await x().scatterReduce(0, index(), src(), 'prod', { includeSelf: false }).toArray()).toEqual([3, 48, 5, 4]);
    expect(await x().scatterReduce(0, index(), src(), 'amin').toArray()).toEqual([1, 2, 3, 4]);
    expect(await x().scatterReduce(0, index(), src(), 'amin', { includeSelf: false }).toArray()).toEqual([1, 2, 5, 4]);
  });

  it('int32 means round down, as PyTorch; int32 stays int32', async () => {
    const y = wg.tensor([0, 10], { device, dtype: 'int32' }).scatterReduce(0, wg.tensor([0, 0, 1], { device, dtype: 'int32' }), wg.tensor([-3, 1, 1], { device, dtype: 'int32' }), 'mean');
    expect(y.dtype).toBe('int32');
    expect(await y.toArray()).toEqual([-1, 5]);
  });

  it('int32 inputs take every mode, with and without includeSelf, as the reference', async () => {
    const xs = [[5, -7, 2], [0, 3, -1]];
    const is = [[2, 2, 0], [1, 1, 1]];
    const ss = [[-4, 6, 9], [2, -3, 8]];
    for (const reduce of MODES) {
      for (const includeSelf of [true, false]) {
        const y = wg.tensor(xs, { device, dtype: 'int32' }).scatterReduce(1, wg.tensor(is, { device, dtype: 'int32' }), wg.tensor(ss, { device, dtype: 'int32' }), reduce, { includeSelf });
        expect(y.dtype).toBe('int32');
        expect(await y.toArray()).toEqual(reference(xs, 1, is, ss, reduce, includeSelf, true));
      }
    }
  });

  it('amax and amin propagate NaN', async () => {
    const y = (await wg.tensor([0, 0], { device }).scatterReduce(0, wg.tensor([0, 0, 1], { device, dtype: 'int32' }), wg.tensor([NaN, 1, 2], { device }), 'amax').toArray()) as number[];
    expect(Number.isNaN(y[0])).toBe(true);
    expect(y[1]).toBe(2);
  });

  it('matches the reference for every mode, both dims, includeSelf both ways, on odd sizes with an index smaller than src', async () => {
    reseed(41);
    for (const dim of [0, 1]) {
      const [R, C] = [7, 5];
      const xs = randMatrix(R, C, () => Math.round(rng() * 8 - 4) / 2 || 0.5);
      const ss = randMatrix(9, 6, () => Math.round(rng() * 8 - 4) / 2 || 0.5);
      const [ir, ic] = dim === 0 ? [9, 4] : [6, 5];
      const is = randMatrix(ir, ic, () => Math.floor(rng() * (dim === 0 ? R : C)));
      for (const reduce of MODES) {
        for (const includeSelf of [true, false]) {
          const y = wg.tensor(xs, { device }).scatterReduce(dim, wg.tensor(is, { device, dtype: 'int32' }), wg.tensor(ss, { device }), reduce, { includeSelf });
          const ref = reference(xs, dim, is, ss.slice(0, ir).map((r) => r.slice(0, ic)), reduce, includeSelf);
          await expectClose(y, wg.tensor(ref), 1e-5);
        }
      }
    }
  });

  it('reads transposed src, an expanded index and a float index in place, matching cpu', async () => {
    reseed(42);
    const xs = randMatrix(4, 6, () => rng());
    const ss = randMatrix(6, 4, () => rng());
    const row = [3, 0, 3, 1];
    for (const reduce of MODES) {
      const run = (dev: 'cpu' | typeof device) =>
        wg.tensor(xs, { device: dev }).scatterReduce(1, wg.tensor([row], { device: dev, dtype: 'int32' }).expand(4, 4), wg.tensor(ss, { device: dev }).transpose(0, 1), reduce);
      await expectClose(run(device), run('cpu'), 1e-5);
    }
    const f = wg.tensor(xs, { device }).scatterReduce(1, wg.tensor([[1, 1]], { device }), wg.tensor([[5, 7]], { device }), 'amax');
    expect(((await f.toArray()) as number[][])[0]![1]).toBe(7);
  });

  it('many values into few positions (sum of 5000 ones into 3 bins) are all counted', async () => {
    const n = 5000;
    const idx = wg.tensor(Int32Array.from({ length: n }, (_, i) => i % 3), { device });
    const y = wg.zeros([3], { device }).scatterReduce(0, idx, wg.ones([n], { device }), 'sum');
    expect(await y.toArray()).toEqual([1667, 1667, 1666]);
    const m = wg.zeros([3], { device }).scatterReduce(0, idx, wg.arange(n, { device, dtype: 'float32' }), 'amax', { includeSelf: false });
    expect(await m.toArray()).toEqual([4998, 4999, 4997]);
  });

  it('refuses an index out of range, naming the index and the size', async () => {
    const run = async () => {
      const y = x().scatterReduce(0, wg.tensor([0, 4], { device, dtype: 'int32' }), wg.tensor([1, 2], { device }), 'sum');
      await y.data();
    };
    await expect(run()).rejects.toThrow(/index 4 is out of range for a dimension of size 4|index 4 is out of range for dimension 0 of size 4/);
  });

  it('shares the gradient of amax equally among tied entries (x and src alike)', async () => {
    const xv = wg.tensor([5, 0], { device, requiresGrad: true });
    const sv = wg.tensor([5, 5, 1], { device, requiresGrad: true });
    xv.scatterReduce(0, wg.tensor([0, 0, 1], { device, dtype: 'int32' }), sv, 'amax').sum().backward();
    const third = 1 / 3;
    expect(((await xv.grad!.toArray()) as number[]).map((v) => +v.toFixed(5))).toEqual([+third.toFixed(5), 0]);
    expect(((await sv.grad!.toArray()) as number[]).map((v) => +v.toFixed(5))).toEqual([+third.toFixed(5), +third.toFixed(5), 1]);
  });
});

describe.each(DEVICES)('scatter on %s', (device) => {
  it('writes src at the indexed positions: torch.scatter', async () => {
    const y = wg.zeros([3, 4], { device }).scatter(0, wg.tensor([[1, 2, 0, 1]], { device, dtype: 'int32' }), wg.tensor([[1, 2, 3, 4]], { device }));
    expect(await y.toArray()).toEqual([[0, 0, 3, 0], [1, 0, 0, 4], [0, 2, 0, 0]]);
  });

  it('takes a number as src', async () => {
    const y = wg.scatter(wg.ones([2, 3], { device }), 1, wg.tensor([[2], [0]], { device, dtype: 'int32' }), -1);
    expect(await y.toArray()).toEqual([[1, 1, -1], [-1, 1, 1]]);
  });

  it('passes g to x except where written, and a gather of g to src', async () => {
    const xv = wg.tensor([1, 2, 3], { device, requiresGrad: true });
    const sv = wg.tensor([7, 8], { device, requiresGrad: true });
    xv.scatter(0, wg.tensor([2, 0], { device, dtype: 'int32' }), sv).mul(wg.tensor([1, 10, 100], { device })).sum().backward();
    expect(await xv.grad!.toArray()).toEqual([0, 10, 0]);
    expect(await sv.grad!.toArray()).toEqual([100, 1]);
  });
});

describe('scatterReduce gradients (gradcheck, float64, cpu)', () => {
  const f64 = (vals: number[], shape: number[]) => wg.tensor(Float64Array.from(vals), { shape, dtype: 'float64', requiresGrad: true });
  const idx = () => wg.tensor([[0, 2, 0], [1, 1, 1]], { dtype: 'int32' });
  // Distinct values, so amax/amin have no ties the finite differences would cross.
  const xv = () => f64([0.3, -1.2, 0.7, 1.9, -0.4, 1.1], [2, 3]);
  const sv = () => f64([0.5, -0.8, 1.4, 2.3, -1.7, 0.9], [2, 3]);

  for (const reduce of MODES) {
    for (const includeSelf of [true, false]) {
      it(`${reduce}, includeSelf ${includeSelf}`, async () => {
        expect(await wg.gradcheck((a: Tensor, b: Tensor) => a.scatterReduce(1, idx(), b, reduce, { includeSelf }), [xv(), sv()])).toBe(true);
      });
    }
  }

  it('src larger than the index: the entries past it get zero gradient', async () => {
    const big = f64([0.5, -0.8, 1.4, 2.3, -1.7, 0.9, 0.1, 0.2, 0.3], [3, 3]);
    for (const reduce of MODES) {
      expect(await wg.gradcheck((a: Tensor, b: Tensor) => a.scatterReduce(1, wg.tensor([[0, 2], [1, 1]], { dtype: 'int32' }), b, reduce), [xv(), big])).toBe(true);
    }
  });

  it('prod with zeros in x and in src (exact, no division by zero)', async () => {
    const a = f64([0, -1.2, 0.7, 1.9, 0, 1.1], [2, 3]);
    const b = f64([0.5, 0, 1.4, 0, -1.7, 0.9], [2, 3]);
    expect(await wg.gradcheck((p: Tensor, q: Tensor) => p.scatterReduce(1, idx(), q, 'prod'), [a, b])).toBe(true);
  });

  it('sum and mean twice (gradgradcheck), and plain scatter', async () => {
    expect(await wg.gradgradcheck((a: Tensor, b: Tensor) => a.scatterReduce(1, idx(), b, 'mean').square(), [xv(), sv()])).toBe(true);
    expect(await wg.gradcheck((a: Tensor, b: Tensor) => a.scatter(1, wg.tensor([[2, 0, 1]], { dtype: 'int32' }), b), [xv(), sv()])).toBe(true);
  });
});
