/**
 * batchNorm, layerNorm, groupNorm and dropout: against host references written here, on every
 * device; running statistics; gradcheck; device gradients against cpu; bad input.
 */
import type { DeviceName } from '../src/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { DEVICES, NO_WEBGPU, pair, relErr, reseed, rng, traceDispatches, useDevices } from './helpers.js';
import { BATCH_NORM_LAYOUT, ROW_NORM_LAYOUT } from '../src/kernels/norm/webgpu.js';

useDevices();
const F = wg.F;

/** Normalizes groups of a flat array: group(i) says which statistics element i uses. */
function normRef(x: number[], group: (i: number) => number, groups: number, eps: number): number[] {
  const sum = new Array<number>(groups).fill(0);
  const cnt = new Array<number>(groups).fill(0);
  x.forEach((v, i) => { sum[group(i)]! += v; cnt[group(i)]!++; });
  const mean = sum.map((s, g) => s / cnt[g]!);
  const sq = new Array<number>(groups).fill(0);
  x.forEach((v, i) => { sq[group(i)]! += (v - mean[group(i)]!) ** 2; });
  const v = sq.map((s, g) => s / cnt[g]!);
  return x.map((val, i) => (val - mean[group(i)]!) / Math.sqrt(v[group(i)]! + eps));
}

const rand = (shape: number[], device: DeviceName, dtype: 'float32' | 'float64' = 'float32') => {
  const n = shape.reduce((a, b) => a * b, 1);
  return wg.tensor(Array.from({ length: n }, () => rng() * 4 - 1), { shape, dtype, device });
};

