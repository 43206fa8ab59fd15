/**
 * F.softmax and F.logSoftmax: the webgpu kernels (a row per workgroup, chunks of a long row, or an
 * invocation per row as on CPU adapters, with vec4 loads for aligned contiguous rows)
 * against the cpu reference over every axis, strided inputs, long rows and large logits; known
 * values; gradients (gradcheck / gradgradcheck in float64 on cpu, webgpu grads against cpu).
 */
import type { DeviceName } from '../src/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { NN_SOFTMAX_LIMITS } from '../src/kernels/softmax/webgpu.js';
import type { WebGPUBackend } from '../src/kernels/webgpu/index.js';
import { isCpuAdapter } from '../src/kernels/webgpu/device.js';
import { DEVICES, expectClose, pair, relErr, reseed, rng, traceDispatches, useDevices } from './helpers.js';

useDevices();
const { F } = wg;
const OPS = [
  ['softmax', F.softmax],
  ['logSoftmax', F.logSoftmax],
] as const;

/** softmax / log-softmax of one row, in doubles, from the definition. */
function rowRef(row: number[], log: boolean): number[] {
  const m = Math.max(...row);
  const s = row.reduce((a, v) => a + Math.exp(v - m), 0);
  return row.map((v) => (log ? v - m - Math.log(s) : Math.exp(v - m) / s));
}

describe.each(DEVICES)('softmax / logSoftmax on %s', (device) => {
  it.each(OPS)('%s over each axis of a 3-D tensor with odd sizes matches cpu', async (_name, f) => {
    reseed(11);
    const [ref, x] = pair([3, 5, 7], device, { low: -4, high: 4 });
    for (const dim of [0, 1, 2, -1, -3]) await expectClose(f(x, dim), f(ref, dim), 2e-6);
  });

  it.each(OPS)('%s of a [2, 3] tensor matches the definition', async (name, f) => {
    const rows = [[1, 2, 3], [-1, 0.5, 4]];
    const got = (await f(wg.tensor(rows, { dtype: 'float32', device }), 1).toArray()) as number[][];
    got.forEach((r, i) => expect(relErr(r, rowRef(rows[i]!, name === 'logSoftmax'))).toBeLessThan(1e-6));
  });

  it.each(OPS)('%s with batch 1 and batch 4, odd row lengths', async (_name, f) => {
    reseed(12);
    for (const shape of [[1, 9], [4, 9], [4, 1], [5]]) {
      const [ref, x] = pair(shape, device);
      await expectClose(f(x, -1), f(ref, -1), 2e-6);
    }
  });

  it.each(OPS)('%s of strided views (transposed, sliced with a step, broadcast) reads them in place', async (_name, f) => {
    reseed(13);
    const [ref, x] = pair([6, 5, 3], device);
    const views = [(t: Tensor) => t.transpose(0, 2), (t: Tensor) => t.slice([1, null, 2], null, [0, 2]), (t: Tensor) => t.select(2, 1).unsqueeze(1).expand(6, 4, 5)];
    for (const v of views) {
      for (const dim of [0, 1, 2]) await expectClose(f(v(x), dim), f(v(ref), dim), 2e-6);
    }
  });

  it.each(OPS)('%s of rows longer than a workgroup (C = 1000 and 5000)', async (_name, f) => {
    reseed(14);
    for (const C of [1000, 5000]) {
      const [ref, x] = pair([3, C], device, { low: -10, high: 10 });
      await expectClose(f(x, 1), f(ref, 1), 2e-6);
      // The same rows down dim 0 (a stride of 3 along the softmax axis).
      await expectClose(f(x.T, 0), f(ref.T, 0), 2e-6);
    }
  });

  it('large logits give exact values, no inf or NaN', async () => {
    const t = (v: number[]) => wg.tensor(v, { dtype: 'float32', device });
    expect(await F.softmax(t([1000, 1000]), 0).toArray()).toEqual([0.5, 0.5]);
    expect(await F.softmax(t([1e4, -1e4]), 0).toArray()).toEqual([1, 0]);
    expect(await F.logSoftmax(t([1e4, -1e4]), 0).toArray()).toEqual([0, -2e4]);
    expect(await F.logSoftmax(t([-1e4, -1e4]), 0).toArray()).toEqual([-Math.fround(Math.LN2), -Math.fround(Math.LN2)]);
    // logSoftmax stays exact where softmax underflows to 0.
    expect(await F.logSoftmax(t([0, -200]), 0).toArray()).toEqual([0, -200]);
    expect(await F.softmax(t([0, -200]), 0).toArray()).toEqual([1, 0]);
    const big = await F.softmax(wg.tensor([[1e4, 9999, -1e4], [-1e4, -1e4, -1e4]], { dtype: 'float32', device }), 1).data();
    expect(Array.from(big).every(Number.isFinite)).toBe(true);
  });

  it('a row of all -inf gives NaN (as PyTorch); other rows are unaffected', async () => {
    const x = wg.tensor([[-Infinity, -Infinity], [0, -Infinity]], { dtype: 'float32', device });
    const s = (await F.softmax(x, 1).toArray()) as number[][];
    expect(s[0]!.every(Number.isNaN)).toBe(true);
    expect(s[1]).toEqual([1, 0]);
    const l = (await F.logSoftmax(x, 1).toArray()) as number[][];
    expect(l[0]!.every(Number.isNaN)).toBe(true);
    expect(l[1]).toEqual([0, -Infinity]);
  });

  it('a 0-d input is a row of one; an empty input stays empty', async () => {
    expect(await F.softmax(wg.tensor(3.5, { dtype: 'float32', device }), 0).item()).toBe(1);
    expect(await F.logSoftmax(wg.tensor(3.5, { dtype: 'float32', device }), -1).item()).toBe(0);
    const e = F.softmax(wg.zeros([0, 3], { device }), 1);
    expect(e.shape).toEqual([0, 3]);
    expect(F.logSoftmax(wg.zeros([2, 0], { device }), 1).shape).toEqual([2, 0]);
  });

  it('bad input: integer tensors and axes out of range', () => {
    expect(() => F.softmax(wg.tensor([1, 2], { dtype: 'int32', device }), 0)).toThrow(/softmax: expected a floating-point tensor, got \[2\] int32/);
    expect(() => F.logSoftmax(wg.zeros([2, 3], { device }), 2)).toThrow(/logSoftmax: dim 2 is out of range for a tensor of rank 2/);
  });

  it.each(OPS)('%s gradients match cpu (each axis, strided input)', async (_name, f) => {
    const grads = async (dev: DeviceName) => {
      reseed(15);
      const out: number[][] = [];
      for (const dim of [0, 1, 2]) {
        const x = wg.tensor(Array.from({ length: 3 * 4 * 5 }, () => rng() * 4 - 2), { shape: [3, 4, 5], dtype: 'float32', device: dev, requiresGrad: true });
        const w = wg.tensor(Array.from({ length: 60 }, () => rng() * 2 - 1), { shape: [5, 4, 3], dtype: 'float32', device: dev });
        f(x.permute(2, 1, 0), dim).mul(w).sum().backward();
        out.push(Array.from(await x.grad!.data()));
      }
      return out;
    };
    const [got, ref] = [await grads(device), await grads('cpu')];
    got.forEach((g, i) => expect(relErr(g, ref[i]!)).toBeLessThan(1e-5));
  });
});

