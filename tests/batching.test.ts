/**
 * Ops only enqueue: nothing is submitted to the GPU queue, and nothing is read back, until a
 * read asks for values; a long chain is cut into batches of MAX_BATCH kernels.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import { MAX_BATCH, type WebGPUBackend } from '../src/kernels/webgpu/index.js';
import { NO_WEBGPU, useDevices } from './helpers.js';

useDevices();

// webgpu-only by nature; runs whenever the run was not told there is no adapter.
describe.skipIf(NO_WEBGPU)('command batching on webgpu', () => {
  const backend = () => wg.getBackend('webgpu') as WebGPUBackend;

  it('a chain of ops submits nothing until a value is read', async () => {
    const x = wg.rand([64, 64], { device: 'webgpu' });
    const w = wg.rand([64, 64], { device: 'webgpu' });
    await wg.sync();
    const before = backend().submits;
    const dispatched = backend().dispatchCount;
    let y = x;
    for (let i = 0; i < 20; i++) y = y.matmul(w).mul(0.01).relu().add(1);
    const s = y.sum();
    expect(backend().dispatchCount - dispatched).toBeGreaterThanOrEqual(80);
    expect(backend().submits).toBe(before);
    expect(Number.isFinite(await s.item())).toBe(true);
    expect(backend().submits).toBe(before + 1);
  });

  it(`a chain longer than ${MAX_BATCH} kernels is cut into batches without a read`, async () => {
    await wg.sync();
    const before = backend().submits;
    let y = wg.zeros([8], { device: 'webgpu' });
    for (let i = 0; i < MAX_BATCH + 10; i++) y = y.add(1);
    expect(backend().submits).toBe(before + 1);
    expect(Array.from(await y.data())).toEqual(new Array(8).fill(MAX_BATCH + 10));
  });

  it('reading a tensor twice reads the GPU once (values are cached; tensors are immutable)', async () => {
    const y = wg.arange(5, undefined, 1, { device: 'webgpu' }).mul(2);
    const a = await y.data();
    const before = backend().submits;
    const b = await y.data();
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(backend().submits).toBe(before);
    b[0] = 99; // the caller owns its copy
    expect((await y.data())[0]).toBe(0);
  });
});