describe.each(DEVICES)('normalization on %s', (device) => {
  it('batchNorm (training) normalizes each channel over N, H, W and applies weight and bias', async () => {
    reseed(1);
    const [N, C, H, W] = [3, 4, 5, 3];
    const x = rand([N, C, H, W], device);
    const w = rand([C], device);
    const b = rand([C], device);
    const y = F.batchNorm(x, null, null, w, b, { training: true, eps: 1e-5 });
    const xv = Array.from(await x.data());
    const ch = (i: number) => Math.floor(i / (H * W)) % C;
    const [wv, bv] = [Array.from(await w.data()), Array.from(await b.data())];
    const ref = normRef(xv, ch, C, 1e-5).map((v, i) => v * wv[ch(i)]! + bv[ch(i)]!);
    expect(relErr(Array.from(await y.data()), ref)).toBeLessThan(1e-5);
  });

  it('batchNorm updates the running statistics in place (unbiased variance) and uses them in eval', async () => {
    reseed(2);
    const x = rand([6, 2, 3], device);
    const rm = wg.zeros([2], { device });
    const rv = wg.ones([2], { device });
    const before = Array.from(await rm.data()); // cached values must not hide the update
    F.batchNorm(x, rm, rv, null, null, { training: true, momentum: 0.25 });
    const xv = Array.from(await x.data());
    const stats = [0, 1].map((c) => {
      const vals = xv.filter((_, i) => Math.floor(i / 3) % 2 === c);
      const m = vals.reduce((a, v) => a + v, 0) / vals.length;
      const v = vals.reduce((a, t) => a + (t - m) ** 2, 0) / (vals.length - 1);
      return { m, v };
    });
    expect(before).toEqual([0, 0]);
    expect(relErr(Array.from(await rm.data()), stats.map((s) => 0.25 * s.m))).toBeLessThan(1e-5);
    expect(relErr(Array.from(await rv.data()), stats.map((s) => 0.75 + 0.25 * s.v))).toBeLessThan(1e-5);
    // eval: (x - running mean) / sqrt(running var + eps)
    const y = F.batchNorm(x, rm, rv, null, null, { training: false });
    const [rmv, rvv] = [Array.from(await rm.data()), Array.from(await rv.data())];
    const ref = xv.map((v, i) => { const c = Math.floor(i / 3) % 2; return (v - rmv[c]!) / Math.sqrt(rvv[c]! + 1e-5); });
    expect(relErr(Array.from(await y.data()), ref)).toBeLessThan(1e-5);
  });

  it('layerNorm normalizes over the last dims', async () => {
    reseed(3);
    const x = rand([4, 3, 5], device);
    const w = rand([3, 5], device);
    const y = F.layerNorm(x, [3, 5], w, null, { eps: 1e-5 });
    const xv = Array.from(await x.data());
    const wv = Array.from(await w.data());
    const ref = normRef(xv, (i) => Math.floor(i / 15), 4, 1e-5).map((v, i) => v * wv[i % 15]!);
    expect(relErr(Array.from(await y.data()), ref)).toBeLessThan(1e-5);
  });

  it('groupNorm normalizes each group of channels per sample', async () => {
    reseed(4);
    const [N, C, L] = [2, 6, 5];
    const x = rand([N, C, L], device);
    const b = rand([C], device);
    const y = F.groupNorm(x, 3, null, b);
    const xv = Array.from(await x.data());
    const bv = Array.from(await b.data());
    const ref = normRef(xv, (i) => Math.floor(i / (2 * L)), N * 3, 1e-5).map((v, i) => v + bv[Math.floor(i / L) % C]!);
    expect(relErr(Array.from(await y.data()), ref)).toBeLessThan(1e-5);
  });

  it('batchNorm (training) over more values per channel than a workgroup has invocations', async () => {
    reseed(12);
    const [xc, xd] = pair([3, 2, 17, 13], device);
    const f = (x: Tensor) => F.batchNorm(x, null, null, null, null, { training: true });
    expect(relErr(Array.from(await f(xd).data()), Array.from(await f(xc).data()))).toBeLessThan(1e-5);
  });

  it('gradients of all three match cpu', async () => {
    reseed(5);
    const cases: [string, number[], (x: Tensor, w: Tensor, b: Tensor) => Tensor, number][] = [
      ['batchNorm', [3, 4, 5], (x, w, b) => F.batchNorm(x, null, null, w, b, { training: true }), 4],
      ['layerNorm', [3, 7], (x, w, b) => F.layerNorm(x, 7, w, b), 7],
      ['groupNorm', [2, 4, 3], (x, w, b) => F.groupNorm(x, 2, w, b), 4],
    ];
    for (const [name, shape, f, c] of cases) {
      const [xc, xd] = pair(shape, device);
      const [wc, wd] = pair([c], device);
      const [bc, bd] = pair([c], device);
      const grads = async (x: Tensor, w: Tensor, b: Tensor) => {
        const ps = [x, w, b].map((t) => t.detach().requiresGrad_());
        f(ps[0]!, ps[1]!, ps[2]!).mul(ps[0]!.sin()).sum().backward();
        return Promise.all(ps.map(async (p) => Array.from(await p.grad!.data())));
      };
      const [gd, gc] = [await grads(xd, wd, bd), await grads(xc, wc, bc)];
      gd.forEach((g, i) => expect(relErr(g, gc[i]!), `${name} input ${i}`).toBeLessThan(1e-4));
    }
  });
});

