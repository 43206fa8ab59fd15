/**
 * WebGPU binder for 2-D convolution, in two schemes. The three implicit-GEMM kernels of
 * shaders/conv2d.wgsl (see its header) read every operand through its strides, with no copies;
 * this module picks their layout per product, splits long reductions and lays out the grid.
 * The im2col layout instead writes column matrices (shaders/im2col.wgsl) and multiplies them
 * with the matmul family's kernels (on a CPU adapter its register-blocked ones), a batch of
 * images at a time within a scratch budget: see runIm2col. Within that layout, the forward and
 * the weight gradient of one group read their columns from x itself instead (implicitForward,
 * implicitWeight: the matmul family's implicit products), with no column matrix written.
 */
import type { Conv2dParams, View } from '../backend.js';
import type { KernelSource } from '../webgpu/pipelines.js';
import type { WebGPUContext } from '../webgpu/context.js';
import type { Storage } from '../../core/storage.js';
import { coalesce, contiguousStrides, numel } from '../../core/shape.js';
import { buf } from '../webgpu/util.js';
import { isCpuAdapter } from '../webgpu/device.js';
import conv2dSrc from '../../../shaders/conv2d.wgsl';
import im2colSrc from '../../../shaders/im2col.wgsl';
import { CHANNEL_BIAS, channelBias } from '../webgpu/bias.js';
import type { FusedAct } from '../ops.js';
import type { ConvKernels } from './types.js';
import { forcedVariant, noteVariant, type VariantName } from '../variants.js';
import { convClass, tunedVariant, type ConvMode } from '../tuning.js';
import { IMPLICIT_COLUMNS, IMPLICIT_WEIGHT, MATMUL_K_SLAB, implicitPlan, matmulImplicitColumns, matmulImplicitWeight } from '../matmul/webgpu.js';

export type { Conv2dParams };

export const SHADER: KernelSource = { file: 'conv2d.wgsl', source: conv2dSrc };
const IM2COL: KernelSource = { file: 'im2col.wgsl', source: im2colSrc };
/** This family's shaders, by name. */
export const SHADERS = { conv2d: SHADER, im2col: IM2COL, channelBias: CHANNEL_BIAS } as const;

/**
 * @internal Limits of the binder (tests change them to reach every path; the driver itself is
 * forced through configureKernels({ conv }), see kernels/variants.ts).
 * - kSlab: the longest K range one workgroup of the tiled kernels walks. llvmpipe ends an
 *   invocation's loops after 65535 iterations in all; the tiled kernels take at least one per
 *   TK (8 or 32) elements of K, and up to about 2 per element if the inner loops are not
 *   unrolled. A K-parallel workgroup deals its range out over 256 invocations, so it may walk
 *   64 times as much (1024 iterations each at most).
 * - targetGroups, minChunk: a reduction is also split while the output alone makes fewer than
 *   targetGroups workgroups (a small dw, a 1x1 output), in pieces of at least minChunk (8
 *   times that for K-parallel workgroups, so each invocation gets 8 terms or more).
 * - partialBytes: the most memory the partial sums of a split may take; past it the K slabs
 *   run one after another instead, accumulating into the output.
 * - directMaxN: products at most this many columns wide (and 256 rows or more) run directly,
 *   one column and 4 rows per invocation: depthwise convolutions, the input gradient of a
 *   single-channel input.
 * - kParallelWaste, kParallelMinK: other products whose tiles would be mostly padding (this
 *   many times the 4 x 4 blocks of K-parallel workgroups) with at least kParallelMinK terms
 *   use K-parallel workgroups: the weight gradients of early layers and of depthwise
 *   convolutions, a 1x1 output.
 * - im2colBytes: the im2col layout's scratch (column matrices for one batch of images, and the
 *   weight gradient's per-image partials); a product whose single image does not fit takes
 *   another layout.
 */
export const convTuning = {
  kSlab: 4096,
  targetGroups: 256,
  minChunk: 256,
  partialBytes: 64 * 2 ** 20,
  kParallelWaste: 4,
  kParallelMinK: 2048,
  directMaxN: 4,
  im2colBytes: 64 * 2 ** 20,
};

type Mode = 'forward' | 'backward_input' | 'backward_weight';

