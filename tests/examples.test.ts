/**
 * The bundles in dist/ build, and every example in examples/ runs against them as a user's
 * program would (importing 'webgrad', which resolves to dist/ through package.json's exports).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NO_WEBGPU } from './helpers.js';

const root = join(import.meta.dirname, '..');
const run = (args: string[], env: Record<string, string> = {}) =>
  execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });

// dist/ is built once for all test files by tests/global-setup.ts.

describe('bundles', () => {
  it('the browser bundle imports no Node built-ins and carries the shaders as text', () => {
    const src = readFileSync(join(root, 'dist/webgrad.browser.js'), 'utf8');
    expect(src).not.toMatch(/from\s*["']node:/);
    expect(src).not.toMatch(/require\(["'](fs|path|node:)/);
    expect(src).toContain('@compute @workgroup_size');
  });

  it('the browser bundle runs the cpu backend in any ES runtime', async () => {
    const wg = await import(join(root, 'dist/webgrad.browser.js'));
    const y = wg.tensor([[1, 2], [3, 4]]).matmul(wg.tensor([[1], [1]]));
    expect(await y.toArray()).toEqual([[3], [7]]);
  });

  it('the browser bundle carries the wasm kernels and runs the wasm backend', async () => {
    const wg = await import(join(root, 'dist/webgrad.browser.js'));
    await wg.init({ backend: 'wasm', threads: 1 });
    await wg.init({ backend: 'cpu' });
    const y = wg.tensor([[1, 2], [3, 4]], { device: 'wasm' }).matmul(wg.tensor([[1], [1]], { device: 'wasm' }));
    expect([y.device, await y.toArray()]).toEqual(['wasm', [[3], [7]]]);
  });
});

describe('examples', () => {
  const examples = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.mjs'));

  it('there are examples to run', () => {
    expect(examples).toContain('demo.mjs');
  });

  it('demo.mjs runs the program on both backends and they agree', () => {
    const out = run(['examples/demo.mjs', '--size', '33'], NO_WEBGPU ? { WEBGRAD_BACKEND: 'cpu' } : {});
    expect(out).toContain('== cpu');
    if (NO_WEBGPU) return;
    expect(out).toContain('== webgpu');
    const diffs = [...out.matchAll(/relative difference (\S+)/g)].map((m) => Number(m[1]));
    expect(diffs.length).toBe(6);
    for (const d of diffs) expect(d).toBeLessThan(1e-5);
  });

  it('demo.mjs rejects a bad --size with a clear error', () => {
    expect(() => run(['examples/demo.mjs', '--size', '-3'])).toThrow(/demo: --size must be a positive integer, got -3/);
  });
});

describe('bench/run.mjs', () => {
  // One sample per case, tiny sizes: the table, the wasm device with 1 and 2 threads next to
  // TF.js-wasm, a training-step row, the check against the cpu backend, --json and --out.
  it('measures webgrad and TensorFlow.js on the same cases (cpu, wasm 1 and 2 threads), checks webgrad against the cpu backend, writes --json and --out', () => {
    const dir = mkdtempSync(join(tmpdir(), 'webgrad-bench-'));
    const [json, md] = [join(dir, 'bench.json'), join(dir, 'bench.md')];
    const out = run(['bench/run.mjs', '--quick', '--devices', 'cpu,wasm', '--threads', '2', '--time', '1', '--iterations', '1', '--no-torch',
      '--filter', '^(matmul 128x|maxPool|crossEntropy|adam step|train step MLP|train step demo)', '--json', json, '--out', md]);
    const header = '| device | case | webgrad ms | GFLOP/s | GB/s | of peak | images/s | tfjs ms | ratio (tfjs/webgrad) | check |';
    expect(out).toContain(header);
    const cells = (l: string) => l.split('|').slice(1, -1).map((c) => c.trim());
    const rows = out.split('\n').filter((l) => /^\| (cpu|wasm \dt) \|/.test(l)).map(cells);
    const names = ['matmul 128x128x128', 'crossEntropy 256x1024', 'adam step 262144', 'maxPool2d 2x2 16x64x28x28', 'train step MLP 784-256-10 batch 32 (Adam)'];
    // The demo's CNN (examples/train.mjs, without its dropout): not on cpu (seconds a step), and TF.js-wasm cannot train it.
    const demo = 'train step demo CNN conv32-bn-conv64-bn-fc128 batch 8 (Adam)';
    expect(rows.map((r) => `${r[0]}: ${r[1]}`)).toEqual(['cpu', 'wasm 1t', 'wasm 2t'].flatMap((d) => [...names, ...(d === 'cpu' ? [] : [demo])].map((n) => `${d}: ${n}`)));
    for (const r of rows) {
      expect(Number(r[2]!.split(' ± ')[0])).toBeGreaterThan(0); // webgrad median
      if (r[1] === demo) {
        expect(r[7]).toMatch(/^n\/a: TF\.js-wasm has no Conv2DBackpropFilter kernel/);
        expect(r[9]).toBe('ok');
        continue;
      }
      expect(Number(r[8])).toBeGreaterThan(0); // a peer time, so a ratio
      expect(r[9]).toBe(r[0] === 'cpu' ? 'ref' : 'ok');
      if (r[1]!.startsWith('train step')) {
        expect(Number(r[6])).toBeGreaterThan(0); // images/s
        expect(r[5]).toBe('-'); // no flops or bytes: no fraction of the peak
      } else {
        expect(r[5]).toMatch(/^[0-9]+(\.[0-9])?% [FB]$/); // the fraction of the device's measured peak, and which one
      }
    }
    for (const d of ['cpu', 'wasm 1t', 'wasm 2t']) expect(out).toMatch(new RegExp(`- peak of ${d} \\(bench/calibrate\\.mjs\\): [0-9.]+ GFLOP/s, [0-9.]+ GB/s`));
    expect(out).toMatch(/- tfjs\/wasm 1t: @tensorflow\/tfjs-backend-wasm 4\.22\.0 \(simd build, 1 thread\)/);
    expect(out).toMatch(/- tfjs\/wasm 2t: @tensorflow\/tfjs-backend-wasm 4\.22\.0 \(threaded-simd build, 2 threads\)/);
    expect(out).toMatch(/- webgrad\/wasm 2t: WebAssembly SIMD128, 2 threads/);

    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.machine.cores).toBe(cpus().length);
    expect(report.rows).toHaveLength(17);
    expect(report.peaks['wasm 2t'].gflops).toBeGreaterThan(0);
    expect(report.peaks['wasm 2t'].gbs).toBeGreaterThan(0);
    const mlp = report.rows.find((r: { device: string; case: string }) => r.device === 'wasm 2t' && r.case.startsWith('train step MLP'));
    expect(mlp.imagesPerSec).toBeGreaterThan(0);
    expect(mlp.peer.median).toBeGreaterThan(0);
    expect(mlp.check).toBe('ok');

    const text = readFileSync(md, 'utf8');
    expect(text).toContain('## Machine');
    expect(text).toContain(`- CPU: ${cpus()[0]!.model.trim()}, ${cpus().length} logical cores`);
    expect(text).toContain(`Node ${process.version}`);
    expect(text).toContain(header);
  });

  // webgpu only (the bare dispatches are webgpu's): skipped only when the run declares no adapter (WEBGRAD_TEST_NO_WEBGPU=1; helpers.ts says so).
  it.skipIf(NO_WEBGPU)('measures the per-op overhead on webgpu against bare dispatches of the same kernel', () => {
    const out = run(['bench/run.mjs', '--quick', '--devices', 'webgpu', '--time', '1', '--iterations', '1', '--no-torch', '--no-peer', '--filter', '^op chain']);
    const rows = out.split('\n').filter((l) => l.startsWith('| webgpu | op chain 100 x add [64]'));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/\| ok \|$/);
    expect(rows[1]).toMatch(/: the same kernel, 100 bare dispatches in one pass \| [0-9.]+ ± [0-9.]+ \|.*\| n\/a \(yardstick\) \|$/);
    expect(out).toMatch(/- per-op overhead on webgpu: webgrad [0-9.]+ µs\/op in a chain of 100 adds, a bare dispatch of the same kernel [0-9.]+ µs: [0-9.]+x/);
  });

  // Samples come in 4 windows per library that alternate (webgrad, TF.js, webgrad, ...), each
  // with at least --iterations samples: 2 per window give at least 8 each.
  it('samples webgrad and TF.js in alternating windows: at least 4 x --iterations samples each', () => {
    const dir = mkdtempSync(join(tmpdir(), 'webgrad-bench-rounds-'));
    const json = join(dir, 'bench.json');
    run(['bench/run.mjs', '--quick', '--devices', 'cpu', '--time', '1', '--iterations', '2', '--no-torch', '--filter', '^matmul 128x', '--json', json]);
    const [row] = JSON.parse(readFileSync(json, 'utf8')).rows;
    expect(row.webgrad.samples).toBeGreaterThanOrEqual(8);
    expect(row.peer.samples).toBeGreaterThanOrEqual(8);
    expect(row.webgrad.min).toBeLessThanOrEqual(row.webgrad.median);
    expect(row.webgrad.median).toBeLessThanOrEqual(row.webgrad.max);
  });

  // PyTorch is optional; a stand-in python (a node script that answers the torch script's
  // protocol with 2 ms per case and reports the thread count its environment pins) checks that
  // each webgrad row meets PyTorch's same case at the same thread count, and the table's ratios.
  it('sets webgrad beside PyTorch (WEBGRAD_PYTHON) case by case at the same thread count, and says when no python imports torch', () => {
    const dir = mkdtempSync(join(tmpdir(), 'webgrad-torch-'));
    const py = join(dir, 'fake-python');
    writeFileSync(py, `#!${process.execPath}
const a = process.argv.slice(2);
if (a[1] === 'import torch') process.exit(0);
const cfg = JSON.parse(a[2]);
const threads = Number(process.env.OPENBLAS_NUM_THREADS);
if (threads !== cfg.threads || process.env.OMP_NUM_THREADS !== String(cfg.threads)) process.exit(3);
const cases = [...cfg.mm.map((size) => ({ kind: 'mm', size, ms: 2 })), ...cfg.train.map(([model, batch]) => ({ kind: 'train', model, batch, ms: 2 }))];
console.log(JSON.stringify({ version: 'stand-in', threads, cases }));
`);
    chmodSync(py, 0o755);
    const json = join(dir, 'bench.json');
    const args = ['bench/run.mjs', '--quick', '--devices', 'wasm', '--threads', '2', '--time', '1', '--iterations', '1', '--no-peer', '--filter', '^(matmul 128x|maxPool|train step MLP)'];
    const out = run([...args, '--json', json], { WEBGRAD_PYTHON: py });
    expect(out).toContain('- PyTorch stand-in (' + py + ', cpu, 1 thread): matmul 128: 2.00 ms');
    expect(out).toContain('- PyTorch stand-in (' + py + ', cpu, 2 threads): matmul 128: 2.00 ms');
    expect(out).toContain('| device | case | threads | webgrad ms | PyTorch ms | ratio (torch/webgrad) |');
    const cells = (l: string) => l.split('|').slice(1, -1).map((c) => c.trim());
    const main = out.split('\n').filter((l) => /^\| wasm \dt \|/.test(l) && l.split('|').length === 11).map(cells);
    const vs = out.split('\n').filter((l) => /^\| wasm \dt \|/.test(l) && l.split('|').length === 8).map(cells);
    // matmul and the MLP step have a PyTorch case; maxPool2d does not.
    expect(vs.map((r) => `${r[0]}: ${r[1]}: ${r[2]}`)).toEqual(['wasm 1t', 'wasm 2t'].flatMap((d) =>
      ['matmul 128x128x128', 'train step MLP 784-256-10 batch 32 (Adam)'].map((n) => `${d}: ${n}: ${d[5]}`)));
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.torch.vs).toHaveLength(4);
    for (const v of report.torch.vs) {
      const row = report.rows.find((r: { device: string; case: string }) => r.device === v.device && r.case === v.case);
      expect(v.webgradMs).toBe(row.ms);
      expect(v.torchMs).toBe(2);
      expect(v.ratio).toBeCloseTo(2 / row.ms, 10);
    }
    for (const r of vs) expect(Number(r[4])).toBe(2);
    const none = run(args, { WEBGRAD_PYTHON: join(dir, 'no-such-python') });
    expect(none).toContain(`- PyTorch: not measured (${join(dir, 'no-such-python')} cannot import torch here)`);
    expect(none).not.toContain('## Against PyTorch');
  });

  it('a webgrad result that disagrees with the cpu backend prints WRONG and exits 1', () => {
    let failure: { status?: number; stdout?: string; stderr?: string } = {};
    try {
      run(['bench/run.mjs', '--quick', '--devices', 'wasm', '--threads', '1', '--time', '1', '--iterations', '1', '--no-torch', '--no-peer',
        '--filter', '^matmul 128x', '--fault', 'matmul']);
    } catch (e) {
      failure = e as typeof failure;
    }
    expect(failure.status).toBe(1);
    expect(failure.stdout).toMatch(/\| wasm 1t \| matmul 128x128x128 \|.*\| WRONG \(rel\. error/);
    expect(failure.stderr).toContain('bench: 1 WRONG result');
  });
});
