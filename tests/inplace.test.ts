/**
 * In-place ops (add_, sub_, mul_, div_, pow_, fill_, zero_, copy_, clamp_ and the unary ones):
 * each equals its out-of-place op and returns the tensor; writes through views (slices with
 * steps, select, narrow, transpose) reach the base and leave the other elements as they were;
 * sources broadcast and convert; aliasing sources are read before the write; every write bumps
 * the storage version, so cached values are re-read and autograd refuses a backward through
 * saved values changed since. Leaves that require grad are written only inside noGrad.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { DEVICES, NO_WEBGPU, expectClose, pair, useDevices } from './helpers.js';

useDevices();

const f32 = (values: number[], shape: number[], device: DeviceName, requiresGrad = false) =>
  wg.tensor(new Float32Array(values), { shape, device, requiresGrad });
const i32 = (values: number[], shape: number[], device: DeviceName) => wg.tensor(new Int32Array(values), { shape, device });
/** 0..n-1 as float32 of `shape`. */
const iota = (shape: number[], device: DeviceName) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return f32(Array.from({ length: n }, (_, i) => i), shape, device);
};
const values = async (t: Tensor) => Array.from(await t.data());

describe.each(DEVICES)('in-place ops equal their out-of-place results on %s', (device) => {
  const BINARY = ['add', 'sub', 'mul', 'div', 'pow'] as const;

  it.each(BINARY)('%s_ with a tensor of the same shape returns the tensor, holding x.%s(y)', async (op) => {
    const [, x] = pair([5, 7], device, { low: 0.5, high: 2 });
    const [, y] = pair([5, 7], device, { low: 0.5, high: 2 });
    const expected = x[op](y);
    const r = x[`${op}_`](y);
    expect(r).toBe(x);
    await expectClose(x, expected);
  });

  it.each(BINARY)('%s_ with a broadcast row and with a scalar', async (op) => {
    const [, x] = pair([4, 3], device, { low: 0.5, high: 2 });
    const row = f32([0.5, 1.5, 2], [3], device);
    const e1 = x[op](row);
    x[`${op}_`](row);
    await expectClose(x, e1);
    const e2 = x[op](3);
    x[`${op}_`](3);
    await expectClose(x, e2);
  });

  const UNARY = ['neg', 'abs', 'exp', 'log', 'log1p', 'expm1', 'sqrt', 'rsqrt', 'sin', 'cos', 'tanh', 'sigmoid', 'relu', 'square', 'sign', 'erf', 'round', 'floor', 'ceil', 'trunc'] as const;
  it.each(UNARY)('%s_ holds x.%s()', async (op) => {
    const positive = op === 'log' || op === 'log1p' || op === 'sqrt' || op === 'rsqrt';
    const [, x] = pair([3, 5], device, positive ? { low: 0.1, high: 3 } : {});
    const expected = x[op]();
    expect(x[`${op}_`]()).toBe(x);
    await expectClose(x, expected);
  });

  it('int32 tensors keep int32 through add_, mul_, neg_ and clamp_', async () => {
    const x = i32([1, -2, 3], [3], device);
    x.add_(i32([10, 20, 30], [3], device)).mul_(2).neg_().clamp_(-40, 0);
    expect(x.dtype).toBe('int32');
    expect(await values(x)).toEqual([-22, -36, -40]);
  });

  it('add_ and sub_ scale the operand by alpha', async () => {
    const x = f32([1, 2, 3], [3], device);
    x.add_(f32([1, 1, 1], [3], device), { alpha: 2 });
    expect(await values(x)).toEqual([3, 4, 5]);
    x.sub_(f32([1, 2, 3], [3], device), { alpha: 0.5 });
    expect(await values(x)).toEqual([2.5, 3, 3.5]);
    x.add_(2, { alpha: -1 });
    expect(await values(x)).toEqual([0.5, 1, 1.5]);
  });

  it('clamp_ with a lower bound, an upper bound, both, and tensor bounds', async () => {
    const x = f32([-3, -1, 0, 1, 3], [5], device);
    expect(await values(x.clone().clamp_(-1))).toEqual([-1, -1, 0, 1, 3]);
    expect(await values(x.clone().clamp_(null, 1))).toEqual([-3, -1, 0, 1, 1]);
    expect(await values(x.clone().clamp_(-2, 2))).toEqual([-2, -1, 0, 1, 2]);
    const lo = f32([0, 0, -5, 2, 0], [5], device);
    expect(await values(x.clone().clamp_(lo, f32([9], [1], device)))).toEqual([0, 0, 0, 2, 3]);
  });

  it('fill_ and zero_ set every element; int32 truncates toward zero, bool takes value != 0', async () => {
    const x = f32([1, 2, 3, 4], [2, 2], device);
    expect(x.fill_(2.5)).toBe(x);
    expect(await values(x)).toEqual([2.5, 2.5, 2.5, 2.5]);
    expect(await values(x.zero_())).toEqual([0, 0, 0, 0]);
    expect(await values(i32([1, 2], [2], device).fill_(-2.7))).toEqual([-2, -2]);
    const b = wg.zeros([3], { dtype: 'bool', device }).fill_(0.5);
    expect(await b.toArray()).toEqual([true, true, true]);
    expect(await values(x.fill_(wg.tensor(new Float32Array([7]), { shape: [], device })))).toEqual([7, 7, 7, 7]);
  });

  it('maskedFill_ sets the elements where a broadcast bool mask holds (attention-mask style -Infinity)', async () => {
    const x = iota([2, 3], device);
    const mask = f32([1, 0, 1], [3], device).gt(0);
    expect(x.maskedFill_(mask, -Infinity)).toBe(x);
    expect(await values(x)).toEqual([-Infinity, 1, -Infinity, -Infinity, 4, -Infinity]);
    const n = i32([1, 2, 3], [3], device).maskedFill_(mask, 7.9);
    expect(n.dtype).toBe('int32');
    expect(await values(n)).toEqual([7, 2, 7]);
  });

  it('copy_ broadcasts a row to every row', async () => {
    const x = wg.zeros([3, 2], { dtype: 'float32', device });
    x.copy_(f32([4, 5], [2], device));
    expect(await values(x)).toEqual([4, 5, 4, 5, 4, 5]);
  });

  it('copy_ converts the dtype as a cast does (float -> int32 truncates, int32 -> float, any -> bool is != 0)', async () => {
    const x = wg.zeros([4], { dtype: 'int32', device });
    x.copy_(f32([1.7, -1.7, 2, 0.2], [4], device));
    expect(x.dtype).toBe('int32');
    expect(await values(x)).toEqual([1, -1, 2, 0]);
    const y = wg.zeros([2], { dtype: 'float32', device }).copy_(i32([3, -4], [2], device));
    expect(await values(y)).toEqual([3, -4]);
    const b = wg.zeros([3], { dtype: 'bool', device }).copy_(f32([0, -2, 0.5], [3], device));
    expect(await b.toArray()).toEqual([false, true, true]);
  });

  it('float32 add_ a float64 operand is allowed on cpu (the result is written as float32)', async () => {
    if (device !== 'cpu') return;
    const x = f32([1, 2], [2], device).add_(wg.tensor(new Float64Array([0.5, 0.25]), { device }));
    expect(x.dtype).toBe('float32');
    expect(await values(x)).toEqual([1.5, 2.25]);
  });

  it('chains: x.mul_(2).add_(1).relu_()', async () => {
    const x = f32([-2, 0, 3], [3], device);
    expect(await values(x.mul_(2).add_(1).relu_())).toEqual([0, 1, 7]);
  });

  it('a 0-d tensor and an empty tensor', async () => {
    const s = wg.tensor(new Float32Array([2]), { shape: [], device });
    expect(await s.add_(1).mul_(s).item()).toBe(9);
    const e = wg.zeros([0, 3], { dtype: 'float32', device });
    e.add_(f32([1, 2, 3], [3], device)).fill_(1).copy_(f32([4], [1], device)).exp_();
    expect(e.shape).toEqual([0, 3]);
    expect(await values(e)).toEqual([]);
  });

  it('an in-place op leaves no buffer behind', () => {
    const x = iota([6, 5], device);
    const y = iota([5], device);
    const before = wg.memory().devices[device]!.buffers;
    x.add_(y).mul_(y).exp_().copy_(y).clamp_(0, 1).fill_(1);
    x.slice([1, null, 2]).T.add_(1);
    expect(wg.memory().devices[device]!.buffers).toBe(before);
  });
});

