// Adapters that give every library in the benchmark the same small interface:
//   webgrad(device) / tfjs(device, ...) -> lib | null
//   lib.tensor(values: Float32Array | Int32Array, shape), lib.inputs(case, values),
//   lib.ops[name](...inputs), lib.train(model, x, y) -> { step(), dispose() }, lib.sync(),
//   lib.dispose(t), lib.read(t) -> Float32Array (webgrad), lib.setThreads(n) (wasm),
//   lib.unsupported(case) -> why TF.js cannot run it (tfjs), lib.adapter.description.
// sync() returns once all queued work has finished, without reading results back.
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as wg from '../dist/webgrad.node.js';

const require = createRequire(import.meta.url);

/** The README's demo CNN (Training section) and the MLP of docs/training.md, by name. */
export const MODELS = {
  mlp: { title: 'MLP 784-256-10', input: (b) => [b, 784], peerInput: (b) => [b, 784] },
  cnn: { title: 'CNN conv16-relu-pool-fc10', input: (b) => [b, 1, 28, 28], peerInput: (b) => [b, 28, 28, 1] },
  // examples/train.mjs's CNN without its dropout (random masks would make the devices' losses differ).
  demo: { title: 'demo CNN conv32-bn-conv64-bn-fc128', input: (b) => [b, 1, 28, 28], peerInput: (b) => [b, 28, 28, 1] },
};

/** Ops in the per-op overhead case's chain (y = y + b, CHAIN_OPS times, on a small tensor). */
export const CHAIN_OPS = 100;

function webgradModel(name) {
  const { nn } = wg;
  if (name === 'mlp') return new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 10));
  if (name === 'demo') {
    return new nn.Sequential(
      new nn.Conv2d(1, 32, 3, { padding: 1 }), new nn.BatchNorm2d(32), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Conv2d(32, 64, 3, { padding: 1 }), new nn.BatchNorm2d(64), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Flatten(), new nn.Linear(64 * 7 * 7, 128), new nn.ReLU(), new nn.Linear(128, 10));
  }
  return new nn.Sequential(
    new nn.Conv2d(1, 16, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Linear(16 * 14 * 14, 10));
}

