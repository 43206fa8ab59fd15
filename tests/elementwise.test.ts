/**
 * Elementwise ops: the unary and binary op tables, comparisons, `where`, `clamp` and `cast`.
 *
 * - hand-checked values on small tensors (literal expected numbers), every device;
 * - random inputs of odd sizes (1, 3, 17, 65, 257, 33x65), non-contiguous views (transposed,
 *   permuted, stepped slices, expanded), broadcasting and empty dims, checked on every device
 *   against a float64 host reference written here, and on webgpu also against the cpu backend;
 * - dtype rules: int32+float32 -> float32, int/int div -> float32, comparisons -> bool,
 *   exp of int32 -> float32, scalars keep int tensors int unless they are fractional;
 * - int32 arithmetic is exact and wraps on overflow like two's complement;
 * - numerics at the edges: tanh/sigmoid of +-100, tanh near 0, NaN through maximum/minimum/clamp.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { DeviceName, DType, Tensor } from '../src/index.js';
import type { BinaryOp, CoreUnaryOp as UnaryOp } from '../src/kernels/ops.js';
import { DEVICES, NO_WEBGPU, expectClose, expectEqual, pair, relErr, rng, traceDispatches, useDevices } from './helpers.js';

useDevices();

const TOL = 1e-5;
const f32 = Math.fround;

async function values(t: Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

/** A host float64 reference, rounded to float32 once, as a cpu tensor of `shape`. */
function hostTensor(vals: ArrayLike<number>, shape: readonly number[], dtype: DType): Tensor {
  const arr = dtype === 'float32' ? Float32Array.from(vals) : dtype === 'int32' ? Int32Array.from(vals) : Uint8Array.from(vals);
  return wg.tensor(arr, { shape, device: 'cpu' });
}

/**
 * Checks `out` (on any device) against the host reference `ref`: exactly for ints, bools and
 * correctly rounded float ops, else within TOL. On webgpu it is also checked against `cpuOut`,
 * the cpu backend's result for the same inputs.
 */
async function check(out: Tensor, ref: Tensor, cpuOut: Tensor, exact: boolean): Promise<void> {
  if (exact) await expectEqual(out, ref);
  else await expectClose(out, ref, TOL);
  if (out.device !== 'cpu') {
    if (exact) await expectEqual(out, cpuOut);
    else await expectClose(out, cpuOut, TOL);
  }
}

// ---- op tables of the host reference (independent of src/kernels/ops.ts) ---------------------

const HOST_UNARY: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  abs: (x) => Math.abs(x),
  exp: (x) => Math.exp(x),
  log: (x) => Math.log(x),
  // Through atanh and tanh, not Math.log1p / Math.expm1 (the cpu backend's): 1 + x = (1 + s) / (1 - s)
  // with s = x / (2 + x), and e^x - 1 = 2t / (1 - t) with t = tanh(x / 2); neither cancels near 0.
  log1p: (x) => 2 * Math.atanh(x / (2 + x)),
  expm1: (x) => {
    const t = Math.tanh(x / 2);
    return (2 * t) / (1 - t);
  },
  sqrt: (x) => Math.sqrt(x),
  rsqrt: (x) => 1 / Math.sqrt(x),
  sin: (x) => Math.sin(x),
  cos: (x) => Math.cos(x),
  tanh: (x) => Math.tanh(x),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  relu: (x) => Math.max(x, 0),
  square: (x) => x * x,
  sign: (x) => Math.sign(x),
  erf: (x) => {
    // Simpson's rule on 2/sqrt(pi) e^(-t^2) over [0, x]: independent of the series in ops.ts.
    const n = 2000;
    const h = x / n;
    let s = 1 + Math.exp(-x * x);
    for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * Math.exp(-((i * h) ** 2));
    return ((s * h) / 3) * (2 / Math.sqrt(Math.PI));
  },
  // Halves to the even neighbour, from floor (not Math.round, which rounds halves up).
  round: (x) => {
    const f = Math.floor(x);
    const d = x - f;
    const r = d < 0.5 ? f : d > 0.5 ? f + 1 : f % 2 === 0 ? f : f + 1;
    return r === 0 && x < 0 ? -0 : r; // keeps the sign, as IEEE rounding does
  },
  floor: (x) => Math.floor(x),
  ceil: (x) => -Math.floor(-x),
  trunc: (x) => (x < 0 ? Math.ceil(x) : Math.floor(x)),
};
const UNARY_OPS = Object.keys(HOST_UNARY) as UnaryOp[];
/** Ops whose float32 result is exact (no rounding beyond the input's). */
const EXACT_UNARY = new Set<UnaryOp>(['neg', 'abs', 'relu', 'sign', 'round', 'floor', 'ceil', 'trunc']);
/** Inputs in each op's valid domain. */
const unaryDomain = (op: UnaryOp) => (op === 'log' || op === 'sqrt' || op === 'rsqrt' ? { low: 0.05, high: 4 } : op === 'log1p' ? { low: -0.95, high: 4 } : { low: -4, high: 4 });

const ARITH_OPS = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'] as const;
const CMP_OPS = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const;
const HOST_BINARY: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: (a, b) => Math.pow(a, b),
  maximum: (a, b) => Math.max(a, b),
  minimum: (a, b) => Math.min(a, b),
  eq: (a, b) => +(a === b),
  ne: (a, b) => +(a !== b),
  lt: (a, b) => +(a < b),
  le: (a, b) => +(a <= b),
  gt: (a, b) => +(a > b),
  ge: (a, b) => +(a >= b),
};
/** add, sub, mul (correctly rounded in IEEE and in WGSL), max/min and comparisons compare exactly. */
const exactBinary = (op: BinaryOp) => op !== 'div' && op !== 'pow';

/**
 * Random float32 operands for `op` on cpu and on `device`, of shapes `sa` and `sb`:
 * divisors away from 0, positive bases for pow, and values on a grid of halves for the
 * comparisons (so that ties occur).
 */
function binaryOperands(op: BinaryOp, sa: number[], sb: number[], device: DeviceName): [Tensor, Tensor, Tensor, Tensor] {
  const cmp = (CMP_OPS as readonly string[]).includes(op);
  const gen = (shape: number[], low: number, high: number, snap: boolean): [Tensor, Tensor] => {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const x = low + (high - low) * rng();
      v[i] = snap ? Math.round(x * 2) / 2 : x;
    }
    return [wg.tensor(v, { shape, device: 'cpu' }), wg.tensor(v, { shape, device })];
  };
  const [ac, ad] = op === 'pow' ? gen(sa, 0.1, 3, false) : gen(sa, -2, 2, cmp);
  let b: [Tensor, Tensor];
  if (op === 'pow') b = gen(sb, -3, 3, false);
  else if (op === 'div') {
    // |b| in [0.5, 2], either sign.
    const n = sb.reduce((x, y) => x * y, 1);
    const v = Float32Array.from({ length: n }, () => (0.5 + 1.5 * rng()) * (rng() < 0.5 ? -1 : 1));
    b = [wg.tensor(v, { shape: sb, device: 'cpu' }), wg.tensor(v, { shape: sb, device })];
  } else b = gen(sb, -2, 2, cmp);
  return [ac, b[0], ad, b[1]];
}

