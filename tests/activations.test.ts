/**
 * nn.functional activations: each kernel on every device against a float64 host reference
 * written here, known values, gradcheck and gradgradcheck, device gradients against cpu, and
 * bad parameters.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { DEVICES, pair, relErr, reseed, useDevices } from './helpers.js';

useDevices();
const F = wg.F;

/** erf by Simpson's rule (independent of the library's series). */
function erfRef(x: number): number {
  const n = 4000;
  const h = x / n;
  let s = 1 + Math.exp(-x * x);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * Math.exp(-((i * h) ** 2));
  return ((s * h) / 3) * (2 / Math.sqrt(Math.PI));
}

interface Act {
  name: string;
  f: (x: Tensor) => Tensor;
  ref: (x: number) => number;
  /** Kinks where finite differences are meaningless: keep test points away from them. */
  smooth?: boolean;
}

const ACTS: Act[] = [
  { name: 'relu', f: (x) => F.relu(x), ref: (x) => Math.max(x, 0) },
  { name: 'leakyRelu(0.2)', f: (x) => F.leakyRelu(x, 0.2), ref: (x) => (x > 0 ? x : 0.2 * x) },
  { name: 'leakyRelu default 0.01', f: (x) => F.leakyRelu(x), ref: (x) => (x > 0 ? x : 0.01 * x) },
  { name: 'elu(1.5)', f: (x) => F.elu(x, 1.5), ref: (x) => (x > 0 ? x : 1.5 * (Math.exp(x) - 1)) },
  { name: 'gelu (exact)', f: (x) => F.gelu(x), ref: (x) => 0.5 * x * (1 + erfRef(x / Math.SQRT2)), smooth: true },
  {
    name: 'gelu (tanh)',
    f: (x) => F.gelu(x, { approximate: 'tanh' }),
    ref: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
    smooth: true,
  },
  { name: 'silu', f: (x) => F.silu(x), ref: (x) => x / (1 + Math.exp(-x)), smooth: true },
  { name: 'sigmoid', f: (x) => F.sigmoid(x), ref: (x) => 1 / (1 + Math.exp(-x)), smooth: true },
  { name: 'tanh', f: (x) => F.tanh(x), ref: Math.tanh, smooth: true },
  { name: 'softplus', f: (x) => F.softplus(x), ref: (x) => (x > 20 ? x : Math.log(1 + Math.exp(x))), smooth: true },
  { name: 'softplus(beta 2, threshold 3)', f: (x) => F.softplus(x, { beta: 2, threshold: 3 }), ref: (x) => (2 * x > 3 ? x : Math.log(1 + Math.exp(2 * x)) / 2) },
  { name: 'hardtanh', f: (x) => F.hardtanh(x), ref: (x) => Math.min(Math.max(x, -1), 1) },
  { name: 'hardtanh(-0.5, 2)', f: (x) => F.hardtanh(x, -0.5, 2), ref: (x) => Math.min(Math.max(x, -0.5), 2) },
  { name: 'erf', f: (x) => x.erf(), ref: erfRef, smooth: true },
];

/** Test points away from the kinks at 0, -1, 1, -0.5, 2 and 1.5 (softplus threshold). */
function points(n: number): Float64Array {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let x = -5 + (10 * (i + 0.37)) / n;
    for (const k of [0, -1, 1, -0.5, 2, 1.5]) if (Math.abs(x - k) < 0.02) x += 0.05;
    v[i] = x;
  }
  return v;
}

