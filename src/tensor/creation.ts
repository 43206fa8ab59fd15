/** Creating tensors: from data, constants, ranges and random draws (seedable, same on every backend). */
import type { DeviceName } from '../kernels/backend.js';
import { getBackend, getDefaultDevice, isDeviceName } from '../runtime.js';
import { checkNumber, checkOptions, describe as describeValue } from '../core/options.js';
import { DTYPE_LIST, allocArray, dtypeOfArray, isDType, toArray, type DType, type TypedArray } from '../core/dtype.js';
import { countersFor, defaultGenerator } from '../core/random.js';
import { fmtShape, numel } from '../core/shape.js';
import { Tensor } from './tensor.js';
import { empty } from './ops/core.js';
import { uploadFrom } from './ops/transfer.js';

export interface TensorOptions {
  dtype?: DType;
  device?: DeviceName;
  /** Make a leaf that records gradients (floating-point dtypes only). */
  requiresGrad?: boolean;
}

const TENSOR_KEYS = ['dtype', 'device', 'requiresGrad'] as const;

/**
 * The arguments of a creation function that takes a shape, as PyTorch takes them: the
 * dimensions as separate numbers (`zeros(2, 3)`, `zeros(2, 3, { device })`) or one array
 * (`zeros([2, 3])`, `zeros([2, 3], { device })`).
 */
export type ShapeArgs<O> = [shape: number | readonly number[], options?: O] | number[] | [...dims: number[], options: O];

/** Applies the `requiresGrad` option (the setter checks the dtype, naming the op on failure). */
function leaf(op: string, t: Tensor, o: TensorOptions | undefined): Tensor {
  if (o?.requiresGrad !== undefined && typeof o.requiresGrad !== 'boolean') {
    t.dispose();
    throw new Error(`${op}: requiresGrad must be true or false, got ${describeValue(o.requiresGrad)}`);
  }
  if (o?.requiresGrad) {
    try {
      t.requiresGrad = true;
    } catch (e) {
      t.dispose();
      throw new Error(`${op}: ${(e as Error).message}`);
    }
  }
  return t;
}

type Nested = number | boolean | readonly Nested[] | TypedArray;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function opts(op: string, o: TensorOptions | undefined, dflt: DType, extra: readonly string[] = []): { dtype: DType; device: DeviceName } {
  checkOptions(op, o, [...TENSOR_KEYS, ...extra]);
  const dtype = o?.dtype ?? dflt;
  if (!isDType(dtype)) throw new Error(`${op}: unknown dtype ${describeValue(dtype)} (expected ${DTYPE_LIST})`);
  const device = o?.device ?? getDefaultDevice();
  if (!isDeviceName(device)) throw new Error(`${op}: unknown device ${describeValue(device)} (expected 'cpu', 'webgpu', 'wasm')`);
  getBackend(device); // throws a clear error for an uninitialised device
  return { dtype, device };
}

function shapeOf(op: string, s: unknown): number[] {
  if (typeof s !== 'number' && !Array.isArray(s)) {
    throw new Error(`${op}: shape must be a number or an array of numbers, got ${describeValue(s)}`);
  }
  const shape = typeof s === 'number' ? [s] : [...(s as unknown[])];
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new Error(`${op}: invalid shape ${Array.isArray(s) ? describeValue(s) : fmtShape(shape as number[])} (dimensions must be integers >= 0)`);
    }
  }
  return shape as number[];
}

