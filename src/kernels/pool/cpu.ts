/**
 * CPU reference for the pooling family (max / average / adaptive average pooling over the last
 * two dims, their backward, and the index-range check of embedding and oneHot). Plain 2-D loops
 * over each window, written independently of the WGSL (which works one axis at a time): float
 * math in doubles, rounded once on store, so it serves float32 and float64 alike.

 */
import type { Pool2dSpec, PoolAxis, View } from '../backend.js';

export type { Pool2dSpec, PoolAxis };
import type { TypedArray } from '../../core/dtype.js';
import { viewOffsets } from '../cpu/strided.js';
import { indexRangeMessage, type IndexCheckOp } from './index_check.js';
import type { PoolKernels } from './types.js';

export { indexRangeMessage, type IndexCheckOp };

const arr = (v: View): TypedArray => v.storage.handle as TypedArray;

/** First input position of window o, its tap count and the step between taps. */
function window(a: PoolAxis, o: number): { first: number; taps: number; step: number } {
  if (a.adaptive) {
    const start = Math.floor((o * a.size) / a.out);
    const end = Math.ceil(((o + 1) * a.size) / a.out);
    return { first: start, taps: end - start, step: 1 };
  }
  return { first: o * a.stride - a.padding, taps: a.kernel, step: a.dilation };
}

/** Average pooling's divisor factor along one axis (the 2-D divisor is the product). */
function axisDivisor(a: PoolAxis, o: number, countIncludePad: boolean): number {
  const { first, taps } = window(a, o);
  if (a.adaptive) return taps;
  if (countIncludePad) return Math.min(first + taps, a.size + a.padding) - first;
  return Math.min(first + taps, a.size) - Math.max(first, 0);
}

/** Offsets of the first element of each [H, W] plane of a 4-D view, in (n, c) order. */
function planes(v: View): Int32Array | Float64Array {
  return viewOffsets({ ...v, shape: v.shape.slice(0, 2), strides: v.strides.slice(0, 2) }, v.shape.slice(0, 2));
}

/**
 * Max pooling of x [N, C, H, W] (any strides) into out and indices (contiguous
 * [N, C, OH, OW]). The index is h * W + w of the window's maximum, the first in row-major
 * order; NaN beats every number (the first NaN wins). A window with no element inside the
 * input (possible only with large dilations) gives -inf and index -1.
 */
export function maxPool2d(x: View, spec: Pool2dSpec, out: View, indices: View): void {
  const X = arr(x);
  const O = arr(out);
  const I = arr(indices);
  const [H, W] = [spec.h.size, spec.w.size];
  const [OH, OW] = [spec.h.out, spec.w.out];
  const [sh, sw] = [x.strides[2]!, x.strides[3]!];
  const base = planes(x);
  let at = 0;
  for (let p = 0; p < base.length; p++) {
    for (let oh = 0; oh < OH; oh++) {
      const wh = window(spec.h, oh);
      for (let ow = 0; ow < OW; ow++) {
        const ww = window(spec.w, ow);
        let best = -Infinity;
        let bestIdx = -1;
        for (let th = 0; th < wh.taps; th++) {
          const h = wh.first + th * wh.step;
          if (h < 0 || h >= H) continue;
          for (let tw = 0; tw < ww.taps; tw++) {
            const w = ww.first + tw * ww.step;
            if (w < 0 || w >= W) continue;
            const v = X[base[p]! + h * sh + w * sw]!;
            const better = bestIdx < 0 || v > best || (v !== v && best === best);
            if (better) {
              best = v;
              bestIdx = h * W + w;
            }
          }
        }
        O[at] = best;
        I[at] = bestIdx;
        at++;
      }
    }
  }
}

