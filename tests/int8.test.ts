/**
 * int8 and uint8: storage dtypes for quantized weights, on cpu and wasm (webgpu refuses them by name).
 * Casts follow PyTorch on x86: truncation toward zero, then wrap-around modulo 256.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as wg from '../src/index.js';
import { NO_WEBGPU, useDevices } from './helpers.js';

useDevices();
const cpu = { device: 'cpu' } as const;
const vals = async (t: wg.Tensor) => Array.from(await t.data());

describe('int8/uint8: creation', () => {
  it('tensor(data, "int8") holds the values as int8', async () => {
    const t = wg.tensor([1, -2, 127, -128], { dtype: 'int8', ...cpu });
    expect(t.dtype).toBe('int8');
    expect(await vals(t)).toEqual([1, -2, 127, -128]);
  });

  it('an Int8Array gives int8; a Uint8Array with dtype uint8 keeps its bytes', async () => {
    expect(wg.tensor(Int8Array.from([-5, 5]), cpu).dtype).toBe('int8');
    const u = wg.tensor(Uint8Array.from([0, 200, 255]), { dtype: 'uint8', ...cpu });
    expect([u.dtype, await vals(u)]).toEqual(['uint8', [0, 200, 255]]);
  });

  it('tensor() truncates fractions toward zero, as torch.tensor(..., dtype=torch.int8)', async () => {
    expect(await vals(wg.tensor([1.9, -1.9], { dtype: 'int8', ...cpu }))).toEqual([1, -1]);
  });

  it('tensor() refuses a value outside int8, naming it and the range', () => {
    expect(() => wg.tensor([1, 128], { dtype: 'int8', ...cpu })).toThrow(/^tensor: the value 128 \(element 1\) cannot be converted to int8 without overflow \(int8 holds integers in \[-128, 127\]\)/);
  });

  it('tensor() refuses a negative value for uint8', () => {
    expect(() => wg.tensor([-1], { dtype: 'uint8', ...cpu })).toThrow(/uint8 holds integers in \[0, 255\]/);
  });

  it('full() refuses a fill value outside the range', () => {
    expect(() => wg.full([2], 300, { dtype: 'uint8', ...cpu })).toThrow(/^full: the value 300 .*cannot be converted to uint8/);
  });

  it('fill_ refuses a value outside the range', () => {
    expect(() => wg.zeros([2], { dtype: 'int8', ...cpu }).fill_(-129)).toThrow(/^fill_: the value -129 cannot be converted to int8 without overflow/);
  });
});

describe('int8/uint8: casts (PyTorch semantics on x86)', () => {
  it("float32 .to('int8') truncates toward zero, then wraps modulo 256; NaN and infinities give 0", async () => {
    const x = wg.tensor([1.7, -1.7, 200, -200, 300, NaN, Infinity], cpu);
    const y = x.to('int8');
    expect(y.dtype).toBe('int8');
    expect(await vals(y)).toEqual([1, -1, -56, 56, 44, 0, 0]);
  });

  it("float32 .to('uint8') wraps negatives: -1 is 255", async () => {
    expect(await vals(wg.tensor([-1, -1.5, 256.5, 1.9], cpu).to('uint8'))).toEqual([255, 255, 0, 1]);
  });

  it('int32 to int8 keeps the low 8 bits', async () => {
    expect(await vals(wg.tensor([257, -129, 128], { dtype: 'int32', ...cpu }).char())).toEqual([1, 127, -128]);
  });

  it('int8 to float32, int32 and bool is exact', async () => {
    const x = wg.tensor([-128, 0, 5], { dtype: 'int8', ...cpu });
    expect(await vals(x.float())).toEqual([-128, 0, 5]);
    expect(await vals(x.int())).toEqual([-128, 0, 5]);
    expect(await x.to('bool').toArray()).toEqual([true, false, true]);
  });

  it('uint8 byte() of int8 reinterprets modulo 256', async () => {
    expect(await vals(wg.tensor([-1, -128, 3], { dtype: 'int8', ...cpu }).byte())).toEqual([255, 128, 3]);
  });
});

describe('int8/uint8: arithmetic and promotion', () => {
  const i8 = (v: number[]) => wg.tensor(v, { dtype: 'int8', ...cpu });
  const u8 = (v: number[]) => wg.tensor(v, { dtype: 'uint8', ...cpu });

  it('int8 + int8 is int8 and wraps', async () => {
    const s = i8([100, -100]).add(i8([100, -100]));
    expect([s.dtype, await vals(s)]).toEqual(['int8', [-56, 56]]);
  });

  it('int8 * int8 wraps (16 * 16 = 256 = 0)', async () => {
    expect(await vals(i8([16, 3]).mul(i8([16, -3])))).toEqual([0, -9]);
  });

  it('neg of -128 is -128 in int8', async () => {
    expect(await vals(i8([-128]).neg())).toEqual([-128]);
  });

  it('uint8 subtraction wraps (1 - 2 = 255)', async () => {
    expect(await vals(u8([1]).sub(u8([2])))).toEqual([255]);
  });

  it('int8 with float32 is float32; with int32 is int32; int8 with uint8 is int32 (PyTorch: int16)', () => {
    expect(i8([1]).add(wg.tensor([0.5], cpu)).dtype).toBe('float32');
    expect(i8([1]).add(wg.tensor([1], { dtype: 'int32', ...cpu })).dtype).toBe('int32');
    expect(i8([1]).add(u8([1])).dtype).toBe('int32');
    expect(u8([1]).add(wg.tensor([true], cpu)).dtype).toBe('uint8');
  });

  it('an integer scalar keeps int8; a fractional one makes float32', async () => {
    expect(i8([1]).add(2).dtype).toBe('int8');
    const f = i8([1]).add(0.5);
    expect([f.dtype, await vals(f)]).toEqual(['float32', [1.5]]);
  });

  it('division of int8 is float32', async () => {
    const q = i8([7]).div(i8([2]));
    expect([q.dtype, await vals(q)]).toEqual(['float32', [3.5]]);
  });

  it('sum of int8 is int32 and does not wrap (PyTorch: int64)', async () => {
    const s = i8([100, 100, 100]).sum();
    expect([s.dtype, await s.item()]).toEqual(['int32', 300]);
  });

  it('max of uint8 stays uint8', async () => {
    const m = u8([3, 250, 7]).max();
    expect([m.dtype, await m.item()]).toEqual(['uint8', 250]);
  });

  it('comparisons of int8 give bool', async () => {
    expect(await i8([-1, 2]).gt(0).toArray()).toEqual([false, true]);
  });
});

describe('int8/uint8: views, copies and printing', () => {
  it('transpose, slice and contiguous keep the dtype and values', async () => {
    const x = wg.tensor([[1, 2, 3], [-4, -5, -6]], { dtype: 'int8', ...cpu });
    const t = x.transpose(0, 1).contiguous();
    expect([t.dtype, await t.toArray()]).toEqual(['int8', [[1, -4], [2, -5], [3, -6]]]);
    expect(await x.narrow(1, 1, 2).clone().toArray()).toEqual([[2, 3], [-5, -6]]);
  });

  it('copy_ from float32 into int8 casts as .to does', async () => {
    const x = wg.zeros([2], { dtype: 'int8', ...cpu });
    x.copy_(wg.tensor([200.5, -3.9], cpu));
    expect(await vals(x)).toEqual([-56, -3]);
  });

  it('prints integers and the dtype', () => {
    const s = String(wg.tensor([1, -2], { dtype: 'int8', ...cpu }));
    expect(s).toContain('dtype=int8');
    expect(s).toMatch(/\[ ?1, -2\]/);
  });
});

describe('int8/uint8: safetensors', () => {
  it('save writes I8 and U8 with one byte per element and loads them back on cpu as int8 and uint8', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wg-int8-'));
    try {
      const path = join(dir, 'q.safetensors');
      const a = wg.tensor([[-128, 1], [2, 127]], { dtype: 'int8', ...cpu });
      const b = wg.tensor([0, 255, 9], { dtype: 'uint8', ...cpu });
      await wg.io.saveSafetensors({ a, b }, path);
      const bytes = readFileSync(path);
      const n = Number(bytes.readBigUInt64LE(0));
      const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
      expect(header).toEqual({ a: { dtype: 'I8', shape: [2, 2], data_offsets: [0, 4] }, b: { dtype: 'U8', shape: [3], data_offsets: [4, 7] } });
      expect(Array.from(bytes.subarray(8 + n))).toEqual([128, 1, 2, 127, 0, 255, 9]);
      const back = await wg.io.loadSafetensors(path, { device: 'cpu' });
      expect([back.a!.dtype, await back.a!.toArray()]).toEqual(['int8', [[-128, 1], [2, 127]]]);
      expect([back.b!.dtype, await back.b!.toArray()]).toEqual(['uint8', [0, 255, 9]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// webgpu only (the refusal is webgpu's; cpu supports int8/uint8): skipped only when the run declares no adapter (WEBGRAD_TEST_NO_WEBGPU=1)
describe.skipIf(NO_WEBGPU)('int8/uint8 on webgpu: refused by name', () => {
  it('creating an int8 tensor on webgpu names the dtype, the device and the cast to make', () => {
    expect(() => wg.tensor([1], { dtype: 'int8', device: 'webgpu' })).toThrow(/^tensor: dtype int8 is not supported on webgpu \(WGSL has no 8-bit storage type.*x\.to\('int32'\)/);
  });

  it("moving an int8 tensor to webgpu is refused; .to('int32') first works", async () => {
    const x = wg.tensor([253, 4], { dtype: 'uint8', ...cpu });
    await expect(x.to('webgpu')).rejects.toThrow(/^to: dtype uint8 is not supported on webgpu/);
    const g = await x.to('int32').to('webgpu');
    expect([g.device, g.dtype, await vals(g)]).toEqual(['webgpu', 'int32', [253, 4]]);
  });

  it('casting a webgpu tensor to int8 is refused', () => {
    expect(() => wg.tensor([1], { device: 'webgpu' }).to('int8')).toThrow(/^cast: dtype int8 is not supported on webgpu/);
  });

  it('a 0-d int8 cpu tensor joins webgpu tensors as int32', async () => {
    const s = wg.tensor(5, { dtype: 'int8', ...cpu });
    const r = wg.tensor([1, 2], { dtype: 'int32', device: 'webgpu' }).add(s);
    expect([r.dtype, await vals(r)]).toEqual(['int32', [6, 7]]);
  });

  it('safetensors I8 loads onto webgpu widened to int32 (exact)', async () => {
    const bytes = await wg.io.serializeSafetensors({ a: wg.tensor([-1, 7], { dtype: 'int8', ...cpu }) });
    const t = wg.io.parseSafetensors(bytes, { device: 'webgpu' }).tensors.a!;
    expect([t.dtype, t.device, await vals(t)]).toEqual(['int32', 'webgpu', [-1, 7]]);
  });
});

describe('int8/uint8 on wasm: stored as on cpu (host memory), computed by the cpu reference', () => {
  const w8 = (v: number[], dtype: 'int8' | 'uint8' = 'int8') => wg.tensor(v, { dtype, device: 'wasm' });

  it('creation, wrapping arithmetic and casts match cpu', async () => {
    const s = w8([100, -100]).add(w8([100, -100]));
    expect([s.device, s.dtype, await vals(s)]).toEqual(['wasm', 'int8', [-56, 56]]);
    expect(await vals(w8([1], 'uint8').sub(w8([2], 'uint8')))).toEqual([255]);
    expect(await vals(wg.tensor([300.7, -1.5], { device: 'wasm' }).to('uint8'))).toEqual([44, 255]);
  });

  it('moves between cpu and wasm as int8, and safetensors I8 loads onto wasm as int8', async () => {
    const x = await wg.tensor([-3, 9], { dtype: 'int8', ...cpu }).to('wasm');
    expect([x.device, x.dtype, await vals(x)]).toEqual(['wasm', 'int8', [-3, 9]]);
    const back = await x.to('cpu');
    expect([back.dtype, await vals(back)]).toEqual(['int8', [-3, 9]]);
    const bytes = await wg.io.serializeSafetensors({ a: wg.tensor([-1, 7], { dtype: 'int8', ...cpu }) });
    const t = wg.io.parseSafetensors(bytes, { device: 'wasm' }).tensors.a!;
    expect([t.dtype, t.device, await vals(t)]).toEqual(['int8', 'wasm', [-1, 7]]);
  });
});
