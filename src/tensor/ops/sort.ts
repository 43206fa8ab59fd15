/**
 * Sorting and the order statistics built on it: sort, argsort, kthvalue, median, nanmedian,
 * quantile, nanquantile (the kernel family src/kernels/sort/).
 *
 * The order is PyTorch's: ascending (or descending) by value, NaN above every number; equal
 * values keep their input order on every device (the kernel sorts (value, index) pairs, so the
 * sort is always stable and `stable` changes nothing). Values carry gradients as a gather of
 * the input at the sorted indices, whose backward scatters the gradient through them.
 */
import { hostValues } from './transfer.js';
import { getBackend } from '../../runtime.js';
import { fmtShape, normAxis } from '../../core/shape.js';
import { checkBoolean, checkChoice, checkNumber, checkOptions, describe as describeValue, noExtra } from '../../core/options.js';
import { isFloat } from '../../core/dtype.js';
import { recording } from '../../autograd/node.js';
import { noGrad } from '../../autograd/mode.js';
import { Tensor } from '../tensor.js';
import { tidy } from '../memory.js';
import { tensor } from '../creation.js';
import { checkInputs, empty } from './core.js';
import { binary, cast, round, unary, where } from './elementwise.js';
import { gather } from './indexing.js';
import { sum } from './reduce.js';
import { clone, contiguous, permute, reshape, squeeze, transpose, unsqueeze } from './views.js';

export interface SortOptions {
  /** The dim to sort along (default -1). */
  dim?: number;
  /** Largest first (default false: smallest first). */
  descending?: boolean;
  /** Accepted for PyTorch's signature: the sort is always stable (ties keep their input order). */
  stable?: boolean;
}

function sortArgs(op: string, x: Tensor, options: SortOptions | undefined): { d: number; descending: boolean } {
  checkInputs(op, x);
  checkOptions(op, options, ['dim', 'descending', 'stable']);
  const o = options ?? {};
  if (o.descending !== undefined) checkBoolean(op, 'descending', o.descending);
  if (o.stable !== undefined) checkBoolean(op, 'stable', o.stable);
  if (o.dim !== undefined) checkNumber(op, 'dim', o.dim, { int: true });
  const d = normAxis(op, o.dim ?? -1, Math.max(x.ndim, 1));
  return { d, descending: o.descending ?? false };
}

/** The kernel: values and int32 indices of x sorted along d (no gradient). */
function sortKernel(op: string, x: Tensor, d: number, descending: boolean): [Tensor, Tensor] {
  const device = x.device;
  if (x.ndim === 0) return [clone(x), empty(op, device, 'int32', []).fill_(0)];
  if (x.dtype === 'bool') {
    const xi = cast(x, 'int32');
    const [v, i] = sortKernel(op, xi, d, descending);
    const vb = cast(v, 'bool');
    xi.dispose();
    v.dispose();
    return [vb, i];
  }
  const last = x.ndim - 1;
  const xt = d === last ? x : transpose(x, d, last); // a view: the kernel reads it in place
  const values = empty(op, device, x.dtype, xt.shape);
  const indices = empty(op, device, 'int32', xt.shape);
  try {
    getBackend(device).sort.sort(xt, descending, values, indices);
  } catch (e) {
    values.dispose();
    indices.dispose();
    throw e;
  } finally {
    if (xt !== x) xt.dispose();
  }
  if (d === last) return [values, indices];
  const back = [values, indices].map((t) => {
    const v = transpose(t, d, last);
    const c = contiguous(v);
    v.dispose();
    t.dispose();
    return c;
  });
  return [back[0]!, back[1]!];
}

/** Sorted values (differentiable: a gather of x when x requires grad) and indices. */
function sorted(op: string, x: Tensor, d: number, descending: boolean): [Tensor, Tensor] {
  const [values, indices] = noGrad(() => sortKernel(op, x, d, descending));
  if (!recording([x]) || x.ndim === 0) return [values, indices];
  values.dispose();
  return [gather(x, d, indices), indices];
}

/**
 * x sorted along `dim`, as `torch.sort`: [values, indices] (indices int32: where each value
 * was along dim). Ascending unless `descending`; NaN sorts as the largest value (last, or
 * first when descending); ties keep their input order on every device (always stable).
 * A 0-d x gives itself and index 0. bool sorts false before true.
 *
 * Gradient (values): the gradient scattered back through the indices.
 */
export function sort(x: Tensor, options?: SortOptions, ...extra: never[]): [Tensor, Tensor] {
  noExtra('sort', extra, '(x, options?)');
  const { d, descending } = sortArgs('sort', x, options);
  return sorted('sort', x, d, descending);
}

