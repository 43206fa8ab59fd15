/**
 * Creating tensors and reading them back:
 * - `tensor()` from nested arrays, TypedArrays and scalars, with dtype inference
 *   (JS numbers -> float32 whether integer-valued or not, Int32Array -> int32, booleans -> bool),
 *   and a dtype string as the second argument;
 * - shapes as varargs or one array (`zeros(2, 3)`, `zeros([2, 3])`, `zeros(2, 3, { device })`);
 * - constants and ranges (zeros/ones/full/arange/linspace/eye/zerosLike/onesLike/fullLike);
 * - random draws: `manualSeed` gives the same numbers on cpu, webgpu and wasm, seeds and successive
 *   calls differ, and the distributions are sane over 100k samples;
 * - `.to()` round trips between devices, `toArray()` nesting, `item()`, `data()`.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { DEVICES, NO_WEBGPU, expectClose, expectEqual, relErr, useDevices } from './helpers.js';

useDevices();

async function values(t: Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

function mean(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  return s / v.length;
}
function std(v: ArrayLike<number>): number {
  const m = mean(v);
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i]! - m) ** 2;
  return Math.sqrt(s / (v.length - 1));
}

// ---- tensor() ---------------------------------------------------------------------------------

describe.each(DEVICES)('tensor() on %s', (device) => {
  it('infers float32 from nested arrays of integer-valued numbers (JS has no 1.0 apart from 1), with their shape', async () => {
    const x = wg.tensor([[1, 2, 3], [4, 5, 6]], { device });
    expect(x.dtype).toBe('float32');
    expect(x.shape).toEqual([2, 3]);
    expect(x.device).toBe(device);
    expect(await x.data()).toEqual(new Float32Array([1, 2, 3, 4, 5, 6]));
  });

  it('gives int32 for an Int32Array or { dtype: \'int32\' }', async () => {
    const a = wg.tensor(new Int32Array([1, 2]), { device });
    const b = wg.tensor([[1, 2]], { device, dtype: 'int32' });
    expect([a.dtype, b.dtype]).toEqual(['int32', 'int32']);
    expect(await b.toArray()).toEqual([[1, 2]]);
  });

  it('takes a dtype string as its second argument: tensor([1, 2], \'int32\')', async () => {
    const x = wg.tensor([1, 2], 'int32');
    expect(x.dtype).toBe('int32');
    expect(wg.tensor([1, 2], 'float64').dtype).toBe('float64');
    expect(() => wg.tensor([1], 'half' as never)).toThrow(/^tensor: unknown dtype 'half' \(expected float32, float16, int32, float64, bool, int8 or uint8\)/);
  });

  it('plain integer-valued numbers feed float ops such as softmax', async () => {
    const p = wg.F.softmax(wg.tensor([[1, 2, 3]], { device }), 1);
    expect(p.dtype).toBe('float32');
    expect(Math.abs((await p.sum().item()) - 1)).toBeLessThan(1e-6);
  });

  it('makes a leaf that requires grad from plain integer-valued numbers', async () => {
    const x = wg.tensor([1.0, 2.0], { device, requiresGrad: true });
    expect(x.requiresGrad).toBe(true);
    x.mul(x).sum().backward();
    expect(await x.grad!.toArray()).toEqual([2, 4]);
  });

  it('infers float32 when any number is fractional', async () => {
    const x = wg.tensor([[1, 2], [3, 4.5]], { device });
    expect(x.dtype).toBe('float32');
    expect(await x.data()).toEqual(new Float32Array([1, 2, 3, 4.5]));
  });

  it('infers bool from booleans', async () => {
    const x = wg.tensor([[true, false], [false, true]], { device });
    expect(x.dtype).toBe('bool');
    expect(await x.toArray()).toEqual([[true, false], [false, true]]);
  });

  it('makes 0-d tensors from scalars: 3 -> float32, 2.5 -> float32, true -> bool', async () => {
    const i = wg.tensor(3, { device });
    const f = wg.tensor(2.5, { device });
    const b = wg.tensor(true, { device });
    expect([i.shape, f.shape, b.shape]).toEqual([[], [], []]);
    expect([i.dtype, f.dtype, b.dtype]).toEqual(['float32', 'float32', 'bool']);
    expect([await i.item(), await f.item(), await b.item()]).toEqual([3, 2.5, 1]);
  });

  it('keeps a TypedArray\'s dtype: Float32Array (even integer-valued) -> float32, Int32Array -> int32, Uint8Array -> bool', async () => {
    const f = wg.tensor(new Float32Array([1, 2, 3]), { device });
    const i = wg.tensor(new Int32Array([-1, 2]), { device });
    const b = wg.tensor(new Uint8Array([1, 0, 1]), { device });
    expect([f.dtype, i.dtype, b.dtype]).toEqual(['float32', 'int32', 'bool']);
    expect(f.shape).toEqual([3]);
    expect(await f.toArray()).toEqual([1, 2, 3]);
    expect(await i.toArray()).toEqual([-1, 2]);
    expect(await b.toArray()).toEqual([true, false, true]);
  });

  it('lays a flat TypedArray out in the `shape` option', async () => {
    const x = wg.tensor(Float32Array.from({ length: 6 }, (_, k) => k / 2), { device, shape: [2, 3] });
    expect(x.shape).toEqual([2, 3]);
    expect(await x.toArray()).toEqual([[0, 0.5, 1], [1.5, 2, 2.5]]);
  });

  it('converts to an explicit dtype: float32 from integers, int32 truncates, bool is nonzero (NaN too)', async () => {
    const f = wg.tensor([1, 2], { device, dtype: 'float32' });
    expect(f.dtype).toBe('float32');
    expect(await f.data()).toEqual(new Float32Array([1, 2]));
    expect(await wg.tensor([1.7, -1.7, 0.2], { device, dtype: 'int32' }).toArray()).toEqual([1, -1, 0]);
    expect(await wg.tensor([0, 2, -0.5, NaN], { device, dtype: 'bool' }).toArray()).toEqual([false, true, true, true]);
    expect(await wg.tensor(new Float32Array([0.5, 0]), { device, dtype: 'bool' }).toArray()).toEqual([true, false]);
  });

  it('rounds fractional values to float32 precision', async () => {
    expect(await wg.tensor([0.1, 1 / 3], { device }).toArray()).toEqual([Math.fround(0.1), Math.fround(1 / 3)]);
  });

  it('of [] is an empty float32 [0]; of [[], []] a [2, 0]', async () => {
    const e = wg.tensor([], { device });
    expect(e.shape).toEqual([0]);
    expect(e.dtype).toBe('float32');
    expect(await e.data()).toHaveLength(0);
    expect(wg.tensor([[], []], { device }).shape).toEqual([2, 0]);
  });

  it('copies its input: changing the source array later does not change the tensor', async () => {
    const src = new Float32Array([1, 2, 3]);
    const x = wg.tensor(src, { device });
    src[0] = 100;
    expect(await x.toArray()).toEqual([1, 2, 3]);
  });

  it('throws on ragged nesting and on a shape that does not match the data', () => {
    expect(() => wg.tensor([[1, 2], [3]], { device })).toThrow(/tensor: ragged nested array: expected length 2 at \[1\]/);
    expect(() => wg.tensor([1, 2, 3], { device, shape: [2, 2] })).toThrow(/tensor: shape \[2, 2\] needs 4 values, got 3/);
  });
});

it('tensor() of a Float64Array is float64 on cpu; float64 on webgpu throws naming the dtype', async () => {
  const x = wg.tensor(new Float64Array([0.1, 0.2]));
  expect(x.dtype).toBe('float64');
  expect(await x.toArray()).toEqual([0.1, 0.2]);
  if (!NO_WEBGPU) expect(() => wg.tensor(new Float64Array([1]), { device: 'webgpu' })).toThrow(/float64 is not supported on webgpu/);
});

// ---- constants ----------------------------------------------------------------------------------

describe.each(DEVICES)('constants on %s', (device) => {
  it('zeros and ones default to float32 and take a number or an array shape', async () => {
    const z = wg.zeros([2, 3], { device });
    const o = wg.ones(4, { device });
    expect([z.dtype, o.dtype]).toEqual(['float32', 'float32']);
    expect([z.shape, o.shape]).toEqual([[2, 3], [4]]);
    expect(await z.toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect(await o.toArray()).toEqual([1, 1, 1, 1]);
  });

  it('zeros and ones take a dtype: int32 and bool', async () => {
    const z = wg.zeros([3], { device, dtype: 'int32' });
    const o = wg.ones([2], { device, dtype: 'bool' });
    expect(z.dtype).toBe('int32');
    expect(await z.data()).toEqual(new Int32Array(3));
    expect(o.dtype).toBe('bool');
    expect(await o.toArray()).toEqual([true, true]);
  });

  it('full infers its dtype from the value: 7 -> float32, 2.5 -> float32, true -> bool', async () => {
    const i = wg.full([2], 7, { device });
    const f = wg.full([2], 2.5, { device });
    const b = wg.full([2], true, { device });
    expect([i.dtype, f.dtype, b.dtype]).toEqual(['float32', 'float32', 'bool']);
    expect(await i.toArray()).toEqual([7, 7]);
    expect(await f.toArray()).toEqual([2.5, 2.5]);
    expect(await b.toArray()).toEqual([true, true]);
  });

  it('full with an explicit dtype converts the value: -0.1 as float32, 2.9 as int32 -> 2', async () => {
    expect(await wg.full([2], -0.1, { device }).toArray()).toEqual([Math.fround(-0.1), Math.fround(-0.1)]);
    expect(await wg.full([2], 2.9, { device, dtype: 'int32' }).toArray()).toEqual([2, 2]);
    expect(await wg.full([2], 7, { device, dtype: 'float32' }).data()).toEqual(new Float32Array([7, 7]));
  });

  it('full as bool stores 1 for any nonzero value (0.5, 2, NaN) and 0 for 0', async () => {
    for (const v of [0.5, 2, -3, NaN]) expect(await wg.full([2], v, { device, dtype: 'bool' }).data(), String(v)).toEqual(new Uint8Array([1, 1]));
    expect(await wg.full([2], 0, { device, dtype: 'bool' }).data()).toEqual(new Uint8Array([0, 0]));
  });

  it('full of shape [] is 0-d and of shape [0, 3] is empty', async () => {
    const s = wg.full([], 3, { device });
    expect(s.shape).toEqual([]);
    expect(await s.item()).toBe(3);
    const e = wg.full([0, 3], 1, { device });
    expect(e.shape).toEqual([0, 3]);
    expect(await e.data()).toHaveLength(0);
  });

  it('zeros of an odd size 33x65 is all zero even in a reused (dirty) buffer', async () => {
    const dirty = wg.full([33, 65], 5, { device });
    await dirty.data();
    dirty.dispose();
    const z = wg.zeros([33, 65], { device });
    expect((await values(z)).every((v) => v === 0)).toBe(true);
    expect(z.size).toBe(33 * 65);
  });

  it('invalid shapes throw naming the op', () => {
    expect(() => wg.zeros([2, -1], { device })).toThrow(/zeros: invalid shape \[2, -1\]/);
    expect(() => wg.ones([1.5], { device })).toThrow(/invalid shape/);
  });

  it('zerosLike / onesLike / fullLike follow the shape, dtype and device of their argument', async () => {
    const x = wg.tensor([[1, 2, 3]], { device, dtype: 'int32' });
    const z = wg.zerosLike(x);
    const o = wg.onesLike(x);
    const f = wg.fullLike(x, 9);
    for (const t of [z, o, f]) {
      expect(t.shape).toEqual([1, 3]);
      expect(t.dtype).toBe('int32');
      expect(t.device).toBe(device);
    }
    expect(await z.toArray()).toEqual([[0, 0, 0]]);
    expect(await o.toArray()).toEqual([[1, 1, 1]]);
    expect(await f.toArray()).toEqual([[9, 9, 9]]);
  });

  it('zerosLike / onesLike take a dtype override', async () => {
    const x = wg.tensor([1, 2], { device });
    const o = wg.onesLike(x, { dtype: 'float32' });
    expect(o.dtype).toBe('float32');
    expect(await o.data()).toEqual(new Float32Array([1, 1]));
    expect(wg.zerosLike(x, { dtype: 'bool' }).dtype).toBe('bool');
  });

  it('eye(3) is the 3x3 identity', async () => {
    const e = wg.eye(3, 3, { device });
    expect(e.dtype).toBe('float32');
    expect(await e.toArray()).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    expect(await wg.eye(2, undefined, { device }).toArray()).toEqual([[1, 0], [0, 1]]);
  });

  it('eye(n, m) of a non-square shape has ones on the main diagonal only', async () => {
    expect(await wg.eye(2, 4, { device }).toArray()).toEqual([[1, 0, 0, 0], [0, 1, 0, 0]]);
    expect(await wg.eye(3, 2, { device }).toArray()).toEqual([[1, 0], [0, 1], [0, 0]]);
  });

  it('eye takes a dtype', async () => {
    const e = wg.eye(2, 2, { device, dtype: 'int32' });
    expect(e.dtype).toBe('int32');
    expect(await e.data()).toEqual(new Int32Array([1, 0, 0, 1]));
  });
});

// ---- ranges -------------------------------------------------------------------------------------------

describe.each(DEVICES)('arange and linspace on %s', (device) => {
  it('arange(5) is int32 [0, 1, 2, 3, 4]', async () => {
    const x = wg.arange(5, undefined, 1, { device });
    expect(x.dtype).toBe('int32');
    expect(await x.toArray()).toEqual([0, 1, 2, 3, 4]);
  });

  it('arange(start, end) and arange(start, end, step) exclude end', async () => {
    expect(await wg.arange(2, 7, 1, { device }).toArray()).toEqual([2, 3, 4, 5, 6]);
    expect(await wg.arange(1, 10, 3, { device }).toArray()).toEqual([1, 4, 7]);
  });

  it('a negative step counts down: arange(10, 0, -3) = [10, 7, 4, 1]', async () => {
    expect(await wg.arange(10, 0, -3, { device }).toArray()).toEqual([10, 7, 4, 1]);
  });

  it('a fractional argument gives float32: arange(0, 1, 0.25) = [0, 0.25, 0.5, 0.75]', async () => {
    const x = wg.arange(0, 1, 0.25, { device });
    expect(x.dtype).toBe('float32');
    expect(await x.toArray()).toEqual([0, 0.25, 0.5, 0.75]);
    expect(wg.arange(0, 0.3, 0.1, { device }).shape).toEqual([3]);
  });

  it('arange of 1000 float steps of 0.37 matches the host within float32 precision', async () => {
    const x = wg.arange(-5, 365, 0.37, { device });
    expect(x.shape).toEqual([1000]);
    expect(relErr(await values(x), Array.from({ length: 1000 }, (_, i) => -5 + 0.37 * i))).toBeLessThan(1e-6);
  });

  it('arange with a dtype: arange(4) as float32', async () => {
    const x = wg.arange(4, undefined, 1, { device, dtype: 'float32' });
    expect(x.dtype).toBe('float32');
    expect(await x.data()).toEqual(new Float32Array([0, 1, 2, 3]));
  });

  it('arange(0) and arange(3, 3) are empty', () => {
    expect(wg.arange(0, undefined, 1, { device }).shape).toEqual([0]);
    expect(wg.arange(3, 3, 1, { device }).shape).toEqual([0]);
  });

  it('arange with a zero step or a step away from end throws', () => {
    expect(() => wg.arange(0, 5, 0, { device })).toThrow(/arange: step must be nonzero/);
    expect(() => wg.arange(0, 5, -1, { device })).toThrow(/arange: step -1 goes away from end/);
  });

  it('linspace(0, 1, 5) = [0, 0.25, 0.5, 0.75, 1] as float32', async () => {
    const x = wg.linspace(0, 1, 5, { device });
    expect(x.dtype).toBe('float32');
    expect(await x.toArray()).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });

  it('linspace includes both ends: (-1, 1, 3) and (0, 1, 11)', async () => {
    expect(await wg.linspace(-1, 1, 3, { device }).toArray()).toEqual([-1, 0, 1]);
    const y = await values(wg.linspace(0, 1, 11, { device }));
    expect(y[0]).toBe(0);
    expect(y[10]).toBe(1);
    expect(relErr(y, Array.from({ length: 11 }, (_, i) => i / 10))).toBeLessThan(1e-7);
  });

  it('linspace with 1 step is [start]; with 0 steps is empty', async () => {
    expect(await wg.linspace(3, 7, 1, { device }).toArray()).toEqual([3]);
    expect(wg.linspace(3, 7, 0, { device }).shape).toEqual([0]);
  });

  it('linspace as int32 truncates each value: (0, 10, 5) = [0, 2, 5, 7, 10] (as PyTorch)', async () => {
    const x = wg.linspace(0, 10, 5, { device, dtype: 'int32' });
    expect(x.dtype).toBe('int32');
    expect(await x.toArray()).toEqual([0, 2, 5, 7, 10]);
  });
});

// ---- random -----------------------------------------------------------------------------------------

describe.each(DEVICES)('random draws on %s', (device) => {
  it('rand is float32 uniform on [0, 1): mean ~0.5, variance ~1/12 over 100k samples', async () => {
    wg.manualSeed(1);
    const x = wg.rand([100, 1000], { device });
    expect(x.dtype).toBe('float32');
    expect(x.shape).toEqual([100, 1000]);
    const v = await x.data();
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThan(1);
    // Standard errors: mean 0.0009, std 0.0006; tolerances are about 10 of them.
    expect(Math.abs(mean(v) - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(std(v) - Math.sqrt(1 / 12))).toBeLessThan(0.006);
  });

  it('rand with low/high is uniform on [low, high)', async () => {
    wg.manualSeed(2);
    const v = await wg.rand([10000], { device, low: -3, high: 5 }).data();
    expect(Math.min(...v)).toBeGreaterThanOrEqual(-3);
    expect(Math.max(...v)).toBeLessThan(5);
    expect(Math.abs(mean(v) - 1)).toBeLessThan(0.1);
  });

  it('randn has mean ~0 and std ~1 over 100k samples', async () => {
    wg.manualSeed(3);
    const x = wg.randn([100000], { device });
    expect(x.dtype).toBe('float32');
    const v = await x.data();
    expect(v.every(Number.isFinite)).toBe(true);
    // Standard errors: mean 0.0032, std 0.0022; tolerances are about 6-9 of them.
    expect(Math.abs(mean(v))).toBeLessThan(0.02);
    expect(Math.abs(std(v) - 1)).toBeLessThan(0.02);
    // About 68.3% within one std, 95.4% within two.
    const within = (k: number) => v.filter((s) => Math.abs(s) < k).length / v.length;
    expect(Math.abs(within(1) - 0.6827)).toBeLessThan(0.01);
    expect(Math.abs(within(2) - 0.9545)).toBeLessThan(0.005);
  });

  it('randn with mean and std shifts and scales', async () => {
    wg.manualSeed(4);
    const v = await wg.randn([50000], { device, mean: 10, std: 0.5 }).data();
    expect(Math.abs(mean(v) - 10)).toBeLessThan(0.02);
    expect(Math.abs(std(v) - 0.5)).toBeLessThan(0.02);
  });

  it('randint is int32 within [low, high) and hits every value of a small range', async () => {
    wg.manualSeed(5);
    const x = wg.randint(-2, 3, [1000], { device });
    expect(x.dtype).toBe('int32');
    const v = await values(x);
    expect(Math.min(...v)).toBe(-2);
    expect(Math.max(...v)).toBe(2);
    expect(new Set(v)).toEqual(new Set([-2, -1, 0, 1, 2]));
    // Each of the 5 values about 200 times.
    for (let k = -2; k <= 2; k++) expect(Math.abs(v.filter((s) => s === k).length - 200)).toBeLessThan(60);
  });

  it('randint over the whole int32 range (2^32 values) stays in range and reaches both halves', async () => {
    wg.manualSeed(6);
    const v = await values(wg.randint(-(2 ** 31), 2 ** 31, [1000], { device }));
    expect(v.every((s) => Number.isInteger(s) && s >= -(2 ** 31) && s < 2 ** 31)).toBe(true);
    expect(v.some((s) => s < -(2 ** 30))).toBe(true);
    expect(v.some((s) => s > 2 ** 30)).toBe(true);
  });

  it('randint with low >= high throws', () => {
    expect(() => wg.randint(3, 3, [2], { device })).toThrow(/randint: need integers low < high/);
    expect(() => wg.randint(0, 2.5, [2], { device })).toThrow(/randint: high must be an integer, got 2\.5/);
  });

  it('the same seed gives the same numbers again on the same device', async () => {
    wg.manualSeed(123);
    const a = await wg.rand([257], { device }).data();
    const b = await wg.randn([65], { device }).data();
    wg.manualSeed(123);
    expect(await wg.rand([257], { device }).data()).toEqual(a);
    expect(await wg.randn([65], { device }).data()).toEqual(b);
  });

  it('different seeds give different numbers', async () => {
    wg.manualSeed(7);
    const a = await values(wg.rand([100], { device }));
    wg.manualSeed(8);
    const b = await values(wg.rand([100], { device }));
    expect(a.filter((s, i) => s === b[i]).length).toBeLessThan(3);
  });

  it('successive calls give different numbers (rand, randn, randint)', async () => {
    wg.manualSeed(9);
    const [r1, r2] = [await values(wg.rand([100], { device })), await values(wg.rand([100], { device }))];
    expect(r1.filter((s, i) => s === r2[i]).length).toBeLessThan(3);
    const [n1, n2] = [await values(wg.randn([100], { device })), await values(wg.randn([100], { device }))];
    expect(n1.filter((s, i) => s === n2[i]).length).toBeLessThan(3);
    const [i1, i2] = [await values(wg.randint(0, 1 << 30, [100], { device })), await values(wg.randint(0, 1 << 30, [100], { device }))];
    expect(i1.filter((s, i) => s === i2[i]).length).toBeLessThan(3);
  });

  it('random shapes: a number, [], and an empty shape', async () => {
    expect(wg.rand(5, { device }).shape).toEqual([5]);
    const s = wg.randn([], { device });
    expect(s.shape).toEqual([]);
    expect(Number.isFinite(await s.item())).toBe(true);
    expect(await wg.randint(0, 4, [0, 2], { device }).data()).toHaveLength(0);
  });
});

describe.each(DEVICES.filter((d) => d !== 'cpu'))('manualSeed gives the same numbers on cpu and %s', (other) => {
  /** Draws with `f` after manualSeed(seed) on each device. */
  function both(seed: number, f: (device: DeviceName) => Tensor[]): [Tensor[], Tensor[]] {
    wg.manualSeed(seed);
    const c = f('cpu');
    wg.manualSeed(seed);
    const g = f(other);
    return [c, g];
  }

  it('rand (rel err < 1e-6), including the draws after the first', async () => {
    const [c, g] = both(11, (device) => [wg.rand([257], { device }), wg.rand([33, 65], { device }), wg.rand([17], { device, low: -2, high: 7 })]);
    for (let k = 0; k < c.length; k++) await expectClose(g[k]!, c[k]!, 1e-6);
  });

  it('randint (exactly), including a negative low and the full int32 range', async () => {
    const [c, g] = both(12, (device) => [
      wg.randint(0, 10, [257], { device }),
      wg.randint(-50, 50, [33, 65], { device }),
      wg.randint(-(2 ** 31), 2 ** 31, [1000], { device }),
    ]);
    for (let k = 0; k < c.length; k++) await expectEqual(g[k]!, c[k]!);
  });

  it('randn (rel err < 1e-5), with mean and std too', async () => {
    const [c, g] = both(13, (device) => [wg.randn([4097], { device }), wg.randn([65], { device, mean: 3, std: 2 })]);
    for (let k = 0; k < c.length; k++) await expectClose(g[k]!, c[k]!, 1e-5);
  });

  it('a mix of draws keeps both devices in step (the counters advance alike)', async () => {
    const [c, g] = both(14, (device) => [wg.randn([3], { device }), wg.rand([5], { device }), wg.randint(0, 100, [7], { device }), wg.rand([9], { device })]);
    await expectClose(g[0]!, c[0]!, 1e-5);
    await expectClose(g[1]!, c[1]!, 1e-6);
    await expectEqual(g[2]!, c[2]!);
    await expectClose(g[3]!, c[3]!, 1e-6);
  });
});

