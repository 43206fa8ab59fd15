/**
 * cumprod (the cumsum kernel family, src/kernels/cumsum/): values against running products in
 * doubles written here, webgpu against cpu over every dim, strided views, odd sizes and long rows
 * (the chunked scan), int32 / bool / float64, and the gradient: exact where the input has zeros
 * (against finite differences in float64 and against a hand-worked case), webgpu against cpu,
 * chunked rows. Refused calls: tests/sweep/ops13a.ts.
 */
import type { DeviceName } from '../src/index.js';
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { CUMSUM_LIMITS } from '../src/kernels/cumsum/webgpu.js';
import { DEVICES, NO_WEBGPU, expectClose, itOnWebgpu, pair, relErr, reseed, rng, useDevices } from './helpers.js';

useDevices();

/** The running products of x along dim, in doubles, from the definition (x contiguous host data). */
function reference(values: ArrayLike<number>, shape: number[], dim: number): number[] {
  const d = dim < 0 ? dim + shape.length : dim;
  const len = shape[d]!;
  const inner = shape.slice(d + 1).reduce((a, b) => a * b, 1);
  const out = Array.from(values);
  for (let i = 0; i < out.length; i++) {
    const k = Math.floor(i / inner) % len;
    if (k > 0) out[i] = out[i]! * out[i - inner]!;
  }
  return out;
}

async function expectReference(y: Tensor, x: Tensor, dim: number, tol = 1e-6): Promise<void> {
  const ref = reference(await x.contiguous().data(), [...x.shape], dim);
  expect(y.shape).toEqual(x.shape);
  expect(relErr(Array.from(await y.data()), ref)).toBeLessThanOrEqual(tol);
}

/** Values in [0.5, 1.5) with some exact zeros: the products stay in range and zeros are met. */
function withZeros(shape: number[], device: DeviceName, zeroRate = 0.15): [Tensor, Tensor] {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Float32Array.from({ length: n }, () => (rng() < zeroRate ? 0 : 0.5 + rng()));
  return [wg.tensor(v, { shape, device: 'cpu' }), wg.tensor(v, { shape, device })];
}

