/**
 * The cpu backend's elementwise kernels walk strided runs (merged dims, a strided inner loop,
 * specialized loops for the hot ops); `reference` keeps the plain per-element offset tables.
 * On random shapes with odd sizes and operands that are contiguous, broadcast (a scalar, a
 * bias row, a column), transposed, stepped or 0-d, both write the same values to the same
 * places, bit for bit; `fill` likewise against a plain loop. The reductions' row and column
 * loops likewise against theirs, the blocked matmul against the row loop and the convolutions
 * (im2col through the blocked matmul; the input gradient's direct loops) against the walk.
 */
import { describe, expect, it } from 'vitest';
import { cpuKernels, reference } from '../src/kernels/elementwise/cpu.js';
import { elementOffsets, stridedRuns } from '../src/kernels/cpu/strided.js';
import type { View } from '../src/core/view.js';
import { CpuBackend } from '../src/kernels/cpu/index.js';
import { BINARY_LOOPS, UNARY_LOOPS } from '../src/kernels/elementwise/cpu_loops.js';
import { cpuKernels as convFast, reference as convReference } from '../src/kernels/conv/cpu.js';
import type { Conv2dParams } from '../src/kernels/conv/types.js';
import { cpuThreads } from '../src/kernels/cpu/threads.js';
import { matmul as matmulFast, reference as matmulReference } from '../src/kernels/matmul/cpu.js';
import { reduce as reduceFast, reference as reduceReference } from '../src/kernels/reduce/cpu.js';
import { ALL_UNARY, BINARY, elementwiseTypes, reduceResultType, type BinaryOp, type UnaryOp } from '../src/kernels/ops.js';
import { allocArray, type DType } from '../src/core/dtype.js';

let seed = 12345;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const randInt = (n: number) => Math.floor(rand() * n);

type Layout = 'contiguous' | 'broadcast' | 'transposed' | 'stepped' | 'scalar' | 'bias' | 'column';
const LAYOUTS: Layout[] = ['contiguous', 'broadcast', 'transposed', 'stepped', 'scalar'];

/**
 * A random value of `dtype`: floats in [-2, 2) with the odd NaN, infinity, -0 and 0; ints
 * over int32's whole range now and then (so sums and products wrap), small ones otherwise.
 */
function randValue(dtype: DType): number {
  const u = rand();
  if (dtype === 'bool') return u < 0.5 ? 1 : 0;
  if (dtype === 'float32' || dtype === 'float64') {
    if (u < 0.02) return NaN;
    if (u < 0.04) return u < 0.03 ? Infinity : -Infinity;
    if (u < 0.06) return u < 0.05 ? -0 : 0;
    return rand() * 4 - 2;
  }
  if (u < 0.2) return Math.floor(rand() * 2 ** 32) - 2 ** 31;
  return Math.floor(rand() * 21) - 10;
}