interface Gemm {
  mode: Mode;
  a: View;
  b: View;
  out: View;
  /** [N, Cin, H, W] of x (dx), [Cout, OH, OW] of y (dy), [KH, KW] of w. */
  x: readonly number[];
  y: readonly number[];
  k: readonly number[];
  p: Conv2dParams;
  m: number;
  n: number;
  kLen: number;
  /** forward: the bias per output channel, an activation after it, and whether the product's store added them. */
  bias?: View | null;
  act?: FusedAct | null;
  biasAdded?: boolean;
}

/** How a product is laid out on workgroups (conv2d.wgsl's DRIVER): the named variant and its sizes. */
interface Plan {
  driver: VariantName<'conv'>;
  /** Rows and columns of C per workgroup. */
  tm: number;
  tn: number;
  /** The longest and shortest K range one workgroup should take. */
  maxChunk: number;
  minChunk: number;
  /** im2col: the images per batch (im2colBatch). */
  images?: number;
}

const DRIVERS = { tiled: 0, kParallel: 1, direct: 2, im2col: -1 } as const;

const MODES: Record<Mode, ConvMode> = { forward: 'forward', backward_input: 'backwardInput', backward_weight: 'backwardWeight' };

/** Input channels per group. */
const cinGroup = (g: Gemm) => g.x[1]! / g.p.groups;

/** The product as a tuning problem (kernels/tuning.ts ConvShape), for the classes met untuned. */
function tuneShape(g: Gemm) {
  const { stride, padding, dilation, groups } = g.p;
  return {
    mode: MODES[g.mode], x: [...g.x] as [number, number, number, number], w: [g.y[0]!, cinGroup(g), g.k[0]!, g.k[1]!] as [number, number, number, number],
    stride: [...stride] as [number, number], padding: [...padding] as [number, number], dilation: [...dilation] as [number, number], groups,
  };
}

function plan(be: WebGPUContext, g: Gemm): Plan {
  const { kSlab, minChunk } = convTuning;
  const force = forcedVariant('conv'); // configureKernels({ conv: name })
  // Else the autotuner's choice for the shape class (kernels/tuning.ts), where it can lay out this member.
  const tuned = force ? undefined : tunedVariant(be.adapter, 'conv', convClass(MODES[g.mode], g.m, g.n, g.kLen, g.p.stride, g.p.groups, cinGroup(g)), () => tuneShape(g));
  const maxZ = be.device.limits.maxComputeWorkgroupsPerDimension;
  const direct: Plan = { driver: 'direct', tm: 1024, tn: 1, maxChunk: kSlab, minChunk };
  const kParallel: Plan = { driver: 'kParallel', tm: 4, tn: 4, maxChunk: kSlab * 64, minChunk: minChunk * 8 };
  // Tiles: 64 x 64, or 256 x 16 for narrow products (grouped convolutions).
  const tn = g.n <= 32 ? 16 : 64;
  const tiled: Plan = { driver: 'tiled', tm: 4096 / tn, tn, maxChunk: kSlab, minChunk };
  const images = im2colBatch(be, g);
  const im2col: Plan = { driver: 'im2col', tm: 0, tn: 0, maxChunk: 0, minChunk: 0, images };
  const wanted = force ?? tuned;
  if (wanted === 'im2col' && images > 0) return im2col;
  if (force && force !== 'im2col') return { direct, kParallel, tiled }[force];
  const chosen = tuned && tuned !== 'im2col' && { direct, kParallel, tiled }[tuned];
  if (chosen && Math.ceil(g.n / chosen.tn) <= maxZ) return chosen;
  if (!force && !tuned && isCpuAdapter(be.adapter) && images > 0) return im2col;
  // A few columns (depthwise, single-channel input gradients): one column per invocation.
  if (g.n <= convTuning.directMaxN && g.m >= 256) return direct;
  const padded = (pl: Plan) => Math.ceil(g.m / pl.tm) * pl.tm * Math.ceil(g.n / pl.tn) * pl.tn;
  const mostlyPadding = padded(tiled) >= convTuning.kParallelWaste * padded(kParallel);
  if (g.kLen >= convTuning.kParallelMinK && mostlyPadding && Math.ceil(g.n / 4) <= maxZ) return kParallel;
  return tiled;
}

interface KRange {
  begin: number;
  end: number;
  chunk: number;
  splits: number;
  accumulate: boolean;
}