describe.each(DEVICES)('cumprod on %s', (device) => {
  it('of [1, 2, 3, 4] is [1, 2, 6, 24], as method and function', async () => {
    expect(await wg.tensor([1, 2, 3, 4], { device }).cumprod(0).toArray()).toEqual([1, 2, 6, 24]);
    expect(await wg.cumprod(wg.tensor([[1, 2], [3, 4]], { device }), 0).toArray()).toEqual([[1, 2], [3, 8]]);
  });

  it('over every dim of a [3, 5, 7] tensor, negative dims included, matches the definition and cpu', async () => {
    reseed(31);
    const [c, x] = pair([3, 5, 7], device, { low: 0.5, high: 1.5 });
    for (const dim of [0, 1, 2, -1, -2, -3]) {
      await expectReference(x.cumprod(dim), c, dim, 2e-6);
      await expectClose(x.cumprod(dim), c.cumprod(dim), 2e-6);
    }
  });

  it('on odd sizes 1, 17, 257 and [13, 33], and on non-contiguous views', async () => {
    reseed(32);
    for (const shape of [[1], [17], [257], [13, 33]]) {
      const [c, x] = pair(shape, device, { low: 0.9, high: 1.1 });
      await expectReference(x.cumprod(-1), c, -1, 1e-5);
    }
    const [c, x] = pair([6, 9, 4], device, { low: 0.5, high: 1.5 });
    await expectReference(x.transpose(0, 2).cumprod(1), c.transpose(0, 2), 1, 2e-6);
    await expectReference(x.slice([1, null, 2], [null, null, 3]).cumprod(0), c.slice([1, null, 2], [null, null, 3]), 0, 2e-6);
    await expectReference(x.permute(1, 2, 0).cumprod(-1), c.permute(1, 2, 0), -1, 2e-6);
  });

  it('of long rows of +-1 (the chunked scan past WG * 8 elements) is exact', async () => {
    reseed(33);
    const n = 9001;
    const v = Float32Array.from({ length: 2 * n }, () => (rng() < 0.5 ? -1 : 1));
    const x = wg.tensor(v, { shape: [2, n], device });
    await expectReference(x.cumprod(1), wg.tensor(v, { shape: [2, n] }), 1, 0);
  });

  it('of int32 stays int32 and wraps around; of bool is int32; a zero stays zero after it', async () => {
    const big = wg.tensor(new Int32Array([65536, 65536, 3]), { device });
    const y = big.cumprod(0);
    expect(y.dtype).toBe('int32');
    expect(Array.from(await y.data())).toEqual([65536, 0, 0]);
    const b = wg.tensor([true, true, false, true], { device }).cumprod(0);
    expect(b.dtype).toBe('int32');
    expect(Array.from(await b.data())).toEqual([1, 1, 0, 0]);
    expect(await wg.tensor([2, 0, 3, 4], { device }).cumprod(0).toArray()).toEqual([2, 0, 0, 0]);
  });

  it('of a 0-d tensor is a copy; of an empty dim is empty', async () => {
    expect(await wg.tensor(5, { device }).cumprod(0).toArray()).toEqual(5);
    expect(wg.zeros([3, 0], { device }).cumprod(1).shape).toEqual([3, 0]);
  });

  it('gradient of [2, 0, 3] is [1, 8, 0] (hand-worked: dx_k = sum over j >= k of prod_{i <= j, i != k} x_i)', async () => {
    const x = wg.tensor([2, 0, 3], { device, requiresGrad: true });
    x.cumprod(0).sum().backward();
    // dx0 = 1 + x1 + x1 x2 = 1; dx1 = x0 + x0 x2 = 8; dx2 = x0 x1 = 0.
    expect(await x.grad!.toArray()).toEqual([1, 8, 0]);
  });

  it('gradient on rows with zeros matches cpu over every dim, strided input, and a weighted output', async () => {
    reseed(34);
    const [c, x] = withZeros([5, 7, 6], device);
    for (const dim of [0, 1, -1]) {
      const [wc, w] = pair([5, 7, 6], device);
      const xc = c.detach().requiresGrad_();
      const xd = x.detach().requiresGrad_();
      xc.transpose(0, 2).cumprod(dim).mul(wc.transpose(0, 2)).sum().backward();
      xd.transpose(0, 2).cumprod(dim).mul(w.transpose(0, 2)).sum().backward();
      await expectClose(xd.grad!, xc.grad!, 1e-5);
    }
  });

  itOnWebgpu(device)('gradient of rows longer than one backward chunk matches cpu (chunks of 7)', async () => {
    reseed(35);
    const keep = CUMSUM_LIMITS.gradChunk;
    CUMSUM_LIMITS.gradChunk = 7;
    try {
      const [c, x] = withZeros([3, 40], device, 0.05);
      const [wc, w] = pair([3, 40], device);
      const xc = c.requiresGrad_();
      const xd = x.requiresGrad_();
      xc.cumprod(1).mul(wc).sum().backward();
      xd.cumprod(1).mul(w).sum().backward();
      await expectClose(xd.grad!, xc.grad!, 1e-5);
    } finally {
      CUMSUM_LIMITS.gradChunk = keep;
    }
  });

  it('a second derivative through cumprod is refused, naming the op', async () => {
    const x = wg.tensor([1, 2, 3], { device, requiresGrad: true });
    const [g] = wg.grad(x.cumprod(0).sum(), [x], { createGraph: true });
    expect(() => g!.sum().backward()).toThrow('cumprod: second derivatives');
  });
});

describe('cumprod gradcheck (float64, cpu)', () => {
  const f64 = (v: number[], shape: number[]) => wg.tensor(Float64Array.from(v), { shape, requiresGrad: true });

  it('on random rows without zeros, over dims 0 and 1', async () => {
    reseed(36);
    const v = Array.from({ length: 12 }, () => 0.5 + rng());
    expect(await wg.gradcheck((x) => x.cumprod(1), [f64(v, [3, 4])])).toBe(true);
    expect(await wg.gradcheck((x) => x.cumprod(0), [f64(v, [3, 4])])).toBe(true);
  });

  it('on rows with one zero, two zeros, and a zero at the start and the end (finite differences)', async () => {
    const rows = [
      [1.5, 0, 2, 0.7, 1.2],
      [0.9, 0, 1.3, 0, 2],
      [0, 1.1, 0.8, 1.4, 0],
    ];
    for (const r of rows) expect(await wg.gradcheck((x) => x.cumprod(0), [f64(r, [5])])).toBe(true);
    expect(await wg.gradcheck((x) => x.cumprod(1).square(), [f64(rows.flat(), [3, 5])])).toBe(true);
  });

  it('through a transposed view and a 0-d input', async () => {
    const v = [1.5, 0, 2, 0.7, 1.2, 0.4];
    expect(await wg.gradcheck((x) => x.transpose(0, 1).cumprod(0), [f64(v, [2, 3])])).toBe(true);
    expect(await wg.gradcheck((x) => x.cumprod(0), [f64([0.7], [])])).toBe(true);
  });
});

if (NO_WEBGPU) console.warn('cumprod: webgpu cases not run');
