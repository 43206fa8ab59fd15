/**
 * Views: reshape/view/transpose/permute/expand/squeeze/unsqueeze/slice/narrow/select/flatten
 * return tensors on the same storage (no copy, no new bytes in `memory()`); `contiguous()`,
 * `reshape()` and `flatten()` copy exactly when the strides cannot express the result; `view()`
 * never copies and throws instead. The values a view reads are checked against hand-computed
 * arrays on every device.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { DEVICES, expectEqual, pair, useDevices } from './helpers.js';

useDevices();

/** Live storage buffers and bytes on `device` (synchronous: no finalizer runs in between). */
function held(device: DeviceName): { buffers: number; bytes: number } {
  const m = wg.memory().devices[device]!;
  return { buffers: m.buffers, bytes: m.bytes };
}

/** 0..23 as int32 [4, 6]: x[i][j] = 6i + j. */
const grid = (device: DeviceName) => wg.arange(24, undefined, 1, { device }).reshape(4, 6);
/** The host copy of `grid`. */
const G = Array.from({ length: 4 }, (_, i) => Array.from({ length: 6 }, (_, j) => 6 * i + j));

describe.each(DEVICES)('views share storage on %s', (device) => {
  const VIEW_OPS: [string, (x: Tensor) => Tensor][] = [
    ['reshape', (x) => x.reshape(3, 8)],
    ['reshape with -1', (x) => x.reshape(-1, 2)],
    ['view', (x) => x.view(2, 12)],
    ['transpose', (x) => x.transpose(0, 1)],
    ['.T', (x) => x.T],
    ['permute', (x) => x.permute(1, 0)],
    ['expand', (x) => x.reshape(4, 1, 6).expand(4, 5, 6)],
    ['squeeze', (x) => x.reshape(1, 4, 1, 6).squeeze()],
    ['unsqueeze', (x) => x.unsqueeze(1)],
    ['slice with steps', (x) => x.slice([1, null, 2], [null, null, 3])],
    ['slice with a number index', (x) => x.slice(2)],
    ['narrow', (x) => x.narrow(1, 2, 3)],
    ['select', (x) => x.select(1, -1)],
    ['flatten', (x) => x.flatten()],
    ['contiguous() of a contiguous tensor', (x) => x.contiguous()],
    ['contiguous() of a contiguous slice with an offset', (x) => x.slice([1, 3]).contiguous()],
  ];

  it.each(VIEW_OPS)('%s returns a tensor on the same storage', (_name, f) => {
    const x = grid(device);
    const y = f(x);
    expect(y).not.toBe(x);
    expect(y.storage).toBe(x.storage);
  });

  it('.to() the tensor\'s own device returns a view on the same storage', async () => {
    const x = grid(device);
    const y = await x.to(device);
    expect(y).not.toBe(x);
    expect(y.storage).toBe(x.storage);
    expect(await y.toArray()).toEqual(G);
  });

  it('taking every view allocates no buffer and no bytes (memory() counts the new tensors only)', () => {
    const x = grid(device);
    const before = held(device);
    const tensorsBefore = wg.memory().devices[device]!.tensors;
    const views = VIEW_OPS.map(([, f]) => f(x));
    expect(held(device)).toEqual(before);
    // Intermediate views (reshape before expand/squeeze, slice before contiguous) count too.
    expect(wg.memory().devices[device]!.tensors - tensorsBefore).toBeGreaterThanOrEqual(views.length);
    for (const v of views) expect(v.storage).toBe(x.storage);
  });

  it('a view outlives dispose() of its base: the storage stays until the last view goes', async () => {
    const x = wg.tensor(G, { device });
    const v = x.T;
    x.dispose();
    expect(x.storage.released).toBe(false);
    const row = v.slice(0);
    expect(await row.toArray()).toEqual([0, 6, 12, 18]);
    row.dispose();
    expect(x.storage.released).toBe(false);
    v.dispose();
    expect(x.storage.released).toBe(true);
  });
});