// webgpu only (these are webgpu layouts): skipped only when the run declares no adapter (WEBGRAD_TEST_NO_WEBGPU=1; helpers.ts says so).
describe.skipIf(NO_WEBGPU)('batchNorm on webgpu, four elements per invocation (apply4, backward_dx4)', () => {
  afterEach(() => {
    BATCH_NORM_LAYOUT.perFour = true;
    BATCH_NORM_LAYOUT.vecSums = true;
  });
  /** Forward values and the gradients of x, weight, bias, with the kernels each took. */
  async function run(shape: number[], training: boolean, affine: boolean) {
    reseed(41);
    const [, x] = pair(shape, 'webgpu');
    const [, w] = pair([shape[1]!], 'webgpu');
    const [, b] = pair([shape[1]!], 'webgpu');
    const rm = wg.zeros([shape[1]!], { device: 'webgpu' });
    const rv = wg.ones([shape[1]!], { device: 'webgpu' });
    const ps = [x, w, b].map((t) => t.detach().requiresGrad_());
    let out: number[][] = [];
    const kernels = await traceDispatches(async () => {
      const y = F.batchNorm(ps[0]!, rm, rv, affine ? ps[1]! : null, affine ? ps[2]! : null, { training });
      y.mul(ps[0]!.cos()).sum().backward();
      out = [Array.from(await y.data()), ...(await Promise.all(ps.slice(0, affine ? 3 : 1).map(async (p) => Array.from(await p.grad!.data()))))];
    });
    return { out, kernels };
  }
  it.each([[[3, 5, 4, 6], true, true], [[2, 3, 8], false, true], [[4, 2, 3, 4], true, false], [[3, 4, 5, 3], true, true]] as const)('%j training %s affine %s: the same bits as one per invocation', async (shape, training, affine) => {
    BATCH_NORM_LAYOUT.vecSums = false; // the sums' own vec4 layout adds in another order (the next test)
    const four = await run([...shape], training, affine);
    BATCH_NORM_LAYOUT.perFour = false;
    const one = await run([...shape], training, affine);
    expect(four.out).toEqual(one.out);
    const s = shape.slice(2).reduce((a, c) => a * c, 1);
    // (in eval with gradients recorded, the forward is composed of elementwise ops)
    if (training) {
      expect(four.kernels.includes('batch_norm.wgsl:apply4')).toBe(s % 4 === 0);
      expect(four.kernels.includes('batch_norm.wgsl:backward_dx4')).toBe(s % 4 === 0);
    }
    expect(one.kernels.some((k) => k.endsWith('4'))).toBe(false);
  });
  // S = 4 (a vec4 an image), 12, 196 (fewer vec4s than a workgroup's 256 invocations: each
  // steps over several images), 400 (more): the vec4 sums against the cpu, and the kernels taken.
  it.each([[[5, 3, 2, 2]], [[3, 4, 12]], [[7, 3, 14, 14]], [[3, 2, 20, 20]], [[2, 3, 5, 3]]] as const)('%j: the per-channel sums over vec4s (main4, backward_sums4) against the cpu', async (shape) => {
    const { out, kernels } = await run([...shape], true, true);
    const s = shape.slice(2).reduce((a, c) => a * c, 1);
    expect(kernels.includes('batch_norm_stats.wgsl:main4')).toBe(s % 4 === 0);
    expect(kernels.includes('batch_norm.wgsl:backward_sums4')).toBe(s % 4 === 0);
    expect(kernels.includes('batch_norm_stats.wgsl:main')).toBe(s % 4 !== 0);
    reseed(41);
    const [xc] = pair([...shape], 'webgpu');
    const [wc] = pair([shape[1]!], 'webgpu');
    const [bc] = pair([shape[1]!], 'webgpu');
    const ps = await Promise.all([xc, wc, bc].map(async (t) => (await t.to('cpu')).detach().requiresGrad_()));
    const y = F.batchNorm(ps[0]!, wg.zeros([shape[1]!]), wg.ones([shape[1]!]), ps[1]!, ps[2]!, { training: true });
    y.mul(ps[0]!.cos()).sum().backward();
    const want = [Array.from(await y.data()), ...(await Promise.all(ps.map(async (p) => Array.from(await p.grad!.data()))))];
    out.forEach((o, i) => expect(relErr(o, want[i]!), `output ${i}`).toBeLessThan(1e-5));
  });
});