/** Applies `op` to the device operands and to the cpu operands, and checks both against the host. */
async function checkBinary(op: BinaryOp, ac: Tensor, bc: Tensor, ad: Tensor, bd: Tensor): Promise<void> {
  const out = ad[op](bd);
  const cpuOut = ac[op](bc);
  const shape = cpuOut.shape;
  // Host reference through explicit broadcasting of the host copies.
  const [av, bv] = [await ac.expand(shape).data(), await bc.expand(shape).data()];
  const ref = Array.from(av, (a, i) => HOST_BINARY[op](a, bv[i]!));
  const dtype: DType = (CMP_OPS as readonly string[]).includes(op) ? 'bool' : 'float32';
  expect(out.shape).toEqual(shape);
  expect(out.dtype).toBe(dtype);
  await check(out, hostTensor(ref, shape, dtype), cpuOut, exactBinary(op));
}

const SIZES: number[][] = [[1], [3], [17], [65], [257], [33, 65]];

/** Non-contiguous views: a base shape and the view taken of it. */
const VIEWS: { name: string; base: number[]; view: (t: Tensor) => Tensor }[] = [
  { name: 'transposed (.T)', base: [65, 33], view: (t) => t.T },
  { name: 'permuted', base: [5, 7, 3], view: (t) => t.permute(2, 0, 1) },
  { name: 'sliced with steps', base: [40, 33], view: (t) => t.slice([1, null, 3], [2, null, 2]) },
  { name: 'expanded', base: [33, 1], view: (t) => t.expand(33, 65) },
  { name: 'narrowed and selected', base: [9, 17, 6], view: (t) => t.select(2, 3).narrow(1, 3, 11) },
];

const BROADCASTS: [number[], number[]][] = [
  [[3, 1], [1, 4]],
  [[5, 1, 7], [7]],
  [[], [17]],
  [[33, 65], []],
  [[], []],
];

// ---- hand-checked values ---------------------------------------------------------------------

describe.each(DEVICES)('hand-checked values on %s', (device) => {
  const t = (data: Parameters<typeof wg.tensor>[0], dtype?: DType) => wg.tensor(data, { device, ...(dtype ? { dtype } : {}) });

  it('add broadcasts a row over a matrix: [[1,2],[3,4]] + [10,20] = [[11,22],[13,24]]', async () => {
    const y = t([[1, 2], [3, 4]], 'int32').add(t([10, 20], 'int32'));
    expect(y.dtype).toBe('int32');
    expect(await y.toArray()).toEqual([[11, 22], [13, 24]]);
  });

  it('sub, mul and div of small float tensors', async () => {
    const a = t([1.5, -2, 8]);
    const b = t([0.5, 4, -2], 'float32');
    expect(await a.sub(b).toArray()).toEqual([1, -6, 10]);
    expect(await a.mul(b).toArray()).toEqual([0.75, -8, -16]);
    expect(await a.div(b).toArray()).toEqual([3, -0.5, -4]);
  });

  it('a column [3,1] plus a row [1,4] is their outer sum [3,4]', async () => {
    const y = t([[0], [10], [20]]).add(t([[1, 2, 3, 4]]));
    expect(await y.toArray()).toEqual([[1, 2, 3, 4], [11, 12, 13, 14], [21, 22, 23, 24]]);
  });

  it('neg, abs, relu, square and sign of [-2, -0.5, 0, 3]', async () => {
    const x = t([-2, -0.5, 0, 3]);
    expect(await x.neg().data()).toEqual(new Float32Array([2, 0.5, -0, -3]));
    expect(await x.abs().toArray()).toEqual([2, 0.5, 0, 3]);
    expect(await x.relu().toArray()).toEqual([0, 0, 0, 3]);
    expect(await x.square().toArray()).toEqual([4, 0.25, 0, 9]);
    expect(await x.sign().toArray()).toEqual([-1, -1, 0, 1]);
  });

  it('exp, log, sqrt and rsqrt of exact cases', async () => {
    expect(await t([0]).exp().toArray()).toEqual([1]);
    expect(await t([1]).log().toArray()).toEqual([0]);
    expect(await t([4, 9, 0.25]).sqrt().toArray()).toEqual([2, 3, 0.5]);
    const r = await values(t([4, 0.25, 16]).rsqrt());
    expect(relErr(r, [0.5, 2, 0.25])).toBeLessThan(1e-6);
  });

  it('sin, cos, tanh and sigmoid at 0', async () => {
    const z = t([0], 'float32');
    expect(await z.sin().toArray()).toEqual([0]);
    expect(await z.cos().toArray()).toEqual([1]);
    expect(await z.tanh().toArray()).toEqual([0]);
    expect(await z.sigmoid().toArray()).toEqual([0.5]);
  });

  it('pow: positive bases, negative bases with integer exponents, x ** 0 = 1', async () => {
    const y = t([2, -2, -2, 9, -3, 0], 'float32').pow(t([3, 3, -2, 0.5, 0, 2], 'float32'));
    expect(relErr(await values(y), [8, -8, 0.25, 3, 1, 0])).toBeLessThan(1e-6);
  });

  it('maximum and minimum pick per element', async () => {
    const a = t([1, 5, -3]);
    const b = t([4, 2, -3]);
    expect(await a.maximum(b).toArray()).toEqual([4, 5, -3]);
    expect(await a.minimum(b).toArray()).toEqual([1, 2, -3]);
  });

  it('comparisons of [1, 2, 3] with 2 give bool masks', async () => {
    const x = t([1, 2, 3]);
    expect(x.eq(2).dtype).toBe('bool');
    expect(await x.eq(2).toArray()).toEqual([false, true, false]);
    expect(await x.ne(2).toArray()).toEqual([true, false, true]);
    expect(await x.lt(2).toArray()).toEqual([true, false, false]);
    expect(await x.le(2).toArray()).toEqual([true, true, false]);
    expect(await x.gt(2).toArray()).toEqual([false, false, true]);
    expect(await x.ge(2).toArray()).toEqual([false, true, true]);
  });

  it('where picks from a where the mask is true and from b elsewhere', async () => {
    const y = wg.where(t([true, false, true]), t([1, 2, 3]), t([10, 20, 30]));
    expect(await y.toArray()).toEqual([1, 20, 3]);
  });

  it('clamp(-1, 1) limits [-3, -0.5, 0.5, 3] to [-1, -0.5, 0.5, 1]', async () => {
    expect(await t([-3, -0.5, 0.5, 3]).clamp(-1, 1).toArray()).toEqual([-1, -0.5, 0.5, 1]);
  });
});

