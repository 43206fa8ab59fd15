/**
 * webgrad.preprocessing (MinMaxScaler, StandardScaler) and webgrad.mining (PCA, KMeans,
 * scatterSvg) on both devices: values worked by hand, inverses, PCA against the covariance's
 * eigen-decomposition, KMeans on known separated clusters. Refused calls: tests/sweep/mining.ts.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { DEVICES, expectClose, rng, useDevices } from './helpers.js';

useDevices();
const { preprocessing, mining, linalg } = wg;

const on = (device: DeviceName, rows: number[][]) => wg.tensor(rows, { device });
const host = async (t: Tensor) => (await t.to('cpu'));

/** n points around each centre (normal noise of sd `spread`), shuffled; the true cluster of each row. */
function blobs(centres: number[][], n: number, spread: number): { rows: number[][]; truth: number[] } {
  const pts: [number[], number][] = [];
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  centres.forEach((c, k) => {
    for (let i = 0; i < n; i++) pts.push([c.map((v) => v + spread * gauss()), k]);
  });
  for (let i = pts.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [pts[i], pts[j]] = [pts[j]!, pts[i]!];
  }
  return { rows: pts.map((p) => p[0]), truth: pts.map((p) => p[1]) };
}

/** The inertia of a random assignment to k groups (each group's centroid as its centre). */
function randomInertia(rows: number[][], k: number): number {
  const labels = rows.map(() => Math.floor(rng() * k));
  const d = rows[0]!.length;
  const sums = Array.from({ length: k }, () => new Array(d).fill(0));
  const counts = new Array(k).fill(0);
  rows.forEach((r, i) => { counts[labels[i]!]++; r.forEach((v, j) => { sums[labels[i]!]![j] += v; }); });
  return rows.reduce((acc, r, i) => acc + r.reduce((a, v, j) => a + (v - sums[labels[i]!]![j] / Math.max(1, counts[labels[i]!])) ** 2, 0), 0);
}

describe.each(DEVICES)('preprocessing on %s', (device) => {
  it('MinMaxScaler maps each feature of [[1, 10], [3, 20], [2, 30]] onto [0, 1] and records dataMin, dataMax and scale', async () => {
    const s = new preprocessing.MinMaxScaler();
    const y = s.fitTransform(on(device, [[1, 10], [3, 20], [2, 30]]));
    expect(y.device).toBe(device);
    await expectClose(await host(y), wg.tensor([[0, 0], [1, 0.5], [0.5, 1]]), 1e-6);
    await expectClose(await host(s.dataMin), wg.tensor([1, 10]));
    await expectClose(await host(s.dataMax), wg.tensor([3, 30]));
    await expectClose(await host(s.scale), wg.tensor([0.5, 0.05]), 1e-6);
    expect(s.nSamplesSeen).toBe(3);
    expect(s.nFeaturesIn).toBe(2);
  });

  it('MinMaxScaler with featureRange [-1, 1] inverts exactly, and maps a constant feature to -1', async () => {
    const X = on(device, [[1, 7], [3, 7], [2, 7]]);
    const s = new preprocessing.MinMaxScaler({ featureRange: [-1, 1] });
    const y = s.fitTransform(X);
    await expectClose(await host(y), wg.tensor([[-1, -1], [1, -1], [0, -1]]), 1e-6);
    await expectClose(await host(s.inverseTransform(y)), await host(X), 1e-6);
  });

  it('MinMaxScaler clips values outside the fitted range with clip: true and not without', async () => {
    const s = new preprocessing.MinMaxScaler({ clip: true }).fit(on(device, [[0], [10]]));
    await expectClose(await host(s.transform(on(device, [[-5], [5], [20]]))), wg.tensor([[0], [0.5], [1]]), 1e-6);
    const u = new preprocessing.MinMaxScaler().fit(on(device, [[0], [10]]));
    await expectClose(await host(u.transform(on(device, [[20]]))), wg.tensor([[2]]), 1e-6);
  });

  it('StandardScaler gives each feature mean 0 and population std 1 ([[1, 2], [3, 2]] -> [[-1, 0], [1, 0]]) and inverts', async () => {
    const X = on(device, [[1, 2], [3, 2]]);
    const s = new preprocessing.StandardScaler();
    const z = s.fitTransform(X);
    await expectClose(await host(z), wg.tensor([[-1, 0], [1, 0]]), 1e-6);
    await expectClose(await host(s.mean!), wg.tensor([2, 2]));
    await expectClose(await host(s.var!), wg.tensor([1, 0]));
    await expectClose(await host(s.scale!), wg.tensor([1, 1]));
    await expectClose(await host(s.inverseTransform(z)), await host(X), 1e-6);
  });

  it('StandardScaler on random data: the z-scores have mean 0 and std 1 per feature, and invert', async () => {
    const rows = Array.from({ length: 40 }, () => [10 * rng(), 100 + rng(), -3 * rng()]);
    const X = on(device, rows);
    const s = new preprocessing.StandardScaler();
    const z = s.fitTransform(X);
    // float32: the feature near 100 keeps about 17 bits of its spread of 1 after centring.
    await expectClose(await host(z.mean(0).abs().add(1)), wg.tensor([1, 1, 1]), 1e-4);
    await expectClose(await host(z.var(0, { correction: 0 })), wg.tensor([1, 1, 1]), 1e-4);
    await expectClose(await host(s.inverseTransform(z)), await host(X), 1e-6);
  });

  it('StandardScaler with withMean false only divides, with withStd false only centres', async () => {
    const X = on(device, [[1], [3]]);
    await expectClose(await host(new preprocessing.StandardScaler({ withMean: false }).fitTransform(X)), wg.tensor([[1], [3]]), 1e-6);
    const c = new preprocessing.StandardScaler({ withStd: false });
    await expectClose(await host(c.fitTransform(X)), wg.tensor([[-1], [1]]), 1e-6);
    expect(c.scale).toBeNull();
  });
});

