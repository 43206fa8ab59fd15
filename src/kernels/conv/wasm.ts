/**
 * The convolution binder on the wasm backend: conv2d and both gradients lowered to the matrix
 * product, a batch of images and a group at a time (src/kernels/wasm/c/conv.c's im2col,
 * col2im and copy_rows, gemm.c's gemm_f32), so each is one large product that the threads share:
 *   forward       y[:, g]  = W_g x col(x[:, g])               [Cout/g, nb * P], rows moved into y
 *   input grad    dx[:, g] = col2im(W_g^T x dy[:, g])         (W_g^T is a strided read, no copy)
 *   weight grad   dW_g    += dy[:, g] x col(x[:, g])^T        (summed over the batches)
 * where P = OH * OW, col is [Cin/g * KH * KW, nb * P] and nb images keep col under 16 MiB. Where
 * one image's group, zero-padded, fits in a core's cache and there are images for every thread,
 * the forward and the weight gradient run an image at a time instead (conv_images_f32 and
 * conv_images_wgrad_f32, see IMAGE_LAYOUT): the threads claim whole images in turn
 * (rt.counter(), so a thread the OS holds back takes fewer), pad the image into a block of
 * their own and run the product with its taps read from there through offset tables (no column
 * matrix), writing y directly (same bits; see docs/wasm.md for the times). Float32 only; other dtypes run the cpu
 * reference. x may be any strided view; w and dy are copied to contiguous blocks when their
 * trailing dims cannot be read with one stride.
 */
import type { Conv2dParams, View } from '../backend.js';
import type { WasmRuntime } from '../wasm/runtime.js';
import { PARALLEL_WORK, ptr } from '../wasm/util.js';
import * as reference from './cpu.js';
import type { ConvKernels } from './types.js';
import { addBiasAlong } from '../elementwise/bias.js';
import { biasKernels } from '../elementwise/wasm.js';
import type { FusedAct } from '../ops.js';

/** Blocks from the heap, all given back by `done`. */
function scratchBlocks(rt: WasmRuntime) {
  const held: number[] = [];
  return {
    take(floats: number): number {
      const at = rt.alloc(4 * floats);
      held.push(at, 4 * floats);
      return at;
    },
    done(): void {
      for (let i = 0; i < held.length; i += 2) rt.release(held[i]!, held[i + 1]!);
    },
  };
}

type Blocks = ReturnType<typeof scratchBlocks>;

/**
 * A 4-D view's pointer and element strides, read as rows of its contiguous trailing dims
 * (C, H, W), or a contiguous copy taken from `blocks` when those dims do not merge.
 */