describe('normalization: gradcheck (float64, cpu)', () => {
  const r = (shape: number[]) => rand(shape, 'cpu', 'float64').requiresGrad_();
  it('batchNorm (training), with weight and bias', async () => {
    reseed(6);
    expect(await wg.gradcheck((x, w, b) => F.batchNorm(x, null, null, w, b, { training: true }), [r([3, 2, 2]), r([2]), r([2])])).toBe(true);
  });
  it('batchNorm (eval) with running statistics', async () => {
    reseed(7);
    const rm = rand([2], 'cpu', 'float64');
    const rv = rand([2], 'cpu', 'float64').abs().add(0.5);
    expect(await wg.gradcheck((x, w) => F.batchNorm(x, rm, rv, w, null), [r([3, 2, 2]), r([2])])).toBe(true);
  });
  it('layerNorm', async () => {
    reseed(8);
    expect(await wg.gradcheck((x, w, b) => F.layerNorm(x, [2, 3], w, b), [r([2, 2, 3]), r([2, 3]), r([2, 3])])).toBe(true);
  });
  it('groupNorm', async () => {
    reseed(9);
    expect(await wg.gradcheck((x, w, b) => F.groupNorm(x, 2, w, b), [r([2, 4, 2]), r([4]), r([4])])).toBe(true);
  });
  it('batchNorm (training) second derivatives', async () => {
    reseed(11);
    expect(await wg.gradgradcheck((x, w) => F.batchNorm(x, null, null, w, null, { training: true }), [r([3, 2, 2]), r([2])], { atol: 1e-4 })).toBe(true);
  });
  it('layerNorm second derivatives', async () => {
    reseed(10);
    expect(await wg.gradgradcheck((x) => F.layerNorm(x, 4), [r([2, 4])], { atol: 1e-4 })).toBe(true);
  });
});

describe('normalization: bad input', () => {
  it('names the op and the shapes', () => {
    const x = wg.ones([2, 3, 4]);
    expect(() => F.batchNorm(x, wg.zeros([4]), wg.ones([4]))).toThrow(/batchNorm: runningMean must have shape \[3\], got \[4\]/);
    expect(() => F.batchNorm(wg.ones([1, 3]), null, null, null, null, { training: true })).toThrow(/batchNorm: expected more than 1 value per channel when training, got input \[1, 3\]/);
    expect(() => F.batchNorm(x, wg.zeros([3]), null)).toThrow(/batchNorm: give both runningMean and runningVar, or neither/);
    expect(() => F.batchNorm(x, wg.zeros([3], { requiresGrad: true }), wg.ones([3]), null, null, { training: true })).toThrow(/batchNorm: runningMean must not require grad/);
    expect(() => F.layerNorm(x, [3])).toThrow(/layerNorm: normalizedShape \[3\] must be the last dims of the input, got input \[2, 3, 4\]/);
    expect(() => F.groupNorm(x, 2)).toThrow(/groupNorm: the 3 channels of input \[2, 3, 4\] cannot be split into 2 groups/);
    expect(() => F.layerNorm(x, 4, wg.ones([3]))).toThrow(/layerNorm: weight must have shape \[4\], got \[3\]/);
    expect(() => F.layerNorm(wg.ones([2, 4], { dtype: 'int32' }), 4)).toThrow(/layerNorm: expected a floating-point input, got int32/);
  });
});

describe.each(DEVICES)('dropout on %s', (device) => {
  it('the same seed gives the same mask on every device; kept values are scaled by 1 / (1 - p)', async () => {
    const x = wg.ones([1000], { device });
    wg.manualSeed(42);
    const y = Array.from(await F.dropout(x, 0.3).data());
    wg.manualSeed(42);
    const ref = Array.from(await F.dropout(wg.ones([1000], { device: 'cpu' }), 0.3).data());
    expect(y).toEqual(ref);
    const zeros = y.filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(230);
    expect(zeros).toBeLessThan(370);
    for (const v of y) if (v !== 0) expect(v).toBeCloseTo(1 / 0.7, 6);
    wg.manualSeed(43);
    expect(Array.from(await F.dropout(x, 0.3).data())).not.toEqual(y);
  });

  it('in eval (training false) or with p = 0 it returns the input', () => {
    const x = wg.ones([5], { device });
    expect(F.dropout(x, 0.5, false)).toBe(x);
    expect(F.dropout(x, 0)).toBe(x);
  });

  it('the gradient is the mask scaled by 1 / (1 - p)', async () => {
    const x = wg.ones([200], { device, requiresGrad: true });
    wg.manualSeed(1);
    const y = F.dropout(x, 0.5);
    y.sum().backward();
    expect(Array.from(await x.grad!.data())).toEqual(Array.from(await y.data()));
  });

  it('p outside [0, 1] is an error', () => {
    const x = wg.ones([2], { device });
    expect(() => F.dropout(x, 1.5)).toThrow(/dropout: p must be a finite number >= 0 and <= 1, got 1.5/);
    expect(() => F.dropout(x, -0.1)).toThrow(/dropout: p must be a finite number >= 0 and <= 1, got -0.1/);
  });

  it('p = 1 zeroes every element, as PyTorch', async () => {
    expect(Array.from(await F.dropout(wg.ones([3], { device }), 1).data())).toEqual([0, 0, 0]);
  });

  it('training must be a boolean', () => {
    expect(() => F.dropout(wg.ones([2], { device }), 0.5, 'eval' as never)).toThrow("dropout: training must be true or false, got 'eval'");
  });
});

