/**
 * In-place ops: `add_`, `mul_`, `fill_`, `copy_`, `clamp_`, `exp_`... and writes through views
 * (`x.slice([0, 2]).copy_(y)` is PyTorch's `x[0:2] = y`).
 *
 * Each op computes its result out of place, into a fresh temporary, and one strided copy
 * (`Backend.copy`, which takes any destination view) writes it into the tensor's elements in
 * its storage. The temporary makes aliasing safe (`x.add_(x)`, `x.copy_(x.flip...)`): the copy
 * never reads what it writes, and on webgpu the copy never binds one buffer twice. Every write
 * bumps `storage.version`, which invalidates host copies cached by `data()` (of this tensor and
 * of every view of the storage) and makes autograd refuse a backward through values saved before.
 *
 * Autograd: in-place ops are not recorded. With grad mode on, the tensor written to must not
 * require grad (a leaf: PyTorch's rule; a non-leaf: webgrad does not rebase its history) and no
 * operand may require grad (no gradient would reach it). Inside `noGrad` everything is allowed:
 * that is how initialisation and manual SGD updates are written.
 */
import { getBackend } from '../../runtime.js';
import type { CoreUnaryOp } from '../../kernels/ops.js';
import { isGradEnabled, setGradEnabled } from '../../autograd/mode.js';
import { checkNumber, checkOptions } from '../../core/options.js';
import { isFloat, type DType } from '../../core/dtype.js';
import { broadcastShapes, fmtShape, shapeEq } from '../../core/shape.js';
import { Tensor, type TensorOrScalar } from '../tensor.js';
import { checkInputs } from './core.js';
import * as ew from './elementwise.js';
import { clone, expand } from './views.js';
import { hostValues } from './transfer.js';

export type InplaceBinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'pow';

/** Options of `add_` and `sub_`. */
export interface AlphaOptions {
  /** Multiplies `other` first: x.add_(y, { alpha: a }) is x += a * y (default 1). */
  alpha?: number;
}

/** bool < integer < floating point: a result may be written into a tensor of its category or a higher one. */
const CATEGORY: Record<DType, number> = { bool: 0, int32: 1, int8: 1, uint8: 1, float16: 2, float32: 2, float64: 2 };

function describeTensor(t: Tensor): string {
  return `${fmtShape(t.shape)} ${t.dtype}`;
}

/**
 * Whether two index tuples of the view can reach one element: the dims (size > 1) sorted by
 * stride must each step past everything the smaller ones span. Every view webgrad makes
 * (slice, select, narrow, transpose, permute, reshape) passes; expand() (stride 0) does not.
 */
function hasInternalOverlap(shape: readonly number[], strides: readonly number[]): boolean {
  if (shape.some((s) => s === 0)) return false;
  const dims = shape
    .map((s, i) => [s, Math.abs(strides[i]!)] as const)
    .filter(([s]) => s > 1)
    .sort((a, b) => a[1] - b[1]);
  let span = 0;
  for (const [size, stride] of dims) {
    if (stride <= span) return true;
    span += (size - 1) * stride;
  }
  return false;
}

/** What to write instead of an in-place op that has no out-of-place twin of the same name. */
const INSTEAD: Record<string, string> = {
  fill_: 'wg.full(x.shape, value)',
  zero_: 'wg.zerosLike(x)',
  copy_: 'the source itself (or src.clone())',
  maskedFill_: 'wg.where(mask, value, x)',
};
const insteadOf = (op: string): string => INSTEAD[op] ?? `the out-of-place ${op.slice(0, -1)}()`;

/** The checks every in-place op makes on the tensor it writes and its tensor operands. */
function checkTarget(op: string, self: Tensor, operands: readonly unknown[], sameDevice = true): void {
  const tensors = operands.filter((v): v is Tensor => v instanceof Tensor);
  if (sameDevice) checkInputs(op, self, ...tensors);
  else for (const t of [self, ...tensors]) checkInputs(op, t);
  if (hasInternalOverlap(self.shape, self.strides)) {
    throw new Error(
      `${op}: more than one element of the tensor written to (shape ${fmtShape(self.shape)}, strides [${self.strides.join(', ')}]) refers to one memory location ` +
        '(an expand() view); an in-place write would hit it several times: clone() the tensor first',
    );
  }
  if (!isGradEnabled()) return;
  if (self.requiresGrad && self.isLeaf) {
    throw new Error(
      `${op}: a leaf tensor that requires grad (${describeTensor(self)}) is being used in an in-place operation; ` +
        `change it inside noGrad(() => ...) (initialisation, a manual SGD step), or use ${insteadOf(op)}`,
    );
  }
  if (self.requiresGrad) {
    throw new Error(
      `${op}: the tensor (${describeTensor(self)}) requires grad (it was made by '${self.gradFn!.name}'), and autograd does not record in-place ops; ` +
        `use ${insteadOf(op)} (a new tensor, with its history), or change it inside noGrad(() => ...), where the change is a constant to autograd`,
    );
  }
  const needing = tensors.find((t) => t.requiresGrad);
  if (needing) {
    throw new Error(
      `${op}: an operand (${describeTensor(needing)}) requires grad, and autograd does not record in-place ops, so no gradient would reach it; ` +
        `use ${insteadOf(op)}, or pass operand.detach()`,
    );
  }
}

