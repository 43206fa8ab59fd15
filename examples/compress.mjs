#!/usr/bin/env node
// Model compression on a trained Fashion-MNIST MLP: magnitude pruning at several sparsities
// (test accuracy before and after a short fine-tune) and post-training int8 weight
// quantization with per-channel scales (accuracy and file size before and after), saved as
// safetensors and loaded back into a float model. Also writes a grid of test images as PNG.
//
//   node examples/compress.mjs [--epochs N] [--finetune-epochs N] [--sparsities 0.5,0.8,0.9,0.95]
//                              [--train-limit N] [--test-limit N] [--batch-size N] [--lr X]
//                              [--backend webgpu|wasm|cpu] [--data DIR] [--out DIR] [--seed N]
//
// The default run is short (a few epochs on up to 10,000 images); see docs/examples.md, section 8.
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as wg from 'webgrad';

const args = process.argv.slice(2);
// Every argument is known: a misspelt flag is an error, not a silently ignored setting.
const VALUE_FLAGS = ['--backend', '--batch-size', '--data', '--epochs', '--finetune-epochs', '--lr', '--out', '--seed', '--sparsities', '--test-limit', '--train-limit'];
const SWITCHES = [];
for (let i = 0; i < args.length; i++) {
  if (SWITCHES.includes(args[i])) continue;
  if (!VALUE_FLAGS.includes(args[i])) throw new Error(`compress: unknown argument ${args[i]} (accepted: ${[...VALUE_FLAGS, ...SWITCHES].join(', ')})`);
  if (i + 1 >= args.length) throw new Error(`compress: ${args[i]} needs a value`);
  i++;
}
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const num = (name, dflt, min = 1) => {
  const v = Number(opt(name, dflt));
  if (!Number.isFinite(v) || v < min) throw new Error(`compress: ${name} must be a number >= ${min}, got ${opt(name, dflt)}`);
  return v;
};
const epochs = num('--epochs', 3);
const finetuneEpochs = num('--finetune-epochs', 1, 0);
const batchSize = num('--batch-size', 64);
const lr = num('--lr', 1e-3, 0);
const trainLimit = num('--train-limit', 10000);
const testLimit = num('--test-limit', 2000);
const seed = num('--seed', 1, 0);
const outDir = opt('--out', 'out');
const sparsities = opt('--sparsities', '0.5,0.8,0.9,0.95').split(',').map(Number);
if (!sparsities.every((s) => s > 0 && s < 1)) throw new Error(`compress: --sparsities must be fractions in (0, 1), got ${opt('--sparsities')}`);

// ---- backend and data (as examples/train.mjs) -------------------------------------------------
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

let root = opt('--data', undefined);
let train;
try {
  train = await wg.data.fashionMnist({ split: 'train', root, limit: trainLimit });
} catch (e) {
  if (root) throw e;
  root = new URL('../data/fashion-mnist-subset', import.meta.url).pathname;
  console.log(`NOTICE: ${e.message.split('. ')[0]}.\nUsing the 2,000-image subset in ${root}.`);
  train = await wg.data.fashionMnist({ split: 'train', root, limit: trainLimit });
}
const test = await wg.data.fashionMnist({ split: 'test', root, limit: testLimit });
console.log(`data: ${train.length} training and ${test.length} test images of Fashion-MNIST`);
const trainLoader = new wg.data.DataLoader(train, { batchSize, shuffle: true, seed });
const testLoader = new wg.data.DataLoader(test, { batchSize: 256 });

// ---- train the float model ----------------------------------------------------------------
const { nn } = wg;
const makeModel = () => new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 128), new nn.ReLU(), new nn.Linear(128, 10));
const loss = new nn.CrossEntropyLoss();
const fitQuietly = (model, n) => wg.train.fit({ model, loss, optimizer: new wg.optim.Adam(model.parameters(), { lr }), epochs: n, train: trainLoader, progress: false });
const accuracy = async (model) => (await wg.train.evaluate(model, testLoader, loss)).accuracy;
const pct = (a) => `${(100 * a).toFixed(2)}%`;

const model = makeModel();
const t0 = performance.now();
await fitQuietly(model, epochs);
const floatAcc = await accuracy(model);
console.log(`trained ${epochs} epoch(s) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

mkdirSync(outDir, { recursive: true });
const floatPath = join(outDir, 'compress-float32.safetensors');
await wg.io.saveSafetensors(model.stateDict(), floatPath);
const floatBytes = statSync(floatPath).size;
console.log(`float32 model: test accuracy ${pct(floatAcc)}, file ${floatBytes} bytes (${floatPath})`);

// ---- magnitude pruning ----------------------------------------------------------------------
// A copy of the trained model per sparsity; the weights of the three Linear layers are pruned
// together by magnitude (global L1), so a layer of small weights gives up more.
const copyOf = (m) => {
  const c = makeModel();
  c.loadStateDict(m.stateDict());
  return c;
};
const linears = (m) => m.modules().filter((x) => x instanceof nn.Linear);
console.log('\nmagnitude pruning (global, Linear weights):\n');
console.log(`| sparsity | test accuracy | after ${finetuneEpochs}-epoch fine-tune |`);
console.log('|---|---|---|');
console.log(`| 0% | ${pct(floatAcc)} | - |`);
for (const s of sparsities) {
  const m = copyOf(model);
  await wg.compress.prune.globalUnstructured(linears(m).map((l) => [l, 'weight']), { amount: s });
  const zeros = (await Promise.all(linears(m).map(async (l) => (await wg.compress.prune.sparsity(l.weight)) * l.weight.size))).reduce((a, b) => a + b, 0);
  const total = linears(m).reduce((a, l) => a + l.weight.size, 0);
  const pruned = await accuracy(m);
  let tuned = '-';
  if (finetuneEpochs > 0) {
    // The masks stay on while fine-tuning: weight = weight_orig * weight_mask, and the pruned entries get no gradient.
    await fitQuietly(m, finetuneEpochs);
    tuned = pct(await accuracy(m));
  }
  console.log(`| ${(100 * zeros / total).toFixed(1)}% | ${pct(pruned)} | ${tuned} |`);
}

// ---- int8 per-channel quantization ------------------------------------------------------------
const qPath = join(outDir, 'compress-int8.safetensors');
await wg.compress.saveQuantized(model, qPath, { dtype: 'int8', axis: 0 });
const qBytes = statSync(qPath).size;
const reloaded = makeModel();
reloaded.loadStateDict(await wg.compress.loadQuantized(qPath));
const qAcc = await accuracy(reloaded);
console.log(`\nint8 per-channel model: test accuracy ${pct(qAcc)} (${(100 * (qAcc - floatAcc)).toFixed(2)} points from float32), ` +
  `file ${qBytes} bytes, ${(floatBytes / qBytes).toFixed(2)}x smaller (${qPath}, loaded back into a float model)`);

// ---- a grid of test images ----------------------------------------------------------------
const images = [];
for (let i = 0; i < Math.min(32, test.length); i++) images.push(test.get(i)[0].reshape([1, 28, 28]));
const pngPath = join(outDir, 'compress-test-images.png');
await wg.io.savePNG(pngPath, wg.io.imageGrid(images, { nrow: 8, padding: 2, normalize: true }));
console.log(`image grid: ${pngPath}`);
