#!/usr/bin/env node
// Example 7: data mining on tensors with webgrad.preprocessing and webgrad.mining.
//
//   (a) RFM customer segmentation: a generated customer table (recency in days since the last
//       order, frequency in orders a year, monetary in spend a year) with four known segments,
//       scaled (min-max and z-score), clustered by KMeans (k-means++), and each cluster named
//       by its centroid: high-value, potential, new, at-risk. The table is generated from a
//       seeded generator (--seed), so every run sees the same customers.
//   (b) Fashion-MNIST images projected to 2-D by PCA (covariance + linalg.eigh) and drawn as
//       an SVG scatter plot coloured by class.
//
//   node examples/mining.mjs [--quick] [--customers N] [--images N] [--pool 1|2|4]
//                            [--backend webgpu|wasm|cpu] [--data DIR] [--out DIR] [--seed N]
//
// --quick: 600 customers and 600 images (what tests/example-mining.test.ts runs).
// --pool 2 (default): the images are average-pooled 2 x 2 to 14 x 14 = 196 features before PCA,
// so the 196 x 196 covariance is decomposed in about a second by the host's Jacobi solver;
// --pool 1 keeps all 784 pixels (a 784 x 784 eigenproblem: about a minute).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as wg from 'webgrad';

const args = process.argv.slice(2);
// Every argument is known: a misspelt flag is an error, not a silently ignored setting.
const VALUE_FLAGS = ['--backend', '--customers', '--data', '--images', '--out', '--pool', '--seed'];
const SWITCHES = ['--quick'];
for (let i = 0; i < args.length; i++) {
  if (SWITCHES.includes(args[i])) continue;
  if (!VALUE_FLAGS.includes(args[i])) throw new Error(`mining: unknown argument ${args[i]} (accepted: ${[...VALUE_FLAGS, ...SWITCHES].join(', ')})`);
  if (i + 1 >= args.length) throw new Error(`mining: ${args[i]} needs a value`);
  i++;
}
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const num = (name, dflt) => {
  const v = Number(opt(name, dflt));
  if (!Number.isInteger(v) || v <= 0) throw new Error(`mining: ${name} must be a positive integer, got ${opt(name, dflt)}`);
  return v;
};
const quick = args.includes('--quick');
const nCustomers = num('--customers', quick ? 600 : 4000);
const nImages = num('--images', quick ? 600 : 2000);
const pool = num('--pool', 2);
if (![1, 2, 4].includes(pool)) throw new Error(`mining: --pool must be 1, 2 or 4, got ${pool}`);
const seed = num('--seed', 7);
const outDir = opt('--out', 'out');
mkdirSync(outDir, { recursive: true });

const backend = opt('--backend', 'webgpu');
try {
  await wg.init({ backend });
} catch (e) {
  if (backend !== 'webgpu') throw e;
  console.log(`NOTICE: no WebGPU adapter (${e.message.split('.')[0]}); running on the cpu backend instead.`);
  await wg.init({ backend: 'cpu' });
}
const device = wg.backendInfo().defaultDevice;
console.log(`device: ${device}`);
wg.manualSeed(seed);