function asMatrix(rt: WasmRuntime, v: View, blocks: Blocks): { at: number; strides: number[]; contiguous: boolean } {
  const s = v.strides;
  const sh = v.shape;
  // Contiguous trailing dims (C, H, W): element strides sh[2]*sh[3], sh[3], 1 (size-1 dims free).
  const ok = (d: number, want: number) => sh[d] === 1 || s[d] === want;
  const contiguous = ok(3, 1) && ok(2, sh[3]!) && ok(1, sh[2]! * sh[3]!);
  if (contiguous) return { at: ptr(v), strides: [...s], contiguous };
  const n = sh.reduce((a, b) => a * b, 1);
  const at = blocks.take(n);
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

/** Images per lowered product: the column matrix [KK, nb * P] stays under 16 MiB (at least one image). */
const COL_FLOATS = 1 << 22;
const chunk = (g: Geometry) => Math.max(1, Math.min(g.N, Math.floor(COL_FLOATS / Math.max(1, g.KK * g.P))));

/**
 * Whether the forward and the weight gradient run an image at a time (conv_images_f32,
 * conv_images_wgrad_f32) rather than as one product over a batch of images: where an image's
 * group, zero-padded, fits in a core's cache (maxColFloats floats) and the product is at least
 * minCols wide, and there are at least as many images as threads (the threads split the images;
 * the batched product splits its rows instead).
 */
export const IMAGE_LAYOUT = { enabled: true, maxColFloats: 1 << 17, minCols: 128 };
/**
 * Runs of images the weight gradient's partial sums are kept for (conv_images_wgrad_f32): the
 * threads claim runs, so one the OS holds back takes fewer; fixed, so the bits do not depend
 * on the thread count.
 */
const WGRAD_RUNS = 8;
/** A group of one image, zero-padded: [cinG, H + 2 ph, W + 2 pw] floats (conv.c's pad_image). */
const paddedFloats = (g: Geometry, p: Conv2dParams) => g.cinG * (g.H + 2 * p.padding[0]) * (g.W + 2 * p.padding[1]);
/** A thread's work block an image at a time: the padded image, then the tap and pixel offset tables (ints), 64-byte aligned. */
const workFloats = (g: Geometry, p: Conv2dParams) => Math.ceil((paddedFloats(g, p) + g.KK + g.P) / 16) * 16;
const byImage = (rt: WasmRuntime, g: Geometry, p: Conv2dParams) =>
  IMAGE_LAYOUT.enabled && paddedFloats(g, p) <= IMAGE_LAYOUT.maxColFloats && g.P >= IMAGE_LAYOUT.minCols && g.N >= rt.threads;

/** im2col of images [n0, n0 + nb) of group grp into col ([KK, nb * P] floats). */
function im2col(rt: WasmRuntime, x: View, g: Geometry, p: Conv2dParams, n0: number, nb: number, grp: number, col: number): void {
  const s = x.strides;
  rt.run('im2col_f32', [
    ptr(x) + 4 * (n0 * s[0]! + grp * g.cinG * s[1]!), s[0]!, s[1]!, s[2]!, s[3]!, nb, g.cinG, g.H, g.W, g.KH, g.KW, g.OH, g.OW,
    p.stride[0], p.stride[1], p.padding[0], p.padding[1], p.dilation[0], p.dilation[1], col, nb * g.P,
  ], nb * g.cinG > 1 && g.KK * g.P * nb >= PARALLEL_WORK);
}

function gemm(rt: WasmRuntime, A: number, sam: number, sak: number, B: number, sbk: number, sbn: number, C: number, ldc: number, M: number, N: number, K: number, acc: boolean): void {
  rt.run('gemm_f32', [A, sam, sak, B, sbk, sbn, C, ldc, M, N, K, acc ? 1 : 0, rt.scratch, rt.scratchBytes, rt.counter()], M >= 8 && M * N * K >= PARALLEL_WORK);
}

/** dst[o, i, :] = src[o, i, :] for rows of len floats, through the given strides (floats). */
function copyRows(rt: WasmRuntime, src: number, sOuter: number, sInner: number, dst: number, dOuter: number, dInner: number, nOuter: number, nInner: number, len: number): void {
  rt.run('copy_rows_f32', [src, sOuter, sInner, dst, dOuter, dInner, nOuter, nInner, len], nOuter * nInner * len >= PARALLEL_WORK);
}


/** dy of images [n0, n0 + nb), group grp, as a [coutG, nb * P] matrix: a pointer and its row stride. */
function dyRows(rt: WasmRuntime, D: { at: number; strides: number[] }, g: Geometry, n0: number, nb: number, grp: number, tmp: number): [number, number] {
  const base = D.at + 4 * (n0 * D.strides[0]! + grp * g.coutG * D.strides[1]!);
  if (nb === 1) return [base, D.strides[1]!];
  copyRows(rt, base, D.strides[1]!, D.strides[0]!, tmp, nb * g.P, g.P, g.coutG, nb, g.P);
  return [tmp, nb * g.P];
}

export function conv2d(rt: WasmRuntime, x: View, w: View, y: View, p: Conv2dParams, bias?: View | null, act?: FusedAct | null): void {
  if (!f32(x, w, y)) return reference.conv2d(x, w, y, p, bias, act);
  convProduct(rt, x, w, y, p);
  if (bias) addBiasAlong(biasKernels(rt), y, bias, 1, act);
}

function convProduct(rt: WasmRuntime, x: View, w: View, y: View, p: Conv2dParams): void {
  const g = geometry(x.shape, w.shape, y.shape, p);
  if (g.N === 0 || g.Cout === 0 || g.P === 0) return;
  if (g.KK === 0) return void (y.storage.handle as Float32Array).fill(0, y.offset, y.offset + g.N * g.Cout * g.P);
  const blocks = scratchBlocks(rt);
  try {
    const W = asMatrix(rt, w, blocks);
    if (byImage(rt, g, p)) {
      // A whole image per thread at a time, its columns kept in cache (conv.c's conv_images_f32).
      const s = x.strides;
      const floats = workFloats(g, p);
      const work = blocks.take(floats * rt.threads);
      rt.run('conv_images_f32', [
        ptr(x), s[0]!, s[1]!, s[2]!, s[3]!, g.N, g.G, g.cinG, g.H, g.W, g.KH, g.KW, g.OH, g.OW,
        p.stride[0], p.stride[1], p.padding[0], p.padding[1], p.dilation[0], p.dilation[1],
        W.at, W.strides[0]!, g.coutG, ptr(y), g.Cout * g.P, work, floats, rt.scratch, rt.scratchBytes, rt.counter(),
      ], g.N > 1 && g.N * g.Cout * g.KK * g.P >= PARALLEL_WORK);
      return;
    }
    const nbMax = chunk(g);
    const col = blocks.take(g.KK * nbMax * g.P);
    const out = nbMax > 1 ? blocks.take(g.coutG * nbMax * g.P) : 0;
    const ys = ptr(y);
    for (let n0 = 0; n0 < g.N; n0 += nbMax) {
      const nb = Math.min(nbMax, g.N - n0);
      for (let grp = 0; grp < g.G; grp++) {
        im2col(rt, x, g, p, n0, nb, grp, col);
        const yAt = ys + 4 * (n0 * g.Cout + grp * g.coutG) * g.P;
        // [coutG, nb * P] = W_g [coutG, KK] x col [KK, nb * P], then into y's [nb, Cout, P] rows.
        const C = nb === 1 ? yAt : out;
        gemm(rt, W.at + 4 * grp * g.coutG * W.strides[0]!, W.strides[0]!, 1, col, nb * g.P, 1, C, nb * g.P, g.coutG, nb * g.P, g.KK, false);
        if (nb > 1) copyRows(rt, out, nb * g.P, g.P, yAt, g.P, g.Cout * g.P, g.coutG, nb, g.P);
      }
    }
  } finally {
    blocks.done();
  }
}

export function conv2dBackwardInput(rt: WasmRuntime, dy: View, w: View, dx: View, p: Conv2dParams): void {
  if (!f32(dy, w, dx)) return reference.conv2dBackwardInput(dy, w, dx, p);
  const g = geometry(dx.shape, w.shape, dy.shape, p);
  const total = g.N * g.Cin * g.H * g.W;
  (dx.storage.handle as Float32Array).fill(0, dx.offset, dx.offset + total);
  if (g.N === 0 || g.Cout === 0 || g.P === 0 || g.KK === 0) return;
  const blocks = scratchBlocks(rt);
  try {
    const W = asMatrix(rt, w, blocks);
    const D = asMatrix(rt, dy, blocks);
    const nbMax = chunk(g);
    const col = blocks.take(g.KK * nbMax * g.P);
    const tmp = nbMax > 1 ? blocks.take(g.coutG * nbMax * g.P) : 0;
    const dxs = ptr(dx);
    for (let n0 = 0; n0 < g.N; n0 += nbMax) {
      const nb = Math.min(nbMax, g.N - n0);
      for (let grp = 0; grp < g.G; grp++) {
        const [dyAt, dyLd] = dyRows(rt, D, g, n0, nb, grp, tmp);
        // dcol [KK, nb * P] = W_g^T [KK, coutG] x dy [coutG, nb * P]
        gemm(rt, W.at + 4 * grp * g.coutG * W.strides[0]!, 1, W.strides[0]!, dyAt, dyLd, 1, col, nb * g.P, g.KK, nb * g.P, g.coutG, false);
        rt.run('col2im_f32', [
          col, nb * g.P, nb, g.cinG, g.H, g.W, g.KH, g.KW, g.OH, g.OW, p.stride[0], p.stride[1], p.padding[0], p.padding[1],
          p.dilation[0], p.dilation[1], dxs + 4 * (n0 * g.Cin + grp * g.cinG) * g.H * g.W, g.Cin * g.H * g.W,
        ], nb * g.cinG > 1 && g.KK * g.P * nb >= PARALLEL_WORK);
      }
    }
  } finally {
    blocks.done();
  }
}

export function conv2dBackwardWeight(rt: WasmRuntime, dy: View, x: View, dw: View, p: Conv2dParams): void {
  if (!f32(dy, x, dw)) return reference.conv2dBackwardWeight(dy, x, dw, p);
  const g = geometry(x.shape, dw.shape, dy.shape, p);
  if (g.Cout === 0 || g.KK === 0) return;
  if (g.N === 0 || g.P === 0) return void (dw.storage.handle as Float32Array).fill(0, dw.offset, dw.offset + g.Cout * g.KK);
  const blocks = scratchBlocks(rt);
  try {
    const D = asMatrix(rt, dy, blocks);
    if (byImage(rt, g, p)) {
      // A whole image per thread at a time (conv.c's conv_images_wgrad_f32): the threads claim
      // runs of images, each run's dW in its own partial sums, added here in order (the same
      // bits on any thread count).
      const s = x.strides;
      const floats = workFloats(g, p);
      const size = g.Cout * g.KK;
      const T = rt.threads;
      const slots = Math.min(g.N, WGRAD_RUNS);
      const work = blocks.take(floats * T);
      const part = blocks.take(size * slots);
      rt.run('conv_images_wgrad_f32', [
        ptr(x), s[0]!, s[1]!, s[2]!, s[3]!, g.N, g.G, g.cinG, g.H, g.W, g.KH, g.KW, g.OH, g.OW,
        p.stride[0], p.stride[1], p.padding[0], p.padding[1], p.dilation[0], p.dilation[1],
        D.at, D.strides[0]!, D.strides[1]!, g.coutG, part, size, slots, work, floats, rt.scratch, rt.scratchBytes,
        rt.counter(),
      ], T > 1);
      const parts = new Float32Array(rt.memory.buffer, part, size * slots);
      const out = dw.storage.handle as Float32Array;
      for (let i = 0; i < size; i++) {
        let v = parts[i]!;
        for (let t = 1; t < slots; t++) v += parts[t * size + i]!;
        out[dw.offset + i] = v;
      }
      return;
    }
    const nbMax = chunk(g);
    const col = blocks.take(g.KK * nbMax * g.P);
    const tmp = nbMax > 1 ? blocks.take(g.coutG * nbMax * g.P) : 0;
    const dws = ptr(dw);
    for (let n0 = 0; n0 < g.N; n0 += nbMax) {
      const nb = Math.min(nbMax, g.N - n0);
      for (let grp = 0; grp < g.G; grp++) {
        im2col(rt, x, g, p, n0, nb, grp, col);
        const [dyAt, dyLd] = dyRows(rt, D, g, n0, nb, grp, tmp);
        // dW_g [coutG, KK] (+)= dy [coutG, nb * P] x col^T [nb * P, KK]
        gemm(rt, dyAt, dyLd, 1, col, 1, nb * g.P, dws + 4 * grp * g.coutG * g.KK, g.KK, g.coutG, g.KK, nb * g.P, n0 > 0);
      }
    }
  } finally {
    blocks.done();
  }
}

/** The family's table on the wasm backend. */
export function wasmKernels(rt: WasmRuntime): ConvKernels {
  return {
    conv2d: (x, w, y, p, bias, act) => conv2d(rt, x, w, y, p, bias, act),
    conv2dBackwardInput: (dy, w, dx, p) => conv2dBackwardInput(rt, dy, w, dx, p),
    conv2dBackwardWeight: (dy, x, dw, p) => conv2dBackwardWeight(rt, dy, x, dw, p),
  };
}
