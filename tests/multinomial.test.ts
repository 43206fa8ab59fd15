/**
 * multinomial: samples in proportion to the weights, with and without replacement, seeded by
 * manualSeed (the same draw on cpu and webgpu), and the refused calls.
 */
import type { DeviceName } from '../src/index.js';
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import { DEVICES, NO_WEBGPU, useDevices } from './helpers.js';

useDevices();

const any = <T>(f: T) => f as unknown as (...a: unknown[]) => unknown;
const vals = async (t: wg.Tensor) => Array.from(await t.data());

describe.each(DEVICES)('multinomial on %s', (device) => {
  it('with replacement, 4000 draws of weights [1, 0, 3] come out near 1:3, never the zero weight', async () => {
    wg.manualSeed(3);
    const s = wg.multinomial(wg.tensor([1, 0, 3], { device }), 4000, { replacement: true });
    expect(s.dtype).toBe('int32');
    expect(s.shape).toEqual([4000]);
    const v = await vals(s);
    const counts = [0, 1, 2].map((k) => v.filter((x) => x === k).length);
    expect(counts[1]).toBe(0);
    expect(Math.abs(counts[2]! / 4000 - 0.75)).toBeLessThan(0.03);
  });

  it('without replacement each row gets distinct categories, the zero weights last', async () => {
    wg.manualSeed(5);
    const p = wg.tensor([[0.1, 0.2, 0, 0.7], [1, 1, 1, 1]], { device });
    const s = wg.multinomial(p, 4);
    expect(s.shape).toEqual([2, 4]);
    const rows = (await s.toArray()) as number[][];
    for (const r of rows) expect([...r].sort()).toEqual([0, 1, 2, 3]);
    expect(rows[0]![3]).toBe(2);
  });

  it('without replacement the first pick follows the weights (3000 rows of [1, 2, 7])', async () => {
    wg.manualSeed(9);
    const first = await vals(wg.multinomial(wg.tensor([1, 2, 7], { device }).expand(3000, 3), 1));
    expect(Math.abs(first.filter((x) => x === 2).length / 3000 - 0.7)).toBeLessThan(0.03);
  });

  it('refuses more samples than categories without replacement, 0 samples and an int32 probs', () => {
    const p = wg.tensor([0.5, 0.5], { device });
    expect(() => wg.multinomial(p, 3)).toThrow('multinomial: cannot draw 3 samples from 2 categories without replacement (use { replacement: true })');
    expect(() => wg.multinomial(p, 0)).toThrow('multinomial: numSamples must be an integer >= 1, got 0');
    expect(() => wg.multinomial(wg.ones([2], { device, dtype: 'int32' }), 1)).toThrow('multinomial: probs must be a floating-point tensor');
    expect(() => any(wg.multinomial)(p, 1, { replace: true })).toThrow("multinomial: unknown option 'replace'");
    expect(() => wg.multinomial(wg.ones([2, 2, 2], { device }), 1)).toThrow('multinomial: probs must be 1-D [K] or 2-D [N, K], got shape [2, 2, 2]');
  });
});

// webgpu only (the same samples on cpu and webgpu needs both devices): skipped only when the run declares no adapter (WEBGRAD_TEST_NO_WEBGPU=1; helpers.ts says so).
describe.skipIf(NO_WEBGPU)('multinomial across devices', () => {
  it('manualSeed(11) gives the same samples on cpu and webgpu, with and without replacement', async () => {
    const w = [0.25, 0.5, 1, 2, 4.25];
    const draw = async (device: DeviceName) => {
      wg.manualSeed(11);
      const a = await vals(wg.multinomial(wg.tensor(w, { device }), 50, { replacement: true }));
      const b = await vals(wg.multinomial(wg.tensor(w, { device }), 5));
      return [a, b];
    };
    expect(await draw('webgpu')).toEqual(await draw('cpu'));
  });
});
