/**
 * The wasm backend's softmax, optimizer, batch-norm and pooling kernels (src/kernels/wasm/c/
 * {softmax,optim,norm,pool}.c) against the cpu reference: odd sizes (rows of 1, 3, 7, 1001
 * classes, odd spatial sizes and channel counts), the families' options, non-contiguous views,
 * NaN / inf, empty tensors, with 1 and 3 threads. A spy on the runtime checks that the C
 * kernel (not the fallback) ran where it should, and with the threads where the work is large.
 *
 * The optimizer, batch-norm apply and pooling kernels compute in doubles in the reference's
 * order, so they are compared for exact equality; softmax and the losses use a float32 exp,
 * so they get a few-ulp tolerance.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { relErr, reseed, rng } from './helpers.js';
import { cellStep, type CellKind } from '../src/nn/functional/recurrent.js';

const F = wg.F;

type Call = { fn: string; parallel: boolean };
const calls: Call[] = [];
let spied = false;

/** Records every rt.run of the wasm backend (the C kernel's name and whether it was split over threads). */
function spy(): void {
  if (spied) return;
  spied = true;
  const rt = (wg.getBackend('wasm') as unknown as { rt: { threads: number; run(fn: string, args: number[], parallel?: boolean): void } }).rt;
  const run = rt.run.bind(rt);
  rt.run = (fn, args, parallel = true) => {
    calls.push({ fn, parallel: parallel && rt.threads > 1 });
    run(fn, args, parallel);
  };
}

/** Runs f, returning the C kernels it called. */
function ran(f: () => void): Call[] {
  const from = calls.length;
  f();
  return calls.slice(from);
}

function data(n: number, low = -3, high = 3): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = low + (high - low) * rng();
  return a;
}

/** The same data as a cpu and a wasm tensor. */
function both(shape: number[], values?: Float32Array | Float64Array | Int32Array, dtype: 'float32' | 'float64' | 'int32' = 'float32'): [Tensor, Tensor] {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = values ?? data(n);
  return [wg.tensor(v, { shape, dtype, device: 'cpu' }), wg.tensor(v, { shape, dtype, device: 'wasm' })];
}

async function close(a: Tensor, b: Tensor, tol: number): Promise<void> {
  expect(a.shape).toEqual(b.shape);
  const err = relErr(await a.data(), await b.data());
  expect(err).toBeLessThanOrEqual(tol);
}