describe.each(DEVICES)('writes through views reach the base on %s', (device) => {
  /**
   * Runs `write` on a view of a [4, 6] base holding 0..23 and checks every element of the base
   * against `expect`, given (i, j) and the old value.
   */
  async function check(write: (x: Tensor) => unknown, expected: (i: number, j: number, v: number) => number) {
    const x = iota([4, 6], device);
    write(x);
    const want = Array.from({ length: 24 }, (_, k) => expected(Math.floor(k / 6), k % 6, k));
    expect(await values(x)).toEqual(want);
  }

  it('zero_ and fill_(0) of contiguous rows (the queue clear on webgpu) touch only those elements; fill_(-0) keeps the sign', async () => {
    await check((x) => x.slice([1, 3]).zero_(), (i, _j, v) => (i >= 1 && i < 3 ? 0 : v));
    await check((x) => x.select(0, 3).slice([1, 4]).fill_(0), (i, j, v) => (i === 3 && j >= 1 && j < 4 ? 0 : v));
    await check((x) => x.slice(null, [0, 2]).zero_(), (_i, j, v) => (j < 2 ? 0 : v)); // strided: the fill kernel
    const z = wg.ones([5], { device }).fill_(-0);
    expect((await values(z)).map((v) => Object.is(v, -0))).toEqual([true, true, true, true, true]);
    const b = wg.ones([7], { dtype: 'bool', device }).slice([2, 5]).fill_(0);
    expect(await values(b)).toEqual([0, 0, 0]);
  });

  it('fill_ of a slice with steps (x[1::2, ::3] = -1)', async () => {
    await check((x) => x.slice([1, null, 2], [null, null, 3]).fill_(-1), (i, j, v) => (i % 2 === 1 && j % 3 === 0 ? -1 : v));
  });

  it('copy_ into a selected row (x[2] = y)', async () => {
    const y = f32([100, 101, 102, 103, 104, 105], [6], device);
    await check((x) => x.select(0, 2).copy_(y), (i, j, v) => (i === 2 ? 100 + j : v));
  });

  it('mul_ of a narrowed column block (x[:, 2:5] *= 10)', async () => {
    await check((x) => x.narrow(1, 2, 3).mul_(10), (_i, j, v) => (j >= 2 && j < 5 ? v * 10 : v));
  });

  it('add_ through a transpose adds the transposed operand', async () => {
    const y = iota([6, 4], device); // y[j][i] = 4j + i goes to x[i][j]
    await check((x) => x.T.add_(y), (i, j, v) => v + 4 * j + i);
  });

  it('a unary op on a column selected from a transpose (x.T[1] = exp(x.T[1]))', async () => {
    const x = iota([4, 6], device);
    x.T.select(0, 1).neg_();
    expect(await values(x)).toEqual(Array.from({ length: 24 }, (_, k) => (k % 6 === 1 ? -k : k)));
  });

  it('zero_ of a negative-index slice (x[-1, -2:] = 0)', async () => {
    await check((x) => x.slice(-1, [-2, null]).zero_(), (i, j, v) => (i === 3 && j >= 4 ? 0 : v));
  });

  it('copy_ of an expanded (stride 0) source into a strided view', async () => {
    const col = f32([7, 8], [2, 1], device).expand(2, 3);
    await check((x) => x.slice([0, 4, 2], [1, 6, 2]).copy_(col), (i, j, v) => (i % 2 === 0 && j % 2 === 1 ? (i === 0 ? 7 : 8) : v));
  });

  it('odd sizes: a strided, offset, transposed view of [37, 29] gets add_ of a random tensor', async () => {
    const [hostBase, base] = pair([37, 29], device);
    const [hostY, y] = pair([9, 14], device);
    // base[3:-1:4, 1:29:2].T has shape [14, 9]; y.T matches it.
    base.slice([3, -1, 4], [1, 29, 2]).T.add_(y.T);
    const b = await hostBase.data();
    const yy = await hostY.data();
    const want = Float32Array.from(b);
    for (let a = 0; a < 9; a++) for (let c = 0; c < 14; c++) want[(3 + 4 * a) * 29 + (1 + 2 * c)] = b[(3 + 4 * a) * 29 + 1 + 2 * c]! + yy[a * 14 + c]!;
    await expectClose(base, wg.tensor(want, { shape: [37, 29] }), 0);
  });
});

