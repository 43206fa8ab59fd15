/**
 * The variant seam: configureKernels forces a family's variant by name, kernelVariants reports
 * the names, the forced one and the last one run, and every variant gives the same numbers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import { NO_WEBGPU, expectClose, expectSumClose, traceDispatchParams, traceDispatches, useDevices } from './helpers.js';
import { isCpuAdapter, type AdapterReport } from '../src/kernels/webgpu/device.js';
import type { WebGPUBackend } from '../src/kernels/webgpu/index.js';
import { IMPLICIT_COLUMNS, IMPLICIT_WEIGHT, K4_LOADS, SPLIT_K } from '../src/kernels/matmul/webgpu.js';

useDevices();
afterEach(() => {
  wg.configureKernels({ conv: null, matmul: null, reduce: null });
});

describe('configureKernels', () => {
  it('refuses unknown families and names, with the accepted ones', () => {
    expect(() => wg.configureKernels({ convv: 'tiled' } as never)).toThrow("configureKernels: unknown option 'convv' (did you mean 'conv'?); accepted options: matmul, conv, reduce");
    expect(() => wg.configureKernels({ conv: 'tiles' as never })).toThrow("configureKernels: conv must be one of 'tiled', 'kParallel', 'direct', 'im2col', got 'tiles' (did you mean 'tiled'?)");
  });
  it('returns the choices in force, and null frees one', () => {
    expect(wg.configureKernels({ conv: 'direct' })).toEqual({ conv: 'direct' });
    expect(wg.kernelVariants().conv.forced).toBe('direct');
    expect(wg.configureKernels({ conv: null })).toEqual({});
    expect(wg.kernelVariants().conv.names).toEqual(['tiled', 'kParallel', 'direct', 'im2col']);
  });
});

// webgpu only (the kernel variants are webgpu layouts): skipped only when the run declares no adapter (WEBGRAD_TEST_NO_WEBGPU=1; helpers.ts says so).
describe.skipIf(NO_WEBGPU)('forced variants on webgpu', () => {
  it.each(['tiled', 'kParallel', 'direct', 'im2col'] as const)('conv %s runs when forced and matches cpu', async (name) => {
    const x = wg.randn([2, 3, 9, 7], { device: 'cpu' });
    const w = wg.randn([5, 3, 3, 3], { device: 'cpu' });
    const ref = wg.F.conv2d(x, w, null, { padding: 1 });
    wg.configureKernels({ conv: name });
    const y = wg.F.conv2d(await x.to('webgpu'), await w.to('webgpu'), null, { padding: 1 });
    expect(wg.kernelVariants().conv.last).toBe(name);
    await expectClose(await y.to('cpu'), ref, 2e-5);
  });
});

// webgpu only (the kernel variants are webgpu layouts): skipped only when the run declares no adapter (WEBGRAD_TEST_NO_WEBGPU=1; helpers.ts says so).
describe.skipIf(NO_WEBGPU)('matmul variants on webgpu', () => {
  it('the plan takes register blocks on a CPU adapter, else 32 x 32 tiles for narrow outputs and 64 x 64 for wide ones', async () => {
    const cpuAdapter = isCpuAdapter((wg.getBackend('webgpu') as WebGPUBackend).adapter);
    wg.randn([8, 20], { device: 'webgpu' }).matmul(wg.randn([20, 30], { device: 'webgpu' }));
    expect(wg.kernelVariants().matmul.last).toBe(cpuAdapter ? 'block8x8' : 'tile32x32');
    wg.randn([70, 20], { device: 'webgpu' }).matmul(wg.randn([20, 90], { device: 'webgpu' }));
    expect(wg.kernelVariants().matmul.last).toBe(cpuAdapter ? 'block16x16' : 'tile64x64');
    wg.randn([16, 20], { device: 'webgpu' }).matmul(wg.randn([20, 90], { device: 'webgpu' })); // M <= 32
    expect(wg.kernelVariants().matmul.last).toBe(cpuAdapter ? 'block8x16' : 'tile32x32');
    wg.randn([40, 20], { device: 'webgpu' }).matmul(wg.randn([20, 40], { device: 'webgpu' })); // one product, 1600 outputs
    expect(wg.kernelVariants().matmul.last).toBe(cpuAdapter ? 'block8x8' : 'tile64x64');
    wg.randn([3, 40, 20], { device: 'webgpu' }).matmul(wg.randn([3, 20, 40], { device: 'webgpu' })); // three: 4800
    expect(wg.kernelVariants().matmul.last).toBe(cpuAdapter ? 'block16x16' : 'tile64x64');
  });

  it.each(['block16x16', 'block8x16', 'block8x8'] as const)('%s: products of two operands contiguous along K (a @ b.T) take four k a step (K4) and match cpu and the one-k loop', async (name) => {
    wg.configureKernels({ matmul: name });
    // [B, M, K, N, broadcast a?, dtype]: odd M and N, K past one slab (2104), batches with a
    // broadcast a (a conv's weights), int32.
    for (const [B, M, K, N, shareA, dtype] of [[3, 37, 52, 71, false, 'float32'], [1, 5, 2104, 3, false, 'float32'], [4, 16, 36, 9, true, 'int32']] as const) {
      const mk = (shape: number[]) => (dtype === 'int32' ? wg.randint(-9, 9, shape, { device: 'cpu' }) : wg.randn(shape, { device: 'cpu' }));
      const a = mk(shareA ? [M, K] : [B, M, K]);
      const bt = mk([B, N, K]);
      const [ag, btg] = [await a.to('webgpu'), await bt.to('webgpu')];
      const ref = a.matmul(bt.transpose(-1, -2));
      for (const k4 of [true, false]) {
        K4_LOADS.enabled = k4;
        try {
          const calls = await traceDispatchParams(async () => {
            const y = await ag.matmul(btg.transpose(-1, -2)).to('cpu');
            if (dtype === 'int32') expect(Array.from(await y.data())).toEqual(Array.from(await ref.data()));
            else await expectClose(y, ref, 2e-5);
          });
          const mm = calls.filter((c) => c.kernel === 'matmul_blocked.wgsl:main');
          expect(mm.length).toBeGreaterThan(0);
          expect(mm.every((c) => c.variant.endsWith('|k4')), `[${B}] ${M}x${K}x${N} ${dtype}: ${mm.map((c) => c.variant)}`).toBe(k4);
        } finally {
          K4_LOADS.enabled = true;
        }
      }
    }
    // Not both contiguous along K, or K not a multiple of 4: the one-k loop.
    const x = wg.randn([6, 10], { device: 'webgpu' });
    const calls = await traceDispatchParams(async () => {
      await x.matmul(x.T).data(); // K = 10
      await x.T.matmul(x).data(); // a and b strided along K
    });
    expect(calls.filter((c) => c.variant.endsWith('|k4'))).toEqual([]);
  });

  it('isCpuAdapter tells llvmpipe, SwiftShader and fallback adapters from GPUs', () => {
    const report = (over: Partial<AdapterReport>): AdapterReport => ({ ...(wg.getBackend('webgpu') as WebGPUBackend).adapter, vendor: 'nvidia', architecture: 'hopper', device: 'H200', description: 'NVIDIA H200', isFallbackAdapter: false, ...over });
    expect(isCpuAdapter(report({}))).toBe(false);
    expect(isCpuAdapter(report({ description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }))).toBe(true);
    expect(isCpuAdapter(report({ vendor: 'google', device: 'SwiftShader Device (Subzero)' }))).toBe(true);
    expect(isCpuAdapter(report({ isFallbackAdapter: true }))).toBe(true);
  });

  it.each(wg.kernelVariants().matmul.names)('%s computes odd, batched, transposed products exactly as cpu does', async (name) => {
    wg.configureKernels({ matmul: name });
    // [2, 68, 2100, 36]: M and N multiples of 4 (the blocked kernel's vector loads of a transposed
    // a and a row-major b) and K past one slab (accumulated); the others take its strided loads.
    for (const [B, M, K, N] of [[1, 1, 1, 1], [3, 37, 53, 71], [2, 65, 33, 129], [1, 5, 2100, 3], [2, 68, 2100, 36], [1, 20, 7, 20]]) {
      const aRaw = wg.randn([B!, K!, M!], { device: 'cpu' });
      const b = wg.randn([B!, K!, N!], { device: 'cpu' });
      const ref = aRaw.transpose(1, 2).matmul(b);
      const y = (await aRaw.to('webgpu')).transpose(1, 2).matmul(await b.to('webgpu')); // a strided (transposed) operand
      expect(wg.kernelVariants().matmul.last).toBe(name);
      await expectClose(await y.to('cpu'), ref, 2e-5);
      const yi = wg.randint(-3, 4, [M!, K!], { device: 'webgpu' });
      const zi = wg.randint(-3, 4, [K!, N!], { device: 'webgpu' });
      const refI = (await yi.to('cpu')).matmul(await zi.to('cpu'));
      expect(Array.from(await yi.matmul(zi).data())).toEqual(Array.from(await refI.data()));
    }
  });

  it.each(wg.kernelVariants().matmul.names)('%s splits a long K over a small output into partial sums, as cpu sums it', async (name) => {
    wg.configureKernels({ matmul: name });
    const backend = wg.getBackend('webgpu') as WebGPUBackend;
    const a = wg.randn([2, 6, 5000], { device: 'cpu' });
    const b = wg.randn([2, 5000, 7], { device: 'cpu' });
    const [ag, bg] = [await a.to('webgpu'), await b.to('webgpu')];
    const saved = { ...SPLIT_K };
    try {
      let before = backend.dispatchCount;
      const split = ag.matmul(bg); // 2 x 6 x 7 outputs: chunks of 5000 / 128 -> 40 -> 44 terms, a tail, the reduction
      const splitDispatches = backend.dispatchCount - before;
      Object.assign(SPLIT_K, { minBlocks: 0 });
      before = backend.dispatchCount;
      const plain = ag.matmul(bg); // three slabs of 2048, one after another
      expect(backend.dispatchCount - before).toBe(3);
      expect(splitDispatches).toBeGreaterThan(2);
      await expectClose(await split.to('cpu'), a.matmul(b), 2e-5);
      await expectClose(await plain.to('cpu'), a.matmul(b), 2e-5);
    } finally {
      Object.assign(SPLIT_K, saved);
    }
  });

  it.each(wg.kernelVariants().matmul.names)('%s: views at odd offsets, b transposed, broadcast batches', async (name) => {
    wg.configureKernels({ matmul: name });
    const x = wg.randn([3, 41, 24], { device: 'cpu' });
    const w = wg.randn([2, 1, 16, 41], { device: 'cpu' });
    const [xg, wgpu] = [await x.to('webgpu'), await w.to('webgpu')];
    // x[:, 1:, 4:] (offset 28: aligned) and x[:, :, 1:] (offset 1: not), against w transposed, broadcast over a batch of 2.
    for (const [a, ag] of [[x.slice(null, [1, null], [4, null]), xg.slice(null, [1, null], [4, null])], [x.slice(null, null, [1, null]), xg.slice(null, null, [1, null])]] as const) {
      const k = a.shape[1]!;
      const bRef = w.slice(null, null, null, [0, k]).transpose(2, 3);
      const bg = wgpu.slice(null, null, null, [0, k]).transpose(2, 3);
      const y = ag.transpose(1, 2).matmul(bg);
      expect(wg.kernelVariants().matmul.last).toBe(name);
      await expectClose(await y.to('cpu'), a.transpose(1, 2).matmul(bRef), 2e-5);
    }
  });
});

// webgpu only (the kernel variants are webgpu layouts): skipped only when the run declares no adapter (WEBGRAD_TEST_NO_WEBGPU=1; helpers.ts says so).
describe.skipIf(NO_WEBGPU)('reduction variants on webgpu', () => {
  it.each(['rowPerWorkgroup', 'rowPerInvocation', 'chunked', 'invocationChunks'] as const)('%s gives cpu\'s sums, maxima and argmax', async (name) => {
    wg.configureKernels({ reduce: name });
    for (const [rows, len] of [[70, 3], [5, 301], [2, 1999]] as const) {
      const x = wg.randn([rows, len], { device: 'cpu' });
      const xg = await x.to('webgpu');
      await expectSumClose(await xg.sum(1).to('cpu'), x);
      await expectClose(await xg.abs().sum(1).to('cpu'), x.abs().sum(1), 1e-5); // no cancellation: a lost term shows
      expect(wg.kernelVariants().reduce.last).toBe(name);
      await expectClose(await xg.amax(1).to('cpu'), x.amax(1), 0);
      expect(Array.from(await xg.argmax(1).data())).toEqual(Array.from(await x.argmax(1).data()));
    }
  });

  it('invocationChunks cuts a long row into chunks one invocation may walk, summed again', async () => {
    wg.configureKernels({ reduce: 'invocationChunks' });
    const x = wg.randn([1, 70001], { device: 'cpu' });
    await expectClose(await (await x.to('webgpu')).sum(1).to('cpu'), x.sum(1), 1e-5);
    expect(wg.kernelVariants().reduce.last).toBe('invocationChunks');
  });

  it('aligned contiguous rows are read as vec4s (tails, chunks, every op and int32); other rows keep the strided kernel', async () => {
    for (const name of ['rowPerInvocation', 'invocationChunks'] as const) {
      wg.configureKernels({ reduce: name });
      // [rows, row stride, start column, length]: an aligned row stride with tails of 0-3
      // elements, one long row in chunks, then rows that start off a multiple of 4.
      for (const [rows, stride, start, len, vec4] of [[9, 12, 0, 12, true], [9, 12, 0, 10, true], [7, 8, 4, 3, true], [2, 1200, 0, 1199, true], [1, 5003, 0, 5003, true], [9, 13, 0, 13, false], [9, 12, 1, 10, false]] as const) {
        const base = wg.randn([rows, stride], { device: 'cpu' });
        const x = base.slice(null, [start, start + len]);
        const xg = (await base.to('webgpu')).slice(null, [start, start + len]);
        const files = await traceDispatches(async () => {
          await expectClose(await xg.sum(1).to('cpu'), x.sum(1), 1e-5);
          await expectClose(await xg.amin(1).to('cpu'), x.amin(1), 0);
        });
        // (a forced rowPerInvocation gives rows longer than one invocation may walk to a workgroup
        // each; a forced split of a row of 4 or fewer cannot be in whole vec4s and stays scalar)
        const expected = vec4 && !(name === 'rowPerInvocation' && len > 2048) && !(name === 'invocationChunks' && len <= 4);
        expect(files.includes('reduce_vec4.wgsl:main'), `${name} [${rows}, ${stride}] from ${start}, ${len} long`).toBe(expected);
        const xi = wg.randint(-50, 50, [rows, stride], { device: 'cpu' }).slice(null, [start, start + len]);
        const xig = await xi.to('webgpu');
        expect(Array.from(await xig.sum(1).data())).toEqual(Array.from(await xi.sum(1).data()));
        expect(Array.from(await xig.amax(1).data())).toEqual(Array.from(await xi.amax(1).data()));
      }
    }
    // A NaN in a vec4 lane, and products.
    wg.configureKernels({ reduce: 'rowPerInvocation' });
    const v = wg.tensor([1, 2, NaN, 4, 5, 6, 7, 8, 1.5, 2, -1, 0.5], { shape: [3, 4], device: 'cpu' });
    const vg = await v.to('webgpu');
    const files = await traceDispatches(async () => {
      expect(Array.from(await vg.amax(1).data())).toEqual([NaN, 8, 2]);
      expect(Array.from(await vg.prod(1).data())).toEqual([NaN, 1680, -1.5]);
    });
    expect(files).toEqual(['reduce_vec4.wgsl:main', 'reduce_vec4.wgsl:main']);
  });

  it('invocationChunks reduces dims with a contiguous innermost run in two stages (a conv bias gradient) and matches cpu', async () => {
    wg.configureKernels({ reduce: 'invocationChunks' });
    const x = wg.randn([6, 5, 7, 20], { device: 'cpu' });
    const xi = wg.randint(-9, 9, [6, 5, 7, 20], { device: 'cpu' });
    const [xg, xig] = [await x.to('webgpu'), await xi.to('webgpu')];
    // [dims, a kernel still walks two reduced dims?]: runs of 140 (H * W) and 20 go in two
    // stages; over N and H the innermost reduced dim is strided; over C, H, W one run coalesces.
    for (const [dims, walksTwo] of [[[0, 2, 3], false], [[0, 3], false], [[0, 2], true], [[1, 2, 3], false]] as const) {
      const calls = await traceDispatchParams(async () => {
        await expectClose(await xg.sum([...dims]).to('cpu'), x.sum([...dims]), 1e-5);
      });
      const ranks = calls.filter((c) => c.kernel.startsWith('reduce')).map((c) => (c.params.inner_rank as number | undefined) ?? 1);
      expect(ranks.some((r) => r >= 2), `sum over ${dims}: inner ranks ${ranks}`).toBe(walksTwo);
      await expectClose(await xg.amax([...dims]).to('cpu'), x.amax([...dims]), 0);
      await expectClose(await xg.amin([...dims]).to('cpu'), x.amin([...dims]), 0);
      expect(Array.from(await xig.sum([...dims]).data())).toEqual(Array.from(await xi.sum([...dims]).data()));
    }
    // A view: the innermost run starts off a multiple of 4 (stage one keeps the strided kernel).
    const v = x.slice(null, null, null, [1, 19]);
    const vg = xg.slice(null, null, null, [1, 19]);
    await expectClose(await vg.sum([0, 2, 3]).to('cpu'), v.sum([0, 2, 3]), 1e-5);
    const p = wg.rand([3, 2, 4, 5], { device: 'cpu' }).add(0.5);
    await expectClose(await (await p.to('webgpu')).prod([0, 2, 3]).to('cpu'), p.prod([0, 2, 3]), 1e-5);
  });

  it('rowPerInvocation falls back to a workgroup per row where one invocation may not walk a row', async () => {
    wg.configureKernels({ reduce: 'rowPerInvocation' });
    const x = wg.randn([3, 5000], { device: 'webgpu' });
    await x.sum(1).data();
    expect(wg.kernelVariants().reduce.last).toBe('rowPerWorkgroup');
  });
});


// webgpu only (a layout of the webgpu im2col driver): skipped only when the run declares no adapter (WEBGRAD_TEST_NO_WEBGPU=1; helpers.ts says so).
describe.skipIf(NO_WEBGPU)('conv2d forward with implicit columns on webgpu', () => {
  afterEach(() => {
    Object.assign(IMPLICIT_COLUMNS, { enabled: true, maxImages: Infinity, transposeMacs: 1e8 });
    Object.assign(IMPLICIT_WEIGHT, { enabled: true, minChunk: 256 });
  });
  const F = wg.F;
  type Case = [string, number[], number[], wg.nn.functional.Conv2dOptions, ((t: wg.Tensor) => wg.Tensor)?];
  const cases: Case[] = [
    ['3x3, padding 1', [3, 5, 11, 9], [7, 5, 3, 3], { padding: 1 }],
    ['stride 2, dilation 2, padding [2, 1], a 3 x 2 window', [2, 3, 13, 10], [4, 3, 3, 2], { stride: 2, dilation: 2, padding: [2, 1] }],
    ['no padding, a transposed (strided) input read in place', [2, 4, 9, 12], [6, 4, 3, 3], {}, (t) => t.transpose(2, 3)],
    ['a weight at an offset (a slice of a larger one)', [2, 3, 8, 8], [9, 3, 3, 3], { padding: 1 }],
    // 18 output channels: 16 x 16 blocks on a CPU adapter, the last one clipped; 99 pixels an
    // image, so blocks and vec4s straddle images.
    ['18 channels over 3 images of 11 x 9 pixels', [3, 5, 11, 9], [18, 5, 3, 3], { padding: 1 }],
    ['a weight at an offset, 20 channels', [2, 3, 8, 8], [22, 3, 3, 3], { padding: 1 }],
  ];
  it.each(cases)('%s: cpu\'s values and the column matrix\'s, by the implicit kernel', async (_name, xs, ws, opts, xf = (t) => t) => {
    wg.configureKernels({ conv: 'im2col' });
    const x = wg.randn(xs, { device: 'cpu' });
    const wFull = wg.randn(ws, { device: 'cpu' });
    const w = _name.startsWith('a weight') ? wFull.slice([2, null]) : wFull;
    const [xg, wg4] = [await x.to('webgpu'), await wFull.to('webgpu')];
    const wgv = _name.startsWith('a weight') ? wg4.slice([2, null]) : wg4;
    const ref = F.conv2d(xf(x), w, null, opts);
    let y!: wg.Tensor;
    const calls = await traceDispatchParams(async () => {
      y = F.conv2d(xf(xg), wgv, null, opts);
      await y.data();
    });
    const mm = calls.filter((c) => c.kernel === 'matmul_blocked.wgsl:main');
    expect(mm.length).toBe(1);
    expect(mm[0]!.variant).toContain('|implicit|');
    // On a CPU adapter, 16 x 16 blocks from 16 output channels on (implicitPlan).
    if (wgv.shape[0]! >= 16 && isCpuAdapter((wg.getBackend('webgpu') as WebGPUBackend).adapter)) expect(wg.kernelVariants().matmul.last).toBe('block16x16');
    // Columns are written only to pad: a zero-bordered copy of x (a 1 x 1 window), never the KH x KW taps.
    const cols = calls.filter((c) => c.kernel.startsWith('im2col.wgsl'));
    expect(cols.map((c) => [c.params.k_h, c.params.k_w])).toEqual(opts.padding ? [[1, 1]] : []);
    await expectClose(await y.to('cpu'), ref, 2e-5);
    // The weight as a transposed copy (vec4 loads of four channels), here at any size.
    IMPLICIT_COLUMNS.transposeMacs = 0;
    let yt!: wg.Tensor;
    const tcalls = await traceDispatchParams(async () => {
      yt = F.conv2d(xf(xg), wgv, null, opts);
      await yt.data();
    });
    const tm = tcalls.filter((c) => c.kernel === 'matmul_blocked.wgsl:main');
    expect(tm[0]!.variant.includes('|implicit|a4|')).toBe(wgv.shape[0]! % 4 === 0);
    await expectClose(await yt.to('cpu'), ref, 2e-5);
    IMPLICIT_COLUMNS.enabled = false;
    const viaCols = F.conv2d(xf(xg), wgv, null, opts);
    await expectClose(await viaCols.to('cpu'), await y.to('cpu'), 2e-6);
  });

  it.each(cases)('%s, with a bias: the implicit product adds it in its store (no other kernel), the column layout with channel_bias.wgsl', async (_name, xs, ws, opts, xf = (t) => t) => {
    wg.configureKernels({ conv: 'im2col' });
    const x = wg.randn(xs, { device: 'cpu' });
    const w = wg.randn(ws, { device: 'cpu' });
    // A bias read through a stride (every other value of a longer one).
    const bFull = wg.randn([2 * ws[0]!], { device: 'cpu' });
    const bias = bFull.slice([0, null, 2]);
    const ref = F.conv2d(xf(x), w, bias, opts);
    const [xg, wgt, bg] = [await x.to('webgpu'), await w.to('webgpu'), (await bFull.to('webgpu')).slice([0, null, 2])];
    for (const implicit of [true, false]) {
      IMPLICIT_COLUMNS.enabled = implicit;
      let y!: wg.Tensor;
      const calls = await traceDispatchParams(async () => {
        y = F.conv2d(xf(xg), wgt, bg, opts);
        await y.data();
      });
      const kernels = calls.map((c) => c.kernel);
      expect(kernels.filter((k) => k.startsWith('binary')).length).toBe(0); // no broadcast add
      expect(kernels.filter((k) => k === 'channel_bias.wgsl:main').length).toBe(implicit ? 0 : 1);
      if (implicit) expect(calls.find((c) => c.kernel === 'matmul_blocked.wgsl:main')!.variant).toContain('|bias0,2|');
      await expectClose(await y.to('cpu'), ref, 2e-5);
    }
  });

  it('a run of images per dispatch where the grid would be too long: the same values', async () => {
    wg.configureKernels({ conv: 'im2col' });
    const x = wg.randn([5, 3, 7, 6], { device: 'cpu' });
    const w = wg.randn([17, 3, 3, 3], { device: 'cpu' });
    const ref = F.conv2d(x, w, null, { padding: 1 });
    const [xg, wgt] = [await x.to('webgpu'), await w.to('webgpu')];
    IMPLICIT_COLUMNS.maxImages = 2;
    let y!: wg.Tensor;
    const calls = await traceDispatchParams(async () => {
      y = F.conv2d(xg, wgt, null, { padding: 1 });
      await y.data();
    });
    const mm = calls.filter((c) => c.kernel === 'matmul_blocked.wgsl:main');
    expect(mm.map((c) => c.params.N)).toEqual([2 * 42, 2 * 42, 42]);
    await expectClose(await y.to('cpu'), ref, 2e-5);
  });

  it.each(cases)('%s: the weight gradient with implicit columns gives cpu\'s values, in one chunk and in many', async (_name, xs, ws, opts, xf = (t) => t) => {
    wg.configureKernels({ conv: 'im2col' });
    const x = wg.randn(xs, { device: 'cpu' });
    const w = wg.randn(ws, { device: 'cpu' }).slice([_name.startsWith('a weight') ? 2 : 0, null]);
    const wc = w.detach().requiresGrad_();
    const yc = F.conv2d(xf(x), wc, null, opts);
    const gy = wg.randn([...yc.shape], { device: 'cpu' });
    yc.backward(gy);
    const [xg, gg] = [await x.to('webgpu'), await gy.to('webgpu')];
    const grads: wg.Tensor[] = [];
    for (const minChunk of [1 << 20, 7]) {
      IMPLICIT_WEIGHT.minChunk = minChunk; // 7: chunks of 7 terms or more, added by a reduction
      const ww = (await w.to('webgpu')).requiresGrad_();
      const y = F.conv2d(xf(xg), ww, null, opts);
      const calls = await traceDispatchParams(async () => {
        y.backward(gg);
        await ww.grad!.data();
      });
      const mm = calls.filter((c) => c.kernel === 'matmul_blocked.wgsl:main' && c.variant.includes('|implicitW|'));
      expect(mm.length).toBe(1);
      const total = xs[0]! * yc.shape[2]! * yc.shape[3]!;
      // One chunk of all the terms, or several (at least 7 terms each) and a reduction of them.
      const chunk = mm[0]!.params.K as number;
      const reductions = calls.filter((c) => c.kernel.startsWith('reduce')).length;
      if (minChunk === 7) {
        expect(chunk).toBeGreaterThanOrEqual(7);
        expect(Math.ceil(total / chunk)).toBeGreaterThan(1);
        expect(reductions).toBeGreaterThan(0);
      } else {
        expect(Math.ceil(total / chunk)).toBe(1);
        expect(reductions).toBe(0);
      }
      // No column matrix of taps, no partial dw per image: at most the zero-bordered copy.
      expect(calls.filter((c) => c.kernel.startsWith('im2col.wgsl')).map((c) => [c.params.k_h, c.params.k_w])).toEqual(opts.padding ? [[1, 1]] : []);
      await expectClose(await ww.grad!.to('cpu'), wc.grad!, 2e-5);
      grads.push(ww.grad!);
    }
    IMPLICIT_WEIGHT.enabled = false;
    const ww = (await w.to('webgpu')).requiresGrad_();
    F.conv2d(xf(xg), ww, null, opts).backward(gg);
    await expectClose(await ww.grad!.to('cpu'), await grads[0]!.to('cpu'), 2e-6);
  });

  it('groups, and a K over one slab (2048 terms), take the column matrix', async () => {
    wg.configureKernels({ conv: 'im2col' });
    for (const [xs, ws, opts] of [[[2, 4, 7, 7], [6, 2, 3, 3], { padding: 1, groups: 2 }], [[1, 240, 5, 5], [3, 240, 3, 3], { padding: 1 }]] as const) {
      const x = wg.randn([...xs], { device: 'cpu' });
      const w = wg.randn([...ws], { device: 'cpu' });
      const [xg, wgt] = [await x.to('webgpu'), await w.to('webgpu')];
      let y!: wg.Tensor;
      const calls = await traceDispatchParams(async () => {
        y = F.conv2d(xg, wgt, null, opts);
        await y.data();
      });
      expect(calls.some((c) => c.variant.includes('implicit'))).toBe(false);
      expect(calls.some((c) => c.kernel === 'im2col.wgsl:im2col' && c.params.k_h === 3)).toBe(true);
      await expectClose(await y.to('cpu'), F.conv2d(x, w, null, opts), 2e-5);
    }
  });
});
