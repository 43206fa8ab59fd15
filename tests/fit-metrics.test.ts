/**
 * fit's accuracy for binary and multi-class outputs, its refusals, the validation of fit's
 * and DataLoader's options, and the DataLoader shuffle drawn from the global generator.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { DEVICES, useDevices } from './helpers.js';

useDevices();
const { nn, F } = wg;

/** x = [-2, -1, 1, 2] with targets [0, 1, 1, 1]: a unit-slope model is right 3 times of 4. */
function binaryData(device: wg.DeviceName, targetShape: number[]) {
  const x = wg.tensor(new Float32Array([-2, -1, 1, 2]), { shape: [4, 1], device: 'cpu' });
  const y = wg.tensor(new Float32Array([0, 1, 1, 1]), { shape: targetShape, device: 'cpu' });
  return new wg.data.DataLoader(new wg.data.TensorDataset(x, y), { batchSize: 2, device });
}

function unitLinear(device: wg.DeviceName): InstanceType<typeof nn.Linear> {
  const l = new nn.Linear(1, 1, { device });
  nn.init.constant(l.weight, 1);
  nn.init.constant(l.bias!, 0);
  return l;
}

const fitOnce = (o: Partial<Parameters<typeof wg.train.fit>[0]> & { model: wg.nn.Module }) =>
  wg.train.fit({ optimizer: new wg.optim.SGD(o.model.parameters(), { lr: 0 }), epochs: 1, progress: false, ...o } as Parameters<typeof wg.train.fit>[0]);

describe.each(DEVICES)('fit metrics on %s', (device) => {
  it('a [N, 1] sigmoid output with BCELoss: accuracy is the share above 0.5 (not a broadcast count)', async () => {
    const model = new nn.Sequential(unitLinear(device), new nn.Sigmoid());
    const [log] = await fitOnce({ model, loss: new nn.BCELoss(), train: binaryData(device, [4, 1]) });
    expect(log!.trainAccuracy).toBe(0.75);
  });

  it('[N, 1] logits with BCEWithLogitsLoss: accuracy from threshold 0', async () => {
    const model = unitLinear(device);
    const [log] = await fitOnce({ model, loss: new nn.BCEWithLogitsLoss(), train: binaryData(device, [4, 1]), val: binaryData(device, [4, 1]) });
    expect(log!.trainAccuracy).toBe(0.75);
    expect(log!.valAccuracy).toBe(0.75);
  });

  it('[N, 1] output against [N] targets with a custom loss and binary: probabilities', async () => {
    const model = new nn.Sequential(unitLinear(device), new nn.Sigmoid());
    const loss = (o: Tensor, t: Tensor) => F.binaryCrossEntropy(o.reshape([-1]), t);
    const [log] = await fitOnce({ model, loss, binary: 'probabilities', train: binaryData(device, [4]) });
    expect(log!.trainAccuracy).toBe(0.75);
  });

  it('multi-class [N, C] output with class-index targets: the share of argmax hits', async () => {
    const x = wg.tensor(new Float32Array([1, 0, 0, 1, 1, 0, 0, 1]), { shape: [4, 2], device: 'cpu' });
    const y = wg.tensor(new Int32Array([0, 1, 1, 1]), { device: 'cpu' });
    const model = new (class extends nn.Module {
      scale = wg.ones([2], { requiresGrad: true, device, dtype: 'float32' });
      forward(v: Tensor): Tensor { return v.mul(this.scale); }
    })();
    const [log] = await fitOnce({ model, loss: new nn.CrossEntropyLoss(), train: new wg.data.DataLoader(new wg.data.TensorDataset(x, y), { batchSize: 4, device }) });
    expect(log!.trainAccuracy).toBe(0.75);
  });

  it('a binary output with a loss that does not say logits or probabilities is refused', async () => {
    const model = unitLinear(device);
    await expect(fitOnce({ model, loss: (o: Tensor, t: Tensor) => o.sub(t).square().mean(), train: binaryData(device, [4, 1]) }))
      .rejects.toThrow(/fit: cannot tell whether the binary output \[2, 1\] holds logits or probabilities from this loss; pass binary: 'logits'/);
  });

  it('an output shape accuracy cannot read is refused, naming the shapes', async () => {
    const model = new nn.Sequential(new nn.Linear(1, 6, { device }), new nn.Flatten(0, 0));
    const m2 = new (class extends nn.Module {
      l = model;
      forward(x: Tensor): Tensor { return this.l.forward(x).reshape([-1, 3, 2]); }
    })();
    await expect(fitOnce({ model: m2, loss: (o: Tensor) => o.mean(), metrics: ['accuracy'], train: binaryData(device, [4, 1]) }))
      .rejects.toThrow(/fit: cannot compute accuracy for output \[2, 3, 2\] and target \[2, 1\]/);
  });

  it('a regression loss gets no accuracy by default', async () => {
    const [log] = await fitOnce({ model: unitLinear(device), loss: new nn.MSELoss(), train: binaryData(device, [4, 1]) });
    expect(log!.trainAccuracy).toBeUndefined();
  });
});

