/**
 * Gathering and joining: gather, indexSelect, cat, stack. Values are copied, never computed,
 * so every comparison is exact: against a host reference written here on every device and,
 * on webgpu, against cpu. Out-of-range indices: cpu throws at once; webgpu (which cannot throw
 * from a kernel) reports the error at the next read back.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { DEVICES, expectEqual, pair, reseed, rng, useDevices } from './helpers.js';

useDevices();

async function values(t: Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Row-major coordinates of flat index i in `shape`. */
function coords(i: number, shape: readonly number[]): number[] {
  const c = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    c[d] = i % shape[d]!;
    i = Math.floor(i / shape[d]!);
  }
  return c;
}
const flatIndex = (c: readonly number[], shape: readonly number[]) => c.reduce((a, x, d) => a * shape[d]! + x, 0);

/** Host gather: out[c] = x[c with c[dim] replaced by index[c]]. */
function hostGather(x: number[], xShape: number[], dim: number, index: number[], iShape: number[]): number[] {
  return index.map((j, i) => {
    const c = coords(i, iShape);
    c[dim] = j;
    return x[flatIndex(c, xShape)]!;
  });
}

/** Host cat of row-major pieces along `dim`. */
function hostCat(pieces: { vals: number[]; shape: number[] }[], dim: number): { vals: number[]; shape: number[] } {
  const shape = [...pieces[0]!.shape];
  shape[dim] = pieces.reduce((a, p) => a + p.shape[dim]!, 0);
  const vals = new Array<number>(numel(shape));
  let at = 0;
  for (const p of pieces) {
    p.vals.forEach((v, i) => {
      const c = coords(i, p.shape);
      c[dim]! += at;
      vals[flatIndex(c, shape)] = v;
    });
    at += p.shape[dim]!;
  }
  return { vals, shape };
}

/** Random int32 indices in [0, size), as a cpu and a `device` tensor. */
function indexPair(shape: number[], size: number, device: DeviceName): [Tensor, Tensor] {
  const v = Int32Array.from({ length: numel(shape) }, () => Math.floor(rng() * size));
  return [wg.tensor(v, { shape, device: 'cpu' }), wg.tensor(v, { shape, device })];
}

