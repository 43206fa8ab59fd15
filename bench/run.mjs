#!/usr/bin/env node
// npm run bench: GFLOP/s, GB/s and training images/s of webgrad on each backend, next to the
// same work in TensorFlow.js measured in the same run (webgpu: on the same Dawn adapter; wasm:
// @tensorflow/tfjs-backend-wasm, XNNPACK).
//
//   node bench/run.mjs [--quick] [--filter REGEX] [--devices cpu,webgpu,wasm] [--threads N]
//                      [--no-peer] [--no-variants] [--no-torch] [--time MS] [--iterations N]
//                      [--json FILE.json] [--out FILE.md] [--help]
//
// Each sample runs the op (or training step) once and waits for the device to finish (no read
// back); inputs are made once per case. webgrad and its peer take their samples in 4 alternating
// windows (webgrad, peer, webgrad, ...), so both see the same minutes of the machine. Times are
// the median of the samples, +- their median absolute deviation. Ratio = peer time / webgrad
// time: above 1, webgrad is faster.
// These machines are noisy: compare ratios from one run, not times across runs.
// Every webgrad result (off the cpu device) is checked against the cpu backend on the same
// inputs before it is timed: a wrong result prints WRONG in the check column and the run exits 1.
// On wasm each case runs with 1 thread and with --threads (default: all of the machine's), next
// to TF.js-wasm with 1 thread (its SIMD build) and with as many (its threaded SIMD build, at
// most 8 threads; see peers.mjs). On webgpu, the cases whose kernels come in variants (matmul
// tilings, conv drivers, reduction layouts) are also run once per variant, forced through
// wg.configureKernels (the variant seam), next to the same peer time: the rows 'case [variant]'.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { Bench } from 'tinybench';
import { getBackend, kernelVariants } from '../dist/webgrad.node.js';
import { CHAIN_OPS, MODELS, tfjs, webgrad } from './peers.mjs';
import { calibrate, ofPeak } from './calibrate.mjs';

const args = process.argv.slice(2);
// Every argument is known: a misspelt flag is an error, not a silently ignored setting.
const SWITCHES = ['--quick', '--no-peer', '--no-variants', '--no-torch', '--help'];
const VALUE_FLAGS = ['--devices', '--fault', '--filter', '--iterations', '--json', '--out', '--threads', '--time'];
for (let i = 0; i < args.length; i++) {
  if (SWITCHES.includes(args[i])) continue;
  if (!VALUE_FLAGS.includes(args[i])) throw new Error(`bench: unknown argument ${args[i]} (accepted: ${[...VALUE_FLAGS, ...SWITCHES].join(', ')})`);
  if (i + 1 >= args.length) throw new Error(`bench: ${args[i]} needs a value`);
  i++;
}
if (args.includes('--help')) {
  // The usage is the comment at the top of this file.
  const { readFileSync } = await import('node:fs');
  const head = readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(1).filter((l) => l.startsWith('//')).map((l) => l.slice(3));
  console.log(head.join('\n'));
  process.exit(0);
}
const flag = (name) => args.includes(name);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const quick = flag('--quick');
const filter = new RegExp(opt('--filter', '.'));
const devices = opt('--devices', 'cpu,webgpu,wasm').split(',').filter(Boolean);
for (const d of devices) if (!['cpu', 'webgpu', 'wasm'].includes(d)) throw new Error(`bench: unknown device '${d}' in --devices (expected cpu, webgpu, wasm)`);
const cores = os.availableParallelism?.() ?? os.cpus().length;
const threads = Number(opt('--threads', String(cores)));
if (!(Number.isInteger(threads) && threads >= 1 && threads <= 256)) throw new Error(`bench: --threads must be an integer from 1 to 256, got ${opt('--threads')}`);
const withPeer = !flag('--no-peer');
const withVariants = !flag('--no-variants');
const withTorch = !flag('--no-torch');
const timeMs = Number(opt('--time', quick ? '200' : '1000'));
// At least this many samples per case (and as many warm-up runs, up to 2); --iterations 1 is a smoke run.
const iterations = Number(opt('--iterations', quick ? '3' : '5'));
if (!(Number.isInteger(iterations) && iterations >= 1)) throw new Error(`bench: --iterations must be a positive integer, got ${opt('--iterations')}`);
const out = opt('--out', undefined);
const jsonOut = opt('--json', undefined);
// For the smoke test: webgrad's results of the cases matching --fault are spoiled before the check.
const fault = opt('--fault', undefined) ? new RegExp(opt('--fault')) : null;
const fmt = (x, d = 2) => (x === undefined || x === null || !Number.isFinite(x) ? '-' : x >= 1e4 ? x.toFixed(0) : x.toFixed(d));
const TOL = 2e-3; // largest |webgrad - cpu| relative to the largest |cpu| (float32, other summation orders)
const TRAIN_TOL = 1e-2; // relative difference of the losses of three steps from the same weights

