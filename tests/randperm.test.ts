/**
 * randperm: a permutation of 0..n-1, seeded by manualSeed, the same on every device (drawn on
 * the host from the generator and uploaded); dtypes, edge sizes and the refused calls.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import { DEVICES, NO_WEBGPU, useDevices } from './helpers.js';

useDevices();

const any = <T>(f: T) => f as unknown as (...a: unknown[]) => unknown;
const vals = async (t: wg.Tensor) => Array.from(await t.data());

describe.each(DEVICES)('randperm on %s', (device) => {
  it('randperm(1000) holds every index once, as int32', async () => {
    const p = wg.randperm(1000, { device });
    expect(p.dtype).toBe('int32');
    expect(p.shape).toEqual([1000]);
    const v = await vals(p);
    expect([...v].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(v).not.toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('the same seed gives the same permutation; the next draw and another seed differ', async () => {
    wg.manualSeed(42);
    const a = await vals(wg.randperm(50, { device }));
    const b = await vals(wg.randperm(50, { device }));
    wg.manualSeed(42);
    expect(await vals(wg.randperm(50, { device }))).toEqual(a);
    expect(b).not.toEqual(a);
    wg.manualSeed(43);
    expect(await vals(wg.randperm(50, { device }))).not.toEqual(a);
  });

  it('every position takes every value about equally often (200 draws of n = 4)', async () => {
    wg.manualSeed(1);
    const counts = Array.from({ length: 4 }, () => [0, 0, 0, 0]);
    for (let k = 0; k < 200; k++) (await vals(wg.randperm(4, { device }))).forEach((v, i) => counts[i]![v]!++);
    for (const row of counts) for (const c of row) expect(c).toBeGreaterThan(25); // expected 50
  });

  it('randperm(0) is empty, randperm(1) is [0], and float32 holds the indices too', async () => {
    expect(wg.randperm(0, { device }).shape).toEqual([0]);
    expect(await vals(wg.randperm(1, { device }))).toEqual([0]);
    const f = wg.randperm(6, { device, dtype: 'float32' });
    expect(f.dtype).toBe('float32');
    expect([...(await vals(f))].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('refuses a negative or fractional n, a bool dtype and an unknown option', () => {
    expect(() => wg.randperm(-1, { device })).toThrow('randperm: n must be an integer >= 0 and <= 2147483647, got -1');
    expect(() => wg.randperm(2.5)).toThrow('randperm: n must be an integer');
    expect(() => any(wg.randperm)(3, { device, dtype: 'bool' })).toThrow("randperm: dtype must be one of 'int32', 'float32', 'float64', got 'bool'");
    expect(() => any(wg.randperm)(3, { device, requiresGrad: true })).toThrow("randperm: unknown option 'requiresGrad'");
  });
});

// webgpu only (the same permutation on cpu and webgpu needs both devices): skipped only when the run declares no adapter (WEBGRAD_TEST_NO_WEBGPU=1; helpers.ts says so).
describe.skipIf(NO_WEBGPU)('randperm across devices', () => {
  it('manualSeed(7) gives the same permutation on cpu and webgpu', async () => {
    wg.manualSeed(7);
    const c = await vals(wg.randperm(300, { device: 'cpu' }));
    wg.manualSeed(7);
    expect(await vals(wg.randperm(300, { device: 'webgpu' }))).toEqual(c);
  });
});