describe.each(DEVICES)('gather on %s', (device) => {
  it('hand-checked: picks along dim 1 of a 2-D tensor', async () => {
    const x = wg.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float32', device });
    const idx = wg.tensor([[2, 0, 0, 1], [1, 1, 2, 0]], { dtype: 'int32', device });
    const g = x.gather(1, idx);
    expect(g.shape).toEqual([2, 4]);
    expect(g.dtype).toBe('float32');
    expect(await g.toArray()).toEqual([[3, 1, 1, 2], [5, 5, 6, 4]]);
  });

  it('hand-checked: picks along dim 0, with an index smaller than the input in the other dim', async () => {
    const x = wg.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float32', device });
    const idx = wg.tensor([[1, 0], [0, 0], [1, 1]], { dtype: 'int32', device });
    expect(await wg.gather(x, 0, idx).toArray()).toEqual([[4, 2], [1, 2], [4, 5]]);
  });

  const X_SHAPE = [4, 5, 6];
  const INDEX_SHAPES: [number, number[]][] = [
    [0, [7, 5, 6]],
    [1, [4, 9, 3]],
    [2, [3, 5, 11]],
    [-1, [4, 2, 6]],
  ];
  it.each(INDEX_SHAPES)('along dim %i of a [4, 5, 6] tensor with an index of shape %j', async (dim, iShape) => {
    reseed(100 + dim);
    const [cx, x] = pair(X_SHAPE, device);
    const d = dim < 0 ? dim + 3 : dim;
    const [ci, idx] = indexPair(iShape, X_SHAPE[d]!, device);
    const g = x.gather(dim, idx);
    const expected = hostGather(await values(cx), X_SHAPE, d, await values(ci), iShape);
    await expectEqual(g, wg.tensor(Float32Array.from(expected), { shape: iShape, device: 'cpu' }));
    if (device !== 'cpu') await expectEqual(g, cx.gather(dim, ci));
  });

  it('from a non-contiguous input (transposed, then sliced with a step)', async () => {
    reseed(110);
    const [cx0, x0] = pair([12, 9], device);
    const view = (t: Tensor) => t.T.slice(null, [1, null, 2]); // [9, 6]
    const [ci, idx] = indexPair([9, 4], 6, device);
    const expected = hostGather(await values(view(cx0)), [9, 6], 1, await values(ci), [9, 4]);
    await expectEqual(view(x0).gather(1, idx), wg.tensor(Float32Array.from(expected), { shape: [9, 4], device: 'cpu' }));
  });

  it('with a non-contiguous index (transposed and expanded)', async () => {
    reseed(111);
    const [cx, x] = pair([5, 8], device);
    const [ci, idx0] = indexPair([3, 5], 8, device);
    const iv = (t: Tensor) => t.T; // [5, 3]
    const expected = hostGather(await values(cx), [5, 8], 1, await values(iv(ci)), [5, 3]);
    await expectEqual(x.gather(1, iv(idx0)), wg.tensor(Float32Array.from(expected), { shape: [5, 3], device: 'cpu' }));
    // One row of indices broadcast to every row of x.
    const row = wg.tensor([7, 0, 7, 3], { dtype: 'int32', device }).reshape(1, 4).expand(5, 4);
    const cRow = wg.tensor([7, 0, 7, 3], { dtype: 'int32', device: 'cpu' }).reshape(1, 4).expand(5, 4);
    const expectedRow = hostGather(await values(cx), [5, 8], 1, await values(cRow), [5, 4]);
    await expectEqual(x.gather(1, row), wg.tensor(Float32Array.from(expectedRow), { shape: [5, 4], device: 'cpu' }));
  });

  it('of int32 and bool values keeps their dtype', async () => {
    const xi = wg.tensor([[10, -20], [30, 2147483647]], { dtype: 'int32', device });
    const idx = wg.tensor([[1, 1], [0, 1]], { dtype: 'int32', device });
    const gi = xi.gather(0, idx);
    expect(gi.dtype).toBe('int32');
    expect(await gi.toArray()).toEqual([[30, 2147483647], [10, 2147483647]]);
    const xb = wg.tensor([[true, false], [false, false]], { device });
    const gb = xb.gather(1, wg.tensor([[1, 0, 0]], { dtype: 'int32', device }));
    expect(gb.dtype).toBe('bool');
    expect(await gb.toArray()).toEqual([[false, true, true]]);
  });

  it('with an empty index gives an empty result', async () => {
    const g = wg.ones([3, 4], { device }).gather(1, wg.zeros([3, 0], { dtype: 'int32', device }));
    expect(g.shape).toEqual([3, 0]);
    expect(await values(g)).toEqual([]);
  });

  it('takes a float32 index holding integers, as tensor([...]) of plain numbers makes', async () => {
    const x = wg.tensor([[1, 2], [3, 4]], { device });
    expect(await x.gather(1, wg.tensor([[1], [0]], { device })).toArray()).toEqual([[2], [3]]);
    expect(await x.indexSelect(0, wg.tensor([1, 1], { device })).toArray()).toEqual([[3, 4], [3, 4]]);
    expect(await wg.zeros([3], { device }).scatterAdd(0, wg.tensor([2, 2], { device }), wg.ones([2], { device })).toArray()).toEqual([0, 0, 2]);
  });

  it('a float32 index gives the same gradient as an int32 one', async () => {
    const x = wg.tensor([[1, 2], [3, 4]], { device, requiresGrad: true });
    x.gather(1, wg.tensor([[1], [1]], { device })).sum().backward();
    expect(await x.grad!.toArray()).toEqual([[0, 1], [0, 1]]);
  });

  it('refuses a bool index, a rank mismatch, and an index larger than the input in another dim', () => {
    const x = wg.ones([3, 4], { device });
    expect(() => x.gather(1, wg.zeros([3, 2], { device, dtype: 'bool' }))).toThrow(/gather: index must hold integer indices .*got a bool tensor of shape \[3, 2\]/);
    expect(() => x.gather(1, wg.zeros([3], { dtype: 'int32', device }))).toThrow(/gather: index must have the input's rank 2, got shape \[3\]/);
    expect(() => x.gather(1, wg.zeros([4, 2], { dtype: 'int32', device }))).toThrow(/gather: index shape \[4, 2\] is larger than input \[3, 4\] in dimension 0/);
  });
});

describe.each(DEVICES)('indexSelect on %s', (device) => {
  const x = () => wg.tensor([[0, 1, 2, 3, 4], [10, 11, 12, 13, 14], [20, 21, 22, 23, 24], [30, 31, 32, 33, 34]], { dtype: 'float32', device });

  it('selects rows along dim 0, with repeats', async () => {
    const s = x().indexSelect(0, wg.tensor([3, 0, 3, 3, 1], { dtype: 'int32', device }));
    expect(s.shape).toEqual([5, 5]);
    expect(await s.toArray()).toEqual([
      [30, 31, 32, 33, 34],
      [0, 1, 2, 3, 4],
      [30, 31, 32, 33, 34],
      [30, 31, 32, 33, 34],
      [10, 11, 12, 13, 14],
    ]);
  });

  it('selects columns along dim 1, with repeats', async () => {
    const s = wg.indexSelect(x(), 1, wg.tensor([4, 4, 0], { dtype: 'int32', device }));
    expect(s.shape).toEqual([4, 3]);
    expect(await s.toArray()).toEqual([[4, 4, 0], [14, 14, 10], [24, 24, 20], [34, 34, 30]]);
  });

  it('selects along dim -1 of a random 3-D tensor, from a transposed view', async () => {
    reseed(120);
    const [cx, x3] = pair([6, 5, 7], device);
    const [ci, idx] = indexPair([9], 6, device);
    const view = (t: Tensor) => t.permute(1, 2, 0); // [5, 7, 6]
    const s = view(x3).indexSelect(-1, idx);
    expect(s.shape).toEqual([5, 7, 9]);
    // indexSelect(d, i) = gather(d, i laid along d and broadcast): the host gather says what to expect.
    const iv = await values(ci);
    const full = Array.from({ length: 5 * 7 * 9 }, (_, i) => iv[i % 9]!);
    const expected = hostGather(await values(view(cx)), [5, 7, 6], 2, full, [5, 7, 9]);
    await expectEqual(s, wg.tensor(Float32Array.from(expected), { shape: [5, 7, 9], device: 'cpu' }));
    if (device !== 'cpu') await expectEqual(s, view(cx).indexSelect(-1, ci));
  });

  it('of a 1-D tensor', async () => {
    const v = wg.tensor([5, 6, 7], { dtype: 'int32', device });
    expect(await values(v.indexSelect(0, wg.tensor([2, 2, 0, 1], { dtype: 'int32', device })))).toEqual([7, 7, 5, 6]);
  });

  it('with an empty index gives an empty dim', async () => {
    const s = x().indexSelect(1, wg.zeros([0], { dtype: 'int32', device }));
    expect(s.shape).toEqual([4, 0]);
    expect(await values(s)).toEqual([]);
  });

  it('refuses a 2-D index', () => {
    expect(() => x().indexSelect(0, wg.zeros([2, 2], { dtype: 'int32', device }))).toThrow(/indexSelect: index must be 1-D, got shape \[2, 2\]/);
  });
});

describe.each(DEVICES)('cat on %s', (device) => {
  it('hand-checked: along dim 0 with differing sizes', async () => {
    const a = wg.tensor([[1, 2]], { dtype: 'float32', device });
    const b = wg.tensor([[3, 4], [5, 6]], { dtype: 'float32', device });
    const c = wg.cat([a, b, a]);
    expect(c.shape).toEqual([4, 2]);
    expect(await c.toArray()).toEqual([[1, 2], [3, 4], [5, 6], [1, 2]]);
  });

  it('hand-checked: along dim 1 with differing sizes', async () => {
    const a = wg.tensor([[1], [2]], { dtype: 'float32', device });
    const b = wg.tensor([[3, 4, 5], [6, 7, 8]], { dtype: 'float32', device });
    expect(await wg.cat([a, b], 1).toArray()).toEqual([[1, 3, 4, 5], [2, 6, 7, 8]]);
  });

  const CAT_CASES: [number, number[][]][] = [
    [0, [[2, 3, 4], [5, 3, 4], [1, 3, 4]]],
    [1, [[2, 3, 4], [2, 7, 4], [2, 1, 4]]],
    [-1, [[2, 3, 4], [2, 3, 1], [2, 3, 9]]],
    [2, [[3, 65, 1], [3, 65, 70]]],
  ];
  it.each(CAT_CASES)('of random pieces along dim %i with shapes %j', async (dim, shapes) => {
    reseed(200 + dim);
    const pairs = shapes.map((s) => pair(s, device));
    const c = wg.cat(pairs.map((p) => p[1]), dim);
    const d = dim < 0 ? dim + 3 : dim;
    const pieces = await Promise.all(pairs.map(async ([cp], i) => ({ vals: await values(cp), shape: shapes[i]! })));
    const h = hostCat(pieces, d);
    await expectEqual(c, wg.tensor(Float32Array.from(h.vals), { shape: h.shape, device: 'cpu' }));
    if (device !== 'cpu') await expectEqual(c, wg.cat(pairs.map((p) => p[0]), dim));
  });

  it('promotes mixed dtypes: int32 with float32 gives float32', async () => {
    const a = wg.tensor([[1, 2]], { dtype: 'int32', device });
    const b = wg.tensor([[0.5, -1.5]], { dtype: 'float32', device });
    const c = wg.cat([a, b]);
    expect(c.dtype).toBe('float32');
    expect(await c.toArray()).toEqual([[1, 2], [0.5, -1.5]]);
  });

  it('promotes mixed dtypes: bool with int32 gives int32, bool with float32 gives float32', async () => {
    const b = wg.tensor([true, false], { device });
    const i = wg.tensor([7, -7], { dtype: 'int32', device });
    const f = wg.tensor([0.25], { dtype: 'float32', device });
    const bi = wg.cat([b, i]);
    expect(bi.dtype).toBe('int32');
    expect(await values(bi)).toEqual([1, 0, 7, -7]);
    const bf = wg.cat([f, b], -1);
    expect(bf.dtype).toBe('float32');
    expect(await values(bf)).toEqual([0.25, 1, 0]);
    const bb = wg.cat([b, b]);
    expect(bb.dtype).toBe('bool');
    expect(await bb.toArray()).toEqual([true, false, true, false]);
  });

  it('of non-contiguous pieces (transposed, stepped slice, expanded)', async () => {
    reseed(210);
    const [ca, a] = pair([4, 3], device); // .T -> [3, 4]
    const [cb, b] = pair([6, 8], device); // [::2, ::2] -> [3, 4]
    const [cc, c] = pair([1, 4], device); // expand -> [2, 4]
    const views = (t: Tensor[]) => [t[0]!.T, t[1]!.slice([null, null, 2], [null, null, 2]), t[2]!.expand(2, 4)];
    const got = wg.cat(views([a, b, c]), 0);
    const cpuViews = views([ca, cb, cc]);
    const pieces = await Promise.all(cpuViews.map(async (v) => ({ vals: await values(v), shape: [...v.shape] })));
    const h = hostCat(pieces, 0);
    expect(got.shape).toEqual([8, 4]);
    await expectEqual(got, wg.tensor(Float32Array.from(h.vals), { shape: h.shape, device: 'cpu' }));
    // Along dim 1 too, where each piece lands in a strided slot of the result.
    const got1 = wg.cat(views([a, b, c]).slice(0, 2), 1);
    const h1 = hostCat(pieces.slice(0, 2), 1);
    await expectEqual(got1, wg.tensor(Float32Array.from(h1.vals), { shape: h1.shape, device: 'cpu' }));
  });

  it('skips empty pieces', async () => {
    const a = wg.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float32', device });
    const c0 = wg.cat([wg.zeros([0, 3], { device }), a, wg.zeros([0, 3], { device })], 0);
    expect(c0.shape).toEqual([2, 3]);
    expect(await c0.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    const c1 = wg.cat([a, wg.zeros([2, 0], { device })], -1);
    expect(await c1.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
  });

  it('of only empty pieces is empty', async () => {
    const c = wg.cat([wg.zeros([0, 3], { device }), wg.zeros([0, 3], { device })], 0);
    expect(c.shape).toEqual([0, 3]);
    expect(await values(c)).toEqual([]);
  });

  it('of one tensor is a copy of it', async () => {
    const a = wg.tensor([1, 2, 3], { dtype: 'int32', device });
    expect(await values(wg.cat([a]))).toEqual([1, 2, 3]);
  });

  it('refuses pieces whose other dims differ, naming every shape', () => {
    const a = wg.zeros([2, 3], { device });
    const b = wg.zeros([2, 4], { device });
    expect(() => wg.cat([a, b], 0)).toThrow(
      new RegExp(`cat: all tensors must have the same shape except in dim 0, got \\[2, 3\\] float32 on ${device}, \\[2, 4\\] float32 on ${device}`),
    );
    expect(() => wg.cat([a, wg.zeros([2, 3, 1], { device })], 0)).toThrow(/cat: all tensors must have the same shape except in dim 0/);
  });

  it('refuses an empty list and a dim out of range', () => {
    expect(() => wg.cat([], 0)).toThrow(/cat: expected a non-empty array of tensors/);
    expect(() => wg.cat([wg.zeros([2], { device })], 1)).toThrow(/cat: dim 1 is out of range for a tensor of rank 1/);
  });
});

describe.each(DEVICES)('stack on %s', (device) => {
  const parts = () => [0, 1, 2].map((k) => wg.tensor([[k, k + 10, k + 20], [k + 100, k + 110, k + 120]], { dtype: 'float32', device }));

  it('along a new dim 0', async () => {
    const s = wg.stack(parts(), 0);
    expect(s.shape).toEqual([3, 2, 3]);
    expect(await s.toArray()).toEqual([
      [[0, 10, 20], [100, 110, 120]],
      [[1, 11, 21], [101, 111, 121]],
      [[2, 12, 22], [102, 112, 122]],
    ]);
  });

  it('along a new dim 1', async () => {
    const s = wg.stack(parts(), 1);
    expect(s.shape).toEqual([2, 3, 3]);
    expect(await s.toArray()).toEqual([
      [[0, 10, 20], [1, 11, 21], [2, 12, 22]],
      [[100, 110, 120], [101, 111, 121], [102, 112, 122]],
    ]);
  });

  it('along a new last dim (-1)', async () => {
    const s = wg.stack(parts(), -1);
    expect(s.shape).toEqual([2, 3, 3]);
    expect(await s.toArray()).toEqual([
      [[0, 1, 2], [10, 11, 12], [20, 21, 22]],
      [[100, 101, 102], [110, 111, 112], [120, 121, 122]],
    ]);
  });

  it('of random non-contiguous pieces matches cat of the unsqueezed pieces', async () => {
    reseed(300);
    const ps = [pair([7, 5], device), pair([7, 5], device)];
    const s = wg.stack([ps[0]![1].T, ps[1]![1].T], 1); // [5, 2, 7]
    const pieces = await Promise.all(ps.map(async ([c]) => ({ vals: await values(c.T), shape: [5, 1, 7] })));
    const h = hostCat(pieces, 1);
    await expectEqual(s, wg.tensor(Float32Array.from(h.vals), { shape: [5, 2, 7], device: 'cpu' }));
  });

  it('of empty pieces gives an empty result with the new dim', async () => {
    const e = [wg.zeros([0, 3], { device }), wg.zeros([0, 3], { device })];
    const s0 = wg.stack(e, 0);
    expect(s0.shape).toEqual([2, 0, 3]);
    expect(await values(s0)).toEqual([]);
    expect(wg.stack(e, -1).shape).toEqual([0, 3, 2]);
  });

  it('promotes mixed dtypes', async () => {
    const s = wg.stack([wg.tensor([1, 2], { dtype: 'int32', device }), wg.tensor([0.5, 1.5], { dtype: 'float32', device })]);
    expect(s.dtype).toBe('float32');
    expect(await s.toArray()).toEqual([[1, 2], [0.5, 1.5]]);
  });

  it('refuses pieces of different shapes', () => {
    expect(() => wg.stack([wg.zeros([2], { device }), wg.zeros([3], { device })])).toThrow(/stack: all tensors must have the same shape, got \[2\]/);
  });
});

// ---- out-of-range indices ------------------------------------------------------------------------

describe('out-of-range indices on cpu throw at once', () => {
  it('gather names the index and the size', () => {
    const x = wg.ones([3, 4], { device: 'cpu' });
    const idx = wg.tensor([[0, 4]], { dtype: 'int32', device: 'cpu' });
    expect(() => x.gather(1, idx)).toThrow(/index 4 is out of range for dimension 1 of size 4/);
  });

  it('a negative index is out of range', () => {
    const x = wg.ones([3, 4], { device: 'cpu' });
    expect(() => x.gather(0, wg.tensor([[-1]], { dtype: 'int32', device: 'cpu' }))).toThrow(/index -1 is out of range for dimension 0 of size 3/);
  });

  it('indexSelect names the index and the size', () => {
    const x = wg.ones([3, 4], { device: 'cpu' });
    expect(() => x.indexSelect(0, wg.tensor([1, 3], { dtype: 'int32', device: 'cpu' }))).toThrow(/index 3 is out of range for dimension 0 of size 3/);
  });
});

describe.skipIf(!DEVICES.includes('webgpu'))('out-of-range indices on webgpu are reported at the next read', () => {
  const device = 'webgpu' as const;

  it('gather enqueues without throwing; reading the result throws naming the index and size', async () => {
    const x = wg.ones([3, 4], { device });
    const idx = wg.tensor([[0, 4]], { dtype: 'int32', device });
    const g = x.gather(1, idx); // does not throw: the kernel only flags the error
    await expect(g.data()).rejects.toThrow(/index 4 is out of range for a dimension of size 4/);
  });

  it('the error surfaces at a read of any later tensor, and the read after that is clean', async () => {
    const x = wg.tensor([1, 2, 3], { dtype: 'float32', device });
    x.indexSelect(0, wg.tensor([0, -1], { dtype: 'int32', device }));
    const other = x.mul(2);
    await expect(other.data()).rejects.toThrow(/index -1 is out of range for a dimension of size 3/);
    expect(await values(x.mul(3))).toEqual([3, 6, 9]);
  });

  it('a valid gather after a reported error reads back correctly', async () => {
    const x = wg.tensor([[1, 2], [3, 4]], { dtype: 'float32', device });
    const bad = x.gather(0, wg.tensor([[2, 0]], { dtype: 'int32', device }));
    await expect(bad.data()).rejects.toThrow(/out of range/);
    const good = x.gather(0, wg.tensor([[1, 0]], { dtype: 'int32', device }));
    expect(await good.toArray()).toEqual([[3, 2]]);
  });
});

describe('float index tensors on cpu', () => {
  it('a non-integer value is refused, naming it and the way to make indices', () => {
    const x = wg.ones([3, 4], { device: 'cpu' });
    expect(() => x.gather(1, wg.tensor([[0.5], [1], [2]], { device: 'cpu' }))).toThrow(
      /^gather: index must hold integers, got 0\.5 in a float32 tensor of shape \[3, 1\] \(make indices with an Int32Array, \{ dtype: 'int32' \} or \.cast\('int32'\)\)/,
    );
    expect(() => x.indexSelect(0, wg.tensor([1.5], { device: 'cpu' }))).toThrow(/^indexSelect: index must hold integers, got 1\.5/);
  });
});
