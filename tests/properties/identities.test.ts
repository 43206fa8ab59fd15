/**
 * Properties on each device: ops on strided views equal the same ops on contiguous copies,
 * and algebraic identities hold (exactly where float32 rounding allows, else within a
 * relative tolerance). Seeds and replay: see ./arbitraries.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';
import { F } from '../../src/index.js';
import type { DeviceName, Tensor } from '../../src/index.js';
import { DEVICES, expectClose, expectEqual, useDevices } from '../helpers.js';
import { announceSeed, axesOf, broadcastShapes, build, numel, settings, shapeArb, show, viewArb, viewOf } from './arbitraries.js';

useDevices();
announceSeed('tests/properties/identities.test.ts');

/** Builds `[actual, expected]` inside tidy, compares (exactly when tol is 0), disposes both. */
async function same(make: () => [Tensor, Tensor], tol: number, what: () => string): Promise<void> {
  const [a, b] = wg.tidy(make);
  try {
    if (tol === 0) await expectEqual(a, b);
    else await expectClose(a, b, tol);
  } catch (e) {
    (e as Error).message = `${what()}: ${(e as Error).message}`;
    throw e;
  } finally {
    a.dispose();
    b.dispose();
  }
}

/**
 * Builds `[a, b, absSum]` inside tidy and checks |a - b| <= 2 (n - 1) 2^-24 absSum elementwise:
 * the rounding bound of two float32 sums of n terms each, whatever their order (absSum: the
 * sum of the terms' magnitudes). A relative error of the results would fail on cancellation.
 */
async function sumsAgree(make: () => [Tensor, Tensor, Tensor], n: number, what: () => string): Promise<void> {
  const ts = wg.tidy(make);
  const [A, B, S] = await Promise.all(ts.map((t) => t.data()));
  for (const t of ts) t.dispose();
  expect(A.length, what()).toBe(B.length);
  const bound = 2 * Math.max(n - 1, 1) * 2 ** -24;
  const bad = Array.from(A).findIndex((v, i) => !(Math.abs(v - B[i]!) <= bound * S[i]!));
  expect(bad, `${what()}: element ${bad}: ${A[bad]} vs ${B[bad]} (sum of magnitudes ${S[bad]})`).toBe(-1);
}

describe.each(DEVICES)('properties on %s: views commute with contiguous()', (device: DeviceName) => {
  it('elementwise ops on a view equal the same ops on its contiguous copy, exactly', async () => {
    const arb = broadcastShapes(2).chain(({ operands }) => fc.tuple(viewOf(operands[0]!), viewOf(operands[1]!)));
    await fc.assert(fc.asyncProperty(arb, async ([sa, sb]) => {
      await same(() => {
        const a = build(sa, device);
        const b = build(sb, device);
        const f = (x: Tensor, y: Tensor) => x.mul(y).add(x.exp()).maximum(y.tanh());
        return [f(a, b), f(a.contiguous(), b.contiguous())];
      }, 0, () => `${show(sa)}, ${show(sb)}`);
    }), settings());
  });

  it('reductions of a view equal those of its contiguous copy', async () => {
    const ops = ['sum', 'amax', 'argmax', 'logsumexp'] as const;
    const arb = viewArb({ minDim: 1 }).chain((spec) => fc.tuple(fc.constant(spec), spec.shape.length ? fc.integer({ min: 0, max: spec.shape.length - 1 }) : fc.constant(null)));
    await fc.assert(fc.asyncProperty(fc.constantFrom(...ops), arb, async (op, [spec, dim]) => {
      await same(() => {
        const x = build(spec, device);
        return [x[op](dim), x.contiguous()[op](dim)];
      }, op === 'argmax' || op === 'amax' ? 0 : 1e-6, () => `${op}(${dim}) of ${show(spec)}`);
    }), settings());
  });

  it('matmul and softmax of views equal those of contiguous copies', async () => {
    const arb = fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 3 }))
      .chain(([m, k, n, b]) => fc.tuple(viewOf([b, m, k]), viewOf([b, k, n])));
    await fc.assert(fc.asyncProperty(arb, async ([sa, sb]) => {
      await same(() => {
        const a = build(sa, device);
        const b = build(sb, device);
        return [wg.cat([a.matmul(b).flatten(), F.softmax(a, 2).flatten()]), wg.cat([a.contiguous().matmul(b.contiguous()).flatten(), F.softmax(a.contiguous(), 2).flatten()])];
      }, 1e-6, () => `${show(sa)} @ ${show(sb)}`);
    }), settings());
  });
});

