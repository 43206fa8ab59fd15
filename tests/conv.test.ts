/**
 * Convolutions (F.conv1d, F.conv2d, F.convTranspose2d):
 *   - hand-worked examples, checked against numbers worked out here, on every device;
 *   - webgpu against the cpu reference on random inputs over a grid of geometries (odd sizes,
 *     kernel 1/3/5, stride 1/2/3, padding 0/1/'same', dilation 1/2, groups 1/2/depthwise,
 *     batch 1/3), forward and the gradients of input, weight and bias;
 *   - gradcheck (float64, cpu) of input, weight and bias of each op, and second derivatives;
 *   - the kernels' own paths: strided views, long reductions split, tile variants;
 *   - the error messages.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import type { WebGPUBackend } from '../src/kernels/webgpu/index.js';
import { convTuning } from '../src/kernels/conv/webgpu.js';
import { DEVICES, NO_WEBGPU, expectClose, relErr, reseed, rng, useDevices } from './helpers.js';

useDevices();
const F = wg.F;

/** A float32 tensor of `shape` with values uniform in [-1, 1) from the test PRNG. */
function randomValues(shape: number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, () => rng() * 2 - 1);
}

const arange16 = (device: DeviceName) => wg.arange(0, 16, 1, { device, dtype: 'float32' }).reshape(1, 1, 4, 4);
/** A float32 tensor (integer literals would make int32). */
const f32 = (data: unknown, device: DeviceName) => wg.tensor(data as number[], { device, dtype: 'float32' });

