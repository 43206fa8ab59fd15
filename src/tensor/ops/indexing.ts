/** Gathering and joining: gather, indexSelect, cat, stack. */
import { hostValues } from './transfer.js';
import { getBackend } from '../../runtime.js';
import { promoteTypes } from '../../core/dtype.js';
import { fmtShape, normAxis } from '../../core/shape.js';
import { Tensor } from '../tensor.js';
import { checkInputs, describe, empty } from './core.js';
import { clone, expand, narrow, reshape, select, unsqueeze } from './views.js';
import { cast } from './elementwise.js';
import { trace } from '../../autograd/node.js';
import { zeros } from '../creation.js';

/**
 * The int32 form of an index tensor. int32 is used as is. A float tensor is accepted too,
 * since `tensor([0, 2])` is float32 (plain JS numbers are): it is cast to int32. On cpu, where
 * the values are at hand, a non-integer value is refused; on webgpu checking would need a read
 * back, so the cast truncates toward zero, as `.cast('int32')` does. bool is refused.
 * Returns the tensor to use; the caller disposes it when it differs from `index`.
 */
export function asIndex(op: string, index: Tensor, name = 'index'): Tensor {
  if (!(index instanceof Tensor)) throw new Error(`${op}: ${name} must be a Tensor, got ${index === null ? 'null' : typeof index}`);
  if (index.dtype === 'int32') return index;
  if (index.dtype === 'bool') {
    throw new Error(`${op}: ${name} must hold integer indices (int32, or float values that are integers), got a bool tensor of shape ${fmtShape(index.shape)}; a mask is not an index`);
  }
  if (index.device !== 'webgpu' && !index.isDisposed) {
    const v = hostValues(index);
    for (let i = 0; i < v.length; i++) {
      if (!Number.isInteger(v[i])) {
        throw new Error(`${op}: ${name} must hold integers, got ${v[i]} in a ${index.dtype} tensor of shape ${fmtShape(index.shape)} (make indices with an Int32Array, { dtype: 'int32' } or .cast('int32'))`);
      }
    }
  }
  return cast(index, 'int32');
}

/**
 * out[i][j][k] = x[index[i][j][k]][j][k] for dim = 0 (and likewise for other dims).
 * index has x's rank and no dimension larger than x's, except along `dim`.
 */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  return withIndex('gather', index, (idx) => gatherTraced(x, dim, idx));
}

/** Runs `fn` with the int32 form of `index`, freeing a converted copy afterwards. */
function withIndex(op: string, index: Tensor, fn: (idx: Tensor) => Tensor): Tensor {
  if (index instanceof Tensor && index.isDisposed) return fn(index); // checkInputs says so, naming the op
  const idx = asIndex(op, index);
  try {
    return fn(idx);
  } finally {
    if (idx !== index) idx.dispose();
  }
}

function gatherTraced(x: Tensor, dim: number, index: Tensor): Tensor {
  // Each read x[j] passes its gradient back to x[j]; repeated reads add up (a scatter-add).
  const shape = x.shape;
  return trace('gather', [x, index], () => gatherImpl(x, dim, index), (g, [idx]) => [scatterAdd(zeros(shape, { dtype: g.dtype, device: g.device }), dim, idx!, g)], () => [index]);
}

function gatherImpl(x: Tensor, dim: number, index: Tensor): Tensor {
  const device = checkInputs('gather', x, index);
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

/** Selects entries of x along `dim` by a 1-D index (int32, or integer-valued floats: see asIndex; repeats allowed). */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  return withIndex('indexSelect', index, (idx) => indexSelectTraced(x, dim, idx));
}

function indexSelectTraced(x: Tensor, dim: number, index: Tensor): Tensor {
  const shape = x.shape;
  return trace('indexSelect', [x, index], () => indexSelectImpl(x, dim, index), (g, [idx]) => {
    const d = normAxis('indexSelect', dim, Math.max(shape.length, 1));
    const lined = reshape(idx!, shape.map((_, i) => (i === d ? idx!.size : 1)));
    return [scatterAdd(zeros(shape, { dtype: g.dtype, device: g.device }), d, expand(lined, g.shape), g)];
  }, () => [index]);
}

