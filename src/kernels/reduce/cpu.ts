/**
 * CPU kernels of the reductions over the trailing dims: doubles for floats (rounded once on
 * store), wrapping int32 arithmetic for ints; NaN propagates through max/min and wins argmax/argmin.
 *
 * `reduce` merges the reduced dims (and the kept ones) as cpu/strided's runs do. Where the
 * reduced dims become one strided dim it walks them directly, a loop per op with no offset
 * tables: row by row (`rowsLoop`), or, when the kept dims are one contiguous dim and the
 * reduced one is not (sum over the batch of a [B, N] gradient, moved last as a view), a row
 * of x at a time into one accumulator per output (`columnsLoop`), which reads x in memory
 * order instead of a column at a stride. Both visit each output's elements in the reference's
 * order with the same arithmetic, so the results are the reference's bit for bit. Other
 * layouts run `reference`, the plain loops over offset tables (tests check the kernels
 * against it).
 */
import type { View } from '../../core/view.js';
import { isIntegral, type TypedArray } from '../../core/dtype.js';
import { coalesce, numel } from '../../core/shape.js';
import { elementOffsets, viewOffsets } from '../cpu/strided.js';
import type { ReduceOp } from '../ops.js';
import type { ReduceKernels } from './types.js';

const arr = (v: View): TypedArray => v.storage.handle as TypedArray;

/** The plain loops: offset tables of the kept and the reduced elements. */
export function reference(op: ReduceOp, x: View, reduceRank: number, out: View): void {
  const rank = x.shape.length;
  const outerShape = x.shape.slice(0, rank - reduceRank);
  const innerShape = x.shape.slice(rank - reduceRank);
  const outer = elementOffsets(outerShape, x.strides.slice(0, rank - reduceRank), x.offset);
  const inner = elementOffsets(innerShape, x.strides.slice(rank - reduceRank), 0);
  const src = arr(x);
  const dst = arr(out);
  const oo = viewOffsets(out, outerShape);
  const isInt = isIntegral(x.dtype) || x.dtype === 'bool';
  for (let o = 0; o < outer.length; o++) {
    const base = outer[o]!;
    let acc: number;
    switch (op) {
      case 'sum':
        acc = 0;
        if (isInt) for (let r = 0; r < inner.length; r++) acc = (acc + src[base + inner[r]!]!) | 0;
        else for (let r = 0; r < inner.length; r++) acc += src[base + inner[r]!]!;
        break;
      case 'prod':
        acc = 1;
        if (isInt) for (let r = 0; r < inner.length; r++) acc = Math.imul(acc, src[base + inner[r]!]!);
        else for (let r = 0; r < inner.length; r++) acc *= src[base + inner[r]!]!;
        break;
      case 'max':
      case 'min': {
        const isMax = op === 'max';
        acc = isMax ? -Infinity : Infinity;
        for (let r = 0; r < inner.length; r++) {
          const v = src[base + inner[r]!]!;
          if (v !== v) { acc = NaN; break; }
          if (isMax ? v > acc : v < acc) acc = v;
        }
        break;
      }
      case 'argmax':
      case 'argmin': {
        const isMax = op === 'argmax';
        let best = isMax ? -Infinity : Infinity;
        acc = 0;
        for (let r = 0; r < inner.length; r++) {
          const v = src[base + inner[r]!]!;
          if (v !== v) { acc = r; break; } // the first NaN wins, as in PyTorch
          if (isMax ? v > best : v < best) { best = v; acc = r; }
        }
        break;
      }
    }
    dst[oo[o]!] = acc;
  }
}

/** One merged dim (length, stride) for `shape` over `strides`, or null when they do not merge. */
function asOneDim(shape: readonly number[], strides: readonly number[]): [number, number] | null {
  if (numel(shape) === 0) return [0, 0];
  const m = coalesce(shape, [strides]);
  if (m.shape.length === 0) return [1, 1];
  return m.shape.length === 1 ? [m.shape[0]!, m.strides[0]![0]!] : null;
}

