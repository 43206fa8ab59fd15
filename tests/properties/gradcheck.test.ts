/**
 * Properties: every differentiable op passes gradcheck (float64 on cpu: the analytic Jacobian
 * from the backward rules against central finite differences) on random small shapes. The
 * leaves are contiguous bases; the function under test builds the strided view (transpose,
 * slices with steps, expanded dims) itself, so the views' backward rules are checked too.
 * Shapes stay small (gradcheck costs a backward pass per output element and two forward
 * passes per input element). Seeds and replay: see ./arbitraries.ts.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import * as wg from '../../src/index.js';
import { F } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { useDevices } from '../helpers.js';
import { announceSeed, axesOf, baseOf, baseSize, broadcastShapes, numel, settings, shapeArb, show, viewArb, viewFrom, viewOf } from './arbitraries.js';
import type { Values, ViewSpec } from './arbitraries.js';

useDevices();
announceSeed('tests/properties/gradcheck.test.ts');

const SMALL = { maxRank: 3, maxDim: 4 };
/** Keeps a case cheap: the base and the view hold at most `limit` elements. */
const small = (spec: ViewSpec, limit = 48) => baseSize(spec) <= limit && numel(spec.shape) <= limit;
const smallView = (o: { minRank?: number; minDim?: number; expand?: boolean } = {}) => viewArb({ ...SMALL, ...o }).filter((s) => small(s));

/** A float64 cpu leaf (requiring grad) holding the base of `spec`. */
function leaf(spec: ViewSpec, v: Values = {}): Tensor {
  const t = baseOf(spec, 'cpu', { ...v, dtype: 'float64' });
  t.requiresGrad = true;
  return t;
}

/** gradcheck of fn over the leaves, with the case in the message on failure. */
async function check(fn: (...xs: Tensor[]) => Tensor | Tensor[], leaves: Tensor[], what: () => string): Promise<void> {
  try {
    await wg.gradcheck(fn, leaves);
  } catch (e) {
    (e as Error).message = `${what()}: ${(e as Error).message}`;
    throw e;
  }
}