describe.each(DEVICES)('properties on %s: algebraic identities', (device: DeviceName) => {
  it('the sum of a cat is the sum of the sums (within the rounding bound of float32 sums)', async () => {
    const arb = fc.tuple(shapeArb({ minRank: 1, maxRank: 3 }), fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 4 }))
      .chain(([shape, sizes]) => fc.tuple(fc.constant(sizes.length), ...sizes.map((s) => viewOf([s, ...shape.slice(1)]))));
    await fc.assert(fc.asyncProperty(arb, async ([count, ...specs]) => {
      await sumsAgree(() => {
        const parts = specs.map((s) => build(s, device));
        const all = wg.cat(parts, 0);
        return [all.sum(), wg.stack(parts.map((p) => p.sum())).sum(), all.abs().sum()];
      }, specs.reduce((n, s) => n + numel(s.shape), 0), () => `${count} parts ${specs.map(show).join('; ')}`);
    }), settings());
  });

  it('the sum over all axes equals the sum over axis 0, then over the rest', async () => {
    await fc.assert(fc.asyncProperty(viewArb({ minRank: 1 }), async (spec) => {
      await sumsAgree(() => {
        const x = build(spec, device);
        return [x.sum(0).sum(), x.sum(), x.abs().sum()];
      }, numel(spec.shape), () => show(spec));
    }), settings());
  });

  it('the sum over a set of axes equals summing them one at a time (keepdim)', async () => {
    const arb = viewArb({ minRank: 1 }).chain((spec) => fc.tuple(fc.constant(spec), axesOf(spec.shape.length)));
    await fc.assert(fc.asyncProperty(arb, async ([spec, axes]) => {
      await sumsAgree(() => {
        const x = build(spec, device);
        return [axes.reduce((t, a) => t.sum(a, true), x), x.sum(axes, true), x.abs().sum(axes, true)];
      }, numel(axes.map((a) => spec.shape[a]!)), () => `axes ${axes} of ${show(spec)}`);
    }), settings());
  });

  it('transposing twice is the identity, exactly', async () => {
    const arb = viewArb({ minRank: 2 }).chain((spec) => fc.tuple(fc.constant(spec), fc.integer({ min: 0, max: spec.shape.length - 1 }), fc.integer({ min: 0, max: spec.shape.length - 1 })));
    await fc.assert(fc.asyncProperty(arb, async ([spec, i, j]) => {
      await same(() => {
        const x = build(spec, device);
        return [x.transpose(i, j).contiguous().transpose(i, j), x];
      }, 0, () => `transpose(${i}, ${j}) of ${show(spec)}`);
    }), settings());
  });

  it('matmul is associative within float32 rounding: |(ab)c - a(bc)| <= (k + l) 2^-23 (|a||b||c|)', async () => {
    const d = fc.integer({ min: 1, max: 6 });
    const arb = fc.tuple(d, d, d, d).chain(([m, k, l, n]) => fc.tuple(viewOf([m, k]), viewOf([k, l]), viewOf([l, n])));
    await fc.assert(fc.asyncProperty(arb, async ([sa, sb, sc]) => {
      const [left, right, scale] = wg.tidy(() => {
        const [a, b, c] = [build(sa, device), build(sb, device), build(sc, device)];
        return [a.matmul(b).matmul(c), a.matmul(b.matmul(c)), a.abs().matmul(b.abs()).matmul(c.abs())];
      });
      const [L, R, S] = await Promise.all([left.data(), right.data(), scale.data()]);
      for (const t of [left, right, scale]) t.dispose();
      const bound = (sa.shape[1]! + sb.shape[1]!) * 2 ** -23;
      const bad = Array.from(L).findIndex((v, i) => !(Math.abs(v - R[i]!) <= bound * S[i]!));
      expect(bad, `${show(sa)} @ ${show(sb)} @ ${show(sc)}: element ${bad}: ${L[bad]} vs ${R[bad]}`).toBe(-1);
    }), settings());
  });

  it('(a + b) - b is a within two float32 roundings: |error| <= 2^-23 (|a| + |b|)', async () => {
    const arb = broadcastShapes(2).chain(({ operands }) => fc.tuple(viewOf(operands[0]!), viewOf(operands[1]!)));
    await fc.assert(fc.asyncProperty(arb, async ([sa, sb]) => {
      const [r, a, b] = wg.tidy(() => {
        const x = build(sa, device);
        const y = build(sb, device);
        const z = x.add(y).sub(y);
        return [z, x.expand(z.shape).contiguous(), y.expand(z.shape).contiguous()];
      });
      const [R, A, B] = await Promise.all([r.data(), a.data(), b.data()]);
      for (const t of [r, a, b]) t.dispose();
      const worst = Array.from(R).findIndex((v, i) => !(Math.abs(v - A[i]!) <= 2 ** -23 * (Math.abs(A[i]!) + Math.abs(B[i]!))));
      expect(worst, `${show(sa)}, ${show(sb)}: element ${worst} is ${R[worst]}, a = ${A[worst]}, b = ${B[worst]}`).toBe(-1);
    }), settings());
  });

  it('exp(log(x)) is x for x > 0', async () => {
    await fc.assert(fc.asyncProperty(viewArb(), async (spec) => {
      await same(() => {
        const x = build(spec, device, { low: 0.01, high: 50 });
        return [x.log().exp(), x];
      }, 1e-6, () => show(spec));
    }), settings());
  });

  it('softmax sums to 1 along its dim', async () => {
    const arb = viewArb({ minRank: 1, minDim: 1 }).chain((spec) => fc.tuple(fc.constant(spec), fc.integer({ min: 0, max: spec.shape.length - 1 })));
    await fc.assert(fc.asyncProperty(arb, async ([spec, dim]) => {
      await same(() => {
        const s = F.softmax(build(spec, device, { low: -20, high: 20 }), dim).sum(dim);
        return [s, wg.onesLike(s)];
      }, 1e-6, () => `dim ${dim} of ${show(spec)}`);
    }), settings());
  });

  it('mean is sum / n over random axes', async () => {
    const arb = viewArb({ minDim: 1 }).chain((spec) => fc.tuple(fc.constant(spec), axesOf(spec.shape.length), fc.boolean()));
    await fc.assert(fc.asyncProperty(arb, async ([spec, axes, keepdim]) => {
      const n = numel(axes.map((a) => spec.shape[a]!));
      await same(() => {
        const x = build(spec, device);
        return [x.mean(axes, keepdim), x.sum(axes, keepdim).div(n)];
      }, 1e-6, () => `axes ${axes} of ${show(spec)}`);
    }), settings());
  });

  it('logSoftmax is log(softmax) and logsumexp is log(sum(exp)) for moderate values', async () => {
    const arb = viewArb({ minRank: 1, minDim: 1 }).chain((spec) => fc.tuple(fc.constant(spec), fc.integer({ min: 0, max: spec.shape.length - 1 })));
    await fc.assert(fc.asyncProperty(arb, async ([spec, dim]) => {
      await same(() => {
        const x = build(spec, device, { low: -5, high: 5 });
        return [wg.cat([F.logSoftmax(x, dim).flatten(), x.logsumexp(dim).flatten()]), wg.cat([F.softmax(x, dim).log().flatten(), x.exp().sum(dim).log().flatten()])];
      }, 1e-5, () => `dim ${dim} of ${show(spec)}`);
    }), settings());
  });
});

describe('properties: the arbitraries themselves', () => {
  it('build makes a view of exactly the spec shape, sharing its base storage', () => {
    fc.assert(fc.property(viewArb(), (spec) => {
      const x = build(spec, 'cpu');
      expect(x.shape).toEqual(spec.shape);
    }), settings());
  });

  it('the generated views include transposed, stepped and expanded (stride-0) tensors', () => {
    const seen = { transposed: false, stepped: false, expanded: false, empty: false };
    fc.assert(fc.property(viewArb(), (spec) => {
      const x = build(spec, 'cpu');
      if (spec.perm.some((p, i) => p !== i) && !x.isContiguous()) seen.transposed = true;
      if (spec.axes.some((a) => a.kind === 'step' && a.step > 1)) seen.stepped = true;
      if (x.strides.some((s, i) => s === 0 && x.shape[i]! > 1)) seen.expanded = true;
      if (x.shape.includes(0)) seen.empty = true;
    }), settings(100));
    expect(seen).toEqual({ transposed: true, stepped: true, expanded: true, empty: true });
  });
});
