/**
 * F.maxPool2d, F.avgPool2d, F.adaptiveAvgPool2d: known values, every device against the cpu
 * reference on random inputs (odd sizes, batch 1 and > 1, strided views, the option
 * combinations), gradcheck / gradgradcheck in float64, device gradients against cpu gradients,
 * the large-window paths of the webgpu kernels, both max-pooling layouts of webgpu (one pass
 * and a scatter, or two passes and a gather), and the error messages.
 */
import type { DeviceName } from '../src/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { DEVICES, NO_WEBGPU, pair, relErr, reseed, rng, traceDispatches, useDevices } from './helpers.js';
import { MAX_POOL_LAYOUT } from '../src/kernels/pool/webgpu.js';

useDevices();
const F = wg.F;

type PoolFn = (x: Tensor) => Tensor | [Tensor, Tensor];

interface Case {
  name: string;
  shape: number[];
  fn: PoolFn;
  /** A view of the input instead of the input itself (non-contiguous layouts). */
  view?: (x: Tensor) => Tensor;
}

const maxCases: Case[] = [
  { name: 'k 3 (stride 3), batch 1', shape: [1, 1, 7, 9], fn: (x) => F.maxPool2d(x, 3, { returnIndices: true }) },
  { name: 'k [3, 2], stride [2, 1], padding 1', shape: [2, 3, 9, 7], fn: (x) => F.maxPool2d(x, [3, 2], { stride: [2, 1], padding: 1, returnIndices: true }) },
  { name: 'k 3, stride 2, padding 1, dilation 2', shape: [3, 2, 11, 10], fn: (x) => F.maxPool2d(x, 3, { stride: 2, padding: 1, dilation: 2, returnIndices: true }) },
  { name: 'k 3, stride 2, ceilMode', shape: [2, 2, 8, 9], fn: (x) => F.maxPool2d(x, 3, { stride: 2, ceilMode: true, returnIndices: true }) },
  {
    name: 'k [2, 4], stride [3, 2], padding [1, 2], dilation [2, 1], ceilMode',
    shape: [1, 3, 10, 11],
    fn: (x) => F.maxPool2d(x, [2, 4], { stride: [3, 2], padding: [1, 2], dilation: [2, 1], ceilMode: true, returnIndices: true }),
  },
  { name: 'k 1 stride 1 (identity)', shape: [2, 1, 3, 5], fn: (x) => F.maxPool2d(x, 1, { returnIndices: true }) },
  { name: 'unbatched [C, H, W]', shape: [3, 7, 8], fn: (x) => F.maxPool2d(x, 2, { returnIndices: true }) },
  { name: 'channels-last view (strided input)', shape: [2, 9, 8, 3], view: (x) => x.permute(0, 3, 1, 2), fn: (x) => F.maxPool2d(x, 3, { stride: 2, padding: 1, returnIndices: true }) },
  { name: 'sliced view with steps', shape: [2, 3, 13, 12], view: (x) => x.slice(null, [0, 3, 2], [1, null, 2], [0, null, 2]), fn: (x) => F.maxPool2d(x, 2, { stride: 1, returnIndices: true }) },
];

const avgCases: Case[] = [
  { name: 'k 3 (stride 3), batch 1', shape: [1, 1, 7, 9], fn: (x) => F.avgPool2d(x, 3) },
  { name: 'k [3, 2], stride [2, 1], padding 1, countIncludePad', shape: [2, 3, 9, 7], fn: (x) => F.avgPool2d(x, [3, 2], { stride: [2, 1], padding: 1 }) },
  { name: 'k 3, stride 2, padding 1, countIncludePad false', shape: [3, 2, 11, 10], fn: (x) => F.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }) },
  { name: 'k 3, stride 2, padding 1, ceilMode', shape: [2, 2, 8, 9], fn: (x) => F.avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }) },
  { name: 'ceilMode, countIncludePad false', shape: [2, 2, 8, 9], fn: (x) => F.avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }) },
  { name: 'divisorOverride 5', shape: [1, 3, 10, 11], fn: (x) => F.avgPool2d(x, [2, 4], { stride: [3, 2], padding: [1, 2], divisorOverride: 5 }) },
  { name: 'unbatched [C, H, W]', shape: [3, 7, 8], fn: (x) => F.avgPool2d(x, 2) },
  { name: 'channels-last view (strided input)', shape: [2, 9, 8, 3], view: (x) => x.permute(0, 3, 1, 2), fn: (x) => F.avgPool2d(x, 3, { stride: 2, padding: 1 }) },
];

