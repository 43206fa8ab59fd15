/**
 * Every differentiable op's backward rule, checked two ways:
 *   - gradcheck: the analytic Jacobian against central finite differences, in float64 on cpu
 *     (and gradgradcheck for second derivatives where the op is smooth at the test points);
 *   - on every device: the gradients of sum(w * f(inputs)) (random w) in float32 against the
 *     same on cpu, so the rules also run, as GPU kernels, on webgpu.
 * Inputs use odd sizes, broadcasts and non-contiguous views.
 */
import type { DeviceName } from '../src/index.js';
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { DEVICES, relErr, rng, reseed, useDevices } from './helpers.js';

useDevices();

/** An input: float data uniform in [low, high) (differentiated unless `grad: false`), or int32 indices in [0, int). */
interface Input {
  shape: number[];
  low?: number;
  high?: number;
  grad?: boolean;
  int?: number;
  /** Fixed values instead of random ones. */
  values?: number[];
}

interface Case {
  name: string;
  inputs: Input[];
  fn: (...xs: Tensor[]) => Tensor;
  /** Skip gradgradcheck (with the reason) where second derivatives are not meaningful. */
  noSecond?: string;
}

const P = { low: 0.5, high: 2 }; // positive inputs for log, sqrt, pow bases
const ops: Case[] = [
  // unary
  ...(['neg', 'exp', 'sin', 'cos', 'tanh', 'sigmoid', 'square'] as const).map((op) => ({ name: op, inputs: [{ shape: [3, 5] }], fn: (x: Tensor) => x[op]() })),
  ...(['log', 'sqrt', 'rsqrt'] as const).map((op) => ({ name: op, inputs: [{ shape: [7], ...P }], fn: (x: Tensor) => x[op]() })),
  { name: 'abs', inputs: [{ shape: [4, 3] }], fn: (x) => x.abs(), noSecond: 'piecewise linear' },
  { name: 'relu', inputs: [{ shape: [4, 3] }], fn: (x) => x.relu(), noSecond: 'piecewise linear' },
  { name: 'sign', inputs: [{ shape: [5] }], fn: (x) => x.sign().add(x), noSecond: 'piecewise constant' },
  // binary, with broadcasting and scalars
  { name: 'add (broadcast [3,4] + [4])', inputs: [{ shape: [3, 4] }, { shape: [4] }], fn: (a, b) => a.add(b) },
  { name: 'sub (broadcast [2,1,3] - [4,1])', inputs: [{ shape: [2, 1, 3] }, { shape: [4, 1] }], fn: (a, b) => a.sub(b) },
  { name: 'mul (broadcast [3,1] * [1,5])', inputs: [{ shape: [3, 1] }, { shape: [1, 5] }], fn: (a, b) => a.mul(b) },
  { name: 'div (broadcast [2,3] / [3])', inputs: [{ shape: [2, 3] }, { shape: [3], ...P }], fn: (a, b) => a.div(b) },
  { name: 'pow (tensor ** tensor)', inputs: [{ shape: [2, 3], ...P }, { shape: [2, 3] }], fn: (a, b) => a.pow(b) },
  { name: 'pow (tensor ** scalar)', inputs: [{ shape: [5] }], fn: (a) => a.pow(3) },
  { name: 'maximum', inputs: [{ shape: [3, 4] }, { shape: [4] }], fn: (a, b) => a.maximum(b), noSecond: 'piecewise linear' },
  { name: 'minimum', inputs: [{ shape: [3, 4] }, { shape: [3, 1] }], fn: (a, b) => a.minimum(b), noSecond: 'piecewise linear' },
  { name: 'scalar ops (x * 2.5 - 1) / 3', inputs: [{ shape: [4] }], fn: (x) => x.mul(2.5).sub(1).div(3) },
  { name: 'where', inputs: [{ shape: [3, 4], grad: false }, { shape: [3, 4] }, { shape: [4] }], fn: (c, a, b) => wg.where(c.gt(0), a, b) },
  { name: 'where (scalar branch)', inputs: [{ shape: [5] }], fn: (a) => wg.where(a.gt(0), a.square(), 0) },
  { name: 'clamp (scalar bounds)', inputs: [{ shape: [4, 5] }], fn: (x) => x.clamp(-1, 1), noSecond: 'piecewise linear' },
  { name: 'clamp (tensor bounds)', inputs: [{ shape: [3, 4] }, { shape: [4], low: -2, high: -0.5 }, { shape: [3, 1], low: 0.5, high: 2 }], fn: (x, lo, hi) => x.clamp(lo, hi), noSecond: 'piecewise linear' },
  { name: 'cast float -> float', inputs: [{ shape: [3] }], fn: (x) => x.cast(x.dtype).mul(x) },
  // reductions
  { name: 'sum (all)', inputs: [{ shape: [3, 4] }], fn: (x) => x.sum() },
  { name: 'sum (dims [0, 2], keepdim)', inputs: [{ shape: [2, 3, 4] }], fn: (x) => x.sum([0, 2], true) },
  { name: 'mean (dim 1)', inputs: [{ shape: [3, 5] }], fn: (x) => x.mean(1) },
  { name: 'mean (all)', inputs: [{ shape: [2, 3] }], fn: (x) => x.mean() },
  { name: 'prod (dim 1)', inputs: [{ shape: [3, 4] }], fn: (x) => x.prod(1) },
  { name: 'prod (rows with one and two zeros)', inputs: [{ shape: [3, 3], values: [1, 0, 3, 0, 0, 2, 1.5, 2, -1] }], fn: (x) => x.prod(1), noSecond: 'finite differences of the zero rows are one-sided' },
  { name: 'max (dim 0)', inputs: [{ shape: [4, 3] }], fn: (x) => x.max(0).values, noSecond: 'piecewise linear' },
  { name: 'min (all)', inputs: [{ shape: [3, 5] }], fn: (x) => x.min(), noSecond: 'piecewise linear' },
  { name: 'var (dim 1)', inputs: [{ shape: [3, 5] }], fn: (x) => x.var(1) },
  { name: 'var (correction 0, keepdim)', inputs: [{ shape: [4, 3] }], fn: (x) => x.var(0, { correction: 0, keepdim: true }) },
  { name: 'std (all)', inputs: [{ shape: [2, 5] }], fn: (x) => x.std() },
  { name: 'logsumexp (dim 1)', inputs: [{ shape: [3, 4] }], fn: (x) => x.logsumexp(1) },
  { name: 'logsumexp (dims [0, 1], keepdim)', inputs: [{ shape: [2, 3, 2] }], fn: (x) => x.logsumexp([0, 1], true) },
  // matmul
  { name: 'matmul 2-D', inputs: [{ shape: [3, 4] }, { shape: [4, 5] }], fn: (a, b) => a.matmul(b) },
  { name: 'matmul batched, broadcast batch', inputs: [{ shape: [2, 1, 3, 4] }, { shape: [3, 4, 2] }], fn: (a, b) => a.matmul(b) },
  { name: 'matmul 1-D @ 2-D', inputs: [{ shape: [4] }, { shape: [4, 3] }], fn: (a, b) => a.matmul(b) },
  { name: 'matmul 3-D @ 1-D', inputs: [{ shape: [2, 3, 4] }, { shape: [4] }], fn: (a, b) => a.matmul(b) },
  { name: 'matmul 1-D @ 1-D', inputs: [{ shape: [5] }, { shape: [5] }], fn: (a, b) => a.matmul(b) },
  { name: 'matmul of transposed views', inputs: [{ shape: [4, 3] }, { shape: [5, 4] }], fn: (a, b) => a.T.matmul(b.T) },
  // views
  { name: 'reshape', inputs: [{ shape: [2, 6] }], fn: (x) => x.reshape(3, 4).mul(x.reshape(3, 4)) },
  { name: 'reshape of a transposed view (copies)', inputs: [{ shape: [3, 4] }], fn: (x) => x.T.reshape(-1).exp() },
  { name: 'view', inputs: [{ shape: [2, 3] }], fn: (x) => x.view(6).sin() },
  { name: 'transpose', inputs: [{ shape: [2, 3, 4] }], fn: (x) => x.transpose(0, 2).exp().contiguous() },
  { name: 'permute', inputs: [{ shape: [2, 3, 4] }], fn: (x) => x.permute(2, 0, 1).square() },
  { name: 'expand', inputs: [{ shape: [3, 1] }], fn: (x) => x.expand(2, 3, 4).sin() },
  { name: 'squeeze / unsqueeze', inputs: [{ shape: [3, 1, 2] }], fn: (x) => x.squeeze(1).unsqueeze(0).exp() },
  { name: 'slice with steps and negative bounds', inputs: [{ shape: [7, 5] }], fn: (x) => x.slice([1, null, 2], [-4, -1]).exp() },
  { name: 'slice with an index', inputs: [{ shape: [3, 4] }], fn: (x) => x.slice(null, 2).square() },
  { name: 'narrow', inputs: [{ shape: [3, 6] }], fn: (x) => x.narrow(1, 2, 3).tanh() },
  { name: 'select', inputs: [{ shape: [3, 4] }], fn: (x) => x.select(0, 1).exp() },
  { name: 'flatten', inputs: [{ shape: [2, 3, 2] }], fn: (x) => x.flatten(1).sin() },
  { name: 'clone', inputs: [{ shape: [4] }], fn: (x) => x.clone().mul(x) },
  // joining and indexing
  { name: 'cat (dim 1)', inputs: [{ shape: [2, 3] }, { shape: [2, 1] }, { shape: [2, 2] }], fn: (a, b, c) => wg.cat([a, b.exp(), c], 1).square() },
  { name: 'stack (dim -1)', inputs: [{ shape: [3, 2] }, { shape: [3, 2] }], fn: (a, b) => wg.stack([a, b.sin()], -1).square() },
  { name: 'gather (repeated indices)', inputs: [{ shape: [3, 4] }, { shape: [5, 4], int: 3 }], fn: (x, i) => x.gather(0, i).square() },
  { name: 'gather (dim 1)', inputs: [{ shape: [3, 4] }, { shape: [3, 6], int: 4 }], fn: (x, i) => x.gather(1, i).exp() },
  { name: 'indexSelect (repeats)', inputs: [{ shape: [4, 3] }, { shape: [6], int: 4 }], fn: (x, i) => x.indexSelect(0, i).sin() },
  { name: 'indexSelect (dim 1)', inputs: [{ shape: [2, 5] }, { shape: [3], int: 5 }], fn: (x, i) => x.indexSelect(1, i).square() },
  { name: 'scatterAdd', inputs: [{ shape: [3, 4] }, { shape: [5, 4], int: 3 }, { shape: [5, 4] }], fn: (x, i, s) => x.scatterAdd(0, i, s.square()).exp() },
  // added after the others, so that their seeds (the case's index) stay as they were
  { name: 'log1p', inputs: [{ shape: [3, 5], low: -0.5, high: 2 }], fn: (x) => x.log1p() },
  { name: 'log1p (near 0)', inputs: [{ shape: [4], values: [1e-6, -1e-4, 0.01, -0.3] }], fn: (x) => x.log1p() },
  { name: 'expm1', inputs: [{ shape: [3, 5] }], fn: (x) => x.expm1() },
  { name: 'expm1 (near 0)', inputs: [{ shape: [4], values: [1e-6, -1e-4, 0.01, -0.3] }], fn: (x) => x.expm1() },
  { name: 'cumsum (dim 1)', inputs: [{ shape: [3, 5] }], fn: (x) => x.cumsum(1) },
  { name: 'cumsum (dim -3 of a transposed view)', inputs: [{ shape: [4, 2, 3] }], fn: (x) => x.transpose(0, 2).cumsum(-3).square() },
  { name: 'cumsum (0-d)', inputs: [{ shape: [] }], fn: (x) => wg.cumsum(x.square(), 0) },
  ...(['round', 'floor', 'ceil', 'trunc'] as const).map((op) => ({ name: `${op} (zero gradient)`, inputs: [{ shape: [5] }], fn: (x: Tensor) => x[op]().add(x), noSecond: 'piecewise constant' })),
  { name: 'split (sizes 2, 2, 1 along dim 1)', inputs: [{ shape: [3, 5] }], fn: (x) => { const [a, b, c] = x.split(2, 1); return wg.cat([a!.square(), b!.sin(), c!.mul(3)], 1); } },
  { name: 'split (sections [1, 3] along dim 0)', inputs: [{ shape: [4, 2] }], fn: (x) => { const [a, b] = x.split([1, 3]); return b!.mul(a!).exp(); } },
  { name: 'chunk (3 of a transposed view)', inputs: [{ shape: [4, 7] }], fn: (x) => { const [a, b, c] = x.T.chunk(3); return wg.cat([c!, b!.square(), a!.tanh()], 0); } },
  { name: 'tril (batched, diagonal -1)', inputs: [{ shape: [2, 3, 4] }], fn: (x) => x.tril(-1).square() },
  { name: 'triu (diagonal 1)', inputs: [{ shape: [4, 3] }], fn: (x) => x.triu(1).exp() },
  { name: 'normalize (p 2, dim 1)', inputs: [{ shape: [3, 4] }], fn: (x) => wg.F.normalize(x) },
  { name: 'normalize (p 3, dim 0)', inputs: [{ shape: [3, 4] }], fn: (x) => wg.F.normalize(x, { p: 3, dim: 0 }) },
  { name: 'cosineSimilarity (broadcast, dim -1)', inputs: [{ shape: [4, 3] }, { shape: [3] }], fn: (a, b) => wg.F.cosineSimilarity(a, b, { dim: -1 }) },
  { name: 'cdist (p 2, batched)', inputs: [{ shape: [2, 3, 4] }, { shape: [2, 5, 4] }], fn: (a, b) => wg.cdist(a, b) },
  { name: 'cdist (p 1)', inputs: [{ shape: [3, 2] }, { shape: [4, 2] }], fn: (a, b) => wg.cdist(a, b, 1), noSecond: 'piecewise linear' },
  // Products with a fused activation (the activation's backward from the saved output).
  { name: 'fusedLinear relu', inputs: [{ shape: [2, 3, 5] }, { shape: [4, 5] }, { shape: [4] }], fn: (x, w, b) => wg.F.fusedLinear(x, w, b, 'relu'), noSecond: 'piecewise linear' },
  ...(['sigmoid', 'tanh'] as const).map((act) => ({ name: `fusedLinear ${act}`, inputs: [{ shape: [3, 5] }, { shape: [4, 5] }, { shape: [4] }], fn: (x: Tensor, w: Tensor, b: Tensor) => wg.F.fusedLinear(x, w, b, act) })),
  { name: 'fusedConv2d relu', inputs: [{ shape: [2, 2, 5, 4] }, { shape: [3, 2, 3, 3] }, { shape: [3] }], fn: (x, w, b) => wg.F.fusedConv2d(x, w, b, 'relu', { padding: 1 }), noSecond: 'piecewise linear' },
  { name: 'fusedConv2d tanh (stride 2)', inputs: [{ shape: [1, 2, 6, 5] }, { shape: [3, 2, 3, 2] }, { shape: [3] }], fn: (x, w, b) => wg.F.fusedConv2d(x, w, b, 'tanh', { stride: 2 }) },
  { name: 'huberLoss (delta 0.7, none)', inputs: [{ shape: [3, 4] }, { shape: [3, 4] }], fn: (a, b) => wg.F.huberLoss(a, b, { delta: 0.7, reduction: 'none' }), noSecond: 'piecewise quadratic' },
  { name: 'klDiv (batchmean)', inputs: [{ shape: [3, 4], low: -3, high: -0.1 }, { shape: [3, 4], low: 0.1, high: 1 }], fn: (a, b) => wg.F.klDiv(a, b, { reduction: 'batchmean' }) },
  { name: 'klDiv (logTarget, none)', inputs: [{ shape: [5], low: -3, high: -0.1 }, { shape: [5], low: -3, high: -0.1 }], fn: (a, b) => wg.F.klDiv(a, b, { logTarget: true, reduction: 'none' }) },
];