/** Work per case: flops (for GFLOP/s), bytes moved (for GB/s) or images (for images/s), from the sizes alone. */
const F = 4; // bytes per float32
function cases(device) {
  const mm = quick ? [128, 256] : device === 'cpu' ? [64, 128, 256, 1024] : [64, 128, 256, 512, 1024, 2048]; // cpu 1024: TF.js-cpu takes ~2.5 s a sample
  const ta = quick ? 128 : device === 'cpu' ? 256 : 512;
  const [bb, bs] = quick ? [4, 64] : [16, 128];
  const n = quick ? 1 << 18 : device === 'cpu' ? 1 << 20 : 1 << 22;
  const [r, c] = quick ? [256, 1024] : [1024, 1024];
  const pool = quick ? 16 : 64;
  return [
    // 2048: seconds a sample on a CPU adapter, so one sample a window, and no variant rows.
    ...mm.map((s) => ({ name: `matmul ${s}x${s}x${s}`, kernel: 'matmul', variants: s < 2048, ...(s >= 2048 ? { minSamples: 1 } : {}), shapes: [[s, s], [s, s]], flops: 2 * s ** 3, bytes: 3 * s * s * F })),
    { name: `matmul a.T@b ${ta}x${ta}x${ta}`, kernel: 'matmulTA', variants: true, shapes: [[ta, ta], [ta, ta]], flops: 2 * ta ** 3, bytes: 3 * ta * ta * F },
    { name: `matmul batched ${bb}x${bs}x${bs}x${bs}`, kernel: 'matmul', variants: true, shapes: [[bb, bs, bs], [bb, bs, bs]], flops: 2 * bb * bs ** 3, bytes: 3 * bb * bs * bs * F },
    { name: `add ${n}`, kernel: 'add', shapes: [[n], [n]], flops: n, bytes: 3 * n * F },
    { name: `exp ${n}`, kernel: 'exp', shapes: [[n]], flops: n, bytes: 2 * n * F },
    { name: `sum ${n}`, kernel: 'sum', shapes: [[n]], flops: n, bytes: n * F },
    { name: `sum rows ${r}x${c}`, kernel: 'sumRows', variants: true, shapes: [[r, c]], flops: r * c, bytes: (r * c + r) * F },
    { name: `transpose ${r}x${c}`, kernel: 'transpose', shapes: [[r, c]], flops: 0, bytes: 2 * r * c * F },
    { name: `softmax rows ${r}x${c}`, kernel: 'softmax', shapes: [[r, c]], flops: 5 * r * c, bytes: 2 * r * c * F },
    // Class-index targets (TF.js: the same rows one-hot, made before the clock starts); the mean loss.
    { name: `crossEntropy ${r}x${c}`, kernel: 'crossEntropy', shapes: [[r, c], [r]], labels: 1, classes: c, flops: 5 * r * c, bytes: (r * c + r) * F },
    // The optimizer update: one Adam step of a parameter of n floats (read p, g, m, v; write p, m, v).
    { name: `adam step ${n}`, kind: 'optim', kernel: 'adam', shapes: [[n], [n]], flops: 12 * n, bytes: 7 * n * F },
    // The convolutions of the README's demo CNN and of examples/train.mjs's second layer, a
    // mid-size one and its two backward passes; TF.js takes the same data as NHWC.
    // The cpu backend (plain JS loops) gets smaller batches. On webgpu, the train.mjs layer is
    // also run once per conv variant.
    ...conv(device === 'cpu' ? (quick ? 4 : 16) : quick ? 16 : 64, 1, 16, 28, ' (README CNN)'),
    ...conv(device === 'cpu' ? (quick ? 2 : 16) : quick ? 16 : 64, 32, 64, 14, ' (train.mjs CNN layer 2)', { variants: true }),
    ...conv(device === 'cpu' ? (quick ? 1 : 2) : 8, 16, 32, 28, '', { backward: true }), // TF.js-cpu's filter gradient takes seconds
    { name: `maxPool2d 2x2 ${pool}x64x28x28`, kernel: 'maxPool2d', shapes: [[pool, 64, 28, 28]], peerShapes: [[pool, 28, 28, 64]], flops: pool * 64 * 28 * 28, bytes: pool * 64 * 28 * 28 * 1.25 * F },
    // Per-op overhead: a chain of small dependent adds; on webgpu also the same kernel driven bare (see bareChain).
    { name: `op chain ${CHAIN_OPS} x add [64]`, kernel: 'addChain', shapes: [[64], [64]], flops: CHAIN_OPS * 64, bytes: 3 * CHAIN_OPS * 64 * F, ops: CHAIN_OPS },
    train('mlp', quick ? 32 : 128),
    train('cnn', quick ? 8 : 64),
    // examples/train.mjs's CNN: seconds a step on the cpu backend (and TF.js-cpu), so not there.
    ...(device === 'cpu' ? [] : [train('demo', quick ? 8 : 64)]),
  ].filter((k) => filter.test(k.name));
}