// ---- moving and reading back ----------------------------------------------------------------------

describe.runIf(!NO_WEBGPU)('.to() between cpu and webgpu', () => {
  it('returns a Promise of a tensor on the target device', async () => {
    const x = wg.tensor([1, 2, 3]);
    const p = x.to('webgpu');
    expect(p).toBeInstanceOf(Promise);
    const y = await p;
    expect(y.device).toBe('webgpu');
    expect(y.storage).not.toBe(x.storage);
    expect(x.device).toBe('cpu');
  });

  it.each([
    ['float32', new Float32Array([1.5, -2.25, 3e-8, 1e30])],
    ['int32', new Int32Array([0, -1, 2147483647, -2147483648])],
    ['bool', new Uint8Array([1, 0, 0, 1])],
  ] as const)('round trips %s cpu -> webgpu -> cpu exactly', async (dtype, data) => {
    const x = wg.tensor(data, { shape: [2, 2] });
    const back = await (await x.to('webgpu')).to('cpu');
    expect(back.device).toBe('cpu');
    expect(back.dtype).toBe(dtype);
    await expectEqual(back, x);
  });

  it('round trips webgpu -> cpu -> webgpu exactly', async () => {
    wg.manualSeed(21);
    const x = wg.randn([33, 65], { device: 'webgpu' });
    const back = await (await x.to('cpu')).to('webgpu');
    expect(back.device).toBe('webgpu');
    await expectEqual(back, x);
  });

  it('moves a non-contiguous view as a contiguous tensor of its values', async () => {
    const x = wg.arange(12, undefined, 1).reshape(3, 4);
    const y = await x.T.slice([1, null, 2]).to('webgpu');
    expect(y.shape).toEqual([2, 3]);
    expect(y.isContiguous()).toBe(true);
    expect(await y.toArray()).toEqual([[1, 5, 9], [3, 7, 11]]);
    const z = await (await x.to('webgpu')).T.slice(null, [1, 3]).to('cpu');
    expect(await z.toArray()).toEqual([[4, 8], [5, 9], [6, 10], [7, 11]]);
  });

  it('moving float64 to webgpu rejects naming float64', async () => {
    await expect(wg.tensor(new Float64Array([1])).to('webgpu')).rejects.toThrow(/float64 is not supported on webgpu/);
  });
});

