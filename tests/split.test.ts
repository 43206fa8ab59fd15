/**
 * split, chunk (views along one dim) and tril, triu (masks on the last two dims), on both
 * devices: values against references written here, webgpu against cpu, PyTorch's piece
 * sizes, the views' sharing of storage, gradients through the pieces, and the refused calls.
 * gradcheck / gradgradcheck: tests/gradients.test.ts.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import { DEVICES, expectEqual, pair, useDevices } from './helpers.js';

useDevices();

const any = <T>(f: T) => f as unknown as (...a: unknown[]) => unknown;

describe.each(DEVICES)('split and chunk on %s', (device) => {
  const x = () => wg.arange(10, { device, dtype: 'float32' }).reshape(5, 2);

  it('split(2) of 5 rows gives pieces of 2, 2 and 1 rows, as PyTorch', async () => {
    const parts = x().split(2);
    expect(parts.map((p) => p.shape)).toEqual([[2, 2], [2, 2], [1, 2]]);
    expect(await Promise.all(parts.map((p) => p.toArray()))).toEqual([[[0, 1], [2, 3]], [[4, 5], [6, 7]], [[8, 9]]]);
  });

  it('split([1, 3, 1]) gives pieces of those lengths; a zero length gives an empty piece', async () => {
    const parts = wg.split(x(), [1, 0, 3, 1]);
    expect(parts.map((p) => p.shape)).toEqual([[1, 2], [0, 2], [3, 2], [1, 2]]);
    expect(await parts[2]!.toArray()).toEqual([[2, 3], [4, 5], [6, 7]]);
  });

  it('split along dim -1 gives views that share the storage', async () => {
    const t = x();
    const [a, b] = t.split(1, -1);
    expect(a!.shape).toEqual([5, 1]);
    expect(a!.storage).toBe(t.storage);
    expect(await b!.toArray()).toEqual([[1], [3], [5], [7], [9]]);
  });

  it('split of an empty dim gives one empty piece, as PyTorch', () => {
    const parts = wg.zeros([0, 3], { device }).split(2);
    expect(parts.map((p) => p.shape)).toEqual([[0, 3]]);
  });

  it('chunk(3) of 5 rows gives 2, 2, 1; chunk(4) gives 2, 2, 1 too (fewer than asked, as PyTorch)', () => {
    expect(x().chunk(3).map((p) => p.shape[0])).toEqual([2, 2, 1]);
    expect(x().chunk(4).map((p) => p.shape[0])).toEqual([2, 2, 1]);
    expect(wg.chunk(wg.zeros([6], { device }), 4).map((p) => p.shape[0])).toEqual([2, 2, 2]);
  });

  it('chunk of an empty dim gives n empty pieces, as PyTorch', () => {
    expect(wg.zeros([2, 0], { device }).chunk(3, 1).map((p) => p.shape)).toEqual([[2, 0], [2, 0], [2, 0]]);
  });

  it('the gradient through the pieces lands in the rows they came from', async () => {
    const t = wg.tensor([[1, 2], [3, 4], [5, 6]], { device, requiresGrad: true });
    const [a, b] = t.chunk(2);
    a!.mul(2).sum().add(b!.mul(3).sum()).backward();
    expect(await t.grad!.toArray()).toEqual([[2, 2], [2, 2], [3, 3]]);
  });

  it('refuses sections that do not sum to the length, naming both', () => {
    expect(() => x().split([2, 2])).toThrow('split: sections [2, 2] sum to 4, expected the length of dim 0 (5) of the tensor [5, 2]');
  });

  it('refuses a split size of 0 and a 0-d tensor', () => {
    expect(() => x().split(0)).toThrow('split: split size must be an integer >= 1, got 0');
    expect(() => wg.tensor(1, { device }).chunk(1)).toThrow('chunk: expected a tensor of at least 1 dimension, got a 0-d tensor');
  });
});

/** tril / triu of a contiguous batch of matrices, from the definition. */
function triangleRef(values: ArrayLike<number>, shape: number[], k: number, lower: boolean): number[] {
  const rows = shape[shape.length - 2]!;
  const cols = shape[shape.length - 1]!;
  return Array.from(values, (v, n) => {
    const i = Math.floor(n / cols) % rows;
    const j = n % cols;
    return (lower ? j - i <= k : j - i >= k) ? v : 0;
  });
}

describe.each(DEVICES)('tril and triu on %s', (device) => {
  it('tril() and triu() of a 3x3 keep the lower and upper triangles with the diagonal', async () => {
    const m = wg.tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]], { device });
    expect(await m.tril().toArray()).toEqual([[1, 0, 0], [4, 5, 0], [7, 8, 9]]);
    expect(await m.triu().toArray()).toEqual([[1, 2, 3], [0, 5, 6], [0, 0, 9]]);
  });

  it('tril(-1) drops the diagonal, triu(1) too; tril(1) keeps the first superdiagonal', async () => {
    const m = wg.ones([3, 3], { device });
    expect(await m.tril(-1).toArray()).toEqual([[0, 0, 0], [1, 0, 0], [1, 1, 0]]);
    expect(await m.triu(1).toArray()).toEqual([[0, 1, 1], [0, 0, 1], [0, 0, 0]]);
    expect(await wg.tril(m, 1).toArray()).toEqual([[1, 1, 0], [1, 1, 1], [1, 1, 1]]);
  });

  it.each([-2, 0, 1, 3])('on a batch [2, 3, 4, 5] of a transposed view, diagonal %i, both match the reference', async (k) => {
    const [c, d] = pair([2, 3, 5, 4], device);
    const vc = c.transpose(-1, -2);
    const vd = d.transpose(-1, -2);
    const host = await vc.contiguous().data();
    for (const lower of [true, false]) {
      const out = lower ? vd.tril(k) : vd.triu(k);
      expect(out.shape).toEqual([2, 3, 4, 5]);
      await expectEqual(out, wg.tensor(triangleRef(host, [2, 3, 4, 5], k, lower), { shape: [2, 3, 4, 5] }));
    }
  });

  it('keeps int32 and bool dtypes', async () => {
    const mi = wg.tensor(Int32Array.from([1, 2, 3, 4]), { shape: [2, 2], device }).triu();
    expect(mi.dtype).toBe('int32');
    expect(await mi.toArray()).toEqual([[1, 2], [0, 4]]);
    const mb = wg.ones([2, 2], { device, dtype: 'bool' }).tril();
    expect(mb.dtype).toBe('bool');
    expect(await mb.toArray()).toEqual([[true, false], [true, true]]);
  });

  it('the gradient is the same triangle of the output gradient', async () => {
    const m = wg.ones([2, 3], { device, requiresGrad: true });
    m.tril().mul(wg.tensor([[1, 2, 3], [4, 5, 6]], { device })).sum().backward();
    expect(await m.grad!.toArray()).toEqual([[1, 0, 0], [4, 5, 0]]);
  });

  it('refuses a 1-D tensor and a fractional diagonal', () => {
    expect(() => wg.ones([3], { device }).tril()).toThrow('tril: expected a tensor of at least 2 dimensions (matrices in the last two), got shape [3]');
    expect(() => wg.ones([3, 3], { device }).triu(0.5)).toThrow('triu: diagonal must be an integer, got 0.5');
    expect(() => any(wg.triu)(wg.ones([3, 3], { device }), 0, 1)).toThrow('triu: takes (diagonal?); got 1 more argument (1)');
  });
});
