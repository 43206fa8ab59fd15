/**
 * cumsum (the kernel family src/kernels/cumsum/): values against a running sum in doubles
 * written here, webgpu against cpu over every dim, strided views, long rows (past llvmpipe's
 * 65535-iteration loop cap), every webgpu path, int32 / bool / float64, empty and 0-d inputs,
 * the gradient, and the refused calls. gradcheck / gradgradcheck: tests/gradients.test.ts.
 */
import type { DeviceName } from '../src/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { CUMSUM_LIMITS } from '../src/kernels/cumsum/webgpu.js';
import { DEVICES, NO_WEBGPU, expectClose, expectEqual, pair, relErr, reseed, useDevices } from './helpers.js';

useDevices();

/** The running sums of x along dim, in doubles, from the definition (x contiguous host data). */
function reference(values: ArrayLike<number>, shape: number[], dim: number): number[] {
  const d = dim < 0 ? dim + shape.length : dim;
  const len = shape[d]!;
  const inner = shape.slice(d + 1).reduce((a, b) => a * b, 1);
  const out = Array.from(values);
  for (let i = 0; i < out.length; i++) {
    const k = Math.floor(i / inner) % len;
    if (k > 0) out[i] = out[i]! + out[i - inner]!;
  }
  return out;
}

/** Random integers in [0, 4) as float32: the sums stay exact, so long rows compare exactly. */
const smallInts = (shape: number[], device: DeviceName, dtype: 'float32' | 'int32' = 'float32'): [Tensor, Tensor] => {
  const [c, x] = pair(shape, device, { low: 0, high: 4, dtype: 'int32' });
  return dtype === 'int32' ? [c, x] : [c.float(), x.float()];
};

async function expectReference(y: Tensor, x: Tensor, dim: number, tol = 1e-6): Promise<void> {
  const xc = x.contiguous();
  const ref = reference(await xc.data(), [...x.shape], dim);
  expect(y.shape).toEqual(x.shape);
  expect(relErr(Array.from(await y.data()), ref)).toBeLessThan(tol);
}

