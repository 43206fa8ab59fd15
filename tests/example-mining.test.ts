/**
 * examples/mining.mjs (example 7), run as a user would in its quick form: the RFM segments
 * are found and named, k-means beats a random assignment by a margin, PCA's explained
 * variance equals the covariance eigenvalues, and the scatter plot is a well-formed SVG.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NO_WEBGPU } from './helpers.js';

const root = join(import.meta.dirname, '..');

/** Throws unless every tag of `xml` is closed in order and every attribute value is quoted (enough for generated SVG). */
function checkWellFormed(xml: string): number {
  const stack: string[] = [];
  let count = 0;
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  for (let m = tag.exec(xml); m; m = tag.exec(xml)) {
    const between = xml.slice(last, m.index);
    if (/[<>]/.test(between)) throw new Error(`malformed markup near: ${between.slice(0, 80)}`);
    last = tag.lastIndex;
    count++;
    const [, close, name, , selfClose] = m;
    if (close) {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}>`);
    } else if (!selfClose) stack.push(name!);
  }
  if (/[<>]/.test(xml.slice(last))) throw new Error('malformed markup at the end');
  if (stack.length) throw new Error(`unclosed: ${stack.join(', ')}`);
  return count;
}

describe('examples/mining.mjs', () => {
  it('finds and names the RFM segments, beats a random assignment, matches PCA to the covariance eigenvalues and writes the SVG', () => {
    const out = mkdtempSync(join(tmpdir(), 'webgrad-mining-'));
    const log = execFileSync(process.execPath, ['examples/mining.mjs', '--quick', '--out', out, ...(NO_WEBGPU ? ['--backend', 'cpu'] : [])], {
      cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000,
    });
    expect(log).toMatch(/\(a\) RFM: 600 generated customers \(seed 7\)/);
    const [, inertia, random] = /k-means on z-scores: inertia ([\d.]+) after \d+ iterations; a random assignment's: ([\d.]+)/.exec(log)!.map(Number);
    // Four well-separated segments: k-means leaves under a fifth of a random assignment's inertia.
    expect(inertia).toBeLessThan(random! / 5);
    expect(/segments found: (.*)/.exec(log)![1]!.split(', ').sort()).toEqual(['at-risk', 'high-value', 'new', 'potential']);
    expect(Number(/customers in the segment they were generated in: ([\d.]+)%/.exec(log)![1])).toBeGreaterThan(90);
    expect(log).toMatch(/\(b\) PCA: 600 Fashion-MNIST images, average-pooled 2 x 2 to 14 x 14 = 196 features/);
    // float32 on the device against float64 on the host.
    expect(Number(/largest relative difference from the explained variance: ([\d.e+-]+)/.exec(log)![1])).toBeLessThan(1e-4);
    const svg = readFileSync(join(out, 'mining-pca.svg'), 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(checkWellFormed(svg)).toBeGreaterThan(600);
    expect(svg.match(/<circle [^>]*r="2.2"/g)!.length).toBe(600);
    expect(svg).toContain('Ankle boot');
  });

  it('rejects a pool size it does not take', () => {
    expect(() => execFileSync(process.execPath, ['examples/mining.mjs', '--pool', '3'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))
      .toThrow(/mining: --pool must be 1, 2 or 4, got 3/);
  });
});
