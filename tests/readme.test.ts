/**
 * The README's JavaScript examples run as written (against dist/, importing 'webgrad' as a
 * user would), so the README stays in step with the code. Fashion-MNIST comes from the subset
 * in data/ (WEBGRAD_DATA_DIR).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NO_WEBGPU } from './helpers.js';

const root = join(import.meta.dirname, '..');
const blocks = [...readFileSync(join(root, 'README.md'), 'utf8').matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('README examples', () => {
  it('there are examples', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3);
  });

  it.each(blocks.map((b, i) => [i + 1, b.split('\n')[0]!, b] as const))('example %i (%s) runs', (_i, _first, code) => {
    mkdirSync(join(root, 'out'), { recursive: true });
    let src = code.includes("from 'webgrad'") ? code : `import * as wg from 'webgrad';\n${code}`;
    // Snippets after the first assume webgrad is initialised, as they would be in one program.
    if (!src.includes('wg.init(')) src = src.replace("from 'webgrad';\n", `from 'webgrad';\nawait wg.init({ backend: '${NO_WEBGPU ? 'cpu' : 'webgpu'}' });\n`);
    if (NO_WEBGPU) src = src.replace("wg.init({ backend: 'webgpu' })", "wg.init({ backend: 'cpu' })").replace(/wg\.backendInfo\(\)\.webgpu\.description/g, "'cpu'").replace(/device: 'webgpu'/g, "device: 'cpu'");
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', src], {
      cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000,
      env: { ...process.env, WEBGRAD_DATA_DIR: join(root, 'data', 'fashion-mnist-subset') },
    });
    expect(typeof out).toBe('string');
  }, 120_000); // example 3 trains a model: 11 s alone (--maxWorkers=1), 21 s at load average ~12; it reached 60 s in a busy full run
});