/** A 3x3, stride 1, padding 1 convolution of [n, cin, hw, hw] to cout channels (and, with backward, its dx and dw passes). */
function conv(n, cin, cout, hw, note = '', { backward = false, variants = false } = {}) {
  const flops = 2 * n * cout * hw * hw * cin * 9;
  const size = `${n}x${cin}x${hw}x${hw} -> ${cout}`;
  const [x, w, y] = [n * cin * hw * hw, cout * cin * 9, n * cout * hw * hw];
  const shapes = [[n, cin, hw, hw], [cout, cin, 3, 3], [n, cout, hw, hw]];
  const peerShapes = [[n, hw, hw, cin], [3, 3, cin, cout], [n, hw, hw, cout]];
  const fwd = { name: `conv2d 3x3 ${size}${note}`, kernel: 'conv2d', variants, shapes: shapes.slice(0, 2), peerShapes: peerShapes.slice(0, 2), flops, bytes: (x + w + y) * F };
  if (!backward) return [fwd];
  // Autograd: y = conv(x, w); y.backward(g). Both libraries run the forward too (TF.js: tf.grad).
  return [
    fwd,
    { name: `conv2d fwd+bwd dx ${size}`, kernel: 'conv2dBackInput', shapes, peerShapes, requiresGrad: [true, false, false], flops: 2 * flops, bytes: (2 * x + w + 2 * y) * F },
    { name: `conv2d fwd+bwd dw ${size}`, kernel: 'conv2dBackFilter', shapes, peerShapes, requiresGrad: [false, true, false], flops: 2 * flops, bytes: (x + 2 * w + 2 * y) * F },
  ];
}

/** One Adam training step (forward, cross-entropy, backward, update) of a model on a batch. */
function train(model, batch) {
  return { name: `train step ${MODELS[model].title} batch ${batch} (Adam)`, kind: 'train', model, batch, kernel: 'train' };
}

/** The variant family of each case's kernel (webgpu); its variants are the ones webgrad names (kernelVariants). */
const FAMILY = { matmul: 'matmul', matmulTA: 'matmul', conv2d: 'conv', sumRows: 'reduce' };
const variantsOf = (device, c) => (withVariants && device === 'webgpu' && c.variants && FAMILY[c.kernel] ? [FAMILY[c.kernel], kernelVariants()[FAMILY[c.kernel]].names] : null);

/** The runs per device: wasm runs every case with 1 thread and with `threads`. */
const configs = (device) => (device === 'wasm' ? [...new Set([1, threads])].map((t) => ({ label: `wasm ${t}t`, threads: t })) : [{ label: device }]);

