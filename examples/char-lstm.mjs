#!/usr/bin/env node
// A character-level LSTM language model on 100 kB of Shakespeare (examples/data/shakespeare.txt,
// public domain). Embedding -> LSTM -> Linear, trained with Adam on random windows of the text
// (truncated backpropagation through time), evaluated on the last 10% of the text (held-out
// cross-entropy and perplexity, against the uniform model's log(vocabulary)), then samples text.
//
//   node examples/char-lstm.mjs [--steps N] [--seq-len N] [--batch-size N] [--hidden N]
//                               [--layers N] [--lr X] [--sample N] [--temperature X]
//                               [--backend webgpu|wasm|cpu] [--seed N] [--out DIR]
//
// The default run (300 steps) takes a few minutes on a CPU-only machine; --steps 3000 writes
// recognisable words and line structure. docs/examples.md has the measured results.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as wg from 'webgrad';

const args = process.argv.slice(2);
const known = ['--steps', '--seq-len', '--batch-size', '--hidden', '--layers', '--lr', '--sample', '--temperature', '--backend', '--seed', '--out', '--eval-windows'];
for (let i = 0; i < args.length; i += 2) {
  if (!known.includes(args[i])) throw new Error(`char-lstm: unknown argument ${args[i]} (expected one of ${known.join(', ')})`);
}
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const num = (name, dflt, { int = true, min = 1 } = {}) => {
  const v = Number(opt(name, dflt));
  if (!Number.isFinite(v) || v < min || (int && !Number.isInteger(v))) {
    throw new Error(`char-lstm: ${name} must be ${int ? 'an integer' : 'a number'} >= ${min}, got ${opt(name, dflt)}`);
  }
  return v;
};
const steps = num('--steps', 300);
const seqLen = num('--seq-len', 48);
const batchSize = num('--batch-size', 32);
const hidden = num('--hidden', 64);
const layers = num('--layers', 1);
const lr = num('--lr', 3e-3, { int: false, min: 0 });
const sampleLen = num('--sample', 300, { min: 0 });
const temperature = num('--temperature', 0.8, { int: false, min: 0.01 });
const evalWindows = num('--eval-windows', 64);
const seed = num('--seed', 1, { min: 0 });
const outDir = opt('--out', 'out');

// ---- backend -------------------------------------------------------------------------------
const backend = opt('--backend', 'webgpu');
try {
  await wg.init({ backend });
} catch (e) {
  if (backend !== 'webgpu') throw e;
  console.log(`NOTICE: no WebGPU adapter (${e.message.split('.')[0]}); using the cpu backend instead.`);
  await wg.init({ backend: 'cpu' });
}
console.log(`device: ${wg.backendInfo().defaultDevice}`);
wg.manualSeed(seed);

// ---- data: characters to indices -------------------------------------------------------------
const text = readFileSync(new URL('./data/shakespeare.txt', import.meta.url), 'utf8');
const vocab = [...new Set(text)].sort();
const index = new Map(vocab.map((c, i) => [c, i]));
const codes = Int32Array.from(text, (c) => index.get(c));
const split = Math.floor(codes.length * 0.9);
const trainCodes = codes.subarray(0, split);
const testCodes = codes.subarray(split);
console.log(`text: ${codes.length} characters, vocabulary ${vocab.length}; ${trainCodes.length} for training, ${testCodes.length} held out`);

// A deterministic stream of window starts (the engine's generator seeds the model; this one the data).
let state = seed * 2654435761 >>> 0 || 1;
const nextInt = (n) => {
  state ^= state << 13; state >>>= 0; state ^= state >>> 17; state ^= state << 5; state >>>= 0;
  return state % n;
};
/** Inputs [B, T] and next-character targets [B, T] from windows of `src` starting at `starts`. */
function batch(src, starts) {
  const x = new Int32Array(starts.length * seqLen);
  const y = new Int32Array(starts.length * seqLen);
  starts.forEach((s, b) => {
    x.set(src.subarray(s, s + seqLen), b * seqLen);
    y.set(src.subarray(s + 1, s + seqLen + 1), b * seqLen);
  });
  return [wg.tensor(x, { shape: [starts.length, seqLen], dtype: 'int32' }), wg.tensor(y, { shape: [starts.length, seqLen], dtype: 'int32' })];
}

