/**
 * The wasm backend itself: its start-up and options, threads on and off, the register-blocked
 * matmul and the lowered convolution against the cpu reference on odd sizes (not multiples of
 * the 4 x 8 micro-tile, the 256-term K blocks or the 256-column N blocks), strided and batched
 * operands, its heap (reuse, trim, bounded over a training loop, the fixed heap where memory
 * cannot be shared), a failing worker, and the clear error where WebAssembly SIMD is missing.
 * The conformance suites (every op, gradients, training) run on wasm through DEVICES.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as wg from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { WasmRuntime } from '../src/kernels/wasm/runtime.js';
import { IMAGE_LAYOUT } from '../src/kernels/conv/wasm.js';
import type { WasmBackend } from '../src/kernels/wasm/index.js';
import { NO_WEBGPU, expectClose, pair, reseed } from './helpers.js';

const backend = () => wg.getBackend('wasm') as unknown as WasmBackend;

/** Records the name of every C kernel the wasm backend runs (spy.mockRestore() stops it). */
function spyKernels() {
  const rt = (backend() as unknown as { rt: { run(fn: string, args: number[], parallel?: boolean): void } }).rt;
  const ran: string[] = [];
  const spy = vi.spyOn(rt, 'run').mockImplementation(function (this: unknown, fn, args, parallel) {
    ran.push(fn);
    return WasmRuntime.prototype.run.call(this as WasmRuntime, fn, args, parallel);
  });
  return { ran, spy };
}
const F = wg.F;

beforeAll(async () => {
  await wg.init({ backend: 'wasm' });
  await wg.init({ backend: 'cpu' });
});

