/**
 * Reductions: sum mean max min prod var std logsumexp argmax argmin.
 *
 * - hand-checked values on small tensors (literal expected numbers), every device;
 * - random inputs of odd sizes, non-contiguous views (transposed, stepped slices, expanded,
 *   permuted) and both webgpu kernels (a workgroup per long row, an invocation per short row),
 *   checked against a naive float64 reduction written here and, on webgpu, against cpu;
 * - empty reductions, int32 exactness, bool counting, argmax/argmin ties, logsumexp extremes.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { DEVICES, expectClose, expectEqual, pair, reseed, useDevices } from './helpers.js';

useDevices();

const TOL = 1e-4;

async function values(t: Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

/**
 * Expects `t`'s values within a relative 1e-6 of `expected` (for results that go through a
 * division, exp or log, which WGSL computes to a few ULP rather than correctly rounded).
 */
async function expectNear(t: Tensor, expected: number[], shape?: number[]): Promise<void> {
  if (shape) expect(t.shape).toEqual(shape);
  const got = await values(t);
  expect(got.length).toBe(expected.length);
  got.forEach((g, i) => {
    const e = expected[i]!;
    if (!Number.isFinite(e)) expect(g, `element ${i}`).toBe(e);
    else expect(Math.abs(g - e), `element ${i}: ${g} vs ${e}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(e)));
  });
}

// ---- a naive host reference, independent of both backends -----------------------------------

/**
 * Splits row-major `vals` of `shape` into one group per output element of a reduction over
 * `axes` (all axes when undefined). Each group lists its elements in row-major order of the
 * reduced axes, so a position in a group is the flat index argmax/argmin return.
 */
function groups(vals: ArrayLike<number>, shape: readonly number[], axes: readonly number[] | undefined): { outShape: number[]; rows: number[][] } {
  const rank = shape.length;
  const red = (axes ?? shape.map((_, i) => i)).map((a) => (a < 0 ? a + rank : a));
  const kept = shape.map((_, i) => i).filter((i) => !red.includes(i));
  const outShape = kept.map((i) => shape[i]!);
  const nOut = outShape.reduce((a, b) => a * b, 1);
  const rows: number[][] = Array.from({ length: nOut }, () => []);
  const coord = new Array<number>(rank).fill(0);
  for (let i = 0; i < vals.length; i++) {
    let o = 0;
    for (const k of kept) o = o * shape[k]! + coord[k]!;
    rows[o]!.push(vals[i]!);
    for (let d = rank - 1; d >= 0; d--) {
      if (++coord[d]! < shape[d]!) break;
      coord[d] = 0;
    }
  }
  return { outShape, rows };
}

const hostSum = (r: number[]) => r.reduce((a, b) => a + b, 0);
// Loops rather than Math.max(...r): rows may be longer than the call stack allows arguments.
const hostMax = (r: number[]) => r.reduce((a, b) => (b > a ? b : a), -Infinity);
const hostMin = (r: number[]) => r.reduce((a, b) => (b < a ? b : a), Infinity);
const hostMean = (r: number[]) => hostSum(r) / r.length;
const hostVar = (c: number) => (r: number[]) => {
  const m = hostMean(r);
  return r.reduce((a, v) => a + (v - m) ** 2, 0) / (r.length - c);
};
const hostLse = (r: number[]) => {
  const m = hostMax(r);
  if (!Number.isFinite(m)) return m;
  return m + Math.log(r.reduce((a, v) => a + Math.exp(v - m), 0));
};
const hostArg = (better: (a: number, b: number) => boolean) => (r: number[]) => {
  let best = 0;
  for (let i = 1; i < r.length; i++) if (better(r[i]!, r[best]!)) best = i;
  return best;
};

type Dim = number | number[] | undefined;

/** The reduced shape, with reduced axes kept as 1 when `keepdim`. */
function keptShape(shape: readonly number[], dim: Dim, keepdim: boolean, outShape: number[]): number[] {
  if (!keepdim) return outShape;
  const axes = dim === undefined ? shape.map((_, i) => i) : (typeof dim === 'number' ? [dim] : dim).map((a) => (a < 0 ? a + shape.length : a));
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

interface OpDef {
  run: (t: Tensor, dim: Dim, keepdim: boolean) => Tensor;
  host: (r: number[]) => number;
  /** Input range for random data (prod needs values near 1 so long rows stay in range). */
  low?: number;
  high?: number;
}

const OPS: Record<string, OpDef> = {
  sum: { run: (t, d, k) => t.sum(d, k), host: hostSum },
  mean: { run: (t, d, k) => t.mean(d, { keepdim: k }), host: hostMean },
  max: { run: (t, d, k) => t.amax(d, k), host: hostMax },
  min: { run: (t, d, k) => t.amin(d, { keepdim: k }), host: hostMin },
  prod: { run: (t, d, k) => t.prod(d, k), host: (r) => r.reduce((a, b) => a * b, 1), low: 0.9, high: 1.1 },
  'var (correction 1)': { run: (t, d, k) => t.var(d, { keepdim: k }), host: hostVar(1) },
  'var (correction 0)': { run: (t, d, k) => t.var(d, { correction: 0, keepdim: k }), host: hostVar(0) },
  'std (correction 1)': { run: (t, d, k) => t.std(d, { correction: 1, keepdim: k }), host: (r) => Math.sqrt(hostVar(1)(r)) },
  'std (correction 0)': { run: (t, d, k) => t.std(d, { correction: 0, keepdim: k }), host: (r) => Math.sqrt(hostVar(0)(r)) },
  logsumexp: { run: (t, d, k) => t.logsumexp(d, k), host: hostLse, low: -20, high: 20 },
};

interface Case {
  name: string;
  shape: number[];
  /** Makes the (possibly non-contiguous) view that is reduced. */
  view?: (t: Tensor) => Tensor;
  dim: Dim;
  keepdim?: boolean;
}

const CASES: Case[] = [
  { name: '[1], all elements', shape: [1], dim: undefined },
  { name: '[3], dim 0', shape: [3], dim: 0 },
  { name: '[17], dim -1', shape: [17], dim: -1 },
  { name: '[65], all elements', shape: [65], dim: undefined },
  { name: '[257], dim 0, keepdim', shape: [257], dim: 0, keepdim: true },
  { name: '[1000], all elements', shape: [1000], dim: undefined },
  { name: '[5, 17, 33], all elements', shape: [5, 17, 33], dim: undefined },
  { name: '[5, 17, 33], all elements, keepdim', shape: [5, 17, 33], dim: undefined, keepdim: true },
  { name: '[5, 17, 33], dim 0', shape: [5, 17, 33], dim: 0 },
  { name: '[5, 17, 33], dim 1', shape: [5, 17, 33], dim: 1 },
  { name: '[5, 17, 33], dim -1, keepdim', shape: [5, 17, 33], dim: -1, keepdim: true },
  { name: '[5, 17, 33], dims [0, 2]', shape: [5, 17, 33], dim: [0, 2] },
  { name: '[5, 17, 33], dims [-1, -3], keepdim', shape: [5, 17, 33], dim: [-1, -3], keepdim: true },
  { name: '[5, 17, 33], dims [0, 1]', shape: [5, 17, 33], dim: [0, 1] },
  { name: '[300, 17], dim 1: many short rows (an invocation per row)', shape: [300, 17], dim: 1 },
  { name: '[64, 64], dim 1: 64 rows of 64 (an invocation per row)', shape: [64, 64], dim: 1 },
  { name: '[64, 65], dim 1: rows of 65 (a workgroup per row)', shape: [64, 65], dim: 1 },
  { name: '[3, 1000], dim 1: few long rows (a workgroup per row)', shape: [3, 1000], dim: 1 },
  { name: '[5, 3], dim 1: few short rows', shape: [5, 3], dim: 1 },
  { name: 'transposed [33, 17] -> [17, 33], dim 0', shape: [33, 17], view: (t) => t.T, dim: 0 },
  { name: 'transposed [33, 17] -> [17, 33], dim 1', shape: [33, 17], view: (t) => t.T, dim: 1 },
  { name: 'transposed [300, 70] -> [70, 300], dim 1 (strided long rows)', shape: [300, 70], view: (t) => t.T, dim: 1 },
  { name: 'transposed [33, 17] -> [17, 33], all elements', shape: [33, 17], view: (t) => t.T, dim: undefined },
  { name: 'stepped slice [40, 70][1::3, 2::2], dim 1', shape: [40, 70], view: (t) => t.slice([1, null, 3], [2, null, 2]), dim: 1 },
  { name: 'stepped slice [40, 70][1::3, 2::2], dim 0', shape: [40, 70], view: (t) => t.slice([1, null, 3], [2, null, 2]), dim: 0 },
  { name: 'stepped slice [200, 9][::2, 1::3], dim 1 (many short strided rows)', shape: [200, 9], view: (t) => t.slice([null, null, 2], [1, null, 3]), dim: 1 },
  // Expanded (stride-0) dims are reduced together with real ones, so rows are not constant
  // (a constant row's variance is 0, where only rounding noise is left to compare).
  { name: 'expanded [5, 1, 33] -> [5, 17, 33], dims [1, 2]', shape: [5, 1, 33], view: (t) => t.expand([5, 17, 33]), dim: [1, 2] },
  { name: 'expanded [17, 1] -> [17, 100], dim 0', shape: [17, 1], view: (t) => t.expand([17, 100]), dim: 0 },
  { name: 'expanded [1, 65] -> [80, 65], all elements', shape: [1, 65], view: (t) => t.expand([80, 65]), dim: undefined },
  { name: 'permuted [5, 17, 33] -> [33, 5, 17], dims [0, 2]', shape: [5, 17, 33], view: (t) => t.permute(2, 0, 1), dim: [0, 2] },
  {
    name: 'permuted 6-D view with five non-mergeable reduced dims',
    shape: [2, 3, 2, 3, 2, 3],
    view: (t) => t.permute(5, 3, 1, 4, 2, 0),
    dim: [1, 2, 3, 4, 5],
  },
  { name: 'permuted 6-D view, all elements', shape: [2, 3, 2, 3, 2, 3], view: (t) => t.permute(5, 3, 1, 4, 2, 0), dim: undefined },
];

/** Checks `op` on `device` against the host reference (and, on webgpu, against cpu). */
async function checkAgainstReference(device: DeviceName, op: OpDef, c: Case): Promise<void> {
  reseed(c.shape.reduce((a, b) => a * 31 + b, 7));
  const [cpuBase, base] = pair(c.shape, device, { low: op.low, high: op.high });
  const x = c.view ? c.view(base) : base;
  const cpuX = c.view ? c.view(cpuBase) : cpuBase;
  const keepdim = c.keepdim ?? false;
  const actual = op.run(x, c.dim, keepdim);
  const host = await values(cpuX);
  const g = groups(host, cpuX.shape, c.dim === undefined ? undefined : typeof c.dim === 'number' ? [c.dim] : c.dim);
  const expected = wg.tensor(Float32Array.from(g.rows, op.host), { shape: keptShape(cpuX.shape, c.dim, keepdim, g.outShape), device: 'cpu' });
  await expectClose(actual, expected, TOL);
  if (device !== 'cpu') await expectClose(actual, op.run(cpuX, c.dim, keepdim), TOL);
}

describe.each(DEVICES)('reductions on %s: random inputs against a float64 reference', (device) => {
  for (const [opName, op] of Object.entries(OPS)) {
    describe(opName, () => {
      it.each(CASES)('$name', (c) => checkAgainstReference(device, op, c));
    });
  }
});

interface ArgCase {
  name: string;
  shape: number[];
  view?: (t: Tensor) => Tensor;
  dim: number | undefined;
  keepdim?: boolean;
}

const ARG_CASES: ArgCase[] = [
  { name: '[1], no dim', shape: [1], dim: undefined },
  { name: '[1000], no dim', shape: [1000], dim: undefined },
  { name: '[5, 17, 33], no dim (flattened index)', shape: [5, 17, 33], dim: undefined },
  { name: '[5, 17, 33], no dim, keepdim', shape: [5, 17, 33], dim: undefined, keepdim: true },
  { name: '[5, 17, 33], dim 0', shape: [5, 17, 33], dim: 0 },
  { name: '[5, 17, 33], dim 1, keepdim', shape: [5, 17, 33], dim: 1, keepdim: true },
  { name: '[5, 17, 33], dim -1', shape: [5, 17, 33], dim: -1 },
  { name: '[300, 17], dim 1: many short rows', shape: [300, 17], dim: 1 },
  { name: '[3, 1000], dim 1: long rows', shape: [3, 1000], dim: 1 },
  { name: 'transposed [33, 17] -> [17, 33], dim 1', shape: [33, 17], view: (t) => t.T, dim: 1 },
  { name: 'stepped slice [40, 70][1::3, 2::2], dim 0', shape: [40, 70], view: (t) => t.slice([1, null, 3], [2, null, 2]), dim: 0 },
  { name: 'permuted [5, 17, 33] -> [33, 5, 17], no dim', shape: [5, 17, 33], view: (t) => t.permute(2, 0, 1), dim: undefined },
];

describe.each(DEVICES)('argmax / argmin on %s: random inputs against a host reference', (device) => {
  for (const op of ['argmax', 'argmin'] as const) {
    it.each(ARG_CASES)(`${op}, $name`, async (c) => {
      reseed(c.shape.reduce((a, b) => a * 17 + b, 3));
      const [cpuBase, base] = pair(c.shape, device);
      const x = c.view ? c.view(base) : base;
      const cpuX = c.view ? c.view(cpuBase) : cpuBase;
      const keepdim = c.keepdim ?? false;
      const actual = x[op](c.dim, keepdim);
      const g = groups(await values(cpuX), cpuX.shape, c.dim === undefined ? undefined : [c.dim]);
      const pick = hostArg(op === 'argmax' ? (a, b) => a > b : (a, b) => a < b);
      const expected = wg.tensor(Int32Array.from(g.rows, pick), { shape: keptShape(cpuX.shape, c.dim, keepdim, g.outShape), device: 'cpu' });
      await expectEqual(actual, expected);
      if (device !== 'cpu') await expectEqual(actual, cpuX[op](c.dim, keepdim));
    });
  }
});

// ---- hand-checked values ---------------------------------------------------------------------

describe.each(DEVICES)('reductions on %s: hand-checked values', (device) => {
  const x23 = () => wg.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float32', device });
  const x234 = () => wg.arange(24, undefined, 1, { dtype: 'float32', device }).reshape(2, 3, 4);

  it('sum with no dim adds every element into a 0-d tensor', async () => {
    const s = x23().sum();
    expect(s.shape).toEqual([]);
    expect(s.dtype).toBe('float32');
    expect(await s.item()).toBe(21);
  });

  it('sum over dim 0 adds the rows', async () => {
    const s = x23().sum(0);
    expect(s.shape).toEqual([3]);
    expect(await values(s)).toEqual([5, 7, 9]);
  });

  it('sum over dim -1 (negative) adds along the last dim', async () => {
    expect(await values(x23().sum(-1))).toEqual([6, 15]);
  });

  it('sum with positional keepdim=true keeps the reduced dim as 1', async () => {
    const s = x23().sum(1, true);
    expect(s.shape).toEqual([2, 1]);
    expect(await values(s)).toEqual([6, 15]);
  });

  it('sum with {keepdim: true} keeps the reduced dim as 1', async () => {
    const s = x23().sum(0, { keepdim: true });
    expect(s.shape).toEqual([1, 3]);
    expect(await values(s)).toEqual([5, 7, 9]);
  });

  it('sum with keepdim=false and {keepdim: false} drop the reduced dim', async () => {
    expect(x23().sum(1, false).shape).toEqual([2]);
    expect(x23().sum(1, { keepdim: false }).shape).toEqual([2]);
  });

  it('sum with no dim and keepdim keeps every dim as 1', async () => {
    const s = x23().sum(null, true);
    expect(s.shape).toEqual([1, 1]);
    expect(await values(s)).toEqual([21]);
  });

  it('sum over dims [0, 2] of a 3-D tensor leaves the middle dim', async () => {
    // arange(24) as [2, 3, 4]: element (i, j, k) = 12i + 4j + k; summing i and k gives 32j + 60.
    const s = x234().sum([0, 2]);
    expect(s.shape).toEqual([3]);
    expect(await values(s)).toEqual([60, 92, 124]);
  });

  it('sum over dims [-1, 0] with keepdim equals dims [0, 2] kept as 1', async () => {
    const s = x234().sum([-1, 0], true);
    expect(s.shape).toEqual([1, 3, 1]);
    expect(await values(s)).toEqual([60, 92, 124]);
  });

  it('sum of a 0-d tensor is its value', async () => {
    expect(await wg.tensor(2.5, { device }).sum().item()).toBe(2.5);
  });

  it('mean over all, dim 0 and dim -1', async () => {
    await expectNear(x23().mean(), [3.5], []);
    await expectNear(x23().mean(0), [2.5, 3.5, 4.5], [3]);
    await expectNear(x23().mean(-1, true), [2, 5], [2, 1]);
  });

  it('mean of an int32 tensor is float32', async () => {
    const m = wg.tensor([1, 2, 3, 4], { dtype: 'int32', device }).mean();
    expect(m.dtype).toBe('float32');
    await expectNear(m, [2.5]);
  });

  it('max and min over all elements and along dims', async () => {
    const x = wg.tensor([[3, -1, 7], [-4, 9, 0]], { dtype: 'float32', device });
    expect(await x.max().item()).toBe(9);
    expect(await x.min().item()).toBe(-4);
    expect(await values(x.max(1).values)).toEqual([7, 9]);
    expect(await values(x.min(0).values)).toEqual([-4, -1, 0]);
    expect(x.max(0, true).values.shape).toEqual([1, 3]);
  });

  it('max of a row of -inf is -inf, min of a row of +inf is +inf', async () => {
    const x = wg.tensor([[-Infinity, -Infinity], [Infinity, Infinity]], { dtype: 'float32', device });
    expect(await values(x.max(1).values)).toEqual([-Infinity, Infinity]);
    expect(await values(x.min(1).values)).toEqual([-Infinity, Infinity]);
  });

  it('prod over all elements and along dims', async () => {
    expect(await x23().prod().item()).toBe(720);
    expect(await values(x23().prod(1))).toEqual([6, 120]);
    expect(await values(x23().prod(0, { keepdim: true }))).toEqual([4, 10, 18]);
  });

  it('argmax and argmin along a dim return int32 indices', async () => {
    const x = wg.tensor([[1, 9, 3], [7, 2, 8]], { dtype: 'float32', device });
    const a = x.argmax(1);
    expect(a.dtype).toBe('int32');
    expect(a.shape).toEqual([2]);
    expect(await values(a)).toEqual([1, 2]);
    expect(await values(x.argmin(1))).toEqual([0, 1]);
    expect(await values(x.argmax(0))).toEqual([1, 0, 1]);
    expect(await values(x.argmin(-2))).toEqual([0, 1, 0]);
  });

  it('argmax with keepdim keeps the reduced dim as 1', async () => {
    const x = wg.tensor([[1, 9, 3], [7, 2, 8]], { dtype: 'float32', device });
    const a = x.argmax(1, { keepdim: true });
    expect(a.shape).toEqual([2, 1]);
    expect(await values(a)).toEqual([1, 2]);
  });

  it('argmax with no dim indexes the flattened tensor', async () => {
    const x = wg.tensor([[1, 9, 3], [7, 2, 18]], { dtype: 'float32', device });
    const a = x.argmax();
    expect(a.shape).toEqual([]);
    expect(await a.item()).toBe(5);
    expect(await x.argmin().item()).toBe(0);
    const k = x.argmax(null, true);
    expect(k.shape).toEqual([1, 1]);
    expect(await values(k)).toEqual([5]);
  });

  it('argmax with no dim of a transposed view indexes the view flattened in its own order', async () => {
    // x.T = [[1, 7], [9, 2], [3, 18]]: flattened 1, 7, 9, 2, 3, 18; max at 5, min at 0, 9 at 2.
    const x = wg.tensor([[1, 9, 3], [7, 2, 18]], { dtype: 'float32', device });
    expect(await x.T.argmax().item()).toBe(5);
    expect(await x.T.argmin().item()).toBe(0);
    expect(await x.T.slice([0, 2]).argmax().item()).toBe(2);
  });

  it('var and std: correction 1 by default, 0 on request', async () => {
    const x = wg.tensor([[1, 2, 3, 4], [2, 4, 6, 8]], { dtype: 'float32', device });
    // Row sums of squared deviations: 5 and 20, over N - 1 = 3 or N = 4.
    await expectNear(x.var(1), [5 / 3, 20 / 3], [2]);
    await expectNear(x.var(1, { correction: 0 }), [1.25, 5], [2]);
    await expectNear(x.std(1, { correction: 0 }), [Math.sqrt(1.25), Math.sqrt(5)], [2]);
    await expectNear(x.std(-1), [Math.sqrt(5 / 3), Math.sqrt(20 / 3)], [2]);
  });

  it('var and std take the boolean `unbiased` form (true: N - 1, false: N)', async () => {
    const x = wg.tensor([1, 2, 3, 4], { dtype: 'float32', device });
    await expectNear(x.var(0, true), [5 / 3], []);
    await expectNear(x.var(0, false), [1.25], []);
    await expectNear(x.std(null, false), [Math.sqrt(1.25)], []);
    await expectNear(x.std(null, true), [Math.sqrt(5 / 3)], []);
  });

  it('var over several dims, with keepdim', async () => {
    // arange(24) as [2, 3, 4] over dims [0, 2]: for each j the values are 4j + {0..3, 12..15},
    // mean 4j + 7.5, deviations ±7.5, ±6.5, ±5.5, ±4.5: squared sum 2 * 149 = 298.
    await expectNear(x234().var([0, 2], { correction: 0, keepdim: true }), [37.25, 37.25, 37.25], [1, 3, 1]);
    await expectNear(x234().var([0, 2]), [298 / 7, 298 / 7, 298 / 7], [3]);
    await expectNear(x234().std([2, 0], { keepdim: true }), [Math.sqrt(298 / 7), Math.sqrt(298 / 7), Math.sqrt(298 / 7)], [1, 3, 1]);
  });

  it('var of an int32 tensor is float32', async () => {
    const v = wg.tensor([1, 2, 3, 4], { dtype: 'int32', device }).var();
    expect(v.dtype).toBe('float32');
    await expectNear(v, [5 / 3]);
  });

  it('logsumexp of small values', async () => {
    // log(e^0 + e^ln3) = ln 4.
    await expectNear(wg.tensor([0, Math.log(3)], { dtype: 'float32', device }).logsumexp(), [Math.log(4)], []);
    await expectNear(wg.zeros([2, 2], { device }).logsumexp([0, 1]), [Math.log(4)], []);
  });

  it('logsumexp of [1000, 1000] is finite: 1000 + ln 2', async () => {
    await expectNear(wg.tensor([1000, 1000], { dtype: 'float32', device }).logsumexp(0), [1000 + Math.LN2], []);
  });

  it('logsumexp of [-1000, -1000] is finite: -1000 + ln 2', async () => {
    await expectNear(wg.tensor([-1000, -1000], { dtype: 'float32', device }).logsumexp(0), [-1000 + Math.LN2], []);
  });

  it('logsumexp of an all -inf row is -inf, and other rows are unaffected', async () => {
    const x = wg.tensor([[-Infinity, -Infinity], [1000, 1000]], { dtype: 'float32', device });
    await expectNear(x.logsumexp(1), [-Infinity, 1000 + Math.LN2], [2]);
  });

  it('logsumexp of a row containing +inf is +inf', async () => {
    const x = wg.tensor([[Infinity, 1], [0, 0]], { dtype: 'float32', device });
    await expectNear(x.logsumexp(1), [Infinity, Math.LN2], [2]);
  });

  it('logsumexp with keepdim keeps the reduced dim as 1', async () => {
    const x = wg.tensor([[1000, 1000], [0, 0]], { dtype: 'float32', device });
    await expectNear(x.logsumexp(-1, { keepdim: true }), [1000 + Math.LN2, Math.LN2], [2, 1]);
  });
});

// ---- ties -------------------------------------------------------------------------------------

describe.each(DEVICES)('argmax / argmin ties on %s resolve to the first occurrence', (device) => {
  it('in a short row', async () => {
    const x = wg.tensor([[1, 5, 5, 2, 5], [0, -3, 4, -3, -3]], { dtype: 'float32', device });
    expect(await values(x.argmax(1))).toEqual([1, 2]);
    expect(await values(x.argmin(1))).toEqual([0, 1]);
  });

  it('in a row of all-equal values', async () => {
    const x = wg.full([3, 1000], 2.5, { device });
    expect(await values(x.argmax(1))).toEqual([0, 0, 0]);
    expect(await values(x.argmin(1))).toEqual([0, 0, 0]);
  });

  it('in a long row whose tied maxima fall to different invocations of a workgroup', async () => {
    // Positions 300 (lane 44), 700 (lane 188) and 999 (lane 231) of a 256-wide workgroup
    // tie; so do the minima at 513 (lane 1, third pass) and 130 (lane 130, first pass).
    const v = new Float32Array(1000).fill(0);
    for (const i of [700, 300, 999]) v[i] = 7;
    for (const i of [513, 130]) v[i] = -7;
    const x = wg.tensor(v, { device });
    expect(await x.argmax().item()).toBe(300);
    expect(await x.argmin().item()).toBe(130);
  });

  it('among many short rows with ties at different positions', async () => {
    const rows = 300;
    const n = 17;
    const v = new Int32Array(rows * n);
    const expected: number[] = [];
    for (let r = 0; r < rows; r++) {
      const first = r % n;
      const second = (first + 1 + (r % 5)) % n;
      const lo = Math.min(first, second);
      v[r * n + first] = 9;
      v[r * n + second] = 9;
      expected.push(first === second ? first : lo);
    }
    const x = wg.tensor(v, { shape: [rows, n], device });
    expect(await values(x.argmax(1))).toEqual(expected);
  });

  it('in a row of -inf (argmax) and +inf (argmin)', async () => {
    const x = wg.tensor([[-Infinity, -Infinity, -Infinity], [Infinity, Infinity, Infinity]], { dtype: 'float32', device });
    expect(await values(x.argmax(1))).toEqual([0, 0]);
    expect(await values(x.argmin(1))).toEqual([0, 0]);
  });

  it('along a non-last dim of a 3-D tensor', async () => {
    const x = wg.tensor([[[1, 2]], [[3, 2]], [[3, 0]]], { dtype: 'float32', device }); // [3, 1, 2]
    expect(await values(x.argmax(0))).toEqual([1, 0]);
    expect(await values(x.argmin(0))).toEqual([0, 2]);
  });

  it('with no dim: the first flat position of the maximum', async () => {
    const x = wg.tensor([[0, 4, 1], [4, 4, 2]], { dtype: 'int32', device });
    expect(await x.argmax().item()).toBe(1);
  });
});

// ---- rows longer than one kernel loop may run ------------------------------------------------

// llvmpipe ends a shader invocation's loops silently after 65535 iterations in all, so the webgpu
// backend reduces rows longer than 2048 elements per invocation (524,288 for 256 invocations) in
// chunks. These rows of 1,100,000 elements span three chunks.
describe.each(DEVICES)('reductions of rows longer than a kernel loop may run, on %s', (device) => {
  const LONG = 1_100_000;

  it('sum, max, min, mean and logsumexp of two long rows match a float64 reference', async () => {
    reseed(41);
    const [cpuX, x] = pair([2, LONG], device);
    const g = groups(await values(cpuX), [2, LONG], [1]);
    for (const name of ['sum', 'max', 'min', 'mean', 'logsumexp'] as const) {
      const op = OPS[name]!;
      await expectClose(op.run(x, 1, false), wg.tensor(Float32Array.from(g.rows, op.host), { device: 'cpu' }), TOL);
    }
  });

  it('int32 sum of a long row is exact', async () => {
    reseed(42);
    const [cpuX, x] = pair([LONG], device, { dtype: 'int32', low: -1000, high: 1000 });
    expect(await x.sum().item()).toBe(hostSum(await values(cpuX)));
  });

  it('argmax and argmin of a long row pick the first tie, across chunk boundaries', async () => {
    const v = new Float32Array(LONG);
    for (const i of [1_048_576, 600_000, 1_099_999]) v[i] = 5; // chunks 2, 1 and 2
    for (const i of [524_288, 524_287]) v[i] = -5; // first of chunk 1, last of chunk 0
    const x = wg.tensor(v, { shape: [1, LONG], device });
    expect(await values(x.argmax(1))).toEqual([600_000]);
    expect(await values(x.argmin(1))).toEqual([524_287]);
    expect(await x.argmax().item()).toBe(600_000);
  });

  it('argmax of long random rows matches a host reference', async () => {
    reseed(43);
    const [cpuX, x] = pair([3, LONG], device);
    const g = groups(await values(cpuX), [3, LONG], [1]);
    await expectEqual(x.argmax(1), wg.tensor(Int32Array.from(g.rows, hostArg((a, b) => a > b)), { device: 'cpu' }));
    await expectEqual(x.argmin(-1), wg.tensor(Int32Array.from(g.rows, hostArg((a, b) => a < b)), { device: 'cpu' }));
  });

  it('a long strided row (a transposed view) sums correctly', async () => {
    reseed(44);
    const [cpuX, x] = pair([LONG, 2], device);
    const g = groups(await values(cpuX.T), [2, LONG], [1]);
    await expectClose(x.T.sum(1), wg.tensor(Float32Array.from(g.rows, hostSum), { device: 'cpu' }), TOL);
  });
});

// ---- empty reductions ------------------------------------------------------------------------

describe.each(DEVICES)('empty reductions on %s', (device) => {
  it('sum over an empty dim is 0', async () => {
    const s = wg.zeros([3, 0], { device }).sum(1);
    expect(s.shape).toEqual([3]);
    expect(await values(s)).toEqual([0, 0, 0]);
  });

  it('sum of an empty tensor with no dim is a 0-d 0', async () => {
    const s = wg.zeros([0], { device }).sum();
    expect(s.shape).toEqual([]);
    expect(await s.item()).toBe(0);
  });

  it('sum over an empty leading dim gives zeros of the kept dims', async () => {
    // The output buffer may come from the pool dirty: release a filled one of its size first.
    const x = wg.zeros([0, 4], { device });
    wg.full([4], 7, { device }).dispose();
    const s = x.sum(0);
    expect(s.shape).toEqual([4]);
    expect(await values(s)).toEqual([0, 0, 0, 0]);
  });

  it('int32 sum over an empty dim is an int32 0', async () => {
    const s = wg.zeros([2, 0], { device, dtype: 'int32' }).sum(1);
    expect(s.dtype).toBe('int32');
    expect(await values(s)).toEqual([0, 0]);
  });

  it('prod over an empty dim is 1', async () => {
    const p = wg.zeros([3, 0], { device }).prod(1);
    expect(await values(p)).toEqual([1, 1, 1]);
    expect(await wg.zeros([0], { device }).prod().item()).toBe(1);
  });

  it('max over an empty dim throws a clear error naming the op and shape', () => {
    const x = wg.zeros([3, 0], { device });
    expect(() => x.max(1)).toThrow(/max: cannot reduce over an empty dimension \(shape \[3, 0\], dim \[1\]\)/);
    expect(() => x.min()).toThrow(/min: cannot reduce over an empty dimension/);
  });

  it('argmax and argmin of an empty tensor throw', () => {
    const x = wg.zeros([0], { device });
    expect(() => x.argmax()).toThrow(/argmax: cannot reduce over an empty dimension/);
    expect(() => wg.zeros([2, 0], { device }).argmin(1)).toThrow(/argmin: cannot reduce over an empty dimension/);
  });

  it('max over a non-empty dim of a tensor with another empty dim is an empty result', async () => {
    const m = wg.zeros([0, 3], { device }).max(1).values;
    expect(m.shape).toEqual([0]);
    expect(await values(m)).toEqual([]);
  });
});

// ---- dtypes ------------------------------------------------------------------------------------

describe.each(DEVICES)('integer and bool reductions on %s', (device) => {
  it('int32 sum is exact beyond float32 precision', async () => {
    const s = wg.tensor([16777217, 1, 1], { dtype: 'int32', device }).sum();
    expect(s.dtype).toBe('int32');
    expect(await s.item()).toBe(16777219);
  });

  it('int32 sum, max, min and prod of random values match an exact host reference', async () => {
    reseed(11);
    const [cpuX, x] = pair([5, 17, 33], device, { dtype: 'int32', low: -1000, high: 1000 });
    const host = await values(cpuX);
    for (const dim of [undefined, 0, 1, -1, [0, 2]] as Dim[]) {
      const g = groups(host, [5, 17, 33], dim === undefined ? undefined : typeof dim === 'number' ? [dim] : dim);
      const exp = (f: (r: number[]) => number) => wg.tensor(Int32Array.from(g.rows, f), { shape: g.outShape, device: 'cpu' });
      await expectEqual(x.sum(dim), exp(hostSum));
      await expectEqual(x.amax(dim), exp(hostMax));
      await expectEqual(x.amin(dim), exp(hostMin));
    }
    // prod of small ints stays exact: rows of 5 values in [-3, 3].
    reseed(12);
    const [cpuS, s] = pair([40, 5], device, { dtype: 'int32', low: -3, high: 4 });
    const gs = groups(await values(cpuS), [40, 5], [1]);
    await expectEqual(s.prod(1), wg.tensor(Int32Array.from(gs.rows, (r) => r.reduce((a, b) => a * b, 1)), { device: 'cpu' }));
  });

  it('int32 sums of long rows match cpu exactly', async () => {
    reseed(13);
    const [cpuX, x] = pair([7, 3001], device, { dtype: 'int32', low: -100000, high: 100000 });
    await expectEqual(x.sum(1), cpuX.sum(1));
    const g = groups(await values(cpuX), [7, 3001], [1]);
    await expectEqual(x.sum(1), wg.tensor(Int32Array.from(g.rows, hostSum), { device: 'cpu' }));
  });

  it('bool sum counts trues, as int32', async () => {
    const b = wg.tensor([[true, false, true], [false, false, true]], { device });
    const s = b.sum();
    expect(s.dtype).toBe('int32');
    expect(await s.item()).toBe(3);
    expect(await values(b.sum(0))).toEqual([1, 0, 2]);
    expect(await values(b.sum(1))).toEqual([2, 1]);
  });

  it('bool sums of a random mask count trues along each dim', async () => {
    reseed(14);
    const [cpuX, x] = pair([5, 17, 33], device);
    const mask = x.gt(0.5);
    const host = (await values(cpuX)).map((v) => (v > 0.5 ? 1 : 0));
    for (const dim of [undefined, 1, [0, 2]] as Dim[]) {
      const g = groups(host, [5, 17, 33], dim === undefined ? undefined : typeof dim === 'number' ? [dim] : dim);
      await expectEqual(mask.sum(dim), wg.tensor(Int32Array.from(g.rows, hostSum), { shape: g.outShape, device: 'cpu' }));
    }
  });

  it('max and min of a bool tensor are bool (any / all)', async () => {
    const b = wg.tensor([[true, false], [false, false]], { device });
    const any = b.max(1).values;
    expect(any.dtype).toBe('bool');
    expect(await any.toArray()).toEqual([true, false]);
    expect(await b.min(0).values.toArray()).toEqual([false, false]);
  });

  it('argmax of an int32 tensor', async () => {
    const x = wg.tensor([[-5, -2147483648, 3], [2147483647, 0, 2147483647]], { dtype: 'int32', device });
    expect(await values(x.argmax(1))).toEqual([2, 0]);
    expect(await values(x.argmin(1))).toEqual([1, 1]);
  });
});

// ---- bad arguments -----------------------------------------------------------------------------

describe.each(DEVICES)('reduction argument errors on %s', (device) => {
  it('a dim out of range names the dim and the rank', () => {
    const x = wg.zeros([2, 3], { device });
    expect(() => x.sum(2)).toThrow(/sum: dim 2 is out of range for a tensor of rank 2/);
    expect(() => x.argmax(-3)).toThrow(/argmax: dim -3 is out of range/);
  });

  it('a repeated dim is refused', () => {
    expect(() => wg.zeros([2, 3], { device }).sum([1, -1])).toThrow(/sum: dim \[1, -1\] repeats an axis/);
  });
});

describe.each(DEVICES)('NaN in max / min reductions on %s', (device) => {
  it('max and min of a row holding NaN are NaN (as in PyTorch); other rows are unaffected', async () => {
    const x = wg.tensor([[1, NaN, 3], [4, 5, 6]], { device });
    expect(Array.from(await x.max(1).values.data())).toEqual([NaN, 6]);
    expect(Array.from(await x.min(1).values.data())).toEqual([NaN, 4]);
    expect(Number.isNaN(await x.max().item())).toBe(true);
  });

  it('a NaN in a long row (the workgroup kernel) propagates too', async () => {
    const vals = Array.from({ length: 1000 }, (_, i) => i);
    vals[517] = NaN;
    expect(Number.isNaN(await wg.tensor(vals, { device, dtype: 'float32' }).max().item())).toBe(true);
  });

  it('rows of 37: a NaN at any position (each lane of the wide loops and the tail) makes only its row NaN; an extreme of zero keeps the first zero met', async () => {
    const L = 37;
    const vals: number[] = [];
    for (let at = 0; at < L; at++) for (let i = 0; i < L; i++) vals.push(i === at ? NaN : ((i * 7) % 11) - 5);
    vals.push(...Array.from({ length: L }, (_, i) => ((i * 5) % 9) + 1)); // a row without NaN: max 9, min 1
    const zeros = [[-0, ...new Array(L - 1).fill(-3)], [...new Array(L - 1).fill(-3), -0], [0, -0, ...new Array(L - 2).fill(-3)]];
    const x = wg.tensor(vals, { device, dtype: 'float32' }).reshape([L + 1, L]);
    for (const r of [await x.amax(1).data(), await x.amin(1).data()]) {
      expect(Array.from(r.slice(0, L)).every(Number.isNaN)).toBe(true);
    }
    expect((await x.amax(1).data())[L]).toBe(9);
    expect((await x.amin(1).data())[L]).toBe(1);
    const z = await wg.tensor(zeros.flat(), { device, dtype: 'float32' }).reshape([3, L]).amax(1).data();
    const zn = await wg.tensor(zeros.flat().map((v) => (v === -3 ? 3 : v)), { device, dtype: 'float32' }).reshape([3, L]).amin(1).data();
    for (const r of [z, zn]) {
      expect(Array.from(r).every((v) => v === 0)).toBe(true);
      // The sign of a tie between -0 and +0 is not defined by PyTorch; cpu and wasm keep the first zero met, webgpu's parallel order does not promise one.
      if (device !== 'webgpu') expect(Array.from(r).map((v) => Object.is(v, -0))).toEqual([true, true, false]);
    }
  });
});

// ---- PyTorch's calling forms --------------------------------------------------------------------

describe.each(DEVICES)('max / min over one dim give values and indices on %s', (device) => {
  const x = () => wg.tensor([[3, -1, 7], [-4, 9, 0]], { device });

  it('destructure as [values, indices], as PyTorch\'s x.max(1)', async () => {
    const [v, i] = x().max(1);
    expect(await v.toArray()).toEqual([7, 9]);
    expect(i.dtype).toBe('int32');
    expect(await i.toArray()).toEqual([2, 1]);
  });

  it('also read as .values and .indices, with keepdim', async () => {
    const r = x().min(0, true);
    expect(r.values.shape).toEqual([1, 3]);
    expect(r.indices.shape).toEqual([1, 3]);
    expect(await r.values.toArray()).toEqual([[-4, -1, 0]]);
    expect(await r.indices.toArray()).toEqual([[1, 0, 1]]);
  });

  it('max over all elements, or over a list of dims, is one tensor (as amax)', async () => {
    expect(await x().max().item()).toBe(9);
    expect(await x().max([0, 1]).item()).toBe(9);
    expect(await x().amax(1).toArray()).toEqual([7, 9]);
    expect(await x().amin([1]).toArray()).toEqual([-1, -4]);
  });

  it('the values carry the gradient; tidy keeps both tensors of a returned result', async () => {
    const w = wg.tensor([[1, 5], [7, 2]], { device, requiresGrad: true });
    const { values } = w.max(1);
    values.sum().backward();
    expect(await w.grad!.toArray()).toEqual([[0, 1], [1, 0]]);
    const r = wg.tidy(() => x().mul(2).max(1));
    expect(r.values.isDisposed).toBe(false);
    expect(r.indices.isDisposed).toBe(false);
    expect(await r.indices.toArray()).toEqual([2, 1]);
  });
});

describe.each(DEVICES)('reductions take { dim, keepdim } on %s', (device) => {
  const x = () => wg.tensor([[1, 2, 3], [4, 5, 6]], { device });

  it('x.sum({ dim: 1 }) reduces dim 1, as PyTorch\'s dim keyword', async () => {
    expect(await x().sum({ dim: 1 }).toArray()).toEqual([6, 15]);
    expect(x().mean({ dim: 0, keepdim: true }).shape).toEqual([1, 3]);
    expect(await x().argmax({ dim: 1 }).toArray()).toEqual([2, 2]);
    expect(await x().var({ dim: 1, correction: 0 }).toArray()).toEqual([2 / 3, 2 / 3].map((v) => Math.fround(v)));
    const [v, i] = x().max({ dim: 0 });
    expect(await v.toArray()).toEqual([4, 5, 6]);
    expect(await i.toArray()).toEqual([1, 1, 1]);
  });

  it('a misspelt option is refused with a did-you-mean', () => {
    expect(() => x().sum(1, { keepDim: true } as never)).toThrow(/^sum: unknown option 'keepDim' \(did you mean 'keepdim'\?\); accepted options: keepdim/);
    expect(() => x().sum({ dims: 1 } as never)).toThrow(/^sum: unknown option 'dims' \(did you mean 'dim'\?\)/);
    expect(() => x().var(1, { corection: 0 } as never)).toThrow(/^var: unknown option 'corection' \(did you mean 'correction'\?\)/);
  });

  it('wrong types for dim and keepdim name the op', () => {
    expect(() => x().sum('1' as never)).toThrow(/^sum: dim must be a number, an array of numbers, or null for all dims, got '1'/);
    expect(() => x().mean(1, 'yes' as never)).toThrow(/^mean: keepdim must be true or false, or an options object \{ keepdim \}, got 'yes'/);
    expect(() => x().sum({ dim: 1 }, true as never)).toThrow(/^sum: with an options object first/);
    expect(() => x().sum(1.5)).toThrow(/^sum: dim must be an integer, got 1\.5/);
  });

  it('a negative correction is refused', () => {
    expect(() => x().var(1, { correction: -1 })).toThrow(/^var: correction must be a finite number >= 0, got -1/);
    expect(() => x().std(1, { correction: NaN })).toThrow(/^std: correction must be a finite number >= 0, got NaN/);
  });
});