/** The indices that sort x along `dim` (int32), as `torch.argsort`; options as sort. */
export function argsort(x: Tensor, options?: SortOptions, ...extra: never[]): Tensor {
  noExtra('argsort', extra, '(x, options?)');
  const { d, descending } = sortArgs('argsort', x, options);
  const [values, indices] = noGrad(() => sortKernel('argsort', x, d, descending));
  values.dispose();
  return indices;
}

export interface KthvalueOptions {
  /** The dim to select along (default -1). */
  dim?: number;
  /** Keep `dim` with size 1 (default false). */
  keepdim?: boolean;
}

function selectArgs(op: string, x: Tensor, options: KthvalueOptions | undefined, needsDim = false): { d: number; keepdim: boolean } {
  checkInputs(op, x);
  checkOptions(op, options, ['dim', 'keepdim']);
  const o = options ?? {};
  if (o.keepdim !== undefined) checkBoolean(op, 'keepdim', o.keepdim);
  if (o.dim !== undefined) checkNumber(op, 'dim', o.dim, { int: true });
  else if (needsDim) throw new Error(`${op}: dim is required with these options`);
  if (x.dtype === 'bool') throw new Error(`${op}: bool tensors are not supported (cast to int32 or float32 first)`);
  return { d: normAxis(op, o.dim ?? -1, Math.max(x.ndim, 1)), keepdim: o.keepdim ?? false };
}

/**
 * [values, indices] of the entries at sorted positions `pos` (int32, keepdim shape) along d:
 * the values a differentiable gather of x.
 */
function pick(op: string, x: Tensor, d: number, keepdim: boolean, pos: (n: number, xs: Tensor) => Tensor): [Tensor, Tensor] {
  const xs = x.ndim === 0 ? reshape(x, [1]) : x;
  const n = xs.shape[d]!;
  const indices = tidy(() =>
    noGrad(() => {
      const [, order] = sortKernel(op, xs, d, false);
      return gather(order, d, pos(n, xs));
    }),
  );
  const values = gather(xs, d, indices);
  if (xs !== x) xs.dispose();
  if (keepdim && x.ndim > 0) return [values, indices];
  const v = squeeze(values, x.ndim === 0 ? 0 : d);
  const i = squeeze(indices, x.ndim === 0 ? 0 : d);
  values.dispose();
  indices.dispose();
  return [v, i];
}

/** Shape of x with dim d of size 1. */
const keptShape = (x: Tensor, d: number): number[] => x.shape.map((s, i) => (i === d ? 1 : s));

/**
 * The k-th smallest entry along `dim` (k counts from 1) and its int32 index, as
 * `torch.kthvalue`: [values, indices], `dim` removed unless `keepdim`. NaN counts as the
 * largest value; among equal values the k-th in input order is taken.
 *
 * Gradient: to the selected entry.
 */
export function kthvalue(x: Tensor, k: number, options?: KthvalueOptions, ...extra: never[]): [Tensor, Tensor] {
  noExtra('kthvalue', extra, '(x, k, options?)');
  const op = 'kthvalue';
  const { d, keepdim } = selectArgs(op, x, options);
  const n = x.ndim === 0 ? 1 : x.shape[d]!;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > n) {
    throw new Error(`${op}: k must be an integer from 1 to ${n} (the size of dim ${d} of input ${fmtShape(x.shape)}), got ${describeValue(k)}`);
  }
  return pick(op, x, d, keepdim, (_n, xs) => empty(op, xs.device, 'int32', keptShape(xs, d)).fill_(k - 1));
}

/** The NaN count along d of x (keepdim), as int32. */
function nanCount(x: Tensor, d: number): Tensor {
  if (!isFloat(x.dtype)) return empty('nanCount', x.device, 'int32', keptShape(x, d)).fill_(0);
  return tidy(() => cast(sum(cast(binary('ne', x, x), 'int32'), d, true), 'int32'));
}

