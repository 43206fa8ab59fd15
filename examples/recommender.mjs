#!/usr/bin/env node
// Collaborative filtering with embeddings: predicts held-out ratings of a users x items table
// from learned user and item vectors (nn.Embedding), their dot product plus a user bias, an
// item bias and the global mean, trained with Adam on the mean squared error plus an L2
// penalty (--l2 times the mean squared entry of the batch's user and item vectors; without it
// the vectors fit the noise). Reports the test RMSE against the item-mean baseline and the
// noise floor.
//
//   node examples/recommender.mjs [--quick] [--users N] [--items N] [--rank R] [--dim K]
//                                 [--density P] [--noise S] [--epochs N] [--batch-size N]
//                                 [--lr X] [--l2 X] [--seed N] [--backend webgpu|wasm|cpu]
//
// The ratings table is generated, not downloaded (seeded, so every run sees the same one): a
// known low-rank structure, rating = 3.5 + b_user + b_item + <u_user, v_item> with rank-R
// factors, plus Gaussian noise of standard deviation S (the noise floor: no model can beat an
// RMSE of about S on held-out ratings), clipped to [1, 5]; a fraction P of the cells is
// observed, 10% of those are held out for testing.
import * as wg from 'webgrad';

const args = process.argv.slice(2);
// Every argument is known: a misspelt flag is an error, not a silently ignored setting.
const VALUE_FLAGS = ['--backend', '--batch-size', '--density', '--dim', '--epochs', '--items', '--l2', '--lr', '--noise', '--rank', '--seed', '--users'];
const SWITCHES = ['--quick'];
for (let i = 0; i < args.length; i++) {
  if (SWITCHES.includes(args[i])) continue;
  if (!VALUE_FLAGS.includes(args[i])) throw new Error(`recommender: unknown argument ${args[i]} (accepted: ${[...VALUE_FLAGS, ...SWITCHES].join(', ')})`);
  if (i + 1 >= args.length) throw new Error(`recommender: ${args[i]} needs a value`);
  i++;
}
const quick = args.includes('--quick');
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const num = (name, dflt) => {
  const v = Number(opt(name, dflt));
  if (!Number.isFinite(v) || v <= 0) throw new Error(`recommender: ${name} must be a positive number, got ${opt(name, dflt)}`);
  return v;
};
const nUsers = num('--users', quick ? 200 : 1000);
const nItems = num('--items', quick ? 150 : 600);
const rank = num('--rank', 3);
const dim = num('--dim', 8);
const density = num('--density', quick ? 0.2 : 0.1);
const noise = num('--noise', 0.3);
const epochs = num('--epochs', quick ? 25 : 40);
const batchSize = num('--batch-size', quick ? 256 : 1024);
const lr = num('--lr', 0.02);
const l2 = Number(opt('--l2', '0.5'));
const seed = num('--seed', 7);

const backend = opt('--backend', 'webgpu');
try {
  await wg.init({ backend });
} catch (e) {
  if (backend !== 'webgpu') throw e;
  console.log(`NOTICE: no WebGPU adapter (${e.message.split('.')[0]}); running on the cpu backend instead.`);
  await wg.init({ backend: 'cpu' });
}
console.log(`device: ${wg.backendInfo().defaultDevice}`);
wg.manualSeed(seed);

