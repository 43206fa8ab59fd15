#!/usr/bin/env node
// npm run bench: GFLOP/s and GB/s of webgrad's kernels on each backend, next to the same work
// in TensorFlow.js measured in the same run (on webgpu: the same Dawn adapter).
//
//   node bench/run.mjs [--quick] [--filter REGEX] [--devices cpu,webgpu] [--no-peer]
//                      [--no-variants] [--time MS] [--out FILE.md]
//
// Each sample runs the op once and waits for the device queue to drain (no read back);
// inputs are made once per case. Ratio = peer time / webgrad time: above 1, webgrad is faster.
// These machines are noisy: compare ratios from one run, not times across runs.
// On webgpu, the cases whose kernels come in variants (matmul tilings, conv drivers, reduction
// layouts) are also run once per variant, forced through wg.configureKernels (the variant
// seam), next to the same peer time: the rows named 'case [variant]'.
import { writeFileSync } from 'node:fs';
import { Bench } from 'tinybench';
import { tfjs, webgrad } from './peers.mjs';

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const quick = flag('--quick');
const filter = new RegExp(opt('--filter', '.'));
const devices = opt('--devices', 'cpu,webgpu').split(',');
const withPeer = !flag('--no-peer');
const withVariants = !flag('--no-variants');
const timeMs = Number(opt('--time', quick ? '300' : '1000'));
const out = opt('--out', undefined);

/** Work per case: flops (for GFLOP/s) and bytes moved (for GB/s), from the sizes alone. */
const F = 4; // bytes per float32
function cases(device) {
  const mm = quick ? [128, 256] : device === 'cpu' ? [128, 256] : [256, 512, 1024];
  const n = quick ? 1 << 18 : device === 'cpu' ? 1 << 20 : 1 << 22;
  const [r, c] = quick ? [256, 1024] : [1024, 1024];
  return [
    ...mm.map((s) => ({ name: `matmul ${s}x${s}x${s}`, kernel: 'matmul', shapes: [[s, s], [s, s]], flops: 2 * s ** 3, bytes: 3 * s * s * F })),
    { name: `add ${n}`, kernel: 'add', shapes: [[n], [n]], flops: n, bytes: 3 * n * F },
    { name: `exp ${n}`, kernel: 'exp', shapes: [[n]], flops: n, bytes: 2 * n * F },
    { name: `sum ${n}`, kernel: 'sum', shapes: [[n]], flops: n, bytes: n * F },
    { name: `sum rows ${r}x${c}`, kernel: 'sumRows', shapes: [[r, c]], flops: r * c, bytes: (r * c + r) * F },
    { name: `transpose ${r}x${c}`, kernel: 'transpose', shapes: [[r, c]], flops: 0, bytes: 2 * r * c * F },
    { name: `softmax rows ${r}x${c}`, kernel: 'softmax', shapes: [[r, c]], flops: 5 * r * c, bytes: 2 * r * c * F },
    // The training demo's second convolution and pooling; TF.js takes the same data as NHWC.
    ...conv(quick ? 16 : 64, 32, 64, 14),
    { name: `maxPool2d 2x2 ${quick ? 16 : 64}x64x28x28`, kernel: 'maxPool2d', shapes: [[quick ? 16 : 64, 64, 28, 28]], peerShapes: [[quick ? 16 : 64, 28, 28, 64]], flops: (quick ? 16 : 64) * 64 * 28 * 28, bytes: (quick ? 16 : 64) * 64 * 28 * 28 * 1.25 * F },
  ].filter((k) => filter.test(k.name));
}

/** The variant family each case's kernel belongs to, and its variants (webgpu). */
const VARIANTS = {
  matmul: ['matmul', ['tile64x64', 'tile32x32']],
  conv2d: ['conv', ['tiled', 'kParallel', 'direct']],
  sumRows: ['reduce', ['rowPerWorkgroup', 'rowPerInvocation', 'chunked']],
};
const variantsOf = (device, c) => (withVariants && device === 'webgpu' && VARIANTS[c.kernel]) || null;

