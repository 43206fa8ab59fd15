/** Module.apply (children first, then self, as PyTorch), Module.double() and Module.float(). */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import { NO_WEBGPU, useDevices } from './helpers.js';

useDevices();
const { nn } = wg;

describe('Module.apply', () => {
  it('calls fn on every submodule, children first, then on the module itself', () => {
    const inner = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU());
    const model = new nn.Sequential(inner, new nn.Linear(3, 1));
    const seen: wg.nn.Module[] = [];
    model.apply((m) => seen.push(m));
    expect(seen).toEqual([inner.at(0), inner.at(1), inner, model.at(1), model]);
  });
  it('returns the module, so initialisation chains', () => {
    const model = new nn.Sequential(new nn.Linear(2, 3));
    expect(model.apply(() => {})).toBe(model);
  });
  it('is how weights are initialised by type', async () => {
    const model = new nn.Sequential(new nn.Linear(2, 3), new nn.Tanh(), new nn.Linear(3, 1));
    model.apply((m) => {
      if (m instanceof nn.Linear) {
        nn.init.constant(m.weight, 0.5);
        if (m.bias) nn.init.zeros(m.bias);
      }
    });
    for (const p of model.parameters()) expect(new Set(await p.data())).toEqual(new Set([p.ndim === 2 ? 0.5 : 0]));
  });
  it('visits a module reachable by two paths once per path, as PyTorch', () => {
    const shared = new nn.Linear(2, 2);
    const model = new nn.Sequential(shared, shared);
    let n = 0;
    model.apply((m) => { if (m === shared) n++; });
    expect(n).toBe(2);
  });
  it('refuses a non-function', () => {
    expect(() => new nn.Linear(2, 2).apply(3 as never)).toThrow('Linear.apply: expected a function (module) => void, got 3');
  });
});

describe('Module.double and Module.float', () => {
  it('double() casts float parameters and buffers to float64 and keeps int buffers', () => {
    const model = new nn.Sequential(new nn.Linear(2, 3), new nn.BatchNorm1d(3));
    expect(model.double()).toBe(model);
    for (const [n, t] of Object.entries(model.stateDict())) expect(t.dtype, n).toBe(n.endsWith('num_batches_tracked') ? 'int32' : 'float64');
    for (const p of model.parameters()) expect(p.requiresGrad && p.isLeaf).toBe(true);
  });
  it('double() keeps the values and trains in float64', async () => {
    const lin = new nn.Linear(3, 2);
    const before = Array.from(await lin.weight.data());
    lin.double();
    expect(Array.from(await lin.weight.data())).toEqual(before);
    const y = lin.forward(wg.ones([4, 3], { dtype: 'float64' }));
    expect(y.dtype).toBe('float64');
    y.sum().backward();
    expect(lin.weight.grad!.dtype).toBe('float64');
  });
  it('float() casts back to float32', () => {
    const lin = new nn.Linear(3, 2).double().float();
    expect(lin.parameters().map((p) => p.dtype)).toEqual(['float32', 'float32']);
  });
  it('keeps tied parameters tied', () => {
    const a = new nn.Linear(2, 2);
    const model = new nn.Sequential(a, a).double();
    const sd = model.stateDict();
    expect(sd['0.weight']!.storage).toBe(sd['1.weight']!.storage);
    expect(model.parameters().length).toBe(2);
  });
  // webgpu only (float64 exists on cpu, so the refusal needs a webgpu module): skipped only when the run declares no adapter (WEBGRAD_TEST_NO_WEBGPU=1)
  it.skipIf(NO_WEBGPU)('double() on webgpu is refused, naming the module, the tensor and the device', () => {
    const lin = new nn.Linear(2, 2, { device: 'webgpu' });
    expect(() => lin.double()).toThrow("Linear.double: float64 exists on the cpu backend only, and 'weight' is on webgpu");
    expect(lin.weight.dtype).toBe('float32');
  });
});
