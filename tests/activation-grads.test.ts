/**
 * The activations' fused backward passes (ACTIVATION_GRADS in src/kernels/ops.ts: out = g f'(v)
 * in one binary kernel): each device against the cpu on random operands (odd sizes, a
 * transposed view, a broadcast), the cpu in float64 against the derivative written with tensor
 * ops (the rules they replace), gradcheck of the passes themselves (the second derivatives),
 * and the relu backward as one kernel on webgpu where it was gt + where.
 */
import { describe, expect, it, vi } from 'vitest';
import * as wg from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { ACTIVATION_GRADS, type ActivationGradOp } from '../src/kernels/ops.js';
import { activationGrad } from '../src/tensor/ops/elementwise.js';
import type { WebGPUBackend } from '../src/kernels/webgpu/index.js';
import { WasmRuntime } from '../src/kernels/wasm/runtime.js';
import { DEVICES, NO_WEBGPU, relErr, reseed, rng, useDevices } from './helpers.js';

useDevices();

const OPS = Object.keys(ACTIVATION_GRADS) as ActivationGradOp[];

/** The derivative as the rules wrote it before the fused passes (tensor ops, any dtype). */
const COMPOSITE: Record<ActivationGradOp, (g: Tensor, v: Tensor) => Tensor> = {
  reluGrad: (g, y) => wg.where(y.gt(0), g, 0),
  sigmoidGrad: (g, y) => g.mul(y.mul(y.neg().add(1))),
  tanhGrad: (g, y) => g.mul(y.square().neg().add(1)),
  siluGrad: (g, x) => {
    const s = x.sigmoid();
    return g.mul(s.mul(x.mul(s.neg().add(1)).add(1)));
  },
  geluGrad: (g, x) => {
    const cdf = x.mul(Math.SQRT1_2).erf().add(1).mul(0.5);
    const pdf = x.square().mul(-0.5).exp().mul(1 / Math.sqrt(2 * Math.PI));
    return g.mul(cdf.add(x.mul(pdf)));
  },
};

/** v's values as the op sees them: outputs of sigmoid / tanh lie in (0, 1) / (-1, 1). */
function vValues(op: ActivationGradOp, n: number): number[] {
  return Array.from({ length: n }, () => {
    const u = rng() * 2 - 1;
    if (op === 'sigmoidGrad') return (u + 1) / 2;
    if (op === 'tanhGrad') return u * 0.999;
    if (op === 'reluGrad') return u < -0.3 ? 0 : u * 3; // relu outputs: zeros and positives (and a few negatives)
    return u * 6;
  });
}
const gValues = (n: number) => Array.from({ length: n }, () => rng() * 4 - 2);

describe.each(DEVICES.filter((d) => d !== 'cpu'))('activation backward passes on %s against the cpu', (device) => {
  const close = async (op: ActivationGradOp, mk: (d: DeviceName) => [Tensor, Tensor]) => {
    const got = await activationGrad(op, ...mk(device)).data();
    const want = await activationGrad(op, ...mk('cpu')).data();
    expect(got.length).toBe(want.length);
    expect(relErr(got, want)).toBeLessThan(op === 'geluGrad' || op === 'siluGrad' ? 1e-5 : 1e-6);
  };
  it.each(OPS)('%s: odd sizes, same shapes', async (op) => {
    reseed(3);
    const [g, v] = [gValues(37 * 13), vValues(op, 37 * 13)];
    await close(op, (d) => [wg.tensor(g, { shape: [37, 13], device: d }), wg.tensor(v, { shape: [37, 13], device: d })]);
  });
  it.each(OPS)('%s: a transposed gradient and a broadcast row', async (op) => {
    reseed(4);
    const [g, v] = [gValues(11 * 7), vValues(op, 7)];
    await close(op, (d) => [wg.tensor(g, { shape: [7, 11], device: d }).transpose(0, 1), wg.tensor(v, { shape: [7], device: d })]);
  });
  it.each(OPS)('%s: a run that is not a multiple of 4, from an odd offset', async (op) => {
    reseed(5);
    const [g, v] = [gValues(1003), vValues(op, 1003)];
    await close(op, (d) => [wg.tensor(g, { device: d }).slice([1, 1002]), wg.tensor(v, { device: d }).slice([2, 1003])]);
  });
});

