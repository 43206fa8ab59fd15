/**
 * Properties: every op on webgpu equals the cpu reference on random shapes (rank 0..4, dims
 * 0..6), random strided views (transposes, slices with steps and offsets, expanded dims),
 * broadcasts and values, within a relative tolerance (exactly for integer and bool results).
 * Seeds and replay: see ./arbitraries.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';
import { F } from '../../src/index.js';
import type { DeviceName, Tensor } from '../../src/index.js';
import { NO_WEBGPU, expectClose, expectEqual, useDevices } from '../helpers.js';
import { announceSeed, axesOf, broadcastShapes, build, numel, settings, shapeArb, show, viewArb, viewOf } from './arbitraries.js';
import type { Values, ViewSpec } from './arbitraries.js';

useDevices();
announceSeed('tests/properties/devices.test.ts');

/**
 * Runs `make` on cpu and on webgpu (inside tidy: only the results survive) and compares the
 * results: exactly when `tol` is 0 or a result is not float, else within relErr `tol`, or,
 * with `atol`, within `atol` of the reference everywhere.
 */
async function agree(make: (device: DeviceName) => Tensor | Tensor[], tol: number, what: () => string, atol = 0): Promise<void> {
  const run = (device: DeviceName) => wg.tidy(() => {
    const r = make(device);
    return Array.isArray(r) ? r : [r];
  });
  const ref = run('cpu');
  const got = run('webgpu');
  try {
    expect(got.length).toBe(ref.length);
    for (let i = 0; i < ref.length; i++) {
      const floatResult = ref[i]!.dtype === 'float32' || ref[i]!.dtype === 'float64';
      if (tol === 0 || !floatResult) await expectEqual(got[i]!, ref[i]!);
      else if (atol > 0 && maxAbsDiff(await got[i]!.data(), await ref[i]!.data()) <= atol) continue;
      else await expectClose(got[i]!, ref[i]!, tol);
    }
  } catch (e) {
    (e as Error).message = `${what()}: ${(e as Error).message}`;
    throw e;
  } finally {
    for (const t of [...ref, ...got]) t.dispose();
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Object.is(a[i], b[i]) ? 0 : Math.abs(a[i]! - b[i]!));
  return a.length === b.length ? m : Infinity;
}

const POSITIVE: Values = { low: 0.1, high: 3 };