export async function webgrad(device) {
  if (device === 'webgpu') await wg.init({ backend: 'webgpu' });
  if (device === 'wasm') await wg.init({ backend: 'wasm' });
  // New tensors and modules are made on the cpu and moved explicitly (the reference stays cpu).
  await wg.init({ backend: 'cpu' });
  wg.manualSeed(1);
  const describe = () => {
    if (device === 'webgpu') {
      const a = wg.backendInfo().webgpu;
      return { ...a, description: [a.source, a.device || a.vendor, a.description, a.featureLevel && `feature level ${a.featureLevel}`].filter(Boolean).join(', ') };
    }
    if (device === 'wasm') {
      const i = wg.backendInfo().wasm;
      return { description: `WebAssembly SIMD128, ${i.threads} thread${i.threads === 1 ? '' : 's'}${i.sharedMemory ? ', shared memory' : ''}` };
    }
    return { description: 'JavaScript TypedArray loops' };
  };
  const tensor = (values, shape, requiresGrad = false) => {
    const t = wg.tensor(values, { shape, device });
    return requiresGrad ? t.requiresGrad_() : t;
  };
  /** conv2d forward then backward with gradient g, through autograd; returns the wanted gradient. */
  const convBackward = (wrt) => (x, w, g) => {
    const y = wg.F.conv2d(x, w, null, { padding: 1 });
    y.backward(g);
    y.dispose();
    const t = wrt === 'input' ? x : w;
    const grad = t.grad;
    t.grad = null;
    return grad;
  };
  return {
    name: 'webgrad',
    device,
    get adapter() {
      return describe();
    },
    tensor,
    /** Inputs for a case; the conv backward cases need the differentiated operand to be a leaf that requires grad. */
    inputs: (c, values) => values.map((v, i) => tensor(v, c.shapes[i], c.requiresGrad?.[i] ?? false)),
    read: async (t) => Float32Array.from(await t.data()),
    setThreads: async (n) => {
      await wg.init({ backend: 'wasm', threads: n });
      await wg.init({ backend: 'cpu' });
      const got = wg.backendInfo().wasm.threads;
      if (got !== n) throw new Error(`webgrad wasm: asked for ${n} threads, backendInfo().wasm.threads says ${got}`);
    },
    ops: {
      matmul: (a, b) => a.matmul(b),
      matmulTA: (a, b) => a.T.matmul(b),
      add: (a, b) => a.add(b),
      exp: (a) => a.exp(),
      sum: (a) => a.sum(),
      sumRows: (a) => a.sum(1),
      transpose: (a) => a.T.contiguous(),
      softmax: (a) => wg.F.softmax(a, 1),
      crossEntropy: (x, t) => wg.F.crossEntropy(x, t),
      conv2d: (x, w) => wg.F.conv2d(x, w, null, { padding: 1 }),
      conv2dBackInput: convBackward('input'),
      conv2dBackFilter: convBackward('filter'),
      maxPool2d: (x) => wg.F.maxPool2d(x, 2),
      addChain: (a, b) => wg.tidy(() => {
        let y = a;
        for (let i = 0; i < CHAIN_OPS; i++) y = y.add(b);
        return y;
      }),
    },
    /**
     * One Adam step (lr 1e-3) on a parameter from values[0] whose gradient is values[1], in
     * place: step() runs it, param() is the parameter.
     */
    optimizer(c, [p0, g0]) {
      const p = tensor(p0, c.shapes[0], true);
      p.grad = tensor(g0, c.shapes[1]);
      const opt = new wg.optim.Adam([p], { lr: 1e-3 });
      return {
        step: () => opt.step(),
        param: () => p,
        dispose() {
          p.grad.dispose();
          p.grad = null;
          p.dispose();
        },
      };
    },
    /**
     * webgpu only: the per-op overhead's yardstick. The kernel webgrad runs for a.add(b), driven
     * bare: CHAIN_OPS dependent dispatches (ping-pong between two buffers) in one compute pass with
     * prebuilt bind groups and one uniform, one submit. Returns run(), which records and submits them.
     */
    bareChain(a, b) {
      const backend = wg.getBackend('webgpu');
      let seen;
      const dispatch = backend.dispatch;
      backend.dispatch = function (spec, resources, params, grid) {
        seen = { spec, params, grid };
        return dispatch.call(this, spec, resources, params, grid);
      };
      try {
        a.add(b).dispose();
      } finally {
        backend.dispatch = dispatch;
      }
      const k = backend.pipelines.get({ ...seen.spec, constants: { WG: backend.wg, ...seen.spec.constants } });
      const dev = backend.device;
      const uniform = dev.createBuffer({ size: 256, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
      const data = new ArrayBuffer(k.uniform.size);
      const views = { u32: new Uint32Array(data), i32: new Int32Array(data), f32: new Float32Array(data) };
      for (const f of k.uniform.fields) {
        const v = seen.params[f.name] ?? 0;
        (typeof v === 'number' ? [v] : v).forEach((x, i) => (views[f.scalar][f.offset / 4 + i] = x));
      }
      dev.queue.writeBuffer(uniform, 0, data);
      const bytes = Math.max(16, a.storage.bytes);
      const ping = [0, 1].map(() => dev.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE }));
      const groups = [0, 1].map((i) => dev.createBindGroup({
        layout: k.layout,
        entries: k.bindings.map((bd) => ({
          binding: bd.binding,
          resource: bd.kind === 'uniform' ? { buffer: uniform, offset: 0, size: k.uniform.size } : { buffer: bd.name === 'out' ? ping[i] : bd.name === 'a' ? ping[1 - i] : b.storage.handle },
        })),
      }));
      return () => {
        const enc = dev.createCommandEncoder();
        const pass = enc.beginComputePass();
        pass.setPipeline(k.pipeline);
        for (let i = 0; i < CHAIN_OPS; i++) {
          pass.setBindGroup(0, groups[i & 1], [0]);
          pass.dispatchWorkgroups(...seen.grid);
        }
        pass.end();
        dev.queue.submit([enc.finish()]);
      };
    },
    /**
     * A training step of model `name` on this device: forward, cross-entropy, backward, Adam.
     * The model's initial weights come from the seed, so every device starts from the same ones.
     * step() returns the loss tensor (the caller disposes it).
     */
    async train(name, x, y, seed = 7) {
      wg.manualSeed(seed);
      const model = webgradModel(name);
      await model.to(device);
      const opt = new wg.optim.Adam(model.parameters(), { lr: 1e-3 });
      const lossFn = new wg.nn.CrossEntropyLoss();
      return {
        step() {
          const loss = wg.tidy(() => lossFn.forward(model.forward(x), y));
          opt.zeroGrad();
          loss.backward();
          opt.step();
          return loss;
        },
        dispose() {
          opt.zeroGrad();
          for (const p of model.parameters()) p.dispose();
        },
      };
    },
    sync: () => wg.sync(),
    dispose: (t) => t?.dispose(),
    /** Forces a kernel variant by name (null: the plan's own choice) and returns the one that ran last. */
    setVariant: (family, name) => wg.configureKernels({ [family]: name }),
    lastVariant: (family) => wg.kernelVariants()[family].last,
  };
}