export function reduce(op: ReduceOp, x: View, reduceRank: number, out: View): void {
  const rank = x.shape.length;
  const keptShape = x.shape.slice(0, rank - reduceRank);
  const red = asOneDim(x.shape.slice(rank - reduceRank), x.strides.slice(rank - reduceRank));
  if (!red) return reference(op, x, reduceRank, out);
  const [len, step] = red;
  if (step === 0 && len > 1) return reference(op, x, reduceRank, out); // a broadcast reduced dim: rowsLoop walks by its end
  const isInt = isIntegral(x.dtype) || x.dtype === 'bool';
  const oo = viewOffsets(out, keptShape);
  const kept = asOneDim(keptShape, x.strides.slice(0, rank - reduceRank));
  if (kept && kept[1] === 1 && step !== 1 && kept[0] > 1 && len > 1) columnsLoop(op, isInt, arr(x), x.offset, kept[0], len, step, arr(out), oo);
  else rowsLoop(op, isInt, arr(x), elementOffsets(keptShape, x.strides.slice(0, rank - reduceRank), x.offset), len, step, arr(out), oo);
}

/**
 * Each output: `len` elements from its start in `starts`, `step` apart (step != 0 unless
 * len <= 1), walked by one index to its end. max/min carry on past a NaN instead of
 * leaving the loop (NaN > v and v > NaN are false, so only another NaN replaces it: the
 * result is NaN, as the reference's early exit gives); argmax/argmin stop updating once the
 * best is NaN (the first NaN wins). Loops without an exit, and step 1 as `i < end; i++`,
 * compile to tighter code in V8 (about 1.4x on a row sum).
 */
function rowsLoop(op: ReduceOp, isInt: boolean, src: TypedArray, starts: Int32Array | Float64Array, len: number, step: number, dst: TypedArray, oo: Int32Array | Float64Array): void {
  const n = starts.length;
  const span = len * step;
  switch (op) {
    case 'sum':
      if (isInt) for (let o = 0; o < n; o++) { let acc = 0; const s = starts[o]!; for (let i = s, e = s + span; i !== e; i += step) acc = (acc + src[i]!) | 0; dst[oo[o]!] = acc; }
      else if (step === 1) for (let o = 0; o < n; o++) { let acc = 0; const s = starts[o]!; for (let i = s, e = s + len; i < e; i++) acc += src[i]!; dst[oo[o]!] = acc; }
      else for (let o = 0; o < n; o++) { let acc = 0; const s = starts[o]!; for (let i = s, e = s + span; i !== e; i += step) acc += src[i]!; dst[oo[o]!] = acc; }
      break;
    case 'prod':
      if (isInt) for (let o = 0; o < n; o++) { let acc = 1; const s = starts[o]!; for (let i = s, e = s + span; i !== e; i += step) acc = Math.imul(acc, src[i]!); dst[oo[o]!] = acc; }
      else for (let o = 0; o < n; o++) { let acc = 1; const s = starts[o]!; for (let i = s, e = s + span; i !== e; i += step) acc *= src[i]!; dst[oo[o]!] = acc; }
      break;
    case 'max':
      for (let o = 0; o < n; o++) {
        let acc = -Infinity;
        const s = starts[o]!;
        if (step === 1) for (let i = s, e = s + len; i < e; i++) { const v = src[i]!; if (v > acc || v !== v) acc = v; }
        else for (let i = s, e = s + span; i !== e; i += step) { const v = src[i]!; if (v > acc || v !== v) acc = v; }
        dst[oo[o]!] = acc;
      }
      break;
    case 'min':
      for (let o = 0; o < n; o++) {
        let acc = Infinity;
        const s = starts[o]!;
        if (step === 1) for (let i = s, e = s + len; i < e; i++) { const v = src[i]!; if (v < acc || v !== v) acc = v; }
        else for (let i = s, e = s + span; i !== e; i += step) { const v = src[i]!; if (v < acc || v !== v) acc = v; }
        dst[oo[o]!] = acc;
      }
      break;
    case 'argmax':
      for (let o = 0; o < n; o++) {
        let best = -Infinity;
        const s = starts[o]!;
        let at = s;
        if (step === 1) for (let i = s, e = s + len; i < e; i++) { const v = src[i]!; if (v > best || (v !== v && best === best)) { best = v; at = i; } }
        else for (let i = s, e = s + span; i !== e; i += step) { const v = src[i]!; if (v > best || (v !== v && best === best)) { best = v; at = i; } }
        dst[oo[o]!] = step === 0 ? 0 : (at - s) / step;
      }
      break;
    case 'argmin':
      for (let o = 0; o < n; o++) {
        let best = Infinity;
        const s = starts[o]!;
        let at = s;
        if (step === 1) for (let i = s, e = s + len; i < e; i++) { const v = src[i]!; if (v < best || (v !== v && best === best)) { best = v; at = i; } }
        else for (let i = s, e = s + span; i !== e; i += step) { const v = src[i]!; if (v < best || (v !== v && best === best)) { best = v; at = i; } }
        dst[oo[o]!] = step === 0 ? 0 : (at - s) / step;
      }
      break;
  }
}

