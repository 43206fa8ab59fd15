/**
 * Scatter reductions (the kernel family src/kernels/scatter/): scatterReduce, as
 * torch.scatter_reduce, and plain scatter, as torch.scatter. Out of place: x is copied, then
 * src is combined into the copy at the positions the index names along `dim`.
 */
import { getBackend } from '../../runtime.js';
import { fmtShape, normAxis } from '../../core/shape.js';
import { checkBoolean, checkChoice, checkNumber, checkOptions, describe as describeValue, noExtra } from '../../core/options.js';
import { trace } from '../../autograd/node.js';
import { Tensor } from '../tensor.js';
import { full, ones, zeros } from '../creation.js';
import { checkInputs, describe } from './core.js';
import { binary, cast, where } from './elementwise.js';
import { asIndex, cat, gather, scatterAdd } from './indexing.js';
import { clone, expand, reshape, slice } from './views.js';
import type { ScatterMode } from '../../kernels/scatter/types.js';

export type ScatterReduceMode = 'sum' | 'prod' | 'mean' | 'amax' | 'amin';

export interface ScatterReduceOptions {
  /** Whether x's own values take part in the reduction where something is scattered (default true). */
  includeSelf?: boolean;
}

const MODES: readonly ScatterReduceMode[] = ['sum', 'prod', 'mean', 'amax', 'amin'];

/** Checks the operands of a scatter; returns the dim, normalised. */
function checkScatter(op: string, x: Tensor, dim: number, index: Tensor, src: Tensor): number {
  checkInputs(op, x, index, src);
  checkNumber(op, 'dim', dim, { int: true });
  const d = normAxis(op, dim, Math.max(x.ndim, 1));
  if (index.ndim !== x.ndim || src.ndim !== x.ndim) {
    throw new Error(`${op}: input, index and src must have the same rank, got ${describe(x)}, index ${fmtShape(index.shape)} and src ${fmtShape(src.shape)}`);
  }
  index.shape.forEach((s, i) => {
    if (s > src.shape[i]! || (i !== d && s > x.shape[i]!)) {
      throw new Error(`${op}: index shape ${fmtShape(index.shape)} must not exceed src ${fmtShape(src.shape)} in any dim, nor input ${fmtShape(x.shape)} except in dim ${d}`);
    }
  });
  if (x.dtype === 'bool') throw new Error(`${op}: bool tensors are not supported (cast to int32 or float32 first)`);
  return d;
}

/** The kernel: a copy of x with src combined in (no gradient). */
function scatterKernel(op: string, x: Tensor, d: number, index: Tensor, src: Tensor, mode: ScatterMode, includeSelf: boolean): Tensor {
  const zeroD = x.ndim === 0;
  const [xs, is, ss] = zeroD ? [reshape(x, [1]), reshape(index, [1]), reshape(src, [1])] : [x, index, src];
  const out = clone(xs);
  const s = ss.dtype === x.dtype ? ss : cast(ss, x.dtype);
  try {
    getBackend(x.device).scatter.scatterReduce(s, d, is, mode, includeSelf, out);
  } catch (e) {
    out.dispose();
    throw e;
  } finally {
    if (s !== ss) s.dispose();
    if (zeroD) [xs, is, ss].forEach((t) => t.dispose());
  }
  if (!zeroD) return out;
  const r = reshape(out, []);
  out.dispose();
  return r;
}

/** t (index's shape) padded with zeros to src's shape: src entries past the index take no part. */
function toShape(t: Tensor, shape: readonly number[]): Tensor {
  let r = t;
  shape.forEach((s, k) => {
    const have = r.shape[k]!;
    if (have < s) r = cat([r, zeros(r.shape.map((v, i) => (i === k ? s - have : v)), { dtype: r.dtype, device: r.device })], k);
  });
  return r;
}

/** The leading part of t of the given shape (src's entries that the index reaches). */
function narrowTo(t: Tensor, shape: readonly number[]): Tensor {
  return shape.every((s, k) => s === t.shape[k]) ? t : slice(t, shape.map((s) => [0, s] as const));
}

