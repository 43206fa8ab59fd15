/**
 * Reductions over any set of axes. sum/prod/max/min/argmax/argmin are kernels; mean, var, std
 * and logsumexp are compositions of them (so they run on every backend and, later, get
 * gradients for free).
 */
import { getBackend } from '../../runtime.js';
import { reduceResultType, type ReduceOp } from '../../kernels/ops.js';
import { floatTypeFor, isFloat } from '../dtype.js';
import { fmtShape, normAxes, normAxis, numel } from '../shape.js';
import type { ReduceOptions, Tensor, VarOptions } from '../tensor.js';
import { checkInputs, empty } from './core.js';
import { binary, cast, unary, where } from './elementwise.js';
import { expand, permute, reshape } from './views.js';
import { trace } from '../../autograd/node.js';

type Dim = number | readonly number[] | null | undefined;

function keepdimOf(k: boolean | ReduceOptions | undefined): boolean {
  return typeof k === 'boolean' ? k : (k?.keepdim ?? false);
}

/** Shape of a reduction's result. */
function reducedShape(shape: readonly number[], axes: number[], keepdim: boolean): number[] {
  return keepdim ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

/** Runs one reduction kernel: moves the reduced axes last (a view), then reduces them. */
export function reduce(op: ReduceOp, x: Tensor, dim: Dim, keepdim: boolean): Tensor {
  const device = checkInputs(op, x);
  const axes = normAxes(op, dim ?? undefined, x.ndim);
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const rcount = numel(axes.map((a) => x.shape[a]!));
  if (rcount === 0 && op !== 'sum' && op !== 'prod') {
    throw new Error(`${op}: cannot reduce over an empty dimension (shape ${fmtShape(x.shape)}, dim ${fmtShape(axes)}); the result would have no identity`);
  }
  // bool inputs reduce as int32 (sum counts); max/min of a mask cast back to bool.
  const xin = x.dtype === 'bool' ? cast(x, 'int32') : x;
  const xp = permute(xin, [...kept, ...axes]);
  const outShape = kept.map((i) => x.shape[i]!);
  const resultType = reduceResultType(op, xin.dtype);
  let out = empty(op, device, resultType, outShape);
  getBackend(device).reduce(op, xp, axes.length, out);
  xp.dispose();
  if (xin !== x) xin.dispose();
  if (x.dtype === 'bool' && (op === 'max' || op === 'min')) {
    const b = cast(out, 'bool');
    out.dispose();
    out = b;
  }
  if (keepdim) {
    const r = reshape(out, reducedShape(x.shape, axes, true));
    out.dispose();
    return r;
  }
  return out;
}

// ---- gradients of reductions ------------------------------------------------------------------
// A reduction's gradient g has the reduced shape; `spread` gives it back the reduced dims (as 1)
// and broadcasts it over x's shape, so each input element sees the gradient of its output.

/** What a reduction rule needs to know about its call (shapes only: see views.ts). */
interface ReduceCall {
  shape: readonly number[];
  axes: number[];
  keepdim: boolean;
  count: number;
}

function callOf(op: string, x: Tensor, dim: Dim, keepdim: boolean): ReduceCall {
  const axes = normAxes(op, dim ?? undefined, x.ndim);
  return { shape: x.shape, axes, keepdim, count: numel(axes.map((a) => x.shape[a]!)) };
}

/** g (or the output y) with the reduced dims kept as size 1. */
function kept(t: Tensor, c: ReduceCall): Tensor {
  return c.keepdim ? t : reshape(t, reducedShape(c.shape, c.axes, true));
}

/** g spread back over x's shape. */
function spread(g: Tensor, c: ReduceCall): Tensor {
  return expand(kept(g, c), c.shape);
}

/** Runs a reduction, recorded with `rule(g, saved, call)`; `uses` says whether the rule reads x and y. */
function traced(op: string, x: Tensor, dim: Dim, keepdim: boolean, uses: 'xy' | '', forward: () => Tensor, rule: (g: Tensor, s: readonly Tensor[], c: ReduceCall) => Tensor): Tensor {
  if (!x.requiresGrad) return forward();
  const c = callOf(op, x, dim, keepdim);
  return trace(op, [x], forward, (g, s) => [rule(g, s, c)], (y) => (uses ? [x, y] : []));
}

export const sum = (x: Tensor, dim?: Dim, k?: boolean | ReduceOptions) =>
  traced('sum', x, dim, keepdimOf(k), '', () => reduce('sum', x, dim, keepdimOf(k)), (g, _s, c) => spread(g, c));

/**
 * d prod / dx_i = the product of the others. Dividing prod by x_i fails where x_i = 0, so:
 * with no zero in the row it is prod / x_i; with one zero, only that element gets a gradient
 * (the product of the non-zeros); with two or more, all gradients are 0.
 */
export const prod = (x: Tensor, dim?: Dim, k?: boolean | ReduceOptions) =>
  traced('prod', x, dim, keepdimOf(k), 'xy', () => reduce('prod', x, dim, keepdimOf(k)), (g, [xs], c) => {
    const isZero = xs!.eq(0);
    const zeros = isZero.sum(c.axes, true);
    const safe = where(isZero, 1, xs!);
    const nonZeroProd = safe.prod(c.axes, true);
    const others = where(zeros.eq(0), nonZeroProd.div(safe), where(zeros.eq(1), where(isZero, nonZeroProd, 0), 0));
    return others.mul(spread(g, c));
  });

/** Ties: the gradient is shared evenly among the elements equal to the max (as torch.amax). */
function extremumRule(g: Tensor, [xs, ys]: readonly Tensor[], c: ReduceCall): Tensor {
  const hit = xs!.eq(kept(ys!, c));
  const share = spread(g, c).div(hit.sum(c.axes, true));
  return where(hit, share, 0);
}
export const max = (x: Tensor, dim?: Dim, k?: boolean | ReduceOptions) =>
  traced('max', x, dim, keepdimOf(k), 'xy', () => reduce('max', x, dim, keepdimOf(k)), extremumRule);
export const min = (x: Tensor, dim?: Dim, k?: boolean | ReduceOptions) =>
  traced('min', x, dim, keepdimOf(k), 'xy', () => reduce('min', x, dim, keepdimOf(k)), extremumRule);

function argReduce(op: 'argmax' | 'argmin', x: Tensor, dim: number | null | undefined, k: boolean | ReduceOptions | undefined): Tensor {
  checkInputs(op, x);
  if (dim === null || dim === undefined) {
    // Index into the flattened tensor, as in PyTorch.
    const flat = reshape(x, [x.size]);
    const r = reduce(op, flat, 0, false);
    flat.dispose();
    if (!keepdimOf(k)) return r;
    const kr = reshape(r, x.shape.map(() => 1));
    r.dispose();
    return kr;
  }
  if (typeof dim !== 'number') throw new Error(`${op}: dim must be a single axis, got ${fmtShape(dim as number[])}`);
  return reduce(op, x, normAxis(op, dim, x.ndim), keepdimOf(k));
}

export const argmax = (x: Tensor, dim?: number | null, k?: boolean | ReduceOptions) => argReduce('argmax', x, dim, k);
export const argmin = (x: Tensor, dim?: number | null, k?: boolean | ReduceOptions) => argReduce('argmin', x, dim, k);

/** Number of elements a reduction over `dim` combines. */
function countOf(x: Tensor, dim: Dim): number {
  return numel(normAxes('mean', dim ?? undefined, x.ndim).map((a) => x.shape[a]!));
}

/** Mean; int and bool inputs are averaged as float32. Gradient: g / N to every element. */
export function mean(x: Tensor, dim?: Dim, k?: boolean | ReduceOptions): Tensor {
  return traced('mean', x, dim, keepdimOf(k), '', () => meanImpl(x, dim, k), (g, _s, c) => spread(g, c).div(c.count));
}

function meanImpl(x: Tensor, dim?: Dim, k?: boolean | ReduceOptions): Tensor {
  checkInputs('mean', x);
  normAxes('mean', dim ?? undefined, x.ndim); // before any temporary, and naming mean rather than sum
  const xf = isFloat(x.dtype) ? x : cast(x, floatTypeFor(x.dtype));
  const s = sum(xf, dim, k);
  const m = binary('div', s, countOf(x, dim));
  s.dispose();
  if (xf !== x) xf.dispose();
  return m;
}

function varOpts(o: boolean | VarOptions | undefined): { keepdim: boolean; correction: number } {
  if (typeof o === 'boolean') return { keepdim: false, correction: o ? 1 : 0 }; // torch's `unbiased` flag
  return { keepdim: o?.keepdim ?? false, correction: o?.correction ?? 1 };
}

/**
 * Variance with Bessel's correction (default 1), computed in two passes for accuracy.
 * Gradient: d var / dx_i = 2 (x_i - mean) / (N - correction).
 */
export function variance(x: Tensor, dim?: Dim, o?: boolean | VarOptions): Tensor {
  const { keepdim, correction } = varOpts(o);
  return traced('var', x, dim, keepdim, 'xy', () => varianceImpl(x, dim, o), (g, [xs], c) =>
    xs!.sub(xs!.mean(c.axes, true)).mul(spread(g, c)).mul(2 / (c.count - correction)),
  );
}

function varianceImpl(x: Tensor, dim?: Dim, o?: boolean | VarOptions): Tensor {
  checkInputs('var', x);
  normAxes('var', dim ?? undefined, x.ndim); // before any temporary, and naming var rather than mean
  const { keepdim, correction } = varOpts(o);
  const xf = isFloat(x.dtype) ? x : cast(x, floatTypeFor(x.dtype));
  const mu = mean(xf, dim, true);
  const d = binary('sub', xf, mu);
  const d2 = unary('square', d);
  const s = sum(d2, dim, keepdim);
  // N - correction <= 0 gives inf/NaN, as in PyTorch.
  const v = binary('div', s, countOf(x, dim) - correction);
  for (const t of [mu, d, d2, s]) t.dispose();
  if (xf !== x) xf.dispose();
  return v;
}

export function std(x: Tensor, dim?: Dim, o?: boolean | VarOptions): Tensor {
  const v = variance(x, dim, o);
  const s = unary('sqrt', v);
  v.dispose();
  return s;
}

/**
 * log(sum(exp(x))) without overflow: the max is subtracted first (and ±inf maxima are handled);
 * over an empty dim it is -inf.
 * Gradient: the softmax, exp(x - logsumexp(x)), times g.
 */
export function logsumexp(x: Tensor, dim?: Dim, k?: boolean | ReduceOptions): Tensor {
  return traced('logsumexp', x, dim, keepdimOf(k), 'xy', () => logsumexpImpl(x, dim, k), (g, [xs, ys], c) =>
    xs!.sub(kept(ys!, c)).exp().mul(spread(g, c)),
  );
}

function logsumexpImpl(x: Tensor, dim?: Dim, k?: boolean | ReduceOptions): Tensor {
  const device = checkInputs('logsumexp', x);
  const axes = normAxes('logsumexp', dim ?? undefined, x.ndim); // before any temporary
  const keepdim = keepdimOf(k);
  const xf = isFloat(x.dtype) ? x : cast(x, floatTypeFor(x.dtype));
  // Over no elements the max does not exist but the sum of exp is 0: -inf, as in PyTorch.
  const overNothing = numel(axes.map((a) => x.shape[a]!)) === 0;
  const m = overNothing ? empty('logsumexp', device, xf.dtype, reducedShape(x.shape, axes, true)) : max(xf, dim, true);
  if (overNothing) getBackend(device).fill(m, -Infinity);
  const absM = unary('abs', m);
  const inf = binary('eq', absM, Infinity);
  const mSafe = where(inf, 0, m);
  const shifted = binary('sub', xf, mSafe);
  const e = unary('exp', shifted);
  const s = sum(e, dim, keepdim);
  const l = unary('log', s);
  const mOut = keepdim ? mSafe : reshape(mSafe, reducedShape(x.shape, normAxes('logsumexp', dim ?? undefined, x.ndim), false));
  const r = binary('add', l, mOut);
  for (const t of [m, absM, inf, mSafe, shifted, e, s, l, mOut]) t.dispose();
  if (xf !== x) xf.dispose();
  return r;
}
