/** webgrad.compress: magnitude pruning (PyTorch's _orig / _mask) and int8 weight quantization. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as wg from '../src/index.js';
import { DEVICES, useDevices } from './helpers.js';

useDevices();
const { prune } = wg.compress;
const vals = async (t: wg.Tensor) => Array.from(await t.data(), (v) => (v === 0 ? 0 : v)); // -0 (pruned negatives) reads as 0

describe.each(DEVICES)('prune on %s', (device) => {
  const linear = () => {
    const l = new wg.nn.Linear(4, 3, { device });
    wg.noGrad(() => l.weight.copy_(wg.tensor([[1, -2, 3, -4], [0.5, -6, 7, 8], [-0.1, 0.2, -9, 10]], { device })));
    return l;
  };

  it('l1Unstructured prunes exactly round(amount * n) entries, the smallest in magnitude', async () => {
    const l = linear();
    await prune.l1Unstructured(l, 'weight', { amount: 0.25 }); // 3 of 12
    expect(await vals(l.weight)).toEqual([1, -2, 3, -4, 0, -6, 7, 8, 0, 0, -9, 10]);
    expect(await prune.sparsity(l.weight)).toBe(0.25);
  });

  it("moves the parameter to weight_orig and adds the buffer weight_mask, as PyTorch's state dict", async () => {
    const l = linear();
    const w = l.weight;
    await prune.l1Unstructured(l, 'weight', { count: 2 });
    expect(Object.keys(l.stateDict()).sort()).toEqual(['bias', 'weight_mask', 'weight_orig']);
    expect(l.parameters()).toContain(w);
    expect(await vals(l.stateDict().weight_mask!)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1]);
  });

  it('the mask applies in forward and masks the gradient of weight_orig', async () => {
    const l = linear();
    await prune.l1Unstructured(l, 'weight', { amount: 0.5 });
    const x = wg.ones([2, 4], { device });
    const y = l.forward(x);
    const masked = await vals(l.weight);
    const expected = x.matmul(l.weight.T).add(l.bias!);
    expect(await vals(y)).toEqual(await vals(expected));
    expect(masked.filter((v) => v === 0).length).toBe(6);
    y.sum().backward();
    const mask = await vals(l.stateDict().weight_mask!);
    const g = await vals((l as unknown as { weight_orig: wg.Tensor }).weight_orig.grad!);
    g.forEach((v, i) => expect(v).toBe(mask[i] === 0 ? 0 : 2));
  });

  it('pruning again prunes the given fraction of the entries still unpruned', async () => {
    const l = linear();
    await prune.l1Unstructured(l, 'weight', { amount: 0.5 }); // 6 of 12
    await prune.l1Unstructured(l, 'weight', { amount: 0.5 }); // 3 of the 6 left
    expect(await prune.sparsity(l.weight)).toBe(0.75);
  });

  it('remove makes it permanent: weight is a parameter again, with the zeros, and _orig/_mask are gone', async () => {
    const l = linear();
    const w = l.weight;
    await prune.l1Unstructured(l, 'weight', { amount: 0.25 });
    prune.remove(l, 'weight');
    expect(Object.keys(l.stateDict()).sort()).toEqual(['bias', 'weight']);
    expect(l.weight).toBe(w);
    expect(prune.isPruned(l)).toBe(false);
    expect(await vals(l.weight)).toEqual([1, -2, 3, -4, 0, -6, 7, 8, 0, 0, -9, 10]);
  });

  it('globalUnstructured ranks the weights of all layers together', async () => {
    const a = new wg.nn.Linear(2, 2, { device });
    const b = new wg.nn.Linear(2, 2, { device });
    wg.noGrad(() => {
      a.weight.copy_(wg.tensor([[0.1, 0.2], [0.3, 0.4]], { device }));
      b.weight.copy_(wg.tensor([[1, 2], [3, 0.05]], { device }));
    });
    await prune.globalUnstructured([[a, 'weight'], [b, 'weight']], { amount: 0.5 });
    expect(await vals(a.weight)).toEqual([0, 0, 0, 0.4000000059604645]);
    expect(await vals(b.weight)).toEqual([1, 2, 3, 0]);
  });
});

describe('prune: a module of its own', () => {
  it('a registered parameter without a class getter reads masked, and reads plain again after remove', async () => {
    class Scale extends wg.nn.Module {
      declare w: wg.Tensor;
      constructor() {
        super();
        this.registerParameter('w', wg.tensor([3, -0.5, 1, -2]).requiresGrad_());
      }
      forward(x: wg.Tensor): wg.Tensor {
        return x.mul(this.w);
      }
    }
    const m = new Scale();
    await prune.l1Unstructured(m, 'w', { count: 2 });
    expect(await vals(m.forward(wg.ones([4])))).toEqual([3, 0, 0, -2]);
    prune.remove(m, 'w');
    expect(Object.keys(m.stateDict())).toEqual(['w']);
    expect(await vals(m.forward(wg.ones([4])))).toEqual([3, 0, 0, -2]);
    expect(m.parameters()).toEqual([m.w]);
  });
});

describe('prune: refusals', () => {
  it('refuses an unknown parameter name, listing the module parameters', async () => {
    await expect(prune.l1Unstructured(new wg.nn.Linear(2, 2), 'wieght', { amount: 0.5 })).rejects.toThrow(/^prune\.l1Unstructured: Linear has no parameter 'wieght' \(its parameters: weight, bias\)/);
  });

  it('refuses an amount outside [0, 1]', async () => {
    await expect(prune.l1Unstructured(new wg.nn.Linear(2, 2), 'weight', { amount: 1.5 })).rejects.toThrow(/^prune\.l1Unstructured: amount must be/);
  });

  it('refuses both amount and count', async () => {
    await expect(prune.l1Unstructured(new wg.nn.Linear(2, 2), 'weight', { amount: 0.5, count: 1 })).rejects.toThrow(/give exactly one of amount .* or count .*, got both/);
  });

  it('remove refuses a parameter that is not pruned', () => {
    expect(() => prune.remove(new wg.nn.Linear(2, 2), 'weight')).toThrow(/^prune\.remove: 'weight' of Linear is not pruned/);
  });
});

describe.each(DEVICES)('quantization on %s', (device) => {
  it('quantizePerChannel: int8 values, one scale per row, every element within scale/2', async () => {
    wg.manualSeed(3);
    const w = wg.randn([5, 7], { device }).mul(wg.tensor([[0.01], [0.1], [1], [10], [100]], { device }));
    const q = await wg.compress.quantizePerChannel(w, { axis: 0 });
    expect([q.values.dtype, q.values.device, q.values.shape, q.scales.shape]).toEqual(['int8', 'cpu', [5, 7], [5]]);
    expect(await vals(q.zeroPoints)).toEqual([0, 0, 0, 0, 0]);
    const back = await vals(wg.compress.dequantize(q));
    const orig = await vals(w);
    const scales = await vals(q.scales);
    orig.forEach((v, i) => expect(Math.abs(back[i]! - v)).toBeLessThanOrEqual(scales[Math.floor(i / 7)]! / 2 + 1e-6 * Math.abs(v)));
    const qs = await vals(q.values);
    for (let c = 0; c < 5; c++) expect(Math.max(...qs.slice(c * 7, c * 7 + 7).map(Math.abs))).toBe(127); // the largest maps to 127
  });

  it('quantizePerChannel along axis 1 gives one scale per column', async () => {
    const w = wg.tensor([[1, 100], [-2, 50]], { device });
    const q = await wg.compress.quantizePerChannel(w, { axis: 1 });
    expect(await vals(q.scales)).toEqual([Math.fround(2 / 127), Math.fround(100 / 127)]);
    expect(await q.values.toArray()).toEqual([[64, 127], [-127, 64]]);
  });

  it('uint8 uses zero point 128 and the same error bound', async () => {
    const w = wg.tensor([[-1, 0.5, 1]], { device });
    const q = await wg.compress.quantizePerChannel(w, { dtype: 'uint8' });
    expect([q.values.dtype, await vals(q.values), await vals(q.zeroPoints)]).toEqual(['uint8', [1, 192, 255], [128]]);
    const back = await vals(wg.compress.dequantize(q));
    back.forEach((v, i) => expect(Math.abs(v - [-1, 0.5, 1][i]!)).toBeLessThanOrEqual(1 / 127 / 2 + 1e-7));
  });

  it('quantizePerTensor uses one scale', async () => {
    const q = await wg.compress.quantizePerTensor(wg.tensor([[1, -4], [2, 0]], { device }));
    expect([q.scales.shape, await q.scales.item(), q.axis]).toEqual([[], Math.fround(4 / 127), null]);
    expect(await vals(q.values)).toEqual([32, -127, 64, 0]);
  });

  it('saveQuantized writes int8 weights about 4x smaller, and loadQuantized loads them back into a float model', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wg-quant-'));
    try {
      wg.manualSeed(5);
      const model = new wg.nn.Sequential(new wg.nn.Linear(128, 128, { device }), new wg.nn.ReLU(), new wg.nn.Linear(128, 10, { device }));
      const fp = join(dir, 'f.safetensors');
      const qp = join(dir, 'q.safetensors');
      await wg.io.saveSafetensors(model.stateDict(), fp);
      await wg.compress.saveQuantized(model, qp);
      const ratio = statSync(fp).size / statSync(qp).size;
      expect(ratio).toBeGreaterThan(3.5);
      const raw = await wg.io.loadSafetensorsWithMetadata(qp, { device: 'cpu' });
      expect([raw.tensors['0.weight']!.dtype, raw.tensors['0.weight_scale']!.dtype, raw.tensors['0.bias']!.dtype]).toEqual(['int8', 'float32', 'float32']);
      const state = await wg.compress.loadQuantized(qp, { device });
      const fresh = new wg.nn.Sequential(new wg.nn.Linear(128, 128, { device }), new wg.nn.ReLU(), new wg.nn.Linear(128, 10, { device }));
      fresh.loadStateDict(state);
      const x = wg.randn([8, 128], { device });
      const [a, b] = [await vals(model.forward(x)), await vals(fresh.forward(x))];
      const err = Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0) / a.reduce((s, v) => s + v * v, 0));
      expect(err).toBeLessThan(0.02);
      expect(err).toBeGreaterThan(0); // it went through int8
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('quantization: refusals', () => {
  it('refuses an int tensor', async () => {
    await expect(wg.compress.quantizePerChannel(wg.tensor([[1]], 'int32'))).rejects.toThrow(/^quantizePerChannel: expected a float32 or float64 tensor, got int32/);
  });

  it('refuses an axis out of range', async () => {
    await expect(wg.compress.quantizePerChannel(wg.zeros([2, 2]), { axis: 2 })).rejects.toThrow(/^quantizePerChannel: axis must be/);
  });

  it('refuses a non-finite weight, naming the element', async () => {
    await expect(wg.compress.quantizePerChannel(wg.tensor([[1, NaN]]))).rejects.toThrow(/^quantizePerChannel: the tensor holds NaN at element 1/);
  });

  it('loadQuantized refuses a file without the quantization metadata', async () => {
    const bytes = await wg.io.serializeSafetensors({ a: wg.zeros([2]) });
    await expect(wg.compress.parseQuantized(bytes)).rejects.toThrow(/^dequantizeStateDict: the metadata has no 'webgrad.quantization' entry/);
  });
});