function dispatch(be: WebGPUContext, g: Gemm, pl: Plan, out: GPUBuffer, k: KRange): void {
  const tilesM = Math.ceil(g.m / pl.tm);
  const tilesN = Math.ceil(g.n / pl.tn);
  const [, Cin, H, W] = g.x as [number, number, number, number];
  const [Cout, OH, OW] = g.y as [number, number, number];
  const [KH, KW] = g.k as [number, number];
  const { stride, padding, dilation, groups } = g.p;
  if (be.wg !== 256) throw new Error(`webgpu conv2d: the kernels need 256 invocations per workgroup, this device allows ${be.wg}`);
  if (tilesN > be.device.limits.maxComputeWorkgroupsPerDimension) {
    throw new Error(`webgpu conv2d: the ${g.n} columns of the ${g.mode} product need ${tilesN} workgroups along z, more than this device allows`);
  }
  const [gx, gy] = be.grid(tilesM * groups * k.splits);
  be.dispatch(
    { shader: SHADER, entry: g.mode, preamble: '', variant: '', constants: pl.driver === 'tiled' ? { TN: pl.tn } : { DRIVER: DRIVERS[pl.driver] } },
    { a: buf(g.a), b: buf(g.b), out },
    {
      c_in: Cin, in_h: H, in_w: W, c_out: Cout, out_h: OH, out_w: OW, groups,
      k_h: KH, k_w: KW, cin_g: Cin / groups, cout_g: Cout / groups,
      stride_h: stride[0], stride_w: stride[1], pad_h: padding[0], pad_w: padding[1], dil_h: dilation[0], dil_w: dilation[1],
      gemm_m: g.m, gemm_n: g.n, k_begin: k.begin, k_end: k.end, k_chunk: k.chunk, splits: k.splits,
      tiles_m: tilesM, accumulate: k.accumulate ? 1 : 0, split_stride: numel(g.out.shape),
      a_offset: g.a.offset, b_offset: g.b.offset, a_strides: g.a.strides, b_strides: g.b.strides,
    },
    [gx, gy, tilesN],
  );
}

/**
 * Runs one of the products into g.out. Its K range is cut into `splits` pieces, enough to keep
 * each within the plan's maxChunk, and more while the output alone gives few workgroups; the
 * pieces run in parallel into partial sums, which a reduction adds into out. When the partial
 * sums would not fit, the pieces run one dispatch after another, each adding into out.
 */
function run(be: WebGPUContext, g: Gemm): void {
  const size = numel(g.out.shape);
  if (size === 0) return;
  const K = g.kLen;
  if (K === 0) {
    be.fill(g.out, 0);
    return;
  }
  const pl = plan(be, g);
  noteVariant('conv', pl.driver);
  if (pl.driver === 'im2col') {
    runIm2col(be, g, pl.images!);
    return;
  }
  const outGroups = Math.ceil(g.m / pl.tm) * Math.ceil(g.n / pl.tn) * g.p.groups;
  const needed = Math.ceil(K / pl.maxChunk);
  const wanted = Math.min(Math.ceil(convTuning.targetGroups / outGroups), Math.floor(K / pl.minChunk));
  const maxSplits = Math.floor(Math.min(convTuning.partialBytes, be.device.limits.maxStorageBufferBindingSize) / (size * 4));
  if (needed > 1 && needed > maxSplits) {
    for (let k0 = 0; k0 < K; k0 += pl.maxChunk) {
      const end = Math.min(k0 + pl.maxChunk, K);
      dispatch(be, g, pl, buf(g.out), { begin: k0, end, chunk: end - k0, splits: 1, accumulate: k0 > 0 });
    }
    return;
  }
  let splits = Math.max(1, Math.min(Math.max(needed, wanted), maxSplits));
  // Pieces a multiple of 32 (the deepest slab of the tiles), so only the last one is ragged.
  const chunk = Math.ceil(Math.ceil(K / splits) / 32) * 32;
  splits = Math.ceil(K / chunk);
  if (splits === 1) {
    dispatch(be, g, pl, buf(g.out), { begin: 0, end: K, chunk: K, splits: 1, accumulate: false });
    return;
  }
  const part: Storage = be.allocate('float32', splits * size);
  dispatch(be, g, pl, part.handle as GPUBuffer, { begin: 0, end: K, chunk, splits, accumulate: false });
  // out = the sum over s of part[s, :], a reduction of the [size, splits] view.
  const whole: View = { storage: g.out.storage, dtype: 'float32', shape: [size], strides: [1], offset: 0 };
  be.reduce.reduce('sum', { storage: part, dtype: 'float32', shape: [size, splits], strides: [1, size], offset: 0 }, 1, whole);
  part.free();
}

