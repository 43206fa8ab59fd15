// The checks a browser runs on the webgpu backend (tests/browser.test.ts serves this file, and
// starts Chromium on SwiftShader's Vulkan, whose adapter has subgroups of 4): reductions and
// softmax on the workgroup layouts that use subgroups where the device has them, against the
// cpu backend, and which kernels ran. A failure is reported with its message, never swallowed.
import * as wg from './webgrad.browser.js';

/** Largest difference, relative to max(1, |b|), over two tensors' values; a NaN must meet a NaN. */
async function relDiff(a, b) {
  const [x, y] = [await a.data(), await b.data()];
  if (x.length !== y.length) return Infinity;
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(x[i]) || Number.isNaN(y[i])) {
      if (Number.isNaN(x[i]) !== Number.isNaN(y[i])) return Infinity;
      continue;
    }
    m = Math.max(m, Math.abs(x[i] - y[i]) / Math.max(1, Math.abs(y[i])));
  }
  return m;
}

export async function runWebGPUChecks(subgroups) {
  const out = { where: `webgpu subgroups=${subgroups}`, crossOriginIsolated: globalThis.crossOriginIsolated === true, diffs: {} };
  try {
    await wg.init({ backend: 'webgpu', subgroups });
    await wg.init({ backend: 'cpu' });
    const info = wg.backendInfo().webgpu;
    out.adapter = `${info.vendor} ${info.architecture}`.trim();
    out.subgroups = info.subgroups;
    const gpu = (t) => t.to('webgpu');
    // Reductions a workgroup per row (rowPerWorkgroup), and rows cut in chunks over workgroups
    // (chunked): short and long rows, a row shorter than a workgroup, a strided (transposed) input.
    for (const variant of ['rowPerWorkgroup', 'chunked']) {
      wg.configureKernels({ reduce: variant });
      for (const shape of [[37, 300], [5, 3001], [3, 70001], [1, 255]]) {
        const a = wg.randn(shape);
        for (const op of ['sum', 'amax', 'amin', 'prod']) {
          const src = op === 'prod' ? a.mul(0.01).add(1) : a;
          out.diffs[`${variant} ${op} [${shape}]`] = await relDiff(await (await gpu(src))[op](1).to('cpu'), src[op](1));
        }
      }
      const t = wg.randn([300, 41]);
      out.diffs[`${variant} sum of a transposed [41, 300]`] = await relDiff(await (await gpu(t)).transpose(0, 1).sum(1).to('cpu'), t.transpose(0, 1).sum(1));
    }
    // A NaN in a row: max and min keep it (NaN-propagating, as in PyTorch).
    wg.configureKernels({ reduce: 'rowPerWorkgroup' });
    const n = wg.tensor([[1, Number.NaN, 3, ...new Array(500).fill(0)], new Array(503).fill(2)]);
    out.nanMax = Array.from(await (await (await gpu(n)).amax(1).to('cpu')).data()).map(String);
    out.nanMin = Array.from(await (await (await gpu(n)).amin(1).to('cpu')).data()).map(String);
    out.nanSum = Array.from(await (await (await gpu(n)).sum(1).to('cpu')).data()).map(String);
    wg.configureKernels({ reduce: null });
    // softmax and logSoftmax, a workgroup per row (fewer rows than the per-invocation layout
    // takes), and rows long enough to be cut in chunks (chunk_stats).
    const s = wg.randn([37, 1000]).mul(5);
    out.diffs.softmax = await relDiff(await wg.F.softmax(await gpu(s), 1).to('cpu'), wg.F.softmax(s, 1));
    out.diffs.logSoftmax = await relDiff(await wg.F.logSoftmax(await gpu(s), 1).to('cpu'), wg.F.logSoftmax(s, 1));
    const long = wg.randn([1, 256 * 16384 + 7]); // past a workgroup's row (NN_SOFTMAX_LIMITS.rowSteps per invocation)
    out.diffs.softmaxLong = await relDiff(await wg.F.softmax(await gpu(long), 1).to('cpu'), wg.F.softmax(long, 1));
    // The GPU timer (timestamp-query, which SwiftShader has): three matmuls, their passes' time
    // on the GPU, and the wall time around them (which must hold it).
    const backend = wg.getBackend('webgpu');
    out.timestampQuery = info.features.includes('timestamp-query');
    const m = await gpu(wg.randn([384, 384]));
    await wg.sync();
    const t0 = performance.now();
    backend.startGpuTimer();
    for (let i = 0; i < 3; i++) m.matmul(m).dispose();
    const gpuMs = await backend.stopGpuTimer();
    out.gpuTimer = { gpuMs, wallMs: performance.now() - t0 };
    // Which kernels ran: the workgroup reducers' code holds subgroup operations or not.
    const kernels = wg.getBackend('webgpu').pipelines.all();
    const ran = (label) => kernels.filter((k) => k.label === label);
    out.kernels = {};
    for (const label of ['reduce.wgsl:reduce_workgroup', 'softmax.wgsl:row', 'softmax.wgsl:chunk_stats']) {
      const ks = ran(label);
      out.kernels[label] = { built: ks.length, withSubgroups: ks.filter((k) => /subgroupAdd|subgroupMax|subgroupMul|subgroupMin/.test(k.code)).length };
    }
  } catch (e) {
    out.error = String(e && e.stack ? e.stack : e);
  }
  return out;
}