/** Exact equality (NaN equals NaN, -0 differs from 0), reporting the first difference (a diff of large arrays would take minutes). */
async function same(a: Tensor, b: Tensor): Promise<void> {
  expect(a.shape).toEqual(b.shape);
  expect(a.dtype).toBe(b.dtype);
  const [x, y] = [await a.data(), await b.data()];
  let bad = 0;
  let first = -1;
  for (let i = 0; i < x.length; i++) {
    if (!Object.is(x[i], y[i])) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (bad > 0) throw new Error(`${bad} of ${x.length} elements differ; the first at ${first}: ${x[first]} vs ${y[first]}`);
}

/** Each row's relative error (rows along the last dim of a contiguous result). */
async function rowsClose(a: Tensor, b: Tensor, tol: number): Promise<void> {
  expect(a.shape).toEqual(b.shape);
  const C = a.shape[a.shape.length - 1]!;
  const [x, y] = [await a.data(), await b.data()];
  for (let r = 0; r * C < x.length; r++) {
    const err = relErr(x.subarray(r * C, (r + 1) * C), y.subarray(r * C, (r + 1) * C));
    if (!(err <= tol)) throw new Error(`row ${r}: relative error ${err} > ${tol}`);
  }
}

/** The spacing of float32 numbers at v (2^-149 for subnormals). */
function ulp(v: number): number {
  const a = Math.abs(v);
  if (a < 2 ** -126) return 2 ** -149;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

for (const threads of [1, 3]) {
  describe(`wasm kernels against the cpu reference (${threads} threads)`, () => {
    beforeAll(async () => {
      await wg.init({ backend: 'wasm', threads });
      await wg.init({ backend: 'cpu' });
      spy();
      reseed(1234 + threads);
    });

    describe('row normalization (norm.c: layerNorm, groupNorm)', () => {
      it('forward and backward give the cpu reference\'s bits, with and without affine, on the threads when large', async () => {
        for (const [shape, kind, arg, affine] of [[[300, 130], 'layer', 130, true], [[5, 37], 'layer', 37, false], [[3, 6, 5, 7], 'group', 3, true], [[2, 4], 'group', 2, false]] as const) {
          const C = kind === 'layer' ? arg : shape[1]!;
          const [xc, xw] = both([...shape]);
          const [wc, ww] = both([C]);
          const [bc, bw] = both([C]);
          const [gc, gw] = both([...shape]);
          const f = (x: Tensor, w: Tensor, b: Tensor) => {
            const [xl, wl, bl] = [x, w, b].map((t) => t.detach().requiresGrad_());
            const y = kind === 'layer' ? F.layerNorm(xl!, arg, affine ? wl : null, affine ? bl : null) : F.groupNorm(xl!, arg, affine ? wl : null, affine ? bl : null);
            return { y, xl: xl! };
          };
          const ref = f(xc, wc, bc);
          let got!: ReturnType<typeof f>;
          const big = shape[0]! * (shape.length > 1 ? shape.slice(1).reduce((a, c) => a * c, 1) : 1) >= 32768;
          expect(ran(() => (got = f(xw, ww, bw))).filter((c) => c.fn.startsWith('row_norm'))).toEqual([{ fn: 'row_norm_forward_f32', parallel: threads > 1 && big }]);
          await same(got.y, ref.y);
          ref.y.backward(gc);
          expect(ran(() => got.y.backward(gw)).filter((c) => c.fn.startsWith('row_norm'))).toEqual([{ fn: 'row_norm_backward_f32', parallel: threads > 1 && big }]);
          await same(got.xl.grad!, ref.xl.grad!);
        }
      });
    });

    describe('recurrent steps (recurrent.c)', () => {
      const cells: CellKind[] = ['rnnTanh', 'rnnRelu', 'lstm', 'gru'];
      it.each(cells)('%s: the step and its backward run the C kernels (on the threads when large) and match cpu', async (cell) => {
        const G = { rnnTanh: 1, rnnRelu: 1, lstm: 4, gru: 3 }[cell];
        // 70 x 130: over the threads' threshold, and 130 % 4 = 2 units in each row's tail.
        const [B, H] = [70, 130];
        const mask = Float32Array.from({ length: B }, (_, i) => (i % 3 === 2 ? 0 : 1));
        const inputs = [both([B, G * H]), both([B, G * H]), both([G * H]), both([B, H]), both([B, H]), both([B], mask)];
        const g = both(cell === 'lstm' ? [2, B, H] : [B, H]);
        const run = (k: 0 | 1) => {
          const [xg, hg, bias, h, c, m] = inputs.map((p) => p[k].detach().requiresGrad_(p !== inputs[5]));
          const out = cellStep(cell, xg!, hg!, bias!, h!, cell === 'lstm' ? c! : null, m!);
          const wrt = [xg!, hg!, bias!, h!, ...(cell === 'lstm' ? [c!] : [])];
          return { out, grads: () => wg.grad([out], wrt, { gradOutputs: [g[k]], allowUnused: true }) };
        };
        const ref = run(0);
        let got!: ReturnType<typeof run>;
        expect(ran(() => (got = run(1)))).toEqual([{ fn: 'cell_step_f32', parallel: threads > 1 }]);
        await close(got.out, ref.out, 1e-6);
        const refGrads = ref.grads();
        let grads!: (Tensor | null)[];
        expect(ran(() => (grads = got.grads())).filter((c) => c.fn.startsWith('cell_'))).toEqual([{ fn: 'cell_backward_f32', parallel: threads > 1 }]);
        for (let i = 0; i < refGrads.length; i++) await close(grads[i]!, refGrads[i]!, 1e-5);
      });
    });

    describe('softmax / logSoftmax', () => {
      const fns = [['softmax', F.softmax], ['logSoftmax', F.logSoftmax]] as const;

      it('rows of 1, 3, 7, 1001 classes, every dim of a 3-d tensor', async () => {
        for (const [, f] of fns) {
          for (const C of [1, 3, 7, 1001]) {
            const [c, w] = both([5, C]);
            let got!: Tensor;
            expect(ran(() => (got = f(w, -1))).map((x) => x.fn)).toEqual(['softmax_f32']);
            await rowsClose(got, f(c, -1), 2e-6);
          }
          const [c, w] = both([3, 5, 6]);
          for (const dim of [0, 1, 2]) await close(f(w, dim), f(c, dim), 2e-6);
          // Inner columns not a multiple of 4 (the column-vector path and its tail).
          const [c2, w2] = both([2, 9, 7, 3]);
          for (const dim of [0, 1, 2, 3]) await close(f(w2, dim), f(c2, dim), 2e-6);
        }
      });

      it('exp is within 4 ulp over the whole range, subnormal results included', async () => {
        // Each row's max is 0, so x - max is exact and the output is exp(x) / sum, sum ~ 1.
        const R = 64;
        const C = 130;
        const v = new Float32Array(R * C);
        for (let r = 0; r < R; r++) {
          v[r * C] = 0;
          for (let c = 1; c < C; c++) v[r * C + c] = -104 * rng();
        }
        const [c, w] = both([R, C], v);
        const [a, b] = [await F.softmax(w, 1).data(), await F.softmax(c, 1).data()];
        let worst = 0;
        for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / ulp(b[i]!));
        expect(worst).toBeLessThanOrEqual(4);
        // Some of them really are subnormal.
        expect(Array.from(b).some((x) => x > 0 && x < 2 ** -126)).toBe(true);
      });

      it('NaN, +-inf and huge logits, rows of all -inf', async () => {
        const I = Infinity;
        const rows = [
          [1, 2, NaN, 3, 4],
          [-I, -I, -I, -I, -I],
          [0, I, 1, 2, 3],
          [1e4, -1e4, 1e4, 0, 5],
          [-I, 0, -I, 1, -I],
          [-0, -0, -0, -0, -0],
        ];
        const [c, w] = both([rows.length, 5], Float32Array.from(rows.flat()));
        for (const [, f] of fns) {
          await rowsClose(f(w, 1), f(c, 1), 2e-6);
          await rowsClose(f(w.T.contiguous(), 0).T.contiguous(), f(c.T.contiguous(), 0).T.contiguous(), 2e-6);
        }
        expect(Object.is((await F.logSoftmax(w, 1).data())[25], (await F.logSoftmax(c, 1).data())[25])).toBe(true);
        // Rows of 13: a NaN in each part of the max loop (8 at a time, 4 at a time, the tail); zero maxima of either sign.
        const long: number[][] = [];
        for (const at of [5, 9, 12]) long.push(Array.from({ length: 13 }, (_, i) => (i === at ? NaN : i - 6)));
        long.push([-0, ...new Array(12).fill(-200)], [...new Array(12).fill(-200), -0], [0, -0, ...new Array(11).fill(-300)]);
        long.push(new Array(13).fill(-I), [...new Array(12).fill(-1), I]);
        const [cl, wl] = both([long.length, 13], Float32Array.from(long.flat()));
        await same(F.logSoftmax(wl, 1), F.logSoftmax(cl, 1));
        await rowsClose(F.softmax(wl, 1), F.softmax(cl, 1), 2e-6);
      });

      it('non-contiguous views: transposes (C kernel) and stepped slices', async () => {
        for (const [, f] of fns) {
          const [c, w] = both([7, 11]);
          expect(ran(() => void f(w.T, 1)).map((x) => x.fn)).toEqual(['softmax_f32']);
          await close(f(w.T, 1), f(c.T, 1), 2e-6);
          await close(f(w.T, 0), f(c.T, 0), 2e-6);
          const [c3, w3] = both([4, 6, 10]);
          const sl = (t: Tensor) => t.slice(null, [0, null, 2], [1, null, 3]);
          await close(f(sl(w3), 2), f(sl(c3), 2), 2e-6);
          await close(f(sl(w3), 0), f(sl(c3), 0), 2e-6);
          // dims before the class dim that do not merge: the reference runs
          const p = (t: Tensor) => t.permute(1, 0, 2);
          expect(ran(() => void f(p(w3), 2))).toEqual([]);
          await close(f(p(w3), 2), f(p(c3), 2), 2e-6);
        }
      });

      it('empty tensors, and large ones split over the threads', async () => {
        for (const shape of [[0, 5], [5, 0], [0]]) {
          const [c, w] = both(shape);
          await same(F.softmax(w, -1), F.softmax(c, -1));
          await same(F.logSoftmax(w, 0), F.logSoftmax(c, 0));
        }
        const [c, w] = both([300, 1001]);
        let got!: Tensor;
        expect(ran(() => (got = F.softmax(w, 1)))).toEqual([{ fn: 'softmax_f32', parallel: threads > 1 }]);
        await rowsClose(got, F.softmax(c, 1), 2e-6);
        await close(F.logSoftmax(w, 0), F.logSoftmax(c, 0), 2e-6);
        // the column-block path (classes along dim 1 of an image batch) on the threads, odd inner size
        const [ci, wi] = both([4, 37, 31, 33]);
        for (const [, f] of fns) {
          let r!: Tensor;
          expect(ran(() => (r = f(wi, 1)))).toEqual([{ fn: 'softmax_f32', parallel: threads > 1 }]);
          await close(r, f(ci, 1), 2e-6);
        }
      });
    });

    describe('class-index losses (kernels called directly)', () => {
      interface Args { x: Tensor; target: Tensor; weight: Tensor | null; loss: Tensor; rowWeight: Tensor; grad: Tensor }
      function setup(device: 'cpu' | 'wasm', xs: Tensor, t: Int32Array, tShape: number[], w: Float32Array | null): Args {
        return {
          x: xs,
          target: wg.tensor(t, { shape: tShape, dtype: 'int32', device }),
          weight: w ? wg.tensor(w, { device }) : null,
          loss: wg.zeros(tShape, { device }),
          rowWeight: wg.zeros(tShape, { device }),
          grad: wg.zeros(xs.shape as number[], { device }),
        };
      }
      async function compare(x: [Tensor, Tensor], dim: number, t: Int32Array, tShape: number[], w: Float32Array | null, ignore: number, e: number, wantC = true) {
        const [a, b] = [setup('cpu', x[0], t, tShape, w), setup('wasm', x[1], t, tShape, w)];
        wg.getBackend('cpu').softmax.crossEntropy({ ...a, dim, ignoreIndex: ignore }, e, a.grad);
        const k = ran(() => wg.getBackend('wasm').softmax.crossEntropy({ ...b, dim, ignoreIndex: ignore }, e, b.grad));
        if (wantC) expect(k.map((c) => c.fn)).toEqual(['cross_entropy_f32']);
        await close(b.loss, a.loss, 2e-6);
        await same(b.rowWeight, a.rowWeight);
        await close(b.grad, a.grad, 1e-5);
        // nll of the same logits (as if they were log-probabilities)
        const [n1, n2] = [setup('cpu', x[0], t, tShape, w), setup('wasm', x[1], t, tShape, w)];
        wg.getBackend('cpu').softmax.nllLoss({ ...n1, dim, ignoreIndex: ignore });
        const kn = ran(() => wg.getBackend('wasm').softmax.nllLoss({ ...n2, dim, ignoreIndex: ignore }));
        if (wantC) expect(kn.map((c) => c.fn)).toEqual(['nll_loss_f32']);
        await same(n2.loss, n1.loss);
        await same(n2.rowWeight, n1.rowWeight);
      }
      const targets = (n: number, C: number, ignore: number) => Int32Array.from({ length: n }, (_, i) => (i % 5 === 3 ? ignore : Math.floor(rng() * C)));

      it('rows of 1, 3, 7, 1001 classes; weights, ignoreIndex, label smoothing', async () => {
        for (const C of [1, 3, 7, 1001]) {
          for (const e of [0, 0.1]) {
            for (const withW of [false, true]) {
              const N = 9;
              const x = both([N, C]);
              await compare(x, 1, targets(N, C, -100), [N], withW ? data(C, 0.1, 2) : null, -100, e);
              await compare(x, 1, targets(N, C, 2), [N], withW ? data(C, 0.1, 2) : null, 2, e);
            }
          }
        }
      });

      it('classes along dim 1 of [N, C, d] and of a transposed x; large batches on the threads', async () => {
        const x = both([3, 7, 5]);
        await compare(x, 1, targets(15, 7, -100), [3, 5], data(7, 0.5, 1.5), -100, 0.2);
        const xt = both([11, 6]);
        await compare([xt[0].T, xt[1].T], 0, targets(11, 6, -1), [11], null, -1, 0.05);
        const big = both([400, 333]);
        const bt = targets(400, 333, -100);
        const [a, b] = [setup('cpu', big[0], bt, [400], null), setup('wasm', big[1], bt, [400], null)];
        wg.getBackend('cpu').softmax.crossEntropy({ ...a, dim: 1, ignoreIndex: -100 }, 0.1, a.grad);
        expect(ran(() => wg.getBackend('wasm').softmax.crossEntropy({ ...b, dim: 1, ignoreIndex: -100 }, 0.1, b.grad))).toEqual([{ fn: 'cross_entropy_f32', parallel: threads > 1 }]);
        await close(b.loss, a.loss, 2e-6);
        await close(b.grad, a.grad, 1e-5);
        // segmentation-like [N, C, H, W] on the threads (the classes at stride H * W)
        const seg = both([6, 21, 17, 19]);
        const st = targets(6 * 17 * 19, 21, -100);
        const sw = data(21, 0.5, 2);
        const [sa, sb] = [setup('cpu', seg[0], st, [6, 17, 19], sw), setup('wasm', seg[1], st, [6, 17, 19], sw)];
        wg.getBackend('cpu').softmax.crossEntropy({ ...sa, dim: 1, ignoreIndex: -100 }, 0.1, sa.grad);
        expect(ran(() => wg.getBackend('wasm').softmax.crossEntropy({ ...sb, dim: 1, ignoreIndex: -100 }, 0.1, sb.grad))).toEqual([{ fn: 'cross_entropy_f32', parallel: threads > 1 }]);
        await close(sb.loss, sa.loss, 2e-6);
        await same(sb.rowWeight, sa.rowWeight);
        await close(sb.grad, sa.grad, 1e-5);
      });

      it('confident rows: the target gradient p - 1 keeps its digits (16 ulp where float32 p - 1 would keep none); inf logits match the reference', async () => {
        const v = data(4 * 6);
        for (let r = 0; r < 4; r++) v[r * 6 + 2] = 20 + r;
        v[3 * 6 + 4] = -Infinity;
        const x = both([4, 6], v);
        const t = Int32Array.from([2, 2, 2, 2]);
        const [a, b] = [setup('cpu', x[0], t, [4], null), setup('wasm', x[1], t, [4], null)];
        wg.getBackend('cpu').softmax.crossEntropy({ ...a, dim: 1, ignoreIndex: -100 }, 0, a.grad);
        wg.getBackend('wasm').softmax.crossEntropy({ ...b, dim: 1, ignoreIndex: -100 }, 0, b.grad);
        await close(b.loss, a.loss, 2e-6);
        const [ga, gb] = [await a.grad.data(), await b.grad.data()];
        for (let r = 0; r < 3; r++) expect(Math.abs(gb[r * 6 + 2]! - ga[r * 6 + 2]!)).toBeLessThanOrEqual(16 * ulp(ga[r * 6 + 2]!));
        await close(b.grad, a.grad, 1e-5);
      });

      it('the loss functions end to end, a bad target throws the reference error, empty batches', async () => {
        const [c, w] = both([6, 5]);
        const t = [0, 4, 2, -100, 1, 3];
        const tc = wg.tensor(t, { dtype: 'int32', device: 'cpu' });
        const tw = wg.tensor(t, { dtype: 'int32', device: 'wasm' });
        await close(F.crossEntropy(w, tw, { labelSmoothing: 0.1 }), F.crossEntropy(c, tc, { labelSmoothing: 0.1 }), 2e-6);
        await close(F.nllLoss(F.logSoftmax(w, 1), tw), F.nllLoss(F.logSoftmax(c, 1), tc), 2e-6);
        const bad = wg.tensor([0, 5, 1, 1, 1, 1], { dtype: 'int32', device: 'wasm' });
        const badC = wg.tensor([0, 5, 1, 1, 1, 1], { dtype: 'int32', device: 'cpu' });
        let want = '';
        try { F.crossEntropy(c, badC); } catch (e) { want = (e as Error).message; }
        expect(want).toMatch(/out of range/);
        expect(() => F.crossEntropy(w, bad)).toThrow(want);
        expect(() => F.nllLoss(w, bad)).toThrow(/out of range/);
        const [ce, we] = both([0, 4]);
        const te = wg.tensor(new Int32Array(0), { dtype: 'int32', device: 'wasm' });
        const tce = wg.tensor(new Int32Array(0), { dtype: 'int32', device: 'cpu' });
        await same(F.crossEntropy(we, te, { reduction: 'none' }), F.crossEntropy(ce, tce, { reduction: 'none' }));
      });
    });

    describe('optimizers (bit for bit)', () => {
      const kinds: [string, (p: Tensor[]) => { step(): void; zeroGrad?(): void }][] = [
        ['sgd', (p) => new wg.optim.SGD(p, { lr: 0.1 })],
        ['sgd momentum, dampening, weight decay', (p) => new wg.optim.SGD(p, { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 })],
        ['sgd nesterov, maximize', (p) => new wg.optim.SGD(p, { lr: 0.05, momentum: 0.8, nesterov: true, maximize: true })],
        ['adam', (p) => new wg.optim.Adam(p, { lr: 0.01 })],
        ['adam weight decay, amsgrad', (p) => new wg.optim.Adam(p, { lr: 0.01, weightDecay: 0.1, amsgrad: true })],
        ['adamw amsgrad, maximize', (p) => new wg.optim.AdamW(p, { lr: 0.02, weightDecay: 0.05, amsgrad: true, maximize: true })],
        ['rmsprop centered, momentum', (p) => new wg.optim.RMSprop(p, { lr: 0.01, centered: true, momentum: 0.5, weightDecay: 0.01 })],
        ['rmsprop', (p) => new wg.optim.RMSprop(p, { lr: 0.01 })],
        ['adagrad', (p) => new wg.optim.Adagrad(p, { lr: 0.1, initialAccumulatorValue: 0.1, weightDecay: 0.01, lrDecay: 0.01 })],
        ['adadelta', (p) => new wg.optim.Adadelta(p, { lr: 1, weightDecay: 0.01 })],
      ];
      const fnOf: Record<string, string> = { sgd: 'sgd_f32', adam: 'adam_f32', adamw: 'adam_f32', rmsprop: 'rmsprop_f32', adagrad: 'adagrad_f32', adadelta: 'adadelta_f32' };

      for (const [name, make] of kinds) {
        it(name, async () => {
          for (const n of [1, 3, 7, 1001, 300001]) {
            const init = data(n);
            const pc = wg.tensor(init, { device: 'cpu', requiresGrad: true });
            const pw = wg.tensor(init, { device: 'wasm', requiresGrad: true });
            const [oc, ow] = [make([pc]), make([pw])];
            for (let s = 0; s < 3; s++) {
              const g = data(n);
              pc.grad = wg.tensor(g, { device: 'cpu' });
              pw.grad = wg.tensor(g, { device: 'wasm' });
              oc.step();
              const k = ran(() => ow.step()).filter((c) => c.fn.endsWith('_f32'));
              expect(k).toEqual([{ fn: fnOf[name.split(' ')[0]!]!, parallel: n >= 1 << 17 && threads > 1 }]);
            }
            await same(pw.detach(), pc.detach());
          }
        });
      }

      it('an empty parameter', async () => {
        const pw = wg.tensor(new Float32Array(0), { device: 'wasm', requiresGrad: true });
        pw.grad = wg.tensor(new Float32Array(0), { device: 'wasm' });
        new wg.optim.Adam([pw], { lr: 0.1 }).step();
        expect(pw.shape).toEqual([0]);
      });
    });

    describe('batch norm', () => {
      it('stats, apply and backward (kernels called directly) on odd channel counts', async () => {
        for (const [N, C, S] of [[3, 5, 7], [2, 3, 1], [1, 1, 1], [4, 33, 1001], [1, 7, 0]] as const) {
          const [xc, xw] = both([N, C, S], data(N * C * S, -2, 5));
          const [gc, gw] = both([N, C, S]);
          const dev = (d: 'cpu' | 'wasm') => ({ mean: wg.zeros([C], { device: d }), variance: wg.zeros([C], { device: d }), y: wg.zeros([N, C, S], { device: d }), sums: wg.zeros([2 * C], { device: d }), dx: wg.zeros([N, C, S], { device: d }) });
          const [a, b] = [dev('cpu'), dev('wasm')];
          wg.getBackend('cpu').norm.batchNormStats(xc, a.mean, a.variance);
          const k = ran(() => wg.getBackend('wasm').norm.batchNormStats(xw, b.mean, b.variance));
          expect(k).toEqual([{ fn: 'bn_stats_f32', parallel: threads > 1 && C > 1 && N * C * S >= 1 << 17 }]);
          await close(b.mean, a.mean, 1e-7);
          await close(b.variance, a.variance, 1e-7);
          // apply and backward from the same statistics: bit for bit (the sums up to their order)
          const [wc, ww] = both([C], data(C, 0.5, 2));
          const [bc, bw] = both([C]);
          const [mc, mw] = both([C], (await a.mean.data()) as Float32Array);
          const [vc, vw] = both([C], (await a.variance.data()) as Float32Array);
          for (const [wt, bt] of [[true, true], [false, false], [true, false]]) {
            wg.getBackend('cpu').norm.batchNormApply(xc, mc, vc, wt ? wc : null, bt ? bc : null, 1e-5, a.y);
            wg.getBackend('wasm').norm.batchNormApply(xw, mw, vw, wt ? ww : null, bt ? bw : null, 1e-5, b.y);
            await same(b.y, a.y);
            for (const batchStats of [true, false]) {
              wg.getBackend('cpu').norm.batchNormBackward(gc, xc, mc, vc, wt ? wc : null, 1e-5, batchStats, a.sums, a.dx);
              const kb = ran(() => wg.getBackend('wasm').norm.batchNormBackward(gw, xw, mw, vw, wt ? ww : null, 1e-5, batchStats, b.sums, b.dx));
              expect(kb.map((c) => c.fn)).toEqual(['bn_backward_f32']);
              await close(b.sums, a.sums, 1e-7);
              if (N * S > 0) await close(b.dx, a.dx, 1e-6);
            }
          }
        }
      });

      it('F.batchNorm on a permuted input, with gradients, training and eval', async () => {
        const [xc, xw] = both([5, 6, 3, 7]);
        const perm = (t: Tensor) => t.permute(0, 3, 1, 2);
        const run = async (x: Tensor, device: 'cpu' | 'wasm') => {
          const xi = perm(x).detach();
          xi.requiresGrad = true;
          const w = wg.tensor(Float32Array.from({ length: 7 }, (_, i) => 1 + i / 7), { device, requiresGrad: true });
          const b = wg.tensor(Float32Array.from({ length: 7 }, (_, i) => i / 3 - 1), { device, requiresGrad: true });
          const rm = wg.zeros([7], { device });
          const rv = wg.ones([7], { device });
          const y = F.batchNorm(xi, rm, rv, w, b, { training: true });
          y.mul(y).sum().backward();
          const ev = F.batchNorm(xi, rm, rv, w, b, { training: false });
          return [y, xi.grad!, w.grad!, b.grad!, rm, rv, ev];
        };
        const [a, b] = [await run(xc, 'cpu'), await run(xw, 'wasm')];
        for (let i = 0; i < a.length; i++) await close(b[i]!, a[i]!, 1e-5);
      });
    });

    describe('pooling (bit for bit)', () => {
      type Fn = (x: Tensor) => Tensor | [Tensor, Tensor];
      const cases: [string, number[], Fn][] = [
        ['max k 3, odd 7 x 9', [2, 3, 7, 9], (x) => F.maxPool2d(x, 3, { returnIndices: true })],
        ['max k [3, 2], stride [2, 1], padding 1', [2, 3, 9, 7], (x) => F.maxPool2d(x, [3, 2], { stride: [2, 1], padding: 1, returnIndices: true })],
        ['max k 3, stride 2, padding 1, dilation 2', [3, 2, 11, 10], (x) => F.maxPool2d(x, 3, { stride: 2, padding: 1, dilation: 2, returnIndices: true })],
        ['max k 3, stride 2, ceilMode (overlapping)', [2, 2, 8, 9], (x) => F.maxPool2d(x, 3, { stride: 2, ceilMode: true, returnIndices: true })],
        ['max 1 x 1', [1, 1, 1, 1], (x) => F.maxPool2d(x, 1, { returnIndices: true })],
        ['max k 3, stride 1, padding 1 (4 outputs a lane group)', [2, 3, 13, 23], (x) => F.maxPool2d(x, 3, { stride: 1, padding: 1, returnIndices: true })],
        ['max k [2, 3], stride 2, dilation [1, 2], ceilMode', [2, 2, 11, 31], (x) => F.maxPool2d(x, [2, 3], { stride: 2, dilation: [1, 2], ceilMode: true, returnIndices: true })],
        ['max k 2, stride 2, ties everywhere', [1, 2, 8, 40], (x) => F.maxPool2d(x.round(), 2, { returnIndices: true })],
        ['avg k 3, stride 2, padding 1 (countIncludePad)', [2, 3, 9, 7], (x) => F.avgPool2d(x, 3, { stride: 2, padding: 1 })],
        ['avg k [2, 3], padding 1, no pad count, ceilMode', [2, 3, 7, 11], (x) => F.avgPool2d(x, [2, 3], { stride: 2, padding: 1, countIncludePad: false, ceilMode: true })],
        ['avg divisorOverride', [1, 2, 5, 5], (x) => F.avgPool2d(x, 2, { stride: 1, divisorOverride: 3 })],
        ['avg k 3, stride 1, padding 1, no pad count (4 outputs a lane group)', [2, 3, 9, 29], (x) => F.avgPool2d(x, 3, { stride: 1, padding: 1, countIncludePad: false })],
        ['avg k [3, 2], stride 2 (4 outputs a lane group)', [2, 2, 9, 30], (x) => F.avgPool2d(x, [3, 2], { stride: 2 })],
        ['adaptive avg 3 x 4 of 7 x 9', [2, 3, 7, 9], (x) => F.adaptiveAvgPool2d(x, [3, 4])],
        ['adaptive avg 5 x 2 of 3 x 13 (overlapping windows)', [1, 2, 3, 13], (x) => F.adaptiveAvgPool2d(x, [5, 2])],
      ];
      const views: [string, (x: Tensor) => Tensor][] = [
        ['contiguous', (x) => x],
        ['channels-last view', (x) => x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)],
        ['stepped slice', (x) => x.slice(null, null, [0, null, 2], [1, null, 1])],
      ];
      for (const [name, shape, fn] of cases) {
        it(name, async () => {
          for (const [vname, view] of views) {
            const s = vname === 'stepped slice' ? [shape[0]!, shape[1]!, shape[2]! * 2, shape[3]! + 1] : shape;
            const v = data(s.reduce((a, b) => a * b, 1));
            if (v.length > 5) v[3] = NaN;
            for (let i = 7; i < v.length; i += 37) v[i] = NaN; // NaNs in the lane groups too
            for (let i = 11; i < v.length; i += 53) v[i] = -Infinity;
            const [xc, xw] = both(s, v);
            const run = (x: Tensor) => {
              const xi = view(x).detach();
              xi.requiresGrad = true;
              const r = fn(xi);
              const out = Array.isArray(r) ? r[0] : r;
              const gw = wg.tensor(Float32Array.from({ length: out.size }, (_, i) => ((i * 7) % 5) - 2), { shape: out.shape as number[], device: x.device });
              out.mul(gw).sum().backward();
              return [...(Array.isArray(r) ? r : [r]), xi.grad!];
            };
            const a = run(xc);
            const k = ran(() => void run(xw)).map((c) => c.fn);
            expect(k.some((f) => f.endsWith('pool2d_f32'))).toBe(true);
            expect(k.some((f) => f.endsWith('pool2d_backward_f32'))).toBe(true);
            const b = run(xw);
            for (let i = 0; i < a.length; i++) await same(b[i]!, a[i]!);
          }
        });
      }

      it('empty batches, and large inputs on the threads', async () => {
        const [ec, ew] = both([0, 3, 5, 5]);
        await same(F.maxPool2d(ew, 2), F.maxPool2d(ec, 2));
        await same(F.avgPool2d(ew, 2), F.avgPool2d(ec, 2));
        const [bc, bw] = both([4, 16, 64, 64]);
        let got!: [Tensor, Tensor];
        expect(ran(() => (got = F.maxPool2d(bw, 3, { stride: 2, padding: 1, returnIndices: true })))).toEqual([{ fn: 'max_pool2d_f32', parallel: threads > 1 }]);
        const want = F.maxPool2d(bc, 3, { stride: 2, padding: 1, returnIndices: true });
        await same(got[0], want[0]);
        await same(got[1], want[1]);
        await same(F.avgPool2d(bw, 3, { stride: 2, padding: 1 }), F.avgPool2d(bc, 3, { stride: 2, padding: 1 }));
      });
    });
  });
}
