/**
 * sort, argsort (the kernel family src/kernels/sort/), kthvalue, median, nanmedian, quantile
 * and nanquantile (built on it), on both devices: values against references written here in
 * plain JS, webgpu against cpu on odd sizes, non-contiguous views, ties, NaN, rows longer than
 * a workgroup's block (the global merge passes, forced on short rows through SORT_LIMITS too),
 * PyTorch's output shapes, and gradients (gradcheck in float64 on cpu).
 * Refused calls: tests/sweep/ops13b.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { SORT_LIMITS } from '../src/kernels/sort/webgpu.js';
import { DEVICES, expectClose, expectEqual, pair, reseed, rng, useDevices } from './helpers.js';

useDevices();

/** Stable argsort of one row in plain JS: NaN largest, ties by position. */
function refArgsort(row: number[], descending = false): number[] {
  const key = (v: number) => (Number.isNaN(v) ? Infinity : v);
  return row
    .map((v, i) => i)
    .sort((a, b) => {
      const va = row[a]!;
      const vb = row[b]!;
      const na = Number.isNaN(va);
      const nb = Number.isNaN(vb);
      if (na !== nb) return (na ? 1 : -1) * (descending ? -1 : 1);
      if (!na && key(va) !== key(vb)) return (key(va) < key(vb) ? -1 : 1) * (descending ? -1 : 1);
      return a - b;
    });
}

/** Checks sort of a 2-D host matrix along its last dim against refArgsort. */
async function expectSortedRows(x: Tensor, rows: number[][], descending = false): Promise<void> {
  const [v, i] = x.sort({ descending });
  const vi = (await i.toArray()) as number[][];
  const vv = (await v.toArray()) as number[][];
  rows.forEach((row, r) => {
    const ref = refArgsort(row, descending);
    expect(vi[r]).toEqual(ref);
    expect(vv[r]!.map((a) => (Number.isNaN(a) ? 'nan' : a))).toEqual(ref.map((j) => (Number.isNaN(row[j]!) ? 'nan' : Math.fround(row[j]!))));
  });
}

const randomRows = (nRows: number, len: number, levels = 0): number[][] =>
  Array.from({ length: nRows }, () => Array.from({ length: len }, () => (levels ? Math.floor(rng() * levels) : rng() * 4 - 2)));