/** Splits `ShapeArgs` into the shape and the options object. */
function shapeArgs<O>(op: string, args: readonly unknown[]): { shape: number[]; options: O | undefined } {
  let rest = args;
  let options: O | undefined;
  const last = rest[rest.length - 1];
  if (rest.length > 0 && (isPlainObject(last) || last === undefined)) {
    options = last as O | undefined;
    rest = rest.slice(0, -1);
  }
  if (rest.length === 0) throw new Error(`${op}: expected a shape (e.g. ${op}(2, 3) or ${op}([2, 3])), got no dimensions`);
  if (rest.length === 1) return { shape: shapeOf(op, rest[0]), options };
  const bad = rest.findIndex((d) => typeof d !== 'number');
  if (bad >= 0) {
    const hint = typeof rest[bad] === 'string' && isDType(rest[bad]) ? ` (pass the dtype as an option: { dtype: '${rest[bad] as string}' })` : '';
    throw new Error(`${op}: expected the dimensions as numbers, then an options object; argument ${bad + 1} is ${describeValue(rest[bad])}${hint}`);
  }
  return { shape: shapeOf(op, rest), options };
}

/** Walks nested arrays: their shape (checked to be rectangular) and flat values. */
function flatten(op: string, data: Nested): { shape: number[]; values: (number | boolean)[] | TypedArray } {
  if (ArrayBuffer.isView(data)) {
    if (!dtypeOfArray(data)) {
      throw new Error(`${op}: a ${data.constructor.name} is not supported (expected a Float32Array, Int32Array, Float64Array, Uint8Array, Int8Array or nested arrays)`);
    }
    return { shape: [data.length], values: data as TypedArray };
  }
  if (typeof data === 'number' || typeof data === 'boolean') return { shape: [], values: [data] };
  if (!Array.isArray(data)) {
    throw new Error(`${op}: expected nested arrays of numbers or booleans, a TypedArray or a scalar, got ${describeValue(data)}`);
  }
  const shape: number[] = [];
  let level: unknown = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  const values: (number | boolean)[] = [];
  const walk = (x: unknown, d: number, path: number[]) => {
    if (d === shape.length) {
      if (typeof x !== 'number' && typeof x !== 'boolean') {
        throw new Error(`${op}: expected a number or boolean at [${path.join('][')}], got ${Array.isArray(x) ? 'an array (ragged nesting)' : describeValue(x)}`);
      }
      values.push(x);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[d]) {
      throw new Error(
        `${op}: ragged nested array: expected length ${shape[d]} at [${path.join('][')}] (shape ${fmtShape(shape)}), got ${Array.isArray(x) ? x.length : describeValue(x)}`,
      );
    }
    x.forEach((v, i) => walk(v, d + 1, [...path, i]));
  };
  walk(data, 0, []);
  return { shape, values };
}

/**
 * A tensor from nested arrays, a TypedArray or a scalar. The dtype, unless given (as an option
 * or as the second argument, `tensor([1, 2], 'int32')`), is the data's:
 * - a Float32Array, Int32Array, Float64Array, Int8Array or Uint8Array (read as bool; give
 *   'uint8' to keep its bytes) keeps its type;
 * - JS numbers give float32, integer-valued or not: JavaScript has no `1.0` distinct from `1`,
 *   so `tensor([1, 2])` is float32 (as in TensorFlow.js; PyTorch would make int64). Indices come
 *   from an Int32Array or `{ dtype: 'int32' }`, or from `arange`/`randint`/`argmax`;
 * - booleans give bool.
 * int8 and uint8 (cpu only) refuse values outside their range, as PyTorch's `torch.tensor`
 * does ("cannot be converted without overflow"); `.to('int8')` on a tensor wraps instead.
 */
