/**
 * F.embedding, F.pad, F.oneHot and F.topk: every device against the cpu reference on random
 * inputs, known values, gradcheck / gradgradcheck in float64, device gradients against cpu
 * gradients, embedding's backward with many repeated indices on the device (exact counts),
 * and the error messages (index out of range on cpu at once, on webgpu at the next read).
 */
import type { DeviceName } from '../src/index.js';
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { DEVICES, pair, relErr, reseed, rng, useDevices } from './helpers.js';

useDevices();
const F = wg.F;

const ints = (shape: number[], hi: number, device: DeviceName) =>
  wg.tensor(Int32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => Math.floor(rng() * hi)), { shape, device });

/**
 * f on the same random float input (and int inputs) on `device` and on cpu: the outputs, and
 * the gradients of sum(w * out[0]) with respect to the float input.
 */
async function compare(device: DeviceName, shape: number[], f: (x: Tensor, dev: DeviceName) => Tensor | [Tensor, Tensor], seed: number, opts: { tol?: number } = {}) {
  const tol = opts.tol ?? 1e-6;
  const runOn = async (dev: DeviceName) => {
    reseed(seed);
    const [, x] = pair(shape, dev);
    x.requiresGrad = true;
    const r = f(x, dev);
    const outs = Array.isArray(r) ? r : [r];
    reseed(seed + 1000);
    const y = outs[0]!;
    const w = wg.tensor(Array.from({ length: y.size }, () => rng() * 2 - 1), { shape: y.shape, dtype: 'float32', device: dev });
    y.mul(w).sum().backward();
    return {
      outs: await Promise.all(outs.map(async (o) => ({ shape: o.shape, dtype: o.dtype, data: Array.from(await o.data()) }))),
      grad: Array.from(await x.grad!.data()),
      gradDevice: x.grad!.device,
    };
  };
  const got = await runOn(device);
  const ref = await runOn('cpu');
  got.outs.forEach((o, i) => {
    expect(o.shape).toEqual(ref.outs[i]!.shape);
    expect(o.dtype).toBe(ref.outs[i]!.dtype);
    if (o.dtype === 'int32') expect(o.data).toEqual(ref.outs[i]!.data);
    else expect(relErr(o.data, ref.outs[i]!.data)).toBeLessThan(tol);
  });
  expect(got.gradDevice).toBe(device);
  expect(relErr(got.grad, ref.grad)).toBeLessThan(tol);
}

describe.each(DEVICES)('embedding on %s', (device) => {
  it.each([
    ['indices [2, 3, 4], weight [7, 5]', [2, 3, 4], [7, 5], null],
    ['paddingIdx 2', [3, 5], [6, 3], 2],
    ['negative paddingIdx -1 (the last row)', [9], [4, 6], -1],
    ['a 0-d index', [], [5, 3], null],
    ['transposed (strided) indices', [4, 3], [8, 2], 0],
  ] as const)('matches cpu (values and gradients): %s', async (_name, ishape, wshape, paddingIdx) => {
    reseed(3);
    const idxValues = Array.from({ length: ishape.reduce((a, b) => a * b, 1) }, () => Math.floor(rng() * wshape[0]));
    const strided = _name.startsWith('transposed');
    await compare(device, [...wshape], (w, dev) => {
      let idx = wg.tensor(Int32Array.from(idxValues), { shape: [...ishape], device: dev });
      if (strided) idx = idx.T;
      return F.embedding(idx, w, { paddingIdx });
    }, 5);
  });

  it('gathers the right rows; the paddingIdx row gets no gradient', async () => {
    const w = wg.tensor([[0, 1], [10, 11], [20, 21]], { dtype: 'float32', device, requiresGrad: true });
    const idx = wg.tensor([[2, 0], [1, 2]], { device, dtype: 'int32' });
    const y = F.embedding(idx, w, { paddingIdx: 2 });
    expect(await y.toArray()).toEqual([[[20, 21], [0, 1]], [[10, 11], [20, 21]]]);
    y.sum().backward();
    expect(await w.grad!.toArray()).toEqual([[1, 1], [1, 1], [0, 0]]);
  });

  it('backward with many repeated indices adds every contribution (exact counts)', async () => {
    const V = 5;
    const values = Int32Array.from({ length: 4000 }, (_, i) => (i % 7 === 0 ? 3 : i % 3)); // rows 0-3, row 4 never
    const w = wg.zeros([V, 3], { device, requiresGrad: true });
    F.embedding(wg.tensor(values, { shape: [40, 100], device }), w).sum().backward();
    const counts = Array.from({ length: V }, (_, r) => values.filter((v) => v === r).length);
    expect(await w.grad!.toArray()).toEqual(counts.map((c) => [c, c, c]));
  });

  it('an index out of range is a clear error', async () => {
    const w = wg.zeros([5, 2], { device });
    for (const bad of [7, -1]) {
      const idx = wg.tensor([[0, 1], [bad, 2]], { device, dtype: 'int32' });
      const msg = new RegExp(`embedding: index ${bad} is out of range for a weight with 5 rows \\(expected 0 to 4\\)`);
      if (device !== 'webgpu') {
        // cpu and wasm check the indices as the gather runs (the values are in host memory).
        expect(() => F.embedding(idx, w)).toThrow(msg);
      } else {
        const y = F.embedding(idx, w); // nothing is read back implicitly: the error comes at the next read
        await expect(y.data()).rejects.toThrow(new RegExp(`${msg.source}; detected on webgpu by an earlier op, reported at this read`));
      }
    }
    // The device recovers: the next lookup reads fine.
    expect(await F.embedding(wg.tensor([1], { device, dtype: 'int32' }), wg.ones([5, 2], { device })).toArray()).toEqual([[1, 1]]);
  });

  it('bad arguments are clear errors', () => {
    const w = wg.zeros([5, 2], { device });
    const idx = wg.tensor([0, 1], { device, dtype: 'int32' });
    expect(() => F.embedding(idx, w, { paddingIdx: 5 })).toThrow(/embedding: paddingIdx 5 is out of range for a weight with 5 rows \(expected -5 to 4\)/);
    expect(() => F.embedding(idx, w, { paddingIdx: -6 })).toThrow(/embedding: paddingIdx -6 is out of range/);
    expect(() => F.embedding(wg.tensor([0.5, 1], { device }), w)).toThrow(/embedding: indices must be an int32 tensor, got float32/);
    expect(() => F.embedding(idx, wg.zeros([5], { device }))).toThrow(/embedding: weight must be 2-D \[numEmbeddings, embeddingDim\], got shape \[5\]/);
    if (device === 'webgpu') expect(() => F.embedding(idx, wg.zeros([5, 2]))).toThrow(/embedding: all tensors must be on one device/);
  });
});