/** layerNorm / groupNorm written with tensor ops (the composite the fused kernels replace), in float64 on cpu. */
function compositeRowNorm(x: Tensor, kind: 'layer' | 'group', arg: number, w: Tensor | null, b: Tensor | null, eps = 1e-5): Tensor {
  if (kind === 'layer') {
    const dims = Array.from({ length: arg }, (_, i) => x.ndim - arg + i);
    let y = x.sub(x.mean(dims, true)).div(x.var(dims, { correction: 0, keepdim: true }).add(eps).sqrt());
    if (w) y = y.mul(w);
    return b ? y.add(b) : y;
  }
  const g = x.reshape([x.shape[0]!, arg, -1]);
  let y = g.sub(g.mean(2, true)).div(g.var(2, { correction: 0, keepdim: true }).add(eps).sqrt()).reshape(x.shape);
  const bs = x.shape.map((d, i) => (i === 1 ? d : 1));
  if (w) y = y.mul(w.reshape(bs));
  return b ? y.add(b.reshape(bs)) : y;
}

describe.each(DEVICES)('layerNorm and groupNorm on the fused row kernels on %s', (device) => {
  type Case = [string, number[], 'layer' | 'group', number, number[] | null, ((t: Tensor) => Tensor)?];
  const cases: Case[] = [
    ['layerNorm over the last dim, rows of 37, affine', [5, 3, 37], 'layer', 1, [37]],
    ['layerNorm over the last two dims, no affine', [4, 3, 11], 'layer', 2, null],
    ['layerNorm of a transposed (non-contiguous) input', [6, 9], 'layer', 1, [6], (t) => t.transpose(0, 1)],
    ['groupNorm, 3 groups of 2 channels of 5 x 7, affine', [3, 6, 5, 7], 'group', 3, [6]],
    ['groupNorm of [N, C] (one position per channel), affine', [4, 8], 'group', 2, [8]],
  ];
  it.each(cases)('%s: the composite\'s values and gradients', async (_name, shape, kind, arg, pShape, view = (t) => t) => {
    reseed(shape.reduce((a, c) => a * 7 + c, 3));
    const x64 = pair(shape, 'cpu')[0].cast('float64');
    const xs = await x64.cast('float32').to(device);
    const ws = pShape ? pair(pShape, 'cpu')[0] : null;
    const bs = pShape ? pair(pShape, 'cpu')[0] : null;
    const [wd, bd] = [ws ? await ws.to(device) : null, bs ? await bs.to(device) : null];
    const fused = (x: Tensor, w: Tensor | null, b: Tensor | null) => (kind === 'layer' ? F.layerNorm(x, x.shape.slice(-arg), w, b) : F.groupNorm(x, arg, w, b));
    // Values and gradients on the device, through the fused op.
    const leaves = [view(xs), wd, bd].map((t) => t && t.detach().requiresGrad_());
    const run = () => fused(leaves[0]!, leaves[1]!, leaves[2]!);
    let y!: Tensor;
    const kernels = await traceDispatches(async () => {
      y = run();
      y.mul(leaves[0]!.cos()).sum().backward();
      await y.data();
    });
    if (device === 'webgpu') {
      expect(kernels).toContain('row_norm.wgsl:forward');
      expect(kernels).toContain('row_norm.wgsl:backward');
    }
    // The reference: the composite in float64 on cpu.
    const rl = [view(x64), ws && ws.cast('float64'), bs && bs.cast('float64')].map((t) => t && t.detach().requiresGrad_());
    const ry = compositeRowNorm(rl[0]!, kind, arg, rl[1]!, rl[2]!);
    ry.mul(rl[0]!.cos()).sum().backward();
    expect(relErr(Array.from(await y.data()), Array.from(await ry.data()))).toBeLessThan(1e-5);
    for (let i = 0; i < 3; i++) {
      if (!leaves[i]) continue;
      expect(relErr(Array.from(await leaves[i]!.grad!.data()), Array.from(await rl[i]!.grad!.data())), `gradient ${i}`).toBeLessThan(1e-4);
    }
  });

  it('groupNorm\'s second derivatives (weight and bias too) pass gradgradcheck in float64 on cpu', async () => {
    if (device !== 'cpu') return;
    const r = (s: number[]) => wg.randn(s, { dtype: 'float64' }).requiresGrad_();
    expect(await wg.gradgradcheck((x, w, b) => F.groupNorm(x, 2, w, b), [r([2, 4, 3]), r([4]), r([4])], { atol: 1e-4 })).toBe(true);
    expect(await wg.gradgradcheck((x, w) => F.layerNorm(x, [2, 3], w), [r([3, 2, 3]), r([2, 3])], { atol: 1e-4 })).toBe(true);
  });
});