describe.each(DEVICES)('copies happen exactly when needed on %s', (device) => {
  it('contiguous() of a transposed tensor copies into new storage with the transposed values', async () => {
    const x = grid(device);
    const t = x.T;
    expect(t.isContiguous()).toBe(false);
    const before = held(device);
    const c = t.contiguous();
    expect(c.storage).not.toBe(x.storage);
    expect(c.isContiguous()).toBe(true);
    expect(c.strides).toEqual([4, 1]);
    expect(held(device)).toEqual({ buffers: before.buffers + 1, bytes: before.bytes + c.storage.bytes });
    expect(await c.toArray()).toEqual(G[0]!.map((_, j) => G.map((row) => row[j])));
  });

  it('contiguous() of an expanded tensor copies the broadcast values', async () => {
    const x = wg.tensor([[1], [2]], { device });
    const c = x.expand(2, 3).contiguous();
    expect(c.storage).not.toBe(x.storage);
    expect(c.strides).toEqual([3, 1]);
    expect(await c.toArray()).toEqual([[1, 1, 1], [2, 2, 2]]);
  });

  it('contiguous() of a stepped slice copies', async () => {
    const x = grid(device);
    const c = x.slice(null, [null, null, 2]).contiguous();
    expect(c.storage).not.toBe(x.storage);
    expect(await c.toArray()).toEqual(G.map((r) => [r[0], r[2], r[4]]));
  });

  it('view() of a transposed tensor into a flat shape throws, naming view() and reshape()', () => {
    const t = grid(device).T;
    expect(() => t.view(24)).toThrow(/^view: a tensor of shape \[6, 4\] with strides \[1, 6\] cannot be viewed as \[24\] without a copy; use reshape\(\)/);
    expect(() => t.view(-1)).toThrow(/^view: .*without a copy/);
  });

  it('reshape() of the same transposed tensor copies, in row-major order of the view', async () => {
    const x = grid(device);
    const before = held(device);
    const r = x.T.reshape(24);
    expect(r.storage).not.toBe(x.storage);
    expect(held(device).buffers).toBe(before.buffers + 1);
    expect(await r.toArray()).toEqual(G[0]!.flatMap((_, j) => G.map((row) => row[j])));
  });

  it('view() of a transposed tensor works when only a dim is split (strides allow it)', async () => {
    const x = grid(device);
    const v = x.T.view(6, 2, 2); // splits the size-4 dim of stride 6 into 2 x 2
    expect(v.storage).toBe(x.storage);
    expect(v.strides).toEqual([1, 12, 6]);
    expect(await v.toArray()).toEqual(G[0]!.map((_, j) => [[G[0]![j], G[1]![j]], [G[2]![j], G[3]![j]]]));
  });

  it('reshape() of an expanded tensor copies when the broadcast dim must merge, views when it need not', async () => {
    const x = wg.tensor([[1], [2], [3]], { device }).expand(3, 4);
    const merged = x.reshape(12);
    expect(merged.storage).not.toBe(x.storage);
    expect(await merged.toArray()).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
    const split = x.reshape(3, 2, 2);
    expect(split.storage).toBe(x.storage);
    expect(split.strides).toEqual([1, 0, 0]);
    expect(await split.toArray()).toEqual([[[1, 1], [1, 1]], [[2, 2], [2, 2]], [[3, 3], [3, 3]]]);
  });

  it('flatten() of a non-contiguous tensor copies; of a contiguous one it views', async () => {
    const x = grid(device);
    const f = x.T.flatten();
    expect(f.storage).not.toBe(x.storage);
    expect(f.shape).toEqual([24]);
    expect(await f.slice([null, 4]).toArray()).toEqual([0, 6, 12, 18]);
    expect(x.flatten().storage).toBe(x.storage);
  });

  it('reshape() of a row slice (contiguous, offset) is a view; of a column slice it copies', async () => {
    const x = grid(device);
    const rows = x.narrow(0, 1, 2);
    expect(rows.reshape(12).storage).toBe(x.storage);
    expect(await rows.reshape(3, 4).toArray()).toEqual([[6, 7, 8, 9], [10, 11, 12, 13], [14, 15, 16, 17]]);
    const cols = x.narrow(1, 1, 2);
    const r = cols.reshape(8);
    expect(r.storage).not.toBe(x.storage);
    expect(await r.toArray()).toEqual([1, 2, 7, 8, 13, 14, 19, 20]);
  });

  it('clone() always copies', async () => {
    const x = grid(device);
    const c = x.clone();
    expect(c.storage).not.toBe(x.storage);
    await expectEqual(c, x);
  });
});