/** A view over `shape` laid out as `layout`, on a fresh buffer of random values (float32 in [-2, 2) unless `dtype`). */
function makeView(shape: number[], layout: Layout, writable = false, dtype?: DType): View {
  const r = shape.length;
  let strides: number[];
  let offset = randInt(3);
  const dense = (dims: number[], order: number[]) => {
    const s = new Array<number>(dims.length).fill(0);
    let acc = 1;
    for (const d of order) { s[d] = acc; acc *= dims[d]!; }
    return s;
  };
  const rev = [...Array(r).keys()].reverse();
  if (layout === 'transposed') {
    const order = [...rev];
    for (let i = order.length - 1; i > 0; i--) { const j = randInt(i + 1); [order[i], order[j]] = [order[j]!, order[i]!]; }
    strides = dense(shape, order);
  } else if (layout === 'stepped') {
    strides = dense(shape, rev).map((s, d) => s * (d === r - 1 ? 2 : 3));
  } else if (layout === 'broadcast' && !writable) {
    strides = dense(shape, rev).map((s, d) => (rand() < 0.5 ? 0 : s));
  } else if (layout === 'scalar' && !writable) {
    strides = new Array(r).fill(0);
  } else if (layout === 'bias' && !writable) {
    strides = dense(shape, rev).map((s, d) => (d === r - 1 ? s : 0)); // a row broadcast down the leading dims
  } else if (layout === 'column' && !writable) {
    strides = dense(shape, rev).map((s, d) => (d === r - 1 ? 0 : s)); // a column broadcast along the last dim
  } else {
    strides = dense(shape, rev);
  }
  let span = 1;
  for (let d = 0; d < r; d++) span += (shape[d]! - 1) * strides[d]!;
  if (shape.some((n) => n === 0)) span = 1; // no elements
  const handle = dtype ? allocArray(dtype, offset + span + 2).map(() => randValue(dtype)) : new Float32Array(offset + span + 2).map(() => rand() * 4 - 2);
  if (shape.some((n) => n === 0)) offset = 0;
  return { storage: { handle } as unknown as View['storage'], dtype: dtype ?? 'float32', shape, strides, offset };
}
const clone = (v: View): View => ({ ...v, storage: { handle: (v.storage.handle as Float32Array).slice() } as unknown as View['storage'] });
/** The bytes of a view's buffer: equal bytes are equal bits (NaN payloads and -0 included). */
const bytes = (v: View) => Array.from(new Uint8Array((v.storage.handle as Float32Array).slice().buffer));
const buf = (v: View) => v.storage.handle as Float32Array;
const randomShape = () => Array.from({ length: randInt(6) }, () => [1, 2, 3, 5, 7, 13][randInt(6)]!);
/** A random shape of at most 2000 elements (the per-op sweeps run thousands of cases). */
const smallShape = (): number[] => { for (;;) { const s = randomShape(); if (s.reduce((p, n) => p * n, 1) <= 2000) return s; } };

