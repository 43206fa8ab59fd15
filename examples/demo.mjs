#!/usr/bin/env node
// npm run demo: the main job for now. Builds one tensor program (a two-layer network's forward
// pass with a softmax, a few reductions and views) and runs it on the cpu backend and on
// WebGPU, printing the results of both and how far apart they are.
//
//   node examples/demo.mjs [--size N]     (N: batch rows, default 256)
//
// A later issue turns this into a training run on Fashion-MNIST.
import * as wg from 'webgrad';

const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  if (argv[i] !== '--size') throw new Error(`demo: unknown argument ${argv[i]} (accepted: --size)`);
}
const sizeArg = process.argv.indexOf('--size');
const batch = sizeArg > 0 ? Number(process.argv[sizeArg + 1]) : 256;
if (!Number.isInteger(batch) || batch < 1) throw new Error(`demo: --size must be a positive integer, got ${process.argv[sizeArg + 1]}`);

/** The program: the same ops, whichever device the tensors live on. */
function program(device) {
  wg.manualSeed(7); // the same seed gives the same numbers on both backends
  const x = wg.randn([batch, 64], { device });
  const w1 = wg.randn([64, 128], { device }).mul(1 / 8);
  const b1 = wg.zeros([128], { device });
  const w2 = wg.randn([128, 10], { device }).mul(1 / Math.sqrt(128));
  return wg.tidy(() => {
    const h = x.matmul(w1).add(b1).relu(); // [batch, 128]
    const logits = h.matmul(w2); // [batch, 10]
    const probs = logits.sub(logits.logsumexp(1, true)).exp(); // softmax, stably
    return {
      probs: probs.slice([0, 2]), // first two rows: a view, no copy
      predicted: probs.argmax(1).slice([0, 8]),
      meanActivation: h.mean(),
      activeFraction: h.gt(0).cast('float32').mean(),
      columnStd: logits.std(0).slice([0, 4]),
      rowSums: probs.sum(1).slice([0, 4]),
    };
  });
}

let devices = ['cpu', 'webgpu'];
try {
  await wg.init({ backend: 'webgpu' });
  const a = wg.backendInfo().webgpu;
  console.log(`WebGPU adapter: ${a.description || a.device} via ${a.source}, ${a.featureLevel} feature level`);
} catch (e) {
  console.log(`NOTICE: no WebGPU adapter, running on the cpu backend only.\n  ${e.message}`);
  devices = ['cpu'];
}

const results = {};
for (const device of devices) {
  const t0 = performance.now();
  const r = program(device);
  const values = Object.fromEntries(await Promise.all(Object.entries(r).map(async ([k, t]) => [k, await t.data()])));
  const ms = performance.now() - t0;
  results[device] = values;
  console.log(`\n== ${device} (${ms.toFixed(1)} ms, batch ${batch})`);
  for (const [k, t] of Object.entries(r)) console.log(`${k}:\n${await t.format()}`);
}

if (devices.length === 2) {
  console.log('\n== webgpu vs cpu');
  for (const k of Object.keys(results.cpu)) {
    const a = results.webgpu[k];
    const b = results.cpu[k];
    let num = 0;
    let den = 0;
    for (let i = 0; i < b.length; i++) {
      num += (a[i] - b[i]) ** 2;
      den += b[i] ** 2;
    }
    const rel = den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    console.log(`${k.padEnd(16)} relative difference ${rel.toExponential(2)}`);
  }
}
const m = wg.memory();
console.log(`\nmemory: ${m.tensors} live tensors, ${(m.bytes / 1024).toFixed(1)} KiB held`);
