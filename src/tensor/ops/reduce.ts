/**
 * Reductions over any set of axes. sum/prod/max/min/argmax/argmin are kernels; mean, var, std
 * and logsumexp are compositions of them (so they run on every backend and, later, get
 * gradients for free).
 */
import { getBackend } from '../../runtime.js';
import { reduceResultType, type ReduceOp } from '../../kernels/ops.js';
import { floatTypeFor, isFloat } from '../../core/dtype.js';
import { fmtShape, normAxes, normAxis, numel } from '../../core/shape.js';
import type { ReduceOptions, Tensor, VarOptions } from '../tensor.js';
import { checkInputs, empty } from './core.js';
import { binary, cast, unary, where } from './elementwise.js';
import { expand, permute, reshape } from './views.js';
import { trace } from '../../autograd/node.js';
import { checkBoolean, checkNumber, checkOptions, describe as describeValue } from '../../core/options.js';

type Dim = number | readonly number[] | null | undefined;
/** A reduction's first argument: the dims, or PyTorch's keyword form `{ dim, keepdim }`. */
export type DimArg = Dim | (ReduceOptions & { dim?: Dim });
type VarDimArg = Dim | (VarOptions & { dim?: Dim });

function isOptionsObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function checkDim(op: string, dim: unknown): Dim {
  if (dim === null || dim === undefined || typeof dim === 'number') return dim as Dim;
  if (Array.isArray(dim) && dim.every((d) => typeof d === 'number')) return dim as number[];
  throw new Error(`${op}: dim must be a number, an array of numbers, or null for all dims, got ${describeValue(dim)}`);
}

/**
 * Reads a reduction's (dim, keepdim) arguments, in any of the forms `x.sum(1, true)`,
 * `x.sum(1, { keepdim: true })` and `x.sum({ dim: 1, keepdim: true })`; unknown option keys
 * and wrong types are errors naming the op.
 */