describe('cpu elementwise kernels against the reference loops', () => {
  it('elementOffsets lists offset + sum(index * stride) in row-major order', () => {
    for (let t = 0; t < 200; t++) {
      const shape = randomShape();
      const strides = shape.map(() => randInt(7) - 2);
      const offset = 50 + randInt(5);
      const expected: number[] = [];
      const walk = (d: number, off: number): void => {
        if (d === shape.length) { expected.push(off); return; }
        for (let i = 0; i < shape[d]!; i++) walk(d + 1, off + i * strides[d]!);
      };
      walk(0, offset);
      expect(Array.from(elementOffsets(shape, strides, offset))).toEqual(expected);
    }
  });

  it('stridedRuns visits the same offsets, in the same order, as the per-element table', () => {
    for (let t = 0; t < 200; t++) {
      const shape = randomShape();
      const views = [makeView(shape, LAYOUTS[randInt(5)]!), makeView(shape, LAYOUTS[randInt(5)]!)];
      const { inner, steps, starts } = stridedRuns(shape, views);
      views.forEach((v, k) => {
        const walked: number[] = [];
        for (const s of starts[k]!) for (let j = 0; j < inner; j++) walked.push(s + j * steps[k]!);
        expect(walked).toEqual(Array.from(elementOffsets(shape, v.strides, v.offset)));
      });
    }
  });

  it('binary ops agree bit for bit on random layouts and odd sizes', () => {
    for (let t = 0; t < 150; t++) {
      const shape = randomShape();
      const a = makeView(shape, LAYOUTS[randInt(5)]!);
      const b = makeView(shape, LAYOUTS[randInt(5)]!);
      const out = makeView(shape, LAYOUTS[randInt(4)]!, true);
      const out2 = clone(out);
      const op = (['add', 'sub', 'mul', 'div', 'maximum', 'pow'] as const)[randInt(6)];
      cpuKernels.binary(op, a, b, out);
      reference.binary(op, a, b, out2);
      expect(Array.from(buf(out))).toEqual(Array.from(buf(out2)));
    }
  });

  it('unary ops (with parameters) and where agree bit for bit', () => {
    for (let t = 0; t < 150; t++) {
      const shape = randomShape();
      const x = makeView(shape, LAYOUTS[randInt(5)]!);
      const out = makeView(shape, LAYOUTS[randInt(4)]!, true);
      const out2 = clone(out);
      const op = (['exp', 'tanh', 'relu', 'neg', 'leakyRelu'] as const)[randInt(5)];
      cpuKernels.unary(op, x, out, [0.1]);
      reference.unary(op, x, out2, [0.1]);
      expect(Array.from(buf(out))).toEqual(Array.from(buf(out2)));
      const c = makeView(shape, LAYOUTS[randInt(5)]!);
      const w = makeView(shape, 'contiguous', true);
      const w2 = clone(w);
      cpuKernels.where(c, x, out2, w);
      reference.where(c, x, out2, w2);
      expect(Array.from(buf(w))).toEqual(Array.from(buf(w2)));
    }
  });

  // Every op on every dtype the kernels take, so each specialized loop (cpu_loops.ts) meets
  // its contiguous, scalar, bias-row, column and strided runs, with NaN, infinities and -0
  // among the floats and wrapping values among the ints.
  const DTYPES_IN: DType[] = ['float32', 'float64', 'int32', 'int8', 'bool'];
  const ALL_LAYOUTS: Layout[] = ['contiguous', 'broadcast', 'transposed', 'stepped', 'scalar', 'bias', 'column'];
  const OUT_LAYOUTS: Layout[] = ['contiguous', 'contiguous', 'transposed', 'stepped'];
  const PARAMS: Partial<Record<UnaryOp, number[]>> = { leakyRelu: [0.1], elu: [1.5], softplus: [1, 20], hardtanh: [-1, 1] };

  it('every binary op, specialized or not, agrees bit for bit on every dtype and layout', () => {
    for (const op of Object.keys(BINARY) as BinaryOp[]) {
      for (const dtype of DTYPES_IN) {
        for (let t = 0; t < 24; t++) {
          const shape = t < 4 ? [[1 + randInt(40)], [3, 1 + randInt(30)], [1 + randInt(9), 17], [2, 3, 1 + randInt(20)]][t]! : smallShape();
          const a = makeView(shape, ALL_LAYOUTS[t % 7]!, false, dtype);
          const b = makeView(shape, ALL_LAYOUTS[randInt(7)]!, false, dtype);
          const outType = elementwiseTypes(BINARY[op].rule, dtype).result;
          const out = makeView(shape, OUT_LAYOUTS[randInt(4)]!, true, outType);
          const out2 = clone(out);
          cpuKernels.binary(op, a, b, out);
          reference.binary(op, a, b, out2);
          expect(bytes(out), `${op} ${dtype} ${shape} strides ${a.strides} / ${b.strides} -> ${out.strides}`).toEqual(bytes(out2));
        }
      }
    }
  });

  it('every unary op, specialized or not, agrees bit for bit on every dtype and layout', () => {
    for (const op of Object.keys(ALL_UNARY) as UnaryOp[]) {
      for (const dtype of DTYPES_IN) {
        for (let t = 0; t < 16; t++) {
          const shape = t < 2 ? [[1 + randInt(60)], [3, 1 + randInt(30)]][t]! : smallShape();
          const x = makeView(shape, ALL_LAYOUTS[t % 7]!, false, dtype);
          const outType = elementwiseTypes(ALL_UNARY[op].rule, dtype).result;
          const out = makeView(shape, OUT_LAYOUTS[randInt(4)]!, true, outType);
          const out2 = clone(out);
          cpuKernels.unary(op, x, out, PARAMS[op]);
          reference.unary(op, x, out2, PARAMS[op]);
          expect(bytes(out), `${op} ${dtype} ${shape} strides ${x.strides} -> ${out.strides}`).toEqual(bytes(out2));
        }
      }
    }
  });

  it('the specialized loops cover the hot ops', () => {
    // A loop keyed by a function the op tables no longer use would silently never run.
    const tableFns = new Set<unknown>([...Object.values(BINARY).flatMap((d) => [d.cpu, 'cpuInt' in d ? d.cpuInt : undefined]), ...Object.values(ALL_UNARY).flatMap((d) => [d.cpu, d.cpuInt])]);
    for (const f of [...BINARY_LOOPS.keys(), ...UNARY_LOOPS.keys()]) expect(tableFns.has(f)).toBe(true);
    for (const op of ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'lt', 'gt'] as const) expect(BINARY_LOOPS.has(BINARY[op].cpu)).toBe(true);
    for (const op of ['relu', 'exp', 'log', 'neg', 'abs', 'sqrt', 'tanh', 'sigmoid'] as const) expect(UNARY_LOOPS.has(ALL_UNARY[op].cpu)).toBe(true);
  });

  it('the backend reuses freed large arrays, zeroed, and trims its pool', () => {
    const backend = new CpuBackend();
    const s1 = backend.allocate('float32', 1 << 16);
    (s1.handle as Float32Array).fill(3);
    const small = backend.allocate('float32', 100);
    s1.free();
    small.free();
    expect(backend.memory()).toEqual({ buffers: 0, bytes: 0, pooledBuffers: 1, pooledBytes: 4 << 16 });
    expect(backend.allocate('int32', 1 << 16).handle).not.toBe(s1.handle); // another type: a fresh array
    const s2 = backend.allocate('float32', 1 << 16);
    expect(s2.handle).toBe(s1.handle);
    expect((s2.handle as Float32Array).every((v) => v === 0)).toBe(true);
    expect(backend.memory().pooledBuffers).toBe(0);
    s2.free();
    expect(backend.trimPool()).toBe(4 << 16);
    expect(backend.memory().pooledBytes).toBe(0);
  });

  it('fill writes exactly the view\'s elements and nothing else', () => {
    const backend = new CpuBackend();
    for (let t = 0; t < 100; t++) {
      const shape = randomShape();
      const out = makeView(shape, LAYOUTS[randInt(4)]!, true);
      const expected = buf(out).slice();
      for (const o of elementOffsets(shape, out.strides, out.offset)) expected[o] = 7.5;
      backend.fill(out, 7.5);
      expect(Array.from(buf(out))).toEqual(Array.from(expected));
    }
  });
});

