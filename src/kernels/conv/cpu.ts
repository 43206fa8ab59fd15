/**
 * CPU kernels for 2-D convolution (NCHW) and its two gradients, and their reference.
 *
 * All three kernels walk the same loop nest: every (output element, weight element) pair of
 * the forward convolution whose input tap falls inside x. The forward adds x * w into y, the
 * input gradient adds dy * w into dx, the weight gradient adds dy * x into dw. Being one walk,
 * the gradients are the forward's adjoints by construction, and the walk is written
 * independently of the WGSL (which gathers per output element instead).
 *
 * Sums run in doubles and are rounded once on store. Operands may be any strided views;
 * logical (row-major) indices are mapped to storage offsets through `viewOffsets`.
 *
 * The kernels the backend runs (`conv2d`, `conv2dBackwardInput`, `conv2dBackwardWeight`)
 * first copy their operands into contiguous Float64Arrays. The forward and the weight
 * gradient then go through the blocked matmul (matmul/cpu.ts) over an im2col scratch
 * (col[(c, kh, kw), (n, oh, ow)]: x's tap, 0 where it falls in the padding): y = W col per
 * image and group, dW = dY col^T per group. Each output element sums the same products in
 * the same order as the walk (c, kh, kw ascending for y; n, oh, ow for dW): the padding's
 * zeros add w * 0 = 0, which leaves a double sum started at +0 unchanged, so the results are
 * the walk's bit for bit while the operand multiplied by the padding is finite (an infinite
 * weight next to the padding gives NaN, as in PyTorch, where the walk skips the tap). The
 * input gradient runs direct loops over the copies (no closures, no offset tables) that keep
 * the walk's order per element (see conv2dBackwardInput): an im2col form would sum over the
 * output channels first.
 * `reference` keeps the walk for the tests to check these against.
 */
import type { Conv2dParams, View } from '../backend.js';
import type { TypedArray } from '../../core/dtype.js';
import { isContiguous, numel } from '../../core/shape.js';
import { viewOffsets } from '../cpu/strided.js';
import { matmul } from '../matmul/cpu.js';
import type { ConvKernels } from './types.js';
import { addBiasAlong } from '../elementwise/bias.js';
import { binary, unary } from '../elementwise/cpu.js';
import type { FusedAct } from '../ops.js';

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
  if (isContiguous(out.shape, out.strides)) {
    o.set(acc, out.offset); // rounds each double as an element store does
    return;
  }
  const offs = viewOffsets(out, out.shape);
  for (let i = 0; i < acc.length; i++) o[offs[i]!] = acc[i]!;
}

/** The walk for each kernel: the plain loops the tests check the kernels against. */
export const reference: ConvKernels = {
  conv2d(x, w, y, p, bias, act) {
    const acc = new Float64Array(numel(y.shape));
    walk(Into.Y, x.shape, w.shape, y.shape, p, acc, { x: reader(x), w: reader(w) });
    store(acc, y);
    if (bias) addBiasAlong({ binary, unary }, y, bias, 1, act);
  },
  conv2dBackwardInput(dy, w, dx, p) {
    const acc = new Float64Array(numel(dx.shape));
    walk(Into.DX, dx.shape, w.shape, dy.shape, p, acc, { y: reader(dy), w: reader(w) });
    store(acc, dx);
  },
  conv2dBackwardWeight(dy, x, dw, p) {
    const acc = new Float64Array(numel(dw.shape));
    walk(Into.DW, x.shape, dw.shape, dy.shape, p, acc, { y: reader(dy), x: reader(x) });
    store(acc, dw);
  },
};

/** A view's elements in row-major order, as doubles. */
function dense(v: View): Float64Array {
  const a = arr(v);
  if (isContiguous(v.shape, v.strides)) return Float64Array.from(a.subarray(v.offset, v.offset + numel(v.shape)));
  const offs = viewOffsets(v, v.shape);
  const out = new Float64Array(offs.length);
  for (let i = 0; i < offs.length; i++) out[i] = a[offs[i]!]!;
  return out;
}

/** A float64 view over a scratch array, for the blocked matmul. */
function scratch(handle: Float64Array, shape: number[], strides: number[], offset: number): View {
  return { storage: { handle } as unknown as View['storage'], dtype: 'float64', shape, strides, offset };
}

/** im2col's scratch is capped (doubles): past it the forward works through fewer images at a time. */
const COL_LIMIT = 1 << 22;

