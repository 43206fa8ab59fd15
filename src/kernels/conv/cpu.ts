/**
 * CPU reference for 2-D convolution (NCHW) and its two gradients.
 *
 * All three kernels walk the same loop nest: every (output element, weight element) pair of
 * the forward convolution whose input tap falls inside x. The forward adds x * w into y, the
 * input gradient adds dy * w into dx, the weight gradient adds dy * x into dw. Being one walk,
 * the gradients are the forward's adjoints by construction, and the walk is written
 * independently of the WGSL (which gathers per output element instead).
 *
 * Sums run in doubles and are rounded once on store. Operands may be any strided views;
 * logical (row-major) indices are mapped to storage offsets through `viewOffsets`.
 */
import type { Conv2dParams, View } from '../backend.js';
import type { TypedArray } from '../../core/dtype.js';
import { numel } from '../../core/shape.js';
import { viewOffsets } from '../cpu/strided.js';
import type { ConvKernels } from './types.js';

export type { Conv2dParams };

const arr = (v: View): TypedArray => v.storage.handle as TypedArray;

/** Which array a tap accumulates into. */
const enum Into {
  Y,
  DX,
  DW,
}

/**
 * Calls the accumulation for every tap of conv2d with input shape `xs`, weight shape `ws`
 * and output shape `ys`: `acc[target] += a * b`, with the operands picked by `into`.
 */
function walk(
  into: Into,
  xs: readonly number[], ws: readonly number[], ys: readonly number[], p: Conv2dParams,
  acc: Float64Array, read: { x?: (i: number) => number; w?: (i: number) => number; y?: (i: number) => number },
): void {
  const [N, Cin, H, W] = xs as [number, number, number, number];
  const [Cout, cinG, KH, KW] = ws as [number, number, number, number];
  const [, , OH, OW] = ys as [number, number, number, number];
  const [sh, sw] = p.stride;
  const [ph, pw] = p.padding;
  const [dh, dw] = p.dilation;
  const coutG = Cout / p.groups;
  for (let n = 0; n < N; n++) {
    for (let oc = 0; oc < Cout; oc++) {
      const c0 = Math.floor(oc / coutG) * cinG; // first input channel of oc's group
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const yi = ((n * Cout + oc) * OH + oh) * OW + ow;
          for (let ic = 0; ic < cinG; ic++) {
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * sh - ph + kh * dh;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * sw - pw + kw * dw;
                if (iw < 0 || iw >= W) continue;
                const xi = ((n * Cin + c0 + ic) * H + ih) * W + iw;
                const wi = ((oc * cinG + ic) * KH + kh) * KW + kw;
                switch (into) {
                  case Into.Y: acc[yi]! += read.x!(xi) * read.w!(wi); break;
                  case Into.DX: acc[xi]! += read.y!(yi) * read.w!(wi); break;
                  case Into.DW: acc[wi]! += read.y!(yi) * read.x!(xi); break;
                }
              }
            }
          }
        }
      }
    }
  }
}

/** Element i (row-major) of a strided view. */
function reader(v: View): (i: number) => number {
  const a = arr(v);
  const offs = viewOffsets(v, v.shape);
  return (i) => a[offs[i]!]!;
}

function store(acc: Float64Array, out: View): void {
  const o = arr(out);
  const offs = viewOffsets(out, out.shape);
  for (let i = 0; i < acc.length; i++) o[offs[i]!] = acc[i]!;
}

export function conv2d(x: View, w: View, y: View, p: Conv2dParams): void {
  const acc = new Float64Array(numel(y.shape));
  walk(Into.Y, x.shape, w.shape, y.shape, p, acc, { x: reader(x), w: reader(w) });
  store(acc, y);
}

export function conv2dBackwardInput(dy: View, w: View, dx: View, p: Conv2dParams): void {
  const acc = new Float64Array(numel(dx.shape));
  walk(Into.DX, dx.shape, w.shape, dy.shape, p, acc, { y: reader(dy), w: reader(w) });
  store(acc, dx);
}

export function conv2dBackwardWeight(dy: View, x: View, dw: View, p: Conv2dParams): void {
  const acc = new Float64Array(numel(dw.shape));
  walk(Into.DW, x.shape, dw.shape, dy.shape, p, acc, { y: reader(dy), x: reader(x) });
  store(acc, dw);
}

/** The family's table on the cpu backend. */
export const cpuKernels: ConvKernels = { conv2d, conv2dBackwardInput, conv2dBackwardWeight };