export function tensor(data: Nested, options?: DType | (TensorOptions & { shape?: readonly number[] })): Tensor {
  if (typeof options === 'string') {
    if (!isDType(options)) throw new Error(`tensor: unknown dtype ${describeValue(options)} (expected ${DTYPE_LIST})`);
    options = { dtype: options };
  }
  checkOptions('tensor', options, [...TENSOR_KEYS, 'shape']);
  const { shape: inferred, values } = flatten('tensor', data);
  let dflt: DType;
  if (ArrayBuffer.isView(values)) dflt = dtypeOfArray(values) ?? 'float32';
  else if (values.length > 0 && values.every((v) => typeof v === 'boolean')) dflt = 'bool';
  else dflt = 'float32';
  const { dtype, device } = opts('tensor', options, dflt, ['shape']);
  const shape = options?.shape ? shapeOf('tensor', options.shape) : inferred;
  if (numel(shape) !== values.length) {
    throw new Error(`tensor: shape ${fmtShape(shape)} needs ${numel(shape)} values, got ${values.length}`);
  }
  const same = ArrayBuffer.isView(values) && (dtypeOfArray(values) === dtype || (dtype === 'uint8' && values instanceof Uint8Array));
  if (!same && (dtype === 'int8' || dtype === 'uint8')) checkByteRange('tensor', dtype, values);
  const arr = same ? (values as TypedArray) : toArray(dtype, values as ArrayLike<number>);
  return leaf('tensor', uploadFrom(arr, { dtype, shape }, device), options);
}

/** Refuses values an int8/uint8 tensor cannot hold (after truncation toward zero), naming the first. */
function checkByteRange(op: string, dtype: 'int8' | 'uint8', values: ArrayLike<number | boolean>): void {
  const [lo, hi] = dtype === 'int8' ? [-128, 127] : [0, 255];
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    const t = Math.trunc(v);
    if (!(t >= lo && t <= hi)) {
      throw new Error(
        `${op}: the value ${v} (element ${i}) cannot be converted to ${dtype} without overflow (${dtype} holds integers in [${lo}, ${hi}]); ` +
          `to wrap around as a cast does, make the tensor first and use .to('${dtype}')`,
      );
    }
  }
}

/** @internal A 0-d tensor holding one value. */
export function scalarTensor(value: number | boolean, dtype: DType, device: DeviceName): Tensor {
  const a = allocArray(dtype, 1);
  a[0] = Number(value);
  return uploadFrom(a, { dtype, shape: [] }, device);
}

function fullIn(op: string, shape: number[], value: number | boolean, options: TensorOptions | undefined, dflt?: DType): Tensor {
  if (typeof value !== 'number' && typeof value !== 'boolean') {
    throw new Error(`${op}: the fill value must be a number or a boolean, got ${describeValue(value)}`);
  }
  const { dtype, device } = opts(op, options, dflt ?? (typeof value === 'boolean' ? 'bool' : 'float32'));
  if (dtype === 'int8' || dtype === 'uint8') checkByteRange(op, dtype, [value]);
  const out = empty(op, device, dtype, shape);
  // A bool tensor holds 0 or 1: any nonzero value (0.5, 2, NaN) is true, as in PyTorch.
  getBackend(device).fill(out, dtype === 'bool' ? +(Number(value) !== 0) : Number(value));
  return leaf(op, out, options);
}

/**
 * A tensor of `shape` filled with `value`: bool for a boolean, else float32 (a JS number is
 * float32, as in `tensor`), unless `dtype` says otherwise. The shape comes first, as one
 * number or one array (`full([2, 3], 7)`).
 */
export function full(shape: number | readonly number[], value: number | boolean, options?: TensorOptions): Tensor {
  return fullIn('full', shapeOf('full', shape), value, options);
}

/** Zeros (float32 unless `dtype`): `zeros(2, 3)`, `zeros([2, 3])`, `zeros(2, 3, { device })`. */
export function zeros(...args: ShapeArgs<TensorOptions>): Tensor {
  const { shape, options } = shapeArgs<TensorOptions>('zeros', args);
  return fullIn('zeros', shape, 0, options, 'float32');
}

/** Ones (float32 unless `dtype`): `ones(2, 3)`, `ones([2, 3])`, `ones(2, 3, { device })`. */
export function ones(...args: ShapeArgs<TensorOptions>): Tensor {
  const { shape, options } = shapeArgs<TensorOptions>('ones', args);
  return fullIn('ones', shape, 1, options, 'float32');
}