// ---- the im2col layout --------------------------------------------------------------------------

/** A float32 view (conv2d is float32 on webgpu), built field by field: tensors' fields are getters, which a spread would drop. */
const view = (storage: Storage, shape: number[], strides: number[], offset = 0): View => ({ storage, dtype: 'float32', shape, strides, offset });

/** The single stride of `shape` seen through `strides` as one dimension, or undefined where they do not merge. */
function mergedStride(shape: readonly number[], strides: readonly number[]): number | undefined {
  const c = coalesce(shape, [strides]);
  if (c.shape.length === 0) return 1;
  return c.shape.length === 1 ? c.strides[0]![0] : undefined;
}

/**
 * Images per batch of the im2col layout for this product (its scratch within im2colBytes), or
 * 0 where the layout cannot run it: w's (cin_g, KH, KW) or dy's (OH, OW) do not merge into one
 * matrix dimension, one image's scratch is over budget, or a row is too long for one
 * invocation's loop.
 */
function im2colBatch(be: WebGPUContext, g: Gemm): number {
  const [N, Cin, , ] = g.x as [number, number, number, number];
  const [Cout, OH, OW] = g.y as [number, number, number];
  const [KH, KW] = g.k as [number, number];
  const cinG = Cin / g.p.groups;
  // One invocation's loop (im2col.wgsl): OW columns, Kg taps (plus their row loops), KH x KW taps; llvmpipe stops at 65535.
  if (OW >= 65535 || cinG * KH * KW + cinG * (KH + 1) >= 65535) return 0;
  const w = g.mode === 'backward_weight' ? undefined : g.b;
  if (w && mergedStride([cinG, KH, KW], w.strides.slice(1)) === undefined) return 0;
  if (g.mode !== 'forward' && mergedStride([OH, OW], g.a.strides.slice(2)) === undefined) return 0;
  const Kg = cinG * KH * KW;
  const perImage = 4 * g.p.groups * Kg * OH * OW;
  const budget = Math.min(convTuning.im2colBytes, be.device.limits.maxStorageBufferBindingSize);
  // The weight gradient also keeps every image's Cout x Kg partial sums.
  const partials = g.mode === 'backward_weight' ? 4 * N * Cout * Kg : 0;
  return perImage + partials > budget ? 0 : Math.min(N, Math.floor((budget - partials) / perImage));
}

function im2colDispatch(be: WebGPUContext, entry: 'im2col' | 'im2col_kg' | 'col2im', g: Gemm, src: View, out: Storage, outOffset: number, n0: number, nc: number): void {
  const [, Cin, H, W] = g.x as [number, number, number, number];
  const [, OH, OW] = g.y as [number, number, number];
  const [KH, KW] = g.k as [number, number];
  const { stride, padding, dilation, groups } = g.p;
  // Invocations: a row of OW columns each (im2col), an output pixel's Kg taps (im2col_kg), a dx element (col2im).
  const n = entry === 'im2col' ? nc * Cin * KH * KW * OH : entry === 'im2col_kg' ? groups * nc * OH * OW : nc * Cin * H * W;
  be.dispatch(
    { shader: IM2COL, entry, preamble: '', variant: '' },
    { x: buf(src), out: out.handle as GPUBuffer },
    {
      n, c_in: Cin, in_h: H, in_w: W, groups, cin_g: Cin / groups, k_h: KH, k_w: KW, out_h: OH, out_w: OW,
      stride_h: stride[0], stride_w: stride[1], pad_h: padding[0], pad_w: padding[1], dil_h: dilation[0], dil_w: dilation[1],
      x_offset: src.offset, out_offset: outOffset, n_base: n0, batch: nc,
      x_strides: entry === 'col2im' ? [0, 0, 0, 0] : src.strides,
    },
    be.grid(Math.ceil(n / be.wg)),
  );
}