describe('activation backward passes (cpu, float64)', () => {
  it.each(OPS)('%s equals the derivative written with tensor ops', async (op) => {
    reseed(6);
    const g = wg.tensor(gValues(301), { dtype: 'float64' });
    const v = wg.tensor(vValues(op, 301), { dtype: 'float64' });
    expect(relErr(await activationGrad(op, g, v).data(), await COMPOSITE[op](g, v).data())).toBeLessThan(1e-12);
  });
  it.each(OPS)('%s: gradcheck in both operands (the second derivative)', async (op) => {
    reseed(7);
    // relu: y away from its kink at 0, where finite differences are meaningless.
    const vs = vValues(op, 17).map((x) => (op === 'reluGrad' && Math.abs(x) < 0.05 ? 0.5 : x));
    const g = wg.tensor(gValues(17), { dtype: 'float64', requiresGrad: true });
    const v = wg.tensor(vs, { dtype: 'float64', requiresGrad: true });
    expect(await wg.gradcheck((a, b) => activationGrad(op, a, b), [g, v])).toBe(true);
  });
  it('int32 operands compute in float32', async () => {
    const out = activationGrad('reluGrad', wg.tensor([1, 2, 3], { dtype: 'int32' }), wg.tensor([-1, 0, 1], { dtype: 'int32' }));
    expect(out.dtype).toBe('float32');
    expect(Array.from(await out.data())).toEqual([0, 0, 3]);
  });
  it('the fused pass is what the activations differentiate with: second derivatives of sigmoid, tanh, silu and gelu by gradgradcheck', async () => {
    reseed(8);
    const x = wg.tensor(gValues(13), { dtype: 'float64', requiresGrad: true });
    for (const f of [(t: Tensor) => t.sigmoid(), (t: Tensor) => t.tanh(), (t: Tensor) => wg.F.silu(t), (t: Tensor) => wg.F.gelu(t)]) {
      expect(await wg.gradgradcheck(f, [x], { atol: 1e-4 })).toBe(true);
    }
  });
});

// webgpu only (counts webgpu dispatches): skipped only when the run declares no adapter (WEBGRAD_TEST_NO_WEBGPU=1; helpers.ts says so).
describe.skipIf(NO_WEBGPU)('activation backward passes are one kernel on webgpu', () => {
  const backend = () => wg.getBackend('webgpu') as WebGPUBackend;
  it.each([
    ['relu', (t: Tensor) => t.relu()],
    ['sigmoid', (t: Tensor) => t.sigmoid()],
    ['tanh', (t: Tensor) => t.tanh()],
    ['silu', (t: Tensor) => wg.F.silu(t)],
    ['gelu', (t: Tensor) => wg.F.gelu(t)],
  ] as const)('%s: y.backward(g) runs the forward and one backward kernel', async (_name, f) => {
    const x = wg.randn([33, 9], { device: 'webgpu' }).requiresGrad_();
    const g = wg.randn([33, 9], { device: 'webgpu' });
    await wg.sync();
    const y = f(x);
    const before = backend().dispatchCount;
    y.backward(g);
    expect(backend().dispatchCount - before).toBe(1); // x is a leaf: its grad is the pass's output
    expect(x.grad!.shape).toEqual([33, 9]);
  });
});

describe('activation backward passes run the C kernel on wasm', () => {
  it.each(OPS)('%s: ew_binary_f32 with its op code, no cpu fallback', async (op) => {
    const rt = (wg.getBackend('wasm') as unknown as { rt: { run(fn: string, args: number[], parallel?: boolean): void } }).rt;
    const ran: [string, number][] = [];
    const spy = vi.spyOn(rt, 'run').mockImplementation(function (this: unknown, fn, args, parallel) {
      ran.push([fn, args[0]!]);
      return WasmRuntime.prototype.run.call(this as WasmRuntime, fn, args, parallel);
    });
    try {
      reseed(9);
      const g = wg.tensor(gValues(45), { shape: [5, 9], device: 'wasm' });
      const v = wg.tensor(vValues(op, 45), { shape: [5, 9], device: 'wasm' });
      ran.length = 0;
      const out = activationGrad(op, g, v);
      expect(ran).toEqual([['ew_binary_f32', 12 + OPS.indexOf(op)]]);
      const want = activationGrad(op, await g.to('cpu'), await v.to('cpu'));
      expect(relErr(await out.data(), await want.data())).toBeLessThan(1e-5);
    } finally {
      spy.mockRestore();
    }
  });
});
