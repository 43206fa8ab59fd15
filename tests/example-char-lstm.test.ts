/**
 * examples/char-lstm.mjs in a short form: the held-out loss of the character-level LSTM falls
 * well below the uniform model's log(vocabulary), and it samples text of the asked length.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const run = (args: string[]) => execFileSync(process.execPath, ['examples/char-lstm.mjs', ...args], {
  cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000,
});

describe('examples/char-lstm.mjs', () => {
  it('learns: held-out loss ends at least 0.8 nats below the uniform model, and samples text', () => {
    const out = mkdtempSync(join(tmpdir(), 'webgrad-charlstm-'));
    // cpu: the short form's many small ops run faster there than on llvmpipe.
    const log = run(['--steps', '30', '--hidden', '32', '--seq-len', '24', '--batch-size', '16', '--lr', '0.02',
      '--eval-windows', '32', '--sample', '40', '--backend', 'cpu', '--out', out]);
    const uniform = Number(/uniform model: ([\d.]+)\)/.exec(log)![1]);
    const before = Number(/held-out loss before training: ([\d.]+)/.exec(log)![1]);
    const after = Number(/held-out loss after 30 steps: ([\d.]+)/.exec(log)![1]);
    expect(Math.abs(before - uniform)).toBeLessThan(0.3); // an untrained model is close to uniform
    expect(after).toBeLessThan(uniform - 0.8);
    expect(log).toMatch(/perplexity [\d.]+/);
    const sample = readFileSync(join(out, 'char-lstm-sample.txt'), 'utf8');
    expect(sample.startsWith('First Citizen:\n')).toBe(true);
    expect(sample.length).toBe('First Citizen:\n'.length + 40);
  }, 240_000); // about 7 s alone on the 2-core machine; minutes when the suite shares its cores

  it('rejects an unknown argument by name', () => {
    expect(() => run(['--epochs', '3'])).toThrow(/char-lstm: unknown argument --epochs/);
  });
});