// ---- unary ops on random inputs -----------------------------------------------------------

describe.each(DEVICES)('unary ops on %s match the float64 host reference', (device) => {
  async function checkUnary(op: UnaryOp, xc: Tensor, xd: Tensor): Promise<void> {
    const out = xd[op]();
    const cpuOut = xc[op]();
    const ref = Array.from(await xc.data(), HOST_UNARY[op]);
    expect(out.shape).toEqual(xc.shape);
    expect(out.dtype).toBe('float32');
    await check(out, hostTensor(ref, xc.shape, 'float32'), cpuOut, EXACT_UNARY.has(op));
  }

  describe.each(UNARY_OPS)('%s', (op) => {
    it('on odd sizes 1, 3, 17, 65, 257 and 33x65', async () => {
      for (const shape of SIZES) {
        const [xc, xd] = pair(shape, device, unaryDomain(op));
        await checkUnary(op, xc, xd);
      }
    });

    it.each(VIEWS)('on a non-contiguous input: $name', async ({ base, view }) => {
      const [xc, xd] = pair(base, device, unaryDomain(op));
      const vd = view(xd);
      expect(vd.isContiguous()).toBe(false);
      await checkUnary(op, view(xc), vd);
    });

    it('on an empty [0, 3] tensor gives an empty [0, 3] tensor', async () => {
      const y = wg.zeros([0, 3], { device })[op]();
      expect(y.shape).toEqual([0, 3]);
      expect(y.dtype).toBe('float32');
      expect(await y.data()).toHaveLength(0);
    });

    it('on a 0-d tensor gives a 0-d tensor', async () => {
      const x = wg.tensor(op === 'log' || op === 'sqrt' || op === 'rsqrt' ? 2.25 : -0.75, { device });
      const y = x[op]();
      expect(y.shape).toEqual([]);
      expect(relErr([await y.item()], [f32(HOST_UNARY[op](await x.item()))])).toBeLessThan(TOL);
    });
  });

  // Near 0 the naive forms lose everything: in float32 log(1 + 1e-7) is 1.19e-7 and
  // exp(1e-7) - 1 is 1.19e-7 (19% off). Expected values are float64 (float32 inputs).
  const NEAR_0 = [1e-7, -1e-7, 3e-6, -2e-5, 1e-4, -5e-4, 1e-3, -0.01, 0.05, -0.2, 0.3, 0.499, -0.5];
  const BEYOND = [0.51, -0.51, -0.6, 0.9, 1.1, 2, -0.9, 5];
  it.each([
    ['log1p', Math.log1p],
    ['expm1', Math.expm1],
  ] as const)('%s is accurate to 1e-7 relative near 0 (|x| from 1e-7 to 0.5), to 3e-7 beyond', async (op, exact) => {
    for (const [list, tol] of [[NEAR_0, 1e-7], [BEYOND, 3e-7]] as const) {
      const v = Float32Array.from(list);
      const y = await values(wg.tensor(v, { device })[op]());
      y.forEach((g, i) => {
        const e = exact(v[i]!);
        expect(Math.abs(g - e) / Math.abs(e), `${op}(${v[i]}) = ${g}, expected ${e}`).toBeLessThan(tol);
      });
    }
  });

  it('log1p(-1) = -inf, log1p(-2) = NaN, expm1(-inf) = -1, expm1(inf) = inf', async () => {
    expect(Array.from(await values(wg.tensor([-1, -2], { device }).log1p()))).toEqual([-Infinity, NaN]);
    expect(Array.from(await values(wg.tensor([-Infinity, Infinity], { device }).expm1()))).toEqual([-1, Infinity]);
  });

  it('round takes halves to the even neighbour, as torch.round: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -0.5 -> -0, -1.5 -> -2', async () => {
    const y = await values(wg.tensor([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, 0.49999997, 2.5000002], { device }).round());
    expect(Array.from(y)).toEqual([0, 2, 2, 4, -0, -2, -2, 0, 3]);
    expect(Object.is(y[4], -0)).toBe(true);
  });

  it('round, floor, ceil and trunc keep inf, -inf and NaN, and the sign of -0.25', async () => {
    const x = wg.tensor([Infinity, -Infinity, NaN, -0.25], { device });
    expect(Array.from(await values(x.round()))).toEqual([Infinity, -Infinity, NaN, -0]);
    expect(Array.from(await values(x.floor()))).toEqual([Infinity, -Infinity, NaN, -1]);
    expect(Array.from(await values(x.ceil()))).toEqual([Infinity, -Infinity, NaN, -0]);
    expect(Array.from(await values(x.trunc()))).toEqual([Infinity, -Infinity, NaN, -0]);
  });

  it('round({ decimals }) rounds the scaled value half to even: 1.2345 -> 1.23, 0.125 -> 0.12; -1: 25 -> 20, 1234.5 -> 1230', async () => {
    expect(relErr(await values(wg.tensor([1.2345, 0.125, -2.675], { device }).round({ decimals: 2 })), [1.23, 0.12, -2.68])).toBeLessThan(1e-6);
    expect(Array.from(await values(wg.tensor([25, 1234.5, -35], { device }).round({ decimals: -1 })))).toEqual([20, 1230, -40]);
  });

  it('floor, ceil and trunc part ways on negative numbers: -1.5 -> -2, -1, -1', async () => {
    const x = wg.tensor([-1.5, 1.5], { device });
    expect(Array.from(await values(x.floor()))).toEqual([-2, 1]);
    expect(Array.from(await values(x.ceil()))).toEqual([-1, 2]);
    expect(Array.from(await values(x.trunc()))).toEqual([-1, 1]);
  });

  it.each(['round', 'floor', 'ceil', 'trunc'] as const)('%s of int32 gives the same values as int32, as PyTorch', async (op) => {
    const y = wg.tensor(Int32Array.from([1, -2, 2147483647, -2147483648]), { device })[op]();
    expect(y.dtype).toBe('int32');
    expect(Array.from(await values(y))).toEqual([1, -2, 2147483647, -2147483648]);
  });

  it('tanh is accurate near 0 (no cancellation in 1 - exp(-2|x|))', async () => {
    const v = Float32Array.from([1e-7, -1e-6, 1e-5, -3e-5, 1e-4, 5e-4, -1e-3, 3e-3, 0.01, -0.05, 0.1, 0.2, 0.249, 0.251, -0.3]);
    const y = await values(wg.tensor(v, { device }).tanh());
    y.forEach((g, i) => {
      const e = Math.tanh(v[i]!);
      expect(Math.abs(g - e) / Math.abs(e), `tanh(${v[i]}) = ${g}, expected ${e}`).toBeLessThan(2e-6);
    });
  });

  it('tanh and sigmoid of +-100 are finite and saturate to exactly -1, 1 and 1 (0 up to float32 subnormals)', async () => {
    const x = wg.tensor([-100, 100], { device, dtype: 'float32' });
    expect(await x.tanh().toArray()).toEqual([-1, 1]);
    const [lo, hi] = await values(x.sigmoid());
    expect(hi).toBe(1);
    // exp(-100) / (1 + exp(-100)) = 3.8e-44 is a float32 subnormal: the cpu stores it, a GPU may
    // flush it to 0 (WGSL allows either). Both are 0 to float32's normal precision.
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(lo).toBeLessThan(1.2e-38);
  });

  it('tanh and sigmoid of large logits (+-20 .. +-1e4) stay finite and in range', async () => {
    const v = [-1e4, -500, -88, -20, 20, 88, 500, 1e4];
    const x = wg.tensor(v, { device, dtype: 'float32' });
    const th = await values(x.tanh());
    const sg = await values(x.sigmoid());
    expect(th).toEqual(v.map((s) => Math.sign(s)));
    sg.forEach((s, i) => {
      expect(Number.isFinite(s)).toBe(true);
      expect(Math.abs(s - (v[i]! > 0 ? 1 : 0))).toBeLessThan(3e-9);
    });
  });

  it('sign of 0 is 0 and of +-inf is +-1', async () => {
    expect(await wg.tensor(new Float32Array([0, Infinity, -Infinity, 2.5e-3]), { device }).sign().toArray()).toEqual([0, 1, -1, 1]);
  });
});

