/**
 * The strided-index walk (shaders/lib/strided.wgsl) at its rank limit, MAX_RANK = 8 dims after
 * coalescing, in every kernel family that uses it: views built from a permutation, a slice
 * with a step and an offset, and an expanded (stride 0) dim, so that no two dims merge. Each
 * op on such a view is compared with the cpu reference on a contiguous copy (on cpu this
 * checks the strided loops against the contiguous ones). One dim more is refused on webgpu
 * with a message naming the limit, and computed on cpu, which has no limit.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { DEVICES, expectClose, expectEqual, useDevices } from './helpers.js';

useDevices();

const LIMIT = 8;
const { F } = wg;

/** The number of dims a view keeps once adjacent mergeable dims are merged (as the host does). */
function coalescedRank(t: Tensor): number {
  let rank = 0;
  let lastStride = 0;
  for (let i = 0; i < t.ndim; i++) {
    const d = t.shape[i]!;
    if (d === 1) continue;
    if (rank > 0 && lastStride === t.strides[i]! * d) {
      lastStride = t.strides[i]!;
    } else {
      rank++;
      lastStride = t.strides[i]!;
    }
  }
  return rank;
}

/** Deterministic values: floats in [-2, 2), or ints in [0, intRange). */
function values(n: number, seed: number, intRange?: number): Float32Array | Int32Array {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  return intRange === undefined ? Float32Array.from({ length: n }, () => next() * 4 - 2) : Int32Array.from({ length: n }, () => Math.floor(next() * intRange));
}

/**
 * A view of `rank` dims that do not coalesce, on a base of (rank - 1) dims [3, 2, 3, ..., 7]
 * (rank dims without `expand`): the last base dim sliced [1::2] (an offset and a step), all
 * dims reversed (strides increase), and, with `expand`, a new dim of size 2 and stride 0 at
 * position 2.
 */
function viewOf(base: Tensor, expand: boolean): Tensor {
  const r = base.ndim;
  const sliced = base.slice(...Array.from({ length: r }, (_, i) => (i === r - 1 ? [1, null, 2] : null)) as never[]);
  const reversed = sliced.permute(...Array.from({ length: r }, (_, i) => r - 1 - i));
  if (!expand) return reversed;
  const shape = [...reversed.shape];
  shape.splice(2, 0, 2);
  return reversed.unsqueeze(2).expand(...shape);
}

function baseShape(rank: number, expand: boolean): number[] {
  const n = expand ? rank - 1 : rank;
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? 7 : i % 2 ? 2 : 3));
}

/** The base tensor on `device` (seeded values) and the rank-`rank` view of it. */
function make(rank: number, device: DeviceName, opts: { seed?: number; int?: number; expand?: boolean; requiresGrad?: boolean } = {}): { base: Tensor; view: Tensor } {
  const expand = opts.expand ?? true;
  const shape = baseShape(rank, expand);
  const data = values(shape.reduce((a, b) => a * b, 1), opts.seed ?? 1, opts.int);
  const base = wg.tensor(data, { shape, device, requiresGrad: opts.requiresGrad ?? false });
  return { base, view: viewOf(base, expand) };
}

/** The same view on `device` (the subject) and as a contiguous cpu copy (the reference). */
function both(rank: number, device: DeviceName, opts: { seed?: number; int?: number } = {}): [Tensor, Tensor] {
  return [make(rank, device, opts).view, make(rank, 'cpu', opts).view.contiguous()];
}

describe.each(DEVICES)('the test views on %s', (device) => {
  it(`have ${LIMIT} dims that do not coalesce, one of them expanded and one sliced with a step`, () => {
    const { view } = make(LIMIT, device);
    expect(view.ndim).toBe(LIMIT);
    expect(coalescedRank(view)).toBe(LIMIT);
    expect(view.strides).toContain(0);
    expect(view.isContiguous()).toBe(false);
    expect(coalescedRank(make(LIMIT, device, { expand: false }).view)).toBe(LIMIT);
    expect(coalescedRank(make(LIMIT + 1, device).view)).toBe(LIMIT + 1);
  });
});

