/** examples/compress.mjs in its quick form: pruning table, int8 accuracy and file size, the image grid. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NO_WEBGPU } from './helpers.js';

const root = join(import.meta.dirname, '..');
const SUBSET = join(root, 'data', 'fashion-mnist-subset');

describe('examples/compress.mjs', () => {
  it('prunes and quantizes a trained MLP: accuracy above chance, int8 within 2 points of float32, a file about 4x smaller', () => {
    const out = mkdtempSync(join(tmpdir(), 'webgrad-compress-'));
    try {
      const log = execFileSync(process.execPath, [
        'examples/compress.mjs', '--epochs', '2', '--train-limit', NO_WEBGPU ? '500' : '1000', '--test-limit', '500',
        '--sparsities', '0.5,0.9', '--data', SUBSET, '--out', out, ...(NO_WEBGPU ? ['--backend', 'cpu'] : []),
      ], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
      const floatAcc = Number(/float32 model: test accuracy ([\d.]+)%/.exec(log)![1]);
      expect(floatAcc).toBeGreaterThan(40); // chance is 10%
      // The table: a header, the unpruned row and one row per sparsity, each with the fine-tuned accuracy.
      expect(log).toMatch(/\| sparsity \| test accuracy \| after 1-epoch fine-tune \|/);
      const rows = [...log.matchAll(/^\| ([\d.]+)% \| ([\d.]+)% \| ([\d.]+)% \|$/gm)];
      expect(rows.map((r) => Number(r[1]))).toEqual([50, 90]);
      for (const r of rows) expect(Number(r[3])).toBeGreaterThan(30);
      const m = /int8 per-channel model: test accuracy ([\d.]+)% .* file (\d+) bytes, ([\d.]+)x smaller/.exec(log)!;
      expect(Math.abs(Number(m[1]) - floatAcc)).toBeLessThanOrEqual(2);
      expect(Number(m[3])).toBeGreaterThan(3.8);
      expect(Number(m[3])).toBeLessThan(4.01);
      // The grid of 32 test images: 4 rows and 8 columns of 28 + 2 pixels, plus 2, in RGB.
      const png = readFileSync(join(out, 'compress-test-images.png'));
      expect([png.readUInt32BE(16), png.readUInt32BE(20), png[25]]).toEqual([8 * 30 + 2, 4 * 30 + 2, 2]);
      const idat = png.subarray(41, 41 + png.readUInt32BE(33));
      expect(inflateSync(idat).length).toBe(122 * (1 + 242 * 3));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('rejects a sparsity outside (0, 1)', () => {
    expect(() => execFileSync(process.execPath, ['examples/compress.mjs', '--sparsities', '0.5,1.5'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))
      .toThrow(/compress: --sparsities must be fractions in \(0, 1\), got 0.5,1.5/);
  });
});
