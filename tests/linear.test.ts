/**
 * F.linear(x, weight, bias) = x @ weight^T + bias, nn.Linear's forward: the bias added by the
 * product's kernel (webgpu's register-blocked store; one pass in place where the product runs
 * in K slabs, split K or the tiled kernel; in place on cpu and wasm). Each device gives the bits
 * of x.matmul(weight.T).add(bias); gradients against cpu and by gradcheck; the kernels that run;
 * the refused calls.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as wg from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { WasmRuntime } from '../src/kernels/wasm/runtime.js';
import { DEVICES, NO_WEBGPU, relErr, traceDispatchParams, useDevices } from './helpers.js';

useDevices();
const F = wg.F;

const bits = async (t: Tensor) => Array.from(await t.data());

describe.each(DEVICES)('F.linear on %s', (device) => {
  const make = (xs: number[], out: number, seed: number) => {
    wg.manualSeed(seed);
    const inF = xs[xs.length - 1]!;
    const x = wg.randn(xs, { device });
    const w = wg.randn([out, inF], { device });
    const bFull = wg.randn([2 * out], { device });
    return { x, w, b: bFull.slice([1, null, 2]) }; // a strided bias
  };
  it.each([[[7], 6], [[5, 7], 6], [[2, 3, 9], 5], [[4, 2100], 3], [[33, 64], 20]] as const)('x %j, %d features: the bits of x.matmul(w.T).add(b)', async (xs, out) => {
    const { x, w, b } = make([...xs], out, 1);
    const y = F.linear(x, w, b);
    expect(y.shape).toEqual([...xs.slice(0, -1), out]);
    expect(await bits(y)).toEqual(await bits(x.matmul(w.T).add(b)));
    expect(await bits(F.linear(x, w))).toEqual(await bits(x.matmul(w.T)));
  });
  it('a transposed (strided) input', async () => {
    const { w, b } = make([3, 8], 6, 2);
    const x = wg.randn([8, 3], { device }).T;
    expect(await bits(F.linear(x, w, b))).toEqual(await bits(x.matmul(w.T).add(b)));
  });

});

describe.each(DEVICES.filter((d) => d !== 'cpu'))('F.linear on %s: gradients', (device) => {
  it('gradients of x, weight and bias against cpu', async () => {
    for (const xs of [[7], [5, 7], [2, 3, 7]]) {
      const run = async (dev: DeviceName) => {
        wg.manualSeed(3);
        const [x, w, b] = [wg.randn(xs), wg.randn([4, 7]), wg.randn([4])];
        const ps = await Promise.all([x, w, b].map(async (t) => (await t.to(dev)).requiresGrad_()));
        const y = F.linear(ps[0]!, ps[1]!, ps[2]!);
        y.mul(y).sum().backward();
        return Promise.all([y, ...ps.map((p) => p.grad!)].map(bits));
      };
      const [got, want] = [await run(device), await run('cpu')];
      got.forEach((g, i) => expect(relErr(g, want[i]!), `${JSON.stringify(xs)} ${i}`).toBeLessThan(1e-5));
    }
  });
});

describe('F.linear: gradcheck (float64, cpu)', () => {
  it.each([[[7]], [[3, 7]], [[2, 3, 7]]] as const)('x %j: first and second derivatives in x, weight and bias', async (xs) => {
    wg.manualSeed(4);
    const x = wg.randn([...xs], { dtype: 'float64', requiresGrad: true });
    const w = wg.randn([4, 7], { dtype: 'float64', requiresGrad: true });
    const b = wg.randn([4], { dtype: 'float64', requiresGrad: true });
    const f = (a: Tensor, c: Tensor, d: Tensor) => F.linear(a, c, d).square();
    expect(await wg.gradcheck(f, [x, w, b])).toBe(true);
    expect(await wg.gradgradcheck(f, [x, w, b], { atol: 1e-4 })).toBe(true);
  });
  it('nn.Linear runs it: one linear node in the graph', () => {
    const layer = new wg.nn.Linear(5, 3);
    const y = layer.forward(wg.randn([2, 5]));
    expect(y.gradFn?.name).toBe('linear');
    const plain = new wg.nn.Linear(5, 3, false).forward(wg.randn([2, 5]));
    expect(plain.gradFn?.name).toBe('matmul');
  });
});

// webgpu only (which webgpu kernels run).
// Skipped only when the run declares it has no WebGPU adapter (WEBGRAD_TEST_NO_WEBGPU=1, which helpers.ts warns about); a missing adapter otherwise fails the suite.
describe.skipIf(NO_WEBGPU)('F.linear on webgpu: the kernels', () => {
  afterEach(() => wg.configureKernels({ matmul: null }));
  const run = async (xs: number[], out: number) => {
    const x = wg.randn(xs, { device: 'webgpu' });
    const w = wg.randn([out, xs[xs.length - 1]!], { device: 'webgpu' });
    const b = wg.randn([out], { device: 'webgpu' });
    await wg.sync();
    const calls = await traceDispatchParams(async () => {
      await F.linear(x, w, b).data();
    });
    return calls.map((c) => `${c.kernel} ${c.variant}`);
  };
  it('the register-blocked product adds the bias in its store: one kernel', async () => {
    wg.configureKernels({ matmul: 'block8x16' });
    const k = await run([33, 64], 20);
    expect(k).toHaveLength(1);
    expect(k[0]).toMatch(/^matmul_blocked\.wgsl:main .*\|bias0,1/);
  });
  it('a product in K slabs, or on the tiled kernel, then one pass in place (channel_bias.wgsl:last)', async () => {
    wg.configureKernels({ matmul: 'block8x16' });
    const slabs = await run([4, 2100], 3);
    expect(slabs.filter((c) => c.startsWith('channel_bias.wgsl:last'))).toHaveLength(1);
    expect(slabs.some((c) => c.includes('|bias'))).toBe(false);
    wg.configureKernels({ matmul: 'tile32x32' });
    const tiled = await run([33, 64], 20);
    expect(tiled.filter((c) => c.startsWith('channel_bias.wgsl:last'))).toHaveLength(1);
    expect(tiled.some((c) => c.startsWith('binary'))).toBe(false);
  });
  it.each(['tile32x32', 'block8x8', 'block16x16'] as const)('%s: the bits of matmul + add', async (name) => {
    wg.configureKernels({ matmul: name });
    wg.manualSeed(5);
    const x = wg.randn([37, 70], { device: 'webgpu' });
    const w = wg.randn([19, 70], { device: 'webgpu' });
    const b = wg.randn([19], { device: 'webgpu' });
    expect(await bits(F.linear(x, w, b))).toEqual(await bits(x.matmul(w.T).add(b)));
  });
});

describe('F.linear on wasm: the product, then the bias in place', () => {
  it('gemm_f32 then one ew_binary_f32', async () => {
    const rt = (wg.getBackend('wasm') as unknown as { rt: { run(fn: string, args: number[], parallel?: boolean): void } }).rt;
    const ran: string[] = [];
    const spy = vi.spyOn(rt, 'run').mockImplementation(function (this: unknown, fn, args, parallel) {
      ran.push(fn);
      return WasmRuntime.prototype.run.call(this as WasmRuntime, fn, args, parallel);
    });
    try {
      const [x, w, b] = [wg.randn([9, 12], { device: 'wasm' }), wg.randn([10, 12], { device: 'wasm' }), wg.randn([10], { device: 'wasm' })];
      ran.length = 0;
      F.linear(x, w, b);
      expect(ran).toEqual(['gemm_f32', 'ew_binary_f32']);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('F.linear: refused calls', () => {
  const x = () => wg.randn([2, 3]);
  it('names the shape, dtype or argument that is wrong', () => {
    expect(() => F.linear(x(), wg.randn([4, 3, 1]))).toThrow(/^linear: weight must be 2-D \[outFeatures, inFeatures\], got \[4, 3, 1\]/);
    expect(() => F.linear(x(), wg.randn([4, 5]))).toThrow(/^linear: input \[2, 3\] must end in inFeatures = 5 \(the weight is \[4, 5\]\)/);
    expect(() => F.linear(x(), wg.randn([4, 3]), wg.randn([3]))).toThrow(/^linear: bias must have shape \[4\] \(one value per output feature\), got \[3\]/);
    expect(() => F.linear(x(), wg.randn([4, 3], { dtype: 'float64' }))).toThrow(/^linear: input, weight and bias must have the same dtype, got float32, float64/);
    expect(() => F.linear(wg.ones([2, 3], { dtype: 'int32' }), wg.ones([4, 3], { dtype: 'int32' }))).toThrow(/^linear: input, weight and bias must be floating point, got int32/);
    expect(() => F.linear(x(), [[1, 2, 3]] as never)).toThrow(/^linear: weight must be a Tensor, got object/);
    expect(() => (F.linear as (...a: unknown[]) => Tensor)(x(), wg.randn([4, 3]), null, 1)).toThrow(/linear.*\(x, weight, bias\?\)/);
  });
});