describe('cpu reductions against the reference loops', () => {
  // x as the reduce op hands it over: its dims permuted (the reduced ones moved last, a
  // view), so leading-axis reductions arrive as a strided last dim over contiguous kept dims.
  it('every reduction agrees bit for bit on rows, columns and other layouts', () => {
    const ops = ['sum', 'prod', 'max', 'min', 'argmax', 'argmin'] as const;
    for (const dtype of ['float32', 'float64', 'int32', 'int8'] as DType[]) {
      for (let t = 0; t < 300; t++) {
        const shape = t < 6 ? [[1 + randInt(300)], [1 + randInt(20), 1 + randInt(40)], [1 + randInt(40), 1 + randInt(20)], [4, 0, 3], [2, 3, 5], [1]][t]! : smallShape();
        const x0 = makeView(shape, (['contiguous', 'contiguous', 'transposed', 'stepped', 'broadcast'] as Layout[])[randInt(5)]!, false, dtype);
        const r = shape.length;
        // Reduce a random set of axes: moved last, in order, as reduce() in src/tensor/ops/reduce.ts does.
        const axes = [...Array(r).keys()].filter(() => rand() < 0.5);
        if (t % 3 === 0 && r > 1) axes.splice(0, axes.length, 0); // the leading axis alone (bias gradients)
        const keptAxes = [...Array(r).keys()].filter((d) => !axes.includes(d));
        const perm = [...keptAxes, ...axes];
        const x: View = { ...x0, shape: perm.map((d) => shape[d]!), strides: perm.map((d) => x0.strides[d]!) };
        const keptShape = keptAxes.map((d) => shape[d]!);
        const emptyReduce = axes.some((d) => shape[d] === 0);
        for (const op of ops) {
          if (emptyReduce && op !== 'sum' && op !== 'prod') continue;
          const out = makeView(keptShape, 'contiguous', true, reduceResultType(op, dtype));
          const out2 = clone(out);
          reduceFast(op, x, axes.length, out);
          reduceReference(op, x, axes.length, out2);
          expect(bytes(out), `${op} ${dtype} shape ${x.shape} strides ${x.strides} over the last ${axes.length}`).toEqual(bytes(out2));
        }
      }
    }
  });
});