const adaptiveCases: Case[] = [
  { name: '[9, 7] -> [4, 3]', shape: [2, 3, 9, 7], fn: (x) => F.adaptiveAvgPool2d(x, [4, 3]) },
  { name: 'global (outputSize 1)', shape: [2, 3, 9, 7], fn: (x) => F.adaptiveAvgPool2d(x, 1) },
  { name: 'null keeps a size', shape: [1, 2, 5, 11], fn: (x) => F.adaptiveAvgPool2d(x, [null, 4]) },
  { name: 'larger than the input (windows overlap)', shape: [1, 2, 3, 4], fn: (x) => F.adaptiveAvgPool2d(x, [5, 7]) },
  { name: 'unbatched, strided', shape: [7, 5, 3], view: (x) => x.permute(2, 0, 1), fn: (x) => F.adaptiveAvgPool2d(x, [3, 2]) },
];

const all = [...maxCases.map((c) => ['maxPool2d', c] as const), ...avgCases.map((c) => ['avgPool2d', c] as const), ...adaptiveCases.map((c) => ['adaptiveAvgPool2d', c] as const)];

/** Forward outputs (and indices), then gradients of sum(w * y) (or of sum(y), a broadcast gradient). */
async function run(c: Case, device: DeviceName, seed: number, broadcastGrad = false) {
  reseed(seed);
  const [, x] = pair(c.shape, device);
  x.requiresGrad = true;
  const xin = c.view ? c.view(x) : x;
  const r = c.fn(xin);
  const [y, idx] = Array.isArray(r) ? r : [r, null];
  reseed(seed + 1000);
  const w = wg.tensor(Array.from({ length: y.size }, () => rng() * 2 - 1), { shape: y.shape, dtype: 'float32', device });
  (broadcastGrad ? y.sum() : y.mul(w).sum()).backward();
  return {
    shape: y.shape,
    y: Array.from(await y.data()),
    idx: idx ? Array.from(await idx.data()) : null,
    idxDtype: idx?.dtype,
    grad: Array.from(await x.grad!.data()),
    gradDevice: x.grad!.device,
  };
}

