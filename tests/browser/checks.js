// The checks a browser runs on the wasm backend (tests/browser.test.ts serves this file): on the
// page's main thread, or in a module Web Worker (worker.js). Each result goes back to the test
// server as JSON; a failure is reported with its message, never swallowed.
import * as wg from './webgrad.browser.js';

/** Largest |a - b| over the values of two tensors. */
async function maxDiff(a, b) {
  const [x, y] = [await a.data(), await b.data()];
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

export async function runChecks(where) {
  const out = { where, crossOriginIsolated: globalThis.crossOriginIsolated === true };
  try {
    await wg.init({ backend: 'wasm', threads: 2 });
    await wg.init({ backend: 'cpu' });
    const info = wg.backendInfo().wasm;
    out.threads = info.threads;
    out.sharedMemory = info.sharedMemory;
    // Large enough to be split over the threads (matmul, conv2d), against the cpu reference.
    const a = wg.randn([192, 160]), b = wg.randn([160, 224]);
    const [aw, bw] = [await a.to('wasm'), await b.to('wasm')];
    out.matmulDiff = await maxDiff(await aw.matmul(bw).to('cpu'), a.matmul(b));
    const x = wg.randn([4, 8, 20, 20]), w = wg.randn([16, 8, 3, 3]);
    const [xw, ww] = [await x.to('wasm'), await w.to('wasm')];
    out.convDiff = await maxDiff(await wg.F.conv2d(xw, ww, null, { padding: 1 }).to('cpu'), wg.F.conv2d(x, w, null, { padding: 1 }));
    // A few training steps of a small MLP on wasm: the loss falls.
    const { nn } = wg;
    const model = new nn.Sequential(new nn.Linear(20, 64), new nn.ReLU(), new nn.Linear(64, 3));
    await model.to('wasm');
    const opt = new wg.optim.Adam(model.parameters(), { lr: 0.01 });
    const xs = await wg.randn([256, 20]).to('wasm');
    const ys = await xs.slice(null, [0, 3]).argmax(1).to('wasm');
    const losses = [];
    for (let i = 0; i < 30; i++) {
      opt.zeroGrad();
      const loss = wg.F.crossEntropy(model.forward(xs), ys);
      loss.backward();
      opt.step();
      losses.push(await loss.item());
    }
    out.lossFirst = losses[0];
    out.lossLast = losses[losses.length - 1];
  } catch (e) {
    out.error = String(e && e.stack ? e.stack : e);
  }
  return out;
}
