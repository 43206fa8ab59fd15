/**
 * Bad input gets an error that names the op, the shapes/dtypes/devices involved and what was
 * expected (DESIGN.md, invariant 6), at once, and leaves nothing behind: after a failing op,
 * memory() is exactly what it was before.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { DeviceName, DType, Tensor } from '../src/index.js';
import { acquireDevice } from '../src/kernels/webgpu/device.js';
import { DEVICES, NO_WEBGPU, useDevices } from './helpers.js';

// Runs first, before any suite below initialises webgpu (each test file has its own process
// and module state, so webgpu is not up yet here).
describe('before webgpu is initialised', () => {
  it('getBackend("webgpu") says the backend is not initialised and how to initialise it', () => {
    expect(wg.backendInfo().backends).not.toContain('webgpu');
    expect(() => wg.getBackend('webgpu')).toThrow(/webgpu backend is not initialised.*await webgrad\.init\(\{ backend: 'webgpu' \}\)/);
  });

  it('making a webgpu tensor says the same', () => {
    expect(() => wg.zeros([2], { device: 'webgpu' })).toThrow(/webgpu backend is not initialised.*init\(/);
    expect(() => wg.tensor([1, 2], { device: 'webgpu' })).toThrow(/webgpu backend is not initialised/);
  });
});

describe('unknown devices', () => {
  it("getBackend of an unknown device name lists the known ones", () => {
    expect(() => wg.getBackend('tpu' as DeviceName)).toThrow(/unknown device 'tpu' \(expected 'cpu', 'webgpu', 'wasm'\)/);
  });

  it('creation functions name themselves and the unknown device', () => {
    expect(() => wg.tensor([1], { device: 'cuda' as DeviceName })).toThrow(/^tensor: unknown device 'cuda' \(expected 'cpu', 'webgpu', 'wasm'\)/);
    expect(() => wg.zeros([1], { device: 'gpu' as DeviceName })).toThrow(/^zeros: unknown device 'gpu'/);
    expect(() => wg.randn([1], { device: 'tpu' as DeviceName })).toThrow(/^randn: unknown device 'tpu'/);
  });

  it('init with an unknown backend names it', async () => {
    await expect(wg.init({ backend: 'tpu' as DeviceName })).rejects.toThrow(/init: unknown backend 'tpu'.*expected 'cpu', 'webgpu', 'wasm'/);
  });
});

describe('no WebGPU adapter', () => {
  // Dawn on Linux has no D3D12 backend: asking for it yields no adapter at either feature level
  // (a real, quick answer from Dawn, unlike an unknown backend name, which Dawn rejects itself).
  it('acquireDevice says no adapter was found, what was tried, and what to install', async () => {
    const err = await acquireDevice({ dawnBackend: 'd3d12' }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err, 'acquireDevice({ dawnBackend: "d3d12" }) found an adapter on this machine').toBeInstanceOf(Error);
    const msg = err!.message;
    expect(msg).toMatch(/^webgpu: no WebGPU adapter found/);
    expect(msg).toMatch(/Dawn backend 'd3d12' at the core feature level found no adapter/);
    expect(msg).toMatch(/Dawn backend 'd3d12' at the compatibility feature level found no adapter/);
    expect(msg).toMatch(/apt-get install libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri/);
    expect(msg).toMatch(/llvmpipe/);
    expect(msg).toMatch(/cpu backend/);
  });
});

describe('with devices up', () => {
  useDevices();

  /** Expects `fn` to throw `re`, and memory() (totals and every device's buffers) not to move. */
  function expectThrowsClean(fn: () => unknown, re: RegExp): void {
    const before = wg.memory();
    expect(fn).toThrow(re);
    const after = wg.memory();
    expect({ tensors: after.tensors, bytes: after.bytes }, `memory changed after an error matching ${re}`).toEqual({ tensors: before.tensors, bytes: before.bytes });
    for (const d of Object.keys(before.devices) as DeviceName[]) {
      expect(after.devices[d]!.buffers, `${d} buffers after an error matching ${re}`).toBe(before.devices[d]!.buffers);
      expect(after.devices[d]!.tensors, `${d} tensors after an error matching ${re}`).toBe(before.devices[d]!.tensors);
    }
  }

  describe.each(DEVICES)('on %s', (device) => {
    const t = (shape: number[], dtype: DType = 'float32') => wg.ones(shape, { device, dtype });

    it('matmul with mismatched inner dims names both shapes and the rule', () => {
      const a = t([2, 3]);
      const b = t([4, 5]);
      expectThrowsClean(() => a.matmul(b), /^matmul: shapes \[2, 3\] and \[4, 5\] cannot be multiplied \(3 vs 4: the first's last dim must equal the second's second-to-last dim\)/);
      // 1-D operands: the check happens before any temporary is made.
      const v = t([3]);
      expectThrowsClean(() => v.matmul(b), /^matmul: shapes \[3\] and \[4, 5\] cannot be multiplied \(3 vs 4/);
      const w = t([4]);
      expectThrowsClean(() => a.matmul(w), /^matmul: shapes \[2, 3\] and \[4\] cannot be multiplied \(3 vs 4: .*second's only dim\)/);
      // Batch dims that do not broadcast.
      const c = t([2, 3, 4]);
      const d = t([3, 4, 5]);
      expectThrowsClean(() => c.matmul(d), /matmul \(batch dims\): shapes \[2\] and \[3\] cannot be broadcast/);
      // 0-d operands.
      const s = wg.full([], 2, { device });
      expectThrowsClean(() => s.matmul(a), /^matmul: both operands need at least 1 dimension, got \[\] and \[2, 3\]/);
    });

    it('add with shapes that do not broadcast names both shapes and the dimension', () => {
      const a = t([2, 3]);
      const b = t([4]);
      expectThrowsClean(() => a.add(b), /^add: shapes \[2, 3\] and \[4\] cannot be broadcast together \(dimension 1 of the result: 3 vs 4; sizes must match or one must be 1\)/);
      const [p, q, mask, two, three] = [t([5, 1, 2]), t([3, 3]), t([2], 'bool'), t([2]), t([3])];
      expectThrowsClean(() => p.mul(q), /^mul: shapes \[5, 1, 2\] and \[3, 3\] cannot be broadcast/);
      // Scalar operands become 0-d tensors; none may be left behind when the shapes fail.
      expectThrowsClean(() => wg.where(mask, 1, three), /^where: shapes \[2\] and (\[\] and )?\[3\] cannot be broadcast/);
      expectThrowsClean(() => wg.where(mask, three, 0), /^where: shapes \[2\] and \[3\] (and \[\] )?cannot be broadcast/);
      expectThrowsClean(() => two.clamp(three, 1), /^clamp: shapes \[2\] and \[3\] (and \[\] )?cannot be broadcast/);
      expectThrowsClean(() => two.clamp(0, three), /^clamp: shapes \[2\] and (\[\] and )?\[3\] cannot be broadcast/);
    });

    it('an axis out of range names the op, the axis, the rank and the valid range', () => {
      const x = t([2, 3]);
      const xi = t([2, 3], 'int32');
      expectThrowsClean(() => x.sum(5), /^sum: dim 5 is out of range for a tensor of rank 2 \(expected -2 to 1\)/);
      expectThrowsClean(() => x.sum(-3), /^sum: dim -3 is out of range for a tensor of rank 2/);
      expectThrowsClean(() => x.mean(2), /^mean: dim 2 is out of range for a tensor of rank 2/);
      expectThrowsClean(() => xi.mean(2), /^mean: dim 2 is out of range/);
      expectThrowsClean(() => x.var(7), /^var: dim 7 is out of range for a tensor of rank 2/);
      expectThrowsClean(() => xi.var(7), /^var: dim 7 is out of range/);
      expectThrowsClean(() => xi.logsumexp(3), /^logsumexp: dim 3 is out of range/);
      expectThrowsClean(() => x.argmax(2), /^argmax: dim 2 is out of range for a tensor of rank 2/);
      expectThrowsClean(() => x.sum([0, 0]), /^sum: dim \[0, 0\] repeats an axis/);
      expectThrowsClean(() => x.transpose(0, 2), /^transpose: dim 2 is out of range for a tensor of rank 2 \(expected -2 to 1\)/);
      expectThrowsClean(() => x.permute(0, 2), /^permute: dim 2 is out of range for a tensor of rank 2/);
      expectThrowsClean(() => x.permute(0), /^permute: got 1 dims \[0\] for a tensor of rank 2 \(shape \[2, 3\]\)/);
      // unsqueeze accepts -3..2 on a 2-D tensor; the message must speak of the tensor's own rank.
      expectThrowsClean(() => x.unsqueeze(3), /^unsqueeze: dim 3 is out of range for a tensor of shape \[2, 3\] \(rank 2; expected -3 to 2\)/);
      expectThrowsClean(() => x.unsqueeze(-4), /^unsqueeze: dim -4 is out of range .*expected -3 to 2/);
      expectThrowsClean(() => x.squeeze(3), /^squeeze: dim 3 is out of range for a tensor of rank 2/);
      expectThrowsClean(() => wg.cat([x, x], 2), /^cat: dim 2 is out of range for a tensor of rank 2/);
      expectThrowsClean(() => wg.stack([x, x], 3), /^stack: dim 3 is out of range for tensors of shape \[2, 3\] \(rank 2; expected -3 to 2\)/);
      expectThrowsClean(() => x.sum(1.5), /^sum: dim must be an integer, got 1\.5/);
    });

    it('cat with mismatched shapes lists every input', () => {
      const [a, b] = [t([2, 3]), t([2, 4])];
      expectThrowsClean(
        () => wg.cat([a, b], 0),
        new RegExp(`^cat: all tensors must have the same shape except in dim 0, got \\[2, 3\\] float32 on ${device}, \\[2, 4\\] float32 on ${device}`),
      );
    });

    it('matmul on bool tensors names the dtypes', () => {
      const [m, f] = [t([2, 2], 'bool'), t([2, 2])];
      expectThrowsClean(() => m.matmul(f), /^matmul: bool tensors are not supported \(got bool and float32\)/);
    });

    it('using a tensor after dispose() says so, with its shape, dtype and device', async () => {
      const x = t([2, 3]);
      const y = t([2, 3]);
      const mask = t([2, 3], 'bool');
      x.dispose();
      const re = new RegExp(`a tensor of shape \\[2, 3\\] \\(float32, ${device}\\) was used after dispose\\(\\)`);
      expectThrowsClean(() => x.add(y), new RegExp(`^add: ${re.source}`));
      expectThrowsClean(() => y.add(x), new RegExp(`^add: ${re.source}`));
      expectThrowsClean(() => x.add(1), new RegExp(`^add: ${re.source}`)); // no scalar tensor is left behind
      expectThrowsClean(() => x.sum(), new RegExp(`^sum: ${re.source}`));
      expectThrowsClean(() => x.exp(), new RegExp(`^exp: ${re.source}`));
      expectThrowsClean(() => x.reshape(6), new RegExp(`^reshape: ${re.source}`));
      expectThrowsClean(() => y.matmul(x.T), /was used after dispose\(\)/);
      expectThrowsClean(() => wg.where(mask, x, 0), new RegExp(`^where: ${re.source}`));
      expectThrowsClean(() => wg.cat([y, x]), new RegExp(`^cat: ${re.source}`));
      await expect(x.data()).rejects.toThrow(new RegExp(`^data: ${re.source}`));
      await expect(x.item()).rejects.toThrow(/^item: .*used after dispose\(\)/);
      await expect(x.to('cpu')).rejects.toThrow(/^to: .*used after dispose\(\)/);
    });

    it('reshape to an incompatible size names both shapes and element counts', () => {
      const x = t([2, 3]);
      expectThrowsClean(() => x.reshape(4), /^reshape: cannot reshape tensor of shape \[2, 3\] \(6 elements\) into \[4\] \(4 elements\)/);
      expectThrowsClean(() => x.reshape(4, -1), /^reshape: cannot reshape tensor of shape \[2, 3\] \(6 elements\) into \[4, -1\]/);
      expectThrowsClean(() => x.reshape(-1, -1), /^reshape: only one dimension can be -1, got \[-1, -1\]/);
      expectThrowsClean(() => x.reshape(-2, -3), /^reshape: invalid shape \[-2, -3\]/);
      expectThrowsClean(() => x.expand(4, 3), /^expand: cannot expand shape \[2, 3\] to \[4, 3\] \(dimension 0: 2 is neither 4 nor 1\)/);
    });

    it('view() on strides that cannot express the shape says to use reshape()', () => {
      const x = t([2, 3]);
      const xt = x.T; // strides [1, 3]
      expectThrowsClean(() => xt.view(6), /^view: a tensor of shape \[3, 2\] with strides \[1, 3\] cannot be viewed as \[6\] without a copy; use reshape\(\)/);
      xt.dispose();
    });

    it('item() on a tensor with more than one element names its shape', async () => {
      const x = t([2, 2]);
      await expect(x.item()).rejects.toThrow(/^item: only one-element tensors can be converted to a number, got shape \[2, 2\]/);
      await expect(t([0]).item()).rejects.toThrow(/got shape \[0\]/);
    });

    it('invalid shapes (negative, non-integer, NaN) name the op and the shape', () => {
      expectThrowsClean(() => wg.zeros([2, -1], { device }), /^zeros: invalid shape \[2, -1\] \(dimensions must be integers >= 0\)/);
      expectThrowsClean(() => wg.ones([2.5], { device }), /^ones: invalid shape \[2\.5\]/);
      expectThrowsClean(() => wg.full([NaN], 1, { device }), /^full: invalid shape \[NaN\]/);
      expectThrowsClean(() => wg.rand([3, -2], { device }), /^rand: invalid shape \[3, -2\]/);
      expectThrowsClean(() => wg.randn(-1, { device }), /^randn: invalid shape \[-1\]/);
      expectThrowsClean(() => wg.tensor([1, 2], { device, shape: [-2] }), /^tensor: invalid shape \[-2\]/);
      expectThrowsClean(() => wg.tensor([1, 2, 3], { device, shape: [2, 2] }), /^tensor: shape \[2, 2\] needs 4 values, got 3/);
    });

    it('ragged nested arrays say where the nesting breaks', () => {
      expectThrowsClean(() => wg.tensor([[1, 2], [3]], { device }), /^tensor: ragged nested array: expected length 2 at \[1\] \(shape \[2, 2\]\), got 1/);
      expectThrowsClean(() => wg.tensor([[1, 2], 3] as never, { device }), /^tensor: ragged nested array: expected length 2 at \[1\].*got 3/);
      expectThrowsClean(() => wg.tensor([1, [2]] as never, { device }), /^tensor: expected a number or boolean at \[1\], got an array \(ragged nesting\)/);
      expectThrowsClean(() => wg.tensor([[[1], [2]], [[3], [4, 5]]], { device }), /^tensor: ragged nested array: expected length 1 at \[1\]\[1\]/);
      expectThrowsClean(() => wg.tensor(['a'] as never, { device }), /^tensor: expected a number or boolean at \[0\], got 'a'/);
    });

    it('an unknown dtype lists the known ones', () => {
      expectThrowsClean(() => wg.tensor([1], { device, dtype: 'bfloat16' as DType }), /^tensor: unknown dtype 'bfloat16' \(expected float32, float16, int32, float64, bool, int8 or uint8\)/);
      expectThrowsClean(() => wg.zeros([2], { device, dtype: 'int16' as DType }), /^zeros: unknown dtype 'int16'/);
      const x = t([2]);
      expectThrowsClean(() => x.cast('half' as DType), /^cast: unknown dtype 'half' \(expected float32, float16, int32, float64, bool, int8 or uint8\)/);
    });

    it('randint with low >= high names both bounds', () => {
      expectThrowsClean(() => wg.randint(5, 5, [2], { device }), /^randint: need integers low < high .*got low=5, high=5/);
      expectThrowsClean(() => wg.randint(3, 1, [2], { device }), /^randint: .*got low=3, high=1/);
      expectThrowsClean(() => wg.randint(0, 2.5, [2], { device }), /^randint: high must be an integer, got 2\.5/);
    });

    it('arange with step 0, or a step away from the end, says so', () => {
      expectThrowsClean(() => wg.arange(0, 10, 0, { device }), /^arange: step must be nonzero/);
      expectThrowsClean(() => wg.arange(0, 10, -1, { device }), /^arange: step -1 goes away from end \(start 0, end 10\)/);
      expectThrowsClean(() => wg.arange(0, Infinity, 1, { device }), /^arange: end must be a finite number, got Infinity/);
    });

    it('slice, narrow and select bounds name the dim and its size', () => {
      const x = t([2, 3]);
      expectThrowsClean(() => x.select(1, 3), /^select: index 3 is out of range for dim 1 of size 3 \(shape \[2, 3\]; expected an integer from -3 to 2\)/);
      expectThrowsClean(() => x.narrow(1, 2, 2), /^narrow: start 2 and length 2 do not fit dim 1 of size 3 \(shape \[2, 3\]\)/);
      expectThrowsClean(() => x.slice([0, 2, 0]), /^slice: step must be a positive integer, got 0 on dim 0/);
      expectThrowsClean(() => x.slice(null, null, null), /^slice: got 3 specs for a tensor of rank 2 \(shape \[2, 3\]\)/);
    });

    it('gather/indexSelect with a bad index dtype or shape names them', () => {
      const x = t([3, 2]);
      const [bi, i1, i2] = [t([1, 2], 'bool'), t([2], 'int32'), t([2, 2], 'int32')];
      expectThrowsClean(() => x.gather(0, bi), /^gather: index must hold integer indices \(int32, or float values that are integers\), got a bool tensor/);
      expectThrowsClean(() => x.gather(0, i1), /^gather: index must have the input's rank 2, got shape \[2\] for input \[3, 2\]/);
      expectThrowsClean(() => x.indexSelect(0, i2), /^indexSelect: index must be 1-D, got shape \[2, 2\]/);
    });

    it('reductions over an empty dim that have no identity say so', () => {
      const e = t([0, 3]);
      expectThrowsClean(() => e.max(0), /^max: cannot reduce over an empty dimension \(shape \[0, 3\], dim \[0\]\)/);
    });
  });

  describe('gather with an index out of range', () => {
    it('on cpu: throws at once, naming the index, the dim and its size, and frees its output', () => {
      const x = wg.tensor([[1, 2], [3, 4], [5, 6]], { device: 'cpu', dtype: 'float32' });
      const idx = wg.tensor([[0, 5]], { device: 'cpu', dtype: 'int32' });
      expectThrowsClean(() => x.gather(0, idx), /^gather: index 5 is out of range for dimension 0 of size 3 \(expected 0 to 2\)/);
      const neg = wg.tensor([[-1], [0], [1]], { device: 'cpu', dtype: 'int32' });
      const sel = wg.tensor([0, 3], { device: 'cpu', dtype: 'int32' });
      expectThrowsClean(() => x.gather(1, neg), /^gather: index -1 is out of range for dimension 1 of size 2/);
      expectThrowsClean(() => x.indexSelect(0, sel), /index 3 is out of range for dimension 0 of size 3/);
    });

    it.skipIf(NO_WEBGPU)('on webgpu: the next read reports it (kernels cannot throw), naming the index and size', async () => {
      const x = wg.tensor([[1, 2], [3, 4], [5, 6]], { device: 'webgpu', dtype: 'float32' });
      const out = x.gather(0, wg.tensor([[0, 5]], { device: 'webgpu', dtype: 'int32' }));
      await expect(out.data()).rejects.toThrow(/gather\/indexSelect: index 5 is out of range for a dimension of size 3 \(expected 0 to 2\)/);
      // Reported once: later reads work.
      expect(Array.from(await x.data())).toEqual([1, 2, 3, 4, 5, 6]);
    });
  });

  describe.skipIf(NO_WEBGPU)('webgpu dtype and device rules', () => {
    it('float64 on webgpu: creating a tensor names the dtype, the device and the way out', () => {
      expectThrowsClean(
        () => wg.tensor([1, 2], { dtype: 'float64', device: 'webgpu' }),
        /^tensor: dtype float64 is not supported on webgpu \(float64 is cpu-only; use float32 or \.to\('cpu'\)\)/,
      );
      expectThrowsClean(() => wg.tensor(new Float64Array([1, 2]), { device: 'webgpu' }), /^tensor: dtype float64 is not supported on webgpu/);
      expectThrowsClean(() => wg.zeros([2], { dtype: 'float64', device: 'webgpu' }), /^zeros: dtype float64 is not supported on webgpu/);
      expectThrowsClean(() => wg.randn([2], { dtype: 'float64', device: 'webgpu' }), /^randn: dtype float64 is not supported on webgpu/);
    });

    it('casting a webgpu tensor to float64 names the op', () => {
      const x = wg.ones([2], { device: 'webgpu' });
      expectThrowsClean(() => x.cast('float64'), /^cast: dtype float64 is not supported on webgpu/);
      expectThrowsClean(() => x.double(), /^cast: dtype float64 is not supported on webgpu/);
      x.dispose();
    });

    it('moving a float64 tensor to webgpu names the op', async () => {
      const x = wg.ones([2], { device: 'cpu', dtype: 'float64' });
      await expect(x.to('webgpu')).rejects.toThrow(/^to: dtype float64 is not supported on webgpu/);
      x.dispose();
    });

    it('mixing devices in one op names both devices and suggests .to()', () => {
      const a = wg.ones([2, 2], { device: 'cpu' });
      const b = wg.ones([2, 2], { device: 'webgpu' });
      const re = (op: string, first: string, second: string) =>
        new RegExp(`^${op}: all tensors must be on one device, got \\[2, 2\\] float32 on ${first} and \\[2, 2\\] float32 on ${second}; move one with await t\\.to\\('${first}'\\)`);
      expectThrowsClean(() => a.add(b), re('add', 'cpu', 'webgpu'));
      expectThrowsClean(() => b.add(a), re('add', 'webgpu', 'cpu'));
      expectThrowsClean(() => a.matmul(b), re('matmul', 'cpu', 'webgpu'));
      expectThrowsClean(() => wg.cat([b, a]), re('cat', 'webgpu', 'cpu'));
      const mask = a.gt(0);
      const idx = wg.zeros([2, 2], { dtype: 'int32', device: 'cpu' });
      expectThrowsClean(() => wg.where(mask, b, 1), /^where: all tensors must be on one device, got .* on cpu and .* on webgpu/);
      expectThrowsClean(() => b.gather(0, idx), /^gather: all tensors must be on one device, got \[2, 2\] float32 on webgpu and \[2, 2\] int32 on cpu/);
    });
  });
});