describe('fit options are validated', () => {
  const base = () => {
    const model = unitLinear('cpu');
    return { model, loss: new nn.BCEWithLogitsLoss(), optimizer: new wg.optim.SGD(model.parameters(), { lr: 0 }), train: binaryData('cpu', [4, 1]), epochs: 1, progress: false };
  };
  it('an unknown option, with did-you-mean', async () => {
    await expect(wg.train.fit({ ...base(), metric: ['accuracy'] } as never)).rejects.toThrow(/fit: unknown option 'metric' \(did you mean 'metrics'\?\)/);
  });
  it('an unknown metric', async () => {
    await expect(wg.train.fit({ ...base(), metrics: ['acc'] } as never)).rejects.toThrow(/fit: metrics\[\] must be one of 'accuracy', got 'acc'/);
  });
  it('epochs 0 and a missing optimizer', async () => {
    await expect(wg.train.fit({ ...base(), epochs: 0 })).rejects.toThrow(/fit: epochs must be an integer >= 1, got 0/);
    await expect(wg.train.fit({ ...base(), optimizer: undefined } as never)).rejects.toThrow(/fit: the option 'optimizer' is required/);
  });
  it('a training loader with no batches', async () => {
    const x = wg.zeros([3, 1], { dtype: 'float32' });
    const train = new wg.data.DataLoader(new wg.data.TensorDataset(x, x), { batchSize: 4, dropLast: true });
    await expect(wg.train.fit({ ...base(), train })).rejects.toThrow(/fit: the training loader gives no batches/);
  });
});

describe('DataLoader', () => {
  const ds = () => new wg.data.TensorDataset(wg.tensor(Int32Array.from({ length: 10 }, (_, i) => i), { device: 'cpu' }));
  const epoch = async (l: wg.data.DataLoader) => {
    const out: number[] = [];
    for (const [b] of l) out.push(...(await b!.data()));
    return out;
  };

  it('manualSeed makes the shuffle repeat; without it each epoch differs', async () => {
    wg.manualSeed(11);
    const a = new wg.data.DataLoader(ds(), { batchSize: 3, shuffle: true, device: 'cpu' });
    const a1 = await epoch(a);
    const a2 = await epoch(a);
    wg.manualSeed(11);
    const b = new wg.data.DataLoader(ds(), { batchSize: 3, shuffle: true, device: 'cpu' });
    expect(await epoch(b)).toEqual(a1);
    expect(await epoch(b)).toEqual(a2);
    expect(a2).not.toEqual(a1);
    expect([...a1].sort((p, q) => p - q)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('another manualSeed gives another order', async () => {
    wg.manualSeed(11);
    const a = await epoch(new wg.data.DataLoader(ds(), { batchSize: 10, shuffle: true, device: 'cpu' }));
    wg.manualSeed(12);
    const b = await epoch(new wg.data.DataLoader(ds(), { batchSize: 10, shuffle: true, device: 'cpu' }));
    expect(b).not.toEqual(a);
  });

  it('batch_size is refused with did-you-mean (it silently gave batches of 1)', () => {
    expect(() => new wg.data.DataLoader(ds(), { batch_size: 2 } as never)).toThrow(/DataLoader: unknown option 'batch_size' \(did you mean 'batchSize'\?\)/);
  });

  it('bad values: batchSize 2.5, shuffle "yes", seed without shuffle, a non-dataset', () => {
    expect(() => new wg.data.DataLoader(ds(), { batchSize: 2.5 })).toThrow(/DataLoader: batchSize must be an integer >= 1, got 2.5/);
    expect(() => new wg.data.DataLoader(ds(), { shuffle: 'yes' } as never)).toThrow(/DataLoader: shuffle must be true or false, got 'yes'/);
    expect(() => new wg.data.DataLoader(ds(), { seed: 1 })).toThrow(/DataLoader: seed only orders a shuffle/);
    expect(() => new wg.data.DataLoader([1, 2] as never)).toThrow(/DataLoader: expected a Dataset/);
  });
});