function indexSelectImpl(x: Tensor, dim: number, index: Tensor): Tensor {
  const device = checkInputs('indexSelect', x, index);
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
  // Each input's gradient is its slab of g.
  const lens = tensors.map((t) => (t instanceof Tensor ? t.shape : []));
  return trace('cat', tensors, () => catImpl(tensors, dim), (g) => {
    const d = normAxis('cat', dim, g.ndim);
    let at = 0;
    return lens.map((s) => {
      const len = s[d] ?? 0;
      const part = narrow(g, d, at, len);
      at += len;
      return part;
    });
  });
}

function catImpl(tensors: readonly Tensor[], dim = 0): Tensor {
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
  // Each input's gradient is its slice of g along the new dim.
  const count = tensors.length; // the rule keeps the count, not the inputs (see views.ts)
  return trace('stack', tensors, () => stackImpl(tensors, dim), (g) => {
    const d = normAxis('stack', dim, g.ndim);
    return Array.from({ length: count }, (_, i) => select(g, d, i));
  });
}

function stackImpl(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new Error('stack: expected a non-empty array of tensors');
  checkInputs('stack', ...tensors);
  const first = tensors[0]!;
  for (const t of tensors) {
    if (t.ndim !== first.ndim || t.shape.some((s: number, i: number) => s !== first.shape[i])) {
      throw new Error(`stack: all tensors must have the same shape, got ${tensors.map(describe).join(', ')}`);
    }
  }
  if (typeof dim !== 'number') throw new Error(`stack: dim must be an integer, got ${typeof dim === 'string' ? `'${dim}'` : String(dim)}`);
  if (!Number.isInteger(dim) || dim < -(first.ndim + 1) || dim > first.ndim) {
    throw new Error(`stack: dim ${dim} is out of range for tensors of shape ${fmtShape(first.shape)} (rank ${first.ndim}; expected ${-(first.ndim + 1)} to ${first.ndim})`);
  }
  const d = normAxis('stack', dim, first.ndim + 1);
  const parts = tensors.map((t) => unsqueeze(t, d));
  const out = cat(parts, d);
  for (const p of parts) p.dispose();
  return out;
}

/**
 * x with src added at the positions index names along `dim` (out-of-place torch.scatter_add):
 * out[i with coordinate dim replaced by index[i]] += src[i] for every i over index's shape.
 * index has x's rank, no dim larger than src's, and none larger than x's except along dim.
 * Repeated indices add up. Gradient: g to x, gather(g, dim, index) to src.
 */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  return withIndex('scatterAdd', index, (idx) => scatterAddTraced(x, dim, idx, src));
}

function scatterAddTraced(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  return trace('scatterAdd', [x, index, src], () => scatterAddImpl(x, dim, index, src), (g, [idx], n) => [g, null, n[2] ? gather(g, dim, idx!) : null], () => [index]);
}

function scatterAddImpl(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  const device = checkInputs('scatterAdd', x, index, src);
  const d = normAxis('scatterAdd', dim, Math.max(x.ndim, 1));
  if (index.ndim !== x.ndim || src.ndim !== x.ndim) {
    throw new Error(`scatterAdd: input, index and src must have the same rank, got ${describe(x)}, index ${fmtShape(index.shape)} and src ${fmtShape(src.shape)}`);
  }
  index.shape.forEach((s, i) => {
    if (s > src.shape[i]! || (i !== d && s > x.shape[i]!)) {
      throw new Error(
        `scatterAdd: index shape ${fmtShape(index.shape)} must not exceed src ${fmtShape(src.shape)} in any dim, nor input ${fmtShape(x.shape)} except in dim ${d}`,
      );
    }
  });
  if (x.dtype === 'bool') throw new Error('scatterAdd: bool tensors cannot be summed (cast to int32 or float32 first)');
  const out = clone(x);
  const s = src.dtype === x.dtype ? src : src.cast(x.dtype);
  try {
    getBackend(device).scatterAdd(s, d, index, out);
  } catch (e) {
    out.dispose();
    throw e;
  } finally {
    if (s !== src) s.dispose();
  }
  return out;
}