describe('properties: gradcheck (float64, cpu) on random shapes and views', () => {
  it('unary ops and activations', async () => {
    const ops: [string, (x: Tensor) => Tensor, Values?][] = [
      ['neg', (x) => x.neg()], ['exp', (x) => x.exp()], ['sin', (x) => x.sin()], ['cos', (x) => x.cos()],
      ['tanh', (x) => x.tanh()], ['sigmoid', (x) => x.sigmoid()], ['square', (x) => x.square()], ['erf', (x) => x.erf()],
      ['abs', (x) => x.abs(), { low: 0.1, high: 2, signed: true }], ['relu', (x) => x.relu(), { low: 0.1, high: 2, signed: true }],
      ['log', (x) => x.log(), { low: 0.2, high: 3 }], ['sqrt', (x) => x.sqrt(), { low: 0.2, high: 3 }], ['rsqrt', (x) => x.rsqrt(), { low: 0.2, high: 3 }],
      ['gelu', (x) => F.gelu(x)], ['gelu tanh', (x) => F.gelu(x, { approximate: 'tanh' })], ['silu', (x) => F.silu(x)],
      ['elu', (x) => F.elu(x, 0.5), { low: 0.1, high: 2, signed: true }], ['softplus', (x) => F.softplus(x, { beta: 2 })],
      ['leakyRelu', (x) => F.leakyRelu(x, 0.2), { low: 0.1, high: 2, signed: true }],
    ];
    await fc.assert(fc.asyncProperty(fc.constantFrom(...ops), smallView(), async ([name, f, v], spec) => {
      await check((x) => f(viewFrom(spec, x)), [leaf(spec, v)], () => `${name} of ${show(spec)}`);
    }), settings());
  });

  it('binary ops with broadcasting', async () => {
    const ops: [string, (a: Tensor, b: Tensor) => Tensor, Values?, Values?][] = [
      ['add', (a, b) => a.add(b)], ['sub', (a, b) => a.sub(b)], ['mul', (a, b) => a.mul(b)],
      ['div', (a, b) => a.div(b), {}, { low: 0.5, high: 2, signed: true }],
      ['pow', (a, b) => a.pow(b), { low: 0.5, high: 2 }],
      // maximum/minimum: a in [-2, -0.5) u [0.5, 2) and b in (-0.5, 0.5) never tie
      ['maximum', (a, b) => a.maximum(b), { low: 0.5, high: 2, signed: true }, { low: -0.4, high: 0.4 }],
      ['minimum', (a, b) => a.minimum(b), { low: 0.5, high: 2, signed: true }, { low: -0.4, high: 0.4 }],
    ];
    const arb = broadcastShapes(2, SMALL).chain(({ operands }) => fc.tuple(viewOf(operands[0]!), viewOf(operands[1]!))).filter(([a, b]) => small(a) && small(b));
    await fc.assert(fc.asyncProperty(fc.constantFrom(...ops), arb, async ([name, f, va, vb], [sa, sb]) => {
      await check((a, b) => f(viewFrom(sa, a), viewFrom(sb, b)), [leaf(sa, va), leaf(sb, vb)], () => `${name} of ${show(sa)} and ${show(sb)}`);
    }), settings());
  });

  it('reductions over random axes, with and without keepdim', async () => {
    const ops = ['sum', 'mean', 'prod', 'max', 'min', 'var', 'std', 'logsumexp'] as const;
    const arb = fc.constantFrom(...ops).chain((op) => {
      // No expanded axes for max/min (ties) and std (a constant row has std 0, where the
      // gradient is 0/0 = NaN, as in PyTorch, while finite differences see a flat 0).
      const views = smallView({ expand: op !== 'max' && op !== 'min' && op !== 'std' });
      return views.chain((spec) => fc.tuple(fc.constant(op), fc.constant(spec), fc.option(axesOf(spec.shape.length), { nil: undefined }), fc.boolean()));
    });
    await fc.assert(fc.asyncProperty(arb, async ([op, spec, axes, keepdim]) => {
      const n = numel(axes === undefined ? spec.shape : axes.map((a) => spec.shape[a]!));
      fc.pre(!((op === 'max' || op === 'min') && n === 0)); // refused (tests/properties/devices.test.ts)
      fc.pre(!((op === 'var' || op === 'std') && n < 2)); // one element: 0/0, NaN as in PyTorch
      // over nothing: mean is NaN and logsumexp -inf, where finite differences give NaN
      fc.pre(!((op === 'logsumexp' || op === 'mean') && n === 0));
      // prod: no zeros (its rule divides by the product where it can)
      const v: Values = op === 'prod' ? { low: 0.5, high: 1.5, signed: true } : {};
      await check((x) => viewFrom(spec, x)[op](axes ?? null, keepdim), [leaf(spec, v)], () => `${op}(${axes ?? 'all'}, keepdim ${keepdim}) of ${show(spec)}`);
    }), settings());
  });

  it('matmul: 1-D, 2-D, batched and broadcast batch dims, on strided operands', async () => {
    const arb = fc.record({
      m: fc.integer({ min: 0, max: 4 }), k: fc.integer({ min: 0, max: 4 }), n: fc.integer({ min: 0, max: 4 }),
      aVec: fc.boolean(), bVec: fc.boolean(), batch: broadcastShapes(2, { maxRank: 2, maxDim: 2 }),
    }).chain(({ m, k, n, aVec, bVec, batch }) => fc.tuple(viewOf(aVec ? [k] : [...batch.operands[0]!, m, k]), viewOf(bVec ? [k] : [...batch.operands[1]!, k, n])))
      .filter(([a, b]) => small(a) && small(b));
    await fc.assert(fc.asyncProperty(arb, async ([sa, sb]) => {
      await check((a, b) => viewFrom(sa, a).matmul(viewFrom(sb, b)), [leaf(sa), leaf(sb)], () => `matmul of ${show(sa)} and ${show(sb)}`);
    }), settings());
  });

  it('views: contiguous, reshape, flatten, squeeze/unsqueeze, select, narrow', async () => {
    const arb = smallView().chain((spec) => fc.tuple(fc.constant(spec), fc.nat(), fc.nat()));
    await fc.assert(fc.asyncProperty(arb, async ([spec, r1, r2]) => {
      await check((x) => {
        const v = viewFrom(spec, x);
        const outs = [v.contiguous(), v.reshape(-1), v.unsqueeze(r1 % (v.ndim + 1)).squeeze()];
        if (v.ndim > 0) {
          const d = r1 % v.ndim;
          const size = v.shape[d]!;
          if (size > 0) outs.push(v.select(d, r2 % size), v.narrow(d, r2 % size, size - (r2 % size)));
          outs.push(v.flatten(d));
        }
        // weights make each output's elements distinguishable in the Jacobian
        return outs.map((o, i) => o.mul(i + 1));
      }, [leaf(spec)], () => `views of ${show(spec)}`);
    }), settings());
  });

  it('cat and stack along a random dim', async () => {
    const arb = fc.record({ shape: shapeArb({ minRank: 1, ...SMALL }), count: fc.integer({ min: 1, max: 3 }), sizes: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 3, maxLength: 3 }) })
      .chain(({ shape, count, sizes }) => fc.integer({ min: 0, max: shape.length - 1 }).chain((dim) => fc.tuple(
        fc.constant(dim),
        fc.tuple(...Array.from({ length: count }, (_, i) => viewOf(shape.map((s, j) => (j === dim ? sizes[i]! : s))))),
      )))
      .filter(([, specs]) => specs.every((s) => small(s, 24)));
    await fc.assert(fc.asyncProperty(arb, async ([dim, specs]) => {
      await check((...xs) => {
        const vs = xs.map((x, i) => viewFrom(specs[i]!, x));
        return [wg.cat(vs, dim), wg.stack(vs.map((v) => v.narrow(dim, 0, Math.min(...vs.map((u) => u.shape[dim]!)))), dim)];
      }, specs.map((s) => leaf(s)), () => `cat/stack dim ${dim} of ${specs.map(show).join('; ')}`);
    }), settings());
  });

  it('gather and indexSelect (repeated indices accumulate)', async () => {
    const arb = smallView({ minRank: 1, minDim: 1 }).chain((spec) => fc.tuple(fc.constant(spec), fc.integer({ min: 0, max: spec.shape.length - 1 }), fc.integer({ min: 0, max: 4 }), fc.nat()));
    await fc.assert(fc.asyncProperty(arb, async ([spec, dim, len, seed]) => {
      const size = spec.shape[dim]!;
      const gShape = spec.shape.map((s, j) => (j === dim ? len : s));
      const plain = (shape: number[]): ViewSpec => ({ shape, perm: shape.map((_, i) => i), axes: shape.map(() => ({ kind: 'plain' })), seed });
      const idx = baseOf(plain(gShape), 'cpu', { low: 0, high: size, dtype: 'int32' });
      const sel = baseOf(plain([len]), 'cpu', { low: 0, high: size, dtype: 'int32' });
      await check((x) => {
        const v = viewFrom(spec, x);
        return [v.gather(dim, idx), v.indexSelect(dim, sel)];
      }, [leaf(spec)], () => `gather/indexSelect dim ${dim} of ${show(spec)}`);
    }), settings());
  });

  it('softmax and logSoftmax over a random dim', async () => {
    const arb = smallView({ minRank: 1 }).chain((spec) => fc.tuple(fc.constant(spec), fc.integer({ min: 0, max: spec.shape.length - 1 })));
    await fc.assert(fc.asyncProperty(arb, async ([spec, dim]) => {
      await check((x) => {
        const v = viewFrom(spec, x);
        return [F.softmax(v, dim), F.logSoftmax(v, dim)];
      }, [leaf(spec, { low: -3, high: 3 })], () => `softmax dim ${dim} of ${show(spec)}`);
    }), settings());
  });

  it('where with a broadcast condition, and clamp with scalar and tensor bounds', async () => {
    const arb = broadcastShapes(3, SMALL).chain(({ operands }) => fc.tuple(...operands.map((s) => viewOf(s)))).filter((ss) => ss.every((s) => small(s, 32)));
    await fc.assert(fc.asyncProperty(arb, async ([sc, sa, sb]) => {
      const cond = viewFrom(sc!, baseOf(sc!, 'cpu')).gt(0);
      // clamp: |x| >= 0.5 and the bounds within 0.4 of 0, so no value sits on a bound
      await check((a, b) => {
        const x = viewFrom(sa!, a);
        const lo = viewFrom(sb!, b).mul(0.2).sub(0.3); // in [-0.4, -0.2)
        return [wg.where(cond, x, viewFrom(sb!, b)), x.clamp(-0.3, 0.3), x.clamp(lo, null)];
      }, [leaf(sa!, { low: 0.5, high: 2, signed: true }), leaf(sb!, { low: -0.5, high: 0.5 })], () => `where/clamp of ${show(sc!)}, ${show(sa!)}, ${show(sb!)}`);
    }), settings());
  });

  it('losses: crossEntropy (with label smoothing), mseLoss, binaryCrossEntropyWithLogits', async () => {
    const arb = fc.record({ n: fc.integer({ min: 1, max: 4 }), c: fc.integer({ min: 1, max: 5 }), seed: fc.nat(), smoothing: fc.constantFrom(0, 0.1) });
    await fc.assert(fc.asyncProperty(arb, async ({ n, c, seed, smoothing }) => {
      const plain = (shape: number[], s: number): ViewSpec => ({ shape, perm: shape.map((_, i) => i), axes: shape.map(() => ({ kind: 'plain' })), seed: s });
      const target = baseOf(plain([n], seed), 'cpu', { low: 0, high: c, dtype: 'int32' });
      const y = baseOf(plain([n, c], seed + 1), 'cpu', { dtype: 'float64' });
      const p = baseOf(plain([n, c], seed + 2), 'cpu', { low: 0, high: 1, dtype: 'float64' });
      await check((x) => [
        F.crossEntropy(x, target, { labelSmoothing: smoothing }),
        F.mseLoss(x, y),
        F.binaryCrossEntropyWithLogits(x, p),
      ], [leaf(plain([n, c], seed + 3), { low: -3, high: 3 })], () => `losses of [${n}, ${c}]`);
    }), settings());
  });
});