function checkOperand(op: string, v: unknown): void {
  if (v instanceof Tensor || typeof v === 'number' || typeof v === 'boolean') return;
  throw new Error(`${op}: expected a Tensor or a number, got ${v === null ? 'null' : typeof v}`);
}

/** Throws unless `shape` broadcasts to the written tensor's shape (an in-place op never grows it). */
function checkBroadcastsTo(op: string, self: Tensor, shape: readonly number[], what: string): void {
  const b = broadcastShapes(op, self.shape, shape);
  if (!shapeEq(b, self.shape)) {
    throw new Error(
      `${op}: ${what} of shape ${fmtShape(shape)} does not broadcast to the shape of the tensor written to, ${fmtShape(self.shape)} ` +
        `(the broadcast shape is ${fmtShape(b)}; an in-place op keeps its tensor's shape)`,
    );
  }
}

function checkCast(op: string, result: DType, self: Tensor, r?: Tensor): void {
  if (CATEGORY[result] <= CATEGORY[self.dtype]) return;
  r?.dispose();
  throw new Error(
    `${op}: the result type ${result} can't be cast to the dtype of the tensor written to, ${self.dtype} (an in-place op keeps its tensor's dtype); ` +
      `use ${insteadOf(op)}, or convert first (x = x.cast('${result}'))`,
  );
}

/** Runs `fn` with recording off (in-place ops are never recorded; checkTarget made sure no gradient is lost). */
function unrecorded<T>(fn: () => T): T {
  const prev = setGradEnabled(false);
  try {
    return fn();
  } finally {
    setGradEnabled(prev);
  }
}

/**
 * Writes `value` (same device; any dtype, converted as a cast does; a shape that broadcasts to
 * self's) into self's elements, and bumps the storage version.
 */
function commit(self: Tensor, value: Tensor): void {
  if (self.size === 0) {
    self.storage.version++;
    return;
  }
  let src = value;
  const temps: Tensor[] = [];
  if (src.storage === self.storage) {
    // The source shares the buffer: read it into a temporary before writing (x.copy_(x.T)).
    src = clone(src);
    temps.push(src);
  }
  if (!shapeEq(src.shape, self.shape)) {
    src = expand(src, self.shape);
    temps.push(src);
  }
  getBackend(self.device).copy(src, self);
  self.storage.version++;
  for (const t of temps) t.dispose();
}

/** x op= other (add_, sub_, mul_, div_, pow_). */
export function binaryInplace(op: InplaceBinaryOp, self: Tensor, other: TensorOrScalar, options?: AlphaOptions | Record<string, never>): Tensor {
  const name = `${op}_`;
  checkOperand(name, other);
  let alpha = 1;
  if (options !== undefined) {
    checkOptions(name, options, op === 'add' || op === 'sub' ? ['alpha'] : []);
    if ('alpha' in options && options.alpha !== undefined) alpha = checkNumber(name, 'alpha', options.alpha);
  }
  checkTarget(name, self, [other]);
  if (other instanceof Tensor) checkBroadcastsTo(name, self, other.shape, 'the other operand');
  if (alpha !== 1 && !isFloat(self.dtype) && !Number.isInteger(alpha)) {
    throw new Error(`${name}: for an integer or bool tensor, alpha must be an integer, got ${alpha}`);
  }
  return unrecorded(() => {
    const o = alpha === 1 ? other : other instanceof Tensor ? other.mul(alpha) : Number(other) * alpha;
    const r = ew.binary(op, self, o);
    if (o !== other && o instanceof Tensor) o.dispose();
    checkCast(name, r.dtype, self, r);
    commit(self, r);
    r.dispose();
    return self;
  });
}

/** x = f(x) for a unary op (neg_, exp_, relu_...). */
export function unaryInplace(op: CoreUnaryOp, self: Tensor): Tensor {
  const name = `${op}_`;
  checkTarget(name, self, []);
  return unrecorded(() => {
    const r = ew.unary(op, self);
    checkCast(name, r.dtype, self, r);
    commit(self, r);
    r.dispose();
    return self;
  });
}

/** x = clamp(x, min, max). */
export function clampInplace(self: Tensor, min?: TensorOrScalar | null, max?: TensorOrScalar | null): Tensor {
  const bounds = [min, max].filter((v) => v !== undefined && v !== null);
  if (bounds.length === 0) throw new Error(`clamp_: at least one of min and max must be given (tensor ${fmtShape(self.shape)})`);
  for (const b of bounds) checkOperand('clamp_', b);
  checkTarget('clamp_', self, bounds);
  for (const b of bounds) if (b instanceof Tensor) checkBroadcastsTo('clamp_', self, b.shape, 'a bound');
  if (typeof min === 'number' && typeof max === 'number' && min > max) throw new Error(`clamp_: min (${min}) must not exceed max (${max})`);
  return unrecorded(() => {
    const r = ew.clamp(self, min, max);
    checkCast('clamp_', r.dtype, self, r);
    commit(self, r);
    if (r !== self) r.dispose();
    return self;
  });
}

