#!/usr/bin/env node
// Example 6, the teaching example: logistic regression (two classes) and softmax regression
// (three classes) written from tensors, autograd and plain gradient descent alone: no nn
// layers, no optimizer object, the loss written out with tensor ops. Each is checked against a
// known solution: the same objective minimised by Newton's method (IRLS), its gradient and
// Hessian computed here with tensor ops and the small linear system solved on the host.
//
//   node examples/logistic-regression.mjs [--steps N] [--lr X] [--batch-size N] [--n N]
//                                         [--backend cpu|webgpu|wasm] [--seed N] [--quick]
//
// The data are generated with known structure: features x ~ N(0, I); binary labels drawn from
// sigmoid(x . w* + b*); three-class labels drawn from softmax(x W* + b*). With --batch-size
// equal to the data size (the default) each step is a full-batch gradient step, which converges
// to the Newton solution; a smaller batch makes it stochastic (and the gap larger).
import * as wg from 'webgrad';

const args = process.argv.slice(2);
// Every argument is known: a misspelt flag is an error, not a silently ignored setting.
const VALUE_FLAGS = ['--backend', '--batch-size', '--lr', '--n', '--seed', '--steps'];
const SWITCHES = ['--quick'];
for (let i = 0; i < args.length; i++) {
  if (SWITCHES.includes(args[i])) continue;
  if (!VALUE_FLAGS.includes(args[i])) throw new Error(`logistic-regression: unknown argument ${args[i]} (accepted: ${[...VALUE_FLAGS, ...SWITCHES].join(', ')})`);
  if (i + 1 >= args.length) throw new Error(`logistic-regression: ${args[i]} needs a value`);
  i++;
}
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const num = (name, dflt, int = false) => {
  const v = Number(opt(name, dflt));
  if (!Number.isFinite(v) || v <= 0 || (int && !Number.isInteger(v))) throw new Error(`logistic-regression: ${name} must be a positive ${int ? 'integer' : 'number'}, got ${opt(name, dflt)}`);
  return v;
};
const quick = args.includes('--quick');
const n = num('--n', quick ? 400 : 2000, true);
const steps = num('--steps', quick ? 200 : 500, true);
const lr = num('--lr', 2);
const batchSize = Math.min(num('--batch-size', n, true), n);
const seed = num('--seed', 1, true);
const backend = opt('--backend', 'webgpu');
if (!['cpu', 'webgpu', 'wasm'].includes(backend)) throw new Error(`logistic-regression: --backend must be cpu, webgpu or wasm, got ${backend}`);

let device = 'cpu';
if (backend === 'wasm') {
  await wg.init({ backend: 'wasm' });
  device = 'wasm';
} else if (backend === 'webgpu') {
  try {
    await wg.init({ backend: 'webgpu' });
    device = 'webgpu';
  } catch (e) {
    console.log(`no WebGPU adapter (${e.message.split('\n')[0]}); running on cpu`);
  }
}
await wg.init({ backend: 'cpu' });
wg.manualSeed(seed);

// ---- data: a small host PRNG (mulberry32) so the data are the same on every device ----
let state = seed * 0x9e3779b9;
const uniform = () => {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), state | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const gauss = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());

/** n rows of d features ~ N(0, I), with a last column of ones (the bias), and labels from probs(row). */
function dataset(rows, d, labelOf) {
  const X = new Float32Array(rows * (d + 1));
  const y = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const x = Array.from({ length: d }, gauss);
    X.set([...x, 1], i * (d + 1));
    y[i] = labelOf(x);
  }
  return { X: wg.tensor(X, { shape: [rows, d + 1], device }), y };
}
const draw = (p) => {
  let u = uniform();
  for (let k = 0; k < p.length; k++) if ((u -= p[k]) < 0) return k;
  return p.length - 1;
};

// Binary: w* = [2, -1, 0.5], b* = 0.3. Three classes: W* columns per class, b* per class.
const wTrue = [2, -1, 0.5, 0.3];
const binLabel = (x) => Number(uniform() < 1 / (1 + Math.exp(-(x[0] * 2 - x[1] + 0.5 * x[2] + 0.3))));
const WTrue = [[1.5, -1, 0], [0, 1.5, -1.5], [0.2, 0, -0.2]]; // [d + 1, K]: rows x0, x1, bias
const softLabel = (x) => {
  const z = [0, 1, 2].map((k) => WTrue[0][k] * x[0] + WTrue[1][k] * x[1] + WTrue[2][k]);
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return draw(e.map((v) => v / s));
};