describe.each(DEVICES)('reading back on %s', (device) => {
  it('toArray() nests like the shape: 0-d is a number, 3-d is arrays of arrays of arrays', async () => {
    expect(await wg.tensor(7, { device }).toArray()).toBe(7);
    expect(await wg.tensor([1.5], { device }).toArray()).toEqual([1.5]);
    const x = wg.arange(12, undefined, 1, { device }).reshape(2, 3, 2);
    expect(await x.toArray()).toEqual([[[0, 1], [2, 3], [4, 5]], [[6, 7], [8, 9], [10, 11]]]);
  });

  it('toArray() of bool gives booleans; of empty dims gives empty arrays', async () => {
    expect(await wg.tensor([[true], [false]], { device }).toArray()).toEqual([[true], [false]]);
    expect(await wg.zeros([2, 0], { device }).toArray()).toEqual([[], []]);
    expect(await wg.zeros([0, 2], { device }).toArray()).toEqual([]);
  });

  it('item() reads a one-element tensor of any rank', async () => {
    expect(await wg.tensor(2.5, { device }).item()).toBe(2.5);
    expect(await wg.tensor([[-4]], { device }).item()).toBe(-4);
    expect(await wg.tensor([true], { device }).item()).toBe(1);
    expect(await wg.arange(10, undefined, 1, { device }).slice(7).item()).toBe(7);
  });

  it('item() of more than one element throws with the shape', async () => {
    await expect(wg.zeros([2, 1], { device }).item()).rejects.toThrow(/item: only one-element tensors .* got shape \[2, 1\]/);
  });

  it('data() returns a fresh copy each time (mutating it changes nothing)', async () => {
    const x = wg.tensor([1, 2, 3], { device, dtype: 'int32' });
    const a = await x.data();
    a[0] = 99;
    expect(await x.data()).toEqual(new Int32Array([1, 2, 3]));
  });
});