/** g with zeros at the positions the index names (where x's own value took no part). */
const zeroScattered = (g: Tensor, d: number, idx: Tensor): Tensor => scatter(g, d, idx, 0);

/**
 * x with src reduced into it at the positions `index` names along `dim`, as
 * `torch.scatter_reduce` (out of place): for every i over index's shape, out[i with
 * coordinate dim replaced by index[i]] is combined with src[i] by `reduce` ('sum', 'prod',
 * 'mean', 'amax', 'amin'). With `includeSelf` (default) x's value at a position takes part;
 * without, it is left out where something is scattered and kept elsewhere. mean divides by the
 * count of values met (x's included when includeSelf); int32 means round down. index (int32,
 * or integer-valued floats) has x's rank, no dim larger than src's and none larger than x's
 * except along dim; its values lie in [0, x.shape[dim]). src is cast to x's dtype.
 *
 * On webgpu the reduction runs with atomic compare-exchange loops: amax and amin are exact
 * and deterministic; sum, prod and mean may differ in their last bits from run to run (the
 * order of the operations varies), as scatterAdd's sums do.
 *
 * Gradients, as PyTorch's: sum: g to x (zero where scattered without includeSelf), a gather of
 * g to src; mean: the same divided by the counts; amax/amin: g shared equally among the
 * entries equal to the result (x's and src's alike); prod: g times the product of the other
 * entries, computed without division where an entry is zero (exact with zeros too).
 */
export function scatterReduce(x: Tensor, dim: number, index: Tensor, src: Tensor, reduce: ScatterReduceMode, options?: ScatterReduceOptions, ...extra: never[]): Tensor {
  const op = 'scatterReduce';
  noExtra(op, extra, '(x, dim, index, src, reduce, options?)');
  if (!(index instanceof Tensor) || index.isDisposed) checkInputs(op, x, index);
  if (!(src instanceof Tensor)) throw new Error(`${op}: src must be a Tensor, got ${describeValue(src)} (scatter takes a number)`);
  const mode = checkChoice(op, 'reduce', reduce, MODES);
  checkOptions(op, options, ['includeSelf']);
  const includeSelf = options?.includeSelf === undefined ? true : checkBoolean(op, 'includeSelf', options.includeSelf);
  const idx = asIndex(op, index);
  try {
    const d = checkScatter(op, x, dim, idx, src);
    return traced(x, d, idx, src, mode, includeSelf);
  } finally {
    if (idx !== index) idx.dispose();
  }
}