/** dy of images n0 .. n0 + m as [m, groups] matrices cout_g x OH*OW (im2colBatch checked that (OH, OW) merge). */
function dyMatrices(g: Gemm, n0: number, m: number): View {
  const dy = g.a;
  const [Cout, OH, OW] = g.y as [number, number, number];
  const [d0, d1] = dy.strides as [number, number];
  const coutG = Cout / g.p.groups;
  return view(dy.storage, [m, g.p.groups, coutG, OH * OW], [d0, coutG * d1, d1, mergedStride([OH, OW], dy.strides.slice(2))!], dy.offset + n0 * d0);
}

/**
 * A product in the im2col layout (see shaders/im2col.wgsl for the three matrix forms), a batch
 * of nc images at a time: forward and the input gradient write their images' part of y or dx
 * per batch; the weight gradient writes each image's partial dw, then sums them (a reduction).
 */
function runIm2col(be: WebGPUContext, g: Gemm, nc: number): void {
  const [N, Cin, H, W] = g.x as [number, number, number, number];
  const [Cout, OH, OW] = g.y as [number, number, number];
  const [KH, KW] = g.k as [number, number];
  const G = g.p.groups;
  const [cinG, coutG, P] = [Cin / G, Cout / G, OH * OW];
  const Kg = cinG * KH * KW;
  if (g.mode === 'forward' && implicitForward(be, g)) return;
  if (g.mode === 'backward_weight' && implicitWeight(be, g)) return;
  const cols = be.allocate('float32', nc * G * Kg * P);
  try {
    if (g.mode === 'forward' || g.mode === 'backward_input') {
      const w = g.b;
      const ws = mergedStride([cinG, KH, KW], w.strides.slice(1))!;
      const s0 = w.strides[0]!;
      for (let n0 = 0; n0 < N; n0 += nc) {
        const m = Math.min(nc, N - n0);
        const colsView = view(cols, [m, G, Kg, P], [G * Kg * P, Kg * P, P, 1]);
        if (g.mode === 'forward') {
          im2colDispatch(be, 'im2col', g, g.a, cols, 0, n0, m);
          const wv = view(w.storage, [m, G, coutG, Kg], [0, coutG * s0, s0, ws], w.offset);
          const yv = view(g.out.storage, [m, G, coutG, P], contiguousStrides([m, G, coutG, P]), n0 * Cout * P);
          be.matmul.matmul(wv, colsView, yv);
        } else {
          const wt = view(w.storage, [m, G, Kg, coutG], [0, coutG * s0, ws, s0], w.offset);
          be.matmul.matmul(wt, dyMatrices(g, n0, m), colsView);
          im2colDispatch(be, 'col2im', g, colsView, g.out.storage, n0 * Cin * H * W, n0, m);
        }
      }
      return;
    }
    // The weight gradient: per image and group dy[n, g] @ cols[n, g] (cols laid out [g, n, q, kg])
    // into partials[n] for every image, then their sum over n into dw.
    const size = Cout * Kg;
    const part = be.allocate('float32', N * size);
    try {
      for (let n0 = 0; n0 < N; n0 += nc) {
        const m = Math.min(nc, N - n0);
        im2colDispatch(be, 'im2col_kg', g, g.b, cols, 0, n0, m);
        const colsT = view(cols, [m, G, P, Kg], [P * Kg, m * P * Kg, Kg, 1]);
        be.matmul.matmul(dyMatrices(g, n0, m), colsT, view(part, [m, G, coutG, Kg], contiguousStrides([m, G, coutG, Kg]), n0 * size));
      }
      be.reduce.reduce('sum', view(part, [size, N], [1, size]), 1, view(g.out.storage, [size], [1]));
    } finally {
      part.free();
    }
  } finally {
    cols.free();
  }
}

/**
 * The forward with implicit columns (matmulImplicitColumns): the product's kernel reads each
 * column's taps from x itself, so no column matrix is written. Where the convolution pads, x is
 * first copied into a zero-bordered buffer (a fraction of the columns' size: 30 x 30 against
 * 9 x 28 x 28 per channel for a 3 x 3 conv of 28 x 28 images), so no tap needs a bounds test.
 * One group, one K slab, a contiguous w along (cin, KH, KW) and a register-blocked plan; false
 * where it does not apply.
 */
