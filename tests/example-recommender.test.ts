/**
 * examples/recommender.mjs in its short form (--quick: 200 users, 150 items, about 6,000
 * generated ratings, 25 epochs): it runs, and its held-out RMSE beats the item-mean baseline
 * by at least 0.1 (measured: 0.396 against 0.614, noise floor 0.3) while staying above the
 * noise floor's neighbourhood (no model beats the noise on held-out ratings).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { NO_WEBGPU } from './helpers.js';

const root = new URL('..', import.meta.url).pathname;

describe('examples/recommender.mjs', () => {
  it('--quick: the test RMSE is at least 0.1 below the item-mean baseline', () => {
    const log = execFileSync(process.execPath, ['examples/recommender.mjs', '--quick', ...(NO_WEBGPU ? ['--backend', 'cpu'] : [])], {
      cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000,
    });
    expect(log).toMatch(/data: 200 users, 150 items, \d+ ratings \(rank-3 structure, noise 0.3, generated with seed 7\)/);
    const m = /test RMSE: ([\d.]+) \(item-mean baseline: ([\d.]+), noise floor: ([\d.]+)\)/.exec(log);
    expect(m).not.toBeNull();
    const [rmse, baseline, floor] = [Number(m![1]), Number(m![2]), Number(m![3])];
    expect(rmse).toBeLessThan(baseline - 0.1);
    expect(rmse).toBeGreaterThan(floor * 0.9);
  }, 240_000);

  it('refuses a bad option with a message naming it', () => {
    expect(() => execFileSync(process.execPath, ['examples/recommender.mjs', '--dim', '0'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))
      .toThrow(/recommender: --dim must be a positive number, got 0/);
  });
});