describe.each(DEVICES)('aliasing: a source that shares the buffer is read before the write, on %s', (device) => {
  it('x.add_(x) doubles x', async () => {
    const x = f32([1, 2, 3], [3], device);
    expect(await values(x.add_(x))).toEqual([2, 4, 6]);
  });

  it('x.copy_(x.T) transposes a square matrix', async () => {
    const x = iota([3, 3], device);
    x.copy_(x.T);
    expect(await values(x)).toEqual([0, 3, 6, 1, 4, 7, 2, 5, 8]);
  });

  it('overlapping slices: x[1:] = x[:-1] shifts right by one', async () => {
    const x = iota([6], device);
    x.slice([1, null]).copy_(x.slice([null, -1]));
    expect(await values(x)).toEqual([0, 0, 1, 2, 3, 4]);
  });

  it('x[::2] *= x[1::2] reads the odd elements as they were', async () => {
    const x = iota([6], device);
    x.slice([null, null, 2]).mul_(x.slice([1, null, 2]));
    expect(await values(x)).toEqual([0, 1, 6, 3, 20, 5]);
  });

  it('a write through a detached alias changes the original, as in PyTorch', async () => {
    const x = f32([1, 2], [2], device);
    x.detach().fill_(5);
    expect(await values(x)).toEqual([5, 5]);
  });
});