describe('wasm start-up and options', () => {
  it('backendInfo reports SIMD, the threads and the shared memory', () => {
    const info = wg.backendInfo().wasm!;
    expect(info.simd).toBe(true);
    expect(info.sharedMemory).toBe(true);
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(info.memoryBytes).toBeGreaterThan(0);
    expect(wg.backendInfo().backends).toContain('wasm');
  });

  it('init changes the thread count; bad counts and wasm options on other backends are refused', async () => {
    const before = wg.backendInfo().wasm!.threads;
    try {
      await wg.init({ backend: 'wasm', threads: 3 });
      expect(wg.backendInfo().wasm!.threads).toBe(3);
      await wg.init({ backend: 'wasm', threads: 1 });
      expect(wg.backendInfo().wasm!.threads).toBe(1);
    } finally {
      await wg.init({ backend: 'wasm', threads: before });
      await wg.init({ backend: 'cpu' });
    }
    await expect(wg.init({ backend: 'wasm', threads: 0 })).rejects.toThrow('init: threads must be an integer from 1 to 256, got 0');
    await expect(wg.init({ backend: 'wasm', threads: 1.5 })).rejects.toThrow('init: threads must be an integer from 1 to 256, got 1.5');
    await expect(wg.init({ backend: 'cpu', heapMiB: 64 })).rejects.toThrow("init: heapMiB is an option of the wasm backend, not of 'cpu' (pass backend: 'wasm')");
    await expect(wg.init({ backend: 'webgpu', threads: 2 })).rejects.toThrow("init: threads is an option of the wasm and cpu backends, not of 'webgpu' (pass backend: 'wasm' or 'cpu')");
    await expect(wg.init({ backend: 'wasm', heapMiB: 64 })).rejects.toThrow('init: the wasm backend has started; heapMiB is fixed when it starts (got 64)');
    await expect(wg.init({ backend: 'wasm', heapMiB: 8 } as never)).rejects.toThrow('init: heapMiB must be an integer from 16 to 4096, got 8');
    await expect(wg.init({ backend: 'wasm', thread: 2 } as never)).rejects.toThrow("init: unknown option 'thread' (did you mean 'threads'?)");
    expect(wg.backendInfo().defaultDevice).toBe('cpu');
  });

  it('tensors move between cpu and wasm', async () => {
    const x = wg.tensor([[1, 2, 3], [4, 5, 6]], { device: 'cpu' });
    const w = await x.to('wasm');
    expect(w.device).toBe('wasm');
    expect(await w.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    const back = await w.mul(2).to('cpu');
    expect(await back.toArray()).toEqual([[2, 4, 6], [8, 10, 12]]);
  });

  it('refuses to start without WebAssembly SIMD, saying so', async () => {
    const spy = vi.spyOn(WebAssembly, 'validate').mockReturnValue(false);
    try {
      await expect(WasmRuntime.create({ threads: 1 })).rejects.toThrow('init: the wasm backend needs WebAssembly SIMD (128-bit), which this JavaScript engine does not have; use the cpu backend');
    } finally {
      spy.mockRestore();
    }
  });
});

/** Runs `body` with the wasm backend on `threads` threads, then puts the count back. */
function withThreads(threads: number, body: () => void): void {
  describe(`${threads} thread${threads > 1 ? 's' : ''}`, () => {
    let before = 1;
    beforeAll(async () => {
      before = wg.backendInfo().wasm!.threads;
      await wg.init({ backend: 'wasm', threads });
      await wg.init({ backend: 'cpu' });
    });
    afterAll(async () => {
      await wg.init({ backend: 'wasm', threads: before });
      await wg.init({ backend: 'cpu' });
    });
    body();
  });
}

// Sizes around the micro-tile (4 x 8), the K block (256) and the N block (256).
const MATMUL_SIZES: [number, number, number][] = [
  [1, 1, 1], [3, 5, 7], [4, 8, 8], [5, 9, 9], [33, 257, 31], [130, 70, 300], [67, 513, 259], [2, 600, 3],
];

for (const threads of [1, 3]) {
  withThreads(threads, () => {
    describe('wasm matmul against the cpu reference', () => {
      it.each(MATMUL_SIZES)('M=%i, K=%i, N=%i', async (M, K, N) => {
        reseed(M * 7 + K * 3 + N);
        const [a, aw] = pair([M, K], 'wasm');
        const [b, bw] = pair([K, N], 'wasm');
        await expectClose(aw.matmul(bw), a.matmul(b), 1e-5);
      });

      it('transposed and sliced operands are read through their strides', async () => {
        reseed(5);
        const [a, aw] = pair([70, 65], 'wasm');
        const [b, bw] = pair([2, 40, 140], 'wasm');
        const bs = b.slice(null, null, [null, null, 2]); // [2, 40, 70], every other column
        const bsw = bw.slice(null, null, [null, null, 2]);
        await expectClose(aw.T.matmul(bsw.transpose(1, 2)), a.T.matmul(bs.transpose(1, 2)), 1e-5); // [65, 70] @ [2, 70, 40]
        await expectClose(bsw.matmul(aw), bs.matmul(a), 1e-5); // a strided first operand
        await expectClose(aw.T.matmul(aw.T.T), a.T.matmul(a), 1e-5);
      });

      it('batched, with broadcast batch dims', async () => {
        reseed(6);
        const [a, aw] = pair([3, 1, 17, 33], 'wasm');
        const [b, bw] = pair([4, 33, 9], 'wasm');
        await expectClose(aw.matmul(bw), a.matmul(b), 1e-5);
      });

      it('K = 0 gives zeros; int32 takes the reference', async () => {
        const z = wg.zeros([5, 0], { device: 'wasm' }).matmul(wg.zeros([0, 6], { device: 'wasm' }));
        expect(await z.toArray()).toEqual(Array.from({ length: 5 }, () => new Array(6).fill(0)));
        const [ai, aiw] = pair([7, 9], 'wasm', { dtype: 'int32', low: -50, high: 50 });
        const [bi, biw] = pair([9, 5], 'wasm', { dtype: 'int32', low: -50, high: 50 });
        expect(Array.from(await aiw.matmul(biw).data())).toEqual(Array.from(await ai.matmul(bi).data()));
      });
    });

    describe('wasm conv2d and its gradients against the cpu reference', () => {
      const cases: [string, number[], number[], wg.nn.functional.Conv2dOptions][] = [
        ['3x3 same', [2, 3, 13, 11], [8, 3, 3, 3], { padding: 1 }],
        ['stride 2, padding 1', [3, 5, 14, 9], [7, 5, 3, 3], { stride: 2, padding: 1 }],
        ['dilation 2, groups 2', [2, 6, 12, 12], [4, 3, 3, 3], { dilation: 2, padding: 2, groups: 2 }],
        ['depthwise 5x5', [2, 4, 9, 10], [8, 1, 5, 5], { groups: 4, padding: 2 }],
        ['1x1, rectangular stride', [1, 16, 7, 6], [9, 16, 1, 1], { stride: [2, 1] }],
        ['wide (threads split the taps)', [2, 32, 14, 14], [64, 32, 3, 3], { padding: 1 }],
      ];
      it.each(cases)('%s', async (_label, xs, ws, opts) => {
        reseed(xs.reduce((a, b) => a * 3 + b, 1));
        const run = async (x: Tensor, w: Tensor) => {
          const xg = x.detach().requiresGrad_();
          const wgt = w.detach().requiresGrad_();
          const y = F.conv2d(xg, wgt, null, opts);
          y.mul(y).sum().backward();
          return [y, xg.grad!, wgt.grad!];
        };
        const [x, xw] = pair(xs, 'wasm');
        const [w, ww] = pair(ws, 'wasm');
        const [ref, got] = [await run(x, w), await run(xw, ww)];
        for (let i = 0; i < 3; i++) await expectClose(got[i]!, ref[i]!, 2e-5);
      });

      it('the forward an image at a time (conv_images_f32) gives the batched product\'s bits, and is taken where it should be', async () => {
        const { ran, spy } = spyKernels();
        const saved = { ...IMAGE_LAYOUT };
        try {
          const shapes: [number[], number[], wg.nn.functional.Conv2dOptions][] = [
            [[5, 4, 17, 15], [6, 2, 3, 3], { padding: 1, groups: 2, dilation: [2, 1] }],
            [[4, 3, 30, 27], [5, 3, 5, 3], { stride: [2, 1], padding: [2, 0] }],
          ];
          for (const [xs, ws, opts] of shapes) {
            reseed(xs[0]! * 31 + ws[0]!);
            const [x, xw] = pair(xs, 'wasm');
            const [w, ww] = pair(ws, 'wasm');
            const ref = F.conv2d(x.transpose(2, 3), w, null, opts);
            Object.assign(IMAGE_LAYOUT, { enabled: true, minCols: 1 });
            ran.length = 0;
            const byImage = F.conv2d(xw.transpose(2, 3), ww, null, opts); // a strided input
            expect(ran).toEqual(['conv_images_f32']);
            IMAGE_LAYOUT.enabled = false;
            ran.length = 0;
            const batched = F.conv2d(xw.transpose(2, 3), ww, null, opts);
            expect(ran).toContain('gemm_f32');
            expect(Array.from(await byImage.data())).toEqual(Array.from(await batched.data()));
            await expectClose(byImage, ref, 1e-5);
            // The weight gradient an image at a time (conv_images_wgrad_f32), against cpu's.
            const gy = pair([...ref.shape], 'wasm');
            const wr = w.detach().requiresGrad_();
            F.conv2d(x.transpose(2, 3), wr, null, opts).backward(gy[0]);
            Object.assign(IMAGE_LAYOUT, { enabled: true, minCols: 1 });
            const wwr = ww.detach().requiresGrad_();
            const yw = F.conv2d(xw.transpose(2, 3), wwr, null, opts);
            ran.length = 0;
            yw.backward(gy[1]);
            expect(ran).toContain('conv_images_wgrad_f32');
            await expectClose(wwr.grad!, wr.grad!, 1e-5);
          }
          // Fewer images than threads, or an image's columns over the limit: the batched product.
          Object.assign(IMAGE_LAYOUT, { enabled: true, minCols: 1, maxColFloats: 10 });
          ran.length = 0;
          F.conv2d(pair([3, 2, 6, 6], 'wasm')[1], pair([2, 2, 3, 3], 'wasm')[1]);
          expect(ran).not.toContain('conv_images_f32');
        } finally {
          Object.assign(IMAGE_LAYOUT, saved);
          spy.mockRestore();
        }
      });

      it('an image at a time, the taps read from the padded image (no column matrix): forward and weight gradient against cpu over strides, paddings, dilations, groups and kernel sizes', async () => {
        const { ran, spy } = spyKernels();
        const saved = { ...IMAGE_LAYOUT };
        try {
          Object.assign(IMAGE_LAYOUT, { enabled: true, minCols: 1 });
          // (3 images: at least one a thread.) Output rows of 8 and more pixels (whole 8-column panels read as runs), rows that
          // split a panel, strides and dilations (panels gathered a float at a time), no padding,
          // padding wider than the kernel's reach, asymmetric kernels, groups, a K past one
          // 256-term block (40 x 9 taps), and an image wider than one 256-column N block.
          const cases: [number[], number[], wg.nn.functional.Conv2dOptions][] = [
            [[3, 2, 11, 19], [5, 2, 3, 3], { padding: 1 }],
            [[3, 3, 13, 10], [4, 3, 3, 3], { stride: 2, padding: 1 }],
            [[3, 2, 12, 17], [3, 2, 3, 2], { stride: [1, 3], padding: [0, 2], dilation: [2, 1] }],
            [[3, 4, 9, 9], [6, 2, 5, 5], { groups: 2, padding: 3 }],
            [[3, 40, 6, 7], [5, 40, 3, 3], { padding: 1 }],
            [[3, 1, 20, 30], [3, 1, 1, 4], { padding: [0, 1] }],
          ];
          for (const [xs, ws, opts] of cases) {
            reseed(xs.reduce((a, b) => a * 7 + b, ws[2]!));
            const [x, xw] = pair(xs, 'wasm');
            const [w, ww] = pair(ws, 'wasm');
            const wr = w.detach().requiresGrad_();
            const ref = F.conv2d(x, wr, null, opts);
            const [gy, gyw] = pair([...ref.shape], 'wasm');
            ref.backward(gy);
            const wwr = ww.detach().requiresGrad_();
            ran.length = 0;
            const got = F.conv2d(xw, wwr, null, opts);
            expect(ran).toEqual(['conv_images_f32']);
            got.backward(gyw);
            expect(ran).toContain('conv_images_wgrad_f32');
            await expectClose(got, ref, 1e-5);
            await expectClose(wwr.grad!, wr.grad!, 2e-5);
          }
        } finally {
          Object.assign(IMAGE_LAYOUT, saved);
          spy.mockRestore();
        }
      });

      it('an image at a time, the threads claim their work: forward and weight gradient give the same bits on 1, 2 and 3 threads', async () => {
        const before = wg.backendInfo().wasm!.threads;
        const saved = { ...IMAGE_LAYOUT };
        try {
          Object.assign(IMAGE_LAYOUT, { enabled: true, minCols: 1 });
          reseed(41);
          // 11 images: 8 runs of 1 or 2 images for the weight gradient's partial sums.
          const [x, xw] = pair([11, 3, 9, 8], 'wasm');
          const [w, ww] = pair([4, 3, 3, 3], 'wasm');
          const [g, gw] = pair([11, 4, 9, 8], 'wasm');
          const results: number[][][] = [];
          for (const threads of [1, 2, 3]) {
            await wg.init({ backend: 'wasm', threads });
            const wr = ww.detach().requiresGrad_();
            const y = F.conv2d(xw, wr, null, { padding: 1 });
            y.backward(gw);
            results.push([Array.from(await y.data()), Array.from(await wr.grad!.data())]);
          }
          expect(results[1]).toEqual(results[0]);
          expect(results[2]).toEqual(results[0]);
          // ... and against the cpu reference.
          const wc = w.detach().requiresGrad_();
          F.conv2d(x, wc, null, { padding: 1 }).backward(g);
          await expectClose(wg.tensor(results[0]![1]!).reshape([...wc.shape]), wc.grad!, 1e-5);
        } finally {
          Object.assign(IMAGE_LAYOUT, saved);
          await wg.init({ backend: 'wasm', threads: before });
        }
      });

      it('a transposed (non-contiguous) input and weight', async () => {
        reseed(9);
        const [x, xw] = pair([2, 3, 11, 10], 'wasm');
        const [w, ww] = pair([5, 3, 3, 3], 'wasm');
        const ref = F.conv2d(x.transpose(2, 3), w.transpose(2, 3), null, { padding: 1 });
        await expectClose(F.conv2d(xw.transpose(2, 3), ww.transpose(2, 3), null, { padding: 1 }), ref, 1e-5);
      });
    });
  });
}

describe('the wasm heap', () => {
  it('reuses freed blocks and trims free ones at the top', () => {
    const b = backend();
    const before = b.memory();
    const t = wg.zeros([1000], { device: 'wasm' });
    const after = b.memory();
    expect(after.buffers).toBe(before.buffers + 1);
    expect(after.bytes).toBe(before.bytes + 4000);
    t.dispose();
    expect(b.memory().bytes).toBe(before.bytes);
    expect(b.memory().pooledBytes).toBeGreaterThanOrEqual(4000);
    // The same size again takes the pooled block.
    const pooled = b.memory().pooledBytes;
    const u = wg.zeros([1000], { device: 'wasm' });
    expect(b.memory().pooledBytes).toBe(pooled - 4032);
    u.dispose();
    b.trimPool();
    expect(b.memory().pooledBytes).toBeLessThanOrEqual(pooled);
  });

  it('stays bounded over a training loop: the heap stops growing after the first steps', async () => {
    reseed(3);
    wg.manualSeed(3);
    const model = new wg.nn.Sequential(new wg.nn.Linear(64, 128), new wg.nn.ReLU(), new wg.nn.Linear(128, 10));
    await model.to('wasm');
    const opt = new wg.optim.Adam(model.parameters(), { lr: 1e-3 });
    const x = wg.randn([32, 64], { device: 'wasm' });
    const y = wg.randint(0, 10, [32], { device: 'wasm' });
    const step = () => wg.tidy(() => {
      opt.zeroGrad();
      const loss = F.crossEntropy(model.forward(x), y);
      loss.backward();
      opt.step();
    });
    for (let i = 0; i < 20; i++) step();
    const b = backend();
    const [bytes, heap] = [b.memory().bytes, b.info().memoryBytes];
    for (let i = 0; i < 200; i++) step();
    expect(b.memory().bytes).toBe(bytes);
    expect(b.info().memoryBytes).toBe(heap);
  });

  it('a memory that cannot be shared is made once at heapMiB and says when it is full', async () => {
    // As in a browser page that is not cross-origin isolated: no SharedArrayBuffer.
    const saved = globalThis.SharedArrayBuffer;
    (globalThis as { SharedArrayBuffer?: unknown }).SharedArrayBuffer = undefined;
    let rt: WasmRuntime;
    try {
      rt = await WasmRuntime.create({ heapMiB: 16, threads: 4 });
    } finally {
      globalThis.SharedArrayBuffer = saved;
    }
    expect(rt.shared).toBe(false);
    expect(rt.threads).toBe(1);
    expect(rt.memoryBytes()).toBe(16 * 1024 * 1024);
    // The single-threaded build computes the same product.
    const [M, K, N] = [9, 300, 13];
    const [pa, pb, pc] = [rt.alloc(4 * M * K), rt.alloc(4 * K * N), rt.alloc(4 * M * N)];
    const A = new Float32Array(rt.memory.buffer, pa, M * K);
    const B = new Float32Array(rt.memory.buffer, pb, K * N);
    for (let i = 0; i < A.length; i++) A[i] = ((i * 7) % 11) - 5;
    for (let i = 0; i < B.length; i++) B[i] = ((i * 5) % 13) - 6;
    rt.run('gemm_f32', [pa, K, 1, pb, N, 1, pc, N, M, N, K, 0, rt.scratch, rt.scratchBytes, 0]);
    const C = new Float32Array(rt.memory.buffer, pc, M * N);
    for (const [m, n] of [[0, 0], [8, 12], [4, 7]] as const) {
      let s = 0;
      for (let k = 0; k < K; k++) s += A[m * K + k]! * B[k * N + n]!;
      expect(C[m * N + n]).toBe(s);
    }
    expect(() => rt.alloc(32 * 1024 * 1024)).toThrow(/wasm: out of memory allocating 33554432 bytes .*limit 16 MiB \(init\(\{ backend: 'wasm', heapMiB \}\) sets it\)/);
  });
});

describe('wasm threads', () => {
  it('the product\'s units (N block x a run of row panels, all of K) give the same bits claimed on 1, 2 or 3 threads as in fixed shares', async () => {
    // Past one K block (256) and one N block (256), rows not a multiple of the micro-panel.
    const [M, K, N] = [77, 600, 530];
    const results: number[][] = [];
    for (const [threads, claimed] of [[1, true], [2, true], [3, true], [2, false], [3, false]] as const) {
      const rt = await WasmRuntime.create({ threads });
      try {
        const [pa, pb, pc] = [rt.alloc(4 * M * K), rt.alloc(4 * K * N), rt.alloc(4 * M * N)];
        const A = new Float32Array(rt.memory.buffer, pa, M * K);
        const B = new Float32Array(rt.memory.buffer, pb, K * N);
        for (let i = 0; i < A.length; i++) A[i] = Math.sin(i * 0.37);
        for (let i = 0; i < B.length; i++) B[i] = Math.cos(i * 0.11);
        rt.run('gemm_f32', [pa, K, 1, pb, N, 1, pc, N, M, N, K, 0, rt.scratch, rt.scratchBytes, claimed ? rt.counter() : 0]);
        results.push(Array.from(new Float32Array(rt.memory.buffer, pc, M * N)));
      } finally {
        rt.close();
      }
    }
    for (const r of results.slice(1)) expect(r).toEqual(results[0]);
    // ... and a value against a plain sum.
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.fround(Math.sin((76 * K + k) * 0.37)) * Math.fround(Math.cos((k * N + 529) * 0.11));
    expect(results[0]![76 * N + 529]).toBeCloseTo(s, 3);
  });

  it('a kernel that traps on a worker is reported, and the next call works', async () => {
    const rt = await WasmRuntime.create({ threads: 2 });
    try {
      // Rows split over two threads; the rows of the second half point past the memory's end.
      const end = rt.memoryBytes();
      expect(() => rt.run('gemm_f32', [0, end / 8, 0, 0, 0, 0, 0, 0, 64, 8, 8, 0, rt.scratch, rt.scratchBytes, 0])).toThrow(/out of bounds|failed on a worker thread/);
      const p = rt.alloc(4 * 64);
      new Float32Array(rt.memory.buffer, p, 64).fill(1);
      const q = rt.alloc(4 * 64);
      rt.run('gemm_f32', [p, 8, 1, p, 8, 1, q, 8, 8, 8, 8, 0, rt.scratch, rt.scratchBytes, 0]);
      expect(Array.from(new Float32Array(rt.memory.buffer, q, 64))).toEqual(new Array(64).fill(8));
    } finally {
      rt.close();
    }
  });
});

describe('the committed kernels.wasm', () => {
  it('is what scripts/build-wasm.mjs builds from the C sources now', () => {
    const dir = mkdtempSync(join(tmpdir(), 'webgrad-wasm-'));
    execFileSync(process.execPath, ['scripts/build-wasm.mjs', '--out', dir], { stdio: 'pipe' });
    for (const f of ['kernels.wasm', 'kernels-single.wasm']) {
      const fresh = readFileSync(join(dir, f));
      const committed = readFileSync(join('src/kernels/wasm', f));
      expect(fresh.equals(committed), `${f}: rebuild it with node scripts/build-wasm.mjs and commit it`).toBe(true);
    }
  });
});

// webgpu only (the move is between webgpu and wasm): skipped only when the run declares no adapter (WEBGRAD_TEST_NO_WEBGPU=1)
describe.skipIf(NO_WEBGPU)('wasm and webgpu', () => {
  it('tensors move directly between webgpu and wasm, both ways', async () => {
    await wg.init({ backend: 'webgpu' });
    await wg.init({ backend: 'cpu' });
    const g = wg.tensor([[1.5, -2], [3, 4]], { device: 'webgpu' });
    const w = await g.to('wasm');
    expect([w.device, await w.toArray()]).toEqual(['wasm', [[1.5, -2], [3, 4]]]);
    const back = await w.matmul(w).to('webgpu');
    expect([back.device, await back.toArray()]).toEqual(['webgpu', [[-3.75, -11], [16.5, 10]]]);
  });
});