describe('cpu matmul against the reference loops', () => {
  // Sizes around the 4 x 4 tiles and the 64-row / 512-column blocks, operands transposed,
  // stepped or broadcast (batch stride 0, shared by consecutive batches), every dtype the
  // kernel takes; NaN, infinities and -0 among the floats, int32 values that wrap.
  const dims = [1, 3, 4, 5, 7, 8, 13, 31, 64, 67];
  it('agrees bit for bit on odd sizes, strides, broadcast batches and dtypes', () => {
    for (const dtype of ['float32', 'float64', 'int32', 'int8'] as DType[]) {
      for (let t = 0; t < 40; t++) {
        const [M, K, N] = t === 0 ? [70, 9, 530] : t === 1 ? [129, 40, 66] : [dims[randInt(10)]!, dims[randInt(10)]!, dims[randInt(10)]!];
        const batch = Array.from({ length: randInt(3) }, () => 1 + randInt(3));
        const a = makeView([...batch, M, K], (['contiguous', 'transposed', 'stepped', 'broadcast'] as Layout[])[randInt(4)]!, false, dtype);
        const b = makeView([...batch, K, N], (['contiguous', 'transposed', 'stepped', 'broadcast', 'bias'] as Layout[])[randInt(5)]!, false, dtype);
        const out = makeView([...batch, M, N], OUT_LAYOUTS_MM[randInt(3)]!, true, dtype);
        const out2 = clone(out);
        matmulFast(a, b, out);
        matmulReference(a, b, out2);
        expect(sameValues(out, out2), `${dtype} ${batch} x ${M}x${K}x${N}, strides ${a.strides} / ${b.strides} -> ${out.strides}`).toBe(-1);
      }
    }
  });
});
const OUT_LAYOUTS_MM: Layout[] = ['contiguous', 'contiguous', 'transposed'];

describe('cpu matmul on worker threads', () => {
  it('splits large products and costly unary ops over the threads, with the reference\'s results', async () => {
    await cpuThreads.setThreads(3);
    try {
      for (const dtype of ['float32', 'float64', 'int32'] as DType[]) {
        for (const [batch, M, K, N, lb] of [[[], 131, 70, 251, 'contiguous'], [[2], 67, 129, 253, 'broadcast'], [[3], 64, 64, 513, 'transposed']] as [number[], number, number, number, Layout][]) {
          const a = makeView([...batch, M, K], 'stepped', false, dtype);
          const b = makeView([...batch, K, N], lb, false, dtype);
          const out = makeView([...batch, M, N], 'contiguous', true, dtype);
          const out2 = clone(out);
          cpuThreads.lastThreads = 0;
          matmulFast(a, b, out);
          expect(cpuThreads.lastThreads).toBe(3);
          matmulReference(a, b, out2);
          expect(sameValues(out, out2), `${dtype} ${batch} x ${M}x${K}x${N}`).toBe(-1);
        }
      }
      // The costly unary ops on long contiguous runs: split over the threads too.
      for (const op of ['exp', 'log', 'tanh', 'sigmoid', 'sin', 'cos', 'silu'] as const) {
        for (const dtype of ['float32', 'float64'] as DType[]) {
          const x = makeView([150001], 'contiguous', false, dtype);
          const out = makeView([150001], 'contiguous', true, dtype);
          const out2 = clone(out);
          cpuThreads.lastThreads = 0;
          cpuKernels.unary(op, x, out);
          expect(cpuThreads.lastThreads, op).toBe(3);
          reference.unary(op, x, out2);
          expect(bytes(out), `${op} ${dtype}`).toEqual(bytes(out2));
        }
      }
      // One thread: the calling thread alone, the same values.
      await cpuThreads.setThreads(1);
      const a = makeView([100, 150], 'contiguous');
      const b = makeView([150, 160], 'contiguous');
      const out = makeView([100, 160], 'contiguous', true);
      const out2 = clone(out);
      matmulFast(a, b, out);
      matmulReference(a, b, out2);
      expect(sameValues(out, out2)).toBe(-1);
      await expect(cpuThreads.setThreads(0)).rejects.toThrow('cpu: threads must be an integer from 1 to 256, got 0');
    } finally {
      cpuThreads.close();
    }
  });
});
/**
 * The first index where two buffers' values differ by Object.is (-0 is not 0, NaN is NaN), or
 * -1. Bit for bit but for NaN payloads: V8 may canonicalize a NaN when it passes through a
 * Float64Array (the packed panels), which no arithmetic can observe.
 */