// ---- binary ops on random inputs --------------------------------------------------------------

describe.each(DEVICES)('binary ops on %s match the float64 host reference', (device) => {
  describe.each([...ARITH_OPS, ...CMP_OPS])('%s', (op) => {
    it('on odd sizes 1, 3, 17, 65, 257 and 33x65', async () => {
      for (const shape of SIZES) await checkBinary(op, ...binaryOperands(op, shape, shape, device));
    });

    it.each(VIEWS)('with non-contiguous operands: $name', async ({ base, view }) => {
      const [ac, bc, ad, bd] = binaryOperands(op, base, base, device);
      // a is the view; b is the same view of a transposed copy, so its strides differ from a's.
      const vShape = [...view(ac).shape];
      const [, , , bd2] = binaryOperands(op, vShape, vShape, device);
      const bt = bd2.T.contiguous().T; // same values as bd2, column-major strides
      const btc = await bt.to('cpu');
      expect(view(ad).isContiguous()).toBe(false);
      await checkBinary(op, view(ac), btc, view(ad), bt);
      await checkBinary(op, view(ac), view(bc), view(ad), view(bd));
    });

    it.each(BROADCASTS)('broadcasts %j with %j', async (sa, sb) => {
      await checkBinary(op, ...binaryOperands(op, sa, sb, device));
      await checkBinary(op, ...binaryOperands(op, sb, sa, device));
    });

    it('on empty dims: [0, 3] with [3] and with [0, 1] gives [0, 3]', async () => {
      for (const sb of [[3], [0, 1]]) {
        const y = wg.zeros([0, 3], { device })[op](wg.ones(sb, { device }));
        expect(y.shape).toEqual([0, 3]);
        expect(await y.data()).toHaveLength(0);
      }
    });
  });

  it('pow of negative bases with integer exponents matches the host (signs alternate)', async () => {
    const n = 257;
    const a = Float32Array.from({ length: n }, () => -(0.1 + 2.9 * rng()));
    const b = Float32Array.from({ length: n }, () => Math.floor(-4 + 9 * rng()));
    const ac = wg.tensor(a);
    const bc = wg.tensor(b);
    await checkBinary('pow', ac, bc, wg.tensor(a, { device }), wg.tensor(b, { device }));
    const signs = await values(wg.tensor(a, { device }).pow(wg.tensor(b, { device })).sign());
    expect(signs).toEqual(Array.from(b, (e) => (e % 2 === 0 ? 1 : -1)));
  });

  it('pow of a negative base with a fractional exponent is NaN', async () => {
    const y = await values(wg.tensor([-8, -2], { device, dtype: 'float32' }).pow(wg.tensor([1 / 3, 0.5], { device })));
    expect(y.every(Number.isNaN)).toBe(true);
  });

  it('division by zero gives +-inf and 0/0 gives NaN', async () => {
    const y = await values(wg.tensor([1, -1, 0], { device, dtype: 'float32' }).div(0));
    expect(y.slice(0, 2)).toEqual([Infinity, -Infinity]);
    expect(y[2]).toBeNaN();
  });

  it('maximum and minimum propagate NaN from either side (as PyTorch does)', async () => {
    const a = wg.tensor(new Float32Array([NaN, 1, 2, NaN, -Infinity]), { device });
    const b = wg.tensor(new Float32Array([1, NaN, 3, NaN, 0]), { device });
    const mx = await values(a.maximum(b));
    const mn = await values(a.minimum(b));
    expect(mx.slice(0, 2).every(Number.isNaN) && Number.isNaN(mx[3])).toBe(true);
    expect(mn.slice(0, 2).every(Number.isNaN) && Number.isNaN(mn[3])).toBe(true);
    expect([mx[2], mx[4], mn[2], mn[4]]).toEqual([3, 0, 2, -Infinity]);
  });

  it('comparisons with NaN are false except ne', async () => {
    const a = wg.tensor(new Float32Array([NaN, NaN, 1]), { device });
    const b = wg.tensor(new Float32Array([NaN, 1, NaN]), { device });
    for (const op of ['eq', 'lt', 'le', 'gt', 'ge'] as const) expect(await a[op](b).toArray(), op).toEqual([false, false, false]);
    expect(await a.ne(b).toArray()).toEqual([true, true, true]);
  });
});

// ---- int32 ---------------------------------------------------------------------------------

const I32_MAX = 2147483647;
const I32_MIN = -2147483648;