function medianOf(op: string, x: Tensor, options: KthvalueOptions | undefined, skipNaN: boolean): Tensor | [Tensor, Tensor] {
  checkOptions(op, options, ['dim', 'keepdim']);
  if (options?.dim === undefined) {
    if (options?.keepdim !== undefined) throw new Error(`${op}: keepdim needs a dim (without one the median of all entries is a 0-d tensor)`);
    // No dim: the median of all entries, a 0-d tensor of values only.
    checkInputs(op, x);
    if (x.dtype === 'bool') throw new Error(`${op}: bool tensors are not supported (cast to int32 or float32 first)`);
    if (x.size === 0) throw new Error(`${op}: the median of an empty tensor is undefined (input ${fmtShape(x.shape)})`);
    const flat = reshape(x, [x.size]);
    const [v, i] = medianOf(op, flat, { dim: 0 }, skipNaN) as [Tensor, Tensor];
    flat.dispose();
    i.dispose();
    return v;
  }
  const { d, keepdim } = selectArgs(op, x, options);
  const n = x.ndim === 0 ? 1 : x.shape[d]!;
  if (n === 0) throw new Error(`${op}: dim ${d} of input ${fmtShape(x.shape)} is empty, so it has no median`);
  return pick(op, x, d, keepdim, (len, xs) => {
    const nans = nanCount(xs, d);
    if (skipNaN) {
      // The lower median of the non-NaN entries (NaN sorts last); a row of NaNs: its first.
      const half = unary('floor', binary('mul', binary('sub', len - 1, cast(nans, 'float32')), 0.5));
      return cast(binary('maximum', half, 0), 'int32');
    }
    // The lower median; a row holding NaN: its first NaN in sorted order (NaN propagates).
    return cast(where(binary('gt', nans, 0), binary('sub', len, nans), Math.floor((len - 1) / 2)), 'int32');
  });
}

/**
 * The median, as `torch.median`: without a dim, the lower median of all entries as a 0-d
 * tensor; with `{ dim, keepdim }`, [values, indices] along dim. The lower of the two middle
 * values for an even count (no averaging); NaN propagates (a row holding NaN gives NaN and the
 * index of its first NaN).
 */
export function median(x: Tensor): Tensor;
export function median(x: Tensor, options: KthvalueOptions & { dim: number }): [Tensor, Tensor];
export function median(x: Tensor, options?: KthvalueOptions, ...extra: never[]): Tensor | [Tensor, Tensor];
export function median(x: Tensor, options?: KthvalueOptions, ...extra: never[]): Tensor | [Tensor, Tensor] {
  noExtra('median', extra, '(x, options?)');
  return medianOf('median', x, options, false);
}

/** median ignoring NaN, as `torch.nanmedian` (a row of NaNs gives NaN). */
export function nanmedian(x: Tensor): Tensor;
export function nanmedian(x: Tensor, options: KthvalueOptions & { dim: number }): [Tensor, Tensor];
export function nanmedian(x: Tensor, options?: KthvalueOptions, ...extra: never[]): Tensor | [Tensor, Tensor];
export function nanmedian(x: Tensor, options?: KthvalueOptions, ...extra: never[]): Tensor | [Tensor, Tensor] {
  noExtra('nanmedian', extra, '(x, options?)');
  return medianOf('nanmedian', x, options, true);
}

export type QuantileInterpolation = 'linear' | 'lower' | 'higher' | 'midpoint' | 'nearest';

export interface QuantileOptions {
  /** The dim to reduce (default: all entries, flattened). */
  dim?: number;
  /** Keep the reduced dim(s) with size 1 (default false). */
  keepdim?: boolean;
  /** Between two sorted entries: 'linear' (default), 'lower', 'higher', 'midpoint', 'nearest' (ties to even). */
  interpolation?: QuantileInterpolation;
}

