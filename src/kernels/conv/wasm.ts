/**
 * The convolution binder on the wasm backend: conv2d and both gradients lowered to the matrix
 * product, image by image and group by group (src/kernels/wasm/c/conv.c's im2col and col2im,
 * gemm.c's gemm_f32):
 *   forward       y[n, g]  = W_g x col(x[n, g])               [Cout/g, P]
 *   input grad    dx[n, g] = col2im(W_g^T x dy[n, g])         (W_g^T is a strided read, no copy)
 *   weight grad   dW_g    += dy[n, g] x col(x[n, g])^T        (summed over the images)
 * where P = OH * OW and col is [Cin/g * KH * KW, P]. Float32 only; other dtypes run the cpu
 * reference. x may be any strided view; w and dy are copied to contiguous blocks when their
 * trailing dims cannot be read with one stride.
 */
import type { Conv2dParams, View } from '../backend.js';
import type { WasmRuntime } from '../wasm/runtime.js';
import { PARALLEL_WORK, ptr } from '../wasm/util.js';
import * as reference from './cpu.js';
import type { ConvKernels } from './types.js';

/**
 * [pointer, row stride, column stride] of a 4-D view read as a matrix [d0 * ..., rest] split
 * after dim `split`, or a contiguous copy in `temps` when the dims do not merge.
 */
function asMatrix(rt: WasmRuntime, v: View, temps: number[]): { at: number; strides: number[]; contiguous: boolean } {
  const s = v.strides;
  const sh = v.shape;
  // Contiguous trailing dims (C, H, W): element strides sh[2]*sh[3], sh[3], 1 (size-1 dims free).
  const ok = (d: number, want: number) => sh[d] === 1 || s[d] === want;
  const contiguous = ok(3, 1) && ok(2, sh[3]!) && ok(1, sh[2]! * sh[3]!);
  if (contiguous) return { at: ptr(v), strides: [...s], contiguous };
  const n = sh.reduce((a, b) => a * b, 1);
  const at = rt.alloc(4 * n);
  temps.push(at, 4 * n);
  const dst = new Float32Array(rt.memory.buffer, at, n);
  const src = v.storage.handle as Float32Array;
  let i = 0;
  for (let a = 0; a < sh[0]!; a++)
    for (let b = 0; b < sh[1]!; b++)
      for (let c = 0; c < sh[2]!; c++)
        for (let d = 0, o = v.offset + a * s[0]! + b * s[1]! + c * s[2]!; d < sh[3]!; d++, o += s[3]!) dst[i++] = src[o]!;
  return { at, strides: [sh[1]! * sh[2]! * sh[3]!, sh[2]! * sh[3]!, sh[3]!, 1], contiguous: false };
}

interface Geometry {
  N: number; Cin: number; H: number; W: number; Cout: number; cinG: number; coutG: number;
  KH: number; KW: number; OH: number; OW: number; G: number; P: number; KK: number;
}

function geometry(x: readonly number[], w: readonly number[], y: readonly number[], p: Conv2dParams): Geometry {
  const [N, Cin, H, W] = x as [number, number, number, number];
  const [Cout, cinG, KH, KW] = w as [number, number, number, number];
  const [OH, OW] = [y[2]!, y[3]!];
  return { N, Cin, H, W, Cout, cinG, coutG: Cout / p.groups, KH, KW, OH, OW, G: p.groups, P: OH * OW, KK: cinG * KH * KW };
}

const f32 = (...vs: View[]) => vs.every((v) => v.dtype === 'float32');

/** im2col of image n, group g of x into col ([KK, P] floats at `col`). */
function im2col(rt: WasmRuntime, x: View, xs: number, g: Geometry, p: Conv2dParams, n: number, grp: number, col: number): void {
  const s = x.strides;
  rt.run('im2col_f32', [
    xs + 4 * (n * s[0]! + grp * g.cinG * s[1]!), s[1]!, s[2]!, s[3]!, g.cinG, g.H, g.W, g.KH, g.KW, g.OH, g.OW,
    p.stride[0], p.stride[1], p.padding[0], p.padding[1], p.dilation[0], p.dilation[1], col,
  ], g.cinG > 1 && g.KK * g.P >= PARALLEL_WORK);
}

function gemm(rt: WasmRuntime, A: number, sam: number, sak: number, B: number, sbk: number, sbn: number, C: number, ldc: number, M: number, N: number, K: number, acc: boolean): void {
  rt.run('gemm_f32', [A, sam, sak, B, sbk, sbn, C, ldc, M, N, K, acc ? 1 : 0, rt.scratch, rt.scratchBytes], M >= 8 && M * N * K >= PARALLEL_WORK);
}

