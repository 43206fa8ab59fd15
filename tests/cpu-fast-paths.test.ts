/**
 * The cpu backend's elementwise kernels walk strided runs (merged dims, a strided inner loop);
 * `reference` keeps the plain per-element offset tables. On random shapes with odd sizes and
 * operands that are contiguous, broadcast, transposed, stepped or 0-d, both write the same
 * values to the same places, bit for bit; `fill` likewise against a plain loop.
 */
import { describe, expect, it } from 'vitest';
import { cpuKernels, reference } from '../src/kernels/elementwise/cpu.js';
import { elementOffsets, stridedRuns } from '../src/kernels/cpu/strided.js';
import type { View } from '../src/core/view.js';
import { CpuBackend } from '../src/kernels/cpu/index.js';

let seed = 12345;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const randInt = (n: number) => Math.floor(rand() * n);

type Layout = 'contiguous' | 'broadcast' | 'transposed' | 'stepped' | 'scalar';
const LAYOUTS: Layout[] = ['contiguous', 'broadcast', 'transposed', 'stepped', 'scalar'];

/** A float32 view over `shape` laid out as `layout`, on a fresh buffer of random values. */
function makeView(shape: number[], layout: Layout, writable = false): View {
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
  } else {
    strides = dense(shape, rev);
  }
  let span = 1;
  for (let d = 0; d < r; d++) span += (shape[d]! - 1) * strides[d]!;
  const handle = new Float32Array(offset + span + 2).map(() => rand() * 4 - 2);
  if (shape.some((n) => n === 0)) offset = 0;
  return { storage: { handle } as unknown as View['storage'], dtype: 'float32', shape, strides, offset };
}
const clone = (v: View): View => ({ ...v, storage: { handle: (v.storage.handle as Float32Array).slice() } as unknown as View['storage'] });
const buf = (v: View) => v.storage.handle as Float32Array;
const randomShape = () => Array.from({ length: randInt(6) }, () => [1, 2, 3, 5, 7, 13][randInt(6)]!);

describe('cpu elementwise kernels against the reference loops', () => {
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