/**
 * The value a fill writes into an element of `dtype`, as PyTorch converts a scalar: floats
 * take it as is, int32/int8/uint8 truncate toward zero (refusing NaN, infinities and values out
 * of range), bool is value != 0.
 */
function fillValue(op: string, dtype: DType, value: number | boolean): number {
  const v = Number(value);
  if (dtype === 'bool') return v !== 0 ? 1 : 0; // NaN is true, as a cast makes it
  const range = INT_RANGE[dtype];
  if (!range) return v;
  const t = Math.trunc(v);
  if (!Number.isFinite(v) || t < range[0] || t > range[1]) {
    throw new Error(`${op}: the value ${v} cannot be converted to ${dtype} without overflow (${dtype} holds integers in [${range[0]}, ${range[1]}])`);
  }
  return t;
}

const INT_RANGE: Partial<Record<DType, [number, number]>> = { int32: [-2147483648, 2147483647], int8: [-128, 127], uint8: [0, 255] };

/** Sets every element to `value` (a number, a boolean, or a 0-d tensor). */
export function fillInplace(self: Tensor, value: number | boolean | Tensor, op = 'fill_'): Tensor {
  if (value instanceof Tensor) {
    if (value.ndim !== 0) throw new Error(`${op}: a tensor value must be 0-dimensional, got one of shape ${fmtShape(value.shape)}; use copy_() to write a tensor`);
    return copyInplace(self, value, op);
  }
  if (typeof value !== 'number' && typeof value !== 'boolean') {
    throw new Error(`${op}: expected a number, a boolean or a 0-d tensor, got ${value === null ? 'null' : typeof value}`);
  }
  checkTarget(op, self, []);
  const v = fillValue(op, self.dtype, value);
  if (self.size > 0) getBackend(self.device).fill(self, v);
  self.storage.version++;
  return self;
}

/**
 * Writes src's values into this tensor's elements: src broadcasts to its shape, is converted
 * to its dtype (as a cast does), and may be on another device where no read is needed
 * (cpu -> webgpu uploads; webgpu -> cpu is async: `x.copy_(await src.to('cpu'))`).
 */
export function copyInplace(self: Tensor, src: Tensor, op = 'copy_'): Tensor {
  if (!(src instanceof Tensor)) throw new Error(`${op}: expected a Tensor to copy from, got ${src === null ? 'null' : typeof src}${typeof src === 'number' ? ' (use fill_() for a number)' : ''}`);
  checkTarget(op, self, [src], false);
  checkBroadcastsTo(op, self, src.shape, 'the source');
  if (src.device === self.device) {
    unrecorded(() => commit(self, src));
    return self;
  }
  if (src.device !== 'cpu') {
    throw new Error(
      `${op}: cannot copy a ${src.device} tensor (${describeTensor(src)}) into a ${self.device} tensor synchronously (reading the GPU is async); ` +
        `copy from a host copy instead: x.copy_(await src.to('${self.device}'))`,
    );
  }
  // cpu -> another device: convert on the host (float64 lives on cpu only), then upload.
  unrecorded(() => {
    const host = src.dtype === self.dtype ? src : ew.cast(src, self.dtype);
    const values = hostValues(host);
    if (host !== src) host.dispose();
    const up = new Tensor(getBackend(self.device).upload(self.dtype, values), src.shape);
    commit(self, up);
    up.dispose();
  });
  return self;
}

/** Sets the elements where `mask` (bool, broadcast to this shape) is true to `value`. */
export function maskedFillInplace(self: Tensor, mask: Tensor, value: number | boolean): Tensor {
  const op = 'maskedFill_';
  if (!(mask instanceof Tensor)) throw new Error(`${op}: expected a bool Tensor as the mask, got ${mask === null ? 'null' : typeof mask}`);
  if (typeof value !== 'number' && typeof value !== 'boolean') {
    throw new Error(`${op}: expected a number or a boolean as the value, got ${value === null ? 'null' : typeof value}`);
  }
  checkTarget(op, self, [mask]);
  if (mask.dtype !== 'bool') throw new Error(`${op}: the mask must be a bool tensor (a comparison such as x.gt(0)), got ${describeTensor(mask)}`);
  checkBroadcastsTo(op, self, mask.shape, 'the mask');
  const v = fillValue(op, self.dtype, value);
  return unrecorded(() => {
    const r = ew.where(mask, self.dtype === 'bool' ? v !== 0 : v, self);
    checkCast(op, r.dtype, self, r);
    commit(self, r);
    r.dispose();
    return self;
  });
}
