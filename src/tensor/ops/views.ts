/**
 * View ops: new shape/strides/offset over the same storage, no copy. `reshape` and `flatten`
 * copy only when the strides cannot express the new shape (like PyTorch); `view` never does.
 */
import { getBackend } from '../../runtime.js';
import { fmtShape, normAxes, normAxis, numel, shapeEq } from '../../core/shape.js';
import { Tensor, type SliceSpec } from '../tensor.js';
import { checkInputs, empty } from './core.js';
import { trace } from '../../autograd/node.js';
import { zeros } from '../creation.js';
import { describe as describeValue } from '../../core/options.js';

/** Accepts `f(2, 3)` and `f([2, 3])` alike. */
export function shapeArg(args: (number | readonly number[])[], op = 'reshape'): number[] {
  const dims = args.length === 1 && Array.isArray(args[0]) ? [...(args[0] as readonly unknown[])] : (args as unknown[]);
  const bad = dims.find((d) => typeof d !== 'number');
  if (bad !== undefined) throw new Error(`${op}: expected dimensions as numbers (${op}(2, 3) or ${op}([2, 3])), got ${describeValue(bad)}`);
  return dims as number[];
}

function makeView(x: Tensor, shape: readonly number[], strides: readonly number[], offset: number): Tensor {
  return new Tensor(x.storage, shape, strides, offset);
}

/** Resolves one -1 and checks the element count. */
function inferShape(op: string, x: Tensor, shape: readonly number[]): number[] {
  const out = [...shape];
  const neg = out.flatMap((d, i) => (d === -1 ? [i] : []));
  if (neg.length > 1) throw new Error(`${op}: only one dimension can be -1, got ${fmtShape(shape)}`);
  for (const d of out) {
    if (!Number.isInteger(d) || d < -1) throw new Error(`${op}: invalid shape ${fmtShape(shape)} (dimensions must be integers >= 0, or one -1)`);
  }
  const known = out.reduce((a, d) => (d === -1 ? a : a * d), 1);
  if (neg.length === 1) {
    if (known === 0 || x.size % known !== 0) {
      throw new Error(`${op}: cannot reshape tensor of shape ${fmtShape(x.shape)} (${x.size} elements) into ${fmtShape(shape)}`);
    }
    out[neg[0]!] = x.size / known;
  }
  if (numel(out) !== x.size) {
    throw new Error(`${op}: cannot reshape tensor of shape ${fmtShape(x.shape)} (${x.size} elements) into ${fmtShape(shape)} (${numel(out)} elements)`);
  }
  return out;
}

/**
 * Strides that express `shape` over x's memory without a copy, or null. Each run of old dims
 * that is contiguous in memory can be split and merged freely (PyTorch's computeStride).
 */
function viewStrides(oldShape: readonly number[], oldStrides: readonly number[], shape: readonly number[]): number[] | null {
  if (numel(oldShape) === 0 || oldShape.length === 0) {
    const s = new Array<number>(shape.length);
    let acc = 1;
    for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= Math.max(shape[i]!, 1); }
    return s;
  }
  const out = new Array<number>(shape.length).fill(0);
  let viewD = shape.length - 1;
  let chunkBase = oldStrides[oldStrides.length - 1]!;
  let tensorElems = 1;
  let viewElems = 1;
  for (let d = oldShape.length - 1; d >= 0; d--) {
    tensorElems *= oldShape[d]!;
    if (d === 0 || (oldShape[d - 1] !== 1 && oldStrides[d - 1] !== tensorElems * chunkBase)) {
      while (viewD >= 0 && (viewElems < tensorElems || shape[viewD] === 1)) {
        out[viewD] = viewElems * chunkBase;
        viewElems *= shape[viewD]!;
        viewD--;
      }
      if (viewElems !== tensorElems) return null;
      if (d > 0) {
        chunkBase = oldStrides[d - 1]!;
        tensorElems = 1;
        viewElems = 1;
      }
    }
  }
  if (viewD !== -1) return null;
  return out;
}

function viewImpl(x: Tensor, shape: readonly number[]): Tensor {
  checkInputs('view', x);
  const s = inferShape('view', x, shape);
  const strides = viewStrides(x.shape, x.strides, s);
  if (!strides) {
    throw new Error(
      `view: a tensor of shape ${fmtShape(x.shape)} with strides ${fmtShape(x.strides)} cannot be viewed as ${fmtShape(s)} without a copy; use reshape()`,
    );
  }
  return makeView(x, s, strides, x.offset);
}