// webgpu only (layouts of row_norm.wgsl): skipped only when the run declares no adapter (WEBGRAD_TEST_NO_WEBGPU=1; helpers.ts says so).
describe.skipIf(NO_WEBGPU)('the row normalization\'s two layouts on webgpu', () => {
  afterEach(() => {
    ROW_NORM_LAYOUT.perInvocation = null;
  });
  it.each([true, false])('perInvocation %s: layerNorm and groupNorm values and gradients match cpu, by that entry', async (perInvocation) => {
    ROW_NORM_LAYOUT.perInvocation = perInvocation;
    reseed(77);
    for (const [shape, f, C] of [[[70, 3, 33], (x: Tensor, w: Tensor, b: Tensor) => F.layerNorm(x, 33, w, b), 33], [[5, 6, 4, 9], (x: Tensor, w: Tensor, b: Tensor) => F.groupNorm(x, 3, w, b), 6]] as const) {
      const [xc, xd] = pair([...shape], 'webgpu');
      const [wc, wd] = pair([C], 'webgpu');
      const [bc, bd] = pair([C], 'webgpu');
      const grads = async (x: Tensor, w: Tensor, b: Tensor) => {
        const ps = [x, w, b].map((t) => t.detach().requiresGrad_());
        const y = f(ps[0]!, ps[1]!, ps[2]!);
        y.mul(ps[0]!.sin()).sum().backward();
        return [Array.from(await y.data()), ...(await Promise.all(ps.map(async (p) => Array.from(await p.grad!.data()))))];
      };
      let gd!: number[][];
      const kernels = await traceDispatches(async () => {
        gd = await grads(xd, wd, bd);
      });
      expect(kernels).toContain(perInvocation ? 'row_norm.wgsl:forward_thread' : 'row_norm.wgsl:forward');
      expect(kernels).toContain(perInvocation ? 'row_norm.wgsl:backward_thread' : 'row_norm.wgsl:backward');
      const gc = await grads(xc, wc, bc);
      gd.forEach((g, i) => expect(relErr(g, gc[i]!), `result ${i}`).toBeLessThan(i === 0 ? 1e-5 : 1e-4));
    }
  });
});