function implicitForward(be: WebGPUContext, g: Gemm): boolean {
  const [N, Cin] = g.x as [number, number];
  const [Cout, OH, OW] = g.y as [number, number, number];
  const [KH, KW] = g.k as [number, number];
  const K = Cin * KH * KW;
  const w = g.b;
  const ws = mergedStride([Cin, KH, KW], w.strides.slice(1));
  if (!IMPLICIT_COLUMNS.enabled || g.p.groups !== 1 || K > MATMUL_K_SLAB || ws !== 1) return false;
  // The implicit product runs on the register-blocked kernel only (a GPU's tiled plan does not).
  if (implicitPlan(be, Cout, OH * OW, K, N).kind !== 'blocked') return false;
  const src = implicitSource(be, g, g.a);
  if (!src) return false;
  // w as [K, Cout] in memory (a copy of Cout x K floats), so the product loads four output
  // channels' weights at a k as one vec4 instead of four strided floats; where the product is
  // large enough to pay for the copy's dispatch (llvmpipe, interleaved, min of 6 medians:
  // 64x32x14x14 -> 64 17.3-18.2 ms against 20.9-21.3, 64x64x14x14 -> 32 19.3-19.6 against
  // 22.2-23.5; on 8x16x28x28 -> 32 the median was worse, 6.9-7.1 against 5.8-6.5).
  const macs = N * OH * OW * Cout * K;
  const wt = IMPLICIT_COLUMNS.transposeWeight && Cout % 4 === 0 && macs >= IMPLICIT_COLUMNS.transposeMacs ? be.allocate('float32', K * Cout) : undefined;
  try {
    const [sn, sc, sh, sw] = src.x.strides as [number, number, number, number];
    let wv = view(w.storage, [Cout, K], [w.strides[0]!, 1], w.offset);
    if (wt) {
      be.copy(view(w.storage, [K, Cout], [1, w.strides[0]!], w.offset), view(wt, [K, Cout], [Cout, 1]));
      wv = view(wt, [Cout, K], [1, Cout]);
    }
    matmulImplicitColumns(be, wv, src.x, view(g.out.storage, [N, Cout, OH * OW], contiguousStrides([N, Cout, OH * OW]), g.out.offset), {
      images: N, imageStride: sn, xc: sc, xh: sh, xw: sw, KH, KW, OW, stride: g.p.stride, dilation: g.p.dilation, bias: g.bias, act: g.act,
    });
    g.biasAdded = !!g.bias;
  } finally {
    wt?.free();
    src.held?.free();
  }
  return true;
}

/**
 * x as the implicit kernels read it: itself where the convolution does not pad, else a
 * zero-bordered copy (held, for the caller to free), so that no tap needs a bounds test;
 * undefined where the copy would be over the scratch budget.
 */
function implicitSource(be: WebGPUContext, g: Gemm, x: View): { x: View; held?: Storage } | undefined {
  const [N, Cin, H, W] = g.x as [number, number, number, number];
  const [, OH, OW] = g.y as [number, number, number];
  const [KH, KW] = g.k as [number, number];
  const { stride, padding, dilation } = g.p;
  // The padded extent the taps reach: padding on both sides, or more where the output is larger
  // than the input gives (a transposed convolution's outputPadding, run as this forward).
  const Hp = Math.max(H + 2 * padding[0], (OH - 1) * stride[0] + (KH - 1) * dilation[0] + 1);
  const Wp = Math.max(W + 2 * padding[1], (OW - 1) * stride[1] + (KW - 1) * dilation[1] + 1);
  const padded = Hp !== H || Wp !== W || padding[0] > 0 || padding[1] > 0;
  if (!padded) return { x };
  if (4 * N * Cin * Hp * Wp > Math.min(convTuning.im2colBytes, be.device.limits.maxStorageBufferBindingSize)) return undefined;
  // The zero-bordered copy is im2col's own row kernel with a 1 x 1 window over an Hp x Wp
  // output: cols[n, c, (hp, wp)] = x[n, c, hp - pad_h, wp - pad_w], 0 outside.
  const held = be.allocate('float32', N * Cin * Hp * Wp);
  const one: Conv2dParams = { stride: [1, 1], padding, dilation: [1, 1], groups: 1 };
  im2colDispatch(be, 'im2col', { ...g, y: [Cin, Hp, Wp], k: [1, 1], p: one }, x, held, 0, 0, N);
  return { x: view(held, [N, Cin, Hp, Wp], contiguousStrides([N, Cin, Hp, Wp])), held };
}