/** A tensor with unspecified contents (float32 unless `dtype`), shaped as for `zeros`. */
export function emptyTensor(...args: ShapeArgs<TensorOptions>): Tensor {
  const { shape, options } = shapeArgs<TensorOptions>('empty', args);
  const { dtype, device } = opts('empty', options, 'float32');
  return leaf('empty', empty('empty', device, dtype, shape), options);
}

function likeOpts(op: string, t: Tensor, o?: TensorOptions): TensorOptions {
  if (!(t instanceof Tensor)) throw new Error(`${op}: expected a Tensor, got ${describeValue(t)}`);
  checkOptions(op, o, TENSOR_KEYS);
  return { dtype: t.dtype, device: t.device, ...o };
}
export const zerosLike = (t: Tensor, o?: TensorOptions) => fullIn('zerosLike', [...t.shape], 0, likeOpts('zerosLike', t, o));
export const onesLike = (t: Tensor, o?: TensorOptions) => fullIn('onesLike', [...t.shape], 1, likeOpts('onesLike', t, o));
export const fullLike = (t: Tensor, value: number | boolean, o?: TensorOptions) => fullIn('fullLike', [...t.shape], value, likeOpts('fullLike', t, o));

/**
 * Values from `start` (inclusive) to `end` (exclusive) by `step`; `arange(n)` is 0..n-1.
 * int32 when all arguments are integers (ranges are mostly indices, as PyTorch's int64), else
 * float32. Options may follow any number of the arguments: `arange(5, { device })`.
 */
export function arange(start: number, end?: number | TensorOptions, step?: number | TensorOptions, options?: TensorOptions): Tensor {
  const op = 'arange';
  const args = [start, end, step, options];
  const at = args.findIndex((a) => isPlainObject(a));
  if (at >= 0) {
    if (args.slice(at + 1).some((a) => a !== undefined)) throw new Error(`${op}: the options object must be the last argument`);
    options = args[at] as TensorOptions;
    args.length = at;
  } else args.length = 3;
  let [s, e, st] = args as (number | undefined)[];
  if (e === undefined) [s, e] = [0, s];
  st ??= 1;
  for (const [name, v] of [['start', s], ['end', e], ['step', st]] as const) checkNumber(op, name, v);
  if (st === 0) throw new Error('arange: step must be nonzero, got 0');
  if ((e! - s!) / st < 0) {
    throw new Error(`arange: step ${st} goes away from end (start ${s}, end ${e})`);
  }
  const dflt: DType = [s, e, st].every(Number.isInteger) ? 'int32' : 'float32';
  const { dtype, device } = opts(op, options, dflt);
  const n = Math.max(0, Math.ceil((e! - s!) / st));
  const out = empty(op, device, dtype, [n]);
  getBackend(device).arange(out, s!, st);
  return leaf(op, out, options);
}

/** `steps` evenly spaced values from start to end, both included (float32 unless `dtype`). */
export function linspace(start: number, end: number, steps: number, options?: TensorOptions): Tensor {
  checkNumber('linspace', 'start', start);
  checkNumber('linspace', 'end', end);
  checkNumber('linspace', 'steps', steps, { int: true, min: 0 });
  const { dtype, device } = opts('linspace', options, 'float32');
  const out = empty('linspace', device, dtype, [steps]);
  getBackend(device).arange(out, start, steps > 1 ? (end - start) / (steps - 1) : 0);
  return leaf('linspace', out, options);
}

/** Identity matrix (n x m, m defaults to n; float32 unless `dtype`): `eye(3)`, `eye(2, 3)`, `eye(3, { device })`. */
export function eye(n: number, m?: number | TensorOptions, options?: TensorOptions): Tensor {
  if (isPlainObject(m)) {
    if (options !== undefined) throw new Error('eye: the options object must be the last argument');
    options = m as TensorOptions;
    m = undefined;
  }
  checkNumber('eye', 'n', n, { int: true, min: 0 });
  const cols = m === undefined ? n : checkNumber('eye', 'm', m, { int: true, min: 0 });
  const out = fullIn('eye', [n, cols], 0, { ...options, requiresGrad: undefined }, 'float32');
  const diag = new Tensor(out.storage, [Math.min(n, cols)], [cols + 1], 0);
  getBackend(out.device).fill(diag, 1);
  diag.dispose();
  return leaf('eye', out, options);
}