function reshapeImpl(x: Tensor, shape: readonly number[]): Tensor {
  checkInputs('reshape', x);
  const s = inferShape('reshape', x, shape);
  const strides = viewStrides(x.shape, x.strides, s);
  if (strides) return makeView(x, s, strides, x.offset);
  const c = contiguous(x);
  const r = makeView(c, s, viewStrides(c.shape, c.strides, s)!, c.offset);
  c.dispose();
  return r;
}

function permuteImpl(x: Tensor, dims: readonly number[]): Tensor {
  checkInputs('permute', x);
  if (dims.length !== x.ndim) {
    throw new Error(`permute: got ${dims.length} dims ${fmtShape(dims)} for a tensor of rank ${x.ndim} (shape ${fmtShape(x.shape)})`);
  }
  const d = dims.map((a) => normAxis('permute', a, x.ndim));
  if (new Set(d).size !== d.length) throw new Error(`permute: dims ${fmtShape(dims)} repeat an axis`);
  return makeView(x, d.map((i) => x.shape[i]!), d.map((i) => x.strides[i]!), x.offset);
}

function transposeImpl(x: Tensor, dim0: number, dim1: number): Tensor {
  checkInputs('transpose', x);
  if (x.ndim < 2 && dim0 === 0 && dim1 === 1) return makeView(x, x.shape, x.strides, x.offset);
  const a = normAxis('transpose', dim0, x.ndim);
  const b = normAxis('transpose', dim1, x.ndim);
  const order = x.shape.map((_, i) => i);
  order[a] = b;
  order[b] = a;
  return permute(x, order);
}

function expandImpl(x: Tensor, shape: readonly number[]): Tensor {
  checkInputs('expand', x);
  if (shape.length < x.ndim) {
    throw new Error(`expand: the target shape ${fmtShape(shape)} has fewer dims than the tensor's ${fmtShape(x.shape)}`);
  }
  const lead = shape.length - x.ndim;
  const outShape: number[] = [];
  const strides: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    const want = shape[i]!;
    if (i < lead) {
      if (want < 0) throw new Error(`expand: -1 is not allowed for the new leading dimension ${i} (target ${fmtShape(shape)})`);
      outShape.push(want);
      strides.push(0);
      continue;
    }
    const have = x.shape[i - lead]!;
    const size = want === -1 ? have : want;
    if (have !== size && have !== 1) {
      throw new Error(
        `expand: cannot expand shape ${fmtShape(x.shape)} to ${fmtShape(shape)} (dimension ${i}: ${have} is neither ${size} nor 1)`,
      );
    }
    outShape.push(size);
    strides.push(have === size ? x.strides[i - lead]! : 0);
  }
  return makeView(x, outShape, strides, x.offset);
}

function squeezeImpl(x: Tensor, dim?: number | readonly number[]): Tensor {
  checkInputs('squeeze', x);
  const axes = dim === undefined ? x.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normAxes('squeeze', dim, x.ndim);
  // As in PyTorch, naming a dim whose size is not 1 leaves it in place.
  const drop = new Set(axes.filter((a) => x.shape[a] === 1));
  return makeView(
    x,
    x.shape.filter((_, i) => !drop.has(i)),
    x.strides.filter((_, i) => !drop.has(i)),
    x.offset,
  );
}

function unsqueezeImpl(x: Tensor, dim: number): Tensor {
  checkInputs('unsqueeze', x);
  if (typeof dim !== 'number') throw new Error(`unsqueeze: dim must be an integer, got ${describeValue(dim)}`);
  // The valid range is one wider than the rank; normAxis would call the rank x.ndim + 1.
  if (!Number.isInteger(dim) || dim < -(x.ndim + 1) || dim > x.ndim) {
    throw new Error(`unsqueeze: dim ${dim} is out of range for a tensor of shape ${fmtShape(x.shape)} (rank ${x.ndim}; expected ${-(x.ndim + 1)} to ${x.ndim})`);
  }
  const d = normAxis('unsqueeze', dim, x.ndim + 1);
  const shape = [...x.shape];
  const strides = [...x.strides];
  const s = d < x.ndim ? x.strides[d]! * x.shape[d]! : 1;
  shape.splice(d, 0, 1);
  strides.splice(d, 0, s);
  return makeView(x, shape, strides, x.offset);
}

