/**
 * webgrad.nn.functional: 2-D pooling (see index.ts), NCHW as in PyTorch; an unbatched
 * [C, H, W] input gives an unbatched result.
 *
 * Each op is one kernel forward and one kernel backward (cpu/nn_pool.ts, webgpu/nn_pool.ts).
 * The backward ops are traced too, with the forward as their adjoint (average pooling is
 * linear; max pooling's backward is a scatter by the saved indices, whose adjoint is a gather),
 * so second derivatives work.
 */
import { getBackend } from '../../runtime.js';
import { alias, trace } from '../../autograd/node.js';
import type { Pool2dSpec, PoolAxis } from '../../kernels/backend.js';
import { isFloat } from '../../core/dtype.js';
import { fmtShape } from '../../core/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { checkBoolean, checkOptions } from '../../core/options.js';
import { checkInputs, empty } from '../../tensor/ops/core.js';
import { gather } from '../../tensor/ops/indexing.js';
import { reshape, squeeze, unsqueeze } from '../../tensor/ops/views.js';
import { noExtra } from './args.js';

/** One size for both spatial dims, or [along H, along W]. */
export type PoolSize2 = number | readonly [number, number];

export interface MaxPool2dOptions {
  /** Default: the kernel size. */
  stride?: PoolSize2 | null;
  /** Implicit -inf padding on each side; at most half the kernel size. Default 0. */
  padding?: PoolSize2;
  /** Spacing between a window's taps. Default 1. */
  dilation?: PoolSize2;
  /** Round the output size up (a last, partial window), as PyTorch's ceil_mode. Default false. */
  ceilMode?: boolean;
  /** Also return the argmax of each window (int32, h * W + w within its input plane). */
  returnIndices?: boolean;
}

export interface AvgPool2dOptions {
  /** Default: the kernel size. */
  stride?: PoolSize2 | null;
  /** Implicit zero padding on each side; at most half the kernel size. Default 0. */
  padding?: PoolSize2;
  ceilMode?: boolean;
  /** Count the padding in the divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
  /** Divide every window's sum by this instead. */
  divisorOverride?: number | null;
}

function pair(op: string, name: string, v: PoolSize2 | undefined | null, dflt: [number, number], min: number): [number, number] {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' && !Array.isArray(v)) throw new Error(`${op}: ${name} must be a number or [h, w], got ${String(v)}`);
  const p: readonly number[] = typeof v === 'number' ? [v, v] : v;
  if (p.length !== 2 || !p.every((d) => Number.isInteger(d) && d >= min)) {
    throw new Error(`${op}: ${name} must be an integer >= ${min} or a pair of them, got ${Array.isArray(v) ? fmtShape(v) : String(v)}`);
  }
  return [p[0]!, p[1]!];
}

/** x as [N, C, H, W] (a view for an unbatched [C, H, W]); checks rank, dtype and a non-empty plane. */
function batched(op: string, x: Tensor): { x4: Tensor; unbatched: boolean } {
  checkInputs(op, x);
  if (x.ndim !== 3 && x.ndim !== 4) {
    throw new Error(`${op}: expected a 4-D [N, C, H, W] or 3-D [C, H, W] input, got shape ${fmtShape(x.shape)}`);
  }
  if (!isFloat(x.dtype)) throw new Error(`${op}: expected a floating-point input, got ${x.dtype}`);
  if (x.shape[x.ndim - 1] === 0 || x.shape[x.ndim - 2] === 0) {
    throw new Error(`${op}: the spatial dims must be non-empty, got shape ${fmtShape(x.shape)}`);
  }
  return x.ndim === 3 ? { x4: unsqueeze(x, 0), unbatched: true } : { x4: x, unbatched: false };
}