describe.each(DEVICES)('view values read back correctly on %s', (device) => {
  it('.T of [4, 6] is its transpose', async () => {
    const t = grid(device).T;
    expect(t.shape).toEqual([6, 4]);
    expect(t.strides).toEqual([1, 6]);
    expect(await t.toArray()).toEqual(G[0]!.map((_, j) => G.map((row) => row[j])));
  });

  it('transpose and .T of a 1-d or 0-d tensor are the tensor itself (as views)', async () => {
    const v = wg.tensor([1, 2, 3], { device });
    expect(await v.T.toArray()).toEqual([1, 2, 3]);
    expect(await v.transpose().toArray()).toEqual([1, 2, 3]);
    expect(v.T.storage).toBe(v.storage);
    const s = wg.tensor(5, { device });
    expect(s.T.shape).toEqual([]);
    expect(await s.T.item()).toBe(5);
  });

  it('slice([1, null, 2]) takes rows 1 and 3', async () => {
    const y = grid(device).slice([1, null, 2]);
    expect(y.shape).toEqual([2, 6]);
    expect(y.offset).toBe(6);
    expect(y.strides).toEqual([12, 1]);
    expect(await y.toArray()).toEqual([G[1], G[3]]);
  });

  it('slice(null, [null, null, 2]) takes columns 0, 2 and 4', async () => {
    expect(await grid(device).slice(null, [null, null, 2]).toArray()).toEqual(G.map((r) => [r[0], r[2], r[4]]));
  });

  it('slice with steps on both axes and a start: [1::2, 2::3]', async () => {
    expect(await grid(device).slice([1, null, 2], [2, null, 3]).toArray()).toEqual([[8, 11], [20, 23]]);
  });

  it('negative start and stop count from the end: [-2:], [:-1], [-4:-1:2]', async () => {
    const x = grid(device);
    expect(await x.slice([-2]).toArray()).toEqual([G[2], G[3]]);
    expect(await x.slice([null, -1]).toArray()).toEqual([G[0], G[1], G[2]]);
    expect(await x.slice(null, [-4, -1, 2]).toArray()).toEqual(G.map((r) => [r[2], r[4]]));
  });

  it('bounds past the ends clamp as in Python; an empty range gives a 0-length dim', async () => {
    const x = grid(device);
    expect(await x.slice([2, 100]).toArray()).toEqual([G[2], G[3]]);
    expect(await x.slice([-100, 1]).toArray()).toEqual([G[0]]);
    const e = x.slice([5, 10]);
    expect(e.shape).toEqual([0, 6]);
    expect(await e.data()).toHaveLength(0);
    expect(x.slice([3, 1]).shape).toEqual([0, 6]);
  });

  it('a number index drops its dim: slice(1) is row 1, slice(null, -1) is the last column', async () => {
    const x = grid(device);
    const row = x.slice(1);
    expect(row.shape).toEqual([6]);
    expect(await row.toArray()).toEqual(G[1]);
    const col = x.slice(null, -1);
    expect(col.shape).toEqual([4]);
    expect(await col.toArray()).toEqual([5, 11, 17, 23]);
  });

  it('two number indices give a 0-d view of one element: slice(-1, 2) = 20', async () => {
    const s = grid(device).slice(-1, 2);
    expect(s.shape).toEqual([]);
    expect(s.offset).toBe(20);
    expect(await s.item()).toBe(20);
  });

  it('narrow(dim, start, length), with a negative start too', async () => {
    const x = grid(device);
    expect(await x.narrow(1, 2, 3).toArray()).toEqual(G.map((r) => r.slice(2, 5)));
    expect(await x.narrow(0, -2, 2).toArray()).toEqual([G[2], G[3]]);
    expect(x.narrow(1, 6, 0).shape).toEqual([4, 0]);
  });

  it('select(dim, index) drops the dim; a negative index counts from the end', async () => {
    const x = grid(device);
    expect(await x.select(0, 2).toArray()).toEqual(G[2]);
    expect(await x.select(1, -2).toArray()).toEqual([4, 10, 16, 22]);
  });

  it('permute of [2, 3, 4] to (2, 0, 1) reads y[k][i][j] = x[i][j][k]', async () => {
    const x = wg.arange(24, undefined, 1, { device }).reshape(2, 3, 4);
    const y = x.permute(2, 0, 1);
    expect(y.shape).toEqual([4, 2, 3]);
    expect(y.strides).toEqual([1, 12, 4]);
    const want = Array.from({ length: 4 }, (_, k) => Array.from({ length: 2 }, (_, i) => Array.from({ length: 3 }, (_, j) => 12 * i + 4 * j + k)));
    expect(await y.toArray()).toEqual(want);
    expect(await x.permute([2, 0, 1]).toArray()).toEqual(want);
  });

  it('transpose(0, 2) of [2, 3, 4] swaps the outer dims; negative dims work', async () => {
    const x = wg.arange(24, undefined, 1, { device }).reshape(2, 3, 4);
    const y = x.transpose(0, -1);
    expect(y.shape).toEqual([4, 3, 2]);
    expect(await y.slice(3, 1).toArray()).toEqual([7, 19]);
  });

  it('expand repeats size-1 dims with stride 0, accepts -1 and adds leading dims', async () => {
    const x = wg.tensor([[1], [2]], { device });
    const y = x.expand(2, 3);
    expect(y.strides).toEqual([1, 0]);
    expect(await y.toArray()).toEqual([[1, 1, 1], [2, 2, 2]]);
    expect(await x.expand(-1, 2).toArray()).toEqual([[1, 1], [2, 2]]);
    const z = wg.tensor([7, 8, 9], { device }).expand(2, 3);
    expect(z.strides).toEqual([0, 1]);
    expect(await z.toArray()).toEqual([[7, 8, 9], [7, 8, 9]]);
  });

  it('squeeze drops size-1 dims (all, or the named one; a named dim of size > 1 stays)', async () => {
    const x = wg.tensor([[[1], [2], [3]]], { device }); // [1, 3, 1]
    expect(x.squeeze().shape).toEqual([3]);
    expect(x.squeeze(0).shape).toEqual([3, 1]);
    expect(x.squeeze(-1).shape).toEqual([1, 3]);
    expect(x.squeeze(1).shape).toEqual([1, 3, 1]);
    expect(x.squeeze([0, 2]).shape).toEqual([3]);
    expect(await x.squeeze().toArray()).toEqual([1, 2, 3]);
  });

  it('unsqueeze inserts a size-1 dim at any position, negative from the end', async () => {
    const x = wg.tensor([1, 2, 3], { device });
    expect(x.unsqueeze(0).shape).toEqual([1, 3]);
    expect(x.unsqueeze(1).shape).toEqual([3, 1]);
    expect(x.unsqueeze(-1).shape).toEqual([3, 1]);
    expect(x.unsqueeze(-2).shape).toEqual([1, 3]);
    expect(await x.unsqueeze(1).toArray()).toEqual([[1], [2], [3]]);
    expect(wg.tensor(4, { device }).unsqueeze(0).shape).toEqual([1]);
  });

  it('reshape with -1 infers the dim: [4, 6] -> (-1, 4) is [6, 4], (2, -1, 3) is [2, 4, 3]', async () => {
    const x = grid(device);
    expect(x.reshape(-1, 4).shape).toEqual([6, 4]);
    expect(x.reshape([2, -1, 3]).shape).toEqual([2, 4, 3]);
    expect(await x.reshape(-1).toArray()).toEqual(G.flat());
    expect(await x.reshape(2, -1, 3).slice(1, 0).toArray()).toEqual([12, 13, 14]);
  });

  it('reshape of a size-0 tensor: (-1, 3) is [0, 3]; (0, -1, 3) is ambiguous and throws (as in PyTorch)', () => {
    const e = wg.zeros([0, 6], { device });
    expect(e.reshape(-1, 3).shape).toEqual([0, 3]);
    expect(e.reshape(3, 0).shape).toEqual([3, 0]);
    expect(() => e.reshape(0, -1, 3)).toThrow(/reshape: cannot reshape tensor of shape \[0, 6\] \(0 elements\) into \[0, -1, 3\]/);
  });

  it('flatten(startDim, endDim) merges a range of dims', async () => {
    const x = wg.arange(24, undefined, 1, { device }).reshape(2, 3, 4);
    expect(x.flatten(1).shape).toEqual([2, 12]);
    expect(x.flatten(0, 1).shape).toEqual([6, 4]);
    expect(wg.tensor(3, { device }).flatten().shape).toEqual([1]);
    expect(await x.flatten(0, 1).slice(5).toArray()).toEqual([20, 21, 22, 23]);
  });

  it('a chain of views composes offsets and strides: x.T[1::2][1:, ::2]', async () => {
    const y = grid(device).T.slice([1, null, 2]).slice([1], [null, null, 2]);
    // x.T rows 1, 3, 5 are x's columns 1, 3, 5; drop the first; take entries 0 and 2.
    expect(y.shape).toEqual([2, 2]);
    expect(await y.toArray()).toEqual([[3, 15], [5, 17]]);
  });

  it('views of float32 random data read the same on every device as on cpu', async () => {
    const [xc, xd] = pair([7, 9, 5], device);
    const views: ((t: Tensor) => Tensor)[] = [
      (t) => t.permute(1, 2, 0),
      (t) => t.slice([1, null, 2], [null, null, 3], [-3]),
      (t) => t.select(1, 4).T,
      (t) => t.narrow(2, 1, 3).unsqueeze(1).expand(7, 2, 9, 3),
      (t) => t.T.reshape(-1), // copies
    ];
    for (const v of views) await expectEqual(v(xd), v(xc));
    // And against the host: element [i][j][k] of the data at 45i + 5j + k.
    const host = await xc.data();
    const y = await xd.permute(1, 2, 0).data();
    expect(y[(4 * 5 + 3) * 7 + 6]).toBe(host[45 * 6 + 5 * 4 + 3]);
  });
});

