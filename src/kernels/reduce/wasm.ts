/**
 * The reduction binder on the wasm backend: float32 sum, max, min, argmax and argmin run
 * src/kernels/wasm/c/reduce.c when the reduced dims merge (cpu/strided's rule) into
 *   - [segments, len] with len contiguous (a row, or rows of a [B, C, HW] block reduced
 *     over B and HW): reduce_rows_f32, float64 lane sums;
 *   - one strided dim, with the kept dims' last one contiguous (sum over the batch of a
 *     [B, N] gradient): reduce_cols_f32, the SIMD lanes are neighbouring outputs;
 *   - one strided dim otherwise: reduce_rows_f32 with one-element segments.
 * Column sums stream x row by row into float64 sums (reduce_cols_sum_f32), bit for bit the
 * reference's. The outputs are split over the threads when the work is large; one long row
 * (x.sum()) is split into chunks (reduce_all_f32). prod, other dtypes and other layouts run
 * the cpu reference.
 */
import type { View } from '../../core/view.js';
import { coalesce, isContiguous, numel } from '../../core/shape.js';
import { elementOffsets } from '../cpu/strided.js';
import type { ReduceOp } from '../ops.js';
import type { WasmRuntime } from '../wasm/runtime.js';
import { PARALLEL_WORK } from '../wasm/util.js';
import { reduce as reference } from './cpu.js';
import type { ReduceKernels } from './types.js';

/** reduce.c's op codes. */
const CODE: Partial<Record<ReduceOp, number>> = { sum: 0, max: 1, min: 2, argmax: 3, argmin: 4 };

const base = (v: View): number => (v.storage.handle as ArrayBufferView).byteOffset;

/**
 * Runs `fn(op, X, table, stride, count, ...rest)` with the outer dims (merged) as either
 * one stride (table 0) or a heap table of offsets. Returns false when the table is not int32.
 */
function withOuter(rt: WasmRuntime, fn: string, code: number, x: View, shape: number[], strides: number[], rest: number[], parallel: boolean): boolean {
  const X = base(x) + 4 * x.offset;
  if (shape.length <= 1) {
    rt.run(fn, [code, X, 0, strides[0] ?? 0, shape[0] ?? 1, ...rest], parallel);
    return true;
  }
  const offs = elementOffsets(shape, strides, 0);
  if (!(offs instanceof Int32Array)) return false;
  const bytes = 4 * offs.length;
  const at = rt.alloc(bytes);
  try {
    new Int32Array(rt.memory.buffer, at, offs.length).set(offs);
    rt.run(fn, [code, X, at, 0, offs.length, ...rest], parallel);
  } finally {
    rt.release(at, bytes);
  }
  return true;
}

/**
 * One long contiguous row to one output, split over the threads: each reduces its chunk
 * (reduce_all_f32), and the chunks, in order, combine here: sums in doubles, NaN first, ties
 * to the earlier chunk (which holds the earlier index, or the first zero met).
 */
function reduceAll(rt: WasmRuntime, op: ReduceOp, code: number, X: number, n: number, out: View): void {
  const T = rt.threads;
  const bytes = 16 * T;
  const at = rt.alloc(bytes);
  try {
    rt.run('reduce_all_f32', [code, X, n, at], true);
    const f64 = new Float64Array(rt.memory.buffer, at, 2 * T);
    const i32 = new Int32Array(rt.memory.buffer, at, 4 * T);
    const dst = out.storage.handle as Float32Array | Int32Array;
    if (op === 'sum') {
      let s = 0;
      for (let t = 0; t < T; t++) s += f64[2 * t]!;
      dst[out.offset] = s;
      return;
    }
    const isMax = op === 'max' || op === 'argmax';
    let best = f64[0]!;
    let idx = i32[2]!;
    for (let t = 1; t < T && best === best; t++) {
      const v = f64[2 * t]!;
      if (v !== v || (isMax ? v > best : v < best)) {
        best = v;
        idx = i32[4 * t + 2]!;
      }
    }
    dst[out.offset] = op === 'argmax' || op === 'argmin' ? idx : best;
  } finally {
    rt.release(at, bytes);
  }
}