describe.each(DEVICES)('sort on %s', (device) => {
  afterEach(() => {
    SORT_LIMITS.block = 2048;
  });

  it('sorts [3, 1, 2] to [1, 2, 3] with indices [1, 2, 0] (int32)', async () => {
    const [v, i] = wg.tensor([3, 1, 2], { device }).sort();
    expect(await v.toArray()).toEqual([1, 2, 3]);
    expect(i.dtype).toBe('int32');
    expect(await i.toArray()).toEqual([1, 2, 0]);
  });

  it('descending puts the largest first', async () => {
    const [v, i] = wg.sort(wg.tensor([3, 1, 2], { device }), { descending: true });
    expect(await v.toArray()).toEqual([3, 2, 1]);
    expect(await i.toArray()).toEqual([0, 2, 1]);
  });

  it('keeps ties in input order, ascending and descending (stable on every device)', async () => {
    const x = wg.tensor([2, 1, 2, 1, 2], { device });
    expect(await x.argsort().toArray()).toEqual([1, 3, 0, 2, 4]);
    expect(await x.argsort({ descending: true }).toArray()).toEqual([0, 2, 4, 1, 3]);
    expect(await x.argsort({ stable: true }).toArray()).toEqual([1, 3, 0, 2, 4]);
  });

  it('sorts NaN as the largest value: last ascending, first descending, NaNs in input order; -0 ties with 0', async () => {
    const x = wg.tensor([NaN, 1, -Infinity, NaN, Infinity, -0, 0], { device });
    expect(await x.argsort().toArray()).toEqual([2, 5, 6, 1, 4, 0, 3]);
    expect(await x.argsort({ descending: true }).toArray()).toEqual([0, 3, 4, 1, 5, 6, 2]);
  });

  it('matches the reference on odd row lengths 1, 2, 5, 17, 100, 257, 1000, 2049, 5000 with many ties', async () => {
    reseed(31);
    for (const len of [1, 2, 5, 17, 100, 257, 1000, 2049, 5000]) {
      const rows = randomRows(3, len, len > 10 ? 7 : 3);
      await expectSortedRows(wg.tensor(rows, { device }), rows);
      await expectSortedRows(wg.tensor(rows, { device }), rows, true);
    }
  });

  it('takes the global merge passes for rows longer than the block (forced to 8 pairs), NaN and ties included', async () => {
    reseed(32);
    SORT_LIMITS.block = 8;
    for (const len of [9, 16, 33, 100]) {
      const rows = randomRows(5, len, 5).map((r) => r.map((v, i) => (i % 7 === 3 ? NaN : v)));
      await expectSortedRows(wg.tensor(rows, { device }), rows);
      await expectSortedRows(wg.tensor(rows, { device }), rows, true);
    }
  });

  it("sorts rows of 70000 (past llvmpipe's 65535-iteration loop cap)", async () => {
    reseed(38);
    const rows = randomRows(2, 70000, 1000);
    await expectSortedRows(wg.tensor(rows, { device }), rows, true);
  });

  it('leaves no tensor behind: sort, argsort, median and quantile free their intermediates', async () => {
    const x = wg.tensor([[3, 1, 2], [0, 5, 4]], { device });
    const live = () => wg.memory().devices[device]!.tensors;
    const before = live();
    const outs = [...x.sort({ dim: 0 }), x.argsort(), ...x.median({ dim: 1 }), x.quantile(wg.tensor([0.2, 0.9], { device }), { dim: 1 }), ...x.kthvalue(2)];
    await Promise.all(outs.map((t) => t.data()));
    expect(live() - before).toBe(outs.length + 1); // the outputs, and the q tensor
  });

  it('sorts many short rows (several per workgroup) and int32 rows', async () => {
    reseed(33);
    const rows = randomRows(1001, 3, 4);
    await expectSortedRows(wg.tensor(rows, { device }), rows);
    const ints = randomRows(37, 13, 9).map((r) => r.map((v) => v - 4));
    await expectSortedRows(wg.tensor(ints, { device, dtype: 'int32' }), ints);
    expect((await wg.tensor(ints, { device, dtype: 'int32' }).sort())[0].dtype).toBe('int32');
  });

  it('sorts along every dim of a [3, 4, 5] tensor and reads non-contiguous views, matching cpu', async () => {
    reseed(34);
    const [c, x] = pair([3, 4, 5], device);
    for (const dim of [0, 1, 2, -1, -3]) {
      const [cv, ci] = c.sort({ dim });
      const [v, i] = x.sort({ dim });
      await expectEqual(v, cv);
      await expectEqual(i, ci);
    }
    const [ct, xt] = [c.transpose(0, 2), x.transpose(0, 2)];
    await expectEqual(xt.sort({ dim: 1, descending: true })[1], ct.sort({ dim: 1, descending: true })[1]);
    const [cs, xs] = [c.slice(null, [0, 4, 2], [1, 5]), x.slice(null, [0, 4, 2], [1, 5])];
    await expectEqual(xs.sort()[0], cs.sort()[0]);
    await expectEqual(xs.argsort({ dim: 0 }), cs.argsort({ dim: 0 }));
  });

  it('of a 0-d tensor is itself with index 0; of an empty tensor is empty; bool sorts false first', async () => {
    const [v, i] = wg.tensor(5, { device }).sort();
    expect(v.shape).toEqual([]);
    expect(await v.item()).toBe(5);
    expect(await i.item()).toBe(0);
    const [e] = wg.zeros([2, 0], { device }).sort();
    expect(e.shape).toEqual([2, 0]);
    const [b, bi] = wg.tensor([true, false, true, false], { device }).sort();
    expect(b.dtype).toBe('bool');
    expect(await b.toArray()).toEqual([false, false, true, true]);
    expect(await bi.toArray()).toEqual([1, 3, 0, 2]);
  });

  it('passes the gradient of the values back through the indices', async () => {
    const x = wg.tensor([3, 1, 2], { device, requiresGrad: true });
    const [v] = x.sort();
    v.mul(wg.tensor([1, 10, 100], { device })).sum().backward();
    expect(await x.grad!.toArray()).toEqual([100, 1, 10]);
  });
});