describe.each(DEVICES)('pooling on %s matches cpu (float32)', (device) => {
  it.each(all.map(([op, c], i) => [`${op}: ${c.name}`, c, i] as const))('%s', async (_name, c, i) => {
    const got = await run(c, device, i + 1);
    const ref = await run(c, 'cpu', i + 1);
    expect(got.shape).toEqual(ref.shape);
    expect(relErr(got.y, ref.y)).toBeLessThan(1e-6);
    if (ref.idx) {
      expect(got.idxDtype).toBe('int32');
      expect(got.idx).toEqual(ref.idx);
    }
    expect(got.gradDevice).toBe(device);
    expect(relErr(got.grad, ref.grad)).toBeLessThan(1e-6);
  });

  it('a broadcast (stride 0) output gradient', async () => {
    for (const c of [maxCases[1]!, avgCases[2]!, adaptiveCases[0]!]) {
      const got = await run(c, device, 77, true);
      const ref = await run(c, 'cpu', 77, true);
      expect(relErr(got.grad, ref.grad)).toBeLessThan(1e-6);
    }
  });

  it('huge overlapping max windows (the scatter-add backward) and a large global average', async () => {
    const big: Case[] = [
      { name: 'k 64 stride 1 over 130 x 130', shape: [1, 1, 130, 130], fn: (x) => F.maxPool2d(x, 64, { stride: 1, returnIndices: true }) },
      { name: 'global average of 61 x 67', shape: [2, 2, 61, 67], fn: (x) => F.adaptiveAvgPool2d(x, 1) },
    ];
    for (const c of big) {
      const got = await run(c, device, 5);
      const ref = await run(c, 'cpu', 5);
      expect(relErr(got.y, ref.y), c.name).toBeLessThan(1e-6);
      if (ref.idx) expect(got.idx).toEqual(ref.idx);
      expect(relErr(got.grad, ref.grad), c.name).toBeLessThan(1e-5); // atomic adds: any order
    }
  });

  it('a window longer than an invocation may loop is refused on webgpu, with the sizes (cpu has no such limit)', async () => {
    const x = wg.zeros([1, 1, 1, 61000], { device });
    if (device === 'webgpu') {
      expect(() => F.adaptiveAvgPool2d(x, 1)).toThrow(/webgpu adaptiveAvgPool2d: a window spanning 61001 positions along W exceeds the 60000 loop iterations/);
    } else {
      expect(await F.adaptiveAvgPool2d(x, 1).toArray()).toEqual([[[[0]]]]);
    }
  });

  it('known values: a hand-worked 4 x 4 max pool', async () => {
    const x = wg.tensor([[[[1, 5, 2, 0], [3, 4, 8, 7], [9, 6, 1, 2], [0, 3, 5, 4]]]], { dtype: 'float32', device, requiresGrad: true });
    const [y, i] = F.maxPool2d(x, 2, { returnIndices: true });
    expect(await y.toArray()).toEqual([[[[5, 8], [9, 5]]]]);
    expect(await i.toArray()).toEqual([[[[1, 6], [8, 14]]]]);
    const [y3, i3] = F.maxPool2d(x, 3, { stride: 1, returnIndices: true });
    expect(await y3.toArray()).toEqual([[[[9, 8], [9, 8]]]]);
    expect(await i3.toArray()).toEqual([[[[8, 6], [8, 6]]]]);
    // ceilMode adds a last, partial window: rows 2-3, columns 2-3.
    const [yc, ic] = F.maxPool2d(x, 3, { stride: 2, ceilMode: true, returnIndices: true });
    expect(await yc.toArray()).toEqual([[[[9, 8], [9, 5]]]]);
    expect(await ic.toArray()).toEqual([[[[8, 6], [8, 14]]]]);
    expect(F.maxPool2d(x, 3, { stride: 2 }).shape).toEqual([1, 1, 1, 1]);
    // Each output's gradient goes to its argmax; 9 and 8 are the max of two windows each.
    y3.sum().backward();
    expect(await x.grad!.toArray()).toEqual([[[[0, 0, 0, 0], [0, 0, 2, 0], [2, 0, 0, 0], [0, 0, 0, 0]]]]);
  });

  it('known values: a hand-worked 4 x 4 average pool with padding, countIncludePad true and false', async () => {
    const x = wg.arange(1, 17, 1, { dtype: 'float32', device }).reshape(1, 1, 4, 4);
    // Windows (k 2, stride 2, padding 1): rows {0}, {1, 2}, {3}, and likewise columns.
    const inc = F.avgPool2d(x, 2, { stride: 2, padding: 1 });
    expect(await inc.toArray()).toEqual([[[[0.25, 1.25, 1], [3.5, 8.5, 5], [3.25, 7.25, 4]]]]);
    const exc = F.avgPool2d(x, 2, { stride: 2, padding: 1, countIncludePad: false });
    expect(await exc.toArray()).toEqual([[[[1, 2.5, 4], [7, 8.5, 10], [13, 14.5, 16]]]]);
    const over = F.avgPool2d(x, 2, { divisorOverride: 2 });
    expect(await over.toArray()).toEqual([[[[7, 11], [23, 27]]]]);
    // Adaptive 4 -> 3: windows [0, 2), [1, 3), [2, 4) along each axis.
    const ad = F.adaptiveAvgPool2d(x, 3);
    expect(await ad.toArray()).toEqual([[[[3.5, 4.5, 5.5], [7.5, 8.5, 9.5], [11.5, 12.5, 13.5]]]]);
    expect(await F.adaptiveAvgPool2d(x, 1).toArray()).toEqual([[[[8.5]]]]);
  });

  it('the gradient of avgPool2d spreads each output evenly over its window', async () => {
    const x = wg.zeros([1, 1, 4, 4], { device, requiresGrad: true });
    F.avgPool2d(x, 2, { stride: 2, padding: 1, countIncludePad: false }).sum().backward();
    expect(await x.grad!.toArray()).toEqual([[[[1, 0.5, 0.5, 1], [0.5, 0.25, 0.25, 0.5], [0.5, 0.25, 0.25, 0.5], [1, 0.5, 0.5, 1]]]]);
  });

  it('empty batches give empty results', async () => {
    const x = wg.zeros([0, 3, 5, 5], { device, requiresGrad: true });
    const [y, i] = F.maxPool2d(x, 2, { returnIndices: true });
    expect(y.shape).toEqual([0, 3, 2, 2]);
    expect(i.shape).toEqual([0, 3, 2, 2]);
    F.avgPool2d(x, 2).sum().add(y.sum()).backward();
    expect(x.grad!.shape).toEqual([0, 3, 5, 5]);
    expect(Array.from(await F.adaptiveAvgPool2d(x, 2).data())).toEqual([]);
  });

  it('bad input is a clear error', () => {
    const x = wg.zeros([1, 2, 4, 5], { device });
    expect(() => F.maxPool2d(wg.zeros([4, 4], { device }), 2)).toThrow(/maxPool2d: expected a 4-D \[N, C, H, W\] or 3-D \[C, H, W\] input, got shape \[4, 4\]/);
    expect(() => F.avgPool2d(wg.zeros([1, 1, 1, 4, 4], { device }), 2)).toThrow(/avgPool2d: expected a 4-D .* got shape \[1, 1, 1, 4, 4\]/);
    expect(() => F.maxPool2d(wg.zeros([1, 1, 4, 4], { dtype: 'int32', device }), 2)).toThrow(/maxPool2d: expected a floating-point input, got int32/);
    expect(() => F.maxPool2d(x, 5)).toThrow(/maxPool2d: the kernel 5 x 5 is larger than the padded input 4 x 5 \(input \[1, 2, 4, 5\], padding 0 x 0\)/);
    expect(() => F.avgPool2d(wg.zeros([2, 3, 3], { device }), 4, { padding: 0 })).toThrow(/avgPool2d: the kernel 4 x 4 is larger than the padded input 3 x 3 \(input \[2, 3, 3\], padding 0 x 0\); the output would be 0 x 0/);
    expect(() => F.maxPool2d(x, 3, { dilation: 2 })).toThrow(/maxPool2d: the kernel 3 x 3 with dilation 2 x 2 \(spanning 5 x 5\) is larger than the padded input 4 x 5/);
    expect(() => F.avgPool2d(x, [2, 8], { padding: [0, 1] })).toThrow(/avgPool2d: the kernel 2 x 8 is larger than the padded input 4 x 7/);
    expect(() => F.maxPool2d(x, 3, { padding: 2 })).toThrow(/maxPool2d: padding 2 x 2 must be at most half the kernel size 3 x 3 \(at most 1 x 1\)/);
    expect(() => F.avgPool2d(x, 2, { padding: [0, 2] })).toThrow(/avgPool2d: padding 0 x 2 must be at most half the kernel size 2 x 2/);
    expect(() => F.maxPool2d(x, 2, { stride: 0 })).toThrow(/maxPool2d: stride must be an integer >= 1 or a pair of them, got 0/);
    expect(() => F.avgPool2d(x, 2, { stride: [1, -1] })).toThrow(/avgPool2d: stride must be an integer >= 1 or a pair of them, got \[1, -1\]/);
    expect(() => F.maxPool2d(x, 0)).toThrow(/maxPool2d: kernelSize must be an integer >= 1/);
    expect(() => F.maxPool2d(x, 2.5)).toThrow(/maxPool2d: kernelSize must be an integer >= 1/);
    expect(() => F.maxPool2d(x, 2, { dilation: 0 })).toThrow(/maxPool2d: dilation must be an integer >= 1/);
    expect(() => F.maxPool2d(x, 2, { padding: -1 })).toThrow(/maxPool2d: padding must be an integer >= 0/);
    expect(() => F.avgPool2d(x, 2, { divisorOverride: 0 })).toThrow(/avgPool2d: divisorOverride must be a nonzero number, got 0/);
    expect(() => F.maxPool2d(wg.zeros([1, 1, 0, 4], { device }), 1)).toThrow(/maxPool2d: the spatial dims must be non-empty, got shape \[1, 1, 0, 4\]/);
    expect(() => F.adaptiveAvgPool2d(x, 0)).toThrow(/adaptiveAvgPool2d: outputSize must be a positive integer, null, or a pair of them, got 0/);
    expect(() => F.adaptiveAvgPool2d(x, [2, 1.5])).toThrow(/adaptiveAvgPool2d: outputSize .* got \[2, 1.5\]/);
    expect(() => F.adaptiveAvgPool2d(wg.zeros([5], { device }), 1)).toThrow(/adaptiveAvgPool2d: expected a 4-D/);
  });
});

