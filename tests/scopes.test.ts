/**
 * Long-lived state survives tidy scopes: a training step inside `tidy` gives the same numbers
 * as without it, for every optimizer (its moments are created inside the scope on the first
 * step), and modules built inside a scope keep their parameters and buffers. A buffer bound
 * writable twice in one dispatch is refused with an error naming the kernel.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { DEVICES, useDevices } from './helpers.js';
import { checkNoAliasing } from '../src/kernels/webgpu/index.js';

useDevices();
const { nn, optim } = wg;
const F = nn.functional;

const makers: [string, (p: Tensor[]) => wg.optim.Optimizer<{ lr: number }>][] = [
  ['SGD', (p) => new optim.SGD(p, { lr: 0.05 })],
  ['SGD momentum nesterov', (p) => new optim.SGD(p, { lr: 0.05, momentum: 0.9, nesterov: true })],
  ['Adam', (p) => new optim.Adam(p, { lr: 1e-2 })],
  ['Adam amsgrad', (p) => new optim.Adam(p, { lr: 1e-2, amsgrad: true })],
  ['AdamW', (p) => new optim.AdamW(p, { lr: 1e-2 })],
  ['RMSprop centered momentum', (p) => new optim.RMSprop(p, { lr: 1e-2, centered: true, momentum: 0.5 })],
  ['Adagrad', (p) => new optim.Adagrad(p, { lr: 5e-2, initialAccumulatorValue: 0.1 })],
  ['Adadelta', (p) => new optim.Adadelta(p, { lr: 1 })],
];

async function train(device: wg.DeviceName, make: (p: Tensor[]) => wg.optim.Optimizer<{ lr: number }>, inTidy: boolean, loss: 'ce' | 'mse') {
  wg.manualSeed(3);
  const model = new nn.Sequential(new nn.Linear(20, 16), new nn.ReLU(), new nn.Linear(16, 4));
  await model.to(device);
  const opt = make(model.parameters());
  const x = wg.randn([8, 20], { device });
  const y = loss === 'ce' ? wg.tensor(new Int32Array([0, 1, 2, 3, 0, 1, 2, 3]), { device }) : wg.randn([8, 4], { device });
  const step = () => {
    opt.zeroGrad();
    const out = model.forward(x);
    const l = loss === 'ce' ? F.crossEntropy(out, y) : F.mseLoss(out, y);
    l.backward();
    opt.step();
    return l;
  };
  const losses: number[] = [];
  for (let i = 0; i < 4; i++) {
    const l = inTidy ? wg.tidy(step) : step();
    losses.push(await l.item());
    l.dispose();
  }
  const params = await Promise.all(model.parameters().map(async (p) => Array.from(await p.data())));
  return { losses, params };
}

describe.each(DEVICES)('training steps inside tidy on %s', (device) => {
  for (const [name, make] of makers) {
    for (const loss of ['ce', 'mse'] as const) {
      it(`${name} with ${loss === 'ce' ? 'crossEntropy' : 'mseLoss'} gives the same losses and parameters as without tidy`, async () => {
        const plain = await train(device, make, false, loss);
        const scoped = await train(device, make, true, loss);
        expect(scoped.losses).toEqual(plain.losses);
        expect(scoped.params).toEqual(plain.params);
        expect(scoped.losses.at(-1)!).toBeLessThan(scoped.losses[0]!);
      });
    }
  }

  it('a module built inside tidy keeps its parameters and buffers', async () => {
    const m = wg.tidy(() => new nn.Sequential(new nn.Linear(3, 2), new nn.BatchNorm1d(2)));
    await m.to(device);
    for (const t of [...m.parameters(), ...m.buffers()]) expect(t.isDisposed).toBe(false);
    const out = m.forward(wg.randn([4, 3], { device }));
    expect(out.shape).toEqual([4, 2]);
    expect(Number.isFinite(await out.sum().item())).toBe(true);
  });

  it('batch-norm running statistics updated inside tidy are the same as without it', async () => {
    const run = async (inTidy: boolean) => {
      wg.manualSeed(5);
      const bn = new nn.BatchNorm1d(3);
      await bn.to(device);
      const x = wg.randn([6, 3], { device });
      for (let i = 0; i < 3; i++) {
        const f = () => bn.forward(x.mul(i + 1));
        if (inTidy) wg.tidy(f);
        else f().dispose();
      }
      return Promise.all(bn.buffers().map(async (b) => Array.from(await b.data())));
    };
    const plain = await run(false);
    const scoped = await run(true);
    expect(scoped).toEqual(plain);
    expect(plain[0]!.some((v) => v !== 0)).toBe(true);
  });

  it('optimizer state loaded inside tidy survives the scope', async () => {
    const p = wg.randn([5], { device, requiresGrad: true });
    const a = new optim.Adam([p], { lr: 0.1 });
    p.grad = wg.ones([5], { device });
    a.step();
    const b = new optim.Adam([p], { lr: 0.1 });
    wg.tidy(() => b.loadStateDict(a.stateDict()));
    p.grad = wg.ones([5], { device });
    b.step();
    expect(Array.from(await p.data()).every(Number.isFinite)).toBe(true);
  });

  it('an optimizer whose state was disposed by hand says so', () => {
    const p = wg.randn([5], { device, requiresGrad: true });
    const a = new optim.Adam([p], { lr: 0.1 });
    p.grad = wg.ones([5], { device });
    a.step();
    (a as unknown as { state: Map<Tensor, { tensors: Record<string, Tensor> }> }).state.get(p)!.tensors.expAvg!.dispose();
    p.grad = wg.ones([5], { device });
    expect(() => a.step()).toThrow("Adam.step: the optimizer state 'expAvg' of a parameter of shape [5] was disposed");
  });
});

describe('the aliasing guard', () => {
  it('refuses one buffer bound writable and bound again, naming the kernel and both bindings', () => {
    const b = {} as GPUBuffer;
    const bindings = [{ name: 'x', kind: 'read' }, { name: 'out', kind: 'read_write' }, { name: 'u', kind: 'uniform' }];
    expect(() => checkNoAliasing('unary/exp', bindings, { x: b, out: b })).toThrow(
      "webgpu: kernel unary/exp was given one buffer for 'out' (written) and 'x'",
    );
    expect(() => checkNoAliasing('unary/exp', bindings, { x: b, out: {} as GPUBuffer })).not.toThrow();
  });
});