/** The inputs of a case as host data, so that every device gets the same values. */
function data(c: Case): { spec: Input; values: number[] }[] {
  return c.inputs.map((spec) => {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.values) return { spec, values: spec.values };
    if (spec.int !== undefined) return { spec, values: Array.from({ length: n }, () => Math.floor(rng() * spec.int!)) };
    const low = spec.low ?? -2;
    const high = spec.high ?? 2;
    // Keep values off 0 by a margin, so kinks (abs, relu, sign) are not inside eps.
    return { spec, values: Array.from({ length: n }, () => { const v = low + (high - low) * rng(); return Math.abs(v) < 0.05 ? v + 0.1 : v; }) };
  });
}

function build(d: ReturnType<typeof data>, dtype: 'float32' | 'float64', device: DeviceName): Tensor[] {
  return d.map(({ spec, values }) =>
    spec.int !== undefined
      ? wg.tensor(Int32Array.from(values), { shape: spec.shape, device })
      : wg.tensor(values, { shape: spec.shape, dtype, device, requiresGrad: spec.grad !== false }),
  );
}

describe('gradcheck (float64, cpu): every differentiable op', () => {
  it.each(ops.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    reseed(ops.indexOf(c) + 1);
    expect(await wg.gradcheck(c.fn, build(data(c), 'float64', 'cpu'))).toBe(true);
  });
});