describe.each(DEVICES)('cumsum on %s', (device) => {
  it('of [1, 2, 3, 4] is [1, 3, 6, 10]', async () => {
    expect(await wg.tensor([1, 2, 3, 4], { device }).cumsum(0).toArray()).toEqual([1, 3, 6, 10]);
  });

  it('of [[1, 2], [3, 4]] along dim 0 is [[1, 2], [4, 6]], along dim 1 [[1, 3], [3, 7]]', async () => {
    const x = wg.tensor([[1, 2], [3, 4]], { device });
    expect(await x.cumsum(0).toArray()).toEqual([[1, 2], [4, 6]]);
    expect(await wg.cumsum(x, 1).toArray()).toEqual([[1, 3], [3, 7]]);
  });

  it('over every dim of a [3, 5, 7] tensor, negative dims included, matches the definition and cpu', async () => {
    reseed(21);
    const [c, x] = pair([3, 5, 7], device);
    for (const dim of [0, 1, 2, -1, -2, -3]) {
      await expectReference(x.cumsum(dim), c, dim);
      await expectClose(x.cumsum(dim), c.cumsum(dim), 1e-6);
    }
  });

  it('on odd sizes 1, 17, 33, 65, 257, 1025 and [13, 33], [31, 2049]', async () => {
    reseed(22);
    for (const shape of [[1], [17], [33], [65], [257], [1025], [13, 33], [31, 2049]]) {
      const [c, x] = pair(shape, device);
      await expectReference(x.cumsum(-1), c, -1, 2e-6);
      if (shape.length === 2) await expectReference(x.cumsum(0), c, 0, 2e-6);
    }
  });

  it('reads non-contiguous views in place: transposed, stepped slices, expanded, permuted', async () => {
    reseed(23);
    const [c, x] = pair([6, 9, 4], device);
    const views: [string, (t: Tensor) => Tensor][] = [
      ['transpose(0, 2)', (t) => t.transpose(0, 2)],
      ['slice with steps', (t) => t.slice([1, null, 2], [null, null, 3])],
      ['expand of a column', (t) => t.select(2, 1).slice(null, [0, 1]).expand(6, 40)],
      ['permute(1, 2, 0)', (t) => t.permute(1, 2, 0)],
    ];
    for (const [name, view] of views) {
      const v = view(x);
      expect(v.isContiguous(), name).toBe(false);
      for (let dim = 0; dim < v.ndim; dim++) {
        await expectReference(v.cumsum(dim), view(c), dim);
        await expectClose(v.cumsum(dim), view(c).cumsum(dim), 1e-6);
      }
    }
  });

  it('sums a row of 70001 elements (past the 65535-iteration loop cap) exactly', async () => {
    reseed(24);
    const [c, x] = smallInts([70001], device);
    const y = x.cumsum(0);
    const ref = reference(await c.data(), [70001], 0);
    expect(Array.from(await y.data())).toEqual(ref);
  });

  it('sums long rows along dim 0 and dim 1 exactly: [3, 70001] and its transpose', async () => {
    reseed(25);
    const [c, x] = smallInts([3, 70001], device, 'int32');
    await expectEqual(x.cumsum(1), c.cumsum(1));
    await expectEqual(x.T.cumsum(0), c.T.cumsum(0));
    const ref = reference(await c.data(), [3, 70001], 1);
    expect(Array.from(await x.cumsum(1).data())).toEqual(ref);
  });

  it('keeps int32 and wraps around on overflow, as int32 addition does: [2147483647, 1] -> [2147483647, -2147483648]', async () => {
    const y = wg.tensor(Int32Array.from([2147483647, 1, 1]), { device }).cumsum(0);
    expect(y.dtype).toBe('int32');
    expect(await y.toArray()).toEqual([2147483647, -2147483648, -2147483647]);
  });

  it('of int32 [13, 33] along both dims equals cpu exactly', async () => {
    reseed(26);
    const [c, x] = pair([13, 33], device, { low: -100, high: 100, dtype: 'int32' });
    for (const dim of [0, 1]) await expectEqual(x.cumsum(dim), c.cumsum(dim));
  });

  it('of a bool tensor counts the trues as int32', async () => {
    const y = wg.tensor([true, false, true, true], { device }).cumsum(0);
    expect(y.dtype).toBe('int32');
    expect(await y.toArray()).toEqual([1, 1, 2, 3]);
  });

  it('of a 0-d tensor is a 0-d copy, with dim 0 or -1', async () => {
    for (const dim of [0, -1]) {
      const y = wg.tensor(2.5, { device }).cumsum(dim);
      expect(y.shape).toEqual([]);
      expect(await y.item()).toBe(2.5);
    }
  });

  it('of an empty tensor is empty with the same shape: [0, 3] and [3, 0] along each dim', async () => {
    for (const shape of [[0, 3], [3, 0]]) {
      for (const dim of [0, 1]) {
        const y = wg.zeros(shape, { device }).cumsum(dim);
        expect(y.shape).toEqual(shape);
        expect(await y.data()).toHaveLength(0);
      }
    }
  });

  it('along a size-1 dim is a copy, and size-1 dims elsewhere change nothing', async () => {
    reseed(27);
    const [c, x] = pair([4, 1, 5], device);
    await expectClose(x.cumsum(1), c, 0);
    await expectReference(x.cumsum(2), c, 2);
    await expectReference(x.cumsum(0), c, 0);
  });

  it('has the reversed cumsum as its gradient: d sum(w * cumsum(x)) / dx = suffix sums of w', async () => {
    const x = wg.zeros([4], { device, requiresGrad: true });
    const w = wg.tensor([1, 2, 3, 4], { device });
    x.cumsum(0).mul(w).sum().backward();
    expect(await x.grad!.toArray()).toEqual([10, 9, 7, 4]);
  });

  it('refuses a dim out of range, naming the op and the range', () => {
    const x = wg.zeros([2, 3], { device });
    expect(() => x.cumsum(2)).toThrow('cumsum: dim 2 is out of range for a tensor of rank 2 (expected -2 to 1)');
    expect(() => x.cumsum(-3)).toThrow('cumsum: dim -3 is out of range');
  });

  it('refuses a non-integer or missing dim and extra arguments', () => {
    const x = wg.zeros([2, 3], { device });
    expect(() => x.cumsum(0.5)).toThrow('cumsum: dim must be an integer, got 0.5');
    expect(() => (x.cumsum as (d?: number) => Tensor)()).toThrow('cumsum: dim is required');
    expect(() => (wg.cumsum as (x: Tensor, d: number, e: unknown) => Tensor)(x, 0, 'float32')).toThrow("cumsum: takes (x, dim); got 1 more argument ('float32')");
  });
});