// webgpu only (these are webgpu layouts): skipped only when the run declares no adapter (WEBGRAD_TEST_NO_WEBGPU=1; helpers.ts says so).
describe.skipIf(NO_WEBGPU)('max pooling layouts on webgpu: one pass and scatter, or the two passes and the gather', () => {
  const saved = { ...MAX_POOL_LAYOUT };
  afterEach(() => {
    Object.assign(MAX_POOL_LAYOUT, saved);
  });
  const layouts = [['one-pass window, scatter backward', { smallWindow: 64, scatter: true }], ['two passes, gather backward', { smallWindow: 0, scatter: false }]] as const;

  it.each(layouts)('%s: every max case matches cpu (values, indices, gradients)', async (_name, layout) => {
    Object.assign(MAX_POOL_LAYOUT, layout);
    for (const [i, c] of maxCases.entries()) {
      const files = await traceDispatches(async () => {
        const got = await run(c, 'webgpu', i + 1);
        const ref = await run(c, 'cpu', i + 1);
        expect(relErr(got.y, ref.y), c.name).toBeLessThan(1e-6);
        expect(got.idx, c.name).toEqual(ref.idx);
        expect(relErr(got.grad, ref.grad), c.name).toBeLessThan(1e-6);
      });
      expect(files.includes('pool2d_max_small.wgsl:window'), c.name).toBe(layout.smallWindow > 0);
      expect(files.includes('pool2d_max.wgsl:max_axis'), c.name).toBe(layout.smallWindow === 0);
    }
  });

  it.each(layouts)('%s: ties go to the first maximum in row-major order, NaN wins, as on cpu', async (_name, layout) => {
    Object.assign(MAX_POOL_LAYOUT, layout);
    reseed(31);
    const vals = Array.from({ length: 2 * 3 * 8 * 9 }, (_, i) => (i % 29 === 5 ? NaN : Math.floor(rng() * 3)));
    for (const [k, opts] of [[2, {}], [3, { stride: 2, padding: 1 }], [[2, 3], { stride: [2, 3] }], [3, { stride: 1 }]] as const) {
      const res = await Promise.all((['webgpu', 'cpu'] as const).map(async (device) => {
        const x = wg.tensor(vals, { shape: [2, 3, 8, 9], dtype: 'float32', device, requiresGrad: true });
        const [y, idx] = F.maxPool2d(x, k as never, { ...opts, returnIndices: true } as never) as unknown as [Tensor, Tensor];
        y.mul(wg.arange(0, y.size, 1, { device }).reshape(y.shape)).sum().backward();
        return [Array.from(await y.data()), Array.from(await idx.data()), Array.from(await x.grad!.data())];
      }));
      expect(res[0]).toEqual(res[1]);
    }
  });

  it('the scatter backward is chosen only where no input lies in two windows', async () => {
    const x = wg.rand([1, 2, 9, 9], { device: 'webgpu', requiresGrad: true });
    for (const [k, opts, scatter] of [[2, {}, true], [3, { stride: 3, padding: 1 }, true], [2, { stride: 3, dilation: 2 }, true], [3, { stride: 2 }, false], [2, { stride: 2, dilation: 3 }, false]] as const) {
      const files = await traceDispatches(async () => {
        F.maxPool2d(x, k, opts as never).sum().backward();
        await x.grad!.data();
      });
      expect(files.includes('pool2d_max_small.wgsl:scatter'), `k ${k} ${JSON.stringify(opts)}`).toBe(scatter);
      x.grad = null;
    }
  });
});