/**
 * im2col of images [n0, n0 + nb) of xc (contiguous [N, Cin, H, W]), channels [c0, c0 + cinG):
 * col[((c * KH + kh) * KW + kw) * cols + (n - n0) * OH * OW + oh * OW + ow] = x's tap, 0 in the padding.
 */
function im2col(xc: Float64Array, xs: readonly number[], c0: number, cinG: number, n0: number, nb: number, KH: number, KW: number, OH: number, OW: number, p: Conv2dParams, col: Float64Array): void {
  const [, Cin, H, W] = xs as [number, number, number, number];
  const [sh, sw] = p.stride;
  const [ph, pw] = p.padding;
  const [dh, dw] = p.dilation;
  const P = OH * OW;
  const cols = nb * P;
  for (let c = 0; c < cinG; c++) {
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        const row = ((c * KH + kh) * KW + kw) * cols;
        for (let n = 0; n < nb; n++) {
          const plane = ((n0 + n) * Cin + c0 + c) * H * W;
          let at = row + n * P;
          for (let oh = 0; oh < OH; oh++) {
            const ih = oh * sh - ph + kh * dh;
            if (ih < 0 || ih >= H) {
              col.fill(0, at, at + OW);
              at += OW;
              continue;
            }
            const line = plane + ih * W;
            for (let ow = 0, iw = kw * dw - pw; ow < OW; ow++, iw += sw) col[at++] = iw >= 0 && iw < W ? xc[line + iw]! : 0;
          }
        }
      }
    }
  }
}

/** The lowered product's sizes: images, weight [Cout, cinG, KH, KW], output pixels P, terms R, channels per group. */
function sizes(x: View, w: View, y: View, p: Conv2dParams) {
  const [Cout, cinG, KH, KW] = w.shape as [number, number, number, number];
  const [OH, OW] = [y.shape[2]!, y.shape[3]!];
  return { N: x.shape[0]!, Cout, cinG, KH, KW, OH, OW, P: OH * OW, R: cinG * KH * KW, coutG: Cout / p.groups };
}

export function conv2d(x: View, w: View, y: View, p: Conv2dParams, bias?: View | null, act?: FusedAct | null): void {
  convProduct(x, w, y, p);
  if (bias) addBiasAlong({ binary, unary }, y, bias, 1, act);
}

function convProduct(x: View, w: View, y: View, p: Conv2dParams): void {
  const { N, Cout, cinG, KH, KW, OH, OW, P, R, coutG } = sizes(x, w, y, p);
  const acc = new Float64Array(N * Cout * P);
  if (acc.length === 0 || R === 0) return store(acc, y);
  const xc = dense(x);
  const wc = dense(w);
  const nb = Math.max(1, Math.min(N, Math.floor(COL_LIMIT / (R * P))));
  const col = new Float64Array(R * nb * P);
  for (let n0 = 0; n0 < N; n0 += nb) {
    const m = Math.min(nb, N - n0);
    for (let g = 0; g < p.groups; g++) {
      im2col(xc, x.shape, g * cinG, cinG, n0, m, KH, KW, OH, OW, p, col);
      // Per image n: y[n, group's channels] = W_g [coutG, R] @ col[:, n's P columns].
      matmul(
        scratch(wc, [m, coutG, R], [0, R, 1], g * coutG * R),
        scratch(col, [m, R, P], [P, m * P, 1], 0),
        scratch(acc, [m, coutG, P], [Cout * P, P, 1], (n0 * Cout + g * coutG) * P),
      );
    }
  }
  store(acc, y);
}

export function conv2dBackwardWeight(dy: View, x: View, dw: View, p: Conv2dParams): void {
  const { N, Cout, cinG, KH, KW, OH, OW, P, R, coutG } = sizes(x, dw, dy, p);
  const acc = new Float64Array(Cout * R);
  // dW's sum runs over every image at once (its order is n, oh, ow): one scratch for all of them.
  if (R * N * P > 4 * COL_LIMIT) return reference.conv2dBackwardWeight(dy, x, dw, p);
  if (acc.length === 0 || N * P === 0) return store(acc, dw);
  const xc = dense(x);
  const dyc = dense(dy); // [N, Cout, P]
  // dY_g as [coutG, N * P]: each channel's rows of all images next to each other.
  const dyt = new Float64Array(Cout * N * P);
  for (let n = 0; n < N; n++) for (let c = 0; c < Cout; c++) dyt.set(dyc.subarray((n * Cout + c) * P, (n * Cout + c + 1) * P), (c * N + n) * P);
  const col = new Float64Array(R * N * P);
  for (let g = 0; g < p.groups; g++) {
    im2col(xc, x.shape, g * cinG, cinG, 0, N, KH, KW, OH, OW, p, col);
    matmul(
      scratch(dyt, [coutG, N * P], [N * P, 1], g * coutG * N * P),
      scratch(col, [N * P, R], [1, N * P], 0),
      scratch(acc, [coutG, R], [R, 1], g * coutG * R),
    );
  }
  store(acc, dw);
}