describe.each(DEVICES)('int32 arithmetic on %s is exact', (device) => {
  const ints = (v: number[]) => wg.tensor(Int32Array.from(v), { device });

  it.each([
    ['add', (a: number, b: number) => (a + b) | 0],
    ['sub', (a: number, b: number) => (a - b) | 0],
    ['mul', (a: number, b: number) => Math.imul(a, b)],
    ['maximum', Math.max],
    ['minimum', Math.min],
  ] as const)('%s of random int32 tensors (257 elements) equals the host result', async (op, f) => {
    const [ac, ad] = pair([257], device, { dtype: 'int32', low: -50000, high: 50000 });
    const [bc, bd] = pair([257], device, { dtype: 'int32', low: -50000, high: 50000 });
    const y = ad[op](bd);
    expect(y.dtype).toBe('int32');
    const [av, bv] = [await ac.data(), await bc.data()];
    await expectEqual(y, wg.tensor(Int32Array.from(av, (a, i) => f(a, bv[i]!))));
  });

  it.each([
    ['neg', (x: number) => -x | 0],
    ['abs', (x: number) => Math.abs(x) | 0],
    ['square', (x: number) => Math.imul(x, x)],
    ['relu', (x: number) => Math.max(x, 0)],
    ['sign', (x: number) => Math.sign(x)],
  ] as const)('%s of a random int32 tensor stays int32 and equals the host result', async (op, f) => {
    const [xc, xd] = pair([65, 3], device, { dtype: 'int32', low: -60000, high: 60000 });
    const y = xd.T[op]();
    expect(y.dtype).toBe('int32');
    await expectEqual(y, wg.tensor(Int32Array.from(await xc.T.data(), f), { shape: [3, 65] }));
  });

  it('add wraps around on overflow: MAX + 1 = MIN, MIN - 1 = MAX', async () => {
    expect(await ints([I32_MAX, I32_MAX, I32_MIN]).add(ints([1, I32_MAX, I32_MIN])).toArray()).toEqual([I32_MIN, -2, 0]);
    expect(await ints([I32_MIN, 0]).sub(ints([1, I32_MIN])).toArray()).toEqual([I32_MAX, I32_MIN]);
    expect(await ints([I32_MAX]).add(1).toArray()).toEqual([I32_MIN]);
  });

  it('mul wraps around on overflow: 65536 * 65536 = 0, 46341 * 46341 = -2147479015', async () => {
    const y = ints([65536, 46341, I32_MAX, I32_MIN, 123456789]).mul(ints([65536, 46341, 2, -1, 987654321]));
    expect(await y.toArray()).toEqual([0, -2147479015, -2, I32_MIN, Math.imul(123456789, 987654321)]);
  });

  it('neg and abs of MIN wrap to MIN; square of 46341 wraps', async () => {
    const x = ints([I32_MIN, 46341]);
    expect(await x.neg().toArray()).toEqual([I32_MIN, -46341]);
    expect(await x.abs().toArray()).toEqual([I32_MIN, 46341]);
    expect(await x.square().toArray()).toEqual([0, -2147479015]);
  });

  it('pow of int32 by non-negative int32 exponents is exact and wraps', async () => {
    const y = ints([2, 3, -2, 7, 0, 5, 3]).pow(ints([10, 4, 3, 0, 0, 1, 21]));
    expect(y.dtype).toBe('int32');
    expect(await y.toArray()).toEqual([1024, 81, -8, 1, 1, 5, 1870418611 /* 3 ** 21 mod 2 ** 32 */]);
  });

  it('comparisons of int32 near the limits are exact (no float rounding)', async () => {
    const a = ints([I32_MAX, I32_MAX - 1, 16777217]);
    const b = ints([I32_MAX - 1, I32_MAX - 1, 16777216]);
    expect(await a.gt(b).toArray()).toEqual([true, false, true]);
    expect(await a.eq(b).toArray()).toEqual([false, true, false]);
  });

  it('broadcasts int32 [5,1,7] with [7] and with a 0-d int32 exactly', async () => {
    const [ac, ad] = pair([5, 1, 7], device, { dtype: 'int32', low: -1000, high: 1000 });
    const [bc, bd] = pair([7], device, { dtype: 'int32', low: -1000, high: 1000 });
    const av = await ac.data();
    const bv = await bc.data();
    const y = ad.mul(bd);
    await expectEqual(y, wg.tensor(Int32Array.from(av, (a, i) => a * bv[i % 7]!), { shape: [5, 1, 7] }));
    const z = ad.sub(wg.tensor(-3, { device, dtype: 'int32' }));
    await expectEqual(z, wg.tensor(Int32Array.from(av, (a) => a + 3), { shape: [5, 1, 7] }));
  });
});

// ---- dtype rules and scalar operands ------------------------------------------------------------

describe.each(DEVICES)('type promotion on %s', (device) => {
  const ints = (v: number[]) => wg.tensor(Int32Array.from(v), { device });
  const floats = (v: number[]) => wg.tensor(Float32Array.from(v), { device });
  const bools = (v: boolean[]) => wg.tensor(v, { device });

  it('int32 + float32 is float32 (either order)', async () => {
    const a = ints([1, 2, 3]);
    const b = floats([0.5, 0.25, -4]);
    for (const y of [a.add(b), b.add(a)]) {
      expect(y.dtype).toBe('float32');
      expect(await y.toArray()).toEqual([1.5, 2.25, -1]);
    }
  });

  it('int32 / int32 is float32 true division: [7, -7, 1] / [2, 2, 3]', async () => {
    const y = ints([7, -7, 1]).div(ints([2, 2, 3]));
    expect(y.dtype).toBe('float32');
    expect(await y.data()).toEqual(Float32Array.from([3.5, -3.5, 1 / 3]));
  });

  it('int32 / integer scalar is float32 too', async () => {
    const y = ints([1, 2]).div(4);
    expect(y.dtype).toBe('float32');
    expect(await y.toArray()).toEqual([0.25, 0.5]);
  });

  it('comparisons return bool for float32, int32 and mixed operands', async () => {
    const mixed = ints([1, 2, 3]).lt(floats([1.5, 1.5, 1.5]));
    expect(mixed.dtype).toBe('bool');
    expect(await mixed.toArray()).toEqual([true, false, false]);
    expect(ints([1, 2]).eq(ints([1, 3])).dtype).toBe('bool');
    expect(floats([1]).ge(1).dtype).toBe('bool');
  });

  it('a fractional scalar compares against int32 without truncation: [1, 2] > 1.5 = [false, true]', async () => {
    expect(await ints([1, 2]).gt(1.5).toArray()).toEqual([false, true]);
  });

  it.each(['exp', 'log', 'log1p', 'expm1', 'sqrt', 'rsqrt', 'sin', 'cos', 'tanh', 'sigmoid'] as const)('%s of int32 is float32', async (op) => {
    const y = ints([1, 4, 9])[op]();
    expect(y.dtype).toBe('float32');
    expect(relErr(await values(y), [1, 4, 9].map(HOST_UNARY[op]))).toBeLessThan(TOL);
  });

  it('exp of bool is float32: [true, false] -> [e, 1]', async () => {
    const y = bools([true, false]).exp();
    expect(y.dtype).toBe('float32');
    expect(relErr(await values(y), [Math.E, 1])).toBeLessThan(1e-6);
  });

  it.each(['neg', 'abs', 'square', 'sign', 'relu'] as const)('%s keeps int32', (op) => {
    expect(ints([1, -2])[op]().dtype).toBe('int32');
  });

  it('an integer scalar keeps an int32 tensor int32: [1, 2] * 3 = [3, 6]', async () => {
    const y = ints([1, 2]).mul(3);
    expect(y.dtype).toBe('int32');
    expect(await y.toArray()).toEqual([3, 6]);
  });

  it('a fractional scalar makes an int32 tensor float32: [1, 2] + 0.5 = [1.5, 2.5]', async () => {
    const y = ints([1, 2]).add(0.5);
    expect(y.dtype).toBe('float32');
    expect(await y.toArray()).toEqual([1.5, 2.5]);
  });

  it('an integer scalar keeps a float32 tensor float32: [0.5] + 2 = [2.5]', async () => {
    const y = floats([0.5]).add(2);
    expect(y.dtype).toBe('float32');
    expect(await y.toArray()).toEqual([2.5]);
  });

  it('a boolean scalar takes the tensor dtype: int32 [1, 2] + true = [2, 3] (int32)', async () => {
    const y = ints([1, 2]).add(true);
    expect(y.dtype).toBe('int32');
    expect(await y.toArray()).toEqual([2, 3]);
  });

  it('bool tensor + integer scalar is int32: [true, false] + 1 = [2, 1]', async () => {
    const y = bools([true, false]).add(1);
    expect(y.dtype).toBe('int32');
    expect(await y.toArray()).toEqual([2, 1]);
  });

  it('a bool mask compares with a boolean scalar: eq(true) picks the true entries', async () => {
    const y = bools([true, false, true]).eq(true);
    expect(y.dtype).toBe('bool');
    expect(await y.toArray()).toEqual([true, false, true]);
  });

  it('bool * float32 is float32 (a mask times values)', async () => {
    const y = bools([true, false, true]).mul(floats([1.5, 2.5, -3]));
    expect(y.dtype).toBe('float32');
    expect(await y.toArray()).toEqual([1.5, 0, -3]);
  });

  it('int32 ** fractional scalar is float32: [4, 9] ** 0.5 = [2, 3]', async () => {
    const y = ints([4, 9]).pow(0.5);
    expect(y.dtype).toBe('float32');
    expect(relErr(await values(y), [2, 3])).toBeLessThan(1e-6);
  });

  it('int32 + float32 matches the cpu on random 33x65 operands', async () => {
    const [ac, ad] = pair([33, 65], device, { dtype: 'int32', low: -100, high: 100 });
    const [bc, bd] = pair([65], device);
    const y = ad.add(bd);
    expect(y.dtype).toBe('float32');
    const [av, bv] = [await ac.data(), await bc.data()];
    await expectClose(y, wg.tensor(Float32Array.from(av, (a, i) => a + bv[i % 65]!), { shape: [33, 65] }), 0);
  });
});

