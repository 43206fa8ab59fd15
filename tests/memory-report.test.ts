/**
 * The pool shrinks (by age, by cap, on memory({ trim: true })), the leak report groups live
 * tensors by the op that made them (and call site when asked), and the memory settings are
 * validated.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { WebGPUBackend } from '../src/kernels/webgpu/index.js';
import { BufferPool } from '../src/kernels/webgpu/pool.js';
import { DEVICES, NO_WEBGPU, useDevices } from './helpers.js';

useDevices();
afterEach(() => {
  wg.configureMemory({ callSites: false });
});

// webgpu only (the buffer pool is webgpu's): skipped only when the run declares no adapter (WEBGRAD_TEST_NO_WEBGPU=1; helpers.ts says so).
describe.skipIf(NO_WEBGPU)('the webgpu buffer pool', () => {
  const backend = () => wg.getBackend('webgpu') as WebGPUBackend;

  it('memory({ trim: true }) destroys every pooled buffer and reports the bytes', async () => {
    const ts = [1, 2, 3].map((i) => wg.zeros([1000 * i], { device: 'webgpu' }));
    await wg.sync();
    for (const t of ts) t.dispose();
    const before = wg.memory().devices.webgpu!;
    expect(before.pooledBytes).toBeGreaterThan(0);
    const m = wg.memory({ trim: true });
    expect(m.trimmedBytes).toBe(before.pooledBytes);
    expect(m.devices.webgpu!.pooledBytes).toBe(0);
    expect(m.devices.webgpu!.pooledBuffers).toBe(0);
  });

  it('a buffer not reused within maxAgeSubmits submits is destroyed', async () => {
    wg.memory({ trim: true });
    const t = wg.zeros([12345], { device: 'webgpu' });
    await wg.sync();
    t.dispose();
    const pool = (backend() as unknown as { pool: BufferPool }).pool;
    const pooled = pool.pooledBytes;
    expect(pooled).toBeGreaterThan(0);
    // Submits that use other sizes only: the old buffer ages out.
    for (let i = 0; i < pool.maxAgeSubmits + 32; i++) {
      const u = wg.ones([7], { device: 'webgpu' });
      backend().flush();
      u.dispose();
    }
    expect(pool.pooledBytes).toBeLessThan(pooled);
  });

  it('buffers released beyond maxPooledBytes are destroyed, not pooled', async () => {
    wg.memory({ trim: true });
    const pool = (backend() as unknown as { pool: BufferPool }).pool;
    const cap = pool.maxPooledBytes;
    pool.maxPooledBytes = 64 * 1024;
    try {
      const ts = Array.from({ length: 8 }, () => wg.zeros([16 * 1024], { device: 'webgpu' })); // 64 KiB each
      await wg.sync();
      for (const t of ts) t.dispose();
      expect(pool.pooledBytes).toBeLessThanOrEqual(64 * 1024);
      backend().flush();
    } finally {
      pool.maxPooledBytes = cap;
    }
  });
});

describe.each(DEVICES)('the leak report on %s', (device) => {
  it('groups live tensors by the op that made them, largest first', () => {
    const x = wg.randn([64, 64], { device });
    const kept = Array.from({ length: 5 }, () => x.matmul(x));
    const e = x.exp();
    const report = wg.memory({ detailed: true });
    const mm = report.live!.find((g) => g.device === device && g.op === 'matmul');
    expect(mm?.tensors).toBeGreaterThanOrEqual(5);
    expect(mm!.bytes).toBeGreaterThanOrEqual(5 * 64 * 64 * 4);
    expect(report.live!.find((g) => g.device === device && g.op === 'exp')).toBeDefined();
    for (let i = 1; i < report.live!.length; i++) expect(report.live![i - 1]!.bytes).toBeGreaterThanOrEqual(report.live![i]!.bytes);
    const before = mm!.tensors;
    for (const t of kept) t.dispose();
    const after = wg.memory({ detailed: true }).live!.find((g) => g.device === device && g.op === 'matmul');
    expect(after?.tensors ?? 0).toBe(before - 5);
    e.dispose();
    x.dispose();
  });

  it('with call sites on, names the line of the caller outside webgrad', () => {
    wg.configureMemory({ callSites: true });
    const t = wg.ones([3], { device }).mul(3);
    const g = wg.memory({ detailed: true }).live!.find((l) => l.device === device && l.op === 'mul' && l.site?.includes('memory-report.test.ts'));
    expect(g).toBeDefined();
    t.dispose();
  });

  it('names creation functions and uploads too', () => {
    const ts = [wg.zeros([7, 5], { device }), wg.randn([7, 5], { device }), wg.tensor(new Float32Array(35), { device, shape: [7, 5] })];
    const ops = wg.memory({ detailed: true }).live!.filter((g) => g.device === device).map((g) => g.op);
    for (const op of ['zeros', 'randn', 'tensor']) expect(ops).toContain(op);
    for (const t of ts) t.dispose();
  });

  it('without detailed, no report is made', () => {
    expect(wg.memory().live).toBeUndefined();
  });
});

describe('memory settings', () => {
  it('memory() refuses unknown options', () => {
    expect(() => wg.memory({ trimm: true } as never)).toThrow("memory: unknown option 'trimm' (did you mean 'trim'?)");
    expect(() => wg.memory({ trim: 1 } as never)).toThrow('memory: trim must be true or false, got 1');
  });
  it('configureMemory checks its values and returns the settings', () => {
    expect(() => wg.configureMemory({ collectEveryBytes: -1 })).toThrow('configureMemory: collectEveryBytes must be a finite number > 0, got -1');
    expect(() => wg.configureMemory({ budget: 1 } as never)).toThrow("configureMemory: unknown option 'budget'");
    const s = wg.configureMemory();
    expect(s.collectEveryBytes).toBe(64 * 2 ** 20);
    expect(s.forceCollection).toBe(true);
  });
  it('the collector can force collections here (Node) and counts them', () => {
    expect(wg.memory().collector.canForce).toBe(true);
  });

  it('bytes disposed (a tidy scope per step) are not counted toward a collection; dropped ones are', () => {
    const saved = wg.configureMemory();
    try {
      wg.configureMemory({ collectEveryBytes: 4 * 2 ** 20 });
      const before = wg.memory().collector.collections;
      // 40 steps of 1 MiB made and disposed: 10 budgets' worth, and no collection.
      for (let i = 0; i < 40; i++) wg.tidy(() => void wg.zeros([262144]).add(1));
      expect(wg.memory().collector.collections).toBe(before);
      expect(wg.memory().collector.allocatedSinceCollection).toBeLessThan(2 * 2 ** 20);
      // The same tensors dropped: collections are forced.
      let kept = wg.zeros([1]);
      for (let i = 0; i < 40; i++) kept = wg.zeros([262144]).add(1);
      expect(wg.memory().collector.collections).toBeGreaterThan(before);
      kept.dispose();
    } finally {
      wg.configureMemory({ collectEveryBytes: saved.collectEveryBytes });
    }
  });
});