/** Python slice bounds for one axis. */
function sliceBounds(op: string, axis: number, size: number, spec: readonly [(number | null)?, (number | null)?, number?]) {
  const step = spec[2] ?? 1;
  if (!Number.isInteger(step) || step <= 0) throw new Error(`${op}: step must be a positive integer, got ${step} on dim ${axis}`);
  const clampIdx = (v: number | null | undefined, dflt: number) => {
    if (v === null || v === undefined) return dflt;
    if (!Number.isInteger(v)) throw new Error(`${op}: slice bounds must be integers, got ${describeValue(v)} on dim ${axis}`);
    const w = v < 0 ? v + size : v;
    return Math.max(0, Math.min(size, w));
  };
  const start = clampIdx(spec[0], 0);
  const stop = clampIdx(spec[1], size);
  const len = Math.max(0, Math.ceil((stop - start) / step));
  return { start, step, len };
}

function sliceImpl(x: Tensor, specs: readonly SliceSpec[]): Tensor {
  checkInputs('slice', x);
  if (specs.length > x.ndim) {
    throw new Error(`slice: got ${specs.length} specs for a tensor of rank ${x.ndim} (shape ${fmtShape(x.shape)})`);
  }
  let offset = x.offset;
  const shape: number[] = [];
  const strides: number[] = [];
  for (let i = 0; i < x.ndim; i++) {
    const spec = specs[i];
    const size = x.shape[i]!;
    if (spec !== null && spec !== undefined && typeof spec !== 'number' && !Array.isArray(spec)) {
      throw new Error(`slice: each spec must be an index, [start, stop, step], or null for the whole dim; got ${describeValue(spec)} for dim ${i}`);
    }
    if (typeof spec === 'number') {
      if (!Number.isInteger(spec) || spec < -size || spec >= size) {
        throw new Error(`slice: index ${spec} is out of range for dim ${i} of size ${size}`);
      }
      offset += (spec < 0 ? spec + size : spec) * x.strides[i]!;
      continue;
    }
    const { start, step, len } = sliceBounds('slice', i, size, spec ?? []);
    offset += len > 0 ? start * x.strides[i]! : 0;
    shape.push(len);
    strides.push(x.strides[i]! * step);
  }
  return makeView(x, shape, strides, offset);
}

function narrowImpl(x: Tensor, dim: number, start: number, length: number): Tensor {
  checkInputs('narrow', x);
  const d = normAxis('narrow', dim, x.ndim);
  const size = x.shape[d]!;
  if (typeof start !== 'number' || typeof length !== 'number') {
    throw new Error(`narrow: start and length must be integers, got start ${describeValue(start)} and length ${describeValue(length)}`);
  }
  const s = start < 0 ? start + size : start;
  if (!Number.isInteger(s) || !Number.isInteger(length) || s < 0 || length < 0 || s + length > size) {
    throw new Error(`narrow: start ${start} and length ${length} do not fit dim ${d} of size ${size} (shape ${fmtShape(x.shape)})`);
  }
  const shape = [...x.shape];
  shape[d] = length;
  return makeView(x, shape, x.strides, x.offset + (length > 0 ? s * x.strides[d]! : 0));
}

function selectImpl(x: Tensor, dim: number, index: number): Tensor {
  checkInputs('select', x);
  if (x.ndim === 0) throw new Error('select: cannot select from a 0-d tensor (it has no dims)');
  const d = normAxis('select', dim, x.ndim);
  const size = x.shape[d]!;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < -size || index >= size) {
    throw new Error(`select: index ${typeof index === 'number' ? index : describeValue(index)} is out of range for dim ${d} of size ${size} (shape ${fmtShape(x.shape)}; expected an integer from ${-size} to ${size - 1})`);
  }
  const specs: SliceSpec[] = x.shape.map(() => null);
  specs[d] = index;
  return slice(x, specs);
}

