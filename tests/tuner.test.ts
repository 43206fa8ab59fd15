/**
 * The autotuner (kernels/tuner.ts) and its cache (kernels/tuning.ts): tuning picks a variant
 * from the candidates that gives cpu's results, a cache hit measures nothing, reset clears
 * memory and file, a forced variant wins over the cache, a corrupt cache file is ignored with
 * one warning and rewritten, a wrong or throwing candidate is never chosen, record mode tunes
 * exactly the classes met, the browser's localStorage path, and atomic writes. Every test has
 * its own cache file in a temporary directory. No timing assertions: where the choice matters,
 * the measured times are replaced through the test hook.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as wg from '../src/index.js';
import { KERNEL_VARIANTS } from '../src/kernels/variants.js';
import { setTunerHooksForTesting } from '../src/kernels/tuner.js';
import { WEBGRAD_VERSION, bucket, convClass, defaultCachePath, matmulClass, reduceClass, setNoNodeForTesting, shapeClassOf } from '../src/kernels/tuning.js';
import { NO_WEBGPU, expectClose, useDevices } from './helpers.js';
import { isCpuAdapter } from '../src/kernels/webgpu/device.js';
import type { WebGPUBackend } from '../src/kernels/webgpu/index.js';

useDevices();

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'webgrad-tuning-'));
  file = join(dir, 'kernel-tuning.json');
  wg.configureKernelTuning({ mode: 'off', cache: file });
  wg.resetKernelTuning();
});
afterEach(() => {
  setTunerHooksForTesting(undefined);
  setNoNodeForTesting(false);
  vi.unstubAllGlobals();
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  wg.configureKernels({ matmul: null, conv: null, reduce: null });
  wg.configureKernelTuning({ cache: file }); // reset removes this test's file, never the user's default one
  wg.resetKernelTuning();
  wg.configureKernelTuning({ mode: 'off', cache: null });
  rmSync(dir, { recursive: true, force: true });
});

/** The matmul plan's own choice for a 20 x 40 output: 8 x 16 register blocks on a CPU adapter (M <= 32), else 32 x 32 tiles. */
const narrowPlan = (): string => (isCpuAdapter((wg.getBackend('webgpu') as WebGPUBackend).adapter) ? 'block8x16' : 'tile32x32');

/** Small problems, one of each family (a few seconds on llvmpipe). */
const SMALL = {
  matmul: [{ m: 20, n: 40, k: 30 }],
  conv: [{ x: [2, 3, 9, 7], w: [5, 3, 3, 3], padding: 1 }],
  reduce: [{ rows: 70, len: 50 }],
} satisfies wg.TuneOptions['shapes'];

