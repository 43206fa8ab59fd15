/**
 * The docs tell the truth: docs/autograd.md shows the exact output of examples/autograd.mjs,
 * and the walkthrough gives the same gradients on every device.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEVICES } from './helpers.js';

const root = join(import.meta.dirname, '..');
const run = (args: string[]) =>
  execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });

// dist/ is built once for all test files by tests/global-setup.ts.

describe('docs/autograd.md', () => {
  it('shows exactly what examples/autograd.mjs prints', () => {
    const doc = readFileSync(join(root, 'docs/autograd.md'), 'utf8');
    const m = /<!-- output of examples\/autograd\.mjs -->\n```text\n([\s\S]*?)\n```/.exec(doc);
    expect(m, 'the output block is missing from docs/autograd.md').not.toBeNull();
    expect(run(['examples/autograd.mjs']).trimEnd()).toBe(m![1]);
  });

  it.each(DEVICES.filter((d) => d !== 'cpu'))('the walkthrough gives the same gradients on %s', (device) => {
    const grads = (out: string) => out.split('\n').filter((l) => /^(W1|b1|W2)\.grad|^\s+\[/.test(l)).map((l) => l.replace(/device=\w+/, ''));
    const cpu = run(['examples/autograd.mjs']);
    const other = run(['examples/autograd.mjs', '--device', device]);
    expect(grads(other)).toEqual(grads(cpu));
    expect(other).toContain('gradcheck: true');
  });
});