describe('cumsum in float64 (cpu)', () => {
  it('keeps float64 and sums in doubles: 0.1 ten times is 0.9999999999999999', async () => {
    const y = wg.full([10], 0.1, { dtype: 'float64' }).cumsum(0);
    expect(y.dtype).toBe('float64');
    const v = await y.data();
    expect(v[9]).toBe(0.1 + 0.1 + 0.1 + 0.1 + 0.1 + 0.1 + 0.1 + 0.1 + 0.1 + 0.1);
  });
});

// webgpu only (the webgpu kernel's own paths (row_thread, chunk_scan, add_carry, 2-D grids)): skipped only when the run declares no adapter (WEBGRAD_TEST_NO_WEBGPU=1; helpers.ts says so).
describe.skipIf(NO_WEBGPU)('cumsum on webgpu: every path of the kernel', () => {
  const saved = { ...CUMSUM_LIMITS };
  afterEach(() => Object.assign(CUMSUM_LIMITS, saved));
  const device = 'webgpu' as const;

  it('row_thread (many short rows) and chunk_scan (one chunk a row, WG * 8 or WG * 1 elements) give the same sums', async () => {
    reseed(31);
    const [c, x] = smallInts([1500, 40], device);
    const ref = reference(await c.data(), [1500, 40], 1);
    const run = async () => Array.from(await x.cumsum(1).data());
    expect(await run()).toEqual(ref); // row_thread: 1500 rows of 40
    CUMSUM_LIMITS.rowSteps = 0;
    expect(await run()).toEqual(ref); // chunk_scan, one chunk per row
    CUMSUM_LIMITS.perThread = 1; // chunks of WG elements: still one per row of 40
    expect(await run()).toEqual(ref);
  });

  it('carries across chunks of chunks: a row of 70001 with one element per invocation (three levels)', async () => {
    reseed(32);
    CUMSUM_LIMITS.perThread = 1; // 70001 / 256 = 274 chunks, 274 totals = 2 chunks of totals
    for (const shape of [[70001], [2, 70001]]) {
      const [c, x] = smallInts(shape, device);
      const ref = reference(await c.data(), shape, -1);
      expect(Array.from(await x.cumsum(-1).data())).toEqual(ref);
    }
  });

  it('reversed scans (the backward) on every path match cpu', async () => {
    reseed(33);
    for (const limits of [saved, { ...saved, rowSteps: 0 }, { ...saved, rowSteps: 0, perThread: 1 }]) {
      Object.assign(CUMSUM_LIMITS, limits);
      const [c, x] = pair([5, 700], device, { low: 0, high: 1 });
      const gx = wg.zeros([5, 700], { device, requiresGrad: true });
      const gc = wg.zeros([5, 700], { requiresGrad: true });
      gx.cumsum(1).mul(x).sum().backward();
      gc.cumsum(1).mul(c).sum().backward();
      await expectClose(gx.grad!, gc.grad!, 1e-6);
    }
  });

  it('runs more than 65535 workgroups on a 2-D grid: 66000 rows of 3 through chunk_scan', async () => {
    reseed(34);
    CUMSUM_LIMITS.rowSteps = 0;
    const [c, x] = smallInts([66000, 3], device, 'int32');
    await expectEqual(x.cumsum(1), c.cumsum(1));
  });

  it('copies an input whose other dims do not coalesce into 8 (scanning through the middle of a run)', async () => {
    reseed(35);
    const [c, x] = pair([2, 3, 2, 3, 2, 3, 2, 3, 4, 5], device);
    // 8 runs in all (the [3, 4, 5] block keeps its order); without its dim 1, 9.
    const perm = [7, 8, 9, 6, 5, 4, 3, 2, 1, 0];
    await expectClose(x.permute(...perm).cumsum(1), c.permute(...perm).cumsum(1), 1e-6);
  });
});