/** PyTorch's pooling output size, with its rule that a ceil-mode window must start inside the input or the left padding. */
function outSize(size: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = size + 2 * p - d * (k - 1) - 1;
  let o = Math.floor((span + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (o - 1) * s >= size + p) o--;
  return o;
}

interface Windows {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  ceilMode: boolean;
}

function windows(op: string, x4: Tensor, shown: readonly number[], w: Windows): { h: PoolAxis; w: PoolAxis } {
  const [H, W] = [x4.shape[2]!, x4.shape[3]!];
  const { kernel: k, stride: s, padding: p, dilation: d } = w;
  if (p[0] > Math.floor(k[0] / 2) || p[1] > Math.floor(k[1] / 2)) {
    throw new Error(`${op}: padding ${p[0]} x ${p[1]} must be at most half the kernel size ${k[0]} x ${k[1]} (at most ${Math.floor(k[0] / 2)} x ${Math.floor(k[1] / 2)})`);
  }
  const oh = outSize(H, k[0], s[0], p[0], d[0], w.ceilMode);
  const ow = outSize(W, k[1], s[1], p[1], d[1], w.ceilMode);
  if (oh < 1 || ow < 1) {
    const dil = d[0] > 1 || d[1] > 1 ? ` with dilation ${d[0]} x ${d[1]} (spanning ${d[0] * (k[0] - 1) + 1} x ${d[1] * (k[1] - 1) + 1})` : '';
    throw new Error(
      `${op}: the kernel ${k[0]} x ${k[1]}${dil} is larger than the padded input ${H + 2 * p[0]} x ${W + 2 * p[1]} ` +
        `(input ${fmtShape(shown)}, padding ${p[0]} x ${p[1]}); the output would be ${oh} x ${ow}`,
    );
  }
  const axis = (i: 0 | 1, size: number, out: number): PoolAxis => ({ size, out, kernel: k[i], stride: s[i], padding: p[i], dilation: d[i], adaptive: false });
  return { h: axis(0, H, oh), w: axis(1, W, ow) };
}

/** Gives 4-D results back the input's batching (dropping the batch dim an unbatched input got). */
function withBatch<T extends Tensor | [Tensor, Tensor]>(x4: Tensor, unbatched: boolean, r: T): T {
  if (!unbatched) return r;
  x4.dispose();
  const drop = (t: Tensor) => {
    const s = squeeze(t, 0);
    t.dispose();
    return s;
  };
  return (Array.isArray(r) ? [drop(r[0]), drop(r[1])] : drop(r as Tensor)) as T;
}

/** Runs `f`; if it throws, disposes `temps` first. */
function guard<T>(temps: (Tensor | null)[], f: () => T): T {
  try {
    return f();
  } catch (e) {
    for (const t of temps) t?.dispose();
    throw e;
  }
}

/** Runs a kernel into `out`; if the binder refuses (a size limit), no half-made output escapes. */
function run(out: Tensor, kernel: () => void): Tensor {
  try {
    kernel();
  } catch (e) {
    out.dispose();
    throw e;
  }
  return out;
}

// ---- max pooling ----------------------------------------------------------------------------

/** The gradient of max pooling: g scattered to the argmax of each window (traced; its adjoint is a gather). */
function maxPoolBackward(g: Tensor, indices: Tensor, spec: Pool2dSpec, inShape: readonly number[]): Tensor {
  return trace(
    'maxPool2dBackward',
    [g],
    () => {
      const out = empty('maxPool2dBackward', g.device, g.dtype, inShape);
      return run(out, () => getBackend(g.device).pooling.maxPool2dBackward(g, indices, spec, out));
    },
    (gg, [idx]) => [gatherAtIndices(gg, idx!)],
    () => [alias(indices)],
  );
}

/** gg [N, C, H, W] read at each window's argmax: [N, C, OH, OW]. */
function gatherAtIndices(gg: Tensor, idx: Tensor): Tensor {
  const [N, C, H, W] = gg.shape as [number, number, number, number];
  const [OH, OW] = [idx.shape[2]!, idx.shape[3]!];
  return reshape(gather(reshape(gg, [N, C, H * W]), 2, reshape(idx, [N, C, OH * OW])), [N, C, OH, OW]);
}

/**
 * 2-D max pooling over the last two dims of x ([N, C, H, W] or unbatched [C, H, W]), as
 * `torch.nn.functional.max_pool2d`. With `returnIndices`, also the int32 argmax of each window
 * as a flat index h * W + w into its input plane (the first maximum in row-major order; NaN
 * counts as the maximum, and the first NaN wins).
 *
 * Gradient: each output's gradient goes to its argmax (ties: to the first maximum only, as in
 * PyTorch). The backward is its own kernel: on webgpu each input element gathers the gradients
 * of the windows whose argmax it is (no atomics, a fixed order: deterministic), except with
 * huge overlapping windows (over 4096 per element), where an atomic scatter-add is used.
 */
export function maxPool2d(x: Tensor, kernelSize: PoolSize2, options?: MaxPool2dOptions & { returnIndices?: false }): Tensor;
export function maxPool2d(x: Tensor, kernelSize: PoolSize2, options: MaxPool2dOptions & { returnIndices: true }): [Tensor, Tensor];
export function maxPool2d(x: Tensor, kernelSize: PoolSize2, options: MaxPool2dOptions = {}, ...extra: never[]): Tensor | [Tensor, Tensor] {
  noExtra('maxPool2d', extra, '(x, kernelSize, options?)');
  const op = 'maxPool2d';
  checkOptions(op, options, ['stride', 'padding', 'dilation', 'ceilMode', 'returnIndices']);
  if (options.ceilMode !== undefined) checkBoolean(op, 'ceilMode', options.ceilMode);
  if (options.returnIndices !== undefined) checkBoolean(op, 'returnIndices', options.returnIndices);
  const kernel = pair(op, 'kernelSize', kernelSize, [0, 0], 1);
  const stride = pair(op, 'stride', options.stride, kernel, 1);
  const padding = pair(op, 'padding', options.padding, [0, 0], 0);
  const dilation = pair(op, 'dilation', options.dilation, [1, 1], 1);
  const { x4, unbatched } = batched(op, x);
  let axes: { h: PoolAxis; w: PoolAxis };
  try {
    axes = windows(op, x4, x.shape, { kernel, stride, padding, dilation, ceilMode: options.ceilMode ?? false });
  } catch (e) {
    if (x4 !== x) x4.dispose();
    throw e;
  }
  const spec: Pool2dSpec = { ...axes, countIncludePad: false, divisorOverride: null };
  const [values, indices] = guard([x4 !== x ? x4 : null], () => maxPool(op, x4, spec));
  if (options.returnIndices) return withBatch(x4, unbatched, [values, indices]);
  indices.dispose();
  return withBatch(x4, unbatched, values);
}

/** Max pooling by spec on a 4-D x, traced: [values, indices]. */
function maxPool(op: string, x4: Tensor, spec: Pool2dSpec): [Tensor, Tensor] {
  const outShape = [x4.shape[0]!, x4.shape[1]!, spec.h.out, spec.w.out];
  const inShape = x4.shape;
  const indices = empty(op, x4.device, 'int32', outShape);
  const values = guard([indices], () => trace(
    op,
    [x4],
    () => {
      const out = empty(op, x4.device, x4.dtype, outShape);
      return run(out, () => getBackend(x4.device).pooling.maxPool2d(x4, spec, out, indices));
    },
    (g, [idx]) => [maxPoolBackward(g, idx!, spec, inShape)],
    () => [alias(indices)],
  ));
  return [values, indices];
}

// ---- average pooling --------------------------------------------------------------------------

/** Average pooling by spec on a 4-D x, traced; its backward is the adjoint kernel (traced too). */
function avgPool(op: string, x4: Tensor, spec: Pool2dSpec): Tensor {
  const outShape = [x4.shape[0]!, x4.shape[1]!, spec.h.out, spec.w.out];
  const inShape = x4.shape;
  return trace(
    op,
    [x4],
    () => {
      const out = empty(op, x4.device, x4.dtype, outShape);
      return run(out, () => getBackend(x4.device).pooling.avgPool2d(x4, spec, out));
    },
    (g) => [avgPoolBackward(op, g, spec, inShape)],
  );
}

function avgPoolBackward(op: string, g: Tensor, spec: Pool2dSpec, inShape: readonly number[]): Tensor {
  return trace(
    `${op}Backward`,
    [g],
    () => {
      const out = empty(`${op}Backward`, g.device, g.dtype, inShape);
      return run(out, () => getBackend(g.device).pooling.avgPool2dBackward(g, spec, out));
    },
    (gg) => [avgPool(op, gg, spec)], // the adjoint of the adjoint
  );
}

/**
 * 2-D average pooling over the last two dims of x ([N, C, H, W] or unbatched [C, H, W]), as
 * `torch.nn.functional.avg_pool2d`: each window's sum divided by its area inside the padded
 * input (`countIncludePad`, the default), by its number of real input elements
 * (`countIncludePad: false`), or by `divisorOverride`.
 * Gradient: each output's gradient spread evenly (by the same divisor) over its window.
 */
export function avgPool2d(x: Tensor, kernelSize: PoolSize2, options: AvgPool2dOptions = {}, ...extra: never[]): Tensor {
  noExtra('avgPool2d', extra, '(x, kernelSize, options?)');
  const op = 'avgPool2d';
  checkOptions(op, options, ['stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride']);
  if (options.ceilMode !== undefined) checkBoolean(op, 'ceilMode', options.ceilMode);
  if (options.countIncludePad !== undefined) checkBoolean(op, 'countIncludePad', options.countIncludePad);
  const kernel = pair(op, 'kernelSize', kernelSize, [0, 0], 1);
  const stride = pair(op, 'stride', options.stride, kernel, 1);
  const padding = pair(op, 'padding', options.padding, [0, 0], 0);
  const div = options.divisorOverride ?? null;
  if (div !== null && !(typeof div === 'number' && Number.isFinite(div) && div !== 0)) {
    throw new Error(`${op}: divisorOverride must be a nonzero number, got ${String(div)}`);
  }
  const { x4, unbatched } = batched(op, x);
  let axes: { h: PoolAxis; w: PoolAxis };
  try {
    axes = windows(op, x4, x.shape, { kernel, stride, padding, dilation: [1, 1], ceilMode: options.ceilMode ?? false });
  } catch (e) {
    if (x4 !== x) x4.dispose();
    throw e;
  }
  const spec: Pool2dSpec = { ...axes, countIncludePad: options.countIncludePad ?? true, divisorOverride: div };
  return withBatch(x4, unbatched, guard([x4 !== x ? x4 : null], () => avgPool(op, x4, spec)));
}

/**
 * Adaptive 2-D average pooling to `outputSize` ([oh, ow], one number for both, or null in a
 * slot to keep that size), as `torch.nn.functional.adaptive_avg_pool2d`: output (i, j) averages
 * rows floor(i * H / oh) to ceil((i + 1) * H / oh) - 1, and likewise columns. `outputSize` 1 is
 * global average pooling. Gradient: each output's gradient spread evenly over its window.
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | null | readonly [number | null, number | null], ...extra: never[]): Tensor {
  noExtra('adaptiveAvgPool2d', extra, '(x, outputSize)');
  const op = 'adaptiveAvgPool2d';
  const given = outputSize === null || typeof outputSize === 'number' ? [outputSize, outputSize] : outputSize;
  if (!Array.isArray(given) || given.length !== 2 || !given.every((v) => v === null || (Number.isInteger(v) && v >= 1))) {
    throw new Error(`${op}: outputSize must be a positive integer, null, or a pair of them, got ${Array.isArray(outputSize) ? `[${outputSize.join(', ')}]` : String(outputSize)}`);
  }
  const { x4, unbatched } = batched(op, x);
  const [H, W] = [x4.shape[2]!, x4.shape[3]!];
  const axis = (size: number, out: number | null): PoolAxis => ({ size, out: out ?? size, kernel: 0, stride: 1, padding: 0, dilation: 1, adaptive: true });
  const spec: Pool2dSpec = { h: axis(H, given[0]!), w: axis(W, given[1]!), countIncludePad: false, divisorOverride: null };
  return withBatch(x4, unbatched, guard([x4 !== x ? x4 : null], () => avgPool(op, x4, spec)));
}

// ---- 1-D pooling: the 2-D kernels with a height of 1 ---------------------------------------

export interface MaxPool1dOptions {
  /** Default: the kernel size. */
  stride?: number | readonly [number] | null;
  /** Implicit -inf padding on each side; at most half the kernel size. Default 0. */
  padding?: number | readonly [number];
  /** Spacing between a window's taps. Default 1. */
  dilation?: number | readonly [number];
  /** Round the output length up (a last, partial window), as PyTorch's ceil_mode. Default false. */
  ceilMode?: boolean;
  /** Also return the argmax of each window (int32, its position along L). */
  returnIndices?: boolean;
}