export function reduce(rt: WasmRuntime, op: ReduceOp, x: View, reduceRank: number, out: View): void {
  const code = CODE[op];
  const arg = op === 'argmax' || op === 'argmin';
  if (code === undefined || x.dtype !== 'float32' || out.dtype !== (arg ? 'int32' : 'float32')) return reference(op, x, reduceRank, out);
  const rank = x.shape.length;
  const outerShape = x.shape.slice(0, rank - reduceRank);
  const nOut = numel(outerShape);
  if (nOut === 0) return;
  if (!isContiguous(out.shape, out.strides)) return reference(op, x, reduceRank, out);
  const K = numel(x.shape.slice(rank - reduceRank));
  if (K === 0) return reference(op, x, reduceRank, out); // sum: zeros; the others throw before this
  const inner = coalesce(x.shape.slice(rank - reduceRank), [x.strides.slice(rank - reduceRank)]);
  const outer = coalesce(outerShape, [x.strides.slice(0, rank - reduceRank)]);
  const [ish, ist] = [inner.shape, inner.strides[0]!];
  const [osh, ost] = [outer.shape, outer.strides[0]!];
  const O = base(out) + 4 * out.offset;
  const parallel = nOut > 1 && nOut * K >= PARALLEL_WORK;
  let done = false;
  if ((ish.length === 0 || (ish.length === 1 && ist[0] === 1)) && nOut === 1 && K >= PARALLEL_WORK && rt.threads > 1) {
    reduceAll(rt, op, code, base(x) + 4 * x.offset, K, out);
    done = true;
  } else if (ish.length === 0 || (ish.length === 1 && ist[0] === 1)) {
    // One contiguous row per output.
    done = withOuter(rt, 'reduce_rows_f32', code, x, osh, ost, [1, K, 0, O], parallel);
  } else if (ish.length === 2 && ist[1] === 1) {
    done = withOuter(rt, 'reduce_rows_f32', code, x, osh, ost, [ish[0]!, ish[1]!, ist[0]!, O], parallel);
  } else if (ish.length === 1 && osh.length >= 1 && ost[osh.length - 1] === 1) {
    // Columns: the last kept dim is contiguous, the reduced one strided.
    const cols = osh[osh.length - 1]!;
    const gShape = osh.slice(0, -1);
    const gStrides = ost.slice(0, -1);
    const par = nOut > 4 && nOut * K >= PARALLEL_WORK;
    const X = base(x) + 4 * x.offset;
    // Sums stream rows of x into float64 sums (a heap row of cols doubles); the others take four columns at a time.
    const sum = op === 'sum';
    const accBytes = sum ? 8 * cols : 0;
    const acc = sum ? rt.alloc(accBytes) : 0;
    const call = (tbl: number, gs: number, groups: number) => {
      if (sum) rt.run('reduce_cols_sum_f32', [X, tbl, gs, groups, cols, K, ist[0]!, O, acc], cols >= 8 && nOut * K >= PARALLEL_WORK);
      else rt.run('reduce_cols_f32', [code, X, tbl, gs, groups, cols, K, ist[0]!, O], par);
    };
    try {
      if (gShape.length <= 1) {
        call(0, gStrides[0] ?? 0, gShape[0] ?? 1);
        done = true;
      } else {
        const offs = elementOffsets(gShape, gStrides, 0);
        if (offs instanceof Int32Array) {
          const bytes = 4 * offs.length;
          const at = rt.alloc(bytes);
          try {
            new Int32Array(rt.memory.buffer, at, offs.length).set(offs);
            call(at, 0, offs.length);
          } finally {
            rt.release(at, bytes);
          }
          done = true;
        }
      }
    } finally {
      if (sum) rt.release(acc, accBytes);
    }
  } else if (ish.length === 1) {
    // One strided dim: segments of one element.
    done = withOuter(rt, 'reduce_rows_f32', code, x, osh, ost, [K, 1, ist[0]!, O], parallel);
  }
  if (!done) reference(op, x, reduceRank, out);
}

/** The family's table on the wasm backend. */
export function wasmKernels(rt: WasmRuntime): ReduceKernels {
  return { reduce: (op, x, reduceRank, out) => reduce(rt, op, x, reduceRank, out) };
}
