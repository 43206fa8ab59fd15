/**
 * F.dropout2d / F.dropout1d and nn.Dropout2d / nn.Dropout1d: whole channels zeroed, the rest
 * scaled by 1 / (1 - p), only in training, seeded like F.dropout (same mask on cpu and webgpu
 * after manualSeed). Refused calls: tests/sweep/ops13a.ts.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import { DEVICES, useDevices } from './helpers.js';

useDevices();
const F = wg.F;

/** Per channel (the first `lead` dims), the set of distinct values it holds. */
async function channelValues(t: wg.Tensor, lead: number): Promise<number[][]> {
  const d = Array.from(await t.data());
  const per = t.shape.slice(lead).reduce((a, b) => a * b, 1);
  const out: number[][] = [];
  for (let i = 0; i < d.length; i += per) out.push([...new Set(d.slice(i, i + per))]);
  return out;
}

describe.each(DEVICES)('channel dropout on %s', (device) => {
  it('dropout2d zeroes whole [H, W] planes and scales the others by 1 / (1 - p)', async () => {
    wg.manualSeed(7);
    const y = F.dropout2d(wg.ones([6, 8, 3, 5], { device }), 0.25);
    const chans = await channelValues(y, 2);
    for (const c of chans) expect(c.length === 1 && (c[0] === 0 || Math.abs(c[0]! - 4 / 3) < 1e-6), `channel values ${c}`).toBe(true);
    const zeroed = chans.filter((c) => c[0] === 0).length;
    expect(zeroed).toBeGreaterThan(2); // 48 channels, p = 0.25: about 12
    expect(zeroed).toBeLessThan(30);
  });

  it('dropout1d zeroes whole rows of [N, C, L] and of an unbatched [C, L]', async () => {
    wg.manualSeed(8);
    const y = F.dropout1d(wg.ones([4, 10, 7], { device }), 0.5);
    for (const c of await channelValues(y, 2)) expect(c.length === 1 && (c[0] === 0 || c[0] === 2)).toBe(true);
    const u = F.dropout1d(wg.ones([30, 7], { device }), 0.5);
    const cu = await channelValues(u, 1);
    expect(cu.length).toBe(30);
    for (const c of cu) expect(c.length === 1 && (c[0] === 0 || c[0] === 2)).toBe(true);
    expect(cu.some((c) => c[0] === 0) && cu.some((c) => c[0] === 2)).toBe(true);
  });

  it('is the identity when not training or p = 0; p = 1 zeroes everything', async () => {
    const x = wg.ones([2, 3, 2, 2], { device });
    expect(F.dropout2d(x, 0.5, false)).toBe(x);
    expect(F.dropout1d(x.reshape([2, 3, 4]), 0, true).shape).toEqual([2, 3, 4]);
    expect(Array.from(await F.dropout2d(x, 1).data()).every((v) => v === 0)).toBe(true);
  });

  it('after manualSeed, draws the same channels on this device as on cpu', async () => {
    wg.manualSeed(9);
    const a = await F.dropout2d(wg.ones([3, 16, 2, 2], { device }), 0.5).data();
    wg.manualSeed(9);
    const b = await F.dropout2d(wg.ones([3, 16, 2, 2]), 0.5).data();
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it('the gradient is the mask scaled: 0 in dropped channels, 1 / (1 - p) in kept ones', async () => {
    wg.manualSeed(10);
    const x = wg.ones([2, 8, 3], { device, requiresGrad: true });
    const y = F.dropout1d(x, 0.5);
    y.sum().backward();
    expect(Array.from(await x.grad!.data())).toEqual(Array.from(await y.data()));
  });

  it('nn.Dropout2d and nn.Dropout1d drop channels in training and are the identity in eval', async () => {
    const m2 = new wg.nn.Dropout2d(0.5);
    const m1 = new wg.nn.Dropout1d({ p: 0.5 });
    const x4 = wg.ones([4, 8, 2, 2], { device });
    const x3 = wg.ones([4, 8, 3], { device });
    wg.manualSeed(11);
    expect((await channelValues(m2.forward(x4), 2)).some((c) => c[0] === 0)).toBe(true);
    expect((await channelValues(m1.forward(x3), 2)).some((c) => c[0] === 0)).toBe(true);
    m2.eval();
    m1.eval();
    expect(m2.forward(x4)).toBe(x4);
    expect(m1.forward(x3)).toBe(x3);
    expect(String(m2)).toContain('p=0.5');
  });
});