// ---- the objectives, from tensor ops ----
const LAMBDA = 1e-3; // a small ridge term (on every weight) makes both minima unique

/** Mean binary cross-entropy of logits z = X w against labels y (0/1, float), plus the ridge term. */
function binaryLoss(X, y, w) {
  const z = X.matmul(w).squeeze(1);
  // log(1 + e^z) - y z, written stably: relu(z) + log1p(e^-|z|) - y z
  const nll = z.relu().add(z.abs().neg().exp().log1p()).sub(z.mul(y)).mean();
  return nll.add(w.square().sum().mul(LAMBDA / 2));
}

/** Mean softmax cross-entropy of logits Z = X W against one-hot labels Y, plus the ridge term. */
function softmaxLoss(X, Y, W) {
  const Z = X.matmul(W);
  const nll = Z.logsumexp(1).sub(Z.mul(Y).sum(1)).mean();
  return nll.add(W.square().sum().mul(LAMBDA / 2));
}

/** Gradient descent on `params` (tensors that require grad) for the loss of a batch; returns the final full-data loss. */
async function train(params, lossOf, rows) {
  for (let step = 0; step < steps; step++) {
    const start = batchSize === rows ? 0 : ((step * batchSize) % rows);
    const count = Math.min(batchSize, rows - start);
    wg.tidy(() => {
      const loss = lossOf(start, count);
      loss.backward();
      wg.noGrad(() => {
        for (const p of params) {
          p.sub_(p.grad.mul(lr));
          p.grad = null;
        }
      });
    });
    if (step % Math.max(1, Math.floor(steps / 4)) === 0) {
      const l = await wg.noGrad(() => lossOf(0, rows)).item();
      console.log(`  step ${String(step).padStart(5)}  loss ${l.toFixed(6)}`);
    }
  }
  return wg.noGrad(() => lossOf(0, rows)).item();
}

// ---- the reference: Newton's method, gradient and Hessian in tensor ops ----

/** Solves A x = b (A symmetric positive definite, small) by Gaussian elimination with partial pivoting. */
function solve(A, b) {
  const m = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < m; c++) {
    let p = c;
    for (let r = c + 1; r < m; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = c + 1; r < m; r++) {
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= m; k++) M[r][k] -= f * M[c][k];
    }
  }
  const x = new Array(m).fill(0);
  for (let r = m - 1; r >= 0; r--) {
    let s = M[r][m];
    for (let k = r + 1; k < m; k++) s -= M[r][k] * x[k];
    x[r] = s / M[r][r];
  }
  return x;
}

/**
 * Newton's method for the softmax objective with K classes (K = 1: the binary one, with the
 * sigmoid): grad = X^T (P - Y) / n + lambda W, Hessian blocks H_kl = X^T diag(p_k (delta_kl -
 * p_l)) X / n + lambda I. Returns the weights as a host array [d + 1, K].
 */
async function newton(X, Y, K, iters = 20) {
  const [rows, dp1] = X.shape;
  let W = wg.zeros([dp1, K], { device });
  for (let it = 0; it < iters; it++) {
    const Z = X.matmul(W);
    const P = K === 1 ? Z.sigmoid() : Z.sub(Z.logsumexp(1, true)).exp(); // the softmax, from tensor ops
    const G = X.T.matmul(P.sub(Y)).div(rows).add(W.mul(LAMBDA)); // [d + 1, K]
    const H = [];
    for (let k = 0; k < K; k++) {
      for (let l = 0; l < K; l++) {
        const pk = P.narrow(1, k, 1);
        const c = K === 1 ? pk.mul(pk.neg().add(1)) : pk.mul((k === l ? 1 : 0)).sub(pk.mul(P.narrow(1, l, 1)));
        H.push(X.T.matmul(X.mul(c)).div(rows)); // [d + 1, d + 1]
      }
    }
    // Assemble the (d + 1) K system, parameters ordered class by class.
    const size = dp1 * K;
    const A = Array.from({ length: size }, () => new Array(size).fill(0));
    for (let k = 0; k < K; k++) {
      for (let l = 0; l < K; l++) {
        const h = await H[k * K + l].data();
        for (let i = 0; i < dp1; i++) for (let j = 0; j < dp1; j++) A[k * dp1 + i][l * dp1 + j] = h[i * dp1 + j] + (k === l && i === j ? LAMBDA : 0);
      }
    }
    const g = await G.data();
    const b = new Array(size);
    for (let k = 0; k < K; k++) for (let i = 0; i < dp1; i++) b[k * dp1 + i] = g[i * K + k];
    const step = solve(A, b);
    const upd = new Float32Array(dp1 * K);
    for (let k = 0; k < K; k++) for (let i = 0; i < dp1; i++) upd[i * K + k] = step[k * dp1 + i];
    W = W.sub(wg.tensor(upd, { shape: [dp1, K], device }));
    if (Math.max(...step.map(Math.abs)) < 1e-7) break;
  }
  return W;
}

