/**
 * webgpu's matmul reads float16 operands in place (kernels/webgpu/halfLoads.ts): as f16 where
 * the device has shader-f16 (lavapipe, in the lavapipe project), else from packed u32 words
 * (the fallback: llvmpipe through OpenGL ES has no shader-f16; on lavapipe it is forced with
 * SHADER_F16.enabled = false). Each kernel variant, on odd sizes, transposed, sliced and batched
 * operands, must give the same bits as the float32 product of the widened operands rounded
 * once, and no widening pass may run for its operands.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import { SHADER_F16 } from '../src/kernels/webgpu/halfLoads.js';
import { KERNEL_VARIANTS } from '../src/kernels/variants.js';
import { halfValue, roundHalf } from '../src/core/half.js';
import { NO_WEBGPU, traceDispatchParams, useDevices } from './helpers.js';

useDevices();
const device = 'webgpu' as const;
const LAVAPIPE = process.env.WEBGRAD_TEST_ADAPTER === 'lavapipe';

function halves(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return roundHalf((s / 2 ** 31 - 1) * 3);
  });
}

const half = (shape: number[], seed: number) => wg.tensor(halves(shape.reduce((a, b) => a * b, 1), seed), { shape, device, dtype: 'float16' });

afterEach(() => {
  wg.configureKernels({ matmul: null });
  SHADER_F16.enabled = true;
});

// Needs an adapter (skipped only when the run declares none, WEBGRAD_TEST_NO_WEBGPU=1).
describe.skipIf(NO_WEBGPU)('webgpu matmul on float16 operands, read in place', () => {
  it('reports whether the device has shader-f16 (lavapipe has it; llvmpipe through OpenGL ES has not)', () => {
    const report = wg.backendInfo().webgpu!;
    expect(report.shaderF16).toBe(report.features.includes('shader-f16'));
    if (LAVAPIPE) expect(report.shaderF16).toBe(true);
  });

  const loads = LAVAPIPE ? [true, false] : [true];
  const shapes: [string, () => [wg.Tensor, wg.Tensor]][] = [
    ['13x17 by 17x9', () => [half([13, 17], 1), half([17, 9], 2)]],
    ['a transposed 33x20 by 20x7 (odd offsets from a slice)', () => [half([20, 34], 3).narrow(1, 1, 33).transpose(0, 1), half([20, 7], 4)]],
    ['batched [3] 5x7 by a transposed 7x4', () => [half([3, 5, 7], 5), half([3, 4, 7], 6).transpose(1, 2)]],
    ['64x64 by 64x64', () => [half([64, 64], 7), half([64, 64], 8)]],
    // Subnormals (2^-24 up), the largest finite values and -0 in a: the loads must not flush them.
    ['subnormal and extreme operands, 24x31 by 31x5', () => {
      const bits = Array.from({ length: 24 * 31 }, (_, i) => (i * 89) % 0x7c00 | (i % 3 === 0 ? 0x8000 : 0));
      const a = wg.tensor(Float32Array.from(bits, halfValue), { shape: [24, 31], device, dtype: 'float16' });
      return [a, half([31, 5], 11)];
    }],
  ];
  // lavapipe builds matmul pipelines slowly (about 12 s a case): there, one variant and two shapes.
  const variants = LAVAPIPE ? (['block8x8'] as const) : KERNEL_VARIANTS.matmul;
  const cases = LAVAPIPE ? shapes.filter(([n]) => n.startsWith('13x17') || n.startsWith('subnormal')) : shapes;
  for (const f16 of loads) {
    for (const variant of variants) {
      it.each(cases)(`${variant}, ${f16 ? 'the adapter\'s choice of load' : 'packed words forced'}: %s gives the bits of the widened product`, async (_name, make) => {
        SHADER_F16.enabled = f16;
        wg.configureKernels({ matmul: variant });
        const [a, b] = make();
        let got!: wg.Tensor;
        const seen = await traceDispatchParams(async () => {
          got = a.matmul(b);
          await wg.sync();
        });
        // Only the result is rounded (one narrow); the operands were not widened.
        expect(seen.filter((d) => d.kernel === 'half.wgsl:widen')).toEqual([]);
        expect(seen.filter((d) => d.kernel === 'half.wgsl:narrow').length).toBe(1);
        const kernel = seen.find((d) => d.kernel.startsWith('matmul'))!;
        const kind = f16 && wg.backendInfo().webgpu!.shaderF16 ? 'h16' : 'hpack';
        expect(kernel.variant).toContain(kind);
        const want = a.float().matmul(b.float()).half();
        expect(got.dtype).toBe('float16');
        expect(Array.from(await got.data())).toEqual(Array.from(await want.data()));
        // And within an ulp of cpu (a different summation order).
        const ref = await (await a.to('cpu')).matmul(await b.to('cpu')).data();
        const g = await got.data();
        for (let i = 0; i < g.length; i++) if (!Object.is(g[i], ref[i])) expect(Math.abs(g[i]! - ref[i]!)).toBeLessThanOrEqual(Math.max(2 ** -24, Math.abs(ref[i]!) * 2 ** -10));
      });
    }
  }

  // Skipped in the lavapipe project only (its slow pipeline builds); the default project runs it.
  it.skipIf(LAVAPIPE)('a float16 Linear (the bias in the blocked kernel\'s store) and a float16 convolution agree with cpu', async () => {
    wg.manualSeed(3);
    const lin = new wg.nn.Linear(19, 10, { device, dtype: 'float16' });
    const x = half([6, 19], 9);
    const y = lin.forward(x);
    const conv = new wg.nn.Conv2d(3, 4, 3, { device, dtype: 'float16', padding: 1 });
    const img = half([2, 3, 9, 8], 10);
    const z = conv.forward(img);
    await lin.to('cpu');
    await conv.to('cpu');
    for (const [got, ref] of [[y, lin.forward(await x.to('cpu'))], [z, conv.forward(await img.to('cpu'))]] as const) {
      expect(got.dtype).toBe('float16');
      const [g, r] = [await got.data(), await ref.data()];
      for (let i = 0; i < g.length; i++) expect(Math.abs(g[i]! - r[i]!)).toBeLessThanOrEqual(2 * Math.max(2 ** -24, Math.abs(r[i]!) * 2 ** -10));
    }
  });
});
