/**
 * split and chunk (views along one dim, through `narrow`, so each piece has narrow's gradient)
 * and tril / triu (a mask from arange comparisons, through `where`): compositions of existing
 * ops, so both backends and the backward rules come with them.
 */
import { fmtShape, normAxis } from '../../core/shape.js';
import { checkNumber, describe as describeValue } from '../../core/options.js';
import { Tensor } from '../tensor.js';
import { checkInputs } from './core.js';
import { narrow } from './views.js';
import { where } from './elementwise.js';
import { noExtra } from '../../core/options.js';
import { arange } from '../creation.js';

function checkTensor(op: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new Error(`${op}: expected a Tensor, got ${describeValue(x)}`);
}

/**
 * torch.split: pieces of `sizeOrSections` elements along `dim` (the last one smaller when the
 * size does not divide the length), or, given a list, pieces of those lengths (which must sum
 * to the length). Each piece is a view of x.
 */
export function split(x: Tensor, sizeOrSections: number | readonly number[], dim = 0, ...extra: never[]): Tensor[] {
  const op = 'split';
  checkTensor(op, x);
  noExtra(op, extra, '(sizeOrSections, dim?)');
  checkInputs(op, x);
  if (x.ndim === 0) throw new Error(`${op}: expected a tensor of at least 1 dimension, got a 0-d tensor`);
  checkNumber(op, 'dim', dim, { int: true });
  const d = normAxis(op, dim, x.ndim);
  const len = x.shape[d]!;
  let sizes: number[];
  if (typeof sizeOrSections === 'number') {
    checkNumber(op, 'split size', sizeOrSections, { int: true, min: 1 });
    const s = sizeOrSections;
    sizes = len === 0 ? [0] : Array.from({ length: Math.ceil(len / s) }, (_, i) => Math.min(s, len - i * s));
  } else if (Array.isArray(sizeOrSections)) {
    sizeOrSections.forEach((s, i) => checkNumber(op, `sections[${i}]`, s, { int: true, min: 0 }));
    const total = sizeOrSections.reduce((a, b) => a + b, 0);
    if (total !== len) {
      throw new Error(`${op}: sections ${fmtShape(sizeOrSections)} sum to ${total}, expected the length of dim ${d} (${len}) of the tensor ${fmtShape(x.shape)}`);
    }
    sizes = [...sizeOrSections];
  } else {
    throw new Error(`${op}: sizeOrSections must be a positive integer or an array of lengths, got ${describeValue(sizeOrSections)}`);
  }
  const out: Tensor[] = [];
  let start = 0;
  for (const s of sizes) {
    out.push(narrow(x, d, start, s));
    start += s;
  }
  return out;
}

/**
 * torch.chunk: `n` pieces along `dim` of ceil(length / n) elements each, the last smaller; as
 * PyTorch, fewer than n when the length does not allow n (length 5 in 4 chunks: 2, 2, 1), and n
 * empty pieces of an empty dim. Views of x.
 */
export function chunk(x: Tensor, n: number, dim = 0, ...extra: never[]): Tensor[] {
  const op = 'chunk';
  checkTensor(op, x);
  noExtra(op, extra, '(chunks, dim?)');
  checkInputs(op, x);
  checkNumber(op, 'chunks', n, { int: true, min: 1 });
  if (x.ndim === 0) throw new Error(`${op}: expected a tensor of at least 1 dimension, got a 0-d tensor`);
  checkNumber(op, 'dim', dim, { int: true });
  const d = normAxis(op, dim, x.ndim);
  const len = x.shape[d]!;
  if (len === 0) return Array.from({ length: n }, () => narrow(x, d, 0, 0));
  return split(x, Math.ceil(len / n), d);
}

function triangle(op: 'tril' | 'triu', x: Tensor, k: number, extra: readonly unknown[]): Tensor {
  checkTensor(op, x);
  noExtra(op, extra, '(diagonal?)');
  checkInputs(op, x);
  checkNumber(op, 'diagonal', k, { int: true });
  if (x.ndim < 2) throw new Error(`${op}: expected a tensor of at least 2 dimensions (matrices in the last two), got shape ${fmtShape(x.shape)}`);
  const rows = x.shape[x.ndim - 2]!;
  const cols = x.shape[x.ndim - 1]!;
  // keep[i, j]: j - i <= k (tril) or j - i >= k (triu); broadcast over the batch dims by where.
  const i = arange(rows, { device: x.device }).reshape(rows, 1);
  const ik = i.add(k);
  const j = arange(cols, { device: x.device });
  const keep = op === 'tril' ? j.le(ik) : j.ge(ik);
  const out = where(keep, x, x.dtype === 'bool' ? false : 0);
  for (const t of [i, ik, j, keep]) t.dispose();
  return out;
}

/** torch.tril: the lower triangle of the matrices in the last two dims (j <= i + diagonal), zeros above. */
export function tril(x: Tensor, diagonal = 0, ...extra: never[]): Tensor {
  return triangle('tril', x, diagonal, extra);
}

/** torch.triu: the upper triangle of the matrices in the last two dims (j >= i + diagonal), zeros below. */
export function triu(x: Tensor, diagonal = 0, ...extra: never[]): Tensor {
  return triangle('triu', x, diagonal, extra);
}
