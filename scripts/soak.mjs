#!/usr/bin/env node
/**
 * Memory soak: loops that never call dispose() nor tidy(), sampling memory() as they go.
 *
 *   node scripts/soak.mjs [--workload mlp|tensors] [--device webgpu|cpu] [--steps N]
 *                         [--read-every K] [--budget-mb M] [--size N] [--no-force] [--ballast F]
 *                         [--json] [--svg FILE]
 *
 * mlp:     an MLP (64-128-10, batch 32, Adam) trained for N steps; the loss is read every K steps.
 * tensors: x = randn([size]); y = x.mul(2); (await y.sum().item() every K steps); --size defaults
 *          to 1 << 20 (4 MiB tensors, 8 MiB a step).
 *
 * Prints a progress bar, then a summary (with --json, one JSON object on the last line):
 * peak and final live bytes, pooled bytes, RSS, forced collections, and the sampled curve.
 * --svg writes the curve as a chart. Runs on dist/ (npm run build first).
 */
import * as wg from '../dist/webgrad.node.js';
import { curveSvg } from './soak-plot.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const known = ['workload', 'device', 'steps', 'read-every', 'budget-mb', 'size', 'no-force', 'ballast', 'json', 'svg', 'samples'];
for (const a of args) {
  if (a.startsWith('--') && !known.includes(a.slice(2))) {
    console.error(`soak: unknown flag ${a} (known: ${known.map((k) => `--${k}`).join(', ')})`);
    process.exit(2);
  }
}
const workload = opt('workload', 'mlp');
const device = opt('device', 'webgpu');
const steps = Number(opt('steps', '10000'));
const readEvery = Number(opt('read-every', '1'));
const budgetMb = opt('budget-mb', undefined);
const json = args.includes('--json');
const svgPath = opt('svg', undefined);
const nSamples = Number(opt('samples', '50'));
const size = Number(opt('size', String(1 << 20)));
if (!['mlp', 'tensors'].includes(workload)) throw new Error(`soak: --workload must be mlp or tensors, got ${workload}`);
if (!(steps > 0 && readEvery > 0)) throw new Error('soak: --steps and --read-every must be positive');

await wg.init({ backend: device });
if (budgetMb !== undefined) wg.configureMemory({ collectEveryBytes: Number(budgetMb) * 2 ** 20 });
// --no-force: what a browser gets (no forced collection); --ballast F: host ballast per GPU byte.
if (args.includes('--no-force')) wg.configureMemory({ forceCollection: false });
if (opt('ballast', undefined) !== undefined) wg.configureMemory({ ballastFraction: Number(opt('ballast', '0')) });
wg.manualSeed(1);

let step;
let paramBytes = 0;
if (workload === 'mlp') {
  const { nn, optim } = wg;
  const model = new nn.Sequential(new nn.Linear(64, 128), new nn.ReLU(), new nn.Linear(128, 10));
  await model.to(device);
  paramBytes = model.parameters().reduce((a, p) => a + p.size * 4, 0) * 4; // weights, grads, Adam's two moments
  const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
  const x = wg.randn([32, 64], { device });
  const y = wg.randint(0, 10, [32], { device });
  step = async (i) => {
    opt.zeroGrad();
    const loss = nn.functional.crossEntropy(model.forward(x), y);
    loss.backward();
    opt.step();
    if ((i + 1) % readEvery === 0) return loss.item();
    return undefined;
  };
} else {
  step = async (i) => {
    const x = wg.randn([size], { device });
    const y = x.mul(2);
    if ((i + 1) % readEvery === 0) return y.sum().item();
    return undefined;
  };
}

const samples = [];
const every = Math.max(1, Math.floor(steps / nSamples));
const sample = (i) => {
  const m = wg.memory();
  const d = m.devices[device];
  samples.push({ step: i, liveBytes: d.bytes, liveTensors: d.tensors, pooledBytes: d.pooledBytes, rss: process.memoryUsage().rss });
};
let peakLive = 0;
const bar = new wg.train.ProgressBar(steps, `soak ${workload} on ${device}`, { unit: 'step' });
const t0 = performance.now();
sample(0);
let last;
for (let i = 0; i < steps; i++) {
  const v = await step(i);
  if (v !== undefined) last = v;
  peakLive = Math.max(peakLive, wg.memory().devices[device].bytes);
  if ((i + 1) % every === 0) sample(i + 1);
  bar.tick(1, last !== undefined ? { loss: last } : {});
}
bar.finish(last !== undefined ? { loss: last } : {});
const seconds = (performance.now() - t0) / 1000;
const end = wg.memory();
const summary = {
  workload, device, steps, readEvery, seconds: Number(seconds.toFixed(1)),
  exposeGc: typeof globalThis.gc === 'function',
  budgetBytes: wg.configureMemory().collectEveryBytes,
  forced: wg.configureMemory().forceCollection,
  ballastFraction: wg.configureMemory().ballastFraction,
  paramBytes,
  peakLiveBytes: peakLive,
  finalLiveBytes: end.devices[device].bytes,
  finalPooledBytes: end.devices[device].pooledBytes,
  peakRss: Math.max(...samples.map((s) => s.rss)),
  collections: end.collector.collections,
  lastLoss: last,
  samples,
};

if (svgPath) {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(svgPath, curveSvg(summary));
}
if (json) console.log(JSON.stringify(summary));
else {
  const mb = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  console.log(`${steps} steps in ${summary.seconds} s; live peak ${mb(summary.peakLiveBytes)}, final ${mb(summary.finalLiveBytes)}; ` +
    `pooled ${mb(summary.finalPooledBytes)}; RSS peak ${mb(summary.peakRss)}; ${summary.collections} forced collections`);
}
