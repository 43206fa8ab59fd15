/**
 * examples/logistic-regression.mjs (example 6) in its short form: logistic and softmax
 * regression trained by gradient descent from autograd alone reach the Newton (IRLS) solution of
 * the same objective, which the example computes itself: the loss within 1e-5 of Newton's, every
 * weight within 1e-3, the same test accuracy within 0.01, and accuracy well above chance.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function metrics(log: string, name: string) {
  const m = new RegExp(`${name}: loss ([\\d.]+) newton ([\\d.]+) gap (\\S+) max\\|\\w+-\\w+\\| (\\S+) test accuracy ([\\d.]+) newton ([\\d.]+)`).exec(log);
  expect(m, `no '${name}:' summary line in\n${log}`).not.toBeNull();
  const [loss, lossN, , diff, acc, accN] = [m![1], m![2], m![3], m![4], m![5], m![6]].map(Number);
  return { loss: loss!, lossN: lossN!, diff: diff!, acc: acc!, accN: accN! };
}

describe('examples/logistic-regression.mjs', () => {
  // cpu: the short form is a few hundred tiny steps, quicker on the reference backend than through llvmpipe.
  const log = () => execFileSync(process.execPath, ['examples/logistic-regression.mjs', '--quick', '--backend', 'cpu'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  let out = '';

  it('binary logistic regression reaches the Newton solution (loss within 1e-5, weights within 1e-3) and its test accuracy', () => {
    out = log();
    const b = metrics(out, 'binary');
    expect(Math.abs(b.loss - b.lossN)).toBeLessThan(1e-5);
    expect(b.diff).toBeLessThan(1e-3);
    expect(Math.abs(b.acc - b.accN)).toBeLessThan(0.01);
    expect(b.acc).toBeGreaterThan(0.7); // chance is about 0.5
  });

  it('softmax regression (3 classes) reaches the Newton solution and beats chance (1/3) by far', () => {
    const s = metrics(out || log(), 'softmax');
    expect(Math.abs(s.loss - s.lossN)).toBeLessThan(1e-5);
    expect(s.diff).toBeLessThan(1e-3);
    expect(Math.abs(s.acc - s.accN)).toBeLessThan(0.01);
    expect(s.acc).toBeGreaterThan(0.6);
  });

  it('the loss falls from the first step to the last', () => {
    const losses = [...(out || log()).matchAll(/step +\d+ +loss ([\d.]+)/g)].map((m) => Number(m[1]));
    expect(losses.length).toBeGreaterThanOrEqual(8);
    expect(losses[3]!).toBeLessThan(losses[0]! - 0.05);
    expect(losses[7]!).toBeLessThan(losses[4]! - 0.05);
  });

  it('refuses a bad option with the example and the flag named', () => {
    expect(() => execFileSync(process.execPath, ['examples/logistic-regression.mjs', '--lr', '-1'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))
      .toThrow(/logistic-regression: --lr must be a positive number, got -1/);
  });
});

describe('logistic-regression.mjs on the wasm backend', () => {
  it('--backend wasm reaches the Newton solution too', () => {
    const out = execFileSync(process.execPath, ['examples/logistic-regression.mjs', '--backend', 'wasm', '--quick'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    const gaps = [...out.matchAll(/gap ([\d.e+-]+)/g)].map((m) => Number(m[1]));
    expect(gaps.length).toBeGreaterThan(0);
    for (const g of gaps) expect(g).toBeLessThan(1e-5);
  });
});