describe.each(DEVICES)(`ops on views of exactly ${LIMIT} non-mergeable dims on %s`, (device) => {
  it('unary ops read through the strides (float32 exp, int32 neg)', async () => {
    const [x, ref] = both(LIMIT, device);
    await expectClose(x.exp(), ref.exp());
    const [xi, refi] = both(LIMIT, device, { int: 50 });
    await expectEqual(xi.neg(), refi.neg());
  });

  it('binary ops read both operands through their own strides', async () => {
    const [a, refA] = both(LIMIT, device, { seed: 2 });
    // Other strides than a's: dims 0 and 3 (both of size 3) swapped.
    const b = make(LIMIT, device, { seed: 3 }).view.transpose(0, 3);
    const refB = make(LIMIT, 'cpu', { seed: 3 }).view.transpose(0, 3).contiguous();
    await expectClose(a.add(b), refA.add(refB));
    const [ai, refAi] = both(LIMIT, device, { seed: 4, int: 9 });
    await expectEqual(ai.mul(b.cast('int32')), refAi.mul(refB.cast('int32')));
  });

  it('where reads a strided condition and two strided values', async () => {
    const { base, view: a } = make(LIMIT, device, { seed: 5 });
    const cond = viewOf(base.gt(0), true);
    const b = make(LIMIT, device, { seed: 6 }).view;
    const cpu = make(LIMIT, 'cpu', { seed: 5 });
    const refCond = viewOf(cpu.base.gt(0), true).contiguous();
    const refB = make(LIMIT, 'cpu', { seed: 6 }).view.contiguous();
    expect(coalescedRank(cond)).toBe(LIMIT);
    await expectClose(wg.where(cond, a, b.neg()), wg.where(refCond, cpu.view.contiguous(), refB.neg()));
  });

  it('contiguous() and cast copy through the strides', async () => {
    const [x, ref] = both(LIMIT, device, { seed: 7 });
    await expectClose(x.contiguous(), ref);
    await expectEqual(x.mul(10).cast('int32'), ref.mul(10).cast('int32'));
    const [xi, refi] = both(LIMIT, device, { seed: 8, int: 5 });
    await expectEqual(xi.cast('float32'), refi.cast('float32'));
    await expectEqual(xi.gt(2), refi.gt(2));
  });

  it('copy_ writes a broadcast strided source into a strided target', async () => {
    const run = async (dev: DeviceName) => {
      const { base, view } = make(LIMIT, dev, { seed: 9, expand: false });
      const src = make(LIMIT, dev, { seed: 10, expand: false }).view.transpose(0, 1);
      view.copy_(src.slice(null, [0, 1]).expand(...view.shape));
      return base;
    };
    await expectClose(await run(device), await run('cpu'));
  });

  it('fill_ writes every element of a strided view and nothing else', async () => {
    const run = (dev: DeviceName) => {
      const { base, view } = make(LIMIT, dev, { seed: 11, expand: false });
      view.fill_(7);
      return base;
    };
    const out = run(device);
    await expectClose(out, run('cpu'));
    expect(Array.from(await out.data()).filter((v) => v === 7).length).toBe(make(LIMIT, 'cpu', { expand: false }).view.size);
  });

  it('reductions over all dims and over several axes walk both dim groups', async () => {
    const [x, ref] = both(LIMIT, device, { seed: 12 });
    await expectClose(x.sum(), ref.sum(), 1e-4);
    await expectClose(x.amax([0, 3, 5]), ref.amax([0, 3, 5]));
    await expectClose(x.sum([1, 2, 4, 6, 7], true), ref.sum([1, 2, 4, 6, 7], true), 1e-4);
    const [xi, refi] = both(LIMIT, device, { seed: 13, int: 7 });
    await expectEqual(xi.amin([2, 5, 6]), refi.amin([2, 5, 6]));
  });

  it(`a reduction over one dim of a ${LIMIT + 1}-dim view walks ${LIMIT} outer dims`, async () => {
    const [x, ref] = both(LIMIT + 1, device, { seed: 14 });
    await expectClose(x.sum(0), ref.sum(0), 1e-5);
    await expectClose(x.amax(8), ref.amax(8));
  });

  it('argmax / argmin index within strided rows', async () => {
    const [x, ref] = both(LIMIT, device, { seed: 15 });
    await expectEqual(x.argmax(3), ref.argmax(3));
    await expectEqual(x.argmin(0), ref.argmin(0));
    const [x9, ref9] = both(LIMIT + 1, device, { seed: 16 });
    await expectEqual(x9.argmax(8), ref9.argmax(8));
  });

  it('gather and scatterAdd address a strided source, index and output', async () => {
    const [x, ref] = both(LIMIT, device, { seed: 17 });
    const [idx, refIdx] = both(LIMIT, device, { seed: 18, int: 2 });
    expect(coalescedRank(idx)).toBe(LIMIT);
    await expectClose(x.gather(3, idx), ref.gather(3, refIdx));
    const [src, refSrc] = both(LIMIT, device, { seed: 19, int: 100 });
    const zeros = (dev: DeviceName) => wg.zeros(x.shape, { dtype: 'int32', device: dev });
    await expectEqual(zeros(device).scatterAdd(3, idx, src), zeros('cpu').scatterAdd(3, refIdx, refSrc));
  });

  it(`softmax and logSoftmax of a ${LIMIT + 1}-dim view walk ${LIMIT} outer dims`, async () => {
    const [x, ref] = both(LIMIT + 1, device, { seed: 20 });
    await expectClose(F.softmax(x, 0), F.softmax(ref, 0));
    await expectClose(F.logSoftmax(x, 4), F.logSoftmax(ref, 4));
  });

  it(`crossEntropy with ${LIMIT} strided sample dims: the loss and the logits' gradient`, async () => {
    const run = async (dev: DeviceName) => {
      const { base, view } = make(LIMIT + 1, dev, { seed: 21, requiresGrad: true });
      const outer = view.shape.filter((_, i) => i !== 1);
      const reversed = [...outer].reverse();
      const t = wg.tensor(values(view.size / view.shape[1]!, 22, view.shape[1]), { shape: reversed, device: dev });
      const target = t.permute(...reversed.map((_, i) => reversed.length - 1 - i));
      expect(coalescedRank(target)).toBe(LIMIT);
      const loss = F.crossEntropy(view, target, { reduction: 'sum' });
      loss.backward();
      return [loss, base.grad!];
    };
    const [loss, grad] = await run(device);
    const [refLoss, refGrad] = await run('cpu');
    await expectClose(loss!, refLoss!, 1e-5);
    await expectClose(grad!, refGrad!, 1e-5);
  });

  it(`matmul with ${LIMIT} strided batch dims`, async () => {
    const run = (dev: DeviceName) => {
      const a = make(LIMIT, dev, { seed: 23 }).view;
      const a4 = a.unsqueeze(-1).unsqueeze(-1).expand(...a.shape, 2, 3);
      const b = wg.tensor(values(a.size * 6, 24), { shape: [...a.shape, 3, 2], device: dev });
      return a4.matmul(b);
    };
    await expectClose(run(device), run('cpu'), 1e-5);
  });

  it('embedding checks and reads a strided index', async () => {
    const [idx, refIdx] = both(LIMIT, device, { seed: 25, int: 3 });
    const weight = (dev: DeviceName) => wg.tensor(values(12, 26), { shape: [3, 4], device: dev });
    await expectClose(F.embedding(idx, weight(device)), F.embedding(refIdx, weight('cpu')));
  });
});

