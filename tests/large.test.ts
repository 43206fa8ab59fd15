/**
 * Large tensors on webgpu: kernels over more than 65535 workgroups (one grid dimension's limit)
 * fold the grid into two dimensions and still reach every element; a tensor bigger than the
 * adapter's largest storage binding is refused up front with an error naming both sizes.
 *
 * webgpu only: these sizes test the WebGPU grid and binding limits (cpu has neither).
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { NO_WEBGPU, useDevices } from './helpers.js';

useDevices();

const device = 'webgpu' as const;
/** 17,000,001 elements: ceil(n / 256) = 66,407 workgroups of 256, more than 65,535. */
const N = 17_000_001;
const GRID_X = 65535 * 256; // the first element that needs the grid's second dimension

describe.skipIf(NO_WEBGPU)('tensors needing more than 65535 workgroups on webgpu', () => {
  const made: Tensor[] = [];
  const keep = <T extends Tensor>(t: T): T => (made.push(t), t);
  afterEach(() => {
    for (const t of made.splice(0)) t.dispose();
  });

  it('arange and an elementwise op over 17,000,001 int32 elements write every element', async () => {
    const x = keep(wg.arange(N, undefined, 1, { device, dtype: 'int32' }));
    const y = keep(keep(x.mul(3)).sub(5));
    const v = await y.data();
    expect(v.length).toBe(N);
    for (const i of [0, 1, GRID_X - 1, GRID_X, 2 ** 24, N - 1]) expect(v[i], `element ${i}`).toBe(3 * i - 5);
    let wrong = -1;
    for (let i = 0; i < N; i++) {
      if (v[i] !== 3 * i - 5) {
        wrong = i;
        break;
      }
    }
    expect(wrong, 'first wrong element').toBe(-1);
  });

  it('a float32 elementwise op over 17,000,001 elements computes every element', async () => {
    const x = keep(wg.ones([N], { device }));
    const y = keep(keep(x.mul(0.5)).add(keep(wg.full([1], 0.25, { device }))));
    const v = await y.data();
    let wrong = -1;
    for (let i = 0; i < N; i++) {
      if (v[i] !== 0.75) {
        wrong = i;
        break;
      }
    }
    expect(wrong, 'first wrong element').toBe(-1);
  });

  it('int32 sum of arange(17,000,001) equals n(n-1)/2 wrapped to int32 exactly', async () => {
    const x = keep(wg.arange(N, undefined, 1, { device, dtype: 'int32' }));
    const s = keep(x.sum());
    const n = BigInt(N);
    expect(await s.item()).toBe(Number(BigInt.asIntN(32, (n * (n - 1n)) / 2n)));
  });

  it('argmax and argmin over one row of 17,000,001 elements find the last and first element', async () => {
    // One row this long needs its loop split: llvmpipe stops a shader's loops after 65535 iterations.
    const x = keep(wg.arange(N, undefined, 1, { device, dtype: 'int32' }));
    expect(await keep(x.argmax()).item()).toBe(N - 1);
    expect(await keep(x.argmin()).item()).toBe(0);
    expect(await keep(keep(x.neg()).argmax()).item()).toBe(0);
    expect(await keep(x.max()).item()).toBe(N - 1);
  });

  it('float32 sum of arange(17,000,001) matches n(n-1)/2 to 1e-4', async () => {
    const x = keep(wg.arange(N, undefined, 1, { device, dtype: 'float32' }));
    const s = await keep(x.sum()).item();
    const exact = (N * (N - 1)) / 2;
    expect(Math.abs(s - exact) / exact).toBeLessThan(1e-4);
  });

  it('float32 sum of 17,000,001 halves is n/2', async () => {
    const s = await keep(keep(wg.full([N], 0.5, { device })).sum()).item();
    expect(Math.abs(s - N / 2) / (N / 2)).toBeLessThan(1e-6);
  });

  it('a reduction over 70,000 rows (a workgroup per row) reaches every row', async () => {
    // 70,000 rows: more workgroups than one grid dimension's 65,535, so the grid folds into two
    // (as 200,000 rows did, at less cost). arange as [70000, 85]: row r sums
    // 85 * 85r + (0 + ... + 84) = 7225r + 3570.
    // Time: 27 s alone (--maxWorkers=1) on the 2-core machine at load average ~12 (200,000 rows:
    // 42 s then, 23 s when quieter); the timeout is 4x that, for a machine half as fast.
    const rows = 70_000;
    const x = keep(keep(wg.arange(rows * 85, undefined, 1, { device, dtype: 'int32' })).reshape(rows, 85));
    const v = await keep(x.sum(1)).data();
    let wrong = -1;
    for (let r = 0; r < rows; r++) {
      if (v[r] !== 7225 * r + 3570) {
        wrong = r;
        break;
      }
    }
    expect(wrong, 'first wrong row').toBe(-1);
    const a = await keep(x.argmax(1)).data();
    expect(a.length).toBe(rows);
    expect(a.every((i) => i === 84)).toBe(true);
  }, 120_000);

  it('a reduction over 17,000,001 rows of one element (an invocation per row) reaches every row', async () => {
    const x = keep(keep(wg.arange(N, undefined, 1, { device, dtype: 'int32' })).reshape(N, 1));
    const v = await keep(x.amax(1)).data();
    expect(v.length).toBe(N);
    let wrong = -1;
    for (let i = 0; i < N; i++) {
      if (v[i] !== i) {
        wrong = i;
        break;
      }
    }
    expect(wrong, 'first wrong row').toBe(-1);
  });
});

describe.skipIf(NO_WEBGPU)("tensors beyond the adapter's maxStorageBufferBindingSize on webgpu", () => {
  const limit = () => wg.backendInfo().webgpu!.limits.maxStorageBufferBindingSize;
  const tooMany = () => Math.floor(limit() / 4) + 1; // float32 elements: 4 bytes over the limit at most

  it('the adapter reports a positive limit', () => {
    expect(limit()).toBeGreaterThan(0);
  });

  it('creating one is refused with an error naming its size and the limit', () => {
    const n = tooMany();
    let err: Error | undefined;
    try {
      wg.zeros([n], { device });
    } catch (e) {
      err = e as Error;
    }
    expect(err, 'zeros should throw').toBeDefined();
    expect(err!.message).toContain(`${n} elements`);
    expect(err!.message).toContain(`${n * 4} bytes`);
    expect(err!.message).toContain(`${limit()} bytes`);
    expect(err!.message).toMatch(/maxStorageBufferBindingSize/);
  });

  it('uploading host data of that size is refused the same way', () => {
    const n = tooMany();
    expect(() => wg.tensor(new Float32Array(n), { device })).toThrow(new RegExp(`${n} elements .*${limit()} bytes`));
  });

  it('an op whose result would exceed it is refused, though its inputs fit', () => {
    const half = Math.floor(tooMany() / 2) + 1;
    const a = wg.zeros([half], { device });
    try {
      expect(() => wg.cat([a, a])).toThrow(new RegExp(`${2 * half} elements .*${limit()} bytes`));
    } finally {
      a.dispose();
    }
  });

  it('a tensor just under the limit is allowed', async () => {
    const n = Math.floor(limit() / 4);
    const x = wg.full([n], 2, { device, dtype: 'int32' });
    try {
      const last = x.narrow(0, n - 1, 1);
      expect(await last.item()).toBe(2);
    } finally {
      x.dispose();
    }
  });
});