describe.each(DEVICES)('the storage version on %s', (device) => {
  it('every in-place write bumps it', () => {
    const x = f32([1, 2], [2], device);
    const v0 = x.storage.version;
    x.add_(1);
    x.fill_(0);
    x.copy_(x);
    expect(x.storage.version).toBe(v0 + 3);
  });

  it('data() reads again after an in-place write (the cached copy is stale)', async () => {
    const x = f32([1, 2], [2], device);
    expect(await values(x)).toEqual([1, 2]);
    x.mul_(3);
    expect(await values(x)).toEqual([3, 6]);
  });

  it("a write through a view makes the base's cached copy stale", async () => {
    const x = f32([1, 2, 3], [3], device);
    expect(await values(x)).toEqual([1, 2, 3]);
    x.narrow(0, 1, 1).fill_(9);
    expect(await values(x)).toEqual([1, 9, 3]);
  });

  it('toString shows the written values of a cpu tensor', () => {
    const x = f32([1, 2], [2], 'cpu');
    x.toString();
    x.add_(1);
    expect(x.toString()).toContain('3');
  });
});

describe.each(DEVICES)('in-place ops and autograd on %s', (device) => {
  it('a leaf that requires grad is refused outside noGrad', () => {
    const w = f32([1, 2], [2], device, true);
    expect(() => w.add_(1)).toThrow("add_: a leaf tensor that requires grad ([2] float32) is being used in an in-place operation");
    expect(() => w.zero_()).toThrow(/zero_: a leaf tensor that requires grad .*noGrad/);
  });

  it('inside noGrad a leaf that requires grad is written and stays a leaf that requires grad', async () => {
    const w = f32([1, 2], [2], device, true);
    wg.noGrad(() => w.mul_(2).sub_(1));
    expect(await values(w)).toEqual([1, 3]);
    expect(w.isLeaf && w.requiresGrad).toBe(true);
  });

  it('a non-leaf that requires grad is refused with grad mode on, naming the op that made it', () => {
    const x = f32([1, 2], [2], device, true);
    const y = x.mul(2);
    expect(() => y.add_(1)).toThrow(/add_: the tensor \(\[2\] float32\) requires grad \(it was made by 'mul'\).*use the out-of-place add\(\)/);
  });

  it('a view of a leaf that requires grad is refused with grad mode on', () => {
    const x = f32([1, 2, 3], [3], device, true);
    expect(() => x.narrow(0, 0, 2).fill_(0)).toThrow(/fill_: the tensor .* requires grad \(it was made by 'narrow'\)/);
    expect(() => x.narrow(0, 0, 2).fill_(0)).toThrow(/use wg\.full\(x\.shape, value\)/);
  });

  it('an operand that requires grad is refused with grad mode on (no gradient would reach it)', () => {
    const x = f32([1, 2], [2], device, true);
    const buf = wg.zeros([2], { dtype: 'float32', device });
    expect(() => buf.copy_(x)).toThrow(/copy_: an operand \(\[2\] float32\) requires grad.*detach\(\)/);
    expect(() => buf.mul_(x)).toThrow(/mul_: an operand/);
    buf.copy_(x.detach());
  });

  it("backward refuses when a value saved by 'exp' (its output) was changed in place, naming the versions", () => {
    const x = f32([1, 2], [2], device, true);
    const y = x.exp();
    wg.noGrad(() => y.mul_(2));
    expect(() => y.sum().backward()).toThrow(/backward: a tensor of shape \[2\] saved by 'exp' was modified in place after the forward pass \(saved at version 0, now at version 1/);
  });

  it("backward refuses when a constant operand saved by 'mul' was changed in place (grad mode on)", () => {
    const x = f32([1, 2], [2], device, true);
    const c = f32([3, 4], [2], device);
    const y = x.mul(c);
    c.fill_(0);
    expect(() => y.sum().backward()).toThrow(/saved by 'mul' was modified in place/);
  });

  it('a write through a view of a saved tensor is caught too', () => {
    const x = f32([1, 2], [2], device, true);
    const c = f32([3, 4], [2], device);
    const y = x.mul(c);
    c.narrow(0, 1, 1).add_(1);
    expect(() => y.sum().backward()).toThrow(/saved by 'mul' was modified in place/);
  });

  it('a change to a value the rule does not save leaves backward working (add saves nothing)', async () => {
    const x = f32([1, 2], [2], device, true);
    const c = f32([3, 4], [2], device);
    const y = x.add(c);
    c.fill_(0);
    y.sum().backward();
    expect(await values(x.grad!)).toEqual([1, 1]);
  });

  it('gradients are tensors of their own: an in-place op on one .grad does not reach another', async () => {
    const a = f32([1, 2], [2], device, true);
    const b = f32([3, 4], [2], device, true);
    a.add(b).sum().backward(); // add's rule returns one gradient tensor for both inputs
    wg.noGrad(() => a.grad!.mul_(5));
    expect(await values(a.grad!)).toEqual([5, 5]);
    expect(await values(b.grad!)).toEqual([1, 1]);
    wg.noGrad(() => b.grad!.add_(1)); // sum's gradient is broadcast (stride 0): b.grad is a copy
    expect(await values(b.grad!)).toEqual([2, 2]);
  });

  it('a .grad does not share the buffer of the gradient passed to backward()', async () => {
    const x = f32([1, 2], [2], device, true);
    const g = f32([1, 1], [2], device);
    x.add(0).backward(g); // add's rule hands the incoming gradient back unchanged
    wg.noGrad(() => x.grad!.mul_(3));
    expect(await values(x.grad!)).toEqual([3, 3]);
    expect(await values(g)).toEqual([1, 1]);
  });

  it('manual SGD with noGrad(() => w.sub_(w.grad.mul(lr))) fits a linear regression', async () => {
    wg.manualSeed(3);
    const X = wg.randn([64, 3], { device });
    const trueW = f32([2, -1, 0.5], [3, 1], device);
    const Y = X.matmul(trueW).add(0.3);
    const w = wg.zeros([3, 1], { dtype: 'float32', device, requiresGrad: true });
    const b = wg.zeros([1], { dtype: 'float32', device, requiresGrad: true });
    const lr = 0.1;
    for (let step = 0; step < 150; step++) {
      wg.tidy(() => {
        const loss = X.matmul(w).add(b).sub(Y).square().mean();
        loss.backward();
        wg.noGrad(() => {
          w.sub_(w.grad!.mul(lr));
          b.sub_(b.grad!, { alpha: lr });
          w.grad!.zero_();
          b.grad!.zero_();
        });
      });
    }
    await expectClose(w, trueW, 1e-3);
    expect(Math.abs((await b.item()) - 0.3)).toBeLessThan(1e-3);
  });
});

// webgpu only (copies and writes between cpu and webgpu need both devices): skipped only when the run declares no adapter (WEBGRAD_TEST_NO_WEBGPU=1; helpers.ts says so).
describe.skipIf(NO_WEBGPU)('copy_ across devices', () => {
  it('copy_ from a cpu tensor uploads into a webgpu view (float64 converted on the host)', async () => {
    const x = wg.zeros([2, 3], { dtype: 'float32', device: 'webgpu' });
    x.select(1, 2).copy_(wg.tensor(new Float64Array([1.5, -2.5]), { device: 'cpu' }));
    expect(await values(x)).toEqual([0, 0, 1.5, 0, 0, -2.5]);
    x.copy_(f32([1, 2, 3], [3], 'cpu'));
    expect(await values(x)).toEqual([1, 2, 3, 1, 2, 3]);
  });

  it('copy_ from a webgpu tensor into a cpu tensor is refused, pointing to await src.to(...)', () => {
    const x = wg.zeros([2], { dtype: 'float32', device: 'cpu' });
    expect(() => x.copy_(f32([1, 2], [2], 'webgpu'))).toThrow("copy_: cannot copy a webgpu tensor ([2] float32) into a cpu tensor synchronously (reading the GPU is async); copy from a host copy instead: x.copy_(await src.to('cpu'))");
  });
});

describe.each(DEVICES)('refused in-place calls on %s', (device) => {
  it('an operand whose broadcast shape is larger than the tensor written to', () => {
    const x = f32([1, 2, 3], [3], device);
    expect(() => x.add_(iota([2, 3], device))).toThrow('add_: the other operand of shape [2, 3] does not broadcast to the shape of the tensor written to, [3] (the broadcast shape is [2, 3]');
    expect(() => x.copy_(iota([2, 3], device))).toThrow(/copy_: the source of shape \[2, 3\] does not broadcast/);
  });

  it('shapes that do not broadcast at all', () => {
    expect(() => iota([3], device).mul_(iota([4], device))).toThrow(/mul_: .*\[3\].*\[4\]/);
  });

  it('a result type that cannot be cast to the tensor written to (int32 add_ float, div_ of ints, exp_ of ints)', () => {
    const x = i32([1, 2], [2], device);
    expect(() => x.add_(f32([0.5, 0.5], [2], device))).toThrow("add_: the result type float32 can't be cast to the dtype of the tensor written to, int32");
    expect(() => x.add_(1.5)).toThrow(/add_: the result type float32 can't be cast/);
    expect(() => x.div_(i32([2, 2], [2], device))).toThrow(/div_: the result type float32 can't be cast .* int32/);
    expect(() => x.exp_()).toThrow(/exp_: the result type float32/);
  });

  it('a refused cast leaves the values and the version as they were', async () => {
    const x = i32([1, 2], [2], device);
    const v = x.storage.version;
    expect(() => x.add_(0.5)).toThrow(/add_/);
    expect(x.storage.version).toBe(v);
    expect(await values(x)).toEqual([1, 2]);
  });

  it('a disposed tensor, written to or read from', () => {
    const x = f32([1, 2], [2], device);
    const y = f32([1, 2], [2], device);
    y.dispose();
    expect(() => x.copy_(y)).toThrow(/copy_: a tensor of shape \[2\] .* was used after dispose\(\)/);
    x.dispose();
    expect(() => x.fill_(1)).toThrow(/fill_: a tensor of shape \[2\] .* was used after dispose\(\)/);
  });

  it('an expanded (stride 0) destination', () => {
    const x = f32([1, 2], [2, 1], device).expand(2, 3);
    expect(() => x.add_(1)).toThrow(/add_: more than one element of the tensor written to \(shape \[2, 3\], strides \[1, 0\]\) refers to one memory location.*clone\(\)/);
  });

  it('an unknown option and a fractional alpha on an int tensor', () => {
    const x = f32([1], [1], device);
    expect(() => x.add_(1, { alpah: 2 } as never)).toThrow("add_: unknown option 'alpah' (did you mean 'alpha'?)");
    expect(() => i32([1], [1], device).add_(1, { alpha: 0.5 })).toThrow('add_: for an integer or bool tensor, alpha must be an integer, got 0.5');
  });

  it('fill_ of an int32 tensor with NaN, and fill_ with a non-0-d tensor', () => {
    expect(() => i32([1], [1], device).fill_(NaN)).toThrow('fill_: the value NaN cannot be converted to int32 without overflow');
    expect(() => f32([1, 2], [2], device).fill_(f32([1, 2], [2], device))).toThrow('fill_: a tensor value must be 0-dimensional, got one of shape [2]; use copy_()');
  });

  it('maskedFill_ with a mask that is not bool, or larger than the tensor', () => {
    const x = f32([1, 2], [2], device);
    expect(() => x.maskedFill_(f32([1, 0], [2], device), 0)).toThrow('maskedFill_: the mask must be a bool tensor (a comparison such as x.gt(0)), got [2] float32');
    expect(() => x.maskedFill_(iota([2, 2], device).gt(0), 0)).toThrow(/maskedFill_: the mask of shape \[2, 2\] does not broadcast/);
  });

  it('operands on another device', () => {
    if (device === 'cpu' && NO_WEBGPU) return;
    const other: DeviceName = device === 'cpu' ? 'webgpu' : 'cpu';
    expect(() => f32([1], [1], device).add_(f32([1], [1], other))).toThrow(/add_: all tensors must be on one device/);
  });
});

describe('in-place ops agree across devices', () => {
  // webgpu only (copies and writes between cpu and webgpu need both devices): skipped only when the run declares no adapter (WEBGRAD_TEST_NO_WEBGPU=1; helpers.ts says so).
  it.skipIf(NO_WEBGPU)('a sequence of writes through views gives the same values on cpu and webgpu', async () => {
    const [xc, xg] = pair([11, 13], 'webgpu');
    const [yc, yg] = pair([13], 'webgpu');
    for (const [x, y] of [[xc, yc], [xg, yg]] as const) {
      x.slice([null, null, 3]).add_(y, { alpha: 0.5 });
      x.T.narrow(0, 2, 5).mul_(x.T.narrow(0, 3, 5));
      x.select(1, -1).clamp_(-0.5, 0.5);
      x.slice([2, 9], [1, null, 4]).tanh_();
    }
    expect(xg.device).toBe('webgpu');
    await expectClose(xg, xc, 1e-5);
  });
});