// ---- where --------------------------------------------------------------------------------------

describe.each(DEVICES)('where on %s', (device) => {
  it('matches the host on random 33x65 inputs with non-contiguous operands', async () => {
    const [cc, cd] = pair([65, 33], device);
    const [ac, ad] = pair([100, 65], device);
    const [bc, bd] = pair([33, 1], device);
    const pick = (c: Tensor, a: Tensor, b: Tensor) => wg.where(c.T.gt(0), a.slice([2, null, 3]).slice([0, 33]), b.expand(33, 65));
    const y = pick(cd, ad, bd);
    expect(y.shape).toEqual([33, 65]);
    expect(y.dtype).toBe('float32');
    const [cv, av, bv] = [await cc.T.data(), await ac.slice([2, null, 3]).slice([0, 33]).data(), await bc.expand(33, 65).data()];
    await expectEqual(y, wg.tensor(Float32Array.from(cv, (c, i) => (c > 0 ? av[i]! : bv[i]!)), { shape: [33, 65] }));
    if (device !== 'cpu') await expectEqual(y, pick(cc, ac, bc));
  });

  it('broadcasts cond [3,1], a [1,4] and a 0-d b to [3,4]', async () => {
    const c = wg.tensor([[true], [false], [true]], { device });
    const a = wg.tensor([[1, 2, 3, 4]], { device });
    const b = wg.tensor(-1, { device });
    expect(await wg.where(c, a, b).toArray()).toEqual([[1, 2, 3, 4], [-1, -1, -1, -1], [1, 2, 3, 4]]);
  });

  it('takes a scalar branch: where(mask, x, 0) keeps x float32', async () => {
    const y = wg.where(wg.tensor([true, false], { device }), wg.tensor([1.5, 2.5], { device }), 0);
    expect(y.dtype).toBe('float32');
    expect(await y.toArray()).toEqual([1.5, 0]);
  });

  it('with two integer scalars gives int32; with a fractional one float32; with booleans bool', async () => {
    const m = wg.tensor([true, false], { device });
    const i = wg.where(m, 1, 0);
    expect(i.dtype).toBe('int32');
    expect(await i.toArray()).toEqual([1, 0]);
    const f = wg.where(m, 1.5, 0);
    expect(f.dtype).toBe('float32');
    expect(await f.toArray()).toEqual([1.5, 0]);
    const b = wg.where(m, false, true);
    expect(b.dtype).toBe('bool');
    expect(await b.toArray()).toEqual([false, true]);
  });

  it('promotes an int32 branch with a float32 branch to float32', async () => {
    const y = wg.where(wg.tensor([true, false], { device }), wg.tensor([1, 2], { device }), wg.tensor([0.5, 0.5], { device }));
    expect(y.dtype).toBe('float32');
    expect(await y.toArray()).toEqual([1, 0.5]);
  });

  it('treats a non-bool condition as a mask: nonzero (NaN included) is true', async () => {
    const c = wg.tensor(new Float32Array([0, 2, -0.5, NaN, -0]), { device });
    expect(await wg.where(c, 1, 0).toArray()).toEqual([0, 1, 1, 1, 0]);
    expect(await wg.where(wg.tensor([0, 7, -1], { device }), 1, 0).toArray()).toEqual([0, 1, 1]);
  });

  it('of an empty [0,3] cond gives an empty result', async () => {
    const y = wg.where(wg.zeros([0, 3], { device }).gt(0), 1, wg.ones([3], { device }));
    expect(y.shape).toEqual([0, 3]);
    expect(await y.data()).toHaveLength(0);
  });
});

// ---- clamp --------------------------------------------------------------------------------------

