/**
 * F.maxPool1d / avgPool1d / adaptiveAvgPool1d and their modules: the 2-D pooling kernels with a
 * height of 1. Windows worked out by hand, webgpu against cpu (odd sizes, a transposed input,
 * forward and backward), gradcheck in float64 on cpu. Refused calls: tests/sweep/ops13a.ts.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import { DEVICES, expectClose, pair, reseed, useDevices } from './helpers.js';

useDevices();
const F = wg.F;
const X = [1, 3, 2, 5, 4, 0, 6];

describe.each(DEVICES)('1-D pooling on %s', (device) => {
  const x = () => wg.tensor([[X]], { device }); // [1, 1, 7]

  it('maxPool1d kernel 3 stride 2: windows [1 3 2] [2 5 4] [4 0 6], argmax 1, 3, 6', async () => {
    const [v, i] = F.maxPool1d(x(), 3, { stride: 2, returnIndices: true });
    expect(v.shape).toEqual([1, 1, 3]);
    expect(await v.toArray()).toEqual([[[3, 5, 6]]]);
    expect(i.dtype).toBe('int32');
    expect(await i.toArray()).toEqual([[[1, 3, 6]]]);
  });

  it('maxPool1d with padding 1 (4 windows, -inf padding), dilation 2 (taps 0-2, 2-4, 4-6), ceilMode (a last partial window)', async () => {
    expect(await F.maxPool1d(x(), 3, { stride: 2, padding: 1 }).toArray()).toEqual([[[3, 5, 5, 6]]]);
    expect(await F.maxPool1d(x(), 2, { dilation: 2 }).toArray()).toEqual([[[2, 4, 6]]]);
    expect(await F.maxPool1d(x(), 2).toArray()).toEqual([[[3, 5, 4]]]);
    expect(await F.maxPool1d(x(), 2, { ceilMode: true }).toArray()).toEqual([[[3, 5, 4, 6]]]);
  });

  it('avgPool1d kernel 3 stride 2 padding 1: the padding counted (4/3, 10/3, 3, 2) or not (2, 10/3, 3, 3)', async () => {
    const a = await F.avgPool1d(x(), 3, { stride: 2, padding: 1 }).data();
    [4 / 3, 10 / 3, 3, 2].forEach((e, k) => expect(a[k]).toBeCloseTo(e, 6));
    const b = await F.avgPool1d(x(), 3, { stride: 2, padding: 1, countIncludePad: false }).data();
    [2, 10 / 3, 3, 3].forEach((e, k) => expect(b[k]).toBeCloseTo(e, 6));
  });

  it('adaptiveAvgPool1d 5 -> 3 averages [0, 2), [1, 4), [3, 5)', async () => {
    const y = await F.adaptiveAvgPool1d(wg.tensor([[[1, 2, 3, 4, 10]]], { device }), 3).data();
    [1.5, 3, 7].forEach((e, k) => expect(y[k]).toBeCloseTo(e, 6));
  });

  it('an unbatched [C, L] input gives [C, OL]', async () => {
    const y = F.maxPool1d(wg.tensor([X, X.map((v) => 10 - v)], { device }), 3, { stride: 2 });
    expect(y.shape).toEqual([2, 3]);
    expect(await y.toArray()).toEqual([[3, 5, 6], [9, 8, 10]]);
    expect(F.avgPool1d(wg.ones([2, 7], { device }), 2).shape).toEqual([2, 3]);
  });

  it('forward and backward match cpu on odd sizes and a transposed input', async () => {
    reseed(51);
    const [c, d] = pair([3, 11, 5], device);
    const cx = c.transpose(1, 2).detach().requiresGrad_(); // [3, 5, 11], not contiguous
    const dx = d.transpose(1, 2).detach().requiresGrad_();
    const fs = [
      (t: wg.Tensor) => F.maxPool1d(t, 3, { stride: 2, padding: 1, dilation: 1 }),
      (t: wg.Tensor) => F.maxPool1d(t, 2, { dilation: 3, ceilMode: true }),
      (t: wg.Tensor) => F.avgPool1d(t, 4, { stride: 3, padding: 2, ceilMode: true, countIncludePad: false }),
      (t: wg.Tensor) => F.adaptiveAvgPool1d(t, 4),
    ];
    for (const f of fs) {
      await expectClose(f(dx), f(cx), 1e-6);
      f(cx).square().sum().backward();
      f(dx).square().sum().backward();
      await expectClose(dx.grad!, cx.grad!, 1e-5);
      cx.grad = null;
      dx.grad = null;
    }
  });

  it('nn.MaxPool1d, nn.AvgPool1d and nn.AdaptiveAvgPool1d compute what the functions do', async () => {
    const t = x();
    await expectClose(new wg.nn.MaxPool1d(3, 2, 1).forward(t), F.maxPool1d(t, 3, { stride: 2, padding: 1 }));
    const [v, i] = new wg.nn.MaxPool1d(3, { stride: 2, returnIndices: true }).forward(t) as unknown as [wg.Tensor, wg.Tensor];
    expect(await v.toArray()).toEqual([[[3, 5, 6]]]);
    expect(await i.toArray()).toEqual([[[1, 3, 6]]]);
    await expectClose(new wg.nn.AvgPool1d(3, 2, 1, false, false).forward(t), F.avgPool1d(t, 3, { stride: 2, padding: 1, countIncludePad: false }));
    await expectClose(new wg.nn.AdaptiveAvgPool1d(2).forward(t), F.adaptiveAvgPool1d(t, 2));
  });
});

describe('1-D pooling gradcheck (float64, cpu)', () => {
  const f64 = (v: number[], shape: number[]) => wg.tensor(Float64Array.from(v), { shape, requiresGrad: true });
  const v = [0.3, -1.2, 2.5, 0.7, -0.4, 1.9, 1.1, -2.2, 0.05, 1.4];
  it('maxPool1d (distinct values) and avgPool1d with padding, and adaptiveAvgPool1d', async () => {
    expect(await wg.gradcheck((t) => F.maxPool1d(t, 3, { stride: 2, padding: 1 }), [f64(v, [1, 2, 5])])).toBe(true);
    expect(await wg.gradcheck((t) => F.avgPool1d(t, 3, { stride: 2, padding: 1, countIncludePad: false }), [f64(v, [2, 5])])).toBe(true);
    expect(await wg.gradcheck((t) => F.adaptiveAvgPool1d(t, 3), [f64(v, [1, 2, 5])])).toBe(true);
  });
});