describe.each(DEVICES)('hand-worked examples on %s', (device) => {
  it('conv2d of arange(16) [1,1,4,4] with a 3x3 kernel of ones sums each 3x3 window', async () => {
    // x = [[0,1,2,3],[4,5,6,7],[8,9,10,11],[12,13,14,15]]; the four windows:
    // 0+1+2+4+5+6+8+9+10 = 45, 1+2+3+5+6+7+9+10+11 = 54, 81, 90.
    const y = F.conv2d(arange16(device), wg.ones([1, 1, 3, 3], { device }));
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expect(await y.toArray()).toEqual([[[[45, 54], [81, 90]]]]);
  });

  it('padding 1 sums the windows that hang over the zero border', async () => {
    // Corner (0,0): 0+1+4+5 = 10; edge (0,1): 0+1+2+4+5+6 = 18; and so on.
    const y = F.conv2d(arange16(device), wg.ones([1, 1, 3, 3], { device }), null, { padding: 1 });
    expect(await y.toArray()).toEqual([[[
      [10, 18, 24, 18],
      [27, 45, 54, 39],
      [51, 81, 90, 63],
      [42, 66, 72, 50],
    ]]]);
  });

  it('stride 2 with padding 1 keeps every other window of the padded result', async () => {
    const y = F.conv2d(arange16(device), wg.ones([1, 1, 3, 3], { device }), null, { stride: 2, padding: 1 });
    expect(await y.toArray()).toEqual([[[[10, 24], [51, 90]]]]);
  });

  it('a non-trivial 3x3 kernel and a bias', async () => {
    // w = [[1,2,0],[0,-1,0],[0,0,3]]: y(i,j) = x(i,j) + 2 x(i,j+1) - x(i+1,j+1) + 3 x(i+2,j+2);
    // with x(r,c) = 4r + c that is 20 i + 5 j + 27, plus the bias 0.5.
    const w = f32([[[[1, 2, 0], [0, -1, 0], [0, 0, 3]]]], device);
    const y = F.conv2d(arange16(device), w, f32([0.5], device));
    expect(await y.toArray()).toEqual([[[[27.5, 32.5], [47.5, 52.5]]]]);
  });

  it('dilation 2 spreads the taps: a 2x2 kernel reads corners of 3x3 windows', async () => {
    // w = [[1,10],[100,1000]] at taps (0,0),(0,2),(2,0),(2,2): y(0,0) = 0 + 20 + 800 + 10000.
    const w = f32([[[[1, 10], [100, 1000]]]], device);
    const y = F.conv2d(arange16(device), w, null, { dilation: 2 });
    const at = (i: number, j: number) => (4 * i + j) + 10 * (4 * i + j + 2) + 100 * (4 * (i + 2) + j) + 1000 * (4 * (i + 2) + j + 2);
    expect(await y.toArray()).toEqual([[[[at(0, 0), at(0, 1)], [at(1, 0), at(1, 1)]]]]);
    expect(at(0, 0)).toBe(10820);
  });

  it('the gradients of sum(conv2d(x, ones)) count windows (dx) and sum windows (dw)', async () => {
    const x = arange16(device).requiresGrad_();
    const w = wg.ones([1, 1, 3, 3], { device, requiresGrad: true });
    const b = wg.zeros([1], { device, requiresGrad: true });
    F.conv2d(x, w, b).sum().backward();
    // Each element of x lies in (1, 2, 2, 1) windows along each axis.
    expect(await x.grad!.toArray()).toEqual([[[[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]]]]);
    // dw(a,b) = sum over i,j in {0,1} of x(i+a, j+b) = 4 (4a + b) + 10.
    expect(await w.grad!.toArray()).toEqual([[[[10, 14, 18], [26, 30, 34], [42, 46, 50]]]]);
    expect(await b.grad!.toArray()).toEqual([4]); // four outputs
  });

  it("padding 'same' with an even kernel puts the extra zero at the end (as PyTorch)", async () => {
    const x = f32([[[1, 2, 3, 4, 5]]], device);
    // K = 2: total padding 1, none before: y(i) = x(i) + x(i+1).
    expect(await F.conv1d(x, wg.ones([1, 1, 2], { device }), null, { padding: 'same' }).toArray()).toEqual([[[3, 5, 7, 9, 5]]]);
    // K = 2, dilation 2: total 2, one on each side: y(i) = x(i-1) + x(i+1).
    expect(await F.conv1d(x, wg.ones([1, 1, 2], { device }), null, { padding: 'same', dilation: 2 }).toArray()).toEqual([[[2, 4, 6, 8, 4]]]);
  });

  it('conv1d: a difference kernel, with and without padding', async () => {
    const x = f32([[[1, 2, 3, 4, 5]]], device);
    const w = f32([[[1, 0, -1]]], device);
    expect(await F.conv1d(x, w).toArray()).toEqual([[[-2, -2, -2]]]);
    expect(await F.conv1d(x, w, null, { padding: 1 }).toArray()).toEqual([[[-2, -2, -2, -2, 4]]]);
    expect(await F.conv1d(x, w, null, { stride: 2, padding: 1 }).toArray()).toEqual([[[-2, -2, 4]]]);
  });

  it('convTranspose2d spreads each input value over the kernel', async () => {
    const x = f32([[[[1, 2], [3, 4]]]], device);
    const w = wg.ones([1, 1, 2, 2], { device });
    // Stride 2: each value fills its own 2x2 block.
    expect(await F.convTranspose2d(x, w, null, { stride: 2 }).toArray()).toEqual([[[[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]]]);
    // Stride 1: blocks overlap and add: the centre gets 1 + 2 + 3 + 4.
    expect(await F.convTranspose2d(x, w).toArray()).toEqual([[[[1, 3, 2], [4, 10, 6], [3, 7, 4]]]]);
    // Padding 1 crops one row/column per side; outputPadding 1 adds one at the bottom/right.
    expect(await F.convTranspose2d(x, w, null, { stride: 2, padding: 1, outputPadding: 1 }).toArray()).toEqual([[[[1, 2, 2], [3, 4, 4], [3, 4, 4]]]]);
  });

  it('unbatched inputs give unbatched outputs', async () => {
    const x = arange16(device).reshape(1, 4, 4);
    const y = F.conv2d(x, wg.ones([2, 1, 3, 3], { device }), f32([0, 1], device));
    expect(y.shape).toEqual([2, 2, 2]);
    expect(await y.toArray()).toEqual([[[45, 54], [81, 90]], [[46, 55], [82, 91]]]);
    expect(F.conv1d(wg.ones([3, 6], { device }), wg.ones([4, 3, 2], { device })).shape).toEqual([4, 5]);
    expect(F.convTranspose2d(wg.ones([3, 2, 2], { device }), wg.ones([3, 5, 2, 2], { device })).shape).toEqual([5, 3, 3]);
  });
});

// ---- webgpu against the cpu reference ------------------------------------------------------------

type ConvFn = (x: Tensor, w: Tensor, b: Tensor | null) => Tensor;

interface Outputs {
  y: number[];
  dx: number[];
  dw: number[];
  db: number[] | null;
}

/**
 * Runs `fn` on `device` with the given values, then backward of sum(y * r) for a random r of
 * y's shape (the same r on every device): the output and the three gradients.
 */
async function forwardBackward(device: DeviceName, fn: ConvFn, shapes: { x: number[]; w: number[]; b: number[] | null }, values: { x: Float32Array; w: Float32Array; b: Float32Array | null }, seed: number): Promise<Outputs> {
  const x = wg.tensor(values.x, { shape: shapes.x, device, requiresGrad: true });
  const w = wg.tensor(values.w, { shape: shapes.w, device, requiresGrad: true });
  const b = values.b && shapes.b ? wg.tensor(values.b, { shape: shapes.b, device, requiresGrad: true }) : null;
  const y = fn(x, w, b);
  reseed(seed);
  const r = wg.tensor(randomValues([...y.shape]), { shape: y.shape, device });
  y.mul(r).sum().backward();
  const [yv, dx, dw, db] = await Promise.all([y.data(), x.grad!.data(), w.grad!.data(), b ? b.grad!.data() : null]);
  return { y: Array.from(yv), dx: Array.from(dx), dw: Array.from(dw), db: db && Array.from(db) };
}

/** Compares fn on webgpu with fn on cpu: forward and the gradients of input, weight and bias. */
async function compareWithCpu(device: DeviceName, label: string, fn: ConvFn, shapes: { x: number[]; w: number[]; b: number[] | null }, tol = 1e-5): Promise<void> {
  const values = { x: randomValues(shapes.x), w: randomValues(shapes.w), b: shapes.b && randomValues(shapes.b) };
  const seed = Math.floor(rng() * 1e9);
  const [got, ref] = [await forwardBackward(device, fn, shapes, values, seed), await forwardBackward('cpu', fn, shapes, values, seed)];
  for (const k of ['y', 'dx', 'dw', 'db'] as const) {
    if (ref[k] === null) continue;
    expect(got[k]!.length, `${label}: ${k} size`).toBe(ref[k]!.length);
    const err = relErr(got[k]!, ref[k]!);
    expect(err, `${label}: ${k} relative error ${err}\n  ${device}: ${got[k]!.slice(0, 6)}\n  cpu:    ${ref[k]!.slice(0, 6)}`).toBeLessThanOrEqual(tol);
  }
}

const KERNELS = [1, 3, 5];
const STRIDES = [1, 2, 3];
const GROUPINGS = ['1', '2', 'depthwise'] as const;

/** Channels for a grouping: Cin = 4; depthwise is groups = Cin with two filters per channel. */
function channels(grouping: (typeof GROUPINGS)[number]): { cin: number; cout: number; groups: number } {
  return grouping === 'depthwise' ? { cin: 4, cout: 8, groups: 4 } : { cin: 4, cout: 6, groups: Number(grouping) };
}

/** Whether a conv of `size` with this kernel, padding and dilation has an output. */
const fits = (size: number, k: number, padding: number | 'same', dilation: number) => padding === 'same' || size + 2 * padding >= dilation * (k - 1) + 1;

// Each device against the cpu reference (webgpu only where the run has an adapter; DEVICES says).
describe.each(DEVICES.filter((d) => d !== 'cpu'))('conv2d: %s matches cpu on random inputs', (device) => {
  const cases = KERNELS.flatMap((k) => STRIDES.flatMap((s) => ([0, 1, 'same'] as const).map((pad) => [k, s, pad] as const))).filter(([, s, pad]) => !(pad === 'same' && s > 1));
  it.each(cases)('kernel %i, stride %i, padding %s (dilation 1/2, groups 1/2/depthwise, batch 1/3)', async (k, stride, padding) => {
    reseed(k * 100 + stride * 10 + (padding === 'same' ? 7 : padding));
    for (const dilation of [1, 2]) {
      if (!fits(7, k, padding, dilation)) continue;
      for (const grouping of GROUPINGS) {
        for (const n of [1, 3]) {
          const { cin, cout, groups } = channels(grouping);
          const opts = { stride, padding, dilation, groups };
          await compareWithCpu(device, `${JSON.stringify(opts)} batch ${n}`, (x, w, b) => F.conv2d(x, w, b, opts), { x: [n, cin, 7, 9], w: [cout, cin / groups, k, k], b: [cout] });
        }
      }
    }
  });

  it('rectangular kernels with per-axis stride, padding and dilation', async () => {
    reseed(11);
    const opts = { stride: [2, 1] as [number, number], padding: [0, 2] as [number, number], dilation: [1, 3] as [number, number], groups: 3 };
    await compareWithCpu(device, 'rectangular', (x, w, b) => F.conv2d(x, w, b, opts), { x: [2, 6, 8, 5], w: [9, 2, 3, 2], b: [9] });
    await compareWithCpu(device, 'same, even kernel', (x, w, b) => F.conv2d(x, w, b, { padding: 'same', dilation: [1, 2] }), { x: [2, 3, 6, 7], w: [5, 3, 4, 2], b: null });
  });

  it('wide products take the 64-column tiles: many output channels, input channels, and taps', async () => {
    reseed(12);
    // forward N = Cout = 40, backward_input N = Cin = 40, backward_weight N = Cin * 9 = 360.
    await compareWithCpu(device, 'wide', (x, w, b) => F.conv2d(x, w, b, { padding: 1 }), { x: [2, 40, 9, 7], w: [40, 40, 3, 3], b: [40] }, 2e-5);
  });
});

// Each device against the cpu reference (webgpu only where the run has an adapter; DEVICES says).
describe.each(DEVICES.filter((d) => d !== 'cpu'))('conv1d: %s matches cpu on random inputs', (device) => {
  it.each(KERNELS)('kernel %i (stride 1/2/3, padding 0/1/same, dilation 1/2, groups 1/2/depthwise, batch 1/3)', async (k) => {
    reseed(k + 1000);
    for (const stride of STRIDES) {
      for (const padding of [0, 1, 'same'] as const) {
        if (padding === 'same' && stride > 1) continue;
        for (const dilation of [1, 2]) {
          if (!fits(11, k, padding, dilation)) continue;
          for (const grouping of GROUPINGS) {
            const { cin, cout, groups } = channels(grouping);
            const n = 1 + 2 * ((stride + dilation) % 2); // batch 1 and 3 across the grid
            const opts = { stride, padding, dilation, groups };
            await compareWithCpu(device, `${JSON.stringify(opts)} batch ${n}`, (x, w, b) => F.conv1d(x, w, b, opts), { x: [n, cin, 11], w: [cout, cin / groups, k], b: [cout] });
          }
        }
      }
    }
  });
});

// Each device against the cpu reference (webgpu only where the run has an adapter; DEVICES says).
describe.each(DEVICES.filter((d) => d !== 'cpu'))('convTranspose2d: %s matches cpu on random inputs', (device) => {
  it.each(KERNELS)('kernel %i (stride 1/2/3, padding 0/1, outputPadding 0/1, dilation 1/2, groups 1/2/depthwise, batch 1/3)', async (k) => {
    reseed(k + 2000);
    for (const stride of STRIDES) {
      for (const padding of [0, 1]) {
        for (const dilation of [1, 2]) {
          for (const outputPadding of [0, 1]) {
            if (outputPadding >= stride && outputPadding >= dilation) continue;
            if ((4 - 1) * stride - 2 * padding + dilation * (k - 1) + outputPadding + 1 <= 0) continue;
            for (const grouping of GROUPINGS) {
              const { cin, cout, groups } = channels(grouping);
              const n = 1 + 2 * ((stride + padding + outputPadding) % 2);
              const opts = { stride, padding, dilation, outputPadding, groups };
              // The transposed weight is [Cin, Cout / groups, KH, KW].
              await compareWithCpu(device, `${JSON.stringify(opts)} batch ${n}`, (x, w, b) => F.convTranspose2d(x, w, b, opts), { x: [n, cin, 4, 5], w: [cin, cout / groups, k, k], b: [cout] });
            }
          }
        }
      }
    }
  });
});

// Exercises the webgpu kernels' layouts and splits themselves: skipped only when the run says it
// has no adapter (WEBGRAD_TEST_NO_WEBGPU=1).
describe.skipIf(NO_WEBGPU)('conv kernels on webgpu: strides, long reductions, empty batches', () => {
  const backend = () => wg.getBackend('webgpu') as WebGPUBackend;

  it('strided views are read in place: conv2d of a transposed input and a permuted weight is one kernel', async () => {
    reseed(21);
    const xv = randomValues([2, 3, 9, 7]);
    const wv = randomValues([3, 3, 4, 2]);
    const run = (device: DeviceName) => {
      const x = wg.tensor(xv, { shape: [2, 3, 9, 7], device }).transpose(2, 3); // [2, 3, 7, 9], strided
      const w = wg.tensor(wv, { shape: [3, 3, 4, 2], device }).permute(1, 0, 3, 2); // [3, 3, 2, 4]
      const before = device === 'webgpu' ? backend().dispatchCount : 0;
      const y = F.conv2d(x, w, null, { padding: 1, stride: [1, 2] });
      if (device === 'webgpu') expect(backend().dispatchCount - before).toBe(1);
      return y;
    };
    await expectClose(run('webgpu'), await run('cpu').to('webgpu'), 1e-5);
  });

  it('conv1d runs as conv2d on views: one kernel, no copies (implicit GEMM); im2col adds only its columns', () => {
    const x = wg.ones([2, 3, 10], { device: 'webgpu' });
    const w = wg.ones([4, 3, 3], { device: 'webgpu' });
    try {
      wg.configureKernels({ conv: 'tiled' });
      let before = backend().dispatchCount;
      const y = F.conv1d(x, w, null, { padding: 'same' });
      expect(y.shape).toEqual([2, 4, 10]);
      expect(backend().dispatchCount - before).toBe(1);
      wg.configureKernels({ conv: 'im2col' });
      before = backend().dispatchCount;
      F.conv1d(x, w, null, { padding: 'same' });
      expect(wg.kernelVariants().conv.last).toBe('im2col');
      expect(backend().dispatchCount - before).toBe(2); // im2col.wgsl, then one matmul
    } finally {
      wg.configureKernels({ conv: null });
    }
  });

  it('the im2col layout in batches of images (a small scratch), and where it cannot run', async () => {
    reseed(28);
    const saved = { ...convTuning };
    try {
      wg.configureKernels({ conv: 'im2col' });
      // One image's columns (plus the weight gradient's partials, 3 x 6 x 18 of them) fit, three
      // do not: batches of 1 and 2 images.
      for (const images of [1, 2]) {
        Object.assign(convTuning, { im2colBytes: 4 * (images * 2 * 2 * 9 * 12 + 3 * 6 * 18) }); // OH x OW = 4 x 3
        await compareWithCpu('webgpu', `im2col, ${images} image(s) a batch`, (x, w, b) => F.conv2d(x, w, b, { stride: 2, padding: 1, dilation: 2, groups: 2 }), { x: [3, 4, 9, 7], w: [6, 2, 3, 3], b: [6] }, 2e-5);
        expect(wg.kernelVariants().conv.last).toBe('im2col');
      }
      // Not even one image fits: the plan's own layout runs, and says so.
      Object.assign(convTuning, { im2colBytes: 16 });
      await compareWithCpu('webgpu', 'im2col over budget', (x, w, b) => F.conv2d(x, w, b, { padding: 1 }), { x: [2, 3, 6, 5], w: [4, 3, 3, 3], b: [4] }, 2e-5);
      expect(wg.kernelVariants().conv.last).not.toBe('im2col');
      Object.assign(convTuning, saved);
      // A weight whose (cin, kh, kw) do not merge into one matrix dimension (a permuted view).
      const xv = wg.randn([2, 3, 6, 5], { device: 'webgpu' });
      const wRaw = wg.randn([4, 3, 3, 3], { device: 'webgpu' });
      const wv = wRaw.permute(0, 2, 1, 3);
      const y = F.conv2d(xv, wv);
      expect(wg.kernelVariants().conv.last).not.toBe('im2col');
      await expectClose(await y.to('cpu'), F.conv2d(await xv.to('cpu'), await wv.to('cpu')), 2e-5);
    } finally {
      Object.assign(convTuning, saved);
      wg.configureKernels({ conv: null });
    }
  });

  // 600000 terms: walked by one tiled workgroup, the K loop alone would run 75000 times (8
  // terms per iteration), past llvmpipe's 65535-iteration cap, and silently return a partial
  // sum (about 87% of it; seen with the split turned off). The split is shared by all three
  // kernels and layouts; the next tests reach it in each of them with a smaller kSlab.
  // Time: 4.4 s alone (--maxWorkers=1) on the 2-core machine, 9.2 s at load average ~12 (one
  // workgroup walks all of K: a single thread); it reached 60 s in a busy full run, so 120 s.
  it('a reduction longer than the loop cap comes out whole (forward, tiled, K = 600000)', async () => {
    reseed(22);
    const L = 600_000;
    const x = randomValues([L]).map(Math.abs); // positive: no cancellation, a lost term shows
    const w = randomValues([L]).map(Math.abs);
    const y = (device: DeviceName) => F.conv1d(wg.tensor(x, { shape: [1, L, 1], device }), wg.tensor(w, { shape: [1, L, 1], device }));
    wg.configureKernels({ conv: 'tiled' }); // a 1x1 output would otherwise take K-parallel workgroups
    try {
      await expectClose(y('webgpu'), await y('cpu').to('webgpu'), 1e-5);
    } finally {
      wg.configureKernels({ conv: null });
    }
  }, 120_000);

  it('long reductions are split over workgroups, in every kernel, and the partial sums added', async () => {
    reseed(23);
    const saved = { ...convTuning };
    Object.assign(convTuning, { kSlab: 64 });
    try {
      // forward K = 8 * 9 = 72, backward_input K = 8 * 9, backward_weight K = 3 * 100: all > 64.
      await compareWithCpu('webgpu', 'kSlab 64', (x, w, b) => F.conv2d(x, w, b, { padding: 'same' }), { x: [3, 8, 10, 10], w: [8, 8, 3, 3], b: [8] }, 2e-5);
    } finally {
      Object.assign(convTuning, saved);
    }
    // Unchanged limits: dw is 4 x 2 x 3 x 3 (one tile), so its N*OH*OW = 1800 terms are
    // spread over workgroups for parallelism alone.
    await compareWithCpu('webgpu', 'small dw', (x, w, b) => F.conv2d(x, w, b, { groups: 2, padding: 1 }), { x: [2, 4, 30, 30], w: [4, 2, 3, 3], b: [4] }, 2e-5);
  });

  it.each(['tiled', 'kParallel', 'direct', 'im2col'] as const)('the %s layout computes every product (forced for all three kernels)', async (driver) => {
    reseed(27);
    const saved = { ...convTuning };
    try {
      for (const kSlab of [saved.kSlab, 16]) {
        // Also with K cut into pieces of 16 (K-parallel workgroups: 1024), summed as partials.
        Object.assign(convTuning, { kSlab });
        wg.configureKernels({ conv: driver });
        const label = `${driver}, kSlab ${kSlab}`;
        await compareWithCpu('webgpu', `${label}: grouped, strided, dilated`, (x, w, b) => F.conv2d(x, w, b, { stride: 2, padding: 1, dilation: 2, groups: 2 }), { x: [3, 4, 9, 7], w: [6, 2, 3, 3], b: [6] }, 2e-5);
        await compareWithCpu('webgpu', `${label}: depthwise, same`, (x, w, b) => F.conv2d(x, w, b, { padding: 'same', groups: 4 }), { x: [2, 4, 7, 9], w: [8, 1, 3, 3], b: [8] }, 2e-5);
        await compareWithCpu('webgpu', `${label}: transposed`, (x, w, b) => F.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }), { x: [2, 4, 4, 5], w: [4, 3, 3, 3], b: [3] }, 2e-5);
        await compareWithCpu('webgpu', `${label}: wide`, (x, w, b) => F.conv1d(x, w, b, { padding: 2 }), { x: [2, 36, 20], w: [40, 36, 5], b: [40] }, 2e-5);
      }
    } finally {
      Object.assign(convTuning, saved);
      wg.configureKernels({ conv: null });
    }
  });

  it('K slabs run one after another, in every layout, when partial sums would not fit', async () => {
    reseed(24);
    const saved = { ...convTuning };
    try {
      for (const force of ['tiled', 'kParallel', 'direct'] as const) {
        // Slabs of 16 (K-parallel: 1024): forward K = 5 * 9, backward_input K = 6 * 9,
        // backward_weight K = 3 * 400 each take several, accumulated into the output.
        Object.assign(convTuning, { kSlab: 16, partialBytes: 0 });
        wg.configureKernels({ conv: force });
        await compareWithCpu('webgpu', `slabs, ${force}`, (x, w, b) => F.conv2d(x, w, b, { padding: 'same' }), { x: [3, 5, 20, 20], w: [6, 5, 3, 3], b: [6] }, 2e-5);
      }
    } finally {
      Object.assign(convTuning, saved);
      wg.configureKernels({ conv: null });
    }
  });
});