// A small seeded host generator (mulberry32) for the generated table.
let state = seed >>> 0;
const uniform = () => {
  state = (state + 0x6d2b79f5) | 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
const lognormal = (median, sigma) => median * Math.exp(sigma * normal());

// ---- (a) RFM segmentation ------------------------------------------------------------------
// The generating segments: share of customers, recency (days, median), frequency (orders a
// year, median), monetary (spend a year, median); each log-normal around its median.
const SEGMENTS = [
  { name: 'high-value', share: 0.15, r: 8, f: 30, m: 3000 },
  { name: 'potential', share: 0.3, r: 25, f: 10, m: 700 },
  { name: 'new', share: 0.25, r: 5, f: 1.5, m: 80 },
  { name: 'at-risk', share: 0.3, r: 200, f: 4, m: 250 },
];
const rows = [];
const truth = [];
for (let i = 0; i < nCustomers; i++) {
  let u = uniform();
  let s = 0;
  while (s < SEGMENTS.length - 1 && u >= SEGMENTS[s].share) u -= SEGMENTS[s++].share;
  const g = SEGMENTS[s];
  rows.push([lognormal(g.r, 0.4), lognormal(g.f, 0.35), lognormal(g.m, 0.4)]);
  truth.push(s);
}
console.log(`\n(a) RFM: ${nCustomers} generated customers (seed ${seed}) in ${SEGMENTS.length} segments: ${SEGMENTS.map((g) => g.name).join(', ')}`);

// Monetary and frequency are skewed over orders of magnitude: cluster their logarithms (as is
// usual for RFM), scaled two ways.
const logged = rows.map(([r, f, m]) => [Math.log(r), Math.log(f), Math.log(m)]);
const X = wg.tensor(logged, { device });
const minmax = new wg.preprocessing.MinMaxScaler();
const scores = minmax.fitTransform(X); // each feature in [0, 1]
const zscaler = new wg.preprocessing.StandardScaler();
const Z = zscaler.fitTransform(X); // each feature mean 0, std 1

const k = SEGMENTS.length;
const km = await new wg.mining.KMeans({ nClusters: k, init: 'k-means++', nInit: 4, seed }).fit(Z);
const kmMinMax = await new wg.mining.KMeans({ nClusters: k, nInit: 4, seed }).fit(scores);

// Inertia of a random assignment (the same data, each customer in a random cluster, each cluster at its mean).
const zRows = await Z.toArray();
const randomInertia = (() => {
  const lab = zRows.map(() => Math.floor(uniform() * k));
  const sums = Array.from({ length: k }, () => [0, 0, 0]);
  const cnt = new Array(k).fill(0);
  zRows.forEach((r, i) => { cnt[lab[i]]++; r.forEach((v, j) => { sums[lab[i]][j] += v; }); });
  return zRows.reduce((a, r, i) => a + r.reduce((b, v, j) => b + (v - sums[lab[i]][j] / Math.max(1, cnt[lab[i]])) ** 2, 0), 0);
})();
console.log(`k-means on z-scores: inertia ${km.inertia.toFixed(1)} after ${km.nIter} iterations; a random assignment's: ${randomInertia.toFixed(1)} (ratio ${(km.inertia / randomInertia).toFixed(3)})`);

// Name the clusters by their centroids (min-max scores of the log features, 0 = lowest):
// the highest monetary is high-value; of the rest, the longest since the last order is
// at-risk; of the rest, the fewest orders is new; the last is potential.
const centresLog = zscaler.inverseTransform(km.clusterCenters);
const centreScores = await minmax.transform(centresLog).toArray();
const centresUnits = (await centresLog.toArray()).map((c) => c.map(Math.exp));
const left = new Set(Array.from({ length: k }, (_, i) => i));
const pick = (key, sign) => {
  let best = -1;
  for (const c of left) if (best < 0 || sign * centreScores[c][key] > sign * centreScores[best][key]) best = c;
  left.delete(best);
  return best;
};
const names = new Array(k);
names[pick(2, 1)] = 'high-value';
names[pick(0, 1)] = 'at-risk';
names[pick(1, -1)] = 'new';
names[pick(0, 1)] = 'potential';

const labels = Array.from(await km.labels.data());
const agree = labels.filter((l, i) => names[l] === SEGMENTS[truth[i]].name).length;
const labelsMM = Array.from(await kmMinMax.labels.data());
// Agreement of the min-max clustering with the z-score one, up to renaming (each min-max cluster's majority z-score cluster).
const majority = Array.from({ length: k }, (_, c) => {
  const votes = new Array(k).fill(0);
  labelsMM.forEach((l, i) => { if (l === c) votes[labels[i]]++; });
  return votes.indexOf(Math.max(...votes));
});
const agreeMM = labelsMM.filter((l, i) => majority[l] === labels[i]).length;

const pad = (s, n) => String(s).padStart(n);
console.log(`\n${'segment'.padEnd(12)}${pad('customers', 10)}${pad('recency d', 11)}${pad('orders/yr', 11)}${pad('spend/yr', 10)}   R, F, M scores (min-max)`);
const order = [...names.keys()].sort((a, b) => SEGMENTS.findIndex((g) => g.name === names[a]) - SEGMENTS.findIndex((g) => g.name === names[b]));
for (const c of order) {
  const [r, f, m] = centresUnits[c];
  const sc = centreScores[c].map((v) => v.toFixed(2)).join(', ');
  console.log(`${names[c].padEnd(12)}${pad(labels.filter((l) => l === c).length, 10)}${pad(r.toFixed(0), 11)}${pad(f.toFixed(1), 11)}${pad(m.toFixed(0), 10)}   ${sc}`);
}
console.log(`segments found: ${order.map((c) => names[c]).join(', ')}`);
console.log(`customers in the segment they were generated in: ${(100 * agree / nCustomers).toFixed(1)}%`);
console.log(`k-means on the min-max scores instead: inertia ${kmMinMax.inertia.toFixed(2)}; the same clusters for ${(100 * agreeMM / nCustomers).toFixed(1)}% of customers`);

// ---- (b) PCA of Fashion-MNIST --------------------------------------------------------------
let root = opt('--data', undefined);
let ds;
try {
  ds = await wg.data.fashionMnist({ split: 'train', root, limit: nImages });
} catch (e) {
  if (root) throw e;
  root = new URL('../data/fashion-mnist-subset', import.meta.url).pathname;
  ds = await wg.data.fashionMnist({ split: 'train', root, limit: nImages });
}
const [images, classes] = ds.tensors;
const n = images.shape[0];
const onDevice = await images.to(device);
const pooled = pool === 1 ? onDevice : wg.F.avgPool2d(onDevice, pool);
const side = 28 / pool;
const P = pooled.reshape([n, side * side]);
console.log(`\n(b) PCA: ${n} Fashion-MNIST images, ${pool > 1 ? `average-pooled ${pool} x ${pool} to ` : ''}${side} x ${side} = ${side * side} features`);
const t0 = performance.now();
const pca = await new wg.mining.PCA({ nComponents: 2 }).fit(P);
const proj = pca.transform(P);
console.log(`PCA fit in ${((performance.now() - t0) / 1000).toFixed(2)} s; explained variance ${Array.from(await pca.explainedVariance.data()).map((v) => v.toFixed(4)).join(', ')} (ratio ${Array.from(await pca.explainedVarianceRatio.data()).map((v) => (100 * v).toFixed(1) + '%').join(', ')})`);

// The check: the same covariance formed independently in float64 on the host, and its two
// largest eigenvalues by linalg.eigh.
const P64 = wg.tensor(Float64Array.from(await P.data()), { shape: P.shape, dtype: 'float64', device: 'cpu' });
const Pc = P64.sub(P64.mean(0));
const [L] = wg.linalg.eigh(Pc.transpose(0, 1).matmul(Pc).div(n - 1));
const lam = Array.from(await L.data()).reverse();
const ev = Array.from(await pca.explainedVariance.data());
const relDiff = Math.max(...ev.map((v, i) => Math.abs(v - lam[i]) / lam[i]));
console.log(`covariance eigenvalues (float64): ${lam.slice(0, 2).map((v) => v.toFixed(4)).join(', ')}; largest relative difference from the explained variance: ${relDiff.toExponential(2)}`);

const xy = await proj.data();
const lab = await classes.data();
const svg = wg.mining.scatterSvg(
  Float64Array.from({ length: n }, (_, i) => xy[2 * i]),
  Float64Array.from({ length: n }, (_, i) => xy[2 * i + 1]),
  lab,
  { title: `Fashion-MNIST, ${n} images: the first two principal components`, xLabel: 'PC 1', yLabel: 'PC 2', groupNames: wg.data.FASHION_MNIST_CLASSES },
);
const svgPath = join(outDir, 'mining-pca.svg');
writeFileSync(svgPath, svg);
console.log(`wrote ${svgPath}`);