describe.each(DEVICES)('kthvalue and median on %s', (device) => {
  it('kthvalue(2) of [5, 1, 4, 2] is 2 at index 3; keepdim keeps the dim', async () => {
    const x = wg.tensor([[5, 1, 4, 2], [0, 7, 7, 3]], { device });
    const [v, i] = x.kthvalue(2);
    expect(await v.toArray()).toEqual([2, 3]);
    expect(await i.toArray()).toEqual([3, 3]);
    const [vk] = wg.kthvalue(x, 4, { dim: 1, keepdim: true });
    expect(vk.shape).toEqual([2, 1]);
    expect(await vk.toArray()).toEqual([[5], [7]]);
    const [v0, i0] = x.kthvalue(1, { dim: 0 });
    expect(await v0.toArray()).toEqual([0, 1, 4, 2]);
    expect(await i0.toArray()).toEqual([1, 0, 0, 0]);
  });

  it('median without a dim is the lower median of all entries, 0-d', async () => {
    const m = wg.tensor([[4, 1], [3, 2]], { device }).median();
    expect(m.shape).toEqual([]);
    expect(await m.item()).toBe(2);
  });

  it('median along a dim gives [values, indices]; a row holding NaN gives NaN and its index', async () => {
    const x = wg.tensor([[1, 5, 3, 4], [2, NaN, 0, 1]], { device });
    const [v, i] = x.median({ dim: 1 });
    const vv = (await v.toArray()) as number[];
    expect(vv[0]).toBe(3);
    expect(Number.isNaN(vv[1])).toBe(true);
    expect(await i.toArray()).toEqual([2, 1]);
  });

  it('nanmedian skips NaN; a row of NaNs gives NaN', async () => {
    const x = wg.tensor([[2, NaN, 0, 1], [NaN, NaN, NaN, NaN]], { device });
    const [v, i] = x.nanmedian({ dim: -1, keepdim: true });
    expect(v.shape).toEqual([2, 1]);
    const vv = (await v.toArray()) as number[][];
    expect(vv[0]![0]).toBe(1);
    expect(Number.isNaN(vv[1]![0])).toBe(true);
    expect(((await i.toArray()) as number[][])[0]![0]).toBe(3);
    expect(await wg.tensor([NaN, 3, 1, 2], { device }).nanmedian().item()).toBe(2);
  });

  it('median matches cpu on random [7, 9] data along both dims', async () => {
    reseed(35);
    const [c, x] = pair([7, 9], device);
    for (const dim of [0, 1]) {
      const [cv, ci] = c.median({ dim });
      const [v, i] = x.median({ dim });
      await expectEqual(v, cv);
      await expectEqual(i, ci);
    }
  });
});

/** numpy's quantile of a sorted list with PyTorch's interpolation names, in plain JS. */
function refQuantile(values: number[], q: number, interpolation = 'linear'): number {
  const s = [...values].sort((a, b) => a - b);
  const r = q * (s.length - 1);
  const lo = Math.floor(r);
  const hi = Math.ceil(r);
  switch (interpolation) {
    case 'lower': return s[lo]!;
    case 'higher': return s[hi]!;
    case 'nearest': {
      const f = Math.floor(r);
      const n = r - f === 0.5 ? (f % 2 === 0 ? f : f + 1) : Math.round(r);
      return s[n]!;
    }
    case 'midpoint': return (s[lo]! + s[hi]!) / 2;
    default: return s[lo]! + (s[hi]! - s[lo]!) * (r - lo);
  }
}

