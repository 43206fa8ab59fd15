// The benchmark's calibration: each device's measured peak, so every row can say which fraction
// of it a kernel reaches (GFLOP/s against the arithmetic peak, GB/s against the copy bandwidth).
//
//   webgpu  WGSL on webgrad's own device: twelve independent vec4 multiply-add chains per
//           invocation in registers (96 flops a round, 1024 rounds: under llvmpipe's loop cap),
//           over enough workgroups to fill the adapter; and a vec4 copy of 32 MiB.
//   wasm    src/kernels/wasm/c/calibrate.c on the backend's threads: peak_f32 (twelve f32x4
//           multiply-add chains) and stream_copy_f32 (a v128 copy of 64 MiB).
//   cpu     JavaScript on the cpu backend's threads (worker_threads): twelve scalar multiply-add
//           chains in doubles, and a Float32Array copy loop, as the cpu backend's loops are.
//
// Each is the fastest of several runs, sized to take tens of milliseconds or more. A row's
// fraction is its own GFLOP/s or GB/s over these: which resource bounds a kernel is not
// decided here, so the table shows the larger of the two with F (arithmetic) or B (bandwidth).
import { Worker } from 'node:worker_threads';
import * as wg from '../dist/webgrad.node.js';

const PEAK_WGSL = `
override WG: u32 = 256u;
const ROUNDS: u32 = 1024u;
@group(0) @binding(0) var<storage, read_write> o: array<vec4<f32>>;
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = g.x + g.y * nwg.x * WG;
  let s = f32(i) * 1e-9;
  var x0 = vec4<f32>(s, 0.1, 0.2, 0.3); var x1 = x0 + 0.01; var x2 = x0 + 0.02; var x3 = x0 + 0.03;
  var x4 = x0 + 0.04; var x5 = x0 + 0.05; var x6 = x0 + 0.06; var x7 = x0 + 0.07;
  var x8 = x0 + 0.08; var x9 = x0 + 0.09; var x10 = x0 + 0.1; var x11 = x0 + 0.11;
  let m = vec4<f32>(0.9999999);
  let c = vec4<f32>(1e-7);
  for (var r = 0u; r < ROUNDS; r++) {
    x0 = x0 * m + c; x1 = x1 * m + c; x2 = x2 * m + c; x3 = x3 * m + c;
    x4 = x4 * m + c; x5 = x5 * m + c; x6 = x6 * m + c; x7 = x7 * m + c;
    x8 = x8 * m + c; x9 = x9 * m + c; x10 = x10 * m + c; x11 = x11 * m + c;
  }
  o[i] = ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7)) + ((x8 + x9) + (x10 + x11));
}
`;
const COPY_WGSL = `
override WG: u32 = 256u;
@group(0) @binding(0) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<f32>>;
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = g.x + g.y * nwg.x * WG;
  if (i < arrayLength(&dst)) { dst[i] = src[i]; }
}
`;

/** The fastest of `runs` timings of an async function, in ms (after one warm-up run). */
async function fastest(fn, runs = 5) {
  await fn();
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

async function webgpuPeak() {
  const b = wg.getBackend('webgpu');
  const dev = b.device;
  await wg.sync();
  const grid = (groups) => (groups <= 65535 ? [groups, 1, 1] : [65535, Math.ceil(groups / 65535), 1]);
  const pipeline = (code) => dev.createComputePipeline({ layout: 'auto', compute: { module: dev.createShaderModule({ code }), entryPoint: 'main', constants: { WG: b.wg } } });
  const run = (p, entries, groups) => async () => {
    const enc = dev.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(p);
    pass.setBindGroup(0, dev.createBindGroup({ layout: p.getBindGroupLayout(0), entries }));
    pass.dispatchWorkgroups(...grid(groups));
    pass.end();
    dev.queue.submit([enc.finish()]);
    await dev.queue.onSubmittedWorkDone();
  };
  // Arithmetic: grow the grid until one dispatch takes 50 ms or more.
  const peak = pipeline(PEAK_WGSL);
  let groups = 16;
  let ms = 0;
  let out;
  for (;;) {
    out?.destroy();
    out = dev.createBuffer({ size: groups * b.wg * 16, usage: GPUBufferUsage.STORAGE });
    ms = await fastest(run(peak, [{ binding: 0, resource: { buffer: out } }], groups), 2);
    if (ms >= 50 || groups >= 1 << 16) break;
    groups *= Math.min(8, Math.max(2, Math.ceil(50 / Math.max(ms, 1))));
  }
  ms = await fastest(run(peak, [{ binding: 0, resource: { buffer: out } }], groups), 3);
  out.destroy();
  const gflops = (groups * b.wg * 1024 * 96) / ms / 1e6;
  // Bandwidth: a copy of 32 MiB (read and write: 64 MiB moved).
  const bytes = Math.min(32 << 20, dev.limits.maxStorageBufferBindingSize);
  const src = dev.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE });
  const dst = dev.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE });
  const copyMs = await fastest(run(pipeline(COPY_WGSL), [{ binding: 0, resource: { buffer: src } }, { binding: 1, resource: { buffer: dst } }], Math.ceil(bytes / 16 / b.wg)));
  src.destroy();
  dst.destroy();
  return { gflops, gbs: (2 * bytes) / copyMs / 1e6, how: `WGSL: ${groups} x ${b.wg} invocations of 12 vec4 multiply-add chains; a vec4 copy of ${bytes >> 20} MiB` };
}