describe.each(DEVICES)('edge cases on %s', (device) => {
  it('an empty batch gives an empty output and a zero weight gradient', async () => {
    const x = wg.zeros([0, 3, 5, 5], { device, requiresGrad: true });
    const w = wg.ones([2, 3, 3, 3], { device, requiresGrad: true });
    const b = wg.ones([2], { device, requiresGrad: true });
    const y = F.conv2d(x, w, b);
    expect(y.shape).toEqual([0, 2, 3, 3]);
    y.sum().backward();
    expect(x.grad!.shape).toEqual([0, 3, 5, 5]);
    expect(Array.from(await w.grad!.data())).toEqual(new Array(54).fill(0));
    expect(Array.from(await b.grad!.data())).toEqual([0, 0]);
  });

  it('a 1x1 convolution is a matmul over channels', async () => {
    reseed(25);
    const x = wg.tensor(randomValues([2, 5, 3, 4]), { shape: [2, 5, 3, 4], device });
    const w = wg.tensor(randomValues([7, 5]), { shape: [7, 5], device });
    const y = F.conv2d(x, w.reshape(7, 5, 1, 1));
    const ref = w.matmul(x.permute(1, 0, 2, 3).reshape(5, 24)).reshape(7, 2, 3, 4).permute(1, 0, 2, 3);
    await expectClose(y, ref.contiguous(), 1e-6);
  });

  it("padding 'same' with an even kernel equals symmetric padding cropped by one at the start", async () => {
    reseed(26);
    const x = wg.tensor(randomValues([1, 2, 6, 5]), { shape: [1, 2, 6, 5], device });
    const w = wg.tensor(randomValues([3, 2, 4, 4]), { shape: [3, 2, 4, 4], device });
    // Total padding 3: 1 before, 2 after. With 2 on both sides the output has one more row
    // and column at the start.
    const same = F.conv2d(x, w, null, { padding: 'same' });
    expect(same.shape).toEqual([1, 3, 6, 5]);
    await expectClose(same, F.conv2d(x, w, null, { padding: 2 }).slice(null, null, [1, 7], [1, 6]).contiguous(), 1e-6);
  });
});