function sameValues(x: View, y: View): number {
  const p = x.storage.handle as Float32Array;
  const q = y.storage.handle as Float32Array;
  for (let i = 0; i < p.length; i++) if (!Object.is(p[i], q[i])) return i;
  return -1;
}

describe('cpu conv2d against the reference walk', () => {
  // Random geometry (groups, stride, padding, dilation, odd sizes), strided operands. The
  // operand that meets the padding's zeros in a product (w in the forward, dy in the weight
  // gradient) is finite: an infinite one gives NaN there in the kernels, as in PyTorch, where
  // the walk skips the tap. The input gradient is the walk's own loop nest: any values.
  it('forward, input gradient and weight gradient agree with the walk', () => {
    for (let t = 0; t < 60; t++) {
      const groups = [1, 1, 2, 3][randInt(4)]!;
      // The first cases are large enough for the blocked matmul's tiles (M >= 4, M N K >= 32^3).
      const big = t < 12;
      const cinG = big ? 3 + randInt(4) : 1 + randInt(3);
      const coutG = big ? 5 + randInt(5) : 1 + randInt(3);
      const [N, H, W, KH, KW] = big ? [1 + randInt(2), 9 + randInt(6), 9 + randInt(6), 3, 3] : [1 + randInt(3), 1 + randInt(9), 1 + randInt(9), 1 + randInt(3), 1 + randInt(3)];
      const p: Conv2dParams = { stride: [1 + randInt(2), 1 + randInt(2)], padding: [randInt(2), randInt(2)], dilation: [1 + randInt(2), 1 + randInt(2)], groups };
      const OH = Math.floor((H + 2 * p.padding[0] - p.dilation[0] * (KH - 1) - 1) / p.stride[0]) + 1;
      const OW = Math.floor((W + 2 * p.padding[1] - p.dilation[1] * (KW - 1) - 1) / p.stride[1]) + 1;
      if (OH < 1 || OW < 1) continue;
      const dtype = (['float32', 'float64'] as DType[])[randInt(2)]!;
      const lay = () => (['contiguous', 'transposed', 'stepped'] as Layout[])[randInt(3)]!;
      const xs = [N, cinG * groups, H, W];
      const ws = [coutG * groups, cinG, KH, KW];
      const ys = [N, coutG * groups, OH, OW];
      const finite = (shape: number[]) => { const v = makeView(shape, lay()); return dtype === 'float64' ? { ...v, dtype, storage: { handle: Float64Array.from(v.storage.handle as Float32Array) } as unknown as View['storage'] } : v; };
      const x = makeView(xs, lay(), false, dtype);
      const w = finite(ws);
      const y = makeView(ys, 'contiguous', true, dtype);
      const y2 = clone(y);
      convFast.conv2d(x, w, y, p);
      convReference.conv2d(x, w, y2, p);
      expect(sameValues(y, y2), `conv2d ${xs} * ${ws} -> ${ys} ${JSON.stringify(p)}`).toBe(-1);
      const dy = finite(ys);
      const dw = makeView(ws, 'contiguous', true, dtype);
      const dw2 = clone(dw);
      convFast.conv2dBackwardWeight(dy, x, dw, p);
      convReference.conv2dBackwardWeight(dy, x, dw2, p);
      expect(sameValues(dw, dw2), `conv2dBackwardWeight ${xs} * ${ws} -> ${ys} ${JSON.stringify(p)}`).toBe(-1);
      const dyAny = makeView(ys, lay(), false, dtype);
      const wAny = makeView(ws, lay(), false, dtype);
      const dx = makeView(xs, 'contiguous', true, dtype);
      const dx2 = clone(dx);
      convFast.conv2dBackwardInput(dyAny, wAny, dx, p);
      convReference.conv2dBackwardInput(dyAny, wAny, dx2, p);
      expect(sameValues(dx, dx2), `conv2dBackwardInput ${xs} * ${ws} -> ${ys} ${JSON.stringify(p)}`).toBe(-1);
    }
  });
});