function randomTensor(op: string, shape: number[], options: TensorOptions | undefined, dflt: DType, extra: readonly string[],
  dist: Parameters<ReturnType<typeof getBackend>['random']>[1]): Tensor {
  const { dtype, device } = opts(op, options, dflt, extra);
  const out = empty(op, device, dtype, shape);
  const counter = defaultGenerator.take(countersFor(dist.kind, out.size));
  getBackend(device).random(out, dist, defaultGenerator.seed, counter);
  return leaf(op, out, options);
}

export interface RandOptions extends TensorOptions {
  /** Lower bound (inclusive, default 0). */
  low?: number;
  /** Upper bound (exclusive, default 1). */
  high?: number;
}
export interface RandnOptions extends TensorOptions {
  mean?: number;
  /** Standard deviation, >= 0 (default 1). */
  std?: number;
}

/** Uniform on [low, high) (default [0, 1)): `rand(2, 3)`, `rand([2, 3], { low: -1, high: 1 })`. */
export function rand(...args: ShapeArgs<RandOptions>): Tensor {
  const { shape, options } = shapeArgs<RandOptions>('rand', args);
  checkOptions('rand', options, [...TENSOR_KEYS, 'low', 'high']);
  const low = options?.low === undefined ? 0 : checkNumber('rand', 'low', options.low);
  const high = options?.high === undefined ? 1 : checkNumber('rand', 'high', options.high);
  if (!(low < high)) throw new Error(`rand: need low < high, got low=${low}, high=${high}`);
  return randomTensor('rand', shape, options, 'float32', ['low', 'high'], { kind: 'uniform', low, high });
}

/** Normal with the given mean and std (default 0 and 1): `randn(2, 3)`, `randn([2, 3], { std: 0.1 })`. */
export function randn(...args: ShapeArgs<RandnOptions>): Tensor {
  const { shape, options } = shapeArgs<RandnOptions>('randn', args);
  checkOptions('randn', options, [...TENSOR_KEYS, 'mean', 'std']);
  const mean = options?.mean === undefined ? 0 : checkNumber('randn', 'mean', options.mean);
  const std = options?.std === undefined ? 1 : checkNumber('randn', 'std', options.std, { min: 0 });
  return randomTensor('randn', shape, options, 'float32', ['mean', 'std'], { kind: 'normal', mean, std });
}

/**
 * Integers uniform on [low, high), int32 unless `dtype`: `randint(0, 10, [2, 3])`, or
 * `randint(10, [2, 3])` with low = 0, as PyTorch's `randint(low=0, high, size)`.
 */
export function randint(low: number, high: number | readonly number[], shape?: number | readonly number[] | TensorOptions, options?: TensorOptions): Tensor {
  if (Array.isArray(high)) {
    // randint(high, shape[, options])
    if (options !== undefined) throw new Error('randint: too many arguments for randint(high, shape, options)');
    options = shape as TensorOptions | undefined;
    shape = high as readonly number[];
    high = low;
    low = 0;
  }
  if (shape === undefined || isPlainObject(shape)) throw new Error('randint: expected randint(low, high, shape) or randint(high, shape), got no shape');
  checkNumber('randint', 'low', low, { int: true });
  checkNumber('randint', 'high', high, { int: true });
  if (!((high as number) > low) || (high as number) - low > 2 ** 32) {
    throw new Error(`randint: need integers low < high (range at most 2^32), got low=${low}, high=${high as number}`);
  }
  return randomTensor('randint', shapeOf('randint', shape), options, 'int32', [], { kind: 'int', low, high: high as number });
}
