#!/usr/bin/env node
// Example 4: a small Transformer character-level language model on examples/data/shakespeare.txt.
// Token embedding plus a learned positional embedding, a pre-norm nn.TransformerEncoder run
// with a causal mask (each position sees only the characters before it), a linear head over the
// vocabulary. Reports the training loss, the loss and perplexity on held-out text (the last 10%
// of the file, never trained on) against the uniform model's log(vocab), and samples some text.
//
//   node examples/transformer-lm.mjs [--steps N] [--batch-size N] [--context N] [--d-model N]
//                                    [--heads N] [--layers N] [--ff N] [--dropout X] [--lr X]
//                                    [--eval-batches N] [--sample N] [--backend webgpu|wasm|cpu]
//                                    [--seed N]
//
// The default run is short (a few minutes on a CPU-only machine); --steps 2000 or more learns
// words and line structure.
import { readFileSync } from 'node:fs';
import * as wg from 'webgrad';

const { nn, F } = wg;
const args = process.argv.slice(2);
const known = ['--steps', '--batch-size', '--context', '--d-model', '--heads', '--layers', '--ff', '--dropout', '--lr', '--eval-batches', '--sample', '--backend', '--seed', '--data'];
for (let i = 0; i < args.length; i += 2) {
  if (!known.includes(args[i])) throw new Error(`transformer-lm: unknown argument ${args[i]} (accepted: ${known.join(', ')})`);
}
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const num = (name, dflt, { int = true, min = 1 } = {}) => {
  const v = Number(opt(name, dflt));
  if (!Number.isFinite(v) || v < min || (int && !Number.isInteger(v))) throw new Error(`transformer-lm: ${name} must be ${int ? 'an integer' : 'a number'} >= ${min}, got ${opt(name, dflt)}`);
  return v;
};
const steps = num('--steps', 300);
const batchSize = num('--batch-size', 16);
const context = num('--context', 32);
const dModel = num('--d-model', 32);
const heads = num('--heads', 4);
const layers = num('--layers', 2);
const ff = num('--ff', 4 * dModel);
const dropout = num('--dropout', 0.1, { int: false, min: 0 });
const lr = num('--lr', 3e-3, { int: false, min: 0 });
const evalBatches = num('--eval-batches', 4);
const sampleLen = num('--sample', 200, { min: 0 });
const seed = num('--seed', 1);

// ---- backend -------------------------------------------------------------------------------
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

// ---- data ----------------------------------------------------------------------------------
const text = readFileSync(opt('--data', new URL('./data/shakespeare.txt', import.meta.url)), 'utf8');
const chars = [...new Set(text)].sort();
const V = chars.length;
const index = new Map(chars.map((c, i) => [c, i]));
const ids = Int32Array.from(text, (c) => index.get(c));
const split = Math.floor(ids.length * 0.9);
const trainIds = ids.subarray(0, split);
const heldIds = ids.subarray(split);
console.log(`vocab: ${V} characters; train ${trainIds.length} chars, held-out ${heldIds.length} chars`);