describe.each(DEVICES)('pad on %s', (device) => {
  const cases: [string, number[], (x: Tensor) => Tensor][] = [
    ['constant [1, 2], value 1.5', [2, 3, 5, 4], (x) => F.pad(x, [1, 2], { value: 1.5 })],
    ['constant [1, 2, 0, 3] (two dims)', [2, 3, 5, 4], (x) => F.pad(x, [1, 2, 0, 3])],
    ['constant with negative pads (crop)', [2, 3, 5, 4], (x) => F.pad(x, [-1, 2, 1, -2])],
    ['constant on three dims, transposed input', [3, 4, 5], (x) => F.pad(x.transpose(0, 2), [1, 1, 2, 0, 0, 1])],
    ['reflect [2, 3, 1, 4]', [2, 3, 5, 4], (x) => F.pad(x, [2, 3, 1, 4], { mode: 'reflect' })],
    ['reflect, 1-D-like input', [1, 2, 7], (x) => F.pad(x, [3, 6], { mode: 'reflect' })],
    ['replicate [3, 1, 2, 2]', [2, 3, 5, 4], (x) => F.pad(x, [3, 1, 2, 2], { mode: 'replicate' })],
    ['replicate of a strided view', [4, 6, 5], (x) => F.pad(x.slice(null, [0, null, 2]), [0, 2, 3, 0], { mode: 'replicate' })],
  ];
  it.each(cases)('matches cpu (values and gradients): %s', async (_name, shape, f) => {
    await compare(device, shape, (x) => f(x), 9);
  });

  it('known values', async () => {
    const x = wg.tensor([1, 2, 3, 4], { dtype: 'float32', device });
    expect(await F.pad(x, [2, 3], { mode: 'reflect' }).toArray()).toEqual([3, 2, 1, 2, 3, 4, 3, 2, 1]);
    expect(await F.pad(x, [2, 1], { mode: 'replicate' }).toArray()).toEqual([1, 1, 1, 2, 3, 4, 4]);
    expect(await F.pad(x, [1, -1], { value: 9 }).toArray()).toEqual([9, 1, 2, 3]);
    expect(await F.pad(x, []).toArray()).toEqual([1, 2, 3, 4]);
    const m = wg.tensor([[1, 2], [3, 4]], { device });
    expect(await F.pad(m, [1, 0, 0, 1]).toArray()).toEqual([[0, 1, 2], [0, 3, 4], [0, 0, 0]]);
    expect((await F.pad(m, [1, 0]).toArray())).toEqual([[0, 1, 2], [0, 3, 4]]);
    // The gradient of reflect adds up the copies of each element.
    const r = wg.tensor([1, 2, 3], { dtype: 'float32', device, requiresGrad: true });
    F.pad(r, [2, 2], { mode: 'reflect' }).sum().backward(); // [3, 2, 1, 2, 3, 2, 1]
    expect(await r.grad!.toArray()).toEqual([2, 3, 2]);
  });

  it('bad input is a clear error', () => {
    const x = wg.zeros([2, 3, 4], { device });
    expect(() => F.pad(x, [1])).toThrow(/pad: pad \[1\] must have an even length of at most 2 \* rank = 6/);
    expect(() => F.pad(x, [1, 1, 1, 1, 1, 1, 1, 1])).toThrow(/pad: pad \[1, 1, 1, 1, 1, 1, 1, 1\] must have an even length of at most 2 \* rank = 6 .* for input \[2, 3, 4\]/);
    expect(() => F.pad(x, [4, 0], { mode: 'reflect' })).toThrow(/pad: reflect padding \(4, 0\) of dim 2 must be less than that dim's size 4/);
    expect(() => F.pad(x, [0, 0, 1, 3], { mode: 'reflect' })).toThrow(/pad: reflect padding \(1, 3\) of dim 1 must be less than that dim's size 3/);
    expect(() => F.pad(x, [-1, 0], { mode: 'replicate' })).toThrow(/pad: replicate padding takes no negative amounts, got \(-1, 0\) for dim 2/);
    expect(() => F.pad(x, [-3, -2])).toThrow(/pad: padding \(-3, -2\) of dim 2 \(size 4\) gives a negative size -1/);
    expect(() => F.pad(x, [1, 1], { mode: 'circular' as never })).toThrow(/pad: mode must be one of 'constant', 'reflect', 'replicate', got 'circular'/);
    expect(() => F.pad(x, [1, 1], { mode: 'reflect', value: 2 })).toThrow(/pad: value is only used in constant mode/);
    expect(() => F.pad(x, [1.5, 1])).toThrow(/pad: pad must be an array of integers, got \[1.5, 1\]/);
  });
});

describe.each(DEVICES)('oneHot on %s', (device) => {
  it('matches cpu and known values', async () => {
    const idx = wg.tensor([[0, 3], [2, 0]], { device, dtype: 'int32' });
    const y = F.oneHot(idx, 4);
    expect(y.dtype).toBe('int32');
    expect(await y.toArray()).toEqual([[[1, 0, 0, 0], [0, 0, 0, 1]], [[0, 0, 1, 0], [1, 0, 0, 0]]]);
    reseed(4);
    const vals = Array.from({ length: 35 }, () => Math.floor(rng() * 9));
    const a = F.oneHot(wg.tensor(Int32Array.from(vals), { shape: [5, 7], device }).T, 9);
    const b = F.oneHot(wg.tensor(Int32Array.from(vals), { shape: [5, 7] }).T, 9);
    expect(a.shape).toEqual([7, 5, 9]);
    expect(Array.from(await a.data())).toEqual(Array.from(await b.data()));
  });

  it('bad input is a clear error', async () => {
    const idx = wg.tensor([0, 5, 1], { device, dtype: 'int32' });
    const msg = /oneHot: index 5 is out of range for numClasses = 5 \(expected 0 to 4\)/;
    if (device !== 'webgpu') expect(() => F.oneHot(idx, 5)).toThrow(msg);
    else await expect(F.oneHot(idx, 5).data()).rejects.toThrow(msg);
    expect(() => F.oneHot(idx, -1)).toThrow(/oneHot: numClasses is required .* pass e\.g\. \(await indices\.max\(\)\.item\(\)\) \+ 1/);
    expect(() => (F.oneHot as (i: Tensor) => Tensor)(idx)).toThrow(/oneHot: numClasses is required/);
    expect(() => F.oneHot(idx, 0)).toThrow(/oneHot: numClasses must be a positive integer, got 0/);
    expect(() => F.oneHot(wg.tensor([0.5], { device }), 3)).toThrow(/oneHot: indices must be an int32 tensor, got float32/);
  });
});

describe.each(DEVICES)('topk on %s', (device) => {
  it.each([
    ['k 4 along the last dim', [3, 17], (x: Tensor) => F.topk(x, 4)],
    ['k 3 smallest along dim 1', [5, 6, 3], (x: Tensor) => F.topk(x, 3, { dim: 1, largest: false })],
    ['k = n, dim 0, transposed input', [7, 4], (x: Tensor) => F.topk(x.T, 4, { dim: 0, sorted: false })],
    ['k 1 of one row', [1, 9], (x: Tensor) => F.topk(x, 1)],
    ['k 2 of a long row (chunked argmax)', [2, 20000], (x: Tensor) => F.topk(x, 2)],
  ] as const)('matches cpu (values, indices, gradients): %s', async (_name, shape, f) => {
    await compare(device, [...shape], f, 21);
  });

  it('known values: sorted, ties by index, NaN largest, -inf entries kept apart', async () => {
    const x = wg.tensor([1, NaN, 3, -Infinity, -Infinity], { dtype: 'float32', device });
    const [v, i] = F.topk(x, 5);
    expect(await v.toArray()).toEqual([NaN, 3, 1, -Infinity, -Infinity]);
    expect(await i.toArray()).toEqual([1, 2, 0, 3, 4]);
    const [vs, is] = F.topk(x, 5, { largest: false });
    expect(await vs.toArray()).toEqual([-Infinity, -Infinity, 1, 3, NaN]);
    expect(await is.toArray()).toEqual([3, 4, 0, 2, 1]);
    const t = wg.tensor([[2, 7, 2, 7, -2147483648], [5, 5, 5, 1, 2147483647]], { device, dtype: 'int32' });
    const [tv, ti] = F.topk(t, 3);
    expect(tv.dtype).toBe('int32');
    expect(await tv.toArray()).toEqual([[7, 7, 2], [2147483647, 5, 5]]);
    expect(await ti.toArray()).toEqual([[1, 3, 0], [4, 0, 1]]);
    const [sv, si] = F.topk(t, 5, { largest: false });
    expect(await sv.toArray()).toEqual([[-2147483648, 2, 2, 7, 7], [1, 5, 5, 5, 2147483647]]);
    expect(await si.toArray()).toEqual([[4, 0, 2, 1, 3], [3, 0, 1, 2, 4]]);
    const [zv, zi] = F.topk(t, 0);
    expect(zv.shape).toEqual([2, 0]);
    expect(zi.shape).toEqual([2, 0]);
    const [s0, i0] = F.topk(wg.tensor(4.5, { device }), 1);
    expect(s0.shape).toEqual([]);
    expect(await s0.item()).toBe(4.5);
    expect(await i0.item()).toBe(0);
  });

  it('bad input is a clear error', () => {
    const x = wg.zeros([3, 4], { device });
    expect(() => F.topk(x, 5)).toThrow(/topk: k = 5 is out of range for dim 1 of size 4 \(input \[3, 4\]; expected 0 to 4\)/);
    expect(() => F.topk(x, -1, { dim: 0 })).toThrow(/topk: k = -1 is out of range for dim 0 of size 3/);
    expect(() => F.topk(x, 1, { dim: 2 })).toThrow(/topk.*2/);
    expect(() => F.topk(wg.tensor([true, false], { device }), 1)).toThrow(/topk: bool tensors are not supported/);
  });
});

describe('gradients (float64, cpu)', () => {
  const f64 = (shape: number[]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    // Distinct values, so that topk has no ties within eps.
    const v = Array.from({ length: n }, (_, i) => (i - n / 2) * 0.29 + rng() * 0.1);
    return wg.tensor(v, { shape, dtype: 'float64', requiresGrad: true });
  };
  const idx = (values: number[], shape: number[]) => wg.tensor(Int32Array.from(values), { shape });
  const cases: [string, () => Tensor[], (...xs: Tensor[]) => Tensor][] = [
    ['embedding (repeated indices)', () => [idx([0, 2, 2, 1, 0, 2], [2, 3]), f64([3, 4])], (i, w) => F.embedding(i!, w!)],
    ['pad constant (with a crop)', () => [f64([2, 3, 4])], (x) => F.pad(x!, [1, -1, 2, 0], { value: 0.5 })],
    ['pad reflect', () => [f64([1, 3, 4])], (x) => F.pad(x!, [3, 2, 1, 2], { mode: 'reflect' })],
    ['pad replicate', () => [f64([2, 3])], (x) => F.pad(x!, [2, 3, 1, 0], { mode: 'replicate' })],
    ['topk values', () => [f64([3, 5])], (x) => F.topk(x!, 3)[0]],
    ['topk values, smallest, dim 0', () => [f64([4, 3])], (x) => F.topk(x!, 2, { dim: 0, largest: false })[0]],
  ];
  it.each(cases)('gradcheck: %s', async (_name, inputs, fn) => {
    reseed(31);
    expect(await wg.gradcheck(fn, inputs())).toBe(true);
  });
  // paddingIdx withholds a gradient on purpose (finite differences disagree), so it is
  // checked by known values above; its backward is still differentiable.
  const second: typeof cases = [
    ...cases,
    ['embedding with paddingIdx', () => [idx([0, 2, 2, 1], [4]), f64([3, 2])], (i, w) => F.embedding(i!, w!, { paddingIdx: 2 })],
  ];
  it.each(second)('gradgradcheck: %s', async (_name, inputs, fn) => {
    reseed(32);
    expect(await wg.gradgradcheck(fn, inputs(), { atol: 1e-4, rtol: 1e-3 })).toBe(true);
  });
});