describe.each(DEVICES)('PCA on %s', (device) => {
  // Four points about (5, -2): two along (1, 1) at +-3, two along (1, -1) at +-1. Covariance
  // (divisor n - 1 = 3): [[20, 16], [16, 20]] / 3, eigenvalues 12 along (1, 1)/sqrt 2 and 4/3 along (1, -1)/sqrt 2.
  const hand = () => on(device, [[8, 1], [2, -5], [6, -3], [4, -1]]);
  const r = Math.SQRT1_2;

  it('finds the axes (1, 1)/sqrt 2 and (1, -1)/sqrt 2 of a 2-D case worked by hand, with variances 12 and 4/3', async () => {
    const pca = await new mining.PCA().fit(hand());
    await expectClose(await host(pca.mean), wg.tensor([5, -2]), 1e-6);
    await expectClose(await host(pca.components), wg.tensor([[r, r], [r, -r]]), 1e-6);
    await expectClose(await host(pca.explainedVariance), wg.tensor([12, 4 / 3]), 1e-6);
    await expectClose(await host(pca.explainedVarianceRatio), wg.tensor([0.9, 0.1]), 1e-6);
    await expectClose(await host(pca.singularValues), wg.tensor([6, 2]), 1e-6);
    await expectClose(await host(pca.transform(on(device, [[8, 1]]))), wg.tensor([[3 * Math.SQRT2, 0]]), 1e-6);
  });

  it('keeps the fewest components whose variance ratios pass a fraction: 1 for 0.85, 2 for 0.95', async () => {
    expect((await new mining.PCA({ nComponents: 0.85 }).fit(hand())).nComponents).toBe(1);
    expect((await new mining.PCA({ nComponents: 0.95 }).fit(hand())).nComponents).toBe(2);
  });

  it('on random 60 x 7 data: explained variance = the covariance eigenvalues (descending), orthonormal components', async () => {
    // Features of different scales, two of them correlated through a shared term.
    const rows = Array.from({ length: 60 }, () => {
      const shared = rng();
      return Array.from({ length: 7 }, (_, j) => (j + 1) * (rng() - 0.5) + (j < 2 ? 3 * shared : 0));
    });
    const X = on(device, rows);
    const pca = await new mining.PCA({ nComponents: 4 }).fit(X);
    expect(pca.components.shape).toEqual([4, 7]);
    // The reference: the covariance in float64 on cpu and its eigenvalues.
    const X64 = wg.tensor(rows, 'float64');
    const xc = X64.sub(X64.mean(0));
    const [L] = linalg.eigh(xc.transpose(0, 1).matmul(xc).div(59));
    const l = Array.from(await L.data()).reverse().slice(0, 4);
    await expectClose(await host(pca.explainedVariance), wg.tensor(l), 1e-5);
    const C = pca.components;
    await expectClose(await host(C.matmul(C.transpose(0, 1))), wg.eye(4), 1e-5);
  });

  it('inverseTransform(transform(X)) gives X back with every component, and whiten gives projections of unit variance', async () => {
    const rows = Array.from({ length: 30 }, () => [rng(), 2 * rng(), rng() - 3]);
    const X = on(device, rows);
    const pca = await new mining.PCA().fit(X);
    await expectClose(await host(pca.inverseTransform(pca.transform(X))), await host(X), 1e-5);
    const w = new mining.PCA({ whiten: true });
    const z = await w.fitTransform(X);
    await expectClose(await host(z.var(0)), wg.tensor([1, 1, 1]), 1e-4);
    await expectClose(await host(w.inverseTransform(z)), await host(X), 1e-5);
  });
});

