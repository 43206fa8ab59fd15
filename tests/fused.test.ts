/**
 * Products with a fused activation: F.fusedLinear and F.fusedConv2d (relu, sigmoid, tanh after
 * the bias, in the product's store where the kernel can), and nn.Sequential, which runs a
 * Linear or Conv2d followed by ReLU, Sigmoid or Tanh that way. On every device: the bits of
 * the two ops one after the other, forward and backward, on the layouts that fuse and those
 * that add the bias and the activation in one pass after (webgpu: K past one slab, stride 2);
 * on webgpu, that no separate activation kernel ran where the store fuses it. The gradients
 * are gradchecked in tests/gradients.test.ts.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { DEVICES, NO_WEBGPU, pair, reseed, traceDispatches, useDevices } from './helpers.js';

useDevices();
const F = wg.F;
const ACTS = ['relu', 'sigmoid', 'tanh'] as const;
const bits = async (t: Tensor) => Array.from(await t.data());

describe.each(DEVICES)('fused activations on %s', (device) => {
  const linearShapes: [string, number[], number[]][] = [
    ['[5, 7] x 9', [5, 7], [9, 7]],
    ['batched [2, 3, 33] x 17', [2, 3, 33], [17, 33]],
    ['K 2100, past one K slab', [6, 2100], [5, 2100]],
  ];
  it.each(ACTS)('fusedLinear %s: the bits of linear then the activation, forward and backward', async (act) => {
    for (const [, xs, ws] of linearShapes) {
      reseed(xs.length * 13 + ws[0]!);
      const [, x] = pair(xs, device);
      const [, w] = pair(ws, device);
      const [, b] = pair([ws[0]!], device);
      const run = async (fused: boolean) => {
        const [xr, wr, br] = [x, w, b].map((t) => t.detach().requiresGrad_());
        const y = fused ? F.fusedLinear(xr!, wr!, br!, act) : F.linear(xr!, wr!, br!)[act]();
        y.mul(y).sum().backward();
        return [await bits(y), await bits(xr!.grad!), await bits(wr!.grad!), await bits(br!.grad!)];
      };
      expect(await run(true)).toEqual(await run(false));
    }
  });

  const convCases: [string, number[], number[], wg.nn.functional.Conv2dOptions][] = [
    ['3x3 padding 1', [2, 3, 9, 8], [5, 3, 3, 3], { padding: 1 }],
    ['stride 2, groups 2', [2, 4, 11, 10], [6, 2, 3, 3], { stride: 2, groups: 2 }],
    ['3-D input (no batch)', [3, 7, 6], [4, 3, 2, 3], {}],
  ];
  it.each(ACTS)('fusedConv2d %s: the bits of conv2d then the activation, forward and backward', async (act) => {
    for (const [, xs, ws, opts] of convCases) {
      reseed(xs[1]! * 7 + ws[0]!);
      const [, x] = pair(xs, device);
      const [, w] = pair(ws, device);
      const [, b] = pair([ws[0]!], device);
      const run = async (fused: boolean) => {
        const [xr, wr, br] = [x, w, b].map((t) => t.detach().requiresGrad_());
        const y = fused ? F.fusedConv2d(xr!, wr!, br!, act, opts) : F.conv2d(xr!, wr!, br!, opts)[act]();
        y.mul(y).sum().backward();
        return [await bits(y), await bits(xr!.grad!), await bits(wr!.grad!), await bits(br!.grad!)];
      };
      expect(await run(true)).toEqual(await run(false));
    }
  });

  it('nn.Sequential fuses Linear/Conv2d (with a bias) and the activation after it, with the same bits as module by module; fuseActivations = false runs them apart', async () => {
    reseed(5);
    wg.manualSeed(3);
    const { nn } = wg;
    const model = new nn.Sequential(
      new nn.Conv2d(2, 4, 3, { padding: 1 }), new nn.ReLU(), new nn.Flatten(),
      new nn.Linear(4 * 6 * 6, 8), new nn.Tanh(), new nn.Linear(8, 5, false), new nn.ReLU(), new nn.Linear(5, 3), new nn.Sigmoid(),
    );
    await model.to(device);
    const [, x] = pair([2, 2, 6, 6], device);
    const run = async (fuse: boolean) => {
      model.fuseActivations = fuse;
      model.zeroGrad();
      const y = model.forward(x);
      const g = await wg.graph(y);
      y.sum().backward();
      const grads = await Promise.all(model.parameters().map((p) => bits(p.grad!)));
      return { ops: g.nodes.filter((n) => n.kind === 'op').map((n) => n.op), y: await bits(y), grads };
    };
    const fused = await run(true);
    const apart = await run(false);
    expect(fused.y).toEqual(apart.y);
    expect(fused.grads).toEqual(apart.grads);
    // The bias-free Linear(8, 5) and its ReLU stay apart; the others fuse.
    expect(fused.ops).toEqual(expect.arrayContaining(['conv2d+relu', 'linear+tanh', 'linear+sigmoid', 'relu']));
    expect(fused.ops).not.toContain('tanh');
    expect(fused.ops).not.toContain('sigmoid');
    expect(apart.ops).toEqual(expect.arrayContaining(['conv2d', 'relu', 'linear', 'tanh', 'sigmoid']));
    expect(apart.ops.filter((o) => o?.includes('+'))).toEqual([]);
  });
});

describe('fused activations: refused calls', () => {
  it('name the op, the value and what was expected', () => {
    const x = wg.randn([2, 3]);
    const w = wg.randn([4, 3]);
    const b = wg.randn([4]);
    expect(() => F.fusedLinear(x, w, b, 'gelu' as never)).toThrow(/fusedLinear: activation must be one of 'relu', 'sigmoid', 'tanh'.*gelu/);
    expect(() => F.fusedLinear(x, w, null as never, 'relu')).toThrow('fusedLinear: the bias must be a Tensor (the activation follows it), got null');
    expect(() => F.fusedLinear(x, w, wg.randn([3]), 'relu')).toThrow(/fusedLinear: bias must have shape \[4\]/);
    expect(() => (F.fusedLinear as (...a: unknown[]) => Tensor)(x, w, b, 'relu', 1)).toThrow(/fusedLinear/);
    const xi = wg.randn([1, 2, 5, 5]);
    const wi = wg.randn([3, 2, 3, 3]);
    expect(() => F.fusedConv2d(xi, wi, wg.randn([3]), 'softmax' as never)).toThrow(/fusedConv2d: activation must be one of 'relu', 'sigmoid', 'tanh'.*softmax/);
    expect(() => F.fusedConv2d(xi, wi, wg.randn([2]), 'relu')).toThrow(/fusedConv2d/);
    expect(() => new wg.nn.Linear(3, 4, false).forwardFused(x, 'relu')).toThrow('Linear.forwardFused: the layer has no bias (bias=false)');
    const seq = new wg.nn.Sequential(new wg.nn.Linear(3, 4), new wg.nn.ReLU());
    expect(() => ((seq as unknown as { fuseActivations: unknown }).fuseActivations = 'no')).toThrow("Sequential.fuseActivations: expected true or false, got 'no'");
    expect(seq.fuseActivations).toBe(true);
  });
});

// Needs the webgpu backend (which webgpu kernels run).
// Skipped only when the run declares it has no WebGPU adapter (WEBGRAD_TEST_NO_WEBGPU=1, which helpers.ts warns about); a missing adapter otherwise fails the suite.
describe.skipIf(NO_WEBGPU)('fused activations on webgpu: the store applies them', () => {
  it('a linear layer (the register-blocked product) and a convolution (the implicit product) run no activation kernel of their own', async () => {
    reseed(8);
    const [, x] = pair([16, 40], 'webgpu');
    const [, w] = pair([24, 40], 'webgpu');
    const [, b] = pair([24], 'webgpu');
    const [, xc] = pair([2, 3, 10, 10], 'webgpu');
    const [, wc] = pair([4, 3, 3, 3], 'webgpu');
    const [, bc] = pair([4], 'webgpu');
    for (const act of ACTS) {
      const lin = await traceDispatches(async () => {
        F.fusedLinear(x, w, b, act).dispose();
        await wg.sync();
      });
      expect(lin.some((k) => k.startsWith('matmul_blocked')), lin.join(', ')).toBe(true);
      expect(lin.filter((k) => /unary|channel_bias/.test(k)), lin.join(', ')).toEqual([]);
      const conv = await traceDispatches(async () => {
        F.fusedConv2d(xc, wc, bc, act, { padding: 1 }).dispose();
        await wg.sync();
      });
      expect(conv.filter((k) => /unary|channel_bias/.test(k)), conv.join(', ')).toEqual([]);
    }
  });
});
