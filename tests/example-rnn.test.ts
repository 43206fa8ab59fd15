/**
 * examples/rnn-classifier.mjs in a tiny form: a GRU and an LSTM reading Fashion-MNIST rows
 * (256 training images of the subset in data/, 2 epochs, hidden 32) learn something: each
 * model's test accuracy is at least 15 points above chance (10%) and its test loss falls by at
 * least 0.2 from the untrained model's.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NO_WEBGPU } from './helpers.js';

const root = join(import.meta.dirname, '..');
const SUBSET = join(root, 'data', 'fashion-mnist-subset');
const run = (args: string[]) =>
  execFileSync(process.execPath, ['examples/rnn-classifier.mjs', ...args], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });

describe('examples/rnn-classifier.mjs', () => {
  it('trains a GRU and an LSTM on image rows: accuracy well above chance, test loss falls', () => {
    const log = run([
      '--train-limit', '256', '--test-limit', '200', '--epochs', '2', '--hidden', '32', '--batch-size', '32', '--lr', '5e-3',
      '--data', SUBSET, ...(NO_WEBGPU ? ['--backend', 'cpu'] : []),
    ]);
    expect(log).toMatch(/data: 256 training and 200 test images of Fashion-MNIST, read as 28 rows of 28 pixels/);
    for (const kind of ['gru', 'lstm']) {
      const m = new RegExp(`${kind} result: test loss ([\\d.]+) -> ([\\d.]+), test accuracy ([\\d.]+)% after 2 epoch\\(s\\)`).exec(log);
      expect(m, `${kind}'s result line`).not.toBeNull();
      const [before, after, acc] = [Number(m![1]), Number(m![2]), Number(m![3])];
      expect(acc, `${kind} accuracy`).toBeGreaterThan(25);
      expect(before - after, `${kind} loss drop`).toBeGreaterThan(0.2);
    }
  });

  it('rejects an unknown model or schedule', () => {
    expect(() => run(['--model', 'transformer'])).toThrow(/rnn-classifier: --model must be gru, lstm or both, got transformer/);
    expect(() => run(['--schedule', 'step'])).toThrow(/rnn-classifier: --schedule must be constant or cosine, got step/);
  });
});
