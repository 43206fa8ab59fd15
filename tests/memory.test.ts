/**
 * Memory is explicit and measurable: `dispose()` frees at once, `tidy(fn)` frees what `fn`
 * made except what it returns or `keep`s, training-style loops stay flat, loops that never
 * dispose are bounded by the garbage collector, and the webgpu pool reuses freed buffers.
 *
 * Every check is a difference of `memory()` taken inside the test, after `settle()` has let
 * pending finalizers run, so tensors dropped by earlier tests cannot move the numbers.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import type { WebGPUBackend } from '../src/kernels/webgpu/index.js';
import { DEVICES, NO_WEBGPU, expectClose, pair, useDevices } from './helpers.js';

useDevices();

const gc = (globalThis as { gc?: () => void }).gc;

/** A full collection, then two macrotasks so that FinalizationRegistry callbacks have run. */
async function collect(): Promise<void> {
  if (!gc) throw new Error('global.gc is missing: vitest must run with --expose-gc (see vitest.config.ts)');
  gc();
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
}

/** Lets garbage from earlier tests be collected, and the GPU queue drain. */
async function settle(): Promise<void> {
  await wg.sync();
  await collect();
}

interface Snap {
  tensors: number;
  bytes: number;
  buffers: number;
}
function snap(d: DeviceName): Snap {
  const m = wg.memory().devices[d]!;
  return { tensors: m.tensors, bytes: m.bytes, buffers: m.buffers };
}
function delta(d: DeviceName, from: Snap): Snap {
  const now = snap(d);
  return { tensors: now.tensors - from.tensors, bytes: now.bytes - from.bytes, buffers: now.buffers - from.buffers };
}
const NONE: Snap = { tensors: 0, bytes: 0, buffers: 0 };

describe.each(DEVICES)('dispose() on %s', (device) => {
  it('frees a tensor at once: tensors, buffers and bytes drop', async () => {
    await settle();
    const before = snap(device);
    const t = wg.zeros([256], { device });
    const bytes = t.storage.bytes;
    expect(bytes).toBeGreaterThanOrEqual(256 * 4);
    expect(delta(device, before)).toEqual({ tensors: 1, bytes, buffers: 1 });
    // The totals agree with the per-device numbers.
    const total = wg.memory();
    expect(total.tensors).toBe(Object.values(total.devices).reduce((a, m) => a + m!.tensors, 0));
    expect(total.bytes).toBe(Object.values(total.devices).reduce((a, m) => a + m!.bytes, 0));
    t.dispose();
    expect(t.isDisposed).toBe(true);
    expect(delta(device, before)).toEqual(NONE);
  });

  it('disposing twice is a no-op (counts do not go below the start)', async () => {
    await settle();
    const before = snap(device);
    const t = wg.ones([3], { device });
    t.dispose();
    t.dispose();
    expect(delta(device, before)).toEqual(NONE);
  });

  it('a disposed view does not free the storage while its base lives', async () => {
    await settle();
    const before = snap(device);
    const base = wg.arange(12, undefined, 1, { device, dtype: 'float32' });
    const view = base.view(3, 4);
    const bytes = base.storage.bytes;
    expect(view.storage).toBe(base.storage);
    // Views are tensors of their own but share the one buffer.
    expect(delta(device, before)).toEqual({ tensors: 2, bytes, buffers: 1 });
    view.dispose();
    expect(delta(device, before)).toEqual({ tensors: 1, bytes, buffers: 1 });
    expect(Array.from(await base.data())).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    base.dispose();
    expect(delta(device, before)).toEqual(NONE);
  });

  it('disposing the base while a view lives keeps the storage until the view is disposed', async () => {
    await settle();
    const before = snap(device);
    const base = wg.arange(6, undefined, 1, { device, dtype: 'float32' });
    const bytes = base.storage.bytes;
    const view = base.slice([1, 5, 3]); // elements 1 and 4
    base.dispose();
    expect(delta(device, before)).toEqual({ tensors: 1, bytes, buffers: 1 });
    // The view still reads the right values from the shared storage.
    expect(await view.toArray()).toEqual([1, 4]);
    view.dispose();
    expect(delta(device, before)).toEqual(NONE);
  });

  it('the result of an op owns its own storage; disposing inputs does not touch it', async () => {
    await settle();
    const before = snap(device);
    const a = wg.tensor([1, 2, 3], { device, dtype: 'float32' });
    const b = a.mul(2);
    a.dispose();
    expect(Array.from(await b.data())).toEqual([2, 4, 6]);
    b.dispose();
    expect(delta(device, before)).toEqual(NONE);
  });
});

