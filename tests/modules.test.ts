/**
 * nn modules: registration, stateDict/loadStateDict (strict and not), train/eval, to(device),
 * each layer's forward against the functional ops, default initialisation ranges, toString,
 * and wrong input shapes.
 */
import type { DeviceName } from '../src/index.js';
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { DEVICES, NO_WEBGPU, relErr, useDevices } from './helpers.js';

useDevices();
const { nn, F } = wg;
const vals = async (t: Tensor) => Array.from(await t.data());
const close = async (a: Tensor, b: Tensor, tol = 1e-5) => expect(relErr(await vals(a), await vals(b))).toBeLessThan(tol);

class TwoLayer extends nn.Module {
  fc1: InstanceType<typeof nn.Linear>;
  fc2: InstanceType<typeof nn.Linear>;
  constructor(device: DeviceName = 'cpu') {
    super();
    this.fc1 = this.registerModule('fc1', new nn.Linear(4, 3, { device }));
    this.fc2 = this.registerModule('fc2', new nn.Linear(3, 2, { device }));
    this.registerBuffer('steps', wg.zeros([1], { device }));
  }
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x).relu());
  }
}

describe('Module', () => {
  it('names parameters and buffers by dotted path; parameters require grad', () => {
    const m = new TwoLayer();
    expect([...m.namedParameters()].map(([n]) => n)).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    expect([...m.namedBuffers()].map(([n]) => n)).toEqual(['steps']);
    expect(m.parameters().every((p) => p.requiresGrad && p.isLeaf)).toBe(true);
    expect(m.children().length).toBe(2);
    // As PyTorch's state_dict: each module's parameters and buffers, then its children's.
    expect(Object.keys(m.stateDict())).toEqual(['steps', 'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    expect(m.numParameters()).toBe(4 * 3 + 3 + 3 * 2 + 2);
  });

  it('train() and eval() set the mode of every submodule', () => {
    const m = new nn.Sequential(new nn.Linear(2, 2), new nn.Dropout(0.5));
    m.eval();
    expect(m.modules().every((x) => !x.training)).toBe(true);
    m.train();
    expect(m.modules().every((x) => x.training)).toBe(true);
  });

  it('loadStateDict copies values in place (the optimizer keeps its parameters) and round-trips', async () => {
    const a = new TwoLayer();
    const b = new TwoLayer();
    const w = b.fc1.weight;
    b.loadStateDict(a.stateDict());
    expect(b.fc1.weight).toBe(w);
    for (const [[n, p], [, q]] of [...a.namedParameters()].map((x, i) => [x, [...b.namedParameters()][i]!] as const)) {
      expect(await vals(q), n).toEqual(await vals(p));
    }
  });

  it('strict loading names missing and unexpected keys; non-strict returns them and loads the rest', async () => {
    const a = new TwoLayer();
    const sd = a.stateDict();
    delete sd['fc2.bias'];
    sd['extra.weight'] = wg.zeros([1]);
    expect(() => new TwoLayer().loadStateDict(sd)).toThrow(/TwoLayer.loadStateDict: the state does not match the model; missing keys: fc2.bias; unexpected keys: extra.weight \(pass strict = false/);
    const b = new TwoLayer();
    const r = b.loadStateDict(sd, false);
    expect(r).toEqual({ missingKeys: ['fc2.bias'], unexpectedKeys: ['extra.weight'] });
    expect(await vals(b.fc1.weight)).toEqual(await vals(a.fc1.weight));
  });

  it('a shape mismatch is an error even when not strict, and nothing is written', async () => {
    const a = new TwoLayer();
    const before = await vals(a.fc1.weight);
    const sd = new TwoLayer().stateDict();
    sd['fc2.weight'] = wg.zeros([5, 5]);
    expect(() => a.loadStateDict(sd, false)).toThrow(/'fc2.weight' has shape \[5, 5\] in the state but \[2, 3\] in the model/);
    expect(await vals(a.fc1.weight)).toEqual(before);
  });

  it('toString shows the tree with parameter counts', () => {
    const s = new nn.Sequential(new nn.Linear(784, 10), new nn.ReLU()).toString();
    expect(s).toContain('(0): Linear(in=784, out=10)  # 7,850 params');
    expect(s).toContain('(1): ReLU()');
    expect(s).toContain('Total: 7,850 parameters');
  });

  it.skipIf(NO_WEBGPU)('to(device) moves parameters and buffers, which still require grad', async () => {
    const m = new TwoLayer('cpu');
    const before = await vals(m.fc1.weight);
    await m.to('webgpu');
    expect(m.parameters().every((p) => p.device === 'webgpu' && p.requiresGrad)).toBe(true);
    expect(m.buffers()[0]!.device).toBe('webgpu');
    expect(await vals(m.fc1.weight)).toEqual(before);
  });

  it('zeroGrad clears the gradients', () => {
    const m = new TwoLayer();
    m.forward(wg.ones([1, 4])).sum().backward();
    expect(m.fc1.weight.grad).not.toBe(null);
    m.zeroGrad();
    expect(m.parameters().every((p) => p.grad === null)).toBe(true);
  });
});

describe.each(DEVICES)('layers on %s match the functional ops', (device) => {
  const r = (shape: number[]) => wg.randn(shape, { device });

  it('Linear: x W^T + b, with PyTorch default init bounds 1/sqrt(in)', async () => {
    wg.manualSeed(1);
    const l = new nn.Linear(50, 7, { device });
    const x = r([3, 50]);
    await close(l.forward(x), x.matmul(l.weight.T).add(l.bias!));
    const w = await vals(l.weight);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(50));
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.8 / Math.sqrt(50));
    expect(new nn.Linear(3, 2, { device, bias: false }).bias).toBe(null);
  });

  it('Conv2d, Conv1d, ConvTranspose2d', async () => {
    wg.manualSeed(2);
    const c = new nn.Conv2d(3, 4, 3, { device, padding: 1, stride: 2 });
    const x = r([2, 3, 7, 6]);
    await close(c.forward(x), F.conv2d(x, c.weight, c.bias, { padding: 1, stride: 2 }));
    expect(c.weight.shape).toEqual([4, 3, 3, 3]);
    const c1 = new nn.Conv1d(2, 3, 5, { device });
    const x1 = r([2, 2, 11]);
    await close(c1.forward(x1), F.conv1d(x1, c1.weight, c1.bias));
    const t = new nn.ConvTranspose2d(4, 2, 3, { device, stride: 2 });
    const xt = r([1, 4, 3, 3]);
    expect(t.weight.shape).toEqual([4, 2, 3, 3]);
    await close(t.forward(xt), F.convTranspose2d(xt, t.weight, t.bias, { stride: 2 }));
  });

  it('pooling layers', async () => {
    const x = r([2, 3, 8, 7]);
    await close(new nn.MaxPool2d(2).forward(x), F.maxPool2d(x, 2) as Tensor);
    await close(new nn.AvgPool2d(3, { stride: 2, padding: 1 }).forward(x), F.avgPool2d(x, 3, { stride: 2, padding: 1 }));
    await close(new nn.AdaptiveAvgPool2d(1).forward(x), x.mean([2, 3], true));
  });

  it('BatchNorm2d: batch statistics in training (and the running ones updated), running statistics in eval', async () => {
    const bn = new nn.BatchNorm2d(3, { device });
    const x = r([4, 3, 5, 5]);
    await close(bn.forward(x), F.batchNorm(x, null, null, bn.parameters()[0], bn.parameters()[1], { training: true }));
    const rm = bn.buffers()[0]!;
    await close(rm, x.mean([0, 2, 3]).mul(0.1));
    bn.eval();
    const y = bn.forward(x);
    await close(y, F.batchNorm(x, bn.buffers()[0], bn.buffers()[1], null, null));
    expect(Object.keys(bn.stateDict())).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
  });

  it('BatchNorm1d, LayerNorm, GroupNorm, Embedding, Dropout, Flatten and the activations', async () => {
    const x = r([6, 4]);
    await close(new nn.BatchNorm1d(4, { device }).forward(x), F.batchNorm(x, null, null, null, null, { training: true }));
    await close(new nn.LayerNorm(4, { device }).forward(x), F.layerNorm(x, 4));
    const g = r([2, 4, 3]);
    await close(new nn.GroupNorm(2, 4, { device }).forward(g), F.groupNorm(g, 2));
    const e = new nn.Embedding(10, 3, { device, paddingIdx: 0 });
    expect(await vals(e.weight.select(0, 0))).toEqual([0, 0, 0]);
    const idx = wg.tensor([[1, 0], [9, 1]], { device, dtype: 'int32' });
    await close(e.forward(idx), F.embedding(idx, e.weight));
    const d = new nn.Dropout(0.5);
    d.eval();
    expect(d.forward(x)).toBe(x);
    expect(new nn.Flatten().forward(r([2, 3, 4])).shape).toEqual([2, 12]);
    for (const [m, f] of [
      [new nn.ReLU(), F.relu], [new nn.GELU(), F.gelu], [new nn.SiLU(), F.silu], [new nn.Tanh(), F.tanh], [new nn.Sigmoid(), F.sigmoid],
      [new nn.LeakyReLU(0.2), (t: Tensor) => F.leakyRelu(t, 0.2)], [new nn.ELU(), F.elu], [new nn.Softplus(), F.softplus], [new nn.Hardtanh(), F.hardtanh],
      [new nn.Softmax(1), (t: Tensor) => F.softmax(t, 1)], [new nn.LogSoftmax(1), (t: Tensor) => F.logSoftmax(t, 1)],
    ] as [InstanceType<typeof nn.Module>, (t: Tensor) => Tensor][]) {
      await close(m.forward(x), f(x));
    }
  });

  it('losses as modules', async () => {
    const a = r([5, 3]);
    const b = r([5, 3]);
    const y = wg.tensor([0, 2, 1, 1, 0], { device, dtype: 'int32' });
    await close(new nn.MSELoss().forward(a, b), F.mseLoss(a, b));
    await close(new nn.L1Loss({ reduction: 'sum' }).forward(a, b), F.l1Loss(a, b, { reduction: 'sum' }));
    await close(new nn.CrossEntropyLoss({ labelSmoothing: 0.1 }).forward(a, y), F.crossEntropy(a, y, { labelSmoothing: 0.1 }));
    await close(new nn.NLLLoss().forward(F.logSoftmax(a, 1), y), F.nllLoss(F.logSoftmax(a, 1), y));
  });
});

describe('layers: wrong input shapes name the layer and what it expected', () => {
  it('Linear, Conv2d, BatchNorm2d', () => {
    expect(() => new nn.Linear(784, 10).forward(wg.ones([32, 100]))).toThrow(/Linear\(in=784, out=10\): expected input \[\.\.\., 784\], got \[32, 100\]/);
    expect(() => new nn.Conv2d(3, 8, 3).forward(wg.ones([2, 1, 8, 8]))).toThrow(/Conv2d\(3, 8, kernel=3x3\): expected input \[N, 3, H, W\], got \[2, 1, 8, 8\]/);
    expect(() => new nn.BatchNorm2d(4).forward(wg.ones([2, 3, 5, 5]))).toThrow(/BatchNorm2d\(4\): expected input \[N, 4, H, W\], got \[2, 3, 5, 5\]/);
  });
  it('bad construction arguments', () => {
    expect(() => new nn.Conv2d(3, 8, 3, { groups: 2 })).toThrow(/Conv2d: inChannels \(3\) and outChannels \(8\) must be divisible by groups \(2\)/);
    expect(() => new nn.Dropout(1.5)).toThrow(/Dropout: p must be in \[0, 1\], got 1.5/);
    expect(() => new nn.Sequential().at(0)).toThrow(/Sequential: index 0 is out of range for 0 modules/);
  });
});

describe('nn.init', () => {
  it('kaimingUniform, xavierNormal and constant fill in place with the documented spread', async () => {
    wg.manualSeed(3);
    const w = wg.zeros([200, 100], { requiresGrad: true });
    nn.init.kaimingUniform(w, { nonlinearity: 'relu' });
    const v = await vals(w);
    const bound = Math.sqrt(2) * Math.sqrt(3 / 100);
    expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(bound + 1e-6);
    expect(Math.max(...v.map(Math.abs))).toBeGreaterThan(0.95 * bound);
    nn.init.xavierNormal(w);
    const x = await vals(w);
    const std = Math.sqrt(x.reduce((a, t) => a + t * t, 0) / x.length);
    expect(std).toBeCloseTo(Math.sqrt(2 / 300), 2);
    nn.init.constant(w, 0.5);
    expect(new Set(await vals(w))).toEqual(new Set([0.5]));
    expect(nn.init.calculateGain('tanh')).toBeCloseTo(5 / 3, 10);
  });
});