describe('tuning options and shape classes', () => {
  it('refuses unknown options and bad values, naming the function, the value and what was expected', async () => {
    expect(() => wg.configureKernelTuning({ mod: 'cached' } as never)).toThrow("configureKernelTuning: unknown option 'mod' (did you mean 'mode'?); accepted options: mode, cache");
    expect(() => wg.configureKernelTuning({ mode: 'on' as never })).toThrow("configureKernelTuning: mode must be one of 'off', 'cached', 'record', got 'on'");
    expect(() => wg.configureKernelTuning({ cache: 3 as never })).toThrow('configureKernelTuning: cache must be a file path (a non-empty string), false (memory only) or null (the default), got 3');
    await expect(wg.tuneKernels({ run: 2 } as never)).rejects.toThrow("tuneKernels: unknown option 'run' (did you mean 'runs'?)");
    await expect(wg.tuneKernels({ runs: 0 })).rejects.toThrow('tuneKernels: runs must be an integer >= 1 and <= 100, got 0');
    await expect(wg.tuneKernels({ families: ['matmull' as never] })).rejects.toThrow("tuneKernels: families must be one of 'matmul', 'conv', 'reduce', got 'matmull' (did you mean 'matmul'?)");
    await expect(wg.tuneKernels({ shapes: 'all' as never })).rejects.toThrow("tuneKernels: shapes must be an object ({ matmul, conv, reduce }: arrays of problems), 'recorded' or 'standard', got 'all'");
    await expect(wg.tuneKernels({ shapes: { matmul: [{ m: 0, n: 2, k: 2 }] } })).rejects.toThrow('tuneKernels: shapes.matmul[0].m must be an integer >= 1, got 0');
    await expect(wg.tuneKernels({ shapes: { matmul: [{ m: 2, n: 2, K: 2 } as never] } })).rejects.toThrow("tuneKernels (shapes.matmul[0]): unknown option 'K'");
    await expect(wg.tuneKernels({ shapes: { conv: [{ x: [1, 4, 5, 5], w: [2, 3, 3, 3] }] } })).rejects.toThrow("tuneKernels: shapes.conv[0]: x's 4 channels must be w's 3 times groups (1)");
    await expect(wg.tuneKernels({ retune: 'yes' as never })).rejects.toThrow("tuneKernels: retune must be true or false, got 'yes'");
  });

  it('buckets sizes into powers of two, per family', () => {
    expect([0, 1, 2, 3, 33, 64, 65].map(bucket)).toEqual([0, 1, 2, 4, 64, 64, 128]);
    expect(matmulClass(20, 40, 30, 1)).toBe('m32 n64 k32');
    expect(matmulClass(20, 40, 30, 3)).toBe('m32 n64 k32 batched');
    expect(shapeClassOf('matmul', { m: 17, n: 64, k: 20, batch: 2 })).toBe(matmulClass(32, 64, 32, 5));
    expect(reduceClass(70, 50)).toBe('rows128 len64');
    // conv: the GEMM sizes of the product (forward: N*OH*OW x Cout/groups x Cin/groups*KH*KW), stride and grouping kind.
    expect(shapeClassOf('conv', { x: [2, 3, 9, 7], w: [5, 3, 3, 3], padding: 1 })).toBe(convClass('forward', 126, 5, 27, [1, 1], 1, 3));
    expect(convClass('forward', 126, 5, 27, [1, 1], 1, 3)).toBe('forward m128 n8 k32 s1 g1');
    expect(shapeClassOf('conv', { mode: 'backwardWeight', x: [2, 4, 8, 8], w: [4, 1, 3, 3], stride: 2, groups: 4 })).toBe('backwardWeight m1 n16 k32 strided depthwise');
  });

  it('keys the cache by webgrad\'s version, the one package.json states', () => {
    expect(WEBGRAD_VERSION).toBe(JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')).version);
  });

  it('finds the cache file from the option, WEBGRAD_TUNING_CACHE, or the user\'s cache dir', () => {
    vi.stubEnv('XDG_CACHE_HOME', join(dir, 'xdg'));
    expect(defaultCachePath()).toBe(join(dir, 'xdg', 'webgrad', 'kernel-tuning.json'));
    expect(wg.configureKernelTuning({ cache: null }).cache).toEqual({ kind: 'file', path: join(dir, 'xdg', 'webgrad', 'kernel-tuning.json') });
    vi.stubEnv('WEBGRAD_TUNING_CACHE', join(dir, 'env.json'));
    expect(wg.configureKernelTuning({ cache: null }).cache).toEqual({ kind: 'file', path: join(dir, 'env.json') });
    expect(wg.configureKernelTuning({ cache: join(dir, 'opt.json') }).cache).toEqual({ kind: 'file', path: join(dir, 'opt.json') });
    expect(wg.configureKernelTuning({ cache: false }).cache).toEqual({ kind: 'memory' });
  });
});

// webgpu only (the variants tuned are webgpu kernels): skipped only when the run declares no adapter (WEBGRAD_TEST_NO_WEBGPU=1)
describe.skipIf(NO_WEBGPU)('tuneKernels on webgpu', () => {
  it('picks, per shape class, a candidate the plan allows, which then runs and gives cpu\'s results', async () => {
    const report = await wg.tuneKernels({ shapes: SMALL, runs: 1 });
    expect(report.results.map((r) => r.family)).toEqual(['matmul', 'conv', 'reduce']);
    for (const r of report.results) {
      expect(KERNEL_VARIANTS[r.family]).toContain(r.variant);
      expect(r.cached).toBe(false);
      expect(r.measurements).toBeGreaterThan(0);
      expect(Object.keys(r.ms)).toContain(r.variant);
    }
    const [mm, cv, rd] = report.results.map((r) => r.variant);
    expect(wg.kernelTuning().choices.matmul).toEqual({ 'm32 n64 k32': mm });
    expect(wg.kernelTuning().mode).toBe('cached');
    // Another member of each class runs the tuned variant, with cpu's numbers.
    const a = wg.randn([19, 31], { device: 'cpu' });
    const b = wg.randn([31, 33], { device: 'cpu' });
    const y = (await a.to('webgpu')).matmul(await b.to('webgpu'));
    expect(wg.kernelVariants().matmul.last).toBe(mm);
    await expectClose(await y.to('cpu'), a.matmul(b), 2e-5);
    const x = wg.randn([2, 3, 8, 7], { device: 'cpu' }); // GEMM 112 x 5 x 27: the class of 126 x 5 x 27
    const w = wg.randn([5, 3, 3, 3], { device: 'cpu' });
    const yc = wg.F.conv2d(await x.to('webgpu'), await w.to('webgpu'), null, { padding: 1 });
    expect(wg.kernelVariants().conv.last).toBe(cv);
    await expectClose(await yc.to('cpu'), wg.F.conv2d(x, w, null, { padding: 1 }), 2e-5);
    const r = wg.randn([100, 60], { device: 'cpu' });
    const s = (await r.to('webgpu')).sum(1);
    expect(wg.kernelVariants().reduce.last).toBe(rd);
    await expectClose(await s.to('cpu'), r.sum(1), 1e-5);
    // The file holds the choices under this adapter's key.
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    const entry = saved.entries[report.adapter];
    expect(entry.webgrad).toBe(WEBGRAD_VERSION);
    expect(entry.families.matmul.variants).toEqual([...KERNEL_VARIANTS.matmul]);
    expect(entry.families.matmul.classes['m32 n64 k32'].variant).toBe(mm);
    expect(report.adapter).toContain(wg.backendInfo().webgpu!.description);
  });

  it('a cache hit measures nothing, in this process and from the file in another', async () => {
    let measured = 0;
    setTunerHooksForTesting({ onMeasure: () => measured++ });
    const first = await wg.tuneKernels({ shapes: SMALL, runs: 1 });
    expect(measured).toBeGreaterThan(0);
    expect(first.measurements).toBe(measured);
    measured = 0;
    const again = await wg.tuneKernels({ shapes: SMALL, runs: 1 });
    expect(measured).toBe(0);
    expect(again.measurements).toBe(0);
    expect(again.results.every((r) => r.cached)).toBe(true);
    expect(again.results.map((r) => r.variant)).toEqual(first.results.map((r) => r.variant));
    // Another member of the same class is a hit too.
    expect((await wg.tuneKernels({ shapes: { matmul: [{ m: 17, n: 64, k: 19 }] } })).results[0]!.cached).toBe(true);
    // A fresh start on a copy of the file (as another process would load it): still no measurement.
    const copy = join(dir, 'copy.json');
    writeFileSync(copy, readFileSync(file));
    wg.configureKernelTuning({ cache: copy });
    const loaded = await wg.tuneKernels({ shapes: SMALL, runs: 1 });
    expect(measured).toBe(0);
    expect(loaded.results.map((r) => r.variant)).toEqual(first.results.map((r) => r.variant));
    // retune measures again.
    await wg.tuneKernels({ shapes: { reduce: SMALL.reduce }, runs: 1, retune: true });
    expect(measured).toBeGreaterThan(0);
  });

  it('runs one tuning at a time: a second call waits for the first and finds its choice', async () => {
    const [a, b] = await Promise.all([wg.tuneKernels({ shapes: { reduce: SMALL.reduce }, runs: 1 }), wg.tuneKernels({ shapes: { reduce: SMALL.reduce }, runs: 1 })]);
    expect(a.results[0]!.cached).toBe(false);
    expect(b.results[0]!.cached).toBe(true);
    expect(b.measurements).toBe(0);
  });

  it('resetKernelTuning clears the choices in memory and the file; the plan\'s heuristic runs again', async () => {
    // Times faked so the tuned choice differs from the plan's for this narrow output (narrowPlan).
    setTunerHooksForTesting({ time: (_f, v, ms) => (v === 'tile64x64' ? 0.001 : ms + 1000) });
    await wg.tuneKernels({ shapes: { matmul: SMALL.matmul }, runs: 1 });
    const run = async () => (await wg.randn([20, 30], { device: 'webgpu' }).matmul(wg.randn([30, 40], { device: 'webgpu' })).data(), wg.kernelVariants().matmul.last);
    expect(await run()).toBe('tile64x64');
    expect(existsSync(file)).toBe(true);
    wg.resetKernelTuning();
    expect(existsSync(file)).toBe(false);
    expect(wg.kernelTuning().choices.matmul).toEqual({});
    expect(await run()).toBe(narrowPlan());
    let measured = 0;
    setTunerHooksForTesting({ onMeasure: () => measured++ });
    await wg.tuneKernels({ shapes: { matmul: SMALL.matmul }, runs: 1 });
    expect(measured).toBeGreaterThan(0);
  });

  it('a variant forced with configureKernels wins over the cached choice', async () => {
    setTunerHooksForTesting({ time: (_f, v, ms) => (v === 'tile64x64' ? 0.001 : ms + 1000) });
    await wg.tuneKernels({ shapes: { matmul: SMALL.matmul }, runs: 1 });
    const a = wg.randn([20, 30], { device: 'cpu' });
    const b = wg.randn([30, 40], { device: 'cpu' });
    const [ag, bg] = [await a.to('webgpu'), await b.to('webgpu')];
    wg.configureKernels({ matmul: 'tile32x32' });
    await expectClose(await ag.matmul(bg).to('cpu'), a.matmul(b), 2e-5);
    expect(wg.kernelVariants().matmul.last).toBe('tile32x32');
    wg.configureKernels({ matmul: null });
    await expectClose(await ag.matmul(bg).to('cpu'), a.matmul(b), 2e-5);
    expect(wg.kernelVariants().matmul.last).toBe('tile64x64');
    // Mode 'off' ignores the cache: the plan's heuristic for this narrow output.
    wg.configureKernelTuning({ mode: 'off' });
    await ag.matmul(bg).data();
    expect(wg.kernelVariants().matmul.last).toBe(narrowPlan());
    // ...and tuning itself leaves the forced variant in force.
    wg.configureKernels({ matmul: 'tile32x32' });
    await wg.tuneKernels({ shapes: { matmul: [{ m: 100, n: 100, k: 8 }] }, runs: 1 });
    expect(wg.configureKernels()).toEqual({ matmul: 'tile32x32' });
  });

  it('a corrupt cache file is ignored with one warning naming it, and rewritten at the next tune', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    writeFileSync(file, '{"format": 1, "entries": {'); // cut short, as by a crash in a non-atomic writer
    wg.configureKernelTuning({ cache: file, mode: 'cached' });
    expect(wg.kernelTuning().choices).toEqual({ matmul: {}, conv: {}, reduce: {} });
    await wg.randn([4, 4], { device: 'webgpu' }).matmul(wg.randn([4, 4], { device: 'webgpu' })).data(); // plans read it: no throw
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toContain(file);
    expect(String(warn.mock.calls[0]![0])).toContain('not valid JSON');
    const report = await wg.tuneKernels({ shapes: { reduce: SMALL.reduce }, runs: 1 });
    expect(warn).toHaveBeenCalledTimes(1);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved.entries[report.adapter].families.reduce.classes['rows128 len64'].variant).toBe(report.results[0]!.variant);
    // Valid JSON of the wrong form is ignored the same way.
    const other = join(dir, 'other.json');
    writeFileSync(other, JSON.stringify({ format: 1, entries: { x: { families: { matmul: { variants: ['tile64x64'], classes: { c: { variant: 'huge' } } } } } } }));
    wg.configureKernelTuning({ cache: other });
    expect(wg.kernelTuning().choices.matmul).toEqual({});
    expect(warn).toHaveBeenCalledTimes(2);
    expect(String(warn.mock.calls[1]![0])).toMatch(/other\.json: it is not a webgrad kernel tuning cache .*'huge' is not in its list/);
  });

  it('a candidate that gives a wrong result or throws is rejected, never chosen, however fast', async () => {
    const fastest = (v: string) => (_f: string, name: string, ms: number) => (name === v ? 0.001 : ms + 1000);
    // The check is not blind: with its times faked fastest and nothing broken, tile32x32 wins...
    setTunerHooksForTesting({ time: fastest('tile32x32') });
    const honest = await wg.tuneKernels({ shapes: { matmul: SMALL.matmul }, runs: 1 });
    expect(honest.results[0]!.variant).toBe('tile32x32');
    // ...and with its output corrupted it is rejected and another one is chosen.
    setTunerHooksForTesting({
      time: fastest('tile32x32'),
      corrupt: (_f, v, out) => {
        if (v === 'tile32x32') out[3]! += 0.5;
      },
    });
    const r = (await wg.tuneKernels({ shapes: { matmul: SMALL.matmul }, runs: 1, retune: true })).results[0]!;
    expect(r.variant).not.toBe('tile32x32');
    expect(KERNEL_VARIANTS.matmul).toContain(r.variant);
    expect(r.rejected.tile32x32).toMatch(/^wrong result \(relative error .* against cpu, more than 0\.001\)$/);
    expect(r.ms).not.toHaveProperty('tile32x32');
    expect(wg.kernelTuning().choices.matmul['m32 n64 k32']).toBe(r.variant);
    // A candidate that throws is rejected with its message.
    setTunerHooksForTesting({ time: fastest('direct'), beforeRun: (_f, v) => { if (v === 'direct') throw new Error('no such driver here'); } });
    const c = (await wg.tuneKernels({ shapes: { conv: SMALL.conv }, runs: 1 })).results[0]!;
    expect(c.rejected).toEqual({ direct: 'no such driver here' });
    // Any other candidate may win on speed (which one depends on the machine's timing).
    expect(KERNEL_VARIANTS.conv.filter((v) => v !== 'direct')).toContain(c.variant);
  });

  it('lists a variant the plan does not run on a shape as not applicable', async () => {
    // Rows longer than one invocation may walk: rowPerInvocation falls back to a workgroup per row.
    const r = (await wg.tuneKernels({ shapes: { reduce: [{ rows: 3, len: 5000 }] }, runs: 1 })).results[0]!;
    expect(r.notApplicable).toContain('rowPerInvocation');
    expect(r.variant).not.toBe('rowPerInvocation');
  });

  it('record mode notes the classes plans meet untuned, and tuneKernels() tunes exactly those', async () => {
    wg.configureKernelTuning({ mode: 'record' });
    await wg.randn([9, 21], { device: 'webgpu' }).matmul(wg.randn([21, 5], { device: 'webgpu' })).data();
    await wg.randn([9, 21], { device: 'webgpu' }).matmul(wg.randn([21, 6], { device: 'webgpu' })).data(); // the same class
    await wg.randn([3, 40], { device: 'webgpu' }).amax(1).data();
    const untuned = wg.kernelTuning().untuned;
    expect(untuned).toEqual([
      { family: 'matmul', shapeClass: 'm16 n8 k32', shape: { m: 9, n: 5, k: 21, batch: 1 } },
      { family: 'reduce', shapeClass: 'rows4 len64', shape: { rows: 3, len: 40 } },
    ]);
    const report = await wg.tuneKernels({ runs: 1 });
    expect(report.results.map((r) => [r.family, r.shapeClass])).toEqual([['matmul', 'm16 n8 k32'], ['reduce', 'rows4 len64']]);
    expect(wg.kernelTuning().untuned).toEqual([]);
    expect(wg.kernelTuning().mode).toBe('record');
  });

  it('in a browser (no Node), the cache lives in localStorage', async () => {
    const store = new Map<string, string>();
    const ls = {
      getItem: vi.fn((k: string) => store.get(k) ?? null),
      setItem: vi.fn((k: string, v: string) => void store.set(k, v)),
      removeItem: vi.fn((k: string) => void store.delete(k)),
    };
    vi.stubGlobal('localStorage', ls);
    setNoNodeForTesting(true);
    expect(wg.configureKernelTuning({ cache: null }).cache).toEqual({ kind: 'localStorage', key: 'webgrad.kernel-tuning' });
    const report = await wg.tuneKernels({ shapes: { reduce: SMALL.reduce }, runs: 1 });
    expect(ls.setItem).toHaveBeenCalledTimes(1);
    const saved = JSON.parse(store.get('webgrad.kernel-tuning')!);
    expect(saved.entries[report.adapter].families.reduce.classes['rows128 len64'].variant).toBe(report.results[0]!.variant);
    expect(existsSync(file)).toBe(false); // nothing written to the file system
    wg.resetKernelTuning();
    expect(ls.removeItem).toHaveBeenCalledWith('webgrad.kernel-tuning');
    expect(store.size).toBe(0);
    // Without localStorage either: memory only.
    vi.unstubAllGlobals();
    expect(wg.configureKernelTuning({ cache: null }).cache).toEqual({ kind: 'memory' });
  });

  it('writes the file atomically: no temporary file is left behind, even when the write fails', async () => {
    const nested = join(dir, 'a', 'b', 'tuning.json');
    wg.configureKernelTuning({ cache: nested });
    await wg.tuneKernels({ shapes: { reduce: SMALL.reduce }, runs: 1 });
    expect(readdirSync(join(dir, 'a', 'b'))).toEqual(['tuning.json']);
    expect(() => JSON.parse(readFileSync(nested, 'utf8'))).not.toThrow();
    // A cache path that is a directory: the rename fails, one warning, the temporary file removed.
    const blocked = join(dir, 'blocked');
    mkdirSync(join(blocked, 'inside'), { recursive: true });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    wg.configureKernelTuning({ cache: blocked });
    const report = await wg.tuneKernels({ shapes: { matmul: SMALL.matmul }, runs: 1 });
    expect(report.results[0]!.variant).toBeDefined(); // the choice stays in memory
    expect(warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes('could not write'))).toHaveLength(1);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(wg.kernelTuning().choices.matmul['m32 n64 k32']).toBe(report.results[0]!.variant);
  });
});