/**
 * `count` neighbouring outputs (x's kept dim, contiguous from `base`), each reducing `len`
 * elements `step` apart: x is read a row of `count` at a time, each element into its
 * output's accumulator, in the same order per output as rowsLoop. argmax/argmin keep their
 * best value per output; once it is NaN (the first NaN wins) the output is done.
 */
function columnsLoop(op: ReduceOp, isInt: boolean, src: TypedArray, base: number, count: number, len: number, step: number, dst: TypedArray, oo: Int32Array | Float64Array): void {
  const acc = new Float64Array(count);
  switch (op) {
    case 'sum':
      if (isInt) for (let r = 0, b = base; r < len; r++, b += step) for (let o = 0; o < count; o++) acc[o] = (acc[o]! + src[b + o]!) | 0;
      else for (let r = 0, b = base; r < len; r++, b += step) for (let o = 0; o < count; o++) acc[o]! += src[b + o]!;
      break;
    case 'prod':
      acc.fill(1);
      if (isInt) for (let r = 0, b = base; r < len; r++, b += step) for (let o = 0; o < count; o++) acc[o] = Math.imul(acc[o]!, src[b + o]!);
      else for (let r = 0, b = base; r < len; r++, b += step) for (let o = 0; o < count; o++) acc[o]! *= src[b + o]!;
      break;
    case 'max':
      acc.fill(-Infinity);
      // Once NaN, v > NaN is false: the output stays NaN, as the reference's early exit leaves it.
      for (let r = 0, b = base; r < len; r++, b += step) for (let o = 0; o < count; o++) { const v = src[b + o]!; if (v > acc[o]! || v !== v) acc[o] = v; }
      break;
    case 'min':
      acc.fill(Infinity);
      for (let r = 0, b = base; r < len; r++, b += step) for (let o = 0; o < count; o++) { const v = src[b + o]!; if (v < acc[o]! || v !== v) acc[o] = v; }
      break;
    case 'argmax':
    case 'argmin': {
      const at = new Int32Array(count);
      const isMax = op === 'argmax';
      acc.fill(isMax ? -Infinity : Infinity);
      for (let r = 0, b = base; r < len; r++, b += step) {
        for (let o = 0; o < count; o++) {
          const best = acc[o]!;
          if (best !== best) continue;
          const v = src[b + o]!;
          if (v !== v || (isMax ? v > best : v < best)) { acc[o] = v; at[o] = r; }
        }
      }
      for (let o = 0; o < count; o++) dst[oo[o]!] = at[o]!;
      return;
    }
  }
  for (let o = 0; o < count; o++) dst[oo[o]!] = acc[o]!;
}

/** The family's table on the cpu backend. */
export const cpuKernels: ReduceKernels = { reduce };