/**
 * The input gradient over contiguous copies of dy and w, each dx element summing the walk's
 * products in the walk's order. For one dx element (n, c, ih, iw) the walk adds its terms by
 * oc, then (oh, ow); and each (oh, ow) meets it through one tap (kh, kw) at most, oh falling
 * as kh rises (ih = oh * sh - ph + kh * dh), ow as kw rises. So the loops here run oc, then the
 * taps with kh and kw descending, then the (oh, ow) each tap reaches inside x: the same order
 * per element, with the bounds worked out once per tap and a plain inner loop over ow.
 */
export function conv2dBackwardInput(dy: View, w: View, dx: View, p: Conv2dParams): void {
  const [N, Cin, H, W] = dx.shape as [number, number, number, number];
  const [Cout, cinG, KH, KW] = w.shape as [number, number, number, number];
  const [, , OH, OW] = dy.shape as [number, number, number, number];
  const [sh, sw] = p.stride;
  const [ph, pw] = p.padding;
  const [dh, dwl] = p.dilation;
  const coutG = Cout / p.groups;
  const acc = new Float64Array(N * Cin * H * W);
  if (acc.length === 0 || numel(dy.shape) === 0) return store(acc, dx);
  const dyc = dense(dy);
  const wc = dense(w);
  // The outputs a tap reaches inside x: lo <= o < hi with 0 <= o * s - pad + k * d < size.
  const range = (k: number, d: number, s: number, pad: number, size: number, count: number): [number, number] => [
    Math.max(0, Math.ceil((pad - k * d) / s)),
    Math.min(count, Math.floor((size - 1 + pad - k * d) / s) + 1),
  ];
  for (let n = 0; n < N; n++) {
    for (let oc = 0; oc < Cout; oc++) {
      const c0 = Math.floor(oc / coutG) * cinG;
      const yPlane = (n * Cout + oc) * OH * OW;
      // Four input channels at a time (four dx planes, each element still in its own order): each dy load serves four terms.
      const plane = H * W;
      for (let ic = 0; ic < cinG; ic += 4) {
        const four = ic + 4 <= cinG;
        const xPlane = (n * Cin + c0 + ic) * plane;
        for (let kh = KH - 1; kh >= 0; kh--) {
          const [ohLo, ohHi] = range(kh, dh, sh, ph, H, OH);
          for (let kw = KW - 1; kw >= 0; kw--) {
            const [owLo, owHi] = range(kw, dwl, sw, pw, W, OW);
            if (owLo >= owHi) continue;
            const wAt = ((oc * cinG + ic) * KH + kh) * KW + kw;
            const tap = KH * KW;
            const w0 = wc[wAt]!;
            for (let oh = ohLo; oh < ohHi; oh++) {
              const xRow = xPlane + (oh * sh - ph + kh * dh) * W;
              const yRow = yPlane + oh * OW;
              if (four) {
                const w1 = wc[wAt + tap]!, w2 = wc[wAt + 2 * tap]!, w3 = wc[wAt + 3 * tap]!;
                for (let ow = owLo, i = xRow + owLo * sw - pw + kw * dwl; ow < owHi; ow++, i += sw) {
                  const g = dyc[yRow + ow]!;
                  acc[i]! += g * w0; acc[i + plane]! += g * w1; acc[i + 2 * plane]! += g * w2; acc[i + 3 * plane]! += g * w3;
                }
              } else {
                for (let c = 0; c < cinG - ic; c++) {
                  const wv = wc[wAt + c * tap]!;
                  const xr = xRow + c * plane;
                  for (let ow = owLo, iw = owLo * sw - pw + kw * dwl; ow < owHi; ow++, iw += sw) acc[xr + iw]! += dyc[yRow + ow]! * wv;
                }
              }
            }
          }
        }
      }
    }
  }
  store(acc, dx);
}

/** The family's table on the cpu backend. */
export const cpuKernels: ConvKernels = { conv2d, conv2dBackwardInput, conv2dBackwardWeight };