describe.skipIf(!DEVICES.includes('webgpu'))('softmax of rows cut into chunks (webgpu)', () => {
  const saved = NN_SOFTMAX_LIMITS.rowSteps;
  afterEach(() => {
    NN_SOFTMAX_LIMITS.rowSteps = saved;
  });

  it.each(OPS)('%s: chunks of 2 * WG elements give the one-workgroup result', async (_name, f) => {
    NN_SOFTMAX_LIMITS.rowSteps = 2; // 512-element chunks on a 256-wide workgroup
    reseed(16);
    for (const C of [1000, 5000]) {
      const [ref, x] = pair([2, C], 'webgpu', { low: -20, high: 20 });
      await expectClose(f(x, 1), f(ref, 1), 2e-6);
      await expectClose(f(x.T.contiguous(), 0), f(ref.T, 0), 2e-6);
    }
  });

  it('a chunk of only -inf adds nothing; a row of only -inf is NaN', async () => {
    NN_SOFTMAX_LIMITS.rowSteps = 1;
    const C = 1000;
    const vals = Array.from({ length: 2 * C }, (_, i) => (i < C + 600 ? -Infinity : (i % 7) - 3));
    vals[C - 1] = 0; // row 0: one finite element, in the last chunk
    const x = wg.tensor(vals, { shape: [2, C], dtype: 'float32', device: 'webgpu' });
    const ref = wg.tensor(vals, { shape: [2, C], dtype: 'float32', device: 'cpu' });
    await expectClose(F.softmax(x, 1), F.softmax(ref, 1), 2e-6);
    await expectClose(F.logSoftmax(x, 1), F.logSoftmax(ref, 1), 2e-6);
    const allInf = F.softmax(wg.full([1, C], -Infinity, { dtype: 'float32', device: 'webgpu' }), 1);
    expect(Array.from(await allInf.data()).every(Number.isNaN)).toBe(true);
  });
});