/** Timed runs of a case on a device: webgrad, TF.js, each variant, and the bare dispatches of the op chain on webgpu. */
const runsOf = (d, c) => (withPeer ? 2 : 1) + (variantsOf(d, c)?.[1].length ?? 0) + (c.ops && d === 'webgpu' ? 1 : 0);
const total = devices.reduce((a, d) => a + configs(d).length * cases(d).reduce((n, c) => n + runsOf(d, c), 0), 0);
let done = 0;
function progress(label) {
  const width = 28;
  const filled = Math.round((done / Math.max(total, 1)) * width);
  process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${label}`.padEnd(110).slice(0, 110));
}

// ---- inputs: the same seeded values for every library and device ------------------------------
function randn(count, seed) {
  let s = seed >>> 0 || 1;
  const next = () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const a = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const u = Math.max(next(), 1e-12);
    const v = next();
    const m = Math.sqrt(-2 * Math.log(u));
    a[i] = m * Math.cos(2 * Math.PI * v);
    if (i + 1 < count) a[i + 1] = m * Math.sin(2 * Math.PI * v);
  }
  return a;
}
const numel = (s) => s.reduce((a, b) => a * b, 1);
const valuesCache = new Map();
function caseValues(c) {
  if (!valuesCache.has(c.name)) {
    if (c.kind === 'train') {
      const x = randn(numel(MODELS[c.model].input(c.batch)), 11);
      const y = Int32Array.from(randn(c.batch, 12), (v) => Math.min(9, Math.floor(Math.abs(v) * 4)));
      valuesCache.set(c.name, [x, y]);
    } else {
      valuesCache.set(c.name, c.shapes.map((s, i) => (c.labels === i
        ? Int32Array.from(randn(numel(s), 101 + i), (v) => Math.min(c.classes - 1, Math.floor(Math.abs(v) * c.classes / 3)))
        : randn(numel(s), 101 + i))));
    }
  }
  return valuesCache.get(c.name);
}

// ---- timing ------------------------------------------------------------------------------------
// The runners of a case (webgrad's, the peer's, on webgpu the bare dispatch chain) are timed in
// ROUNDS alternating windows (webgrad, peer, webgrad, peer, ...), each a ROUNDS-th of --time,
// so that a ratio compares samples from the same minutes of a noisy machine; each runner's
// statistics are over all its samples. The first window of each warms up.
const ROUNDS = iterations === 1 ? 1 : 4;

/** One window of tinybench samples of a runner ({ fn, sync, dispose }): the samples, in ms. */
async function window(runner, ms, warm, least = iterations) {
  const bench = new Bench({
    time: ms, iterations: least, retainSamples: true,
    warmupIterations: warm && iterations > 1 ? (quick || least < iterations ? 1 : 2) : 0, warmupTime: warm && iterations > 1 ? (quick ? 20 : 100) : 0,
  });
  bench.add('case', async () => {
    const y = runner.fn();
    await runner.sync();
    runner.dispose(y);
  });
  await bench.run();
  const r = bench.tasks[0].result;
  if (r.state !== 'completed') throw r.error ?? new Error(r.state);
  return r.latency.samples;
}

/** Median, median absolute deviation, mean, min, max and count of samples (ms). */
function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const med = (v) => (v.length % 2 ? v[v.length >> 1] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2);
  const median = med(s);
  return { median, mad: med(s.map((x) => Math.abs(x - median)).sort((a, b) => a - b)), mean: s.reduce((a, b) => a + b, 0) / s.length, min: s[0], max: s[s.length - 1], samples: s.length };
}

/** Times runners in alternating windows (above); a runner that throws gets { error } and is not run again. */
async function timeAlternating(runners, least = iterations) {
  const samples = runners.map(() => []);
  const errors = runners.map(() => null);
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < runners.length; i++) {
      if (errors[i]) continue;
      try {
        samples[i].push(...(await window(runners[i], timeMs / ROUNDS, r === 0, least)));
      } catch (e) {
        errors[i] = e;
      }
    }
  }
  return runners.map((_, i) => (errors[i] ? { error: errors[i] } : stats(samples[i])));
}

/** A case's runner for a library: its inputs (or model) made once; close() frees them. */
async function prepare(lib, c) {
  const values = caseValues(c);
  if (c.kind === 'train') {
    const spec = MODELS[c.model];
    const x = lib.tensor(values[0], lib.name === 'tfjs' ? spec.peerInput(c.batch) : spec.input(c.batch));
    const y = lib.tensor(values[1], [c.batch]);
    const run = await lib.train(c.model, x, y);
    return { fn: () => run.step(), sync: lib.sync, dispose: lib.dispose, close: () => { run.dispose(); lib.dispose(x); lib.dispose(y); } };
  }
  if (c.kind === 'optim') {
    const run = lib.optimizer(c, values);
    return { fn: () => run.step(), sync: lib.sync, dispose: () => {}, close: () => run.dispose() };
  }
  const inputs = lib.inputs(c, values);
  const op = lib.ops[c.kernel];
  return { fn: () => op(...inputs), sync: lib.sync, dispose: lib.dispose, close: () => { for (const t of inputs) lib.dispose(t); } };
}

/**
 * webgpu, where the device has timestamp-query: the GPU time of one call of the case (the mean
 * of GPU_CALLS, each synchronised), from the backend's GPU timer; undefined elsewhere.
 */
const GPU_CALLS = 3;
async function gpuTime(lib, c) {
  if (lib.device !== 'webgpu') return undefined;
  const backend = getBackend('webgpu');
  if (!backend.device.features.has('timestamp-query')) return undefined;
  const runner = await prepare(lib, c);
  try {
    runner.dispose(runner.fn());
    await runner.sync();
    backend.startGpuTimer();
    for (let i = 0; i < GPU_CALLS; i++) {
      runner.dispose(runner.fn());
      await runner.sync();
    }
    return (await backend.stopGpuTimer()) / GPU_CALLS;
  } finally {
    runner.close();
  }
}

/** Runs `body(runners)` with a runner per library (null where its prepare threw: errors[i]), then closes them. */
async function withRunners(libs, c, body) {
  const runners = [];
  const errors = [];
  for (const lib of libs) {
    try {
      runners.push(lib ? await prepare(lib, c) : null);
      errors.push(null);
    } catch (e) {
      runners.push(null);
      errors.push(e);
    }
  }
  try {
    return await body(runners, errors);
  } finally {
    for (const r of runners) r?.close();
  }
}

// ---- correctness: webgrad on the device against webgrad on the cpu, same inputs ----------------
let cpuLib;
const reference = new Map();
async function result(lib, c) {
  const values = caseValues(c);
  if (c.kind === 'train') {
    const spec = MODELS[c.model];
    const x = lib.tensor(values[0], spec.input(c.batch));
    const y = lib.tensor(values[1], [c.batch]);
    const run = await lib.train(c.model, x, y, 7);
    const losses = [];
    for (let i = 0; i < 3; i++) {
      const loss = run.step();
      losses.push((await lib.read(loss))[0]);
      loss.dispose();
    }
    run.dispose();
    x.dispose();
    y.dispose();
    return Float32Array.from(losses);
  }
  if (c.kind === 'optim') {
    const run = lib.optimizer(c, values);
    run.step();
    const v = await lib.read(run.param());
    run.dispose();
    return v;
  }
  const inputs = lib.inputs(c, values);
  const y = lib.ops[c.kernel](...inputs);
  const v = await lib.read(y);
  y.dispose();
  for (const t of inputs) t.dispose();
  return v;
}
/** 'ok', 'ref' (the cpu device is the reference) or 'WRONG (...)'. */
async function check(lib, c) {
  if (lib.device === 'cpu') return { check: 'ref' };
  cpuLib ??= await webgrad('cpu');
  if (!reference.has(c.name)) reference.set(c.name, await result(cpuLib, c));
  const want = reference.get(c.name);
  const got = await result(lib, c);
  if (fault?.test(c.name)) got[got.length >> 1] += 1 + Math.abs(got[got.length >> 1]);
  if (got.length !== want.length) return { check: `WRONG (${got.length} values, want ${want.length})` };
  let scale = 0;
  let err = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]));
    const d = Math.abs(got[i] - want[i]);
    err = Number.isNaN(d) ? (Number.isNaN(got[i]) && Number.isNaN(want[i]) ? err : Infinity) : Math.max(err, d);
  }
  const rel = err / Math.max(scale, 1e-30);
  const tol = c.kind === 'train' ? TRAIN_TOL : TOL;
  return rel <= tol ? { check: 'ok', err: rel } : { check: `WRONG (rel. error ${rel.toExponential(1)})`, err: rel };
}

// ---- the run -----------------------------------------------------------------------------------
const rows = [];
const adapters = {};
const notes = [];
/** Each device configuration's measured peak (bench/calibrate.mjs), by label. */
const peaks = {};
let wrong = 0;
const rowOf = (device, c, name, t, peer, peerNote, chk) => {
  const ms = t.median;
  if (ms === undefined) return { device, case: name, kind: c.kind ?? 'op', webgrad: null, peerMs: peer?.median, peerMad: peer?.mad, peer: peer ?? null, peerNote, ...chk };
  return {
    device, case: name, kind: c.kind ?? 'op', ms, mad: t.mad, webgrad: t,
    peerMs: peer?.median, peerMad: peer?.mad, peer: peer ?? null, peerNote,
    gpuMs: t.gpuMs,
    gflops: c.flops ? c.flops / ms / 1e6 : undefined,
    gbs: c.bytes ? c.bytes / ms / 1e6 : undefined,
    ofPeak: ofPeak(peaks[device], c.flops ? c.flops / ms / 1e6 : undefined, c.bytes ? c.bytes / ms / 1e6 : undefined),
    imagesPerSec: c.kind === 'train' ? c.batch / (ms / 1e3) : undefined,
    ratio: peer ? peer.median / ms : undefined,
    ...chk,
  };
};

for (const device of devices) {
  progress(`starting webgrad on ${device}`);
  let wg;
  try {
    wg = await webgrad(device);
  } catch (e) {
    notes.push(`webgrad/${device}: not measured (${e.message.split('\n')[0]})`);
    done += configs(device).length * cases(device).reduce((n, c) => n + runsOf(device, c), 0);
    continue;
  }
  let tf = null;
  if (withPeer) {
    try {
      tf = await tfjs(device, wg.adapter);
    } catch (e) {
      notes.push(`tfjs/${device}: ${e.message.split('\n')[0]}`);
    }
    if (!tf) notes.push(`tfjs/${device}: backend did not start; no peer times`);
  }
  for (const cfg of configs(device)) {
    let peer = tf;
    if (cfg.threads) {
      await wg.setThreads(cfg.threads);
      if (peer) {
        try {
          const got = await peer.setThreads(cfg.threads);
          if (got !== cfg.threads) notes.push(`tfjs/${cfg.label}: asked for ${cfg.threads} threads, TF.js-wasm runs ${got} (its pool has at most 8)`);
        } catch (e) {
          notes.push(`tfjs/${cfg.label}: TF.js-wasm did not start with ${cfg.threads} threads (${e.message.split('\n')[0]}); no peer times`);
          peer = null;
        }
      }
    }
    adapters[`webgrad/${cfg.label}`] = wg.adapter.description || wg.adapter.source;
    if (device === 'webgpu' && !getBackend('webgpu').device.features.has('timestamp-query')) {
      notes.push('GPU time (webgrad ms: "(GPU t)", from timestamp queries around each compute pass) not measured: this adapter has no timestamp-query');
    }
    progress(`calibrating ${cfg.label}`);
    try {
      peaks[cfg.label] = await calibrate(device);
      notes.push(`peak of ${cfg.label} (bench/calibrate.mjs): ${fmt(peaks[cfg.label].gflops, 1)} GFLOP/s, ${fmt(peaks[cfg.label].gbs, 1)} GB/s (${peaks[cfg.label].how})`);
    } catch (e) {
      notes.push(`peak of ${cfg.label}: not measured (${e.message.split('\n')[0]})`);
    }
    if (peer) adapters[`tfjs/${cfg.label}`] = peer.adapter.description;
    for (const c of cases(device)) {
      progress(`${c.name} webgrad/${cfg.label}${peer ? ` and tfjs/${cfg.label}` : ''}`);
      let chk;
      try {
        chk = await check(wg, c);
      } catch (e) {
        // A webgrad failure is a bug: it shows as ERROR and fails the run, after the other cases.
        chk = { check: `ERROR (${String(e?.message ?? e).split('\n')[0]})` };
      }
      const peerNote0 = peer ? peer.unsupported(c) : undefined;
      // On webgpu the op chain also runs the same kernel bare (the per-op overhead's yardstick).
      const bare = c.ops && device === 'webgpu';
      let bareRun;
      const [t, pt, peerNote, bt] = await withRunners([wg, peer && !peerNote0 ? peer : null], c, async ([wr, pr], [we, pe]) => {
        const list = [];
        if (wr && chk.check.startsWith('ERROR') === false) list.push(wr);
        if (pr) list.push(pr);
        if (bare && list.includes(wr)) {
          try {
            const [a, b] = wg.inputs(c, caseValues(c));
            bareRun = { fn: wg.bareChain(a, b), sync: wg.sync, dispose: () => {}, close: () => { for (const x of [a, b]) x.dispose(); } };
            list.push(bareRun);
          } catch (e) {
            notes.push(`bare dispatch chain: not measured (${e.message.split('\n')[0]})`);
          }
        }
        try {
          const got = await timeAlternating(list, Math.min(iterations, c.minSamples ?? iterations));
          const of = (r) => (r && list.includes(r) ? got[list.indexOf(r)] : undefined);
          let wt = of(wr) ?? {};
          if (we || wt.error) {
            if (!chk.check.startsWith('ERROR')) chk = { check: `ERROR (${String((we ?? wt.error)?.message ?? we ?? wt.error).split('\n')[0]})` };
            wt = {};
          }
          const ptime = of(pr);
          const note = peerNote0 ?? (pe ? `failed: ${pe.message.split('\n')[0]}` : ptime?.error ? `failed: ${ptime.error.message.split('\n')[0]}` : undefined);
          const btime = of(bareRun);
          if (btime?.error) notes.push(`bare dispatch chain: not measured (${btime.error.message.split('\n')[0]})`);
          return [wt, ptime && !ptime.error ? ptime : undefined, note, btime && !btime.error ? btime : {}];
        } finally {
          bareRun?.close();
        }
      });
      if (chk.check !== 'ok' && chk.check !== 'ref') wrong++;
      if (t.median !== undefined && !chk.check.startsWith('ERROR')) {
        try {
          t.gpuMs = await gpuTime(wg, c);
        } catch (e) {
          notes.push(`GPU time of ${c.name}: not measured (${e.message.split('\n')[0]})`);
        }
      }
      done++;
      if (peer || withPeer) done++;
      const chosen = FAMILY[c.kernel] && device === 'webgpu' ? ` (plan: ${wg.lastVariant(FAMILY[c.kernel])})` : '';
      rows.push(rowOf(cfg.label, c, c.name + chosen, t, pt, peerNote, chk));
      if (bare) {
        done++;
        if (bt.median !== undefined) {
          rows.push(rowOf(cfg.label, c, `${c.name}: the same kernel, ${CHAIN_OPS} bare dispatches in one pass`, bt, undefined, undefined, { check: 'n/a (yardstick)' }));
          notes.push(`per-op overhead on ${cfg.label}: webgrad ${(1e3 * t.median / c.ops).toFixed(1)} µs/op in a chain of ${c.ops} adds, a bare dispatch of the same kernel ${(1e3 * bt.median / c.ops).toFixed(1)} µs: ${(t.median / bt.median).toFixed(2)}x` +
            (pt?.median !== undefined ? `; TF.js ${(1e3 * pt.median / c.ops).toFixed(1)} µs/op` : ''));
        }
      }
      const variants = variantsOf(device, c);
      if (variants) {
        const [family, names] = variants;
        for (const name of names) {
          progress(`${c.name} [${name}] webgrad/${cfg.label}`);
          wg.setVariant(family, name);
          let vt;
          let vchk;
          try {
            vchk = await check(wg, c);
            vt = await withRunners([wg], c, async ([vr], [ve]) => {
              if (ve) throw ve;
              const [r] = await timeAlternating([vr]);
              if (r.error) throw r.error;
              return r;
            });
          } catch (e) {
            vchk = { check: `ERROR (${String(e?.message ?? e).split('\n')[0]})` };
            vt = {};
          } finally {
            wg.setVariant(family, null);
          }
          if (vchk.check !== 'ok') wrong++;
          done++;
          rows.push(rowOf(cfg.label, c, `${c.name} [${name}]`, vt, pt, peerNote, vchk));
        }
      }
    }
  }
}
progress('done');
process.stderr.write('\n');

// ---- PyTorch (optional): where a python can import torch ------------------------------------
// The same matmul and training steps as webgrad's rows, in PyTorch on the same cores, once per
// thread count the wasm rows ran with (BLAS and OpenMP pools held to it through the environment:
// torch.set_num_threads alone leaves OpenBLAS's own pool at all the cores). The python is
// $WEBGRAD_PYTHON, else the first of python3, /usr/bin/python3 that imports torch (Debian:
// apt-get install python3-torch libopenblas0-pthread).
let torch = null;
if (withTorch) torch = measureTorch();
function torchPython() {
  const candidates = process.env.WEBGRAD_PYTHON ? [process.env.WEBGRAD_PYTHON] : ['python3', '/usr/bin/python3'];
  for (const py of candidates) {
    try {
      execFileSync(py, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
      return py;
    } catch {
      // the next candidate
    }
  }
  return null;
}
function measureTorch() {
  // The cases PyTorch runs: the webgrad rows of the same names that ran (any device).
  const ran = new Set(rows.map((r) => r.case));
  const wanted = {
    mm: [...ran].map((n) => /^matmul (\d+)x\1x\1$/.exec(n)).filter(Boolean).map((m) => Number(m[1])),
    train: ['mlp', 'cnn', 'demo'].map((model) => [model, quick ? (model === 'mlp' ? 32 : 8) : (model === 'mlp' ? 128 : 64)]).filter(([model, b]) => ran.has(train(model, b).name)),
  };
  if (!wanted.mm.length && !wanted.train.length) return null;
  const py = torchPython();
  if (!py) {
    notes.push(`PyTorch: not measured (${process.env.WEBGRAD_PYTHON ?? 'python3 and /usr/bin/python3'} cannot import torch here)`);
    return null;
  }
  const n = iterations;
  const script = `
import json, sys, time, torch
cfg = json.loads(sys.argv[1])
torch.set_num_threads(cfg["threads"]); torch.manual_seed(0)
def med(f, n):
    # as webgrad's rows: warm-up, then samples for cfg["ms"] milliseconds and at least n of them
    for _ in range(3): f()
    ts = []; end = time.perf_counter() + cfg["ms"] / 1e3
    while len(ts) < n or time.perf_counter() < end:
        t = time.perf_counter(); f(); ts.append((time.perf_counter() - t) * 1e3)
    ts.sort(); return ts[len(ts) // 2]
out = {"version": torch.__version__, "threads": torch.get_num_threads(), "cases": []}
for s in cfg["mm"]:
    a = torch.randn(s, s); b = torch.randn(s, s)
    out["cases"].append({"kind": "mm", "size": s, "ms": med(lambda: a @ b, cfg["n"])})
for model, batch in cfg["train"]:
    if model == "mlp":
        m = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10)); x = torch.randn(batch, 784)
    elif model == "demo":
        m = torch.nn.Sequential(torch.nn.Conv2d(1, 32, 3, padding=1), torch.nn.BatchNorm2d(32), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(32, 64, 3, padding=1), torch.nn.BatchNorm2d(64), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Flatten(), torch.nn.Linear(64 * 7 * 7, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10)); x = torch.randn(batch, 1, 28, 28)
    else:
        m = torch.nn.Sequential(torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(16 * 14 * 14, 10)); x = torch.randn(batch, 1, 28, 28)
    y = torch.randint(0, 10, (batch,)); opt = torch.optim.Adam(m.parameters(), lr=1e-3); lossf = torch.nn.CrossEntropyLoss()
    def step():
        opt.zero_grad(); l = lossf(m(x), y); l.backward(); opt.step()
    out["cases"].append({"kind": "train", "model": model, "batch": batch, "ms": med(step, cfg["n"])})