function traced(x: Tensor, d: number, index: Tensor, src: Tensor, mode: ScatterReduceMode, includeSelf: boolean): Tensor {
  const shape = x.shape;
  const srcShape = src.shape;
  const dev = x.device;
  return trace(
    'scatterReduce',
    [x, index, src],
    () => scatterKernel('scatterReduce', x, d, index, src, mode, includeSelf),
    (g, saved, needs) => {
      const [idx, xs, ss, res] = saved as Tensor[];
      const gsrc = (t: Tensor) => (needs[2] ? toShape(gather(t, d, idx!), srcShape) : null);
      const gself = (t: Tensor) => (!needs[0] ? null : includeSelf ? t : zeroScattered(t, d, idx!));
      if (mode === 'sum') return [gself(g), null, gsrc(g)];
      if (mode === 'mean') {
        const n = scatterAdd(includeSelf ? ones(shape, { dtype: g.dtype, device: dev }) : zeros(shape, { dtype: g.dtype, device: dev }), d, idx!, ones(idx!.shape, { dtype: g.dtype, device: dev }));
        const gd = binary('div', g, where(binary('eq', n, 0), 1, n));
        return [gself(gd), null, gsrc(gd)];
      }
      if (mode === 'amax' || mode === 'amin') {
        let selfIs = cast(binary('eq', xs!, res!), g.dtype);
        if (!includeSelf) selfIs = zeroScattered(selfIs, d, idx!);
        const srcIs = cast(binary('eq', narrowTo(ss!, idx!.shape), gather(res!, d, idx!)), g.dtype);
        const n = scatterAdd(selfIs, d, idx!, srcIs);
        const gd = binary('div', g, where(binary('eq', n, 0), 1, n));
        return [needs[0] ? binary('mul', selfIs, gd) : null, null, needs[2] ? toShape(binary('mul', srcIs, gather(gd, d, idx!)), srcShape) : null];
      }
      // prod: the product of the others is res / e for a non-zero entry e; for a zero entry it
      // is the product of the non-zeros when e is the only zero there, else 0.
      const xz = binary('eq', xs!, 0);
      const sIn = narrowTo(ss!, idx!.shape);
      const sz = binary('eq', sIn, 0);
      const x1 = where(xz, 1, xs!);
      const s1 = where(sz, 1, sIn);
      const nonZeroProd = scatterReduce(x1, d, idx!, s1, 'prod', { includeSelf });
      const zerosMet = scatterAdd(includeSelf ? cast(xz, g.dtype) : zeros(shape, { dtype: g.dtype, device: dev }), d, idx!, cast(sz, g.dtype));
      const soleZero = where(binary('eq', zerosMet, 1), nonZeroProd, 0);
      const gx = needs[0] ? (includeSelf ? binary('mul', g, where(xz, soleZero, binary('div', res!, x1))) : zeroScattered(g, d, idx!)) : null;
      const gs = needs[2] ? toShape(binary('mul', gather(g, d, idx!), where(sz, gather(soleZero, d, idx!), binary('div', gather(res!, d, idx!), s1))), srcShape) : null;
      return [gx, null, gs];
    },
    (out) => (mode === 'sum' || mode === 'mean' ? [index] : [index, x, src, out]),
  );
}

/**
 * x with the values of src (a tensor, or one number) written at the positions `index` names
 * along `dim`, as `torch.scatter` (out of place): out[i with coordinate dim replaced by
 * index[i]] = src[i]. Where an index repeats, one of the writes wins (the last on cpu; which
 * one on webgpu is unspecified, as in PyTorch). Shapes and index as scatterReduce.
 *
 * Gradient: g to x with zeros where written; a gather of g to src.
 */
export function scatter(x: Tensor, dim: number, index: Tensor, src: Tensor | number, ...extra: never[]): Tensor {
  const op = 'scatter';
  noExtra(op, extra, '(x, dim, index, src)');
  if (!(index instanceof Tensor) || index.isDisposed) checkInputs(op, x, index);
  if (typeof src === 'number') {
    checkNumber(op, 'src', src, { infinite: true });
    if (!(x instanceof Tensor)) checkInputs(op, x);
    const idx = asIndex(op, index);
    const value = full([], src, { dtype: x.dtype === 'bool' ? 'float32' : x.dtype, device: x.device });
    const spread = x.ndim === 0 ? value : expand(reshape(value, idx.shape.map(() => 1)), idx.shape);
    try {
      return scatter(x, dim, idx, spread);
    } finally {
      if (spread !== value) spread.dispose();
      value.dispose();
      if (idx !== index) idx.dispose();
    }
  }
  if (!(src instanceof Tensor)) throw new Error(`${op}: src must be a Tensor or a number, got ${describeValue(src)}`);
  const idx = asIndex(op, index);
  try {
    const d = checkScatter(op, x, dim, idx, src);
    const srcShape = src.shape;
    return trace(
      op,
      [x, idx, src],
      () => scatterKernel(op, x, d, idx, src, 'assign', true),
      (g, [i], needs) => [needs[0] ? zeroScattered(g, d, i!) : null, null, needs[2] ? toShape(gather(g, d, i!), srcShape) : null],
      () => [idx],
    );
  } finally {
    if (idx !== index) idx.dispose();
  }
}
