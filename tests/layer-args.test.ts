/**
 * Layers take PyTorch's positional arguments in PyTorch's order, then an options object;
 * BatchNorm's state is named as PyTorch's (running_mean, running_var, num_batches_tracked),
 * counts its training batches, and momentum null gives the cumulative average.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { DEVICES, relErr, useDevices } from './helpers.js';

useDevices();
const { nn } = wg;
const vals = async (t: Tensor) => Array.from(await t.data());

describe.each(DEVICES)('positional arguments on %s', (device) => {
  const x = (shape: number[]) => wg.randn(shape, { device });

  it('Conv2d(in, out, k, stride, padding): nn.Conv2d(1, 8, 4, 2, 1) maps 64x64 to 32x32', () => {
    expect(new nn.Conv2d(1, 8, 4, 2, 1, { device }).forward(x([1, 1, 64, 64])).shape).toEqual([1, 8, 32, 32]);
  });
  it('Conv2d dilation, groups and bias positionally', () => {
    const c = new nn.Conv2d(4, 8, 3, 1, 2, 2, 2, false, { device });
    expect(c.weight.shape).toEqual([8, 2, 3, 3]);
    expect(c.bias).toBeNull();
    expect(c.forward(x([1, 4, 9, 9])).shape).toEqual([1, 8, 9, 9]);
  });
  it('Conv1d(in, out, k, stride, padding)', () => {
    expect(new nn.Conv1d(2, 3, 3, 2, 1, { device }).forward(x([1, 2, 10])).shape).toEqual([1, 3, 5]);
  });
  it('ConvTranspose2d(in, out, k, stride, padding, outputPadding) doubles 16x16 to 32x32', () => {
    expect(new nn.ConvTranspose2d(4, 2, 3, 2, 1, 1, { device }).forward(x([1, 4, 16, 16])).shape).toEqual([1, 2, 32, 32]);
  });
  it('MaxPool2d(k, stride, padding) and AvgPool2d(k, stride, padding)', () => {
    expect(new nn.MaxPool2d(3, 2, 1).forward(x([1, 1, 8, 8])).shape).toEqual([1, 1, 4, 4]);
    expect(new nn.AvgPool2d(3, 1, 1).forward(x([1, 1, 8, 8])).shape).toEqual([1, 1, 8, 8]);
  });
});

describe('positional arguments', () => {
  it('Linear(in, out, false) has no bias', () => {
    const l = new nn.Linear(4, 1, false);
    expect(l.bias).toBeNull();
    expect([...l.namedParameters()].map(([n]) => n)).toEqual(['weight']);
  });
  it('Embedding(n, d, paddingIdx) zeroes the padding row', async () => {
    const e = new nn.Embedding(10, 3, 0);
    expect(e.paddingIdx).toBe(0);
    expect((await vals(e.weight)).slice(0, 3)).toEqual([0, 0, 0]);
  });
  it('BatchNorm2d(numFeatures, eps, momentum, affine, trackRunningStats)', () => {
    const bn = new nn.BatchNorm2d(3, 1e-3, 0.2, false, true);
    expect([bn.eps, bn.momentum, bn.affine, bn.trackRunningStats]).toEqual([1e-3, 0.2, false, true]);
    expect(bn.parameters()).toEqual([]);
  });
  it('LayerNorm(shape, eps, elementwiseAffine)', () => {
    const ln = new nn.LayerNorm([2, 3], 1e-6, false);
    expect(ln.eps).toBe(1e-6);
    expect(ln.parameters()).toEqual([]);
  });
  it('Dropout(p), LeakyReLU(slope), Flatten(start, end), Softmax(dim)', () => {
    expect(new nn.Dropout(0.3).p).toBe(0.3);
    expect(new nn.Dropout(1).p).toBe(1); // all zeros in training, as in PyTorch
    expect(new nn.LeakyReLU(0.2).negativeSlope).toBe(0.2);
    expect(new nn.Flatten(0, 1).forward(wg.ones([2, 3, 4], { dtype: 'float32' })).shape).toEqual([6, 4]);
    expect(new nn.Softmax(0).dim).toBe(0);
  });
  it('the options object still works, alone or after positional arguments', () => {
    expect(new nn.Conv2d(1, 2, 3, { stride: 2, padding: 1 }).stride).toEqual([2, 2]);
    expect(new nn.Conv2d(1, 2, 3, 2, { padding: 1 }).padding).toEqual([1, 1]);
  });
});

describe('refused construction arguments name the layer and what was expected', () => {
  it('too many positional arguments', () => {
    expect(() => new (nn.Linear as unknown as new (...a: unknown[]) => unknown)(4, 2, true, 5)).toThrow(/Linear: too many positional arguments: it takes \(inFeatures, outFeatures, bias, options\), got 4/);
  });
  it('an unknown option, with did-you-mean', () => {
    expect(() => new nn.Conv2d(1, 2, 3, { strides: 2 } as never)).toThrow(/Conv2d: unknown option 'strides' \(did you mean 'stride'\?\)/);
  });
  it('a setting given both positionally and as an option', () => {
    expect(() => new nn.Conv2d(1, 2, 3, 2, { stride: 2 } as never)).toThrow(/Conv2d: stride is given twice, as argument 4 and as an option/);
  });
  it('the options object not last', () => {
    expect(() => new (nn.Linear as unknown as new (...a: unknown[]) => unknown)(4, 2, {}, true)).toThrow(/Linear: the options object must be the last argument/);
  });
  it('kernel size 0, stride 0, negative padding', () => {
    expect(() => new nn.Conv2d(1, 2, 0)).toThrow(/Conv2d: kernelSize must be an integer >= 1 or \[h, w\] of them, got 0/);
    expect(() => new nn.Conv2d(1, 2, 3, 0)).toThrow(/Conv2d: stride must be an integer >= 1/);
    expect(() => new nn.Conv2d(1, 2, 3, 1, -1)).toThrow(/Conv2d: padding must be an integer >= 0 or \[h, w\] of them, got -1/);
  });
  it('features and channels must be positive integers; groups must divide the channels', () => {
    expect(() => new nn.Linear(0, 2)).toThrow(/Linear: inFeatures must be an integer >= 1, got 0/);
    expect(() => new nn.Conv2d(2.5, 2, 3)).toThrow(/Conv2d: inChannels must be an integer >= 1, got 2.5/);
    expect(() => new nn.Conv2d(4, 6, 3, 1, 0, 1, 4)).toThrow(/Conv2d: inChannels \(4\) and outChannels \(6\) must be divisible by groups \(4\)/);
  });
  it('p outside [0, 1)', () => {
    expect(() => new nn.Dropout(-0.1)).toThrow(/Dropout: p must be in \[0, 1\], got -0.1/);
  });
  it('inplace = true is refused', () => {
    expect(() => new nn.ReLU(true as false)).toThrow(/ReLU: inplace = true is not supported/);
  });
  it('Identity takes no arguments (PyTorch ignores them)', () => {
    expect(() => new (nn.Identity as unknown as new (...a: unknown[]) => unknown)(3)).toThrow(/Identity: too many positional arguments/);
  });
});

describe.each(DEVICES)('BatchNorm state on %s', (device) => {
  it('num_batches_tracked counts training batches, not eval ones', async () => {
    const bn = new nn.BatchNorm1d(2, { device });
    const x = wg.randn([4, 2], { device });
    bn.forward(x);
    bn.forward(x);
    bn.eval();
    bn.forward(x);
    const n = bn.stateDict().num_batches_tracked!;
    expect(n.dtype).toBe('int32');
    expect(await n.item()).toBe(2);
  });

  it('momentum null keeps the cumulative average of the batch statistics', async () => {
    const bn = new nn.BatchNorm1d(2, { device, momentum: null });
    const a = wg.tensor(new Float32Array([0, 1, 2, 3, 4, 8]), { shape: [3, 2], device });
    const b = wg.tensor(new Float32Array([6, 0, 8, 0, 10, 0]), { shape: [3, 2], device });
    bn.forward(a);
    bn.forward(b);
    // means: a [2, 4], b [8, 0] -> [5, 2]; unbiased variances: a [4, 13], b [4, 0] -> [4, 6.5]
    expect(relErr(await vals(bn.stateDict().running_mean!), [5, 2])).toBeLessThan(1e-5);
    expect(relErr(await vals(bn.stateDict().running_var!), [4, 6.5])).toBeLessThan(1e-5);
  });

  it("a PyTorch-named state dict loads by name", async () => {
    const bn = new nn.BatchNorm2d(2, { device });
    const sd: Record<string, Tensor> = {
      weight: wg.ones([2], { device, dtype: 'float32' }),
      bias: wg.zeros([2], { device, dtype: 'float32' }),
      running_mean: wg.tensor(new Float32Array([1, 2]), { device }),
      running_var: wg.tensor(new Float32Array([3, 4]), { device }),
      num_batches_tracked: wg.tensor(new Int32Array([7]), { shape: [], device }),
    };
    bn.loadStateDict(sd);
    expect(await vals(bn.stateDict().running_mean!)).toEqual([1, 2]);
    expect(await bn.stateDict().num_batches_tracked!.item()).toBe(7);
  });
});

describe('loss modules', () => {
  it("a class weight is a buffer named 'weight' (pos_weight for BCEWithLogitsLoss), as PyTorch", () => {
    const w = wg.ones([3], { dtype: 'float32' });
    expect(Object.keys(new nn.CrossEntropyLoss({ weight: w }).stateDict())).toEqual(['weight']);
    expect(Object.keys(new nn.BCEWithLogitsLoss({ posWeight: w }).stateDict())).toEqual(['pos_weight']);
  });
  it('the weight read by forward is the buffer', async () => {
    const loss = new nn.CrossEntropyLoss({ weight: wg.tensor(new Float32Array([1, 0])) });
    const logits = wg.tensor(new Float32Array([0, 0, 0, 0]), { shape: [2, 2] });
    const v = await loss.forward(logits, wg.tensor(new Int32Array([0, 1]))).item();
    expect(v).toBeCloseTo(Math.log(2), 5);
  });
});