// A host generator for batch offsets (webgrad's seeded one draws the dropout masks and samples).
let s = seed >>> 0;
const rand = () => {
  s = (s + 0x6d2b79f5) >>> 0;
  let t = s;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
/** Inputs [B, T] and next-character targets [B, T] from the given offsets. */
function batchAt(src, offsets) {
  const x = new Int32Array(offsets.length * context);
  const y = new Int32Array(offsets.length * context);
  offsets.forEach((o, b) => {
    x.set(src.subarray(o, o + context), b * context);
    y.set(src.subarray(o + 1, o + 1 + context), b * context);
  });
  const shape = [offsets.length, context];
  return [wg.tensor(x, { shape, device }), wg.tensor(y, { shape, device })];
}
const randomOffsets = (src, n) => Array.from({ length: n }, () => Math.floor(rand() * (src.length - context - 1)));

// ---- model ---------------------------------------------------------------------------------
class TransformerLM extends nn.Module {
  constructor() {
    super();
    this.tok = new nn.Embedding(V, dModel);
    this.pos = new nn.Embedding(context, dModel);
    const layer = new nn.TransformerEncoderLayer(dModel, heads, { dimFeedforward: ff, dropout, activation: 'gelu', batchFirst: true, normFirst: true });
    this.encoder = new nn.TransformerEncoder(layer, layers, { norm: new nn.LayerNorm(dModel) });
    this.head = new nn.Linear(dModel, V);
    // GPT-style small embeddings: N(0, 1) rows would swamp the pre-norm residual stream at the start.
    nn.init.normal(this.tok.weight, 0, 0.02);
    nn.init.normal(this.pos.weight, 0, 0.02);
  }
  /** idx [B, T] int32 -> logits [B, T, V]. */
  forward(idx) {
    const T = idx.shape[1];
    const positions = wg.arange(T, { device });
    const h = this.tok.forward(idx).add(this.pos.forward(positions));
    return this.head.forward(this.encoder.forward(h, { isCausal: true }));
  }
}
const model = new TransformerLM();
console.log(`model: ${layers} layers, dModel ${dModel}, ${heads} heads, ff ${ff}, context ${context}: ${model.numParameters().toLocaleString('en-US')} parameters`);
const opt_ = new wg.optim.AdamW(model.parameters(), { lr, weightDecay: 0.01 });

const lossOf = (x, y) => {
  const logits = model.forward(x);
  return F.crossEntropy(logits.reshape([x.shape[0] * context, V]), y.reshape([x.shape[0] * context]));
};

async function heldOutLoss() {
  model.eval();
  // Fixed, evenly spread windows over the held-out text, the same for every evaluation.
  const n = evalBatches * batchSize;
  const offsets = Array.from({ length: n }, (_, i) => Math.floor((i * (heldIds.length - context - 1)) / n));
  let total = 0;
  for (let b = 0; b < evalBatches; b++) {
    const l = wg.tidy(() => wg.noGrad(() => {
      const [x, y] = batchAt(heldIds, offsets.slice(b * batchSize, (b + 1) * batchSize));
      return lossOf(x, y);
    }));
    total += await l.item();
    l.dispose();
  }
  model.train();
  return total / evalBatches;
}

// ---- training ------------------------------------------------------------------------------
const uniform = Math.log(V);
const before = await heldOutLoss();
console.log(`held-out loss before training: ${before.toFixed(4)} (uniform model: log(${V}) = ${uniform.toFixed(4)})`);
const t0 = performance.now();
const every = Math.max(1, Math.floor(steps / 10));
let running = 0;
for (let step = 1; step <= steps; step++) {
  // Linear warm-up over the first 5% of the steps, then cosine decay to a tenth.
  const warm = Math.max(1, Math.floor(steps * 0.05));
  const f = step <= warm ? step / warm : 0.1 + 0.45 * (1 + Math.cos((Math.PI * (step - warm)) / Math.max(1, steps - warm)));
  for (const g of opt_.paramGroups) g.lr = lr * f;
  const loss = wg.tidy(() => {
    const [x, y] = batchAt(trainIds, randomOffsets(trainIds, batchSize));
    opt_.zeroGrad();
    const l = lossOf(x, y);
    l.backward();
    opt_.step();
    return l;
  });
  const v = await loss.item();
  loss.dispose();
  running = step === 1 ? v : 0.9 * running + 0.1 * v;
  if (step % every === 0 || step === steps) console.log(`step ${step}: train loss ${running.toFixed(4)} (${((performance.now() - t0) / step).toFixed(0)} ms/step)`);
}
const secs = (performance.now() - t0) / 1000;
const held = await heldOutLoss();
console.log(`held-out loss: ${held.toFixed(4)} (perplexity ${Math.exp(held).toFixed(2)}); uniform model: ${uniform.toFixed(4)} (perplexity ${V}); ${steps} steps in ${secs.toFixed(1)} s`);

// ---- sampling ------------------------------------------------------------------------------
if (sampleLen > 0) {
  model.eval();
  const prompt = 'ROMEO:\n';
  const out = [...prompt].map((c) => index.get(c) ?? 0);
  for (let i = 0; i < sampleLen; i++) {
    const ctx = out.slice(-context);
    const next = wg.tidy(() => wg.noGrad(() => {
      const x = wg.tensor(Int32Array.from(ctx), { shape: [1, ctx.length], device });
      const logits = model.forward(x).select(0, 0).select(0, ctx.length - 1);
      return wg.multinomial(F.softmax(logits.div(0.8), -1), 1);
    }));
    out.push((await next.data())[0]);
    next.dispose();
  }
  console.log(`sample (temperature 0.8):\n${out.map((i) => chars[i]).join('')}`);
}