function flattenImpl(x: Tensor, startDim: number, endDim: number): Tensor {
  checkInputs('flatten', x);
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normAxis('flatten', startDim, x.ndim);
  const e = normAxis('flatten', endDim, x.ndim);
  if (s > e) throw new Error(`flatten: startDim ${startDim} comes after endDim ${endDim} (rank ${x.ndim})`);
  const shape = [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

function cloneImpl(x: Tensor): Tensor {
  const device = checkInputs('clone', x);
  const out = empty('clone', device, x.dtype, x.shape);
  getBackend(device).copy(x, out);
  return out;
}

function contiguousImpl(x: Tensor): Tensor {
  checkInputs('contiguous', x);
  if (x.isContiguous()) return makeView(x, x.shape, x.strides, x.offset);
  return clone(x);
}

export { shapeEq };

// ---- recorded views ---------------------------------------------------------------------------
// A view's gradient is the output's gradient put back in the input's layout: reshaped,
// permuted back, summed over expanded dims (the engine does that for `expand`), or written
// into zeros at the place the slice took.

/**
 * The gradient of x for a view that reshapes it. Rules capture shapes, never the input tensor
 * itself: a node must not keep its inputs' buffers alive (only `save` does that, on purpose).
 */
const reshapeBack = (x: Tensor) => {
  const shape = x.shape;
  return (g: Tensor) => [g.reshape(shape)];
};

export function view(x: Tensor, shape: readonly number[]): Tensor {
  return trace('view', [x], () => viewImpl(x, shape), reshapeBack(x));
}
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  return trace('reshape', [x], () => reshapeImpl(x, shape), reshapeBack(x));
}
export function flatten(x: Tensor, startDim: number, endDim: number): Tensor {
  return trace('flatten', [x], () => flattenImpl(x, startDim, endDim), reshapeBack(x));
}
export function squeeze(x: Tensor, dim?: number | readonly number[]): Tensor {
  return trace('squeeze', [x], () => squeezeImpl(x, dim), reshapeBack(x));
}
export function unsqueeze(x: Tensor, dim: number): Tensor {
  return trace('unsqueeze', [x], () => unsqueezeImpl(x, dim), reshapeBack(x));
}
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  const rank = x.ndim;
  return trace('permute', [x], () => permuteImpl(x, dims), (g) => {
    // The inverse permutation puts each axis back where it came from.
    const inv = new Array<number>(dims.length);
    dims.forEach((d, i) => { inv[normAxis('permute', d, rank)] = i; });
    return [g.permute(inv)];
  });
}
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const rank = x.ndim;
  return trace('transpose', [x], () => transposeImpl(x, dim0, dim1), (g) => [rank < 2 ? g : g.transpose(dim0, dim1)]);
}
/** The engine sums a gradient of the expanded shape back over the expanded dims. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  return trace('expand', [x], () => expandImpl(x, shape), (g) => [g]);
}
export function clone(x: Tensor): Tensor {
  return trace('clone', [x], () => cloneImpl(x), (g) => [g]);
}
export function contiguous(x: Tensor): Tensor {
  return trace('contiguous', [x], () => contiguousImpl(x), (g) => [g]);
}

/**
 * The gradient of a slice-like view: zeros of the input's shape with `g` written where the
 * view took its elements. Recorded too (its own gradient is the same view of gg), so slices
 * have second derivatives.
 */
function scatterIntoView(g: Tensor, shape: readonly number[], take: (t: Tensor) => Tensor): Tensor {
  return trace('viewBackward', [g], () => {
    const z = zeros(shape, { dtype: g.dtype, device: g.device });
    const slot = take(z);
    getBackend(g.device).copy(g, slot);
    slot.dispose();
    return z;
  }, (gg) => [take(gg)]);
}

export function slice(x: Tensor, specs: readonly SliceSpec[]): Tensor {
  const shape = x.shape;
  return trace('slice', [x], () => sliceImpl(x, specs), (g) => [scatterIntoView(g, shape, (t) => slice(t, specs))]);
}
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const shape = x.shape;
  return trace('narrow', [x], () => narrowImpl(x, dim, start, length), (g) => [scatterIntoView(g, shape, (t) => narrow(t, dim, start, length))]);
}
export function select(x: Tensor, dim: number, index: number): Tensor {
  const shape = x.shape;
  return trace('select', [x], () => selectImpl(x, dim, index), (g) => [scatterIntoView(g, shape, (t) => select(t, dim, index))]);
}
