/**
 * float16 (PyTorch's torch.half): 16-bit storage on every backend, ops computing in float32 and
 * rounding their result once (src/kernels/half.ts). The references: the rounding against a
 * brute-force nearest search, every float16 value through each device's conversion kernels, and
 * each op against the same op in float32 on cpu, rounded.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import { floatBitsFromHalfBits, halfBits, halfBitsFromFloatBits, halfValue, roundHalf } from '../src/core/half.js';
import { DEVICES, useDevices } from './helpers.js';

useDevices();

const vals = async (t: wg.Tensor) => Array.from(await t.data());
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const bitsOf = (v: number) => ((f32[0] = v), u32[0]!);

/** A deterministic stream in [-1, 1). */
function stream(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

/** Values already float16 (so the float32 reference starts from the same inputs). */
function halves(n: number, seed: number, scale = 4): Float32Array {
  const r = stream(seed);
  return Float32Array.from({ length: n }, () => roundHalf(r() * scale));
}

/** One float16 ulp at v (the spacing of float16 values at |v|). */
function ulp(v: number): number {
  const a = Math.abs(v);
  if (a < 2 ** -14) return 2 ** -24;
  return 2 ** (Math.floor(Math.log2(a)) - 10);
}

/** Within `ulps` float16 ulps of the reference, elementwise (NaN and infinities exactly). */
function expectHalfClose(got: number[], want: number[], ulps: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const [g, w] = [got[i]!, want[i]!];
    if (!Number.isFinite(w)) {
      expect(Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w)), `${what} [${i}]: ${g} vs ${w}`).toBe(true);
      continue;
    }
    if (Math.abs(g - w) > ulps * ulp(w)) expect(g, `${what} [${i}] (reference ${w})`).toBe(w);
    expect(roundHalf(g), `${what} [${i}] is a float16 value`).toBe(g);
  }
}

describe('float16: rounding on the host', () => {
  it('every float16 widens exactly and narrows back to its own bits (NaNs stay NaN)', () => {
    for (let h = 0; h < 65536; h++) {
      const v = halfValue(h);
      const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      if (isNaN) {
        expect(Number.isNaN(v)).toBe(true);
        expect(halfBitsFromFloatBits(floatBitsFromHalfBits(h)) & 0x7e00).toBe(0x7e00);
        continue;
      }
      // The value by its definition: sign, exponent, mantissa (subnormals: m * 2^-24).
      const e = (h >> 10) & 0x1f;
      const m = h & 0x3ff;
      const mag = e === 0 ? m * 2 ** -24 : e === 31 ? Infinity : (1 + m / 1024) * 2 ** (e - 15);
      expect(Object.is(v, h & 0x8000 ? -mag : mag), `bits ${h.toString(16)}`).toBe(true);
      if (halfBitsFromFloatBits(floatBitsFromHalfBits(h)) !== h) expect(halfBits(v)).toBe(h);
    }
  });

  it('a float32 rounds to the nearest float16, ties to even, overflowing to infinity (against a search)', () => {
    // Every finite float16 in order, to search the two neighbours of a value.
    const finite = Array.from({ length: 0x7c00 }, (_, h) => halfValue(h));
    const r = stream(7);
    const cases: number[] = [65504, 65519.99, 65520, 65536, 1e9, 2 ** -24, 2 ** -25, 2 ** -25 * 1.0001, 2 ** -26, 3 * 2 ** -26, 1e-45, 2 ** -14, 2 ** -14 - 2 ** -25];
    for (let i = 0; i < 4000; i++) {
      // Random bits over the whole float16 range, and exact midpoints between neighbours.
      const h = Math.floor(((r() + 1) / 2) * 0x7bff);
      cases.push(halfValue(h) + (halfValue(h + 1) - halfValue(h)) * ((r() + 1) / 2));
      cases.push((halfValue(h) + halfValue(h + 1)) / 2);
    }
    for (const c of cases) {
      for (const v of [Math.fround(c), -Math.fround(c)]) {
        const a = Math.abs(v);
        let want: number;
        if (a >= 65520) want = Infinity; // 65504 + half an ulp (2^4) and beyond
        else {
          let lo = 0;
          let hi = finite.length - 1;
          while (hi - lo > 1) {
            const mid = (lo + hi) >> 1;
            if (finite[mid]! <= a) lo = mid;
            else hi = mid;
          }
          const [dl, dh] = [a - finite[lo]!, finite[hi]! - a];
          want = dl < dh ? finite[lo]! : dh < dl ? finite[hi]! : finite[lo & 1 ? hi : lo]!;
          if (a >= finite[hi]!) want = finite[hi]!;
        }
        const got = halfValue(halfBitsFromFloatBits(bitsOf(v)));
        expect(Object.is(got, v < 0 || Object.is(v, -0) ? -want : want), `${v}`).toBe(true);
      }
    }
  });
});