// ---- the ratings table: known low-rank structure plus noise (seeded host PRNG) -------------
let state = seed * 0x9e3779b9;
const rand = () => {
  state = (state + 0x6d2b79f5) | 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
const U = Array.from({ length: nUsers }, () => Array.from({ length: rank }, () => gauss() / Math.sqrt(rank)));
const V = Array.from({ length: nItems }, () => Array.from({ length: rank }, () => gauss() / Math.sqrt(rank)));
const bu = Array.from({ length: nUsers }, () => 0.3 * gauss());
const bi = Array.from({ length: nItems }, () => 0.5 * gauss());
const users = [];
const items = [];
const ratings = [];
for (let u = 0; u < nUsers; u++) {
  for (let i = 0; i < nItems; i++) {
    if (rand() >= density) continue;
    let r = 3.5 + bu[u] + bi[i] + 0.8 * U[u].reduce((s, x, k) => s + x * V[i][k], 0) + noise * gauss();
    r = Math.min(5, Math.max(1, r));
    users.push(u);
    items.push(i);
    ratings.push(r);
  }
}
const n = ratings.length;
const order = Array.from({ length: n }, (_, k) => k);
for (let k = n - 1; k > 0; k--) {
  const j = Math.floor(rand() * (k + 1));
  [order[k], order[j]] = [order[j], order[k]];
}
const nTest = Math.round(n * 0.1);
const testIdx = order.slice(0, nTest);
const trainIdx = order.slice(nTest);
console.log(`data: ${nUsers} users, ${nItems} items, ${n} ratings (rank-${rank} structure, noise ${noise}, generated with seed ${seed}); ${trainIdx.length} train, ${nTest} test`);

// ---- baselines: the item mean (global mean for items unseen in training), and the noise floor -
const mean = trainIdx.reduce((s, k) => s + ratings[k], 0) / trainIdx.length;
const itemSum = new Float64Array(nItems);
const itemCount = new Float64Array(nItems);
for (const k of trainIdx) {
  itemSum[items[k]] += ratings[k];
  itemCount[items[k]]++;
}
const rmse = (pred, idx) => Math.sqrt(idx.reduce((s, k, j) => s + (pred[j] - ratings[k]) ** 2, 0) / idx.length);
const baseline = rmse(testIdx.map((k) => (itemCount[items[k]] ? itemSum[items[k]] / itemCount[items[k]] : mean)), testIdx);

// ---- the model ---------------------------------------------------------------------------
class MatrixFactorization extends wg.nn.Module {
  constructor() {
    super();
    this.userVec = new wg.nn.Embedding(nUsers, dim);
    this.itemVec = new wg.nn.Embedding(nItems, dim);
    this.userBias = new wg.nn.Embedding(nUsers, 1);
    this.itemBias = new wg.nn.Embedding(nItems, 1);
    // Small starting vectors, so the dot products start near 0.
    wg.noGrad(() => {
      for (const e of [this.userVec, this.itemVec]) e.weight.mul_(0.1);
      for (const e of [this.userBias, this.itemBias]) e.weight.zero_();
    });
  }
  forward(u, i) {
    const pu = this.userVec.forward(u);
    const qi = this.itemVec.forward(i);
    const dot = pu.mul(qi).sum(-1);
    const pred = dot.add(this.userBias.forward(u).squeeze(-1)).add(this.itemBias.forward(i).squeeze(-1)).add(mean);
    return { pred, penalty: pu.square().mean().add(qi.square().mean()) };
  }
}
const model = new MatrixFactorization();
const adam = new wg.optim.Adam(model.parameters(), { lr });
const idxTensor = (list, idx) => wg.tensor(Int32Array.from(idx, (k) => list[k]));

async function predict(idx) {
  return wg.tidy(() => wg.noGrad(() => model.forward(idxTensor(users, idx), idxTensor(items, idx)).pred)).data();
}

const t0 = Date.now();
let testRmse = NaN;
for (let epoch = 1; epoch <= epochs; epoch++) {
  for (let k = trainIdx.length - 1; k > 0; k--) {
    const j = Math.floor(rand() * (k + 1));
    [trainIdx[k], trainIdx[j]] = [trainIdx[j], trainIdx[k]];
  }
  let lossSum = 0;
  let batches = 0;
  for (let at = 0; at < trainIdx.length; at += batchSize) {
    const b = trainIdx.slice(at, at + batchSize);
    const loss = wg.tidy(() => {
      const { pred, penalty } = model.forward(idxTensor(users, b), idxTensor(items, b));
      const mse = pred.sub(wg.tensor(Float32Array.from(b, (k) => ratings[k]))).square().mean();
      adam.zeroGrad();
      mse.add(penalty.mul(l2)).backward();
      adam.step();
      return mse;
    });
    lossSum += await loss.item();
    loss.dispose();
    batches++;
  }
  if (epoch % 5 === 0 || epoch === epochs) {
    testRmse = rmse(Array.from(await predict(testIdx)), testIdx);
    console.log(`epoch ${epoch}: train MSE ${(lossSum / batches).toFixed(4)}, test RMSE ${testRmse.toFixed(4)}`);
  }
}
console.log(`test RMSE: ${testRmse.toFixed(4)} (item-mean baseline: ${baseline.toFixed(4)}, noise floor: ${noise.toFixed(4)}), ${((Date.now() - t0) / 1000).toFixed(1)} s for ${epochs} epochs`);