// ---- gradients against finite differences ------------------------------------------------------

describe('gradcheck (float64, cpu): input, weight and bias', () => {
  const f64 = (shape: number[]) => wg.tensor(Float64Array.from(randomValues(shape)), { shape, dtype: 'float64', requiresGrad: true });

  it('conv2d: groups 2, stride [2, 1], padding [1, 0], dilation [1, 2]', async () => {
    reseed(31);
    const opts = { stride: [2, 1] as [number, number], padding: [1, 0] as [number, number], dilation: [1, 2] as [number, number], groups: 2 };
    expect(await wg.gradcheck((x, w, b) => F.conv2d(x, w, b, opts), [f64([2, 4, 5, 6]), f64([6, 2, 3, 2]), f64([6])])).toBe(true);
  });

  it("conv2d: padding 'same' with an even kernel, unbatched", async () => {
    reseed(32);
    expect(await wg.gradcheck((x, w, b) => F.conv2d(x, w, b, { padding: 'same' }), [f64([2, 4, 5]), f64([3, 2, 2, 3]), f64([3])])).toBe(true);
  });

  it('conv1d: stride 2, padding 1, depthwise', async () => {
    reseed(33);
    expect(await wg.gradcheck((x, w, b) => F.conv1d(x, w, b, { stride: 2, padding: 1, groups: 3 }), [f64([2, 3, 8]), f64([6, 1, 3]), f64([6])])).toBe(true);
  });

  it("conv1d: padding 'same', dilation 2", async () => {
    reseed(34);
    expect(await wg.gradcheck((x, w, b) => F.conv1d(x, w, b, { padding: 'same', dilation: 2 }), [f64([1, 2, 7]), f64([3, 2, 4]), f64([3])])).toBe(true);
  });

  it('convTranspose2d: groups 2, stride 2, padding 1, outputPadding 1, dilation [1, 2]', async () => {
    reseed(35);
    const opts = { stride: 2, padding: 1, outputPadding: 1, dilation: [1, 2] as [number, number], groups: 2 };
    expect(await wg.gradcheck((x, w, b) => F.convTranspose2d(x, w, b, opts), [f64([2, 4, 3, 2]), f64([4, 3, 3, 2]), f64([6])])).toBe(true);
  });

  it('convTranspose2d: outputPadding >= stride is allowed below the dilation', async () => {
    reseed(36);
    const opts = { stride: 1, outputPadding: 1, dilation: 2 };
    expect(await wg.gradcheck((x, w, b) => F.convTranspose2d(x, w, b, opts), [f64([1, 2, 3, 3]), f64([2, 2, 2, 2]), f64([2])])).toBe(true);
  });

  it('second derivatives: gradgradcheck of conv2d and convTranspose2d', async () => {
    reseed(37);
    expect(await wg.gradgradcheck((x, w, b) => F.conv2d(x, w, b, { stride: 2, padding: 1, groups: 2 }), [f64([1, 2, 4, 5]), f64([4, 1, 3, 2]), f64([4])], { atol: 1e-4, rtol: 1e-3 })).toBe(true);
    expect(await wg.gradgradcheck((x, w) => F.convTranspose2d(x, w, null, { stride: 2, outputPadding: 1 }), [f64([1, 2, 2, 3]), f64([2, 1, 2, 2])], { atol: 1e-4, rtol: 1e-3 })).toBe(true);
  });
});

