/**
 * Example 4 (examples/transformer-lm.mjs) in a tiny form: a one-layer Transformer character
 * model trained for 40 steps on the cpu backend (the same numbers as on webgpu). Its held-out
 * loss must fall at least 0.5 nats below the uniform model's log(vocab) (it reaches about 0.85
 * below), and below its own loss before training.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const run = (args: string[]) => execFileSync(process.execPath, ['examples/transformer-lm.mjs', ...args], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });

describe('examples/transformer-lm.mjs', () => {
  it('learns: held-out loss falls 0.5 below log(vocab), with perplexity and a sample reported', () => {
    const log = run(['--backend', 'cpu', '--steps', '40', '--batch-size', '8', '--context', '16', '--d-model', '16', '--heads', '2', '--layers', '1', '--eval-batches', '2', '--sample', '40']);
    const vocab = Number(/vocab: (\d+) characters/.exec(log)![1]);
    const before = Number(/held-out loss before training: ([\d.]+)/.exec(log)![1]);
    const m = /held-out loss: ([\d.]+) \(perplexity ([\d.]+)\); uniform model: ([\d.]+)/.exec(log)!;
    const [held, ppl, uniform] = [Number(m[1]), Number(m[2]), Number(m[3])];
    expect(uniform).toBeCloseTo(Math.log(vocab), 3);
    expect(held).toBeLessThan(uniform - 0.5);
    expect(held).toBeLessThan(before);
    expect(ppl).toBeCloseTo(Math.exp(held), 1);
    expect(log).toMatch(/step 40: train loss [\d.]+/);
    expect(/sample \(temperature 0\.8\):\nROMEO:\n([\s\S]*)$/.exec(log)![1]!.length).toBeGreaterThanOrEqual(40);
  });
  it('refuses an unknown argument', () => {
    expect(() => run(['--stpes', '3'])).toThrow(/transformer-lm: unknown argument --stpes/);
  });
});