export interface AvgPool1dOptions {
  /** Default: the kernel size. */
  stride?: number | readonly [number] | null;
  /** Implicit zero padding on each side; at most half the kernel size. Default 0. */
  padding?: number | readonly [number];
  ceilMode?: boolean;
  /** Count the padding in the divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
}

/** One size of a 1-D pooling: an integer >= min, or a one-element array of it (PyTorch takes (k,)). */
function single(op: string, name: string, v: unknown, dflt: number, min: number): number {
  if (v === undefined || v === null) {
    if (dflt < 0) throw new Error(`${op}: ${name} is required (an integer >= ${min})`);
    return dflt;
  }
  const n = Array.isArray(v) && v.length === 1 ? v[0] : v;
  if (!(typeof n === 'number' && Number.isInteger(n) && n >= min)) {
    throw new Error(`${op}: ${name} must be an integer >= ${min} (or [n]), got ${Array.isArray(v) ? `[${v.join(', ')}]` : typeof v === 'string' ? `'${v}'` : String(v)}`);
  }
  return n;
}

/** x [N, C, L] or unbatched [C, L] as [N, C, 1, L]; checks rank, dtype and a non-empty L. */
function batched1d(op: string, x: Tensor): { x4: Tensor; unbatched: boolean } {
  checkInputs(op, x);
  if (x.ndim !== 2 && x.ndim !== 3) throw new Error(`${op}: expected a 3-D [N, C, L] or 2-D [C, L] input, got shape ${fmtShape(x.shape)}`);
  if (!isFloat(x.dtype)) throw new Error(`${op}: expected a floating-point input, got ${x.dtype}`);
  if (x.shape[x.ndim - 1] === 0) throw new Error(`${op}: the length L must be non-empty, got shape ${fmtShape(x.shape)}`);
  const x3 = x.ndim === 2 ? unsqueeze(x, 0) : x;
  const x4 = unsqueeze(x3, 2);
  if (x3 !== x) x3.dispose();
  return { x4, unbatched: x.ndim === 2 };
}

/** A [N, C, 1, OL] result back to [N, C, OL] (or [C, OL]); disposes the 4-D one. */
function unbatch1d(unbatched: boolean, t: Tensor): Tensor {
  const r = unbatched ? reshape(t, [t.shape[1]!, t.shape[3]!]) : reshape(t, [t.shape[0]!, t.shape[1]!, t.shape[3]!]);
  t.dispose();
  return r;
}

/** The spec of a 1-D pooling along W (H is one row, one window of 1). */
function spec1d(op: string, x: Tensor, L: number, k: number, s: number, p: number, d: number, ceil: boolean, countIncludePad: boolean): Pool2dSpec {
  if (p > Math.floor(k / 2)) throw new Error(`${op}: padding ${p} must be at most half the kernel size ${k} (at most ${Math.floor(k / 2)})`);
  const out = outSize(L, k, s, p, d, ceil);
  if (out < 1) {
    const dil = d > 1 ? ` with dilation ${d} (spanning ${d * (k - 1) + 1})` : '';
    throw new Error(`${op}: the kernel ${k}${dil} is larger than the padded input ${L + 2 * p} (input ${fmtShape(x.shape)}, padding ${p}); the output length would be ${out}`);
  }
  const row: PoolAxis = { size: 1, out: 1, kernel: 1, stride: 1, padding: 0, dilation: 1, adaptive: false };
  return { h: row, w: { size: L, out, kernel: k, stride: s, padding: p, dilation: d, adaptive: false }, countIncludePad, divisorOverride: null };
}

/**
 * 1-D max pooling over the last dim of x ([N, C, L] or unbatched [C, L]), as
 * `torch.nn.functional.max_pool1d`: the 2-D kernels over a height of 1. With `returnIndices`,
 * also the int32 position along L of each window's maximum (the first; NaN wins).
 * Gradient: each output's gradient goes to its argmax (deterministic, as maxPool2d).
 */
export function maxPool1d(x: Tensor, kernelSize: number | readonly [number], options?: MaxPool1dOptions & { returnIndices?: false }): Tensor;
export function maxPool1d(x: Tensor, kernelSize: number | readonly [number], options: MaxPool1dOptions & { returnIndices: true }): [Tensor, Tensor];
export function maxPool1d(x: Tensor, kernelSize: number | readonly [number], options: MaxPool1dOptions = {}, ...extra: never[]): Tensor | [Tensor, Tensor] {
  const op = 'maxPool1d';
  noExtra(op, extra, '(x, kernelSize, options?)');
  checkOptions(op, options, ['stride', 'padding', 'dilation', 'ceilMode', 'returnIndices']);
  const ceil = options.ceilMode === undefined ? false : checkBoolean(op, 'ceilMode', options.ceilMode);
  const withIdx = options.returnIndices === undefined ? false : checkBoolean(op, 'returnIndices', options.returnIndices);
  const k = single(op, 'kernelSize', kernelSize, -1, 1);
  const s = single(op, 'stride', options.stride, k, 1);
  const p = single(op, 'padding', options.padding, 0, 0);
  const d = single(op, 'dilation', options.dilation, 1, 1);
  const { x4, unbatched } = batched1d(op, x);
  const spec = guard([x4], () => spec1d(op, x, x4.shape[3]!, k, s, p, d, ceil, false));
  const [values, indices] = guard([x4], () => maxPool(op, x4, spec));
  x4.dispose();
  if (withIdx) return [unbatch1d(unbatched, values), unbatch1d(unbatched, indices)];
  indices.dispose();
  return unbatch1d(unbatched, values);
}

/**
 * 1-D average pooling over the last dim of x ([N, C, L] or unbatched [C, L]), as
 * `torch.nn.functional.avg_pool1d`: each window's sum divided by its length inside the padded
 * input (`countIncludePad`, the default) or by its number of real elements. Gradient: each
 * output's gradient spread evenly over its window.
 */
export function avgPool1d(x: Tensor, kernelSize: number | readonly [number], options: AvgPool1dOptions = {}, ...extra: never[]): Tensor {
  const op = 'avgPool1d';
  noExtra(op, extra, '(x, kernelSize, options?)');
  checkOptions(op, options, ['stride', 'padding', 'ceilMode', 'countIncludePad']);
  const ceil = options.ceilMode === undefined ? false : checkBoolean(op, 'ceilMode', options.ceilMode);
  const cip = options.countIncludePad === undefined ? true : checkBoolean(op, 'countIncludePad', options.countIncludePad);
  const k = single(op, 'kernelSize', kernelSize, -1, 1);
  const s = single(op, 'stride', options.stride, k, 1);
  const p = single(op, 'padding', options.padding, 0, 0);
  const { x4, unbatched } = batched1d(op, x);
  const spec = guard([x4], () => spec1d(op, x, x4.shape[3]!, k, s, p, 1, ceil, cip));
  const y = guard([x4], () => avgPool(op, x4, spec));
  x4.dispose();
  return unbatch1d(unbatched, y);
}

/**
 * Adaptive 1-D average pooling to `outputSize` positions, as
 * `torch.nn.functional.adaptive_avg_pool1d`: output i averages positions
 * floor(i * L / out) to ceil((i + 1) * L / out) - 1.
 */
export function adaptiveAvgPool1d(x: Tensor, outputSize: number | readonly [number], ...extra: never[]): Tensor {
  const op = 'adaptiveAvgPool1d';
  noExtra(op, extra, '(x, outputSize)');
  const o = single(op, 'outputSize', outputSize, -1, 1);
  const { x4, unbatched } = batched1d(op, x);
  const row: PoolAxis = { size: 1, out: 1, kernel: 0, stride: 1, padding: 0, dilation: 1, adaptive: true };
  const spec: Pool2dSpec = { h: row, w: { size: x4.shape[3]!, out: o, kernel: 0, stride: 1, padding: 0, dilation: 1, adaptive: true }, countIncludePad: false, divisorOverride: null };
  const y = guard([x4], () => avgPool(op, x4, spec));
  x4.dispose();
  return unbatch1d(unbatched, y);
}