describe.each(DEVICES)('dtype inference at the int32 boundary on %s', (device) => {
  it('int32 bounds fit in { dtype: int32 }; integers beyond int32 are plain float32 data, not wrapped', async () => {
    expect(await wg.tensor([2147483647, -2147483648], { device, dtype: 'int32' }).toArray()).toEqual([2147483647, -2147483648]);
    const big = wg.tensor([1, 3e9], { device });
    expect(big.dtype).toBe('float32');
    expect(Array.from(await big.data())).toEqual([1, 3e9]);
  });
});

// ---- PyTorch's calling forms and refused calls ----------------------------------------------------

describe.each(DEVICES)('shapes as varargs or one array on %s', (device) => {
  it('zeros, ones, rand, randn and empty take the dims as separate numbers, as PyTorch', () => {
    expect(wg.zeros(2, 3, { device }).shape).toEqual([2, 3]);
    expect(wg.ones(2, 3, 4, { device }).shape).toEqual([2, 3, 4]);
    expect(wg.rand(3, 4, { device }).shape).toEqual([3, 4]);
    expect(wg.randn(3, 4, { device }).shape).toEqual([3, 4]);
    expect(wg.empty(5, { device }).shape).toEqual([5]);
    expect(wg.randn(3, 4, { device }).device).toBe(device);
  });

  it('one array, with or without options, works as before', () => {
    expect(wg.zeros([2, 3], { device }).shape).toEqual([2, 3]);
    expect(wg.ones([4]).shape).toEqual([4]);
    expect(wg.zeros([], { device }).shape).toEqual([]);
    expect(wg.randn([2, 2], { device, std: 0.5 }).shape).toEqual([2, 2]);
  });

  it('full keeps the shape first; randint takes (low, high, shape) or (high, shape)', async () => {
    expect(await wg.full([2, 3], 7, { device }).toArray()).toEqual([[7, 7, 7], [7, 7, 7]]);
    const a = wg.randint(0, 10, [2, 3], { device });
    expect([a.shape, a.dtype]).toEqual([[2, 3], 'int32']);
    const b = wg.randint(5, [4], { device });
    expect(b.shape).toEqual([4]);
    expect((await b.toArray() as number[]).every((v) => v >= 0 && v < 5)).toBe(true);
  });

  it('arange and eye take options after any number of their arguments', () => {
    expect(wg.arange(5, { device }).device).toBe(device);
    expect(wg.arange(1, 5, { device, dtype: 'float32' }).dtype).toBe('float32');
    expect(wg.eye(3, { device }).shape).toEqual([3, 3]);
    expect(wg.eye(2, 3, { device }).shape).toEqual([2, 3]);
  });
});