function quantileOf(op: string, x: Tensor, q: number | Tensor, options: QuantileOptions | undefined, skipNaN: boolean): Tensor {
  const device = checkInputs(op, x);
  checkOptions(op, options, ['dim', 'keepdim', 'interpolation']);
  const o = options ?? {};
  if (o.keepdim !== undefined) checkBoolean(op, 'keepdim', o.keepdim);
  if (o.dim !== undefined) checkNumber(op, 'dim', o.dim, { int: true });
  const interpolation = checkChoice(op, 'interpolation', o.interpolation ?? 'linear', ['linear', 'lower', 'higher', 'midpoint', 'nearest']);
  if (!isFloat(x.dtype)) throw new Error(`${op}: input must be a floating-point tensor (float32 or float64), got ${x.dtype}`);
  if (x.size === 0) throw new Error(`${op}: input must be non-empty, got shape ${fmtShape(x.shape)}`);
  let qScalar: boolean;
  if (typeof q === 'number') {
    checkNumber(op, 'q', q, { min: 0, max: 1 });
    qScalar = true;
  } else if (q instanceof Tensor) {
    checkInputs(op, x, q);
    if (q.ndim > 1) throw new Error(`${op}: q must be a number or a 0-d or 1-D tensor, got shape ${fmtShape(q.shape)}`);
    if (!isFloat(q.dtype)) throw new Error(`${op}: q must be a floating-point tensor, got ${q.dtype}`);
    if (q.device !== 'webgpu') {
      // The values are at hand on cpu and wasm; on webgpu checking would need a read back.
      const v = hostValues(q);
      for (let i = 0; i < v.length; i++) {
        if (!(v[i]! >= 0 && v[i]! <= 1)) throw new Error(`${op}: q values must be in [0, 1], got ${v[i]}`);
      }
    }
    qScalar = q.ndim === 0;
  } else {
    throw new Error(`${op}: q must be a number in [0, 1] or a tensor, got ${describeValue(q)}`);
  }
  const all = o.dim === undefined;
  const d = all ? 0 : normAxis(op, o.dim!, Math.max(x.ndim, 1));
  const keepdim = o.keepdim ?? false;
  return tidy(() => {
    // Rows along the last dim: [...rest, n].
    let xm: Tensor;
    if (all) xm = reshape(x, [x.size]);
    else if (x.ndim === 0) xm = reshape(x, [1]);
    else xm = permute(x, [...x.shape.map((_, i) => i).filter((i) => i !== d), d]);
    const n = xm.shape[xm.ndim - 1]!;
    const [s] = sorted(op, xm, xm.ndim - 1, false);
    const qs = noGrad(() => (typeof q === 'number' ? tensor([q], { dtype: x.dtype, device }) : reshape(cast(q, x.dtype), [q.size])));
    // ranks [...rest, Q]: fractional positions in the sorted rows.
    const ranks = noGrad(() => {
      const nans = cast(nanCount(xm, xm.ndim - 1), x.dtype);
      if (skipNaN) return binary('maximum', binary('mul', qs, binary('sub', binary('sub', n, nans), 1)), 0);
      // A row holding NaN: its last entry (a NaN), so the quantile is NaN.
      return where(binary('gt', nans, 0), n - 1, binary('mul', qs, n - 1));
    });
    const at = (r: Tensor) => gather(s, -1, cast(r, 'int32'));
    let out: Tensor;
    if (interpolation === 'lower') out = at(unary('floor', ranks));
    else if (interpolation === 'higher') out = at(unary('ceil', ranks));
    else if (interpolation === 'nearest') out = at(round(ranks));
    else {
      const lo = noGrad(() => unary('floor', ranks));
      const below = at(lo);
      const above = at(unary('ceil', ranks));
      const w = interpolation === 'midpoint' ? noGrad(() => binary('add', binary('mul', lo, 0), 0.5)) : noGrad(() => binary('sub', ranks, lo));
      // lerp as PyTorch computes it: from the nearer end.
      const diff = binary('sub', above, below);
      out = where(binary('lt', w, 0.5), binary('add', below, binary('mul', w, diff)), binary('sub', above, binary('mul', diff, binary('sub', 1, w))));
    }
    // out: [...rest, Q] -> [Q, ...rest] (q a tensor of one dim) or [...rest] (a number or 0-d q).
    if (qScalar) out = squeeze(out, -1);
    else if (out.ndim > 1) out = permute(out, [out.ndim - 1, ...out.shape.slice(0, -1).map((_, i) => i)]);
    if (keepdim) {
      const lead = qScalar ? [] : [out.shape[0]!];
      if (all) out = reshape(out, [...lead, ...x.shape.map(() => 1)]);
      else if (x.ndim > 0) out = unsqueeze(out, d + lead.length);
    }
    return contiguous(out);
  });
}

/**
 * The q-th quantiles along `dim` (all entries when no dim), as `torch.quantile`: q a number
 * in [0, 1] (dim removed, or kept with size 1) or a 1-D tensor of them (their dim put first).
 * `interpolation` says what lies between two sorted entries. A row holding NaN gives NaN.
 * Floating-point inputs only. On webgpu a q tensor's values are not checked (that would need a
 * read back): out-of-range values take the end entries. Gradient: through the selected entries.
 */
export function quantile(x: Tensor, q: number | Tensor, options?: QuantileOptions, ...extra: never[]): Tensor {
  noExtra('quantile', extra, '(x, q, options?)');
  return quantileOf('quantile', x, q, options, false);
}

/** quantile ignoring NaN, as `torch.nanquantile` (a row of NaNs gives NaN). */
export function nanquantile(x: Tensor, q: number | Tensor, options?: QuantileOptions, ...extra: never[]): Tensor {
  noExtra('nanquantile', extra, '(x, q, options?)');
  return quantileOf('nanquantile', x, q, options, true);
}

