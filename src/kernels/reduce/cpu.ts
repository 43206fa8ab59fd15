/**
 * CPU reference of the reductions over the trailing dims: doubles for floats (rounded once on
 * store), wrapping int32 arithmetic for ints; NaN propagates through max/min and wins argmax/argmin.
 */
import type { View } from '../../core/view.js';
import { isIntegral, type TypedArray } from '../../core/dtype.js';
import { elementOffsets, viewOffsets } from '../cpu/strided.js';
import type { ReduceOp } from '../ops.js';
import type { ReduceKernels } from './types.js';

const arr = (v: View): TypedArray => v.storage.handle as TypedArray;

export function reduce(op: ReduceOp, x: View, reduceRank: number, out: View): void {
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

/** The family's table on the cpu backend. */
export const cpuKernels: ReduceKernels = { reduce };