print(json.dumps(out))
`;
  const counts = [...new Set([1, threads])];
  const runs = [];
  for (const t of counts) {
    const env = { ...process.env, OMP_NUM_THREADS: String(t), OPENBLAS_NUM_THREADS: String(t), MKL_NUM_THREADS: String(t) };
    try {
      const r = JSON.parse(execFileSync(py, ['-c', script, JSON.stringify({ threads: t, n, ms: timeMs, ...wanted })], { encoding: 'utf8', timeout: 600_000, env }).trim().split('\n').at(-1));
      runs.push(r);
      const parts = r.cases.map((c) => (c.kind === 'mm'
        ? `matmul ${c.size}: ${c.ms.toFixed(2)} ms (${(2 * c.size ** 3 / c.ms / 1e6).toFixed(1)} GFLOP/s)`
        : `${train(c.model, c.batch).name}: ${c.ms.toFixed(2)} ms (${(c.batch / (c.ms / 1e3)).toFixed(0)} images/s)`));
      notes.push(`PyTorch ${r.version} (${py}, cpu, ${r.threads} thread${r.threads === 1 ? '' : 's'}): ${parts.join('; ')}`);
    } catch (e) {
      notes.push(`PyTorch with ${t} threads: not measured (the torch script failed: ${e.message.split('\n')[0]})`);
    }
  }
  // webgrad's rows of the same cases against PyTorch with as many threads (wasm kt: k; the other
  // devices: all of them, which is what they use).
  const vs = [];
  for (const r of rows) {
    if (r.ms === undefined) continue;
    const t = /^wasm (\d+)t$/.exec(r.device) ? Number(/^wasm (\d+)t$/.exec(r.device)[1]) : threads;
    const run = runs.find((x) => x.threads === t);
    const c = run?.cases.find((x) => (x.kind === 'mm' ? r.case === `matmul ${x.size}x${x.size}x${x.size}` : r.case === train(x.model, x.batch).name));
    if (c) vs.push({ device: r.device, case: r.case, threads: t, webgradMs: r.ms, torchMs: c.ms, ratio: c.ms / r.ms });
  }
  return { python: py, runs, vs };
}

// ---- report ------------------------------------------------------------------------------------
const pm = (m, s) => (m === undefined ? '-' : `${fmt(m)} ± ${fmt(s)}`);
const peakCell = (p) => (p ? `${(100 * p.frac).toFixed(p.frac < 0.1 ? 1 : 0)}% ${p.bound}` : '-');
const lines = [
  `| device | case | webgrad ms | GFLOP/s | GB/s | of peak | images/s | tfjs ms | ratio (tfjs/webgrad) | check |`,
  `|---|---|---:|---:|---:|---:|---:|---:|---:|---|`,
  ...rows.map((r) => `| ${r.device} | ${r.case} | ${pm(r.ms, r.mad)}${r.gpuMs !== undefined ? ` (GPU ${fmt(r.gpuMs)})` : ''} | ${fmt(r.gflops)} | ${fmt(r.gbs)} | ${peakCell(r.ofPeak)} | ${fmt(r.imagesPerSec, 1)} | ${r.peerNote ? `n/a: ${r.peerNote}` : pm(r.peerMs, r.peerMad)} | ${fmt(r.ratio)} | ${r.check} |`),
];
const cpu = os.cpus();
const machine = {
  date: new Date().toISOString(),
  cpu: cpu[0]?.model?.trim() ?? 'unknown',
  cores: cpu.length,
  memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
  platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  node: process.version,
  quick,
  timeMs,
  iterations,
  threads,
};
if (devices.includes('wasm') && withPeer) {
  notes.push('TF.js-wasm threads in Node: its threaded SIMD build runs once bench/peers.mjs works around its Node check (tensorflow/tfjs#3830) and its blob: worker URLs; its pool holds at most 8 threads');
}
// Geometric mean of the ratios per device (the plain rows: variants left out), where a peer ran.
const summary = [...new Set(rows.map((r) => r.device))].map((device) => {
  const rs = rows.filter((r) => r.device === device && r.ratio && !/\[[^\]]+\]$/.test(r.case));
  const geo = rs.length ? Math.exp(rs.reduce((a, r) => a + Math.log(r.ratio), 0) / rs.length) : undefined;
  return { device, cases: rs.length, geomeanRatio: geo };
});
const header = [
  `webgrad benchmark, ${machine.date}, node ${machine.node}${quick ? ', --quick' : ''}`,
  `- machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.platform}`,
  ...Object.entries(adapters).map(([k, v]) => `- ${k}: ${v}`),
  ...notes.map((n) => `- ${n}`),
  `- times: median ± median absolute deviation of the samples (${timeMs} ms per case); ratio above 1: webgrad is faster; check: webgrad's result against the cpu backend (ref: the cpu backend itself)`,
  '',
];
function torchLines() {
  if (!torch?.vs.length) return [];
  return [
    '## Against PyTorch',
    '',
    'The same cases in PyTorch on the same machine (CPU), run after webgrad in the same bench run, with as many threads as the webgrad row (webgpu and cpu rows: all the cores). Ratio = PyTorch time / webgrad time: above 1, webgrad is faster.',
    '',
    '| device | case | threads | webgrad ms | PyTorch ms | ratio (torch/webgrad) |',
    '|---|---|---:|---:|---:|---:|',
    ...torch.vs.map((v) => `| ${v.device} | ${v.case} | ${v.threads} | ${fmt(v.webgradMs)} | ${fmt(v.torchMs)} | ${fmt(v.ratio)} |`),
    '',
  ];
}
const report = [...header, ...lines, '', ...torchLines()].join('\n');
console.log(report);
if (out) {
  const md = [
    '# webgrad benchmark results',
    '',
    `Written by \`node bench/run.mjs${args.length ? ' ' + args.join(' ') : ''}\` on ${machine.date}.`,
    '',
    '## Machine',
    '',
    `- CPU: ${machine.cpu}, ${machine.cores} logical cores, ${machine.memoryGiB} GiB memory`,
    `- OS: ${machine.platform}; Node ${machine.node}`,
    ...Object.entries(adapters).map(([k, v]) => `- ${k}: ${v}`),
    '',
    '## Notes',
    '',
    ...notes.map((n) => `- ${n}`),
    `- Times are the median ± the median absolute deviation of the samples (${timeMs} ms of samples per case and library, at least ${iterations} in each of ${ROUNDS} windows that alternate between webgrad and TF.js (and, for the op chain, the bare dispatches), so the two are sampled in the same minutes; matmul 2048 takes at least 1 a window).`,
    '- Ratio = TF.js time / webgrad time, measured in the same run: above 1, webgrad is faster.',
    '- check: webgrad\'s result on the device against the cpu backend on the same inputs (losses of three steps for training rows); ref: the cpu backend itself.',
    '- conv2d fwd+bwd rows time y = conv2d(x, w); y.backward(g) in webgrad and tf.grad of conv2d in TF.js (forward and that backward pass in both).',
    '- webgrad ms "(GPU t)": where the adapter has timestamp-query, the time the call\'s compute passes took on the GPU (WebGPUBackend.startGpuTimer; the mean of 3 calls), beside the wall time.',
    '- of peak: the row\'s GFLOP/s over the device\'s measured arithmetic peak (F) or its GB/s over the measured copy bandwidth (B), whichever is larger (bench/calibrate.mjs; the peaks are in the notes above). GB/s counts each operand once, so a kernel that reads an operand more than once, or keeps it in cache, can show more than the bandwidth allows.',
    '',
    '## Summary',
    '',
    '| device | cases with a TF.js time | geometric mean of ratio (tfjs/webgrad) |',
    '|---|---:|---:|',
    ...summary.map((s) => `| ${s.device} | ${s.cases} | ${fmt(s.geomeanRatio)} |`),
    '',
    '## Results',
    '',
    ...lines,
    '',
    ...torchLines(),
  ].join('\n');
  writeFileSync(out, md);
}
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ machine, adapters, peaks, notes, torch, summary, rows }, null, 2) + '\n');
if (wrong) {
  console.error(`bench: ${wrong} WRONG result${wrong === 1 ? '' : 's'} (webgrad against the cpu backend, or a webgrad error)`);
  process.exit(1);
}
process.exit(0);