function wasmPeak() {
  const rt = wg.getBackend('wasm').rt;
  const threads = rt.threads;
  const out = rt.alloc(64 * 4);
  const iters = 1 << 22; // per thread: 96 * 4M = 403 MFLOP
  const time = (f, runs = 5) => {
    f();
    let best = Infinity;
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      f();
      best = Math.min(best, performance.now() - t);
    }
    return best;
  };
  const ms = time(() => rt.run('peak_f32', [out, iters, 0.9999999, 1e-7], threads > 1));
  rt.release(out, 64 * 4);
  const n = 16 << 20; // 64 MiB of floats
  const src = rt.alloc(4 * n);
  const dst = rt.alloc(4 * n);
  new Float32Array(rt.memory.buffer, src, n).fill(1);
  const copyMs = time(() => rt.run('stream_copy_f32', [src, dst, n], threads > 1));
  rt.release(src, 4 * n);
  rt.release(dst, 4 * n);
  return { gflops: (threads * iters * 96) / ms / 1e6, gbs: (8 * n) / copyMs / 1e6, how: `SIMD128 on ${threads} thread${threads === 1 ? '' : 's'}: 12 f32x4 multiply-add chains; a v128 copy of 64 MiB` };
}

const JS_PEAK = `
const { parentPort, workerData } = require('node:worker_threads');
const { rounds, shared, lo, hi } = workerData;
parentPort.on('message', (what) => {
  if (what === 'flops') {
    let x0 = 0.5, x1 = 0.25, x2 = 0.125, x3 = 0.0625, x4 = 1.5, x5 = 1.25, x6 = 1.125, x7 = 1.0625;
    let x8 = 2.5, x9 = 2.25, x10 = 2.125, x11 = 2.0625;
    const m = 0.9999999, c = 1e-7;
    for (let i = 0; i < rounds; i++) {
      x0 = x0 * m + c; x1 = x1 * m + c; x2 = x2 * m + c; x3 = x3 * m + c; x4 = x4 * m + c; x5 = x5 * m + c;
      x6 = x6 * m + c; x7 = x7 * m + c; x8 = x8 * m + c; x9 = x9 * m + c; x10 = x10 * m + c; x11 = x11 * m + c;
    }
    parentPort.postMessage(x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10 + x11);
  } else {
    const s = new Float32Array(shared, 0), d = new Float32Array(shared, 4 * (s.length / 2));
    const n = s.length / 2;
    for (let i = lo; i < hi; i++) d[i] = s[i];
    parentPort.postMessage(n);
  }
});
`;

async function cpuPeak() {
  const threads = wg.getBackend('cpu').threads();
  const rounds = 1 << 24; // per thread: 24 flops a round, 403 MFLOP
  const n = 16 << 20;
  const shared = new SharedArrayBuffer(8 * n);
  const workers = Array.from({ length: threads }, (_, t) => new Worker(JS_PEAK, {
    eval: true, workerData: { rounds, shared, lo: Math.floor((n * t) / threads), hi: Math.floor((n * (t + 1)) / threads) },
  }));
  const all = (what) => async () => {
    await Promise.all(workers.map((w) => new Promise((resolve) => {
      w.once('message', resolve);
      w.postMessage(what);
    })));
  };
  try {
    const ms = await fastest(all('flops'), 3);
    const copyMs = await fastest(all('copy'), 3);
    return { gflops: (threads * rounds * 24) / ms / 1e6, gbs: (8 * n) / copyMs / 1e6, how: `JavaScript on ${threads} thread${threads === 1 ? '' : 's'}: 12 scalar multiply-add chains in doubles; a Float32Array copy loop of 64 MiB` };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** The peak of `device` as webgrad runs it now (wasm: on its current threads): { gflops, gbs, how }. */
export async function calibrate(device) {
  if (device === 'webgpu') return webgpuPeak();
  if (device === 'wasm') return wasmPeak();
  if (device === 'cpu') return cpuPeak();
  throw new Error(`calibrate: unknown device '${device}'`);
}

/** A row's fraction of the peak: the larger of GFLOP/s and GB/s over theirs, as { frac, bound: 'F' | 'B' }, or undefined. */
export function ofPeak(peak, gflops, gbs) {
  if (!peak) return undefined;
  const f = gflops !== undefined && peak.gflops > 0 ? gflops / peak.gflops : undefined;
  const b = gbs !== undefined && peak.gbs > 0 ? gbs / peak.gbs : undefined;
  if (f === undefined && b === undefined) return undefined;
  return (f ?? -1) >= (b ?? -1) ? { frac: f, bound: 'F' } : { frac: b, bound: 'B' };
}