describe.each(DEVICES)('view errors on %s', (device) => {
  it('reshape to a different element count throws with both shapes', () => {
    expect(() => grid(device).reshape(5, 5)).toThrow(/reshape: cannot reshape tensor of shape \[4, 6\] \(24 elements\) into \[5, 5\]/);
    expect(() => grid(device).reshape(-1, 5)).toThrow(/reshape: cannot reshape tensor of shape \[4, 6\]/);
    expect(() => grid(device).reshape(-1, -1)).toThrow(/only one dimension can be -1/);
  });

  it('permute with a repeated or missing axis throws', () => {
    expect(() => grid(device).permute(0, 0)).toThrow(/permute: dims \[0, 0\] repeat an axis/);
    expect(() => grid(device).permute(0)).toThrow(/permute: got 1 dims/);
  });

  it('expand of a dim that is neither 1 nor the target throws', () => {
    expect(() => grid(device).expand(4, 7)).toThrow(/expand: cannot expand shape \[4, 6\] to \[4, 7\]/);
  });

  it('slice with a non-positive step or an out-of-range index throws', () => {
    expect(() => grid(device).slice([null, null, 0])).toThrow(/slice: step must be a positive integer/);
    expect(() => grid(device).slice([null, null, -1])).toThrow(/slice: step must be a positive integer/);
    expect(() => grid(device).slice(4)).toThrow(/slice: index 4 is out of range for dim 0 of size 4/);
    expect(() => grid(device).slice(null, -7)).toThrow(/slice: index -7 is out of range for dim 1 of size 6/);
  });

  it('narrow past the end and select out of range throw', () => {
    expect(() => grid(device).narrow(1, 4, 3)).toThrow(/narrow: start 4 and length 3 do not fit dim 1 of size 6/);
    expect(() => grid(device).select(0, 4)).toThrow(/out of range/);
  });

  it('transpose and unsqueeze with dims out of range throw', () => {
    expect(() => grid(device).transpose(0, 2)).toThrow(/transpose: dim 2 is out of range/);
    expect(() => grid(device).unsqueeze(3)).toThrow(/unsqueeze: dim 3 is out of range/);
  });
});

describe.each(DEVICES)('view argument errors on %s', (device) => {
  it('select out of range names select, the dim, its size and the index', () => {
    const x = wg.zeros([3, 2], { device });
    expect(() => x.select(0, 10)).toThrow(/^select: index 10 is out of range for dim 0 of size 3 \(shape \[3, 2\]; expected an integer from -3 to 2\)/);
    expect(() => x.select(1, 0.5)).toThrow(/^select: index 0\.5 is out of range for dim 1 of size 2/);
    expect(() => wg.zeros([], { device }).select(0, 0)).toThrow(/^select: cannot select from a 0-d tensor/);
  });

  it('a string where a dimension is expected names the op', () => {
    const x = wg.zeros([2, 3], { device });
    expect(() => x.reshape('6' as never)).toThrow(/^reshape: expected dimensions as numbers \(reshape\(2, 3\) or reshape\(\[2, 3\]\)\), got '6'/);
    expect(() => x.transpose('0' as never, 1)).toThrow(/^transpose: dim must be an integer, got '0'/);
    expect(() => x.slice('a' as never)).toThrow(/^slice: each spec must be an index, \[start, stop, step\], or null for the whole dim; got 'a' for dim 0/);
  });
});