describe.each(DEVICES)('creation options are checked on %s', (device) => {
  it('a misspelt option is refused with a did-you-mean, naming the function', () => {
    expect(() => wg.rand([2], { devcie: 'cpu' } as never)).toThrow(/^rand: unknown option 'devcie' \(did you mean 'device'\?\)/);
    expect(() => wg.zeros([2], { dtpye: 'int32' } as never)).toThrow(/^zeros: unknown option 'dtpye' \(did you mean 'dtype'\?\)/);
    expect(() => wg.tensor([1], { requiresgrad: true } as never)).toThrow(/^tensor: unknown option 'requiresgrad' \(did you mean 'requiresGrad'\?\)/);
    expect(() => wg.randn([2], { device, sd: 1 } as never)).toThrow(/^randn: unknown option 'sd'/);
    expect(() => wg.zerosLike(wg.ones([1], { device }), { shape: [2] } as never)).toThrow(/^zerosLike: unknown option 'shape'/);
  });

  it('randn with a negative std, rand with low >= high and a non-boolean requiresGrad are refused', () => {
    expect(() => wg.randn([2], { device, std: -1 })).toThrow(/^randn: std must be a finite number >= 0, got -1/);
    expect(() => wg.rand([2], { device, low: 1, high: 1 })).toThrow(/^rand: need low < high, got low=1, high=1/);
    expect(() => wg.ones([2], { device, requiresGrad: 'yes' as never })).toThrow(/^ones: requiresGrad must be true or false, got 'yes'/);
  });

  it('eye names itself for a negative or fractional size', () => {
    expect(() => wg.eye(-2, { device })).toThrow(/^eye: n must be an integer >= 0, got -2/);
    expect(() => wg.eye(2, 1.5, { device })).toThrow(/^eye: m must be an integer >= 0, got 1\.5/);
  });

  it('a dtype string among the dims says to pass it as an option', () => {
    expect(() => (wg.zeros as (...a: unknown[]) => unknown)(2, 'int32')).toThrow(
      /^zeros: expected the dimensions as numbers, then an options object; argument 2 is 'int32' \(pass the dtype as an option: \{ dtype: 'int32' \}\)/,
    );
    expect(() => (wg.zeros as () => unknown)()).toThrow(/^zeros: expected a shape/);
  });
});

describe('too-large tensors on cpu', () => {
  it('say the shape, the size and the limit instead of "Invalid typed array length"', () => {
    expect(() => wg.zeros([1e6, 1e6], { device: 'cpu' })).toThrow(
      /^zeros: a float32 tensor of shape \[1000000, 1000000\] \(1000000000000 elements, 4000000000000 bytes\) is too large for cpu: the limit is 4294967296 elements per tensor/,
    );
  });
});
