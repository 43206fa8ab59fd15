/** Gathering and joining: gather, indexSelect, cat, stack. */
import { getBackend } from '../../runtime.js';
import { promoteTypes } from '../dtype.js';
import { fmtShape, normAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, describe, empty } from './core.js';
import { expand, narrow, reshape, unsqueeze } from './views.js';

function checkIndex(op: string, index: Tensor): void {
  if (index.dtype !== 'int32') throw new Error(`${op}: index must be an int32 tensor, got ${index.dtype}`);
}

/**
 * out[i][j][k] = x[index[i][j][k]][j][k] for dim = 0 (and likewise for other dims).
 * index has x's rank and no dimension larger than x's, except along `dim`.
 */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  const device = checkInputs('gather', x, index);
  checkIndex('gather', index);
  const d = normAxis('gather', dim, x.ndim);
  if (index.ndim !== x.ndim) {
    throw new Error(`gather: index must have the input's rank ${x.ndim}, got shape ${fmtShape(index.shape)} for input ${fmtShape(x.shape)}`);
  }
  index.shape.forEach((s, i) => {
    if (i !== d && s > x.shape[i]!) {
      throw new Error(`gather: index shape ${fmtShape(index.shape)} is larger than input ${fmtShape(x.shape)} in dimension ${i} (only dim ${d} may differ)`);
    }
  });
  const out = empty('gather', device, x.dtype, index.shape);
  try {
    getBackend(device).gather(x, d, index, out);
  } catch (e) {
    out.dispose(); // the cpu kernel checks indices as it goes: no half-written output escapes
    throw e;
  }
  return out;
}

/** Selects entries of x along `dim` by a 1-D int32 index (repeats allowed). */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  const device = checkInputs('indexSelect', x, index);
  checkIndex('indexSelect', index);
  if (index.ndim > 1) throw new Error(`indexSelect: index must be 1-D, got shape ${fmtShape(index.shape)}`);
  const d = normAxis('indexSelect', dim, Math.max(x.ndim, 1));
  const outShape = [...x.shape];
  outShape[d] = index.size;
  // The index, laid along `dim` and broadcast over the other dims, drives a gather.
  const lined = reshape(index, x.shape.map((_, i) => (i === d ? index.size : 1)));
  const idx = expand(lined, outShape);
  const out = empty('indexSelect', device, x.dtype, outShape);
  try {
    getBackend(device).gather(x, d, idx, out);
  } catch (e) {
    out.dispose(); // an index out of range on cpu: no half-written output escapes
    throw e;
  } finally {
    lined.dispose();
    idx.dispose();
  }
  return out;
}

/** Concatenates tensors along an existing dim (dtypes are promoted). */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new Error('cat: expected a non-empty array of tensors');
  const device = checkInputs('cat', ...tensors);
  const first = tensors[0]!;
  const d = normAxis('cat', dim, first.ndim);
  for (const t of tensors) {
    if (t.ndim !== first.ndim || t.shape.some((s: number, i: number) => i !== d && s !== first.shape[i])) {
      throw new Error(
        `cat: all tensors must have the same shape except in dim ${d}, got ${tensors.map(describe).join(', ')}`,
      );
    }
  }
  const dtype = tensors.map((t) => t.dtype).reduce(promoteTypes);
  const outShape = [...first.shape];
  outShape[d] = tensors.reduce((a, t) => a + t.shape[d]!, 0);
  const out = empty('cat', device, dtype, outShape);
  const backend = getBackend(device);
  let at = 0;
  for (const t of tensors) {
    const len = t.shape[d]!;
    if (len > 0) {
      const slot = narrow(out, d, at, len);
      backend.copy(t, slot);
      slot.dispose();
    }
    at += len;
  }
  return out;
}

/** Stacks equal-shaped tensors along a new dim. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new Error('stack: expected a non-empty array of tensors');
  checkInputs('stack', ...tensors);
  const first = tensors[0]!;
  for (const t of tensors) {
    if (t.ndim !== first.ndim || t.shape.some((s: number, i: number) => s !== first.shape[i])) {
      throw new Error(`stack: all tensors must have the same shape, got ${tensors.map(describe).join(', ')}`);
    }
  }
  if (!Number.isInteger(dim) || dim < -(first.ndim + 1) || dim > first.ndim) {
    throw new Error(`stack: dim ${dim} is out of range for tensors of shape ${fmtShape(first.shape)} (rank ${first.ndim}; expected ${-(first.ndim + 1)} to ${first.ndim})`);
  }
  const d = normAxis('stack', dim, first.ndim + 1);
  const parts = tensors.map((t) => unsqueeze(t, d));
  const out = cat(parts, d);
  for (const p of parts) p.dispose();
  return out;
}