describe('pooling gradients (float64, cpu)', () => {
  /** Distinct values (no ties within eps), shuffled, so that max pooling is differentiable. */
  const distinct = (shape: number[]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = Array.from({ length: n }, (_, i) => (i - n / 2) * 0.37);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [v[i], v[j]] = [v[j]!, v[i]!];
    }
    return wg.tensor(v, { shape, dtype: 'float64', requiresGrad: true });
  };
  const cases: [string, number[], (x: Tensor) => Tensor][] = [
    ['maxPool2d k 3, stride 2, padding 1', [2, 2, 5, 6], (x) => F.maxPool2d(x, 3, { stride: 2, padding: 1 })],
    ['maxPool2d k 2, dilation 2, ceilMode', [1, 2, 6, 7], (x) => F.maxPool2d(x, 2, { stride: 2, dilation: 2, ceilMode: true })],
    ['maxPool2d unbatched', [2, 4, 5], (x) => F.maxPool2d(x, [2, 3], { stride: 1 })],
    ['avgPool2d k 3, stride 2, padding 1', [2, 2, 5, 6], (x) => F.avgPool2d(x, 3, { stride: 2, padding: 1 })],
    ['avgPool2d countIncludePad false, ceilMode', [1, 2, 6, 7], (x) => F.avgPool2d(x, [3, 2], { stride: 2, padding: 1, countIncludePad: false, ceilMode: true })],
    ['avgPool2d divisorOverride', [1, 1, 5, 5], (x) => F.avgPool2d(x, 2, { stride: 1, divisorOverride: 3 })],
    ['adaptiveAvgPool2d [5, 7] -> [3, 4]', [2, 1, 5, 7], (x) => F.adaptiveAvgPool2d(x, [3, 4])],
    ['adaptiveAvgPool2d global', [1, 2, 4, 3], (x) => F.adaptiveAvgPool2d(x, 1)],
  ];
  it.each(cases)('gradcheck: %s', async (_name, shape, fn) => {
    reseed(11);
    expect(await wg.gradcheck(fn, [distinct(shape)])).toBe(true);
  });
  it.each(cases)('gradgradcheck: %s', async (_name, shape, fn) => {
    reseed(12);
    expect(await wg.gradgradcheck(fn, [distinct(shape)], { atol: 1e-4, rtol: 1e-3 })).toBe(true);
  });
});