// webgpu only (webgpu against cpu needs webgpu): skipped only when the run declares no adapter (WEBGRAD_TEST_NO_WEBGPU=1; helpers.ts says so).
describe.skipIf(NO_WEBGPU)('properties: webgpu equals cpu', () => {
  it('unary ops on strided views', async () => {
    const ops = ['neg', 'abs', 'square', 'sign', 'relu', 'exp', 'sin', 'cos', 'tanh', 'sigmoid', 'erf', 'log', 'sqrt', 'rsqrt'] as const;
    const positive = new Set(['log', 'sqrt', 'rsqrt']);
    await fc.assert(fc.asyncProperty(fc.constantFrom(...ops), viewArb(), async (op, spec) => {
      const v = positive.has(op) ? POSITIVE : { low: -4, high: 4 };
      await agree((d) => build(spec, d, v)[op](), 1e-5, () => `${op} of ${show(spec)}`);
    }), settings());
  });

  // Regression: WGSL's log has only an absolute error bound on [0.5, 2] (llvmpipe's: log(0.9999)
  // 3e-4 off relatively), which log, elu's expm1 and softplus's log1p inherited.
  it('log near 1, elu near 0 and softplus far below 0 are accurate per element (relative 1e-5)', async () => {
    const cases: [string, (x: Tensor) => Tensor, (x: number) => number, Values][] = [
      ['log', (x) => x.log(), Math.log, { low: 0.5, high: 2 }],
      ['elu', (x) => F.elu(x), Math.expm1, { low: -1e-3, high: 0 }],
      ['softplus', (x) => F.softplus(x), (x) => Math.log1p(Math.exp(x)), { low: -16, high: -4 }],
    ];
    await fc.assert(fc.asyncProperty(fc.constantFrom(...cases), viewArb({ minRank: 1, minDim: 1 }), async ([name, f, ref, v], spec) => {
      const [x, y] = wg.tidy(() => {
        const t = build(spec, 'webgpu', v);
        return [t.contiguous(), f(t)];
      });
      const [X, Y] = await Promise.all([x.data(), y.data()]);
      x.dispose();
      y.dispose();
      const bad = Array.from(Y).findIndex((yi, i) => !(Math.abs(yi - ref(X[i]!)) <= 1e-5 * Math.abs(ref(X[i]!))));
      expect(bad, `${name}(${X[bad]}) = ${Y[bad]} on webgpu, expected ${ref(X[bad]!)}`).toBe(-1);
    }), settings());
  });

  it('int32 unary ops (neg, abs, square, sign, relu) are exact', async () => {
    const ops = ['neg', 'abs', 'square', 'sign', 'relu'] as const;
    await fc.assert(fc.asyncProperty(fc.constantFrom(...ops), viewArb(), async (op, spec) => {
      await agree((d) => build(spec, d, { low: -1000, high: 1000, dtype: 'int32' })[op](), 0, () => `${op} of ${show(spec)}`);
    }), settings());
  });

  it('activations of nn.functional on strided views', async () => {
    // gelu: 0.5 x (1 + erf(x / sqrt 2)) cancels for x < -3 (as PyTorch's float32 form does):
    // the webgpu erf's absolute error (1.5e-7, shaders/lib/math_f32.wgsl) times |x| <= 5 bounds
    // it; the same for the tanh form's 1 + tanh(z) (float32 rounding of tanh near -1).
    const acts: [string, (x: Tensor) => Tensor, number?][] = [
      ['leakyRelu', (x) => F.leakyRelu(x, 0.1)],
      ['elu', (x) => F.elu(x, 0.7)],
      ['gelu', (x) => F.gelu(x), 1e-6],
      ['gelu tanh', (x) => F.gelu(x, { approximate: 'tanh' }), 1e-6],
      ['silu', (x) => F.silu(x)],
      ['softplus', (x) => F.softplus(x, { beta: 2, threshold: 5 })],
      ['hardtanh', (x) => F.hardtanh(x, -0.5, 1.5)],
    ];
    await fc.assert(fc.asyncProperty(fc.constantFrom(...acts), viewArb(), async ([name, f, atol], spec) => {
      await agree((d) => f(build(spec, d, { low: -5, high: 5 })), 1e-5, () => `${name} of ${show(spec)}`, atol);
    }), settings());
  });

  it('binary float ops with broadcasting, on views', async () => {
    const ops = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'] as const;
    const arb = broadcastShapes(2).chain(({ out, operands }) => fc.tuple(fc.constant(out), viewOf(operands[0]!), viewOf(operands[1]!)));
    await fc.assert(fc.asyncProperty(fc.constantFrom(...ops), arb, async (op, [out, sa, sb]) => {
      const va = op === 'pow' ? POSITIVE : {};
      const vb = op === 'div' ? { low: 0.25, high: 2, signed: true } : {};
      await agree((d) => {
        const y = build(sa, d, va)[op](build(sb, d, vb));
        expect(y.shape).toEqual(out);
        return y;
      }, 1e-5, () => `${op} of ${show(sa)} and ${show(sb)}`);
    }), settings());
  });

  it('binary ops with a scalar operand', async () => {
    const ops = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'] as const;
    await fc.assert(fc.asyncProperty(fc.constantFrom(...ops), viewArb(), fc.double({ min: -3, max: 3, noNaN: true }), async (op, spec, s) => {
      const v = op === 'pow' ? POSITIVE : {};
      await agree((d) => build(spec, d, v)[op](s), 1e-5, () => `${op}(${show(spec)}, ${s})`);
    }), settings());
  });

  it('comparisons give the same bools (values on a grid of 0.5, so ties are common)', async () => {
    const ops = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const;
    const arb = broadcastShapes(2).chain(({ operands }) => fc.tuple(viewOf(operands[0]!), viewOf(operands[1]!)));
    await fc.assert(fc.asyncProperty(fc.constantFrom(...ops), arb, async (op, [sa, sb]) => {
      const q = { low: -2, high: 2, quantum: 0.5 };
      await agree((d) => build(sa, d, q)[op](build(sb, d, q)), 0, () => `${op} of ${show(sa)} and ${show(sb)}`);
    }), settings());
  });

  it('float16 binary ops with broadcasting, on views, are exact (float32 arithmetic rounded once on both)', async () => {
    const ops = ['add', 'sub', 'mul', 'maximum', 'minimum', 'lt'] as const;
    const arb = broadcastShapes(2).chain(({ operands }) => fc.tuple(viewOf(operands[0]!), viewOf(operands[1]!)));
    await fc.assert(fc.asyncProperty(fc.constantFrom(...ops), arb, async (op, [sa, sb]) => {
      const v: Values = { low: -300, high: 300, dtype: 'float16' };
      await agree((d) => build(sa, d, v)[op](build(sb, d, v)), 0, () => `${op} of float16 ${show(sa)} and ${show(sb)}`);
    }), settings());
  });

  it('int32 binary ops with broadcasting are exact (wrapping on overflow)', async () => {
    const ops = ['add', 'sub', 'mul', 'maximum', 'minimum', 'eq', 'lt', 'ge'] as const;
    const arb = broadcastShapes(2).chain(({ operands }) => fc.tuple(viewOf(operands[0]!), viewOf(operands[1]!)));
    await fc.assert(fc.asyncProperty(fc.constantFrom(...ops), arb, async (op, [sa, sb]) => {
      const v: Values = { low: -70000, high: 70000, dtype: 'int32' };
      await agree((d) => build(sa, d, v)[op](build(sb, d, v)), 0, () => `${op} of ${show(sa)} and ${show(sb)}`);
    }), settings());
  });

  it('reductions over random axes, with and without keepdim', async () => {
    const ops = ['sum', 'mean', 'prod', 'max', 'min', 'var', 'std', 'logsumexp'] as const;
    const arb = viewArb().chain((spec) => fc.tuple(fc.constant(spec), fc.option(axesOf(spec.shape.length), { nil: undefined }), fc.boolean()));
    await fc.assert(fc.asyncProperty(fc.constantFrom(...ops), arb, async (op, [spec, axes, keepdim]) => {
      const reduced = axes === undefined ? spec.shape : axes.map((a) => spec.shape[a]!);
      // max and min of nothing are errors (tested below); prod walks far in float32 on wide ranges
      fc.pre(!((op === 'max' || op === 'min') && numel(reduced) === 0));
      const v = op === 'prod' ? { low: 0.7, high: 1.3 } : {};
      // var/std of a constant row (an expanded axis) is 0 up to the rounding of its mean: an
      // absolute 1e-6 for values within 2 of 0, where a relative error would be infinite
      const atol = op === 'var' || op === 'std' ? 1e-6 : 0;
      await agree((d) => build(spec, d, v)[op](axes ?? null, keepdim), 1e-4, () => `${op}(${axes ?? 'all'}, keepdim ${keepdim}) of ${show(spec)}`, atol);
    }), settings());
  });

  it('max and min over an empty axis are refused on both devices with the same message', async () => {
    await fc.assert(fc.asyncProperty(viewArb({ minRank: 1 }).filter((s) => s.shape.includes(0)), fc.constantFrom('max', 'min', 'argmax') as fc.Arbitrary<'max' | 'min' | 'argmax'>, async (spec, op) => {
      const dimIdx = spec.shape.indexOf(0);
      const message = (d: DeviceName) => {
        try {
          wg.tidy(() => build(spec, d)[op](dimIdx));
          return 'no error';
        } catch (e) {
          return (e as Error).message;
        }
      };
      const cpu = message('cpu');
      expect(cpu).toMatch(new RegExp(`^${op}`));
      expect(message('webgpu')).toBe(cpu);
    }), settings(15));
  });

  it('int32 sum, prod, max, min over random axes are exact', async () => {
    const ops = ['sum', 'prod', 'max', 'min'] as const;
    const arb = viewArb().chain((spec) => fc.tuple(fc.constant(spec), axesOf(spec.shape.length), fc.boolean()));
    await fc.assert(fc.asyncProperty(fc.constantFrom(...ops), arb, async (op, [spec, axes, keepdim]) => {
      fc.pre(!((op === 'max' || op === 'min') && numel(axes.map((a) => spec.shape[a]!)) === 0));
      await agree((d) => build(spec, d, { low: -50, high: 50, dtype: 'int32' })[op](axes, keepdim), 0, () => `${op}(${axes}) of ${show(spec)}`);
    }), settings());
  });

  it('argmax and argmin over a random axis or all (ties on a grid: the first occurrence wins)', async () => {
    const arb = viewArb({ minDim: 1 }).chain((spec) => fc.tuple(fc.constant(spec), spec.shape.length ? fc.option(fc.integer({ min: 0, max: spec.shape.length - 1 }), { nil: null }) : fc.constant(null), fc.boolean()));
    await fc.assert(fc.asyncProperty(fc.constantFrom('argmax', 'argmin') as fc.Arbitrary<'argmax' | 'argmin'>, arb, async (op, [spec, dim, keepdim]) => {
      await agree((d) => build(spec, d, { quantum: 0.5 })[op](dim, keepdim), 0, () => `${op}(${dim}, keepdim ${keepdim}) of ${show(spec)}`);
    }), settings());
  });

  it('matmul: 1-D, 2-D, batched and broadcast batch dims, on strided operands', async () => {
    const arb = fc.record({
      m: fc.integer({ min: 0, max: 6 }), k: fc.integer({ min: 0, max: 6 }), n: fc.integer({ min: 0, max: 6 }),
      aVec: fc.boolean(), bVec: fc.boolean(), batch: broadcastShapes(2, { maxRank: 2, maxDim: 3 }),
    }).chain(({ m, k, n, aVec, bVec, batch }) => {
      const a = aVec ? [k] : [...batch.operands[0]!, m, k];
      const b = bVec ? [k] : [...batch.operands[1]!, k, n];
      return fc.tuple(viewOf(a), viewOf(b));
    });
    await fc.assert(fc.asyncProperty(arb, async ([sa, sb]) => {
      await agree((d) => build(sa, d).matmul(build(sb, d)), 1e-5, () => `matmul of ${show(sa)} and ${show(sb)}`);
    }), settings());
  });

  it('int32 matmul is exact', async () => {
    const arb = fc.tuple(dimArb(), dimArb(), dimArb()).chain(([m, k, n]) => fc.tuple(viewOf([m, k]), viewOf([k, n])));
    await fc.assert(fc.asyncProperty(arb, async ([sa, sb]) => {
      const v: Values = { low: -100, high: 100, dtype: 'int32' };
      await agree((d) => build(sa, d, v).matmul(build(sb, d, v)), 0, () => `matmul of ${show(sa)} and ${show(sb)}`);
    }), settings());
  });

  it('views, contiguous() and reshape copy the same elements (float32, float16, int32, bool)', async () => {
    await fc.assert(fc.asyncProperty(viewArb(), fc.constantFrom('float32', 'float16', 'int32', 'bool') as fc.Arbitrary<'float32' | 'float16' | 'int32' | 'bool'>, async (spec, dtype) => {
      await agree((d) => {
        const x = build(spec, d, { dtype, low: -100, high: 100 });
        return [x.contiguous(), x.reshape(-1), x.flatten(), x.clone()];
      }, 0, () => `views of ${show(spec)} (${dtype})`);
    }), settings());
  });

  it('cat and stack of strided views along a random dim', async () => {
    const arb = fc.record({ shape: shapeArb({ minRank: 1, maxRank: 3 }), count: fc.integer({ min: 1, max: 3 }), sizes: fc.array(dimArb(), { minLength: 3, maxLength: 3 }) })
      .chain(({ shape, count, sizes }) => fc.integer({ min: 0, max: shape.length - 1 }).chain((dim) =>
        fc.tuple(
          fc.constant(dim),
          fc.tuple(...Array.from({ length: count }, (_, i) => viewOf(shape.map((s, j) => (j === dim ? sizes[i]! : s))))),
          fc.tuple(...Array.from({ length: count }, () => viewOf(shape))),
        )));
    await fc.assert(fc.asyncProperty(arb, async ([dim, catSpecs, stackSpecs]) => {
      await agree((d) => [wg.cat(catSpecs.map((s) => build(s, d)), dim), wg.stack(stackSpecs.map((s) => build(s, d)), dim)], 0, () => `cat/stack dim ${dim} of ${catSpecs.map(show).join('; ')}`);
    }), settings());
  });

  it('gather and indexSelect with random indices, on strided inputs', async () => {
    const arb = viewArb({ minRank: 1, minDim: 1 }).chain((spec) => fc.tuple(
      fc.constant(spec),
      fc.integer({ min: 0, max: spec.shape.length - 1 }),
      fc.integer({ min: 0, max: 6 }),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    ));
    await fc.assert(fc.asyncProperty(arb, async ([spec, dim, len, seed]) => {
      const size = spec.shape[dim]!;
      const gShape = spec.shape.map((s, j) => (j === dim ? len : s));
      await agree((d) => {
        const x = build(spec, d);
        const idx = build({ shape: gShape, perm: gShape.map((_, i) => i), axes: gShape.map(() => ({ kind: 'plain' })), seed } as ViewSpec, d, { low: 0, high: size, dtype: 'int32' });
        const sel = build({ shape: [len], perm: [0], axes: [{ kind: 'plain' }], seed }, d, { low: 0, high: size, dtype: 'int32' });
        return [x.gather(dim, idx), x.indexSelect(dim, sel)];
      }, 0, () => `gather/indexSelect dim ${dim} of ${show(spec)}`);
    }), settings());
  });

  it('softmax and logSoftmax over a random dim', async () => {
    const arb = viewArb({ minRank: 1 }).chain((spec) => fc.tuple(fc.constant(spec), fc.integer({ min: 0, max: spec.shape.length - 1 })));
    await fc.assert(fc.asyncProperty(arb, async ([spec, dim]) => {
      await agree((d) => {
        const x = build(spec, d, { low: -8, high: 8 });
        return [F.softmax(x, dim), F.logSoftmax(x, dim)];
      }, 1e-5, () => `softmax dim ${dim} of ${show(spec)}`);
    }), settings());
  });

  it('where with a broadcast condition and branches', async () => {
    const arb = broadcastShapes(3).chain(({ operands }) => fc.tuple(...operands.map((s) => viewOf(s))));
    await fc.assert(fc.asyncProperty(arb, async ([sc, sa, sb]) => {
      await agree((d) => wg.where(build(sc!, d).gt(0), build(sa!, d), build(sb!, d)), 0, () => `where of ${show(sc!)}, ${show(sa!)}, ${show(sb!)}`);
    }), settings());
  });

  it('clamp with scalar and broadcast tensor bounds', async () => {
    const arb = broadcastShapes(3).chain(({ operands }) => fc.tuple(...operands.map((s) => viewOf(s))));
    await fc.assert(fc.asyncProperty(arb, fc.double({ min: -1, max: 0, noNaN: true }), async ([sx, sl, sh], lo) => {
      await agree((d) => {
        const x = build(sx!, d);
        return [x.clamp(lo, lo + 1), x.clamp(null, lo), x.clamp(build(sl!, d, { low: -2, high: 0 }), build(sh!, d, { low: 0, high: 2 }))];
      }, 0, () => `clamp of ${show(sx!)}`);
    }), settings());
  });

  it('cast between float32, int32 and bool', async () => {
    const types = ['float32', 'int32', 'bool'] as const;
    await fc.assert(fc.asyncProperty(viewArb(), fc.constantFrom(...types), fc.constantFrom(...types), async (spec, from, to) => {
      await agree((d) => build(spec, d, { dtype: from, low: -300, high: 300, quantum: from === 'float32' ? 0.25 : undefined }).cast(to), 0, () => `cast ${from} -> ${to} of ${show(spec)}`);
    }), settings());
  });
});

function dimArb() {
  return fc.integer({ min: 0, max: 6 });
}