/**
 * tf.grad and optimizer.minimize need the gradient functions, which the @tensorflow/tfjs union
 * package registers and @tensorflow/tfjs-core's Node bundle leaves out. Their ES sources in
 * tfjs-core/dist use extensionless imports Node cannot load, so esbuild bundles them once into a
 * file (cached in node_modules/.cache); they register into TF.js's global gradient registry and run their ops through
 * its global engine.
 */
async function registerTfjsGradients() {
  // Kept in node_modules/.cache between runs, by tfjs-core version.
  const { version } = require('@tensorflow/tfjs-core/package.json');
  const dir = join(dirname(dirname(dirname(require.resolve('@tensorflow/tfjs-core/package.json')))), '.cache', 'webgrad-bench');
  const file = join(dir, `tfjs-core-${version}-register_all_gradients.mjs`);
  if (!existsSync(file)) {
    const { build } = await import('esbuild');
    const { outputFiles } = await build({
      entryPoints: [require.resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js')],
      bundle: true, format: 'esm', platform: 'node', write: false, logLevel: 'silent',
    });
    mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, outputFiles[0].text);
    renameSync(tmp, file);
  }
  await import(pathToFileURL(file).href);
}

let dawnGpu;
let tf;
let tfWasm;
let wasmFactory;
let wasmThreadedReady = false;

/**
 * TF.js's wasm backend in Node. Its threaded build (XNNPACK over Emscripten pthreads) works in
 * Node once two things are patched around: TF.js's own feature check says "no threads" for Node
 * (tensorflow/tfjs#3830), and Emscripten hands worker_threads a blob: URL for the worker script,
 * which Node refuses. Here the worker script is written to a temporary file and the blob: URLs
 * are answered with file paths. Its pool has at most 8 threads.
 */
function prepareTfjsWasmThreads() {
  if (wasmThreadedReady) return;
  const pkg = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const { wasmWorkerContents } = require(join(pkg, 'wasm-out/tfjs-backend-wasm-threaded-simd.worker.js'));
  const mainScript = join(pkg, 'wasm-out/tfjs-backend-wasm-threaded-simd.js');
  const worker = join(mkdtempSync(join(tmpdir(), 'webgrad-bench-tfjs-wasm-')), 'worker.cjs');
  writeFileSync(worker, wasmWorkerContents.replace(/\n/g, '\\n') +
    `\nURL.createObjectURL = () => ${JSON.stringify(mainScript)};\nURL.revokeObjectURL = () => {};\n`);
  const original = URL.createObjectURL;
  URL.createObjectURL = (blob) => {
    if (blob?.type === 'application/javascript') return worker;
    if (blob?.type === 'text/javascript') return mainScript;
    return original(blob);
  };
  wasmThreadedReady = true;
}

/**
 * (Re)starts TF.js's wasm backend with `threads` threads: 1 runs its SIMD build, more its
 * threaded SIMD build. Returns the threads it really uses, or an error message.
 */
async function startTfjsWasm(threads) {
  if (tf.findBackendFactory('wasm')) tf.removeBackend('wasm');
  tf.registerBackend('wasm', wasmFactory);
  if (threads > 1) prepareTfjsWasmThreads();
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', threads > 1);
  tfWasm.setThreadsCount(threads);
  // TF.js sizes its pool as min(asked, os.cpus().length / 2, 8), read once as its module starts
  // (it takes half the cores to be hyperthreads). So that it runs as many threads as webgrad
  // is given, os.cpus() reports twice the asked threads while it starts.
  const cpus = os.cpus;
  if (threads > 1) os.cpus = () => Array.from({ length: 2 * threads }, (_, i) => cpus()[i % cpus().length]);
  let ok;
  try {
    ok = await tf.setBackend('wasm');
  } finally {
    os.cpus = cpus;
  }
  if (!ok) return { error: 'TF.js wasm backend failed to start' };
  return { threads: tfWasm.getThreadsCount(), build: threads > 1 ? 'threaded-simd' : 'simd' };
}

