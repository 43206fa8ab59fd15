// Adapters that give every library in the benchmark the same small interface:
//   setup(device) -> lib | null, lib.randn(shape), lib.ops[name](...inputs), lib.sync(), lib.dispose(t)
// sync() returns once all queued work has finished, without reading results back.
import * as wg from '../dist/webgrad.node.js';

export async function webgrad(device) {
  if (device === 'webgpu') await wg.init({ backend: 'webgpu' });
  wg.manualSeed(1);
  return {
    name: 'webgrad',
    adapter: device === 'webgpu' ? wg.backendInfo().webgpu : { description: 'JavaScript TypedArray loops' },
    randn: (shape) => wg.randn(shape, { device }),
    ops: {
      matmul: (a, b) => a.matmul(b),
      add: (a, b) => a.add(b),
      exp: (a) => a.exp(),
      sum: (a) => a.sum(),
      sumRows: (a) => a.sum(1),
      transpose: (a) => a.T.contiguous(),
      softmax: (a) => wg.F.softmax(a, 1),
      conv2d: (x, w) => wg.F.conv2d(x, w, null, { padding: 1 }),
      maxPool2d: (x) => wg.F.maxPool2d(x, 2),
    },
    sync: () => wg.sync(),
    dispose: (t) => t.dispose(),
    /** Forces a kernel variant by name (null: the plan's own choice) and returns the one that ran last. */
    setVariant: (family, name) => wg.configureKernels({ [family]: name }),
    lastVariant: (family) => wg.kernelVariants()[family].last,
  };
}

let dawnGpu;
/** TensorFlow.js, on its cpu backend or its WebGPU backend on the same Dawn adapter as webgrad. */
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
  const tf = await import('@tensorflow/tfjs-core');
  if (device === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
  else await import('@tensorflow/tfjs-backend-cpu');
  tf.env().set('IS_TEST', true); // silences the "install tfjs-node" hint
  if (!(await tf.setBackend(device === 'webgpu' ? 'webgpu' : 'cpu'))) return null;
  const b = tf.backend();
  return {
    name: 'tfjs',
    adapter: { description: `@tensorflow/tfjs-backend-${device === 'webgpu' ? 'webgpu' : 'cpu'} ${tf.version_core}` },
    randn: (shape) => tf.randomNormal(shape),
    ops: {
      matmul: (a, c) => tf.matMul(a, c),
      add: (a, c) => tf.add(a, c),
      exp: (a) => tf.exp(a),
      sum: (a) => tf.sum(a),
      sumRows: (a) => tf.sum(a, 1),
      transpose: (a) => tf.transpose(a),
      softmax: (a) => tf.softmax(a, 1),
      conv2d: (x, w) => tf.conv2d(x, w, 1, 'same'),
      maxPool2d: (x) => tf.maxPool(x, 2, 2, 'valid'),
    },
    sync: async () => {
      if (device === 'webgpu') {
        // TF.js keeps a compute pass open between ops: end it, submit, then wait for the queue.
        b.endComputePassEncoder();
        b.submitQueue();
        await b.device.queue.onSubmittedWorkDone();
      }
    },
    dispose: (t) => t.dispose(),
  };
}