export function reduceArgs(op: string, dimArg: unknown, k: unknown, extra: readonly string[] = []): { dim: Dim; keepdim: boolean; rest: Record<string, unknown> } {
  let dim: unknown = dimArg;
  let o: Record<string, unknown> = {};
  if (isOptionsObject(dimArg)) {
    checkOptions(op, dimArg, ['dim', 'keepdim', ...extra]);
    if (k !== undefined) throw new Error(`${op}: with an options object first (${op}({ dim, keepdim })), no second argument is taken; got ${describeValue(k)}`);
    dim = dimArg.dim;
    o = dimArg;
  } else if (typeof k === 'boolean') {
    o = { keepdim: k };
  } else if (k !== undefined) {
    if (!isOptionsObject(k)) throw new Error(`${op}: keepdim must be true or false, or an options object { ${['keepdim', ...extra].join(', ')} }, got ${describeValue(k)}`);
    checkOptions(op, k, ['keepdim', ...extra]);
    o = k;
  }
  const keepdim = o.keepdim === undefined ? false : checkBoolean(op, 'keepdim', o.keepdim);
  return { dim: checkDim(op, dim), keepdim, rest: o };
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
  getBackend(device).reduce.reduce(op, xp, axes.length, out);
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

export function sum(x: Tensor, dimArg?: DimArg, k?: boolean | ReduceOptions): Tensor {
  const { dim, keepdim } = reduceArgs('sum', dimArg, k);
  return traced('sum', x, dim, keepdim, '', () => reduce('sum', x, dim, keepdim), (g, _s, c) => spread(g, c));
}

/**
 * d prod / dx_i = the product of the others. Dividing prod by x_i fails where x_i = 0, so:
 * with no zero in the row it is prod / x_i; with one zero, only that element gets a gradient
 * (the product of the non-zeros); with two or more, all gradients are 0.
 */
export function prod(x: Tensor, dimArg?: DimArg, k?: boolean | ReduceOptions): Tensor {
  const { dim, keepdim } = reduceArgs('prod', dimArg, k);
  return traced('prod', x, dim, keepdim, 'xy', () => reduce('prod', x, dim, keepdim), (g, [xs], c) => {
    const isZero = xs!.eq(0);
    const zeros = isZero.sum(c.axes, true);
    const safe = where(isZero, 1, xs!);
    const nonZeroProd = safe.prod(c.axes, true);
    const others = where(zeros.eq(0), nonZeroProd.div(safe), where(zeros.eq(1), where(isZero, nonZeroProd, 0), 0));
    return others.mul(spread(g, c));
  });
}

/** Ties: the gradient is shared evenly among the elements equal to the max (as torch.amax). */
function extremumRule(g: Tensor, [xs, ys]: readonly Tensor[], c: ReduceCall): Tensor {
  const hit = xs!.eq(kept(ys!, c));
  const share = spread(g, c).div(hit.sum(c.axes, true));
  return where(hit, share, 0);
}
/** The maximum (minimum) over several dims or all of them, as a tensor (torch.amax / amin). */
export function amax(x: Tensor, dimArg?: DimArg, k?: boolean | ReduceOptions, op = 'amax'): Tensor {
  const { dim, keepdim } = reduceArgs(op, dimArg, k);
  return traced(op, x, dim, keepdim, 'xy', () => reduce('max', x, dim, keepdim), extremumRule);
}
export function amin(x: Tensor, dimArg?: DimArg, k?: boolean | ReduceOptions, op = 'amin'): Tensor {
  const { dim, keepdim } = reduceArgs(op, dimArg, k);
  return traced(op, x, dim, keepdim, 'xy', () => reduce('min', x, dim, keepdim), extremumRule);
}

/**
 * What `max(dim)` and `min(dim)` return, as PyTorch's (values, indices) pair: read
 * `r.values` and `r.indices`, or destructure `const [values, indices] = x.max(1)`. A plain
 * object (so `tidy` finds both tensors in it) that is also iterable.
 */
export interface MinMaxResult {
  readonly values: Tensor;
  /** int32 positions along dim (of the first extremum, as argmax/argmin). */
  readonly indices: Tensor;
  [Symbol.iterator](): Iterator<Tensor>;
}

function minMaxResult(values: Tensor, indices: Tensor): MinMaxResult {
  const r = { values, indices } as MinMaxResult;
  Object.defineProperty(r, Symbol.iterator, { enumerable: false, value: function* () { yield values; yield indices; } });
  return r;
}

function extremum(op: 'max' | 'min', x: Tensor, dimArg: DimArg, k: boolean | ReduceOptions | undefined): Tensor | MinMaxResult {
  const { dim, keepdim } = reduceArgs(op, dimArg, k);
  const values = (op === 'max' ? amax : amin)(x, dim, keepdim, op);
  if (typeof dim !== 'number') return values;
  try {
    return minMaxResult(values, argReduce(op === 'max' ? 'argmax' : 'argmin', x, dim, keepdim));
  } catch (e) {
    values.dispose();
    throw e;
  }
}

/**
 * max over all elements, or over a list of dims: a tensor. With one dim (a number), as
 * PyTorch: the values and their indices, `const [values, indices] = x.max(1)`.
 */
export function max(x: Tensor, dim: number | { dim: number; keepdim?: boolean }, k?: boolean | ReduceOptions): MinMaxResult;
export function max(x: Tensor, dim?: DimArg, k?: boolean | ReduceOptions): Tensor;
export function max(x: Tensor, dim?: DimArg, k?: boolean | ReduceOptions): Tensor | MinMaxResult {
  return extremum('max', x, dim, k);
}
export function min(x: Tensor, dim: number | { dim: number; keepdim?: boolean }, k?: boolean | ReduceOptions): MinMaxResult;
export function min(x: Tensor, dim?: DimArg, k?: boolean | ReduceOptions): Tensor;
export function min(x: Tensor, dim?: DimArg, k?: boolean | ReduceOptions): Tensor | MinMaxResult {
  return extremum('min', x, dim, k);
}

function argReduce(op: 'argmax' | 'argmin', x: Tensor, dimArg: unknown, k: unknown): Tensor {
  checkInputs(op, x);
  const { dim, keepdim } = reduceArgs(op, dimArg, k);
  if (dim === null || dim === undefined) {
    // Index into the flattened tensor, as in PyTorch.
    const flat = reshape(x, [x.size]);
    const r = reduce(op, flat, 0, false);
    flat.dispose();
    if (!keepdim) return r;
    const kr = reshape(r, x.shape.map(() => 1));
    r.dispose();
    return kr;
  }
  if (typeof dim !== 'number') throw new Error(`${op}: dim must be a single axis, got ${fmtShape(dim as number[])}`);
  return reduce(op, x, normAxis(op, dim, x.ndim), keepdim);
}

type ArgDim = number | null | undefined | (ReduceOptions & { dim?: number | null });
export const argmax = (x: Tensor, dim?: ArgDim, k?: boolean | ReduceOptions) => argReduce('argmax', x, dim, k);
export const argmin = (x: Tensor, dim?: ArgDim, k?: boolean | ReduceOptions) => argReduce('argmin', x, dim, k);

/** Number of elements a reduction over `dim` combines. */
function countOf(x: Tensor, dim: Dim): number {
  return numel(normAxes('mean', dim ?? undefined, x.ndim).map((a) => x.shape[a]!));
}

/** Mean; int and bool inputs are averaged as float32. Gradient: g / N to every element. */
export function mean(x: Tensor, dimArg?: DimArg, k?: boolean | ReduceOptions): Tensor {
  const { dim, keepdim } = reduceArgs('mean', dimArg, k);
  return traced('mean', x, dim, keepdim, '', () => meanImpl(x, dim, keepdim), (g, _s, c) => spread(g, c).div(c.count));
}

function meanImpl(x: Tensor, dim: Dim, k: boolean): Tensor {
  checkInputs('mean', x);
  normAxes('mean', dim ?? undefined, x.ndim); // before any temporary, and naming mean rather than sum
  const xf = opmath(x);
  const s = sum(xf, dim, k);
  const m = binary('div', s, countOf(x, dim));
  s.dispose();
  if (xf !== x) xf.dispose();
  return fromOpmath(m, x);
}

/**
 * The input of a composite reduction (mean, var, logsumexp) in the type it computes in: int and
 * bool as float32, float16 as float32 too (so the result is rounded to float16 once, at the end,
 * as PyTorch's accumulate in float: `fromOpmath`), float32 and float64 as they are.
 */
function opmath(x: Tensor): Tensor {
  if (x.dtype === 'float16') return cast(x, 'float32');
  return isFloat(x.dtype) ? x : cast(x, floatTypeFor(x.dtype));
}

/** A composite's result back in its input's float type: float16 in, float16 out (r is consumed). */
function fromOpmath(r: Tensor, x: Tensor): Tensor {
  if (x.dtype !== 'float16') return r;
  const h = cast(r, 'float16');
  r.dispose();
  return h;
}

function varArgs(op: string, dimArg: unknown, o: unknown): { dim: Dim; keepdim: boolean; correction: number } {
  if (typeof o === 'boolean') {
    // torch's positional `unbiased` flag: true = correction 1, false = 0
    const { dim } = reduceArgs(op, dimArg, undefined, ['correction']);
    return { dim, keepdim: false, correction: o ? 1 : 0 };
  }
  const { dim, keepdim, rest } = reduceArgs(op, dimArg, o, ['correction']);
  const correction = rest.correction === undefined ? 1 : checkNumber(op, 'correction', rest.correction, { min: 0 });
  return { dim, keepdim, correction };
}

/**
 * Variance with Bessel's correction (default 1), computed in two passes for accuracy.
 * Gradient: d var / dx_i = 2 (x_i - mean) / (N - correction).
 */
export function variance(x: Tensor, dimArg?: VarDimArg, o?: boolean | VarOptions, op = 'var'): Tensor {
  const { dim, keepdim, correction } = varArgs(op, dimArg, o);
  return traced('var', x, dim, keepdim, 'xy', () => varianceImpl(x, dim, keepdim, correction), (g, [xs], c) =>
    xs!.sub(xs!.mean(c.axes, true)).mul(spread(g, c)).mul(2 / (c.count - correction)),
  );
}

function varianceImpl(x: Tensor, dim: Dim, keepdim: boolean, correction: number): Tensor {
  checkInputs('var', x);
  normAxes('var', dim ?? undefined, x.ndim); // before any temporary, and naming var rather than mean
  const xf = opmath(x);
  const mu = mean(xf, dim, true);
  const d = binary('sub', xf, mu);
  const d2 = unary('square', d);
  const s = sum(d2, dim, keepdim);
  // N - correction <= 0 gives inf/NaN, as in PyTorch.
  const v = binary('div', s, countOf(x, dim) - correction);
  for (const t of [mu, d, d2, s]) t.dispose();
  if (xf !== x) xf.dispose();
  return fromOpmath(v, x);
}

export function std(x: Tensor, dim?: VarDimArg, o?: boolean | VarOptions): Tensor {
  const v = variance(x, dim, o, 'std');
  const s = unary('sqrt', v);
  v.dispose();
  return s;
}

/**
 * log(sum(exp(x))) without overflow: the max is subtracted first (and ±inf maxima are handled);
 * over an empty dim it is -inf.
 * Gradient: the softmax, exp(x - logsumexp(x)), times g.
 */
export function logsumexp(x: Tensor, dimArg?: DimArg, k?: boolean | ReduceOptions): Tensor {
  const { dim, keepdim } = reduceArgs('logsumexp', dimArg, k);
  return traced('logsumexp', x, dim, keepdim, 'xy', () => logsumexpImpl(x, dim, keepdim), (g, [xs, ys], c) =>
    xs!.sub(kept(ys!, c)).exp().mul(spread(g, c)),
  );
}

function logsumexpImpl(x: Tensor, dim: Dim, keepdim: boolean): Tensor {
  const device = checkInputs('logsumexp', x);
  const axes = normAxes('logsumexp', dim ?? undefined, x.ndim); // before any temporary
  const xf = opmath(x);
  // Over no elements the max does not exist but the sum of exp is 0: -inf, as in PyTorch.
  const overNothing = numel(axes.map((a) => x.shape[a]!)) === 0;
  const m = overNothing ? empty('logsumexp', device, xf.dtype, reducedShape(x.shape, axes, true)) : amax(xf, dim, true);
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
  return fromOpmath(r, x);
}