describe.each(DEVICES)('tidy() on %s', (device) => {
  it('disposes everything made inside except the returned tensor', async () => {
    await settle();
    const before = snap(device);
    const y = wg.tidy(() => {
      const a = wg.ones([4], { device });
      const b = a.add(1);
      const c = b.mul(b).sub(a); // temporaries: a, b, b*b
      return c.relu();
    });
    expect(y.isDisposed).toBe(false);
    expect(delta(device, before)).toEqual({ tensors: 1, bytes: y.storage.bytes, buffers: 1 });
    expect(Array.from(await y.data())).toEqual([3, 3, 3, 3]);
    y.dispose();
    expect(delta(device, before)).toEqual(NONE);
  });

  it('keeps the tensors in a returned array, object and Map (and nested ones)', async () => {
    await settle();
    const before = snap(device);
    const { arr, obj, map } = wg.tidy(() => {
      const x = wg.ones([2], { device });
      x.add(100); // dropped
      return {
        arr: [x.mul(2), [x.mul(3)]] as const,
        obj: { a: x.mul(4), nested: { b: x.mul(5) } },
        map: new Map<string, Tensor>([['c', x.mul(6)]]),
      };
    });
    const kept: Tensor[] = [arr[0], arr[1][0], obj.a, obj.nested.b, map.get('c')!];
    expect(kept.every((t) => !t.isDisposed)).toBe(true);
    expect(delta(device, before).tensors).toBe(5);
    expect((await Promise.all(kept.map((t) => t.data()))).map((v) => v[0])).toEqual([2, 3, 4, 5, 6]);
    for (const t of kept) t.dispose();
    expect(delta(device, before)).toEqual(NONE);
  });

  it('keep() marks a tensor to outlive the scope', async () => {
    await settle();
    const before = snap(device);
    let kept!: Tensor;
    let dropped!: Tensor;
    const r = wg.tidy(() => {
      kept = wg.keep(wg.full([3], 7, { device }));
      dropped = wg.full([3], 8, { device });
      return 42;
    });
    expect(r).toBe(42);
    expect(kept.isDisposed).toBe(false);
    expect(dropped.isDisposed).toBe(true);
    expect(delta(device, before).tensors).toBe(1);
    kept.dispose();
    expect(delta(device, before)).toEqual(NONE);
  });

  it('nested tidy: the inner result belongs to the outer scope', async () => {
    await settle();
    const before = snap(device);
    let inner!: Tensor;
    let innerTemp!: Tensor;
    let droppedByOuter!: Tensor;
    const out = wg.tidy(() => {
      const x = wg.ones([2], { device });
      inner = wg.tidy(() => {
        innerTemp = x.add(1);
        return innerTemp.mul(2);
      });
      expect(innerTemp.isDisposed).toBe(true); // freed when the inner scope closed
      expect(inner.isDisposed).toBe(false);
      droppedByOuter = wg.tidy(() => x.add(10)); // returned by the inner scope, not by the outer one
      return inner.add(x);
    });
    expect(inner.isDisposed).toBe(true);
    expect(droppedByOuter.isDisposed).toBe(true);
    expect(Array.from(await out.data())).toEqual([5, 5]);
    expect(delta(device, before).tensors).toBe(1);
    out.dispose();
    expect(delta(device, before)).toEqual(NONE);
  });

  it('an exception inside tidy still disposes what was made, and propagates', async () => {
    await settle();
    const before = snap(device);
    let made!: Tensor;
    expect(() =>
      wg.tidy(() => {
        made = wg.ones([8], { device }).mul(3);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(made.isDisposed).toBe(true);
    expect(delta(device, before)).toEqual(NONE);
  });

  it('an op that throws inside tidy (shape error) leaves nothing behind', async () => {
    await settle();
    const before = snap(device);
    expect(() =>
      wg.tidy(() => {
        const a = wg.ones([2, 3], { device });
        return a.matmul(wg.ones([2, 3], { device }));
      }),
    ).toThrow(/matmul/);
    expect(delta(device, before)).toEqual(NONE);
  });

  it('returning a Promise throws, and the tensors made before it are still freed', async () => {
    await settle();
    const before = snap(device);
    let made!: Tensor;
    expect(() =>
      wg.tidy(async () => {
        made = wg.ones([4], { device });
        await Promise.resolve();
        return 1;
      }),
    ).toThrow(/tidy.*Promise.*synchronous/);
    expect(made.isDisposed).toBe(true);
    expect(delta(device, before)).toEqual(NONE);
  });

  it('a tensor disposed inside tidy by hand is not disposed twice', async () => {
    await settle();
    const before = snap(device);
    const y = wg.tidy(() => {
      const a = wg.ones([4], { device });
      const b = a.add(1);
      a.dispose();
      return b;
    });
    expect(delta(device, before).tensors).toBe(1);
    y.dispose();
    expect(delta(device, before)).toEqual(NONE);
  });
});

describe.each(DEVICES)('a 1,000-step loop inside tidy on %s', (device) => {
  it('leaves memory() exactly where it started (tensors, buffers, bytes) and computes the right sum', async () => {
    const [xc, x] = pair([8, 16], device);
    const [wc, w] = pair([16, 4], device);
    const [bc, b] = pair([4], device);
    const ref = xc.matmul(wc).add(bc).relu().sum();
    const expected = (await ref.item()) * 1000;
    for (const t of [xc, wc, bc, ref]) t.dispose();
    await settle();
    const before = snap(device);
    let total = wg.zeros([], { device });
    let mid: Snap | undefined;
    for (let i = 0; i < 1000; i++) {
      const next = wg.tidy(() => total.add(x.matmul(w).add(b).relu().sum()));
      total.dispose();
      total = next;
      if (i === 499) mid = delta(device, before);
    }
    // Halfway, only the running total is held beyond the start.
    expect(mid).toEqual({ tensors: 1, bytes: total.storage.bytes, buffers: 1 });
    const want = wg.tensor(expected, { dtype: 'float32', device });
    await expectClose(total, want, 1e-4);
    total.dispose();
    want.dispose();
    await wg.sync();
    expect(delta(device, before)).toEqual(NONE);
    for (const t of [x, w, b]) t.dispose();
  });
});

describe.each(DEVICES)('a loop that never calls dispose() on %s', (device) => {
  it('stays bounded: the garbage collector returns dropped tensors and their buffers', async () => {
    const ITERS = 3000;
    const GC_EVERY = 100;
    const N = 1024; // elements per tensor
    const x = wg.rand([N], { device });
    await settle();
    const before = snap(device);
    let perIterTensors = 0;
    let perIterBytes = 0;
    let peak = { tensors: 0, bytes: 0 };
    for (let i = 0; i < ITERS; i++) {
      // Two new tensors per step, never disposed.
      const y = x.add(1).mul(2);
      if (i === 0) {
        perIterTensors = delta(device, before).tensors;
        perIterBytes = delta(device, before).bytes;
        expect(y.size).toBe(N);
      }
      if ((i + 1) % GC_EVERY === 0) {
        const d = delta(device, before);
        peak = { tensors: Math.max(peak.tensors, d.tensors), bytes: Math.max(peak.bytes, d.bytes) };
        if (device === 'webgpu') await wg.sync(); // let queued kernels finish; freed buffers go back to the pool
        await collect();
      }
    }
    await collect();
    const after = delta(device, before);

    // What GC_EVERY steps make between two collections, with room to spare: the bound.
    expect(perIterTensors).toBe(2);
    expect(perIterBytes).toBeGreaterThanOrEqual(2 * N * 4);
    const tensorBound = 3 * GC_EVERY * perIterTensors;
    const byteBound = 3 * GC_EVERY * perIterBytes;
    // Without collection the loop would hold every tensor it made: at least 10x the bound,
    // so these assertions fail if the FinalizationRegistry path stops freeing.
    expect(ITERS * perIterTensors).toBeGreaterThanOrEqual(10 * tensorBound);
    expect(ITERS * perIterBytes).toBeGreaterThanOrEqual(10 * byteBound);
    expect(peak.tensors).toBeLessThanOrEqual(tensorBound);
    expect(peak.bytes).toBeLessThanOrEqual(byteBound);
    // After a last collection almost nothing is left (the engine may hold a last value or two).
    expect(after.tensors).toBeLessThanOrEqual(2 * perIterTensors);
    expect(after.bytes).toBeLessThanOrEqual(2 * perIterBytes);
    expect(after.tensors).toBeGreaterThanOrEqual(0);
    x.dispose();
  });
});

describe.skipIf(NO_WEBGPU)('the webgpu buffer pool', () => {
  const backend = () => wg.getBackend('webgpu') as WebGPUBackend;
  const device = 'webgpu' as const;

  it('bind groups are reused for the same kernel on the same buffers, forgotten when a buffer is destroyed, and bounded', async () => {
    const b = backend();
    const x = wg.rand([8], { device });
    const y = wg.rand([8], { device });
    const z1 = x.add(y);
    await z1.data();
    const { hits, misses } = b.bindGroups;
    const z2 = x.add(y); // the same kernel, x and y, and a new out
    z1.dispose();
    const z3 = x.add(y); // z1's buffer back from the pool: the group of the first add again
    expect(b.bindGroups.hits - hits).toBe(1);
    expect(b.bindGroups.misses - misses).toBe(1);
    expect(Array.from(await z3.data())).toEqual(Array.from(await z2.data()));
    // A destroyed buffer takes its groups with it: the next op on a new buffer in its place computes right.
    z3.dispose();
    const size = b.bindGroups.size;
    b.trimPool();
    expect(b.bindGroups.size).toBeLessThan(size);
    const z4 = x.add(y);
    expect(Array.from(await z4.data())).toEqual(Array.from(await z2.data()));
    // Bounded: many distinct buffer sets never hold more than the cache's limit.
    const made: Tensor[] = [];
    b.bindGroups.limit = 50;
    try {
      for (let i = 0; i < 300; i++) {
        made.push(x.add(y));
        expect(b.bindGroups.size).toBeLessThanOrEqual(50);
      }
      await wg.sync();
    } finally {
      b.bindGroups.limit = 4096;
    }
    for (const t of [x, y, z2, z4, ...made]) t.dispose();
  });

  it('a freed buffer goes to the pool and the next same-size allocation takes it back', async () => {
    await settle();
    const m0 = wg.memory().devices.webgpu!;
    const t = wg.zeros([1000], { device }); // 4,000 bytes -> a 4,096-byte size class
    const handle = t.storage.handle;
    const size = t.storage.bytes;
    expect(size).toBe(4096);
    const m1 = wg.memory().devices.webgpu!;
    expect(m1.buffers - m0.buffers).toBe(1);
    expect(m1.bytes - m0.bytes).toBe(size);

    t.dispose();
    const m2 = wg.memory().devices.webgpu!;
    expect(m2.buffers).toBe(m0.buffers);
    expect(m2.bytes).toBe(m0.bytes);
    expect(m2.pooledBytes - m1.pooledBytes).toBe(size);
    expect(m2.pooledBuffers - m1.pooledBuffers).toBe(1);

    // Same size class (1,001 elements round to 4,096 bytes too): the same GPUBuffer comes back.
    const u = wg.zeros([1001], { device });
    expect(u.storage.handle).toBe(handle);
    const m3 = wg.memory().devices.webgpu!;
    expect(m2.pooledBytes - m3.pooledBytes).toBe(size);
    expect(m3.pooledBuffers).toBe(m1.pooledBuffers);
    expect(m3.buffers - m0.buffers).toBe(1);
    // A reused buffer holds the new tensor's values, not the old ones.
    expect(Array.from(await u.data()).every((v) => v === 0)).toBe(true);
    u.dispose();
  });

  it('memory().devices.webgpu.buffers counts live storages, not tensors', async () => {
    await settle();
    const m0 = wg.memory().devices.webgpu!;
    const base = wg.rand([4, 6], { device });
    const views = [base.transpose(0, 1), base.reshape(24), base.slice([1, 3])];
    const m1 = wg.memory().devices.webgpu!;
    expect(m1.tensors - m0.tensors).toBe(4);
    expect(m1.buffers - m0.buffers).toBe(1);
    const copy = views[0]!.contiguous(); // not contiguous: a copy with its own buffer
    expect(wg.memory().devices.webgpu!.buffers - m0.buffers).toBe(2);
    for (const t of [base, ...views, copy]) t.dispose();
    expect(wg.memory().devices.webgpu!.buffers).toBe(m0.buffers);
    expect(wg.memory().devices.webgpu!.bytes).toBe(m0.bytes);
  });

  it('an upload does not take a buffer freed in the batch not yet submitted, but does after a submit', async () => {
    await settle();
    const a = wg.zeros([300], { device }); // its kernel is recorded, not submitted
    const handle = a.storage.handle;
    a.dispose();
    const up1 = wg.tensor(new Float32Array(300).fill(5), { device });
    expect(up1.storage.handle).not.toBe(handle); // writeBuffer would run before the recorded kernel
    await wg.sync(); // submits: the freed buffer is now safe for uploads
    const up2 = wg.tensor(new Float32Array(300).fill(6), { device });
    expect(up2.storage.handle).toBe(handle);
    expect(Array.from(await up2.data()).every((v) => v === 6)).toBe(true);
    expect(Array.from(await up1.data()).every((v) => v === 5)).toBe(true);
    up1.dispose();
    up2.dispose();
  });

  it('a 1,000-step loop without tidy but with dispose() keeps the pool from growing', async () => {
    const x = wg.rand([32, 32], { device });
    await settle();
    const m0 = wg.memory().devices.webgpu!;
    let pooledAfter10 = 0;
    for (let i = 0; i < 1000; i++) {
      const y = x.matmul(x);
      const z = y.relu();
      y.dispose();
      z.dispose();
      if (i === 9) pooledAfter10 = wg.memory().devices.webgpu!.pooledBytes;
    }
    await wg.sync();
    const m1 = wg.memory().devices.webgpu!;
    expect(m1.buffers).toBe(m0.buffers);
    expect(m1.bytes).toBe(m0.bytes);
    // Steady state: the pool holds what one step needs, it does not grow with the step count.
    expect(m1.pooledBytes).toBe(pooledAfter10);
    expect(backend().pool.pooledBytes).toBe(m1.pooledBytes);
    x.dispose();
  });
});
