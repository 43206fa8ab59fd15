/**
 * The autograd engine as a PyTorch user expects it: leaves and .grad, accumulation, retainGraph,
 * detach, grad modes, grad(), hooks, second derivatives, composite functions against closed
 * forms, bad input, and the memory the graph holds. Every behaviour runs on every device.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { DEVICES, relErr, useDevices } from './helpers.js';

useDevices();

const arr = async (t: Tensor | null | undefined) => Array.from(await t!.data());
const close = (a: number[], b: number[], tol = 1e-5) => expect(relErr(a, b), `${a} vs ${b}`).toBeLessThan(tol);

describe.each(DEVICES)('autograd on %s', (device) => {
  const leafT = (v: number[] | number[][], dtype: 'float32' = 'float32') => wg.tensor(v, { dtype, device, requiresGrad: true });

  it('leaves: requiresGrad as an option, a property and requiresGrad_(); results of ops are not leaves', () => {
    const a = wg.ones([2], { device, requiresGrad: true });
    const b = wg.ones([2], { device });
    b.requiresGrad = true;
    const c = wg.ones([2], { device }).requiresGrad_();
    const y = a.mul(b).add(c);
    expect([a.isLeaf, b.isLeaf, c.isLeaf, y.isLeaf]).toEqual([true, true, true, false]);
    expect(y.requiresGrad).toBe(true);
    expect(y.gradFn!.name).toBe('add');
    expect(a.gradFn).toBe(null);
    const plain = wg.ones([2], { device }).mul(2);
    expect(plain.requiresGrad).toBe(false);
    expect(plain.gradFn).toBe(null);
  });

  it('backward fills .grad of the leaves: d(sum(a*b))/da = b', async () => {
    const a = leafT([1, 2, 3]);
    const b = leafT([4, 5, 6]);
    a.mul(b).sum().backward();
    expect(await arr(a.grad)).toEqual([4, 5, 6]);
    expect(await arr(b.grad)).toEqual([1, 2, 3]);
    expect(a.grad!.device).toBe(device);
    expect(a.grad!.requiresGrad).toBe(false);
  });

  it('gradients accumulate across backward calls until .grad is reset', async () => {
    const x = leafT([1, 2]);
    x.square().sum().backward();
    x.square().sum().backward();
    expect(await arr(x.grad)).toEqual([4, 8]);
    x.grad = null;
    x.mul(3).sum().backward();
    expect(await arr(x.grad)).toEqual([3, 3]);
  });

  it('a tensor used twice gets the sum of both paths', async () => {
    const x = leafT([2, 3]);
    const y = x.mul(x).add(x.exp().mul(0)).add(x); // x^2 + x
    y.sum().backward();
    expect(await arr(x.grad)).toEqual([5, 7]);
  });

  it('backward with an explicit gradient for a non-scalar output', async () => {
    const x = leafT([1, 2, 3]);
    x.mul(2).backward(wg.tensor([1, 0, -1], { dtype: 'float32', device }));
    expect(await arr(x.grad)).toEqual([2, 0, -2]);
  });

  it('a second backward through the same graph needs retainGraph', async () => {
    const x = leafT([1, 2]);
    const y = x.exp().sum();
    y.backward({ retainGraph: true });
    y.backward();
    close(await arr(x.grad), [2 * Math.E, 2 * Math.E ** 2]);
    expect(() => y.backward()).toThrow(/backward: the graph through 'sum' .* was already freed by an earlier backward\(\); pass \{ retainGraph: true \}/);
  });

  it('detach() cuts the graph: no gradient flows through it', async () => {
    const x = leafT([1, 2]);
    const d = x.detach();
    expect(d.requiresGrad).toBe(false);
    x.mul(d).sum().backward(); // d is a constant: grad = d
    expect(await arr(x.grad)).toEqual([1, 2]);
  });

  it('noGrad records nothing; enableGrad inside it records again', () => {
    const x = leafT([1]);
    const y = wg.noGrad(() => x.mul(2));
    expect(y.requiresGrad).toBe(false);
    expect(y.isLeaf).toBe(true);
    const z = wg.noGrad(() => wg.enableGrad(() => x.mul(2)));
    expect(z.requiresGrad).toBe(true);
    expect(wg.isGradEnabled()).toBe(true);
    expect(wg.isGradEnabled()).toBe(true);
  });

  it('noGrad takes an async function: the mode holds across its awaits and is restored when it settles', async () => {
    const x = leafT([1]);
    const seen: boolean[] = [];
    const y = await wg.noGrad(async () => {
      await Promise.resolve();
      seen.push(wg.isGradEnabled());
      return x.mul(2);
    });
    expect(seen).toEqual([false]);
    expect(y.requiresGrad).toBe(false);
    expect(wg.isGradEnabled()).toBe(true);
    await expect(wg.noGrad(async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(wg.isGradEnabled()).toBe(true);
    const z = await wg.noGrad(() => wg.enableGrad(async () => { await Promise.resolve(); return x.mul(2); }));
    expect(z.requiresGrad).toBe(true);
    expect(wg.isGradEnabled()).toBe(true);
  });

  it('grad() returns gradients without touching .grad, for leaves and intermediate tensors', async () => {
    const x = leafT([1, 2, 3]);
    const h = x.square();
    const y = h.mul(2).sum();
    const [gx, gh] = wg.grad(y, [x, h]);
    expect(await arr(gx)).toEqual([4, 8, 12]);
    expect(await arr(gh)).toEqual([2, 2, 2]);
    expect(x.grad).toBe(null);
  });

  it('grad() with unreachable inputs throws unless allowUnused', async () => {
    const x = leafT([1]);
    const u = leafT([5]);
    const y = x.mul(3).sum();
    expect(() => wg.grad(y, [x, u], { retainGraph: true })).toThrow(/grad: input 1 \(\[1\] float32 on .*\) is not reachable from the outputs; pass \{ allowUnused: true \}/);
    const [gx, gu] = wg.grad(y, [x, u], { allowUnused: true });
    expect(await arr(gx)).toEqual([3]);
    expect(gu).toBe(null);
  });

  it('registerHook sees and may replace a gradient; remove() takes it off', async () => {
    const x = leafT([1, 2]);
    const seen: number[][] = [];
    const h = x.mul(3);
    const handle = h.registerHook((g) => g.mul(10)); // non-leaf: replaces the gradient flowing on
    x.registerHook((g) => void g.data().then((v) => seen.push(Array.from(v))));
    h.sum().backward({ retainGraph: true });
    expect(await arr(x.grad)).toEqual([30, 30]);
    handle.remove();
    x.grad = null;
    h.sum().backward();
    expect(await arr(x.grad)).toEqual([3, 3]);
    await wg.sync();
    expect(seen).toEqual([[30, 30], [3, 3]]);
  });

  it('retainGrad() fills .grad of a non-leaf tensor', async () => {
    const x = leafT([1, 2]);
    const h = x.mul(2);
    h.retainGrad();
    h.square().sum().backward();
    expect(await arr(h.grad)).toEqual([4, 8]);
    expect(await arr(x.grad)).toEqual([8, 16]);
  });

  it('createGraph gives second derivatives: d2/dx2 of x^3 is 6x', async () => {
    const x = leafT([1, 2]);
    const [g] = wg.grad(x.pow(3).sum(), x, { createGraph: true });
    expect(g!.requiresGrad).toBe(true);
    close(await arr(g), [3, 12]);
    const [g2] = wg.grad(g!.sum(), x);
    close(await arr(g2), [6, 12]);
  });

  it('the graph survives its intermediate tensors being disposed (tidy), and rules run after', async () => {
    const w = leafT([[1, 2], [3, 4]]);
    const x = wg.tensor([[1, 1]], { dtype: 'float32', device });
    const loss = wg.tidy(() => x.matmul(w).relu().square().sum());
    loss.backward();
    expect(await arr(w.grad)).toEqual([8, 12, 8, 12]);
  });

  it('a float32 leaf mixed with a float64 op gets a float32 gradient', async () => {
    if (device !== 'cpu') return; // float64 lives on cpu only
    const x = leafT([1, 2]);
    const y = wg.tensor([3, 4], { dtype: 'float64', device });
    const z = x.mul(y);
    expect(z.dtype).toBe('float64');
    z.sum().backward();
    expect(x.grad!.dtype).toBe('float32');
    expect(await arr(x.grad)).toEqual([3, 4]);
  });

  it('softmax cross-entropy built from primitives has the closed-form gradient (softmax - onehot) / N', async () => {
    const logits = leafT([[1, 2, 0.5], [0.1, -1, 3]]);
    const target = wg.tensor([[0, 1, 0], [0, 0, 1]], { dtype: 'float32', device });
    const logp = logits.sub(logits.logsumexp(1, true));
    const loss = logp.mul(target).sum(1).mean().neg();
    loss.backward();
    const soft = (r: number[]) => { const e = r.map(Math.exp); const s = e.reduce((a, b) => a + b); return e.map((v) => v / s); };
    const expected = [soft([1, 2, 0.5]).map((p, i) => (p - (i === 1 ? 1 : 0)) / 2), soft([0.1, -1, 3]).map((p, i) => (p - (i === 2 ? 1 : 0)) / 2)].flat();
    close(await arr(logits.grad), expected);
  });

  it('a two-layer MLP has the hand-derived gradients', async () => {
    // y = relu(x W1 + b1) W2, loss = sum(y^2) / 2: dW2 = h^T y, dh = y W2^T * (h > 0), dW1 = x^T dh, db1 = sum(dh).
    const x = wg.tensor([[1, -2], [0.5, 1]], { dtype: 'float32', device });
    const W1 = leafT([[0.5, -1, 2], [1, 0.5, -0.5]]);
    const b1 = leafT([0.1, 0.2, -0.3]);
    const W2 = leafT([[1], [-1], [0.5]]);
    const h = x.matmul(W1).add(b1).relu();
    const y = h.matmul(W2);
    y.square().sum().div(2).backward();
    const [hv, yv] = [(await h.toArray()) as number[][], (await y.toArray()) as number[][]];
    const W2v = [1, -1, 0.5];
    const dh = hv.map((row, i) => row.map((v, j) => (v > 0 ? yv[i]![0]! * W2v[j]! : 0)));
    const xv = [[1, -2], [0.5, 1]];
    const dW1 = [0, 1].map((a) => [0, 1, 2].map((j) => xv[0]![a]! * dh[0]![j]! + xv[1]![a]! * dh[1]![j]!)).flat();
    const dW2 = [0, 1, 2].map((j) => hv[0]![j]! * yv[0]![0]! + hv[1]![j]! * yv[1]![0]!);
    close(await arr(W1.grad), dW1);
    close(await arr(b1.grad), [0, 1, 2].map((j) => dh[0]![j]! + dh[1]![j]!));
    close(await arr(W2.grad), dW2);
  });
});

describe.each(DEVICES)('autograd errors on %s', (device: DeviceName) => {
  it('backward() on a non-scalar without a gradient', () => {
    const x = wg.ones([2, 3], { device, requiresGrad: true });
    expect(() => x.mul(2).backward()).toThrow(/backward: a gradient can be created implicitly only for a scalar output; the tensor has shape \[2, 3\], so pass a gradient of that shape/);
  });

  it('backward() with a gradient of the wrong shape', () => {
    const x = wg.ones([2], { device, requiresGrad: true });
    expect(() => x.mul(2).backward(wg.ones([3], { device }))).toThrow(/backward: the gradient has shape \[3\] but the tensor has shape \[2\]/);
  });

  it('backward() on a tensor that does not require grad', () => {
    const x = wg.ones([2], { device });
    expect(() => x.sum().backward()).toThrow(/backward: the tensor \(\[\] float32 on .*\) does not require grad and has no gradFn/);
  });

  it('integer tensors cannot require grad', () => {
    expect(() => wg.ones([2], { device, dtype: 'int32' }).requiresGrad_()).toThrow(/requiresGrad: only floating-point tensors can require gradients, got a int32 tensor of shape \[2\]/);
    expect(() => wg.arange(3, undefined, 1, { device, requiresGrad: true })).toThrow(/arange: requiresGrad: only floating-point tensors/);
  });

  it('requiresGrad cannot be turned off on a non-leaf', () => {
    const y = wg.ones([2], { device, requiresGrad: true }).mul(2);
    expect(() => { y.requiresGrad = false; }).toThrow(/requiresGrad: can only change the flag of a leaf tensor; this one .* was made by 'mul'/);
  });

  it('a hook that returns a tensor of the wrong shape', () => {
    const x = wg.ones([2], { device, requiresGrad: true });
    const y = x.mul(2);
    y.registerHook(() => wg.ones([3], { device }));
    expect(() => y.sum().backward()).toThrow(/hook: a gradient hook must return nothing or a tensor of shape \[2\], got \[3\]/);
  });
});

describe.each(DEVICES)('graph memory on %s', (device) => {
  const mem = () => wg.memory().devices[device]!;

  it('after backward() the saved tensors are freed: only the leaves, their grads and the loss remain', async () => {
    const w1 = wg.randn([8, 16], { device, requiresGrad: true });
    const w2 = wg.randn([16, 4], { device, requiresGrad: true });
    const x = wg.randn([5, 8], { device });
    await wg.sync();
    const before = mem();
    const loss = wg.tidy(() => x.matmul(w1).tanh().matmul(w2).square().mean());
    const during = mem();
    expect(during.buffers).toBeGreaterThan(before.buffers + 2); // activations held by the graph
    loss.backward();
    await wg.sync();
    const after = mem();
    expect(after.buffers).toBe(before.buffers + 3); // loss, w1.grad, w2.grad
    expect(after.tensors).toBe(before.tensors + 3);
    if (device === 'webgpu') expect(after.pooledBytes).toBeGreaterThan(before.pooledBytes); // returned to the pool
    expect(loss.gradFn!.isFreed).toBe(true);
  });

  it('with retainGraph the saved tensors stay until a final backward', async () => {
    const w = wg.randn([4, 4], { device, requiresGrad: true });
    await wg.sync();
    const before = mem().buffers;
    const loss = wg.tidy(() => w.tanh().exp().sum());
    loss.backward({ retainGraph: true });
    const kept = mem().buffers;
    expect(kept).toBeGreaterThan(before + 2);
    loss.backward();
    expect(mem().buffers).toBe(before + 2); // loss and w.grad
  });

  it('200 training steps keep memory flat', async () => {
    const w = wg.randn([6, 3], { device, requiresGrad: true });
    const x = wg.randn([10, 6], { device });
    const y = wg.randn([10, 3], { device });
    let params = w;
    const step = () => {
      const loss = wg.tidy(() => x.matmul(params).sub(y).square().mean());
      loss.backward();
      const next = wg.tidy(() => wg.noGrad(() => params.sub(params.grad!.mul(0.05))));
      params.grad!.dispose();
      params.grad = null;
      if (params !== w) params.dispose();
      params = next.requiresGrad_();
      return loss;
    };
    for (let i = 0; i < 5; i++) step().dispose();
    // Reclaim what earlier tests dropped without dispose() first: its finalizers running during
    // the loop (when a read yields) would make memory fall, not stay flat.
    (globalThis as { gc?: () => void }).gc?.();
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    await wg.sync();
    const start = mem();
    let last = 0;
    for (let i = 0; i < 200; i++) {
      const loss = step();
      if (i === 199) last = await loss.item();
      loss.dispose();
    }
    await wg.sync();
    const end = mem();
    expect(end.buffers).toBe(start.buffers);
    expect(end.tensors).toBe(start.tensors);
    expect(end.bytes).toBe(start.bytes);
    expect(Number.isFinite(last)).toBe(true);
  });
});

describe('Hessian-vector product of a small MLP loss', () => {
  it.each(DEVICES)('matches finite differences of the gradient (%s)', async (device) => {
    wg.manualSeed(3);
    const dtype = device === 'cpu' ? 'float64' : 'float32';
    const x = wg.randn([6, 3], { device, dtype });
    const t = wg.randn([6, 2], { device, dtype });
    const w1v = wg.randn([3, 4], { device, dtype });
    const w2 = wg.randn([4, 2], { device, dtype });
    const v = wg.randn([3, 4], { device, dtype });
    const lossAt = (w1: Tensor) => x.matmul(w1).tanh().matmul(w2).sub(t).square().mean();
    const gradAt = (w1: Tensor) => {
      const p = w1.detach().requiresGrad_();
      return wg.grad(lossAt(p), p)[0]!;
    };
    // analytic: d/dw (g(w) . v)
    const w1 = w1v.detach().requiresGrad_();
    const [g] = wg.grad(lossAt(w1), w1, { createGraph: true });
    const [hv] = wg.grad(g!.mul(v).sum(), w1);
    // numeric: (g(w + eps v) - g(w - eps v)) / (2 eps)
    const eps = device === 'cpu' ? 1e-6 : 1e-2;
    const numeric = gradAt(w1v.add(v.mul(eps))).sub(gradAt(w1v.sub(v.mul(eps)))).div(2 * eps);
    const err = relErr(Array.from(await hv!.data()), Array.from(await numeric.data()));
    expect(err).toBeLessThan(device === 'cpu' ? 1e-6 : 2e-2);
  });
});

describe.each(DEVICES)('zeroGrad on %s', (device) => {
  it('nulls and frees the gradients of the given tensors', async () => {
    const a = wg.ones([3], { device, requiresGrad: true });
    const b = wg.ones([3], { device, requiresGrad: true });
    a.mul(b).sum().backward();
    const old = a.grad!;
    const before = wg.memory().devices[device]!.buffers;
    wg.zeroGrad([a, b]);
    expect([a.grad, b.grad]).toEqual([null, null]);
    expect(old.isDisposed).toBe(true);
    expect(wg.memory().devices[device]!.buffers).toBe(before - 2);
  });
});