// ---- model ---------------------------------------------------------------------------------
const { nn, F } = wg;
class CharLSTM extends nn.Module {
  constructor() {
    super();
    this.embed = new nn.Embedding(vocab.length, 32);
    this.lstm = new nn.LSTM(32, hidden, { numLayers: layers, batchFirst: true });
    this.head = new nn.Linear(hidden, vocab.length);
  }
  /** tokens [B, T] -> logits [B, T, V], and the final [h, c]. */
  forward(tokens, stateIn) {
    const [out, stateOut] = this.lstm.forward(this.embed.forward(tokens), stateIn);
    return [this.head.forward(out), stateOut];
  }
}
const model = new CharLSTM();
const nParams = model.parameters().reduce((n, p) => n + p.size, 0);
console.log(`model: Embedding(${vocab.length}, 32) -> LSTM(32, ${hidden}, ${layers} layer(s)) -> Linear(${hidden}, ${vocab.length}); ${nParams} parameters`);
const optimizer = new wg.optim.Adam(model.parameters(), { lr });
const lossOf = (logits, target) => F.crossEntropy(logits.reshape([-1, vocab.length]), target.reshape([-1]));

async function heldOutLoss() {
  model.eval();
  let sum = 0;
  await wg.noGrad(async () => {
    for (let w = 0; w < evalWindows; w += batchSize) {
      const n = Math.min(batchSize, evalWindows - w);
      const span = testCodes.length - seqLen - 1;
      const starts = Array.from({ length: n }, (_, i) => Math.floor(((w + i) * span) / evalWindows));
      const [x, y] = batch(testCodes, starts);
      sum += (await lossOf(model.forward(x)[0], y).item()) * n;
    }
  });
  model.train();
  return sum / evalWindows;
}

// ---- train ---------------------------------------------------------------------------------
const uniform = Math.log(vocab.length);
const before = await heldOutLoss();
console.log(`held-out loss before training: ${before.toFixed(4)} (uniform model: ${uniform.toFixed(4)})`);
const t0 = performance.now();
const bar = new wg.train.ProgressBar(steps, 'train', { unit: 'step' });
let smooth = NaN;
for (let s = 0; s < steps; s++) {
  const starts = Array.from({ length: batchSize }, () => nextInt(trainCodes.length - seqLen - 1));
  const [x, y] = batch(trainCodes, starts);
  optimizer.zeroGrad();
  const loss = lossOf(model.forward(x)[0], y);
  loss.backward();
  wg.optim.clipGradNorm(model.parameters(), 1);
  optimizer.step();
  const v = await loss.item();
  smooth = Number.isNaN(smooth) ? v : 0.9 * smooth + 0.1 * v;
  bar.tick(1, { loss: smooth });
}
bar.finish({ loss: smooth });
const seconds = (performance.now() - t0) / 1000;
const after = await heldOutLoss();
console.log(`held-out loss after ${steps} steps: ${after.toFixed(4)}, perplexity ${Math.exp(after).toFixed(2)} ` +
  `(before: ${Math.exp(before).toFixed(2)}; uniform: ${vocab.length}); ${seconds.toFixed(1)} s, ${(steps / seconds).toFixed(2)} steps/s`);

// ---- sample --------------------------------------------------------------------------------
if (sampleLen > 0) {
  model.eval();
  let out = 'First Citizen:\n';
  await wg.noGrad(async () => {
    const prime = Int32Array.from(out, (c) => index.get(c));
    let [logits, st] = model.forward(wg.tensor(prime, { shape: [1, prime.length], dtype: 'int32' }));
    for (let i = 0; i < sampleLen; i++) {
      const last = logits.select(1, -1).div(temperature);
      const next = await wg.multinomial(F.softmax(last, -1), 1).item();
      out += vocab[next];
      [logits, st] = model.forward(wg.tensor([[next]], 'int32'), st);
    }
  });
  console.log(`\nsample (temperature ${temperature}):\n${out}\n`);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'char-lstm-sample.txt'), out);
}
