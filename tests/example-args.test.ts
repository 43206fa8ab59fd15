/**
 * Every example refuses an argument it does not know, by name, before any work: a misspelt
 * flag (`--epoch 5`) must not run the default silently.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const examples = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.mjs')).sort();

describe('examples refuse unknown arguments', () => {
  it('there are examples', () => expect(examples.length).toBeGreaterThanOrEqual(10));
  for (const file of examples) {
    it(`${file} refuses --bogus`, () => {
      const run = () => execFileSync(process.execPath, [join('examples', file), '--bogus', '1'], {
        cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000, env: { ...process.env, WEBGRAD_BACKEND: 'cpu' },
      });
      expect(run).toThrow(new RegExp(`${file.replace('.mjs', '')}: unknown argument --bogus`));
    });
  }
});

describe('bench/run.mjs refuses unknown arguments and prints its usage', () => {
  const bench = (...a: string[]) => execFileSync(process.execPath, ['bench/run.mjs', ...a], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  it('--bogus is refused by name, before any work', () => {
    expect(() => bench('--bogus')).toThrow(/bench: unknown argument --bogus \(accepted: --devices/);
    expect(() => bench('--threads')).toThrow(/bench: --threads needs a value/);
  });
  it('--help prints the usage and runs nothing', () => {
    expect(bench('--help')).toMatch(/node bench\/run\.mjs \[--quick\]/);
  });
});