/** A 3x3, stride 1, padding 1 convolution of [n, cin, hw, hw] to cout channels. */
function conv(n, cin, cout, hw) {
  const flops = 2 * n * cout * hw * hw * cin * 9;
  return [{
    name: `conv2d 3x3 ${n}x${cin}x${hw}x${hw} -> ${cout}`, kernel: 'conv2d',
    shapes: [[n, cin, hw, hw], [cout, cin, 3, 3]], peerShapes: [[n, hw, hw, cin], [3, 3, cin, cout]],
    flops, bytes: (n * cin * hw * hw + cout * cin * 9 + n * cout * hw * hw) * F,
  }];
}

const total = devices.reduce((a, d) => a + cases(d).reduce((n, c) => n + (withPeer ? 2 : 1) + (variantsOf(d, c)?.[1].length ?? 0), 0), 0);
let done = 0;
function progress(label) {
  const width = 28;
  const filled = Math.round((done / total) * width);
  process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${label}`.padEnd(100));
}

async function measure(lib, c) {
  const inputs = (lib.name === 'tfjs' && c.peerShapes ? c.peerShapes : c.shapes).map((s) => lib.randn(s));
  const op = lib.ops[c.kernel];
  const bench = new Bench({ time: timeMs, iterations: 5, warmupIterations: 2, warmupTime: 100 });
  bench.add(c.name, async () => {
    const y = op(...inputs);
    await lib.sync();
    lib.dispose(y);
  });
  await bench.run();
  for (const t of inputs) lib.dispose(t);
  const r = bench.tasks[0].result;
  if (r.state !== 'completed') throw new Error(`${lib.name} ${c.name}: ${r.error?.message ?? r.state}`);
  return r.latency.mean; // ms
}

const rows = [];
const adapters = {};
for (const device of devices) {
  progress(`starting webgrad on ${device}`);
  const wg = await webgrad(device);
  adapters[`webgrad/${device}`] = wg.adapter.description || wg.adapter.source;
  const peer = withPeer ? await tfjs(device, wg.adapter) : null;
  if (peer) adapters[`tfjs/${device}`] = peer.adapter.description;
  for (const c of cases(device)) {
    progress(`${c.name} webgrad/${device}`);
    const ms = await measure(wg, c);
    done++;
    let peerMs;
    if (peer) {
      progress(`${c.name} tfjs/${device}`);
      peerMs = await measure(peer, c);
      done++;
    }
    const chosen = VARIANTS[c.kernel] && device === 'webgpu' ? ` (plan: ${wg.lastVariant(VARIANTS[c.kernel][0])})` : '';
    rows.push({ device, case: c.name + chosen, ms, peerMs, gflops: c.flops / ms / 1e6, gbs: c.bytes / ms / 1e6, ratio: peerMs ? peerMs / ms : undefined });
    const variants = variantsOf(device, c);
    if (variants) {
      const [family, names] = variants;
      for (const name of names) {
        progress(`${c.name} [${name}] webgrad/${device}`);
        wg.setVariant(family, name);
        let vms;
        try {
          vms = await measure(wg, c);
        } finally {
          wg.setVariant(family, null);
        }
        done++;
        rows.push({ device, case: `${c.name} [${name}]`, ms: vms, peerMs, gflops: c.flops / vms / 1e6, gbs: c.bytes / vms / 1e6, ratio: peerMs ? peerMs / vms : undefined });
      }
    }
  }
}
progress('done');
process.stderr.write('\n');

const fmt = (x, d = 2) => (x === undefined ? '-' : x.toFixed(d));
const lines = [
  `| device | case | webgrad ms | GFLOP/s | GB/s | tfjs ms | ratio (tfjs/webgrad) |`,
  `|---|---|---:|---:|---:|---:|---:|`,
  ...rows.map((r) => `| ${r.device} | ${r.case} | ${fmt(r.ms)} | ${r.gflops ? fmt(r.gflops) : '-'} | ${fmt(r.gbs)} | ${fmt(r.peerMs)} | ${fmt(r.ratio)} |`),
];
const header = [
  `webgrad benchmark, ${new Date().toISOString()}, node ${process.version}${quick ? ', --quick' : ''}`,
  ...Object.entries(adapters).map(([k, v]) => `- ${k}: ${v}`),
  '',
];
const report = [...header, ...lines].join('\n');
console.log(report);
if (out) writeFileSync(out, report + '\n');
process.exit(0);