describe.each(DEVICES)('quantile on %s', (device) => {
  it('of [1, 2, 3, 4] at 0.5 is 2.5; at 0, 1 the ends', async () => {
    const x = wg.tensor([1, 2, 3, 4], { device });
    expect(await x.quantile(0.5).item()).toBeCloseTo(2.5, 6);
    expect(await wg.quantile(x, 0).item()).toBe(1);
    expect(await wg.quantile(x, 1).item()).toBe(4);
  });

  it('matches numpy-style references for every interpolation at q = 0, 0.1, 0.25, 0.5, 0.9, 1', async () => {
    reseed(36);
    const data = Array.from({ length: 11 }, () => Math.round(rng() * 100) / 4);
    const x = wg.tensor(data, { device });
    for (const interpolation of ['linear', 'lower', 'higher', 'midpoint', 'nearest'] as const) {
      for (const q of [0, 0.1, 0.25, 0.5, 0.9, 1]) {
        expect(await x.quantile(q, { interpolation }).item()).toBeCloseTo(refQuantile(data, q, interpolation), 4);
      }
    }
  });

  it('nearest rounds half to even, as PyTorch (ranks 0.5 and 1.5 of 3 entries)', async () => {
    const x = wg.tensor([10, 20, 30], { device });
    expect(await x.quantile(0.25, { interpolation: 'nearest' }).item()).toBe(10);
    expect(await x.quantile(0.75, { interpolation: 'nearest' }).item()).toBe(30);
  });

  it('has PyTorch output shapes: a 1-D q puts its dim first; keepdim keeps the reduced dims', async () => {
    const x = wg.arange(24, { device, dtype: 'float32' }).reshape(2, 3, 4);
    const q = wg.tensor([0.25, 0.5, 0.75], { device });
    expect(x.quantile(0.5).shape).toEqual([]);
    expect(x.quantile(q).shape).toEqual([3]);
    expect(x.quantile(0.5, { dim: 1 }).shape).toEqual([2, 4]);
    expect(x.quantile(q, { dim: 1 }).shape).toEqual([3, 2, 4]);
    expect(x.quantile(q, { dim: 1, keepdim: true }).shape).toEqual([3, 2, 1, 4]);
    expect(x.quantile(0.5, { keepdim: true }).shape).toEqual([1, 1, 1]);
    expect(x.quantile(q, { keepdim: true }).shape).toEqual([3, 1, 1, 1]);
    expect(x.quantile(wg.tensor(0.5, { device }), { dim: 0 }).shape).toEqual([3, 4]);
    const v = (await x.quantile(q, { dim: 2 }).toArray()) as number[][][];
    expect(v[1]![0]![0]).toBeCloseTo(1.5, 5); // row [0, 1, 2, 3] at 0.5
    expect(v[2]![1]![2]).toBeCloseTo(22.25, 5); // row [20, 21, 22, 23] at 0.75
  });

  it('gives NaN for a row holding NaN; nanquantile skips the NaNs', async () => {
    const x = wg.tensor([[1, NaN, 3, 2], [4, 5, 6, 7]], { device });
    const v = (await x.quantile(0.5, { dim: 1 }).toArray()) as number[];
    expect(Number.isNaN(v[0])).toBe(true);
    expect(v[1]).toBeCloseTo(5.5, 5);
    expect(await x.nanquantile(0.5, { dim: 1 }).toArray()).toEqual([2, 5.5]);
    const allNan = (await wg.tensor([NaN, NaN], { device }).nanquantile(0.5).item()) as number;
    expect(Number.isNaN(allNan)).toBe(true);
  });

  it('matches cpu on random [5, 33] data with a q tensor', async () => {
    reseed(37);
    const [c, x] = pair([5, 33], device);
    const q = [0.05, 0.5, 0.99];
    await expectClose(x.quantile(wg.tensor(q, { device }), { dim: 1 }), c.quantile(wg.tensor(q), { dim: 1 }), 1e-6);
    await expectClose(x.transpose(0, 1).quantile(0.3, { dim: 0, interpolation: 'midpoint' }), c.transpose(0, 1).quantile(0.3, { dim: 0, interpolation: 'midpoint' }), 1e-6);
  });
});

describe('sort family gradients (gradcheck, float64, cpu)', () => {
  const x64 = (shape: number[], seed: number) => {
    reseed(seed);
    const n = shape.reduce((a, b) => a * b, 1);
    // Distinct values (no ties), so the finite differences do not cross a reordering.
    const vals = Array.from({ length: n }, (_, i) => i * 0.37 + rng() * 0.1);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [vals[i], vals[j]] = [vals[j]!, vals[i]!];
    }
    return wg.tensor(Float64Array.from(vals), { shape, dtype: 'float64', requiresGrad: true });
  };

  it('sort values along dim 0 and 1, descending too', async () => {
    expect(await wg.gradcheck((x) => x.sort({ dim: 0 })[0], [x64([4, 3], 1)])).toBe(true);
    expect(await wg.gradcheck((x) => x.sort({ descending: true })[0], [x64([3, 5], 2)])).toBe(true);
    expect(await wg.gradgradcheck((x) => x.sort()[0].square(), [x64([2, 4], 3)])).toBe(true);
  });

  it('kthvalue and median', async () => {
    expect(await wg.gradcheck((x) => x.kthvalue(2, { dim: 0 })[0], [x64([3, 4], 4)])).toBe(true);
    expect(await wg.gradcheck((x) => x.median({ dim: 1 })[0], [x64([3, 4], 5)])).toBe(true);
    expect(await wg.gradcheck((x) => x.median(), [x64([3, 3], 6)])).toBe(true);
  });

  it('quantile with every interpolation and a q tensor', async () => {
    for (const interpolation of ['linear', 'lower', 'higher', 'midpoint', 'nearest'] as const) {
      expect(await wg.gradcheck((x) => x.quantile(0.3, { dim: 1, interpolation }), [x64([2, 6], 7)])).toBe(true);
    }
    const q = wg.tensor(Float64Array.from([0.2, 0.7]), { dtype: 'float64' });
    expect(await wg.gradcheck((x) => x.quantile(q), [x64([7], 8)])).toBe(true);
    expect(await wg.gradcheck((x) => x.nanquantile(0.6, { dim: 0 }), [x64([5, 2], 9)])).toBe(true);
  });
});