describe.each(DEVICES)('KMeans on %s', (device) => {
  const centres = [[0, 0], [10, 0], [0, 10]];

  it('finds three separated clusters: centres within 0.3 of the true ones, labels equal to the truth up to renaming', async () => {
    const { rows, truth } = blobs(centres, 40, 0.8);
    const km = await new mining.KMeans({ nClusters: 3, seed: 1 }).fit(on(device, rows));
    expect(km.clusterCenters.device).toBe(device);
    const c = (await host(km.clusterCenters)).toArray() as Promise<number[][]>;
    const found = await c;
    for (const t of centres) {
      const nearest = Math.min(...found.map((f) => Math.hypot(f[0]! - t[0]!, f[1]! - t[1]!)));
      expect(nearest).toBeLessThan(0.3);
    }
    const labels = Array.from(await km.labels.data());
    expect(km.labels.dtype).toBe('int32');
    const rename = new Map<number, number>();
    labels.forEach((l, i) => { if (!rename.has(truth[i]!)) rename.set(truth[i]!, l); });
    expect(new Set(rename.values()).size).toBe(3);
    expect(labels.every((l, i) => rename.get(truth[i]!) === l)).toBe(true);
  });

  it('reaches an inertia below a tenth of a random assignment\'s, and the inertia is the sum of squared distances to the centres', async () => {
    const { rows } = blobs(centres, 30, 1);
    const X = on(device, rows);
    const km = await new mining.KMeans({ nClusters: 3, seed: 2 }).fit(X);
    expect(km.inertia).toBeLessThan(randomInertia(rows, 3) / 10);
    const d = km.transform(X).amin(1).square().sum();
    expect(await d.item()).toBeCloseTo(km.inertia, 1);
  });

  it('k-means++ seeded with the same seed gives the same centres twice; the global generator (manualSeed) too', async () => {
    const { rows } = blobs([[0, 0], [3, 3], [6, 0], [3, -3]], 25, 1.5);
    const X = on(device, rows);
    const a = await new mining.KMeans({ nClusters: 4, seed: 7, maxIter: 1 }).fit(X);
    const b = await new mining.KMeans({ nClusters: 4, seed: 7, maxIter: 1 }).fit(X);
    expect(Array.from(await a.clusterCenters.data())).toEqual(Array.from(await b.clusterCenters.data()));
    wg.manualSeed(3);
    const c = await new mining.KMeans({ nClusters: 4, maxIter: 1 }).fit(X);
    wg.manualSeed(3);
    const e = await new mining.KMeans({ nClusters: 4, maxIter: 1 }).fit(X);
    expect(Array.from(await c.clusterCenters.data())).toEqual(Array.from(await e.clusterCenters.data()));
  });

  it('random init with 10 runs finds the clusters too', async () => {
    const { rows } = blobs(centres, 20, 0.5);
    const km = await new mining.KMeans({ nClusters: 3, init: 'random', seed: 4 }).fit(on(device, rows));
    expect(km.nInit).toBe(10);
    expect(km.inertia).toBeLessThan(randomInertia(rows, 3) / 10);
  });

  it('predict puts each centre in its own cluster, and starting centres given as a Tensor are kept usable', async () => {
    const { rows } = blobs(centres, 20, 0.5);
    const init = on(device, [[1, 1], [9, 1], [1, 9]]);
    const km = await new mining.KMeans({ nClusters: 3, init }).fit(on(device, rows));
    expect(Array.from(await km.predict(km.clusterCenters).data())).toEqual([0, 1, 2]);
    expect(Array.from(await init.data())).toEqual([1, 1, 9, 1, 1, 9]);
    expect(km.nIter).toBeGreaterThanOrEqual(1);
  });
});

describe.each(DEVICES)('fitted state on %s', (device) => {
  // Fitting again replaces the state: the live tensor count must not grow (it may fall, as the
  // collector frees what earlier tests dropped).
  it('a second fit of each estimator frees the first fit\'s tensors and leaves nothing else behind', async () => {
    const { rows } = blobs([[0, 0, 0], [5, 5, 5]], 20, 1);
    const X = on(device, rows);
    const fits: [string, () => Promise<unknown>][] = [];
    const km = new mining.KMeans({ nClusters: 2, seed: 1 });
    fits.push(['KMeans', () => km.fit(X)]);
    const pca = new mining.PCA({ nComponents: 2 });
    fits.push(['PCA', () => pca.fit(X)]);
    const mm = new preprocessing.MinMaxScaler();
    fits.push(['MinMaxScaler', async () => mm.fit(X)]);
    const ss = new preprocessing.StandardScaler();
    fits.push(['StandardScaler', async () => ss.fit(X)]);
    for (const [name, fit] of fits) {
      await fit();
      const before = wg.memory().tensors;
      await fit();
      expect(wg.memory().tensors, name).toBeLessThanOrEqual(before);
    }
  });
});

describe('mining.scatterSvg', () => {
  it('draws one circle per point and one legend entry per group, with the group names escaped', () => {
    const svg = mining.scatterSvg([0, 1, 2], [0, 1, 0], [0, 1, 1], { title: 'a <b>', groupNames: ['T-shirt/top', 'x & y'] });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<circle [^>]*r="2.2"/g)!.length).toBe(3);
    expect(svg).toContain('x &amp; y');
    expect(svg).toContain('a &lt;b&gt;');
  });
});