const accuracy = async (scores, y) => {
  const pred = await scores.data();
  const K = scores.shape[1];
  let right = 0;
  for (let i = 0; i < y.length; i++) {
    let k = 0;
    if (K === 1) k = pred[i] > 0 ? 1 : 0;
    else for (let j = 1; j < K; j++) if (pred[i * K + j] > pred[i * K + k]) k = j;
    right += k === y[i] ? 1 : 0;
  }
  return right / y.length;
};
const maxAbsDiff = async (a, b) => {
  const [x, y] = [await a.data(), await b.data()];
  return Math.max(...Array.from(x, (v, i) => Math.abs(v - y[i])));
};
const fmt = (v) => Array.from(v, (x) => x.toFixed(3)).join(', ');

console.log(`logistic and softmax regression from autograd alone on ${device}: ${n} training rows, ${steps} steps, lr ${lr}, batch ${batchSize}`);

// ---- 1. binary logistic regression ----
{
  const train_ = dataset(n, 3, binLabel);
  const test = dataset(n, 3, binLabel);
  const yf = wg.tensor(Float32Array.from(train_.y), { device });
  const w = wg.zeros([4, 1], { device, requiresGrad: true });
  console.log('binary logistic regression (3 features, true w = [2, -1, 0.5], b = 0.3):');
  const loss = await train([w], (s, c) => binaryLoss(train_.X.narrow(0, s, c), yf.narrow(0, s, c), w), n);
  const wN = await newton(train_.X, yf.unsqueeze(1), 1);
  const lossN = await binaryLoss(train_.X, yf, wN).item();
  const acc = await accuracy(test.X.matmul(w.detach()), test.y);
  const accN = await accuracy(test.X.matmul(wN), test.y);
  console.log(`  gradient descent: w = [${fmt(await w.data())}]`);
  console.log(`  Newton (IRLS):    w = [${fmt(await wN.data())}]   (true [${fmt(wTrue)}])`);
  console.log(`binary: loss ${loss.toFixed(6)} newton ${lossN.toFixed(6)} gap ${(loss - lossN).toExponential(2)} max|w-wN| ${(await maxAbsDiff(w, wN)).toExponential(2)} test accuracy ${acc.toFixed(4)} newton ${accN.toFixed(4)}`);
}

// ---- 2. softmax regression, three classes ----
{
  const train_ = dataset(n, 2, softLabel);
  const test = dataset(n, 2, softLabel);
  const Y = wg.tensor(Float32Array.from({ length: n * 3 }, (_, i) => (train_.y[Math.floor(i / 3)] === i % 3 ? 1 : 0)), { shape: [n, 3], device });
  const W = wg.zeros([3, 3], { device, requiresGrad: true });
  console.log('softmax regression (2 features, 3 classes):');
  const loss = await train([W], (s, c) => softmaxLoss(train_.X.narrow(0, s, c), Y.narrow(0, s, c), W), n);
  const WN = await newton(train_.X, Y, 3);
  const lossN = await softmaxLoss(train_.X, Y, WN).item();
  const acc = await accuracy(test.X.matmul(W.detach()), test.y);
  const accN = await accuracy(test.X.matmul(WN), test.y);
  console.log(`softmax: loss ${loss.toFixed(6)} newton ${lossN.toFixed(6)} gap ${(loss - lossN).toExponential(2)} max|W-WN| ${(await maxAbsDiff(W, WN)).toExponential(2)} test accuracy ${acc.toFixed(4)} newton ${accN.toFixed(4)}`);
}