describe.each(DEVICES)('clamp on %s', (device) => {
  it('matches the host on random 257 and non-contiguous 33x65 inputs', async () => {
    const [xc, xd] = pair([257], device, { low: -3, high: 3 });
    await expectEqual(xd.clamp(-1, 0.5), wg.tensor(Float32Array.from(await xc.data(), (x) => Math.min(Math.max(x, -1), 0.5))));
    const [yc, yd] = pair([65, 33], device, { low: -3, high: 3 });
    await expectEqual(yd.T.clamp(-0.25, 2), wg.tensor(Float32Array.from(await yc.T.data(), (x) => Math.min(Math.max(x, -0.25), 2)), { shape: [33, 65] }));
    if (device !== 'cpu') await expectEqual(yd.T.clamp(-0.25, 2), yc.T.clamp(-0.25, 2));
  });

  it('with only a min or only a max bounds one side', async () => {
    const x = wg.tensor([-2, 0, 2], { device, dtype: 'float32' });
    expect(await x.clamp(-1).toArray()).toEqual([-1, 0, 2]);
    expect(await x.clamp(null, 1).toArray()).toEqual([-2, 0, 1]);
    expect(await x.clamp(undefined, 1).toArray()).toEqual([-2, 0, 1]);
  });

  it('takes tensor bounds that broadcast: [2,3] between [3] and a 0-d', async () => {
    const x = wg.tensor([[-5, 0, 5], [1, 2, 3]], { device });
    const y = x.clamp(wg.tensor([-1, 1, 2], { device }), wg.tensor(2, { device }));
    expect(await y.toArray()).toEqual([[-1, 1, 2], [1, 2, 2]]);
  });

  it('keeps int32 with integer bounds, and is float32 with a fractional bound', async () => {
    const x = wg.tensor([-3, 0, 3], { device, dtype: 'int32' });
    const i = x.clamp(-1, 1);
    expect(i.dtype).toBe('int32');
    expect(await i.toArray()).toEqual([-1, 0, 1]);
    const f = x.clamp(-0.5, 2.5);
    expect(f.dtype).toBe('float32');
    expect(await f.toArray()).toEqual([-0.5, 0, 2.5]);
  });

  it('passes NaN through (as PyTorch does)', async () => {
    const y = await values(wg.tensor(new Float32Array([NaN, 5]), { device }).clamp(-1, 1));
    expect(y[0]).toBeNaN();
    expect(y[1]).toBe(1);
  });

  it('throws without bounds and when min > max', () => {
    const x = wg.ones([2], { device });
    expect(() => x.clamp()).toThrow(/clamp: at least one of min and max/);
    expect(() => x.clamp(1, -1)).toThrow(/clamp: min \(1\) must not exceed max \(-1\)/);
  });
});

// ---- cast -------------------------------------------------------------------------------------------

describe.each(DEVICES)('cast on %s', (device) => {
  it('float32 -> int32 truncates toward zero', async () => {
    const y = wg.tensor(new Float32Array([2.7, -2.7, 0.5, -0.5, 3, -1e9, 1e9]), { device }).cast('int32');
    expect(y.dtype).toBe('int32');
    expect(await y.toArray()).toEqual([2, -2, 0, 0, 3, -1e9, 1e9]);
  });

  it('float32 -> int32 saturates below the int32 range', async () => {
    const y = wg.tensor(new Float32Array([-3e9, -Infinity]), { device }).int();
    expect(await y.toArray()).toEqual([I32_MIN, I32_MIN]);
  });

  it('int32 -> float32 is exact below 2^24 and rounds to nearest even above', async () => {
    const y = wg.tensor(Int32Array.from([0, -5, 16777215, 16777217, 16777219, I32_MAX]), { device }).float();
    expect(y.dtype).toBe('float32');
    expect(await y.toArray()).toEqual([0, -5, 16777215, 16777216, 16777220, 2147483648]);
  });

  it('float32 -> bool: nonzero is true, +-0 is false, NaN and inf are true', async () => {
    const y = wg.tensor(new Float32Array([0, -0, 1e-30, -2, NaN, Infinity]), { device }).cast('bool');
    expect(y.dtype).toBe('bool');
    expect(await y.toArray()).toEqual([false, false, true, true, true, true]);
  });

  it('int32 -> bool: nonzero is true', async () => {
    expect(await wg.tensor([0, 1, -1, I32_MIN], { device }).cast('bool').toArray()).toEqual([false, true, true, true]);
  });

  it('bool -> float32 and bool -> int32 give 1 and 0', async () => {
    const b = wg.tensor([true, false, true], { device });
    const f = b.float();
    const i = b.int();
    expect([f.dtype, i.dtype]).toEqual(['float32', 'int32']);
    expect(await f.data()).toEqual(new Float32Array([1, 0, 1]));
    expect(await i.data()).toEqual(new Int32Array([1, 0, 1]));
  });

  it('round trips int32 -> float32 -> int32 and bool -> int32 -> bool', async () => {
    const x = wg.tensor([-7, 0, 123456], { device, dtype: 'int32' });
    await expectEqual(x.float().int(), x);
    const m = wg.tensor([true, false], { device });
    await expectEqual(m.int().cast('bool'), m);
  });

  it('to the same dtype returns the tensor itself', () => {
    const x = wg.ones([2], { device });
    expect(x.cast('float32')).toBe(x);
  });

  it('of a non-contiguous view converts the viewed elements', async () => {
    const x = wg.tensor([[1.5, -2.5, 3.5], [4.5, -5.5, 0]], { device });
    const y = x.T.slice([null, null, 2]).int();
    expect(y.shape).toEqual([2, 2]);
    expect(await y.toArray()).toEqual([[1, 4], [3, 0]]);
  });

  it('matches the cpu on random float32 -> int32 and -> bool over 33x65', async () => {
    const [xc, xd] = pair([33, 65], device, { low: -100, high: 100 });
    const v = await xc.data();
    await expectEqual(xd.int(), wg.tensor(Int32Array.from(v, Math.trunc), { shape: [33, 65] }));
    await expectEqual(xd.gt(0).int().cast('bool'), wg.tensor(Uint8Array.from(v, (x) => +(x > 0)), { shape: [33, 65] }));
  });
});

describe.each(DEVICES)('float32 -> int32 casts at the edges on %s', (device) => {
  it('truncate toward zero, clamp out-of-range values, and map NaN to 0, identically on every backend', async () => {
    const x = wg.tensor(new Float32Array([2.9, -2.9, 3e9, -3e9, NaN, 2147483520]), { device });
    // 2147483520 is the largest float32 below 2^31: where WGSL's i32(f32) clamps.
    expect(Array.from(await x.cast('int32').data())).toEqual([2, -2, 2147483520, -2147483648, 0, 2147483520]);
  });
});

describe.each(DEVICES)('bool arithmetic on %s', (device) => {
  it('neg of a bool tensor is refused (as PyTorch), pointing to logicalNot', () => {
    expect(() => wg.tensor([true, false], { device }).neg()).toThrow(/^neg: negation of a bool tensor is not supported \(shape \[2\]\); to invert a mask use mask\.logicalNot\(\)/);
  });

  it('sub of two bool tensors is refused (as PyTorch)', () => {
    const m = wg.tensor([true, false], { device });
    expect(() => m.sub(m)).toThrow(/^sub: subtraction of two bool tensors is not supported/);
  });

  it('logicalNot inverts a mask', async () => {
    expect(await wg.tensor([true, false], { device }).logicalNot().toArray()).toEqual([false, true]);
    expect(await wg.tensor([0, 2], { device }).logicalNot().toArray()).toEqual([true, false]);
  });
});

