/**
 * F.interpolate and nn.Upsample (the resample kernel family): PyTorch's index formulas checked
 * against values worked out by hand here (nearest, nearest-exact, linear and bilinear, with and
 * without alignCorners, size against scaleFactor, recomputeScaleFactor), webgpu against cpu on
 * odd sizes and non-contiguous inputs, forward and backward, gradcheck in float64 on cpu, and the
 * refused modes. Refused calls: tests/sweep/ops13a.ts.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { DEVICES, expectClose, pair, reseed, useDevices } from './helpers.js';

useDevices();
const F = wg.F;

const close = async (t: Tensor, expected: number[], tol = 1e-6) => {
  const got = Array.from(await t.data());
  expect(got.length).toBe(expected.length);
  got.forEach((v, i) => expect(Math.abs(v - expected[i]!), `element ${i}: ${v} vs ${expected[i]}`).toBeLessThan(tol));
};

describe.each(DEVICES)('interpolate on %s', (device) => {
  const row = (v: number[]) => wg.tensor([[v]], { device }); // [1, 1, L]

  it("nearest, size 5 from [0, 1, 2]: scale 3/5, source floor(o * 0.6) = 0, 0, 1, 1, 2", async () => {
    const y = F.interpolate(row([10, 20, 30]), { size: 5 });
    expect(y.shape).toEqual([1, 1, 5]);
    await close(y, [10, 10, 20, 20, 30]);
  });

  it("nearest-exact, size 5 from 3: source floor((o + 0.5) * 0.6) = 0, 0, 1, 2, 2", async () => {
    await close(F.interpolate(row([10, 20, 30]), { size: 5, mode: 'nearest-exact' }), [10, 10, 20, 30, 30]);
  });

  it('nearest downsampling 5 -> 2: scale 2.5, sources 0 and 2; nearest-exact: floor(1.25) = 1, floor(3.75) = 3', async () => {
    await close(F.interpolate(row([0, 1, 2, 3, 4]), { size: 2 }), [0, 2]);
    await close(F.interpolate(row([0, 1, 2, 3, 4]), { size: 2, mode: 'nearest-exact' }), [1, 3]);
  });

  it('linear 2 -> 4 without alignCorners: sources clamp(0.5 (o + 0.5) - 0.5) = 0, 0.25, 0.75, 1', async () => {
    // x = [0, 8]: 0, 0.25 * 8 = 2, 0.75 * 8 = 6, 8.
    await close(F.interpolate(row([0, 8]), { size: 4, mode: 'linear' }), [0, 2, 6, 8]);
  });

  it('linear 2 -> 4 with alignCorners: sources o * 1/3 = 0, 1/3, 2/3, 1', async () => {
    await close(F.interpolate(row([0, 9]), { size: 4, mode: 'linear', alignCorners: true }), [0, 3, 6, 9], 1e-5);
  });

  it('linear 3 -> 2 with alignCorners picks the ends; without, sources 1.5 (o + 0.5) - 0.5 = 0.25, 1.75', async () => {
    await close(F.interpolate(row([0, 4, 8]), { size: 2, mode: 'linear', alignCorners: true }), [0, 8]);
    await close(F.interpolate(row([0, 4, 8]), { size: 2, mode: 'linear' }), [1, 7]);
  });

  it('scaleFactor 1.5 on 3 gives floor(4.5) = 4 outputs read with scale 1/1.5; recomputeScaleFactor uses 3/4 instead', async () => {
    // Without recompute: sources (o + 0.5) / 1.5 - 0.5 = 0 (clamped), 0.5, 1.1667, 1.8333 of [0, 6, 12].
    await close(F.interpolate(row([0, 6, 12]), { scaleFactor: 1.5, mode: 'linear' }), [0, 3, 7, 11], 1e-5);
    // With recompute: scale 0.75, sources 0 (clamped from -0.125), 0.625, 1.375, 2.125 -> clamped index 2.
    await close(F.interpolate(row([0, 6, 12]), { scaleFactor: 1.5, mode: 'linear', recomputeScaleFactor: true }), [0, 3.75, 8.25, 12], 1e-5);
  });

  it('nearest with scaleFactor 1.7 on 3 (5 outputs): source floor(o / 1.7) = 0, 0, 1, 1, 2', async () => {
    await close(F.interpolate(row([1, 2, 3]), { scaleFactor: 1.7 }), [1, 1, 2, 2, 3]);
  });

  it('bilinear 2 x 2 -> 3 x 3 with alignCorners is the mid-points; without, a hand-worked corner', async () => {
    const x = wg.tensor([[[[0, 2], [4, 6]]]], { device });
    await close(F.interpolate(x, { size: [3, 3], mode: 'bilinear', alignCorners: true }), [0, 1, 2, 2, 3, 4, 4, 5, 6]);
    // Without: scale 2/3, sources max((o + 0.5) 2/3 - 0.5, 0) = 0, 0.5, 1 along each axis.
    await close(F.interpolate(x, { size: 3, mode: 'bilinear' }), [0, 1, 2, 2, 3, 4, 4, 5, 6]);
    // 2 x 2 -> 4 x 4: sources 0, 0.25, 0.75, 1; element (1, 2) = rows 0.25, cols 0.75: 0.25*4 + 0.75*2 = 2.5.
    const y = await F.interpolate(x, { size: 4, mode: 'bilinear' }).toArray() as number[][][][];
    expect(y[0]![0]![1]![2]).toBeCloseTo(2.5, 6);
    expect(y[0]![0]![3]![3]).toBeCloseTo(6, 6);
  });

  it('nearest on a 4-D input with different sizes per dim, and scaleFactor 2 (each pixel repeated)', async () => {
    const x = wg.tensor([[[[1, 2], [3, 4]]]], { device });
    await close(F.interpolate(x, { scaleFactor: 2 }), [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    await close(F.interpolate(x, { size: [1, 3] }), [1, 1, 2]);
  });

  for (const mode of ['nearest', 'nearest-exact', 'bilinear'] as const) {
    it(`${mode}: forward and backward match cpu on odd sizes and a transposed input`, async () => {
      reseed(41);
      const [c, x] = pair([2, 3, 7, 5], device);
      const [gc, g] = pair([2, 3, 11, 13], device);
      const cx = c.transpose(2, 3).detach().requiresGrad_();
      const xx = x.transpose(2, 3).detach().requiresGrad_();
      const o = { size: [13, 11] as [number, number], mode };
      const yc = F.interpolate(cx, o);
      const yx = F.interpolate(xx, o);
      await expectClose(yx, yc, 1e-6);
      yc.mul(gc.transpose(2, 3)).sum().backward();
      yx.mul(g.transpose(2, 3)).sum().backward();
      await expectClose(xx.grad!, cx.grad!, 1e-5);
      // downsampling too
      const zc = F.interpolate(c, { size: [3, 4], mode });
      await expectClose(F.interpolate(x, { size: [3, 4], mode }), zc, 1e-6);
    });
  }

  it('linear with alignCorners: forward and backward match cpu on [3, 2, 17] -> 40', async () => {
    reseed(42);
    const [c, x] = pair([3, 2, 17], device);
    const cx = c.requiresGrad_();
    const xx = x.requiresGrad_();
    const yc = F.interpolate(cx, { size: 40, mode: 'linear', alignCorners: true });
    const yx = F.interpolate(xx, { size: 40, mode: 'linear', alignCorners: true });
    await expectClose(yx, yc, 1e-6);
    yc.square().sum().backward();
    yx.square().sum().backward();
    await expectClose(xx.grad!, cx.grad!, 1e-5);
  });

  it('the backward of nearest 2x upsampling sums each 2 x 2 block of the gradient (by hand)', async () => {
    const x = wg.ones([1, 1, 2, 2], { device, requiresGrad: true });
    const g = wg.arange(16, { device }).float().reshape([1, 1, 4, 4]);
    F.interpolate(x, { scaleFactor: 2 }).mul(g).sum().backward();
    // blocks: 0+1+4+5 = 10, 2+3+6+7 = 18, 8+9+12+13 = 42, 10+11+14+15 = 50
    await close(x.grad!, [10, 18, 42, 50]);
  });

  it('nn.Upsample resizes as interpolate does and shows its settings', async () => {
    const up = new wg.nn.Upsample({ scaleFactor: 2, mode: 'bilinear' });
    const x = wg.tensor([[[[0, 2], [4, 6]]]], { device });
    await expectClose(up.forward(x), F.interpolate(x, { scaleFactor: 2, mode: 'bilinear' }));
    expect(String(up)).toContain("mode='bilinear'");
    const up2 = new wg.nn.Upsample(3);
    expect(up2.forward(x).shape).toEqual([1, 1, 3, 3]);
  });
});

describe('interpolate gradcheck (float64, cpu)', () => {
  const f64 = (shape: number[]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return wg.tensor(Float64Array.from({ length: n }, (_, i) => Math.sin(i + 1)), { shape, requiresGrad: true });
  };
  it('bilinear up and down, with and without alignCorners', async () => {
    expect(await wg.gradcheck((x) => F.interpolate(x, { size: [5, 4], mode: 'bilinear' }), [f64([1, 2, 3, 3])])).toBe(true);
    expect(await wg.gradcheck((x) => F.interpolate(x, { size: [2, 5], mode: 'bilinear', alignCorners: true }), [f64([1, 1, 4, 3])])).toBe(true);
  });
  it('linear, nearest and nearest-exact', async () => {
    expect(await wg.gradcheck((x) => F.interpolate(x, { scaleFactor: 2.5, mode: 'linear' }), [f64([2, 1, 4])])).toBe(true);
    expect(await wg.gradcheck((x) => F.interpolate(x, { size: [5, 2] }), [f64([1, 1, 3, 3])])).toBe(true);
    expect(await wg.gradcheck((x) => F.interpolate(x, { size: [4, 7], mode: 'nearest-exact' }), [f64([1, 1, 3, 3])])).toBe(true);
  });
  it('second derivatives (gradgradcheck) through bilinear', async () => {
    expect(await wg.gradgradcheck((x) => F.interpolate(x, { size: [3, 5], mode: 'bilinear' }).square(), [f64([1, 1, 2, 3])])).toBe(true);
  });
});