describe.each(DEVICES)('float16 on %s', (device) => {
  const on = { device } as const;
  const half = (data: Float32Array, shape: number[]) => wg.tensor(data, { shape, device, dtype: 'float16' });

  it('stores two bytes per element, and keeps no temporaries after an op', async () => {
    const bytes = () => wg.memory().devices[device]!.bytes;
    const before = bytes();
    const x = wg.zeros([1 << 16], { ...on, dtype: 'float16' });
    expect(bytes() - before).toBeGreaterThanOrEqual(1 << 17);
    expect(bytes() - before).toBeLessThan((1 << 17) + 4096);
    const y = x.add(1);
    await wg.sync();
    expect(bytes() - before).toBeLessThan(2 * ((1 << 17) + 4096));
    x.dispose();
    y.dispose();
    expect(bytes()).toBe(before);
  });

  it('every float16 value goes through the device and back unchanged (widen and narrow kernels)', async () => {
    const all = Float32Array.from({ length: 65536 }, (_, h) => halfValue(h));
    const x = half(all, [65536]);
    const back = await vals(x.float());
    const again = await vals(wg.tensor(all, on).half());
    for (let h = 0; h < 65536; h++) {
      const ok = Object.is(back[h], all[h]) || (Number.isNaN(back[h]!) && Number.isNaN(all[h]!));
      if (!ok) expect(back[h], `bits ${h.toString(16)}`).toBe(all[h]);
      if (!(Object.is(again[h], all[h]) || (Number.isNaN(again[h]!) && Number.isNaN(all[h]!)))) expect(again[h], `bits ${h.toString(16)}`).toBe(all[h]);
    }
  });

  it('float32 -> float16 on the device rounds as the host does (ties, subnormals, overflow)', async () => {
    const r = stream(11);
    const src = new Float32Array(30011);
    for (let i = 0; i < src.length; i++) {
      const h = Math.floor(((r() + 1) / 2) * 0x7bff);
      const lo = halfValue(h);
      const hi = halfValue(h + 1);
      src[i] = (i % 3 === 0 ? (lo + hi) / 2 : lo + (hi - lo) * ((r() + 1) / 2)) * (i & 1 ? -1 : 1);
    }
    src.set([65519.99, 65520, -65520, 1e30, 2 ** -25, 3 * 2 ** -26, 1e-40, NaN, -0], 0);
    const want = Array.from(src, roundHalf);
    expectHalfClose(await vals(wg.tensor(src, on).half()), want, 0, 'half()');
    expectHalfClose(await vals(wg.tensor(src, { ...on, dtype: 'float16' })), want, 0, 'tensor(..., float16)');
  });

  const cases: [string, (t: wg.Tensor[]) => wg.Tensor, number[][], number][] = [
    ['exp', ([a]) => a!.exp(), [[7, 13]], 1],
    ['tanh', ([a]) => a!.tanh(), [[7, 13]], 1],
    ['sigmoid', ([a]) => a!.sigmoid(), [[7, 13]], 1],
    ['relu', ([a]) => a!.relu(), [[7, 13]], 0],
    ['log of abs', ([a]) => a!.abs().log(), [[7, 13]], 1],
    ['add with broadcast', ([a, b]) => a!.add(b!), [[5, 1], [1, 7]], 0],
    ['mul', ([a, b]) => a!.mul(b!), [[9, 7], [9, 7]], 0],
    ['div', ([a, b]) => a!.div(b!), [[9, 7], [9, 7]], 1],
    ['maximum', ([a, b]) => a!.maximum(b!), [[3, 33], [3, 33]], 0],
    ['matmul', ([a, b]) => a!.matmul(b!), [[13, 17], [17, 9]], 1],
    ['matmul, transposed operand, batched', ([a, b]) => a!.matmul(b!.transpose(1, 2)), [[3, 5, 7], [3, 4, 7]], 1],
    ['sum over rows', ([a]) => a!.sum(1), [[6, 301]], 1],
    ['mean over columns', ([a]) => a!.mean(0), [[33, 5]], 1],
    ['var and std (composites: float32 inside, rounded once)', ([a]) => wg.stack([a!.var(1), a!.std(1)]), [[4, 29]], 1],
    ['logsumexp', ([a]) => a!.logsumexp(1), [[4, 29]], 1],
    ['max', ([a]) => a!.amax(1), [[6, 31]], 0],
    ['softmax', ([a]) => wg.F.softmax(a!, -1), [[5, 37]], 1],
    ['logSoftmax', ([a]) => wg.F.logSoftmax(a!, -1), [[5, 37]], 1],
    ['layerNorm', ([a]) => wg.F.layerNorm(a!, 19), [[4, 19]], 2],
    ['conv2d', ([x, w]) => wg.F.conv2d(x!, w!, null, { padding: 1 }), [[2, 3, 7, 6], [4, 3, 3, 3]], 2],
    ['cumsum', ([a]) => a!.cumsum(1), [[3, 40]], 1],
    ['a strided slice, transposed', ([a]) => a!.narrow(1, 1, 11).transpose(0, 1).mul(3), [[5, 13]], 0],
  ];

  it.each(cases)('%s: computed in float32, rounded once', async (_name, fn, shapes, ulps) => {
    const datas = shapes.map((s, i) => halves(s.reduce((a, b) => a * b, 1), 100 + i));
    const got = fn(datas.map((d, i) => half(d, shapes[i]!)));
    expect(got.dtype).toBe('float16');
    const ref = fn(datas.map((d, i) => wg.tensor(d, { shape: shapes[i]!, device: 'cpu' })));
    const want = Array.from(await ref.data(), roundHalf);
    // On cpu the kernels are the float32 ones themselves: the same bits.
    expectHalfClose(await vals(got), want, device === 'cpu' ? 0 : ulps, _name);
  });

  it('in-place ops on slices at odd offsets change only their elements (packed words keep their other half)', async () => {
    const base = halves(11, 3);
    const x = half(base, [11]);
    x.narrow(0, 1, 3).add_(1);
    x.narrow(0, 6, 1).fill_(0.1);
    x.narrow(0, 9, 2).mul_(-2);
    const want = Array.from(base);
    for (const i of [1, 2, 3]) want[i] = roundHalf(want[i]! + 1);
    want[6] = roundHalf(0.1);
    for (const i of [9, 10]) want[i] = roundHalf(want[i]! * -2);
    expect(await vals(x)).toEqual(want);
    // A write whose output is a view of the input's storage.
    const y = half(halves(12, 4), [3, 4]);
    const before = await vals(y);
    y.select(0, 1).copy_(y.select(0, 2).add(0.5));
    const after = await vals(y);
    for (let j = 0; j < 4; j++) {
      expect(after[4 + j]).toBe(roundHalf(before[8 + j]! + 0.5));
      expect([after[j], after[8 + j]]).toEqual([before[j], before[8 + j]]);
    }
  });

  it('promotes as PyTorch does: with float32 to float32, with int32 and scalars it stays float16', async () => {
    const h = half(Float32Array.from([1.5, -2]), [2]);
    const f = wg.tensor([0.1, 0.2], on);
    const i = wg.tensor([1, 2], { ...on, dtype: 'int32' });
    expect(h.add(f).dtype).toBe('float32');
    expect(await vals(h.add(f))).toEqual([Math.fround(1.5 + Math.fround(0.1)), Math.fround(-2 + Math.fround(0.2))]);
    expect(h.add(i).dtype).toBe('float16');
    expect(h.mul(0.1).dtype).toBe('float16');
    // The scalar becomes a float16 first, as in PyTorch (1.13 on cpu gives 0.14990234375 for 1.5 * 0.1).
    expect(await vals(h.mul(0.1))).toEqual([roundHalf(1.5 * roundHalf(0.1)), roundHalf(-2 * roundHalf(0.1))]);
    expect(h.gt(0).dtype).toBe('bool');
    expect(await vals(h.gt(0))).toEqual([1, 0]);
    expect(i.half().dtype).toBe('float16');
    expect(h.int().dtype).toBe('int32');
    expect(await vals(h.int())).toEqual([1, -2]);
    expect(h.sum().dtype).toBe('float16');
    expect(await h.sum().item()).toBe(-0.5);
    // Overflow: 300 * 300 is past float16's 65504.
    expect(await vals(half(Float32Array.from([300]), [1]).mul(300))).toEqual([Infinity]);
  });

  it('autograd: the gradient of a float16 leaf is float16, each backward op rounded', async () => {
    const data = halves(12, 5);
    const x = half(data, [3, 4]).requiresGrad_();
    x.mul(x).mul(0.3).sum().backward();
    expect(x.grad!.dtype).toBe('float16');
    // d/dx (0.3 x^2) = (2x) * 0.3 through the backward's ops, each rounded to float16.
    const xs = Array.from(data);
    const viaOps = xs.map((v) => roundHalf(roundHalf(Math.fround(0.3)) * v * 2));
    const got = await vals(x.grad!);
    for (let k = 0; k < got.length; k++) expect(Math.abs(got[k]! - viaOps[k]!)).toBeLessThanOrEqual(ulp(viaOps[k]!));
  });

  it('a Linear.half() model trains with SGD and Adam: parameters, gradients and moments stay float16', async () => {
    for (const make of [(p: wg.Tensor[]) => new wg.optim.SGD(p, { lr: 0.1, momentum: 0.9 }), (p: wg.Tensor[]) => new wg.optim.Adam(p, { lr: 0.01 })]) {
      wg.manualSeed(1);
      const model = new wg.nn.Linear(6, 3);
      await model.to(device);
      model.half();
      for (const p of model.parameters()) expect(p.dtype).toBe('float16');
      const opt = make(model.parameters());
      const x = half(halves(8 * 6, 9), [8, 6]);
      const target = half(halves(8 * 3, 10), [8, 3]);
      const losses: number[] = [];
      for (let s = 0; s < 25; s++) {
        opt.zeroGrad();
        const loss = wg.F.mseLoss(model.forward(x), target);
        expect(loss.dtype).toBe('float16');
        loss.backward();
        for (const p of model.parameters()) expect(p.grad!.dtype).toBe('float16');
        opt.step();
        losses.push(await loss.item());
      }
      for (const p of model.parameters()) {
        expect(p.dtype).toBe('float16');
        const v = await vals(p);
        for (const e of v) expect(roundHalf(e)).toBe(e);
      }
      expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! * 0.8);
    }
  });
});

describe('float16: the names', () => {
  it('an unknown dtype lists float16 among the expected', () => {
    expect(() => wg.tensor([1], 'half' as never)).toThrow('tensor: unknown dtype \'half\' (expected float32, float16, int32, float64, bool, int8 or uint8)');
  });
  it('a tensor prints as float16', () => {
    expect(wg.tensor([1.5], 'float16').toString()).toContain('float16');
  });
});