export function conv2d(rt: WasmRuntime, x: View, w: View, y: View, p: Conv2dParams): void {
  if (!f32(x, w, y)) return reference.conv2d(x, w, y, p);
  const g = geometry(x.shape, w.shape, y.shape, p);
  if (g.N === 0 || g.Cout === 0 || g.P === 0) return;
  if (g.KK === 0) return void (y.storage.handle as Float32Array).fill(0, y.offset, y.offset + g.N * g.Cout * g.P);
  const temps: number[] = [];
  const col = rt.alloc(4 * g.KK * g.P);
  temps.push(col, 4 * g.KK * g.P);
  try {
    const W = asMatrix(rt, w, temps);
    const [xs, ys] = [ptr(x), ptr(y)];
    for (let n = 0; n < g.N; n++) {
      for (let grp = 0; grp < g.G; grp++) {
        im2col(rt, x, xs, g, p, n, grp, col);
        // y[n, grp*coutG : ...] (contiguous, [coutG, P]) = W_g [coutG, KK] x col [KK, P]
        gemm(rt, W.at + 4 * grp * g.coutG * W.strides[0]!, W.strides[0]!, 1, col, g.P, 1,
          ys + 4 * (n * g.Cout + grp * g.coutG) * g.P, g.P, g.coutG, g.P, g.KK, false);
      }
    }
  } finally {
    for (let i = 0; i < temps.length; i += 2) rt.release(temps[i]!, temps[i + 1]!);
  }
}

export function conv2dBackwardInput(rt: WasmRuntime, dy: View, w: View, dx: View, p: Conv2dParams): void {
  if (!f32(dy, w, dx)) return reference.conv2dBackwardInput(dy, w, dx, p);
  const g = geometry(dx.shape, w.shape, dy.shape, p);
  const total = g.N * g.Cin * g.H * g.W;
  (dx.storage.handle as Float32Array).fill(0, dx.offset, dx.offset + total);
  if (g.N === 0 || g.Cout === 0 || g.P === 0 || g.KK === 0) return;
  const temps: number[] = [];
  const col = rt.alloc(4 * g.KK * g.P);
  temps.push(col, 4 * g.KK * g.P);
  try {
    const W = asMatrix(rt, w, temps);
    const D = asMatrix(rt, dy, temps);
    const dxs = ptr(dx);
    for (let n = 0; n < g.N; n++) {
      for (let grp = 0; grp < g.G; grp++) {
        // dcol [KK, P] = W_g^T [KK, coutG] x dy[n, g] [coutG, P]
        gemm(rt, W.at + 4 * grp * g.coutG * W.strides[0]!, 1, W.strides[0]!,
          D.at + 4 * (n * D.strides[0]! + grp * g.coutG * D.strides[1]!), D.strides[1]!, 1, col, g.P, g.KK, g.P, g.coutG, false);
        rt.run('col2im_f32', [
          col, g.cinG, g.H, g.W, g.KH, g.KW, g.OH, g.OW, p.stride[0], p.stride[1], p.padding[0], p.padding[1],
          p.dilation[0], p.dilation[1], dxs + 4 * (n * g.Cin + grp * g.cinG) * g.H * g.W,
        ], g.cinG > 1 && g.KK * g.P >= PARALLEL_WORK);
      }
    }
  } finally {
    for (let i = 0; i < temps.length; i += 2) rt.release(temps[i]!, temps[i + 1]!);
  }
}

export function conv2dBackwardWeight(rt: WasmRuntime, dy: View, x: View, dw: View, p: Conv2dParams): void {
  if (!f32(dy, x, dw)) return reference.conv2dBackwardWeight(dy, x, dw, p);
  const g = geometry(x.shape, dw.shape, dy.shape, p);
  if (g.Cout === 0 || g.KK === 0) return;
  if (g.N === 0 || g.P === 0) return void (dw.storage.handle as Float32Array).fill(0, dw.offset, dw.offset + g.Cout * g.KK);
  const temps: number[] = [];
  const col = rt.alloc(4 * g.KK * g.P);
  temps.push(col, 4 * g.KK * g.P);
  try {
    const D = asMatrix(rt, dy, temps);
    const [xs, dws] = [ptr(x), ptr(dw)];
    for (let n = 0; n < g.N; n++) {
      for (let grp = 0; grp < g.G; grp++) {
        im2col(rt, x, xs, g, p, n, grp, col);
        // dW_g [coutG, KK] (+)= dy[n, g] [coutG, P] x col^T [P, KK]
        gemm(rt, D.at + 4 * (n * D.strides[0]! + grp * g.coutG * D.strides[1]!), D.strides[1]!, 1, col, 1, g.P,
          dws + 4 * grp * g.coutG * g.KK, g.KK, g.coutG, g.KK, g.P, n > 0);
      }
    }
  } finally {
    for (let i = 0; i < temps.length; i += 2) rt.release(temps[i]!, temps[i + 1]!);
  }
}

/** The family's table on the wasm backend. */
export function wasmKernels(rt: WasmRuntime): ConvKernels {
  return {
    conv2d: (x, w, y, p) => conv2d(rt, x, w, y, p),
    conv2dBackwardInput: (dy, w, dx, p) => conv2dBackwardInput(rt, dy, w, dx, p),
    conv2dBackwardWeight: (dy, x, dw, p) => conv2dBackwardWeight(rt, dy, x, dw, p),
  };
}