/**
 * The weight gradient with implicit columns (matmulImplicitWeight): dw = dy x col(x)^T over
 * all the images' pixels at once, the columns' taps read from x (or its zero-bordered copy),
 * so neither the column matrix nor a partial dw per image is written. One group, and dy's
 * pixels contiguous; false where it does not apply.
 */
function implicitWeight(be: WebGPUContext, g: Gemm): boolean {
  const [N, Cin] = g.x as [number, number];
  const [Cout, OH, OW] = g.y as [number, number, number];
  const [KH, KW] = g.k as [number, number];
  const dy = g.a;
  if (!IMPLICIT_WEIGHT.enabled || g.p.groups !== 1 || mergedStride([OH, OW], dy.strides.slice(2)) !== 1) return false;
  if (implicitPlan(be, Cout, Cin * KH * KW, N * OH * OW, 1).kind !== 'blocked') return false;
  const src = implicitSource(be, g, g.b);
  if (!src) return false;
  try {
    const [sn, sc, sh, sw] = src.x.strides as [number, number, number, number];
    const dyv = view(dy.storage, [N, Cout, OH * OW], [dy.strides[0]!, dy.strides[1]!, 1], dy.offset);
    const dw = view(g.out.storage, [Cout, Cin * KH * KW], [Cin * KH * KW, 1], g.out.offset);
    matmulImplicitWeight(be, dyv, [dy.strides[0]!, dy.strides[1]!], src.x, dw, {
      images: N, imageStride: sn, xc: sc, xh: sh, xw: sw, KH, KW, OW, stride: g.p.stride, dilation: g.p.dilation,
    });
  } finally {
    src.held?.free();
  }
  return true;
}

function shapes(x: View, w: View, y: View): Pick<Gemm, 'x' | 'y' | 'k'> {
  return { x: x.shape, y: y.shape.slice(1), k: w.shape.slice(2) };
}

export function conv2d(be: WebGPUContext, x: View, w: View, y: View, p: Conv2dParams, bias?: View | null, act?: FusedAct | null): void {
  if (act && !bias) throw new Error(`webgpu conv2d: a fused activation (${act}) needs a bias`);
  be.checkOut('conv2d', y);
  const [N, , OH, OW] = y.shape as [number, number, number, number];
  const [Cout, cinG, KH, KW] = w.shape as [number, number, number, number];
  const g: Gemm = { mode: 'forward', a: x, b: w, out: y, ...shapes(x, w, y), p, m: N * OH * OW, n: Cout / p.groups, kLen: cinG * KH * KW, bias, act };
  run(be, g);
  // The implicit product adds the bias (and the activation) in its store; after the other layouts, one pass in place.
  if (bias && !g.biasAdded) channelBias(be, y, bias, act);
}


export function conv2dBackwardInput(be: WebGPUContext, dy: View, w: View, dx: View, p: Conv2dParams): void {
  be.checkOut('conv2dBackwardInput', dx);
  const [N, , H, W] = dx.shape as [number, number, number, number];
  const [Cout, cinG, KH, KW] = w.shape as [number, number, number, number];
  run(be, { mode: 'backward_input', a: dy, b: w, out: dx, ...shapes(dx, w, dy), p, m: N * H * W, n: cinG, kLen: (Cout / p.groups) * KH * KW });
}

export function conv2dBackwardWeight(be: WebGPUContext, dy: View, x: View, dw: View, p: Conv2dParams): void {
  be.checkOut('conv2dBackwardWeight', dw);
  const [N, , OH, OW] = dy.shape as [number, number, number, number];
  const [Cout, cinG, KH, KW] = dw.shape as [number, number, number, number];
  run(be, { mode: 'backward_weight', a: dy, b: x, out: dw, ...shapes(x, dw, dy), p, m: Cout / p.groups, n: cinG * KH * KW, kLen: N * OH * OW });
}

/** The family's table on a webgpu backend. */
export function webgpuKernels(b: WebGPUContext): ConvKernels {
  return {
    conv2d: (x, w, y, p, bias, act) => conv2d(b, x, w, y, p, bias, act),
    conv2dBackwardInput: (dy, w, dx, p) => conv2dBackwardInput(b, dy, w, dx, p),
    conv2dBackwardWeight: (dy, x, dw, p) => conv2dBackwardWeight(b, dy, x, dw, p),
  };
}
