/**
 * The bundles in dist/ build, and every example in examples/ runs against them as a user's
 * program would (importing 'webgrad', which resolves to dist/ through package.json's exports).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
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
  it('measures webgrad and TensorFlow.js on the same cases and prints the ratio table', () => {
    const out = run(['bench/run.mjs', '--quick', '--devices', 'cpu', '--time', '20', '--filter', 'softmax|maxPool']);
    expect(out).toMatch(/\| device \| case \| webgrad ms \| GFLOP\/s \| GB\/s \| tfjs ms \| ratio \(tfjs\/webgrad\) \|/);
    const rows = out.split('\n').filter((l) => l.startsWith('| cpu |'));
    expect(rows.map((r) => r.split('|')[2]!.trim())).toEqual(['softmax rows 256x1024', 'maxPool2d 2x2 16x64x28x28']);
    for (const r of rows) expect(Number(r.split('|')[7])).toBeGreaterThan(0);
  });
});