describe.each(DEVICES)('activations on %s', (device) => {
  it.each(ACTS.map((a) => [a.name, a] as const))('%s matches the host reference on 257 points and a strided view', async (_n, a) => {
    const v = points(257);
    const x = wg.tensor(Float32Array.from(v), { device });
    const y = Array.from(await a.f(x).data());
    const ref = Array.from(v, (t) => a.ref(Math.fround(t)));
    expect(relErr(y, ref)).toBeLessThan(2e-6);
    // a transposed view
    const m = wg.tensor(Float32Array.from(v.slice(0, 15 * 17)), { shape: [15, 17], device }).T;
    const ym = await a.f(m).contiguous().data();
    const mv = Array.from(await m.contiguous().data());
    expect(relErr(Array.from(ym), mv.map(a.ref))).toBeLessThan(2e-6);
  });

  it('known values: gelu(1), silu(1), elu(-1), softplus(0), leakyRelu(-2)', async () => {
    const one = wg.tensor([1], { dtype: 'float32', device });
    expect(await F.gelu(one).item()).toBeCloseTo(0.8413447, 6);
    expect(await F.gelu(one, { approximate: 'tanh' }).item()).toBeCloseTo(0.8411920, 6);
    expect(await F.silu(one).item()).toBeCloseTo(0.7310586, 6);
    expect(await F.elu(wg.tensor([-1], { dtype: 'float32', device })).item()).toBeCloseTo(Math.exp(-1) - 1, 6);
    expect(await F.softplus(wg.tensor([0], { dtype: 'float32', device })).item()).toBeCloseTo(Math.LN2, 6);
    expect(await F.leakyRelu(wg.tensor([-2], { dtype: 'float32', device }), 0.1).item()).toBeCloseTo(-0.2, 6);
  });

  it('large inputs give no inf or NaN (softplus, silu, gelu, elu, sigmoid, tanh)', async () => {
    const x = wg.tensor([-1e4, -100, 100, 1e4], { dtype: 'float32', device });
    for (const f of [F.softplus, F.silu, F.gelu, F.elu, F.sigmoid, F.tanh] as ((t: Tensor) => Tensor)[]) {
      const y = Array.from(await f(x).data());
      expect(y.every(Number.isFinite), `${f.name}: ${y}`).toBe(true);
    }
    const sp = Array.from(await F.softplus(x).data());
    expect(sp[0]).toBe(0);
    expect(sp[1]).toBeLessThan(1e-30); // e^-100: a subnormal float32, or 0 where the device flushes them
    expect(sp.slice(2)).toEqual([100, 1e4]);
  });

  it.each(ACTS.map((a) => [a.name, a] as const))('%s: gradients match cpu', async (_n, a) => {
    reseed(5);
    const [xc, xd] = pair([9, 7], device, { low: -3, high: 3 });
    const grads = async (x: Tensor) => {
      const p = x.detach().requiresGrad_();
      a.f(p).mul(p.cos()).sum().backward();
      return Array.from(await p.grad!.data());
    };
    expect(relErr(await grads(xd), await grads(xc))).toBeLessThan(1e-5);
  });
});

describe('gelu far below zero keeps its digits (the cpu reference; float64)', () => {
  // Values from 0.5 x erfc(-x / sqrt 2) and x / (1 + exp(-2u)), Python's math.erfc and exp in doubles.
  // 1 + erf(x / sqrt 2) and 1 + tanh(u) cancel there: the old reference was 1e-4 off at -4.243
  // and returned 0 at -10.
  const at = async (f: (t: Tensor) => Tensor, x: number) => (await f(wg.tensor([x], { dtype: 'float64', device: 'cpu' })).data())[0]!;
  it.each([[-3, -0.004049694094890287], [-4.243, -4.678998708753853e-5], [-10, -7.619853024160593e-23]])('gelu(%d)', async (x, want) => {
    expect(Math.abs((await at((t) => F.gelu(t), x)) - want) / Math.abs(want)).toBeLessThan(1e-13);
  });
  it.each([[-6, -8.43964670076231e-11], [-10, -1.2040923482098023e-37]])("gelu(%d, { approximate: 'tanh' })", async (x, want) => {
    expect(Math.abs((await at((t) => F.gelu(t, { approximate: 'tanh' }), x)) - want) / Math.abs(want)).toBeLessThan(1e-13);
  });
});

describe('activations: gradcheck (float64, cpu)', () => {
  it.each(ACTS.map((a) => [a.name, a] as const))('%s', async (_n, a) => {
    const x = wg.tensor(points(23), { dtype: 'float64', requiresGrad: true });
    expect(await wg.gradcheck(a.f, [x])).toBe(true);
    if (a.smooth) expect(await wg.gradgradcheck(a.f, [x], { atol: 1e-4 })).toBe(true);
  });
});

describe('activations: bad parameters', () => {
  const x = () => wg.ones([2]);
  it('gelu with an unknown approximation', () => {
    expect(() => F.gelu(x(), { approximate: 'fast' as never })).toThrow(/gelu: approximate must be one of 'none', 'tanh', got 'fast'/);
  });
  it('hardtanh with minVal > maxVal', () => {
    expect(() => F.hardtanh(x(), 2, 1)).toThrow(/hardtanh: minVal \(2\) must not exceed maxVal \(1\)/);
  });
  it('softplus with beta 0, leakyRelu with a NaN slope', () => {
    expect(() => F.softplus(x(), { beta: 0 })).toThrow(/softplus: beta must be nonzero/);
    expect(() => F.leakyRelu(x(), NaN)).toThrow(/leakyRelu: negativeSlope must be a finite number, got NaN/);
  });
});