// webgpu only (these are webgpu layouts): skipped only when the run declares no adapter (WEBGRAD_TEST_NO_WEBGPU=1; helpers.ts says so).
describe.skipIf(!DEVICES.includes('webgpu'))('softmax with an invocation per row (webgpu; the layout of CPU adapters)', () => {
  const saved = { ...NN_SOFTMAX_LIMITS };
  afterEach(() => {
    Object.assign(NN_SOFTMAX_LIMITS, saved);
  });
  it.each(OPS)('%s: aligned contiguous rows take the vec4 kernel, all others the strided one, and match cpu', async (_name, f) => {
    NN_SOFTMAX_LIMITS.perInvocation = 'always';
    reseed(21);
    {
      // [shape, view, dim, vec4?]: rows of 64 and 12 from offsets 0 and 4; a row of 10, rows
      // from column 1, rows down dim 0, a 3-D tensor's middle axis, transposes.
      const cases: [number[], (t: Tensor) => Tensor, number, boolean][] = [
        [[70, 64], (t) => t, 1, true],
        [[9, 16], (t) => t.slice(null, [4, 16]), 1, true],
        [[5, 3, 8], (t) => t, -1, true],
        [[70, 10], (t) => t, 1, false],
        [[9, 16], (t) => t.slice(null, [1, 13]), 1, false],
        [[40, 12], (t) => t, 0, false],
        [[3, 5, 7], (t) => t, 1, false],
        [[6, 5, 3], (t) => t.transpose(0, 2), 2, false],
      ];
      for (const [shape, view, dim, vec4] of cases) {
        const [ref, x] = pair(shape, 'webgpu', { low: -8, high: 8 });
        const files = await traceDispatches(() => expectClose(f(view(x), dim), f(view(ref), dim), 2e-6));
        expect(files, `[${shape}] dim ${dim}`).toContain(vec4 ? 'softmax_vec4.wgsl:main' : 'softmax.wgsl:row_thread');
      }
    }
  });

  it('large logits, rows of -inf, NaN and +inf come out as on cpu, in both kernels', async () => {
    NN_SOFTMAX_LIMITS.perInvocation = 'always';
    for (const C of [8, 7]) {
      const rows = [
        Array.from({ length: C }, (_, i) => 1e4 * (i % 3) - 5e3),
        Array.from({ length: C }, () => -Infinity),
        Array.from({ length: C }, (_, i) => (i === 2 ? NaN : i)),
        Array.from({ length: C }, (_, i) => (i === 1 ? Infinity : i)),
        Array.from({ length: C }, (_, i) => (i === 3 ? -Infinity : i - 2)),
      ];
      const x = wg.tensor(rows, { dtype: 'float32', device: 'webgpu' });
      const ref = wg.tensor(rows, { dtype: 'float32', device: 'cpu' });
      for (const f of [F.softmax, F.logSoftmax]) {
        const [got, want] = [Array.from(await f(x, 1).data()), Array.from(await f(ref, 1).data())];
        got.forEach((v, i) => (Number.isFinite(want[i]!) ? expect(Math.abs(v - want[i]!)).toBeLessThan(2e-6) : expect(v).toBe(want[i])));
      }
    }
  });

  it('the plan: many rows on a CPU adapter, a workgroup per row otherwise; rows longer than threadRowLen keep the workgroup kernel', async () => {
    const backend = wg.getBackend('webgpu') as WebGPUBackend;
    const x = wg.rand([64, 32], { device: 'webgpu' });
    const run = (t: Tensor) => traceDispatches(async () => void (await F.softmax(t, 1).data()));
    expect(await run(x)).toEqual([isCpuAdapter(backend.adapter) ? 'softmax_vec4.wgsl:main' : 'softmax.wgsl:row']);
    expect(await run(x.slice([0, 63]))).toEqual(['softmax.wgsl:row']); // 63 rows: below threadRows
    NN_SOFTMAX_LIMITS.perInvocation = 'always';
    NN_SOFTMAX_LIMITS.threadRowLen = 16;
    expect(await run(x)).toEqual(['softmax.wgsl:row']);
  });
});

describe('softmax / logSoftmax gradients (float64, cpu)', () => {
  const x = () => {
    reseed(17);
    return wg.tensor(Array.from({ length: 24 }, () => rng() * 4 - 2), { shape: [2, 3, 4], dtype: 'float64', requiresGrad: true });
  };
  it.each(OPS)('%s: gradcheck and gradgradcheck over each axis', async (_name, f) => {
    for (const dim of [0, 1, 2]) {
      expect(await wg.gradcheck((t) => f(t, dim), [x()])).toBe(true);
      expect(await wg.gradgradcheck((t) => f(t, dim), [x()], { atol: 1e-4, rtol: 1e-3 })).toBe(true);
    }
  });

  it('float64 values on cpu match the definition to double precision', async () => {
    const rows = [[1, 2, 3.5], [-1e3, 0, 1e3]];
    for (const log of [false, true]) {
      const got = (await (log ? F.logSoftmax : F.softmax)(wg.tensor(rows, { dtype: 'float64' }), 1).toArray()) as number[][];
      got.forEach((r, i) => expect(relErr(r, rowRef(rows[i]!, log))).toBeLessThan(1e-15));
    }
  });
});