describe('gradgradcheck (float64, cpu): second derivatives', () => {
  it.each(ops.filter((c) => !c.noSecond).map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    reseed(ops.indexOf(c) + 101);
    expect(await wg.gradgradcheck(c.fn, build(data(c), 'float64', 'cpu'), { atol: 1e-4, rtol: 1e-3 })).toBe(true);
  });
});

describe.each(DEVICES)('gradients on %s match cpu (float32)', (device) => {
  it.each(ops.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    reseed(ops.indexOf(c) + 1);
    const d = data(c);
    const grads = async (dev: DeviceName) => {
      const xs = build(d, 'float32', dev);
      const y = c.fn(...xs);
      reseed(7);
      const w = wg.tensor(Array.from({ length: y.size }, () => rng() * 2 - 1), { shape: y.shape, dtype: 'float32', device: dev });
      y.mul(w).sum().backward();
      const out: Float32Array[] = [];
      for (const x of xs) if (x.requiresGrad) out.push((await x.grad!.data()) as Float32Array);
      if (dev === 'webgpu') for (const x of xs) if (x.requiresGrad) expect(x.grad!.device).toBe('webgpu');
      return out;
    };
    const [got, ref] = [await grads(device), await grads('cpu')];
    expect(got.length).toBe(ref.length);
    got.forEach((g, i) => {
      const err = relErr(Array.from(g), Array.from(ref[i]!));
      expect(err, `input ${i}: ${Array.from(g.slice(0, 6))} vs ${Array.from(ref[i]!.slice(0, 6))}`).toBeLessThan(1e-5);
    });
  });
});

