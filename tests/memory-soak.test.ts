/**
 * Loops that never call dispose() nor tidy() stay bounded, as long as they read once per step
 * (scripts/soak.mjs, run as a child process on dist/, with and without --expose-gc: webgrad
 * forces the collections itself). The bound: the collection budget (configureMemory's
 * collectEveryBytes) plus one step's allocations plus the model's own state.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEVICES } from './helpers.js';

const run = promisify(execFile);
const MiB = 2 ** 20;

interface Summary {
  steps: number;
  exposeGc: boolean;
  budgetBytes: number;
  paramBytes: number;
  peakLiveBytes: number;
  finalLiveBytes: number;
  collections: number;
  samples: { step: number; liveBytes: number }[];
}

async function soak(flags: string[], args: string[]): Promise<Summary> {
  const { stdout } = await run(process.execPath, [...flags, 'scripts/soak.mjs', ...args, '--json'], {
    env: { ...process.env, EGL_PLATFORM: process.env.EGL_PLATFORM ?? 'surfaceless' },
    maxBuffer: 64 * MiB,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Summary;
}

describe.each(DEVICES)('a loop that never disposes, on %s', (device) => {
  it('dropping 1 MiB tensors (300 MiB in all) stays under the 16 MiB budget plus one step, with and without --expose-gc', async () => {
    const args = ['--workload', 'tensors', '--device', device, '--steps', '150', '--size', String(1 << 18), '--budget-mb', '16'];
    const [plain, exposed] = await Promise.all([soak([], args), soak(['--expose-gc'], args)]);
    expect(plain.exposeGc).toBe(false);
    expect(exposed.exposeGc).toBe(true);
    for (const s of [plain, exposed]) {
      expect(s.collections).toBeGreaterThan(5);
      expect(s.peakLiveBytes).toBeLessThanOrEqual(16 * MiB + 3 * MiB);
    }
  }, 300_000);
});

describe('where collections cannot be forced (as in browsers), on webgpu', () => {
  // webgpu only (GPU memory, invisible to V8, is what the forced collection and ballast are for): skipped only when the run declares no adapter (WEBGRAD_TEST_NO_WEBGPU=1; helpers.ts says so).
  it.skipIf(!DEVICES.includes('webgpu'))('the host ballast lets the engine collect on its own: 500 MiB of dropped 1 MiB tensors peak under 300 MiB', async () => {
    const args = ['--workload', 'tensors', '--device', 'webgpu', '--steps', '250', '--size', String(1 << 18), '--no-force', '--ballast', '0.25', '--samples', '250'];
    const [withBallast, without] = await Promise.all([soak([], args), soak([], [...args.slice(0, -4), '--ballast', '0', '--samples', '250'])]);
    expect(withBallast.collections).toBe(0); // none forced by webgrad
    expect(withBallast.peakLiveBytes).toBeLessThan(300 * MiB);
    // The engine collected on its own: the live bytes fell at least once during the run (the
    // final sample alone may sit at the peak, when the last collection came before the end).
    const live = withBallast.samples.map((p) => p.liveBytes);
    expect(live.some((b, i) => i > 0 && b < live[i - 1]!)).toBe(true);
    // the same loop without the ballast is never collected: every tensor is still held
    expect(without.finalLiveBytes).toBeGreaterThanOrEqual(490 * MiB);
  }, 300_000);
});

describe('a 3,000-step MLP training loop that never disposes (webgpu)', () => {
  // webgpu only (GPU memory, invisible to V8, is what the forced collection and ballast are for): skipped only when the run declares no adapter (WEBGRAD_TEST_NO_WEBGPU=1; helpers.ts says so).
  it.skipIf(!DEVICES.includes('webgpu'))('holds at most the 4 MiB budget plus one step and the model state, with and without --expose-gc', async () => {
    const args = ['--workload', 'mlp', '--device', 'webgpu', '--steps', '3000', '--budget-mb', '4', '--samples', '30'];
    const [plain, exposed] = await Promise.all([soak([], args), soak(['--expose-gc'], args)]);
    for (const s of [plain, exposed]) {
      expect(s.steps).toBe(3000);
      expect(s.collections).toBeGreaterThan(10);
      expect(s.peakLiveBytes).toBeLessThanOrEqual(4 * MiB + 1 * MiB + s.paramBytes);
      // flat: the second half of the run holds no more than the first half did at its peak
      const half = s.samples.filter((p) => p.step > 1500).map((p) => p.liveBytes);
      const first = s.samples.filter((p) => p.step <= 1500).map((p) => p.liveBytes);
      expect(Math.max(...half)).toBeLessThanOrEqual(Math.max(...first) * 1.2);
    }
  }, 600_000);
});