/** out [N, C, H, W] (contiguous) = g [N, C, OH, OW] (any strides) added at each output's argmax. */
export function maxPool2dBackward(g: View, indices: View, spec: Pool2dSpec, out: View): void {
  const G = arr(g);
  const O = arr(out);
  const I = arr(indices);
  const plane = spec.h.size * spec.w.size;
  const [OH, OW] = [spec.h.out, spec.w.out];
  const [gh, gw] = [g.strides[2]!, g.strides[3]!];
  const [ih, iw] = [indices.strides[2]!, indices.strides[3]!];
  const gBase = planes(g);
  const iBase = planes(indices);
  const acc = new Float64Array(plane);
  for (let p = 0; p < gBase.length; p++) {
    acc.fill(0);
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const j = I[iBase[p]! + oh * ih + ow * iw]!;
        if (j >= 0) acc[j]! += G[gBase[p]! + oh * gh + ow * gw]!;
      }
    }
    O.set(acc, p * plane);
  }
}

/** Average pooling (plain or adaptive windows) of x [N, C, H, W] (any strides) into contiguous out. */
export function avgPool2d(x: View, spec: Pool2dSpec, out: View): void {
  const X = arr(x);
  const O = arr(out);
  const [H, W] = [spec.h.size, spec.w.size];
  const [OH, OW] = [spec.h.out, spec.w.out];
  const [sh, sw] = [x.strides[2]!, x.strides[3]!];
  const base = planes(x);
  let at = 0;
  for (let p = 0; p < base.length; p++) {
    for (let oh = 0; oh < OH; oh++) {
      const wh = window(spec.h, oh);
      const dh = axisDivisor(spec.h, oh, spec.countIncludePad);
      for (let ow = 0; ow < OW; ow++) {
        const ww = window(spec.w, ow);
        let s = 0;
        for (let h = Math.max(wh.first, 0); h < Math.min(wh.first + wh.taps, H); h++) {
          for (let w = Math.max(ww.first, 0); w < Math.min(ww.first + ww.taps, W); w++) s += X[base[p]! + h * sh + w * sw]!;
        }
        O[at++] = s / (spec.divisorOverride ?? dh * axisDivisor(spec.w, ow, spec.countIncludePad));
      }
    }
  }
}

/** The adjoint of avgPool2d: each g [N, C, OH, OW] (any strides) spread evenly over its window, into contiguous out. */
export function avgPool2dBackward(g: View, spec: Pool2dSpec, out: View): void {
  const G = arr(g);
  const O = arr(out);
  const [H, W] = [spec.h.size, spec.w.size];
  const [OH, OW] = [spec.h.out, spec.w.out];
  const [gh, gw] = [g.strides[2]!, g.strides[3]!];
  const gBase = planes(g);
  const acc = new Float64Array(H * W);
  for (let p = 0; p < gBase.length; p++) {
    acc.fill(0);
    for (let oh = 0; oh < OH; oh++) {
      const wh = window(spec.h, oh);
      const dh = axisDivisor(spec.h, oh, spec.countIncludePad);
      for (let ow = 0; ow < OW; ow++) {
        const ww = window(spec.w, ow);
        const v = G[gBase[p]! + oh * gh + ow * gw]! / (spec.divisorOverride ?? dh * axisDivisor(spec.w, ow, spec.countIncludePad));
        for (let h = Math.max(wh.first, 0); h < Math.min(wh.first + wh.taps, H); h++) {
          for (let w = Math.max(ww.first, 0); w < Math.min(ww.first + ww.taps, W); w++) acc[h * W + w]! += v;
        }
      }
    }
    O.set(acc, p * H * W);
  }
}

/** Throws if an int32 index lies outside [0, size). */
export function checkIndexRange(op: IndexCheckOp, index: View, size: number): void {
  const I = arr(index);
  const offs = viewOffsets(index, index.shape);
  for (let i = 0; i < offs.length; i++) {
    const j = I[offs[i]!]!;
    if (j < 0 || j >= size) throw new Error(indexRangeMessage(op, j, size));
  }
}

/** The family's table on the cpu backend. */
export const cpuKernels: PoolKernels = { maxPool2d, maxPool2dBackward, avgPool2d, avgPool2dBackward, checkIndexRange };