describe.each(DEVICES)(`views of ${LIMIT + 1} non-mergeable dims on %s`, (device) => {
  const x = () => make(LIMIT + 1, device, { seed: 30 }).view;
  const ref = () => make(LIMIT + 1, 'cpu', { seed: 30 }).view.contiguous();
  if (device === 'webgpu') {
    it(`are refused by elementwise ops, copies and whole reductions, naming the limit of ${LIMIT}`, () => {
      const msg = (op: string) => `webgpu ${op}: views with more than ${LIMIT} non-mergeable dims are not supported`;
      expect(() => x().exp()).toThrow(msg('exp'));
      expect(() => x().add(x())).toThrow(msg('add'));
      expect(() => x().contiguous()).toThrow(msg('copy'));
      expect(() => x().cast('int32')).toThrow(msg('copy'));
      // A reduction copies a view whose reduced or kept dims exceed the limit: the copy refuses.
      expect(() => x().sum()).toThrow(msg('copy'));
    });

    it(`are refused by gather and by matmul's batch dims, naming the limit of ${LIMIT}`, () => {
      const idx = make(LIMIT + 1, device, { seed: 31, int: 2 }).view;
      expect(() => x().gather(3, idx)).toThrow(`webgpu gather: rank ${LIMIT + 1} exceeds ${LIMIT}`);
      const a = x().unsqueeze(-1).unsqueeze(-1).expand(...x().shape, 2, 2);
      expect(() => a.matmul(a)).toThrow(`webgpu matmul: more than ${LIMIT} non-mergeable batch dims`);
    });
  } else {
    it(`are computed: the ${device} backend has no rank limit`, async () => {
      await expectClose(x().exp(), ref().exp());
      await expectClose(x().add(x()), ref().add(ref()));
      await expectClose(x().sum(), ref().sum(), 1e-4);
      const idx = make(LIMIT + 1, device, { seed: 31, int: 2 }).view;
      const idxRef = make(LIMIT + 1, 'cpu', { seed: 31, int: 2 }).view.contiguous();
      await expectClose(x().gather(3, idx), ref().gather(3, idxRef));
    });
  }
});