// webgpu only (a 0-d cpu operand next to webgpu tensors needs a second device): skipped only when the run declares no adapter (WEBGRAD_TEST_NO_WEBGPU=1; helpers.ts says so).
describe.skipIf(NO_WEBGPU)('a 0-d cpu tensor next to webgpu tensors', () => {
  it('joins elementwise ops as a scalar (as a 0-d cpu tensor joins CUDA ones in PyTorch)', async () => {
    const x = wg.tensor([1, 2, 3], { device: 'webgpu' });
    const s = wg.tensor(2, { device: 'cpu' });
    const y = x.mul(s);
    expect(y.device).toBe('webgpu');
    expect(await y.toArray()).toEqual([2, 4, 6]);
    expect(await s.sub(x).toArray()).toEqual([1, 0, -1]);
    expect(await wg.where(x.gt(1), s, x).toArray()).toEqual([1, 2, 2]);
    expect(await x.clamp(s).toArray()).toEqual([2, 2, 3]);
  });

  it('keeps its dtype in promotion; float64 becomes float32', async () => {
    const i = wg.tensor([1, 2], { device: 'webgpu', dtype: 'int32' });
    expect(i.add(wg.tensor(0.5, { device: 'cpu' })).dtype).toBe('float32');
    expect(i.add(wg.tensor(1, { device: 'cpu', dtype: 'int32' })).dtype).toBe('int32');
    const d = wg.tensor([1, 2], { device: 'webgpu' }).add(wg.tensor(1, { device: 'cpu', dtype: 'float64' }));
    expect(d.dtype).toBe('float32');
    expect(await d.toArray()).toEqual([2, 3]);
  });

  it('gradients flow to the webgpu operand', async () => {
    const w = wg.tensor([1, 2], { device: 'webgpu', requiresGrad: true });
    w.mul(wg.tensor(3, { device: 'cpu' })).sum().backward();
    expect(await w.grad!.toArray()).toEqual([3, 3]);
  });

  it('refuses a 0-d cpu tensor that requires grad, and any other device mix', () => {
    const x = wg.ones([2], { device: 'webgpu' });
    expect(() => x.mul(wg.tensor(2, { device: 'cpu', requiresGrad: true }))).toThrow(
      /^mul: a 0-d cpu tensor that requires grad cannot join webgpu tensors .*await t\.to\('webgpu'\)/,
    );
    expect(() => x.add(wg.ones([1], { device: 'cpu' }))).toThrow(/^add: all tensors must be on one device, got \[2\] float32 on webgpu and \[1\] float32 on cpu/);
    expect(() => x.matmul(wg.ones([], { device: 'cpu' }))).toThrow(/^matmul: /);
  });
});

// webgpu only (the vec4 layouts are webgpu kernels): skipped only when the run declares no adapter (WEBGRAD_TEST_NO_WEBGPU=1; helpers.ts says so).
describe.skipIf(NO_WEBGPU)('webgpu elementwise layouts four at a time (binary_rows4.wgsl, where_vec4.wgsl)', () => {
  // [a's shape or view, b's shape, rows4?]: a bias over [N, C, H, W], a row vector, a column
  // vector with rows of 8, a scalar column, both operands full; then inner dims of 6 (not a
  // multiple of 4), a row view from column 1 (unaligned), and a column vector (constant along
  // the inner dim) next to a transposed operand.
  type Make = (shape: number[]) => Tensor;
  const cases: [string, (t: Make) => [Tensor, Tensor], boolean][] = [
    ['[3, 5, 4, 4] + [5, 1, 1]', (t) => [t([3, 5, 4, 4]), t([5, 1, 1])], true],
    ['[7, 12] * [12]', (t) => [t([7, 12]), t([12])], true],
    ['[3, 8] - [3, 1]', (t) => [t([3, 8]), t([3, 1])], true],
    ['[2, 3, 8] / [2, 1, 8], rows sliced from column 4', (t) => [t([2, 3, 12]).slice(null, null, [4, 12]), t([2, 1, 8])], true],
    ['[9, 6] + [6]', (t) => [t([9, 6]), t([6])], false],
    ['[5, 8] from column 1 + [8]', (t) => [t([5, 9]).slice(null, [1, 9]), t([8])], false],
    ['[4, 8].T + [8, 1]', (t) => [t([4, 8]).T, t([8, 1])], false],
  ];
  it.each(cases)('%s matches cpu and takes the expected kernel', async (_name, make, rows4) => {
    // The same values on both devices; the views are taken on each (moving a view copies it).
    const on = (device: DeviceName): Make => {
      let k = 0;
      return (shape) => wg.tensor(Array.from({ length: shape.reduce((x, y) => x * y, 1) }, (_, i) => Math.sin(++k * 7.3 + i) * 3), { shape, device });
    };
    const [a, b] = make(on('cpu'));
    const [ag, bg] = make(on('webgpu'));
    for (const op of ['add', 'sub', 'mul', 'div', 'maximum', 'gt'] as const) {
      const files = await traceDispatches(async () => {
        await expectClose(await ag[op](bg).to('cpu'), a[op](b), 1e-6); // (WGSL allows f32 division 2.5 ULP off)
      });
      expect(files.includes('binary_rows4.wgsl:main'), `${op}: ${files.join(', ')}`).toBe(rows4);
    }
  });

  it('where: contiguous operands from multiples of 4 and scalar branches take where_vec4.wgsl; odd offsets and strides do not; all match cpu', async () => {
    const vals = Array.from({ length: 23 }, (_, i) => Math.sin(i * 1.7) * 4);
    const mk = (device: DeviceName) => {
      const x = wg.tensor(vals, { device });
      return { x, c: x.gt(0.5), y: x.mul(-2) };
    };
    const cpu = mk('cpu');
    const gpu = mk('webgpu');
    // [name, build, vec4?]
    const cases: [string, (t: ReturnType<typeof mk>) => Tensor, boolean][] = [
      ['where(c, x, y)', (t) => wg.where(t.c, t.x, t.y), true],
      ['where(c, x, 0) (ReLU\'s gradient)', (t) => wg.where(t.c, t.x, 0), true],
      ['int32 branches', (t) => wg.where(t.c, t.x.cast('int32'), t.y.cast('int32')), true],
      ['bool branches', (t) => wg.where(t.c, t.c, t.x.lt(0)), true],
      ['rows from offset 4', (t) => wg.where(t.c.slice([4, 23]), t.x.slice([4, 23]), t.y.slice([4, 23])), true],
      ['rows from offset 1', (t) => wg.where(t.c.slice([1, 20]), t.x.slice([1, 20]), t.y.slice([2, 21])), false],
      ['a stepped view', (t) => wg.where(t.c.slice([0, 22, 2]), t.x.slice([0, 22, 2]), 1), false],
    ];
    for (const [name, f, vec4] of cases) {
      const files = await traceDispatches(async () => {
        await expectEqual(await f(gpu).to('cpu'), f(cpu));
      });
      expect(files.includes('where_vec4.wgsl:main'), `${name}: ${files.join(', ')}`).toBe(vec4);
    }
  });
});