describe('documented gradient conventions', () => {
  const dev = DEVICES[DEVICES.length - 1]!;
  it(`max with ties shares the gradient evenly among the maxima (${dev})`, async () => {
    const x = wg.tensor([[1, 3, 3], [2, 2, 2]], { dtype: 'float32', device: dev, requiresGrad: true });
    x.max(1).values.sum().backward();
    const third = Math.fround(1 / 3); // float32
    expect(await x.grad!.toArray()).toEqual([[0, 0.5, 0.5], [third, third, third]]);
  });

  it(`maximum(a, b) at a tie gives half to each (${dev})`, async () => {
    const a = wg.tensor([1, 2, 3], { dtype: 'float32', device: dev, requiresGrad: true });
    const b = wg.tensor([3, 2, 1], { dtype: 'float32', device: dev, requiresGrad: true });
    a.maximum(b).sum().backward();
    expect(await a.grad!.toArray()).toEqual([0, 0.5, 1]);
    expect(await b.grad!.toArray()).toEqual([1, 0.5, 0]);
  });

  it(`relu, abs and clamp at their kinks follow PyTorch (${dev})`, async () => {
    const x = wg.tensor([0, -1, 1], { dtype: 'float32', device: dev, requiresGrad: true });
    x.relu().sum().backward();
    expect(await x.grad!.toArray()).toEqual([0, 0, 1]);
    const y = wg.tensor([0, -1, 1], { dtype: 'float32', device: dev, requiresGrad: true });
    y.abs().sum().backward();
    expect(await y.grad!.toArray()).toEqual([0, -1, 1]);
    const z = wg.tensor([-1, 0, 1, 2], { dtype: 'float32', device: dev, requiresGrad: true });
    z.clamp(0, 1).sum().backward(); // the bounds themselves pass the gradient
    expect(await z.grad!.toArray()).toEqual([0, 1, 1, 0]);
  });

  it(`pow: 0 ** b has a finite gradient for b >= 0 (${dev})`, async () => {
    const a = wg.tensor([0, 0, 2], { dtype: 'float32', device: dev, requiresGrad: true });
    const b = wg.tensor([0, 2, 3], { dtype: 'float32', device: dev, requiresGrad: true });
    a.pow(b).sum().backward();
    expect(await a.grad!.toArray()).toEqual([0, 0, 12]);
    const gb = (await b.grad!.toArray()) as number[];
    expect(gb.slice(0, 2)).toEqual([0, 0]);
    expect(gb[2]).toBeCloseTo(8 * Math.log(2), 5);
  });

  it(`gather with many repeated indices adds every contribution (${dev})`, async () => {
    const x = wg.zeros([3], { device: dev, requiresGrad: true });
    const values = Int32Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? 1 : i % 2) * 2);
    const idx = wg.tensor(values, { device: dev });
    x.gather(0, idx).sum().backward();
    const counts = [0, 1, 2].map((j) => values.filter((v) => v === j).length);
    expect(await x.grad!.toArray()).toEqual(counts);
  });
});