// ---- errors ------------------------------------------------------------------------------------

describe.each(DEVICES)('bad input is a clear error on %s', (device) => {
  const t = (shape: number[]) => wg.zeros(shape, { device });
  const x = () => t([1, 4, 6, 6]);
  const w = () => t([6, 4, 3, 3]);

  it('names wrong ranks of input and weight', () => {
    expect(() => F.conv2d(t([4, 6]), w())).toThrow(/^conv2d: expected a 3-D \(unbatched\) or 4-D \(batched\) input, got shape \[4, 6\]/);
    expect(() => F.conv2d(x(), t([6, 4, 3]))).toThrow(/^conv2d: expected a 4-D weight \[out_channels, in_channels \/ groups, kernel_h, kernel_w\], got shape \[6, 4, 3\]/);
    expect(() => F.conv1d(t([1, 4, 6]), t([6, 4, 3, 3]))).toThrow(/^conv1d: expected a 3-D weight .* got shape \[6, 4, 3, 3\]/);
    expect(() => F.convTranspose2d(x(), t([4, 2, 3]))).toThrow(/^convTranspose2d: expected a 4-D weight \[in_channels, out_channels \/ groups, /);
  });

  it('names channel counts that do not match the weight and groups', () => {
    expect(() => F.conv2d(t([1, 5, 6, 6]), w())).toThrow(
      /^conv2d: with groups = 1, the weight \[6, 4, 3, 3\] expects an input with 4 channels \(weight dim 1 times groups\), but the input \[1, 5, 6, 6\] has 5/,
    );
    expect(() => F.conv2d(x(), w(), null, { groups: 3 })).toThrow(/^conv2d: the input's 4 channels are not divisible by groups = 3/);
    expect(() => F.conv2d(x(), t([5, 2, 3, 3]), null, { groups: 2 })).toThrow(/^conv2d: out_channels = 5 .* is not divisible by groups = 2/);
    expect(() => F.convTranspose2d(x(), t([3, 2, 3, 3]))).toThrow(/^convTranspose2d: the weight \[3, 2, 3, 3\] expects 3 input channels \(its first dim\), but the input \[1, 4, 6, 6\] has 4/);
    expect(() => F.conv2d(x(), w(), null, { groups: 0 })).toThrow(/^conv2d: groups must be an integer >= 1, got 0/);
    expect(() => F.conv2d(x(), w(), null, { groups: 1.5 })).toThrow(/groups must be an integer >= 1, got 1.5/);
  });

  it('names a kernel larger than the padded input, with the sizes', () => {
    expect(() => F.conv2d(t([1, 1, 4, 4]), t([1, 1, 5, 5]))).toThrow(
      /^conv2d: the kernel \(size \[5, 5\], \[5, 5\] with dilation \[1, 1\]\) is larger than the padded input \(\[4, 4\]: input \[4, 4\] plus padding\)/,
    );
    expect(() => F.conv2d(t([1, 1, 4, 6]), t([1, 1, 3, 3]), null, { dilation: 2, padding: [0, 1] })).toThrow(
      /kernel \(size \[3, 3\], \[5, 5\] with dilation \[2, 2\]\) is larger than the padded input \(\[4, 8\]/,
    );
    expect(() => F.conv1d(t([1, 1, 3]), t([1, 1, 4]))).toThrow(/^conv1d: the kernel \(size \[4\], \[4\] .*\) is larger than the padded input \(\[3\]/);
    expect(() => F.convTranspose2d(t([1, 1, 1, 1]), t([1, 1, 1, 1]), null, { padding: 1 })).toThrow(/^convTranspose2d: the output would have spatial size \[-1, -1\]/);
  });

  it('names bad stride, dilation and padding', () => {
    expect(() => F.conv2d(x(), w(), null, { stride: 0 })).toThrow(/^conv2d: stride must be positive \(at least 1\), got \[0, 0\]/);
    expect(() => F.conv2d(x(), w(), null, { stride: [1, -2] })).toThrow(/^conv2d: stride must be positive/);
    expect(() => F.conv2d(x(), w(), null, { dilation: [0, 1] })).toThrow(/^conv2d: dilation must be positive \(at least 1\), got \[0, 1\]/);
    expect(() => F.conv2d(x(), w(), null, { padding: -1 })).toThrow(/^conv2d: padding must be non-negative \(at least 0\), got \[-1, -1\]/);
    expect(() => F.conv2d(x(), w(), null, { stride: [1, 2, 3] as never })).toThrow(/^conv2d: stride must be an integer or a list of 2 integers, got \[1,2,3\]/);
    expect(() => F.conv2d(x(), w(), null, { padding: 1.5 })).toThrow(/padding must be an integer or a list of 2 integers, got 1.5/);
    expect(() => F.conv2d(x(), w(), null, { padding: 'full' as never })).toThrow(/^conv2d: padding must be 'valid', 'same', an integer or a list of 2 integers, got 'full'/);
    expect(() => F.conv2d(x(), w(), null, { padding: 'same', stride: 2 })).toThrow(/^conv2d: padding 'same' needs stride 1, got stride \[2, 2\]/);
    expect(() => F.conv1d(t([1, 4, 6]), t([6, 4, 3]), null, { padding: 'same', stride: [2] })).toThrow(/^conv1d: padding 'same' needs stride 1, got stride \[2\]/);
    expect(() => F.convTranspose2d(x(), t([4, 2, 3, 3]), null, { padding: -1 })).toThrow(/^convTranspose2d: padding must be non-negative/);
  });

  it('names an outputPadding not smaller than both stride and dilation', () => {
    expect(() => F.convTranspose2d(x(), t([4, 2, 3, 3]), null, { stride: 2, outputPadding: 2 })).toThrow(
      /^convTranspose2d: outputPadding must be smaller than either stride or dilation, got outputPadding \[2, 2\], stride \[2, 2\], dilation \[1, 1\]/,
    );
    expect(() => F.convTranspose2d(x(), t([4, 2, 3, 3]), null, { outputPadding: [0, 1] })).toThrow(/outputPadding must be smaller than either stride or dilation/);
    // Below the dilation it is fine, as in PyTorch.
    expect(F.convTranspose2d(x(), t([4, 2, 3, 3]), null, { dilation: 2, outputPadding: 1 }).shape).toEqual([1, 2, 11, 11]);
  });

  it('names a bias of the wrong shape', () => {
    expect(() => F.conv2d(x(), w(), t([4]))).toThrow(/^conv2d: bias must have shape \[6\] \(one value per output channel\), got \[4\]/);
    expect(() => F.conv2d(x(), w(), t([1, 6]))).toThrow(/bias must have shape \[6\] .* got \[1, 6\]/);
    expect(() => F.convTranspose2d(x(), t([4, 3, 3, 3]), t([4]), { groups: 2 })).toThrow(/^convTranspose2d: bias must have shape \[6\]/);
  });

  it('rejects int and bool tensors, and mixed dtypes', () => {
    const xi = wg.zeros([1, 4, 6, 6], { device, dtype: 'int32' });
    expect(() => F.conv2d(xi, w())).toThrow(/^conv2d: expected floating-point tensors, got input of dtype int32/);
    expect(() => F.conv2d(x(), wg.zeros([6, 4, 3, 3], { device, dtype: 'int32' }))).toThrow(/got weight of dtype int32/);
    expect(() => F.conv1d(t([1, 4, 6]), t([6, 4, 3]), wg.zeros([6], { device, dtype: 'bool' }))).toThrow(/^conv1d: expected floating-point tensors, got bias of dtype bool/);
    if (device === 'cpu') {
      expect(() => F.conv2d(x(), w().double())).toThrow(/^conv2d: input, weight and bias must have the same dtype, got float32, float64/);
    }
  });

  it('rejects empty channel or spatial dims', () => {
    expect(() => F.conv2d(t([1, 4, 0, 6]), w())).toThrow(/^conv2d: the input's channel and spatial dims must be non-empty, got shape \[1, 4, 0, 6\]/);
    expect(() => F.conv2d(x(), t([0, 4, 3, 3]))).toThrow(/^conv2d: the weight has an empty dimension \(shape \[0, 4, 3, 3\]\)/);
  });

  it('a failed call leaves nothing behind', () => {
    const [a, b, bias, unbatched] = [x(), w(), t([2]), t([4, 6, 6])];
    const before = wg.memory().devices[device]!;
    expect(() => F.conv2d(a, b, null, { groups: 3 })).toThrow();
    expect(() => F.conv2d(unbatched, b, bias)).toThrow(/bias must have shape/);
    expect(() => F.conv1d(a, b)).toThrow(/expected a 2-D \(unbatched\) or 3-D \(batched\) input/);
    const after = wg.memory().devices[device]!;
    expect(after.bytes).toBe(before.bytes);
  });
});

// Mixing cpu and webgpu tensors needs both devices: skipped only when the run says it has no
// adapter (WEBGRAD_TEST_NO_WEBGPU=1).
describe.skipIf(NO_WEBGPU)('bad input across devices', () => {
  it('names tensors on different devices', () => {
    expect(() => F.conv2d(wg.zeros([1, 1, 3, 3]), wg.zeros([1, 1, 3, 3], { device: 'webgpu' }))).toThrow(/^conv2d: all tensors must be on one device/);
  });
});

describe('the bias inside conv2d (the kernel adds it; no broadcast add)', () => {
  it.each(DEVICES)('%s: conv2d(x, w, b) has the bits of conv2d(x, w) + b, for a strided bias too', async (device) => {
    reseed(31);
    const x = wg.randn([3, 4, 9, 11], { device });
    const w = wg.randn([6, 4, 3, 3], { device });
    const bFull = wg.randn([12], { device });
    const b = bFull.slice([1, null, 2]);
    const wg2 = wg.randn([6, 2, 3, 3], { device });
    for (const opts of [{ padding: 1 }, { stride: 2 }, { groups: 2, padding: [1, 0] as [number, number] }]) {
      const wt = opts.groups ? wg2 : w;
      const fused = await F.conv2d(x, wt, b, opts).data();
      const apart = await F.conv2d(x, wt, null, opts).add(b.reshape([6, 1, 1])).data();
      expect(Array.from(fused)).toEqual(Array.from(apart));
    }
  });
  it.each(DEVICES.filter((d) => d !== 'cpu'))('%s: the bias gradient of conv2d and conv1d against cpu', async (device) => {
    reseed(32);
    const run = async (dev: DeviceName, oneD: boolean) => {
      const x = wg.randn(oneD ? [2, 3, 17] : [2, 3, 7, 5], { device: 'cpu' });
      const w = wg.randn(oneD ? [5, 3, 3] : [5, 3, 3, 3], { device: 'cpu' });
      const b = wg.randn([5], { device: 'cpu' });
      const [xd, wd, bd] = [await x.to(dev), await w.to(dev), (await b.to(dev)).requiresGrad_()];
      const y = oneD ? F.conv1d(xd, wd, bd, { padding: 1 }) : F.conv2d(xd, wd, bd, { padding: 1 });
      y.mul(y).sum().backward();
      return [await y.data(), await bd.grad!.data()];
    };
    for (const oneD of [false, true]) {
      wg.manualSeed(33);
      const got = await run(device, oneD);
      wg.manualSeed(33);
      const want = await run('cpu', oneD);
      expect(relErr(got[0]!, want[0]!)).toBeLessThan(1e-5);
      expect(relErr(got[1]!, want[1]!)).toBeLessThan(1e-5);
    }
  });
});