const CONV_BACKFILTER_NA = 'TF.js-wasm has no Conv2DBackpropFilter kernel';

/** TensorFlow.js on its cpu, WebGPU (the same Dawn adapter as webgrad) or wasm backend. */
export async function tfjs(device, webgradAdapter) {
  if (device === 'webgpu') {
    // TF.js asks navigator.gpu for an adapter: hand it Dawn, on the backend and feature level
    // that webgrad's adapter report names, so both run on the same adapter.
    const { create, globals } = await import('webgpu');
    for (const [k, v] of Object.entries(globals)) if (!(k in globalThis)) globalThis[k] = v;
    const m = /\((.*)\)/.exec(webgradAdapter?.source ?? '');
    const backend = m && m[1] !== 'default' ? m[1] : undefined;
    dawnGpu ??= create(backend ? [`backend=${backend}`] : []);
    const featureLevel = webgradAdapter?.featureLevel ?? 'core';
    const gpu = {
      requestAdapter: (o = {}) => dawnGpu.requestAdapter({ ...o, featureLevel }),
      getPreferredCanvasFormat: () => 'rgba8unorm',
      wgslLanguageFeatures: dawnGpu.wgslLanguageFeatures,
    };
    Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: 'node' }, configurable: true });
  }
  if (!tf) {
    tf = await import('@tensorflow/tfjs-core');
    // Production mode: no debug checks, and no "install tfjs-node" hint. (IS_TEST would silence
    // the hint too, but it also makes the engine count tensors around every kernel.)
    tf.enableProdMode();
    await registerTfjsGradients();
  }
  let wasmInfo = null;
  if (device === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
  else if (device === 'wasm') {
    tfWasm ??= await import('@tensorflow/tfjs-backend-wasm');
    tfWasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
    wasmFactory ??= tf.findBackendFactory('wasm');
    wasmInfo = await startTfjsWasm(1);
    if (wasmInfo.error) return null;
  } else await import('@tensorflow/tfjs-backend-cpu');
  if (device !== 'wasm' && !(await tf.setBackend(device === 'webgpu' ? 'webgpu' : 'cpu'))) return null;
  const pkgName = `@tensorflow/tfjs-backend-${device}`;
  const missing = (kernel) => !tf.getKernel(kernel, device);
  const describe = () => ({
    description: `${pkgName} ${tf.version_core}` + (wasmInfo ? ` (${wasmInfo.build} build, ${wasmInfo.threads} thread${wasmInfo.threads === 1 ? '' : 's'})` : ''),
  });
  const conv = (x, w) => tf.conv2d(x, w, 1, 'same');
  const lib = {
    name: 'tfjs',
    device,
    get adapter() {
      return describe();
    },
    get threads() {
      return wasmInfo?.threads;
    },
    tensor: (values, shape) => (values instanceof Int32Array ? tf.tensor(values, shape, 'int32') : tf.tensor(values, shape)),
    // Cross-entropy's class labels go to TF.js as the one-hot rows its softmaxCrossEntropy takes.
    inputs: (c, values) => values.map((v, i) => (c.labels === i
      ? tf.tidy(() => tf.cast(tf.oneHot(tf.tensor(v, c.shapes[i], 'int32'), c.classes), 'float32'))
      : lib.tensor(v, (c.peerShapes ?? c.shapes)[i]))),
    /** One Adam step (lr 1e-3) on a tf.variable, its gradient given: as webgrad's optimizer(). */
    optimizer(c, [p0, g0]) {
      const v = tf.variable(tf.tensor(p0, c.shapes[0]));
      const g = tf.tensor(g0, c.shapes[1]);
      const opt = tf.train.adam(1e-3);
      return {
        step: () => opt.applyGradients([{ name: v.name, tensor: g }]),
        param: () => v,
        dispose() {
          opt.dispose();
          g.dispose();
          v.dispose();
        },
      };
    },
    /** Starts TF.js-wasm again with n threads; returns the count it really uses. */
    setThreads: async (n) => {
      wasmInfo = await startTfjsWasm(n);
      if (wasmInfo.error) throw new Error(wasmInfo.error);
      return wasmInfo.threads;
    },
    /** Why a case cannot run on this backend (a kernel it lacks), or undefined. */
    unsupported: (c) => {
      if (c.kernel === 'conv2dBackFilter' && missing('Conv2DBackpropFilter')) return device === 'wasm' ? CONV_BACKFILTER_NA : `TF.js-${device} has no Conv2DBackpropFilter kernel`;
      if (c.kind === 'train' && c.model !== 'mlp' && missing('Conv2DBackpropFilter')) return `${CONV_BACKFILTER_NA} (the CNN's weight gradients)`;
      return undefined;
    },
    ops: {
      matmul: (a, c) => tf.matMul(a, c),
      matmulTA: (a, c) => tf.matMul(a, c, true, false),
      add: (a, c) => tf.add(a, c),
      exp: (a) => tf.exp(a),
      sum: (a) => tf.sum(a),
      sumRows: (a) => tf.sum(a, 1),
      transpose: (a) => tf.transpose(a),
      softmax: (a) => tf.softmax(a, 1),
      crossEntropy: (x, t) => tf.losses.softmaxCrossEntropy(t, x),
      conv2d: conv,
      // Forward and backward, as webgrad's autograd row does: tf.grad runs conv2d then its gradient.
      conv2dBackInput: (x, w, g) => tf.grad((xx) => conv(xx, w))(x, g),
      conv2dBackFilter: (x, w, g) => tf.grad((ww) => conv(x, ww))(w, g),
      maxPool2d: (x) => tf.maxPool(x, 2, 2, 'valid'),
      addChain: (a, c) => tf.tidy(() => {
        let y = a;
        for (let i = 0; i < CHAIN_OPS; i++) y = tf.add(y, c);
        return y;
      }),
    },
    /** The same model as webgrad's (NHWC for the CNN), as tf.variables with tf.train.adam. */
    async train(name, x, y) {
      const labels = tf.tidy(() => tf.cast(tf.oneHot(y, 10), 'float32'));
      const he = (shape, fanIn) => tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn)));
      const zeros = (n) => tf.variable(tf.zeros([n]));
      let vars;
      let forward;
      if (name === 'mlp') {
        vars = [he([784, 256], 784), zeros(256), he([256, 10], 256), zeros(10)];
        const [w1, b1, w2, b2] = vars;
        forward = (input) => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(input, w1), b1)), w2), b2);
      } else if (name === 'demo') {
        const ones = (n) => tf.variable(tf.ones([n]));
        vars = [he([3, 3, 1, 32], 9), zeros(32), ones(32), zeros(32), he([3, 3, 32, 64], 288), zeros(64), ones(64), zeros(64), he([3136, 128], 3136), zeros(128), he([128, 10], 128), zeros(10)];
        const [k1, c1, g1, e1, k2, c2, g2, e2, w3, b3, w4, b4] = vars;
        // Training-mode batch norm over N, H, W (NHWC), as nn.BatchNorm2d in a training step.
        const bn = (h, g, e) => {
          const { mean, variance } = tf.moments(h, [0, 1, 2]);
          return tf.add(tf.mul(tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, 1e-5))), g), e);
        };
        forward = (input) => {
          const h1 = tf.maxPool(tf.relu(bn(tf.add(conv(input, k1), c1), g1, e1)), 2, 2, 'valid');
          const h2 = tf.maxPool(tf.relu(bn(tf.add(conv(h1, k2), c2), g2, e2)), 2, 2, 'valid');
          const h3 = tf.relu(tf.add(tf.matMul(tf.reshape(h2, [h2.shape[0], 3136]), w3), b3));
          return tf.add(tf.matMul(h3, w4), b4);
        };
      } else {
        vars = [he([3, 3, 1, 16], 9), zeros(16), he([3136, 10], 3136), zeros(10)];
        const [k, bk, w, b] = vars;
        forward = (input) => {
          const h = tf.maxPool(tf.relu(tf.add(conv(input, k), bk)), 2, 2, 'valid');
          return tf.add(tf.matMul(tf.reshape(h, [h.shape[0], 3136]), w), b);
        };
      }
      const opt = tf.train.adam(1e-3);
      return {
        step: () => opt.minimize(() => tf.losses.softmaxCrossEntropy(labels, forward(x)), true, vars),
        dispose() {
          opt.dispose();
          labels.dispose();
          for (const v of vars) v.dispose();
        },
      };
    },
    sync: async () => {
      if (device === 'webgpu') {
        // TF.js keeps a compute pass open between ops: end it, submit, then wait for the queue.
        const b = tf.backend();
        b.endComputePassEncoder();
        if (b.commandEncoder) b.submitQueue(); // none when the last op ran on the cpu (small shapes)
        await b.device.queue.onSubmittedWorkDone();
      }
    },
    dispose: (t) => t?.dispose(),
  };
  return lib;
}
