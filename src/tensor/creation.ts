/** Creating tensors: from data, constants, ranges and random draws (seedable, same on every backend). */
import type { DeviceName } from '../kernels/backend.js';
import { getBackend, getDefaultDevice, isDeviceName } from '../runtime.js';
import { allocArray, dtypeOfArray, isDType, toArray, type DType, type TypedArray } from './dtype.js';
import { countersFor, defaultGenerator } from './random.js';
import { fmtShape, numel } from './shape.js';
import { Tensor } from './tensor.js';
import { empty } from './ops/core.js';
import { uploadFrom } from './ops/transfer.js';

export interface TensorOptions {
  dtype?: DType;
  device?: DeviceName;
  /** Make a leaf that records gradients (floating-point dtypes only). */
  requiresGrad?: boolean;
}

/** Applies the `requiresGrad` option (the setter checks the dtype, naming the op on failure). */
function leaf(op: string, t: Tensor, o: TensorOptions | undefined): Tensor {
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

function opts(op: string, o: TensorOptions | undefined, dflt: DType): { dtype: DType; device: DeviceName } {
  const dtype = o?.dtype ?? dflt;
  if (!isDType(dtype)) throw new Error(`${op}: unknown dtype '${String(dtype)}' (expected float32, int32, float64 or bool)`);
  const device = o?.device ?? getDefaultDevice();
  if (!isDeviceName(device)) throw new Error(`${op}: unknown device '${String(device)}' (expected 'cpu' or 'webgpu')`);
  getBackend(device); // throws a clear error for an uninitialised device
  return { dtype, device };
}

function shapeOf(op: string, s: number | readonly number[]): number[] {
  const shape = typeof s === 'number' ? [s] : [...s];
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${op}: invalid shape ${fmtShape(shape)} (dimensions must be integers >= 0)`);
  }
  return shape;
}

/** Walks nested arrays: their shape (checked to be rectangular) and flat values. */
function flatten(op: string, data: Nested): { shape: number[]; values: (number | boolean)[] | TypedArray } {
  if (ArrayBuffer.isView(data)) return { shape: [data.length], values: data as TypedArray };
  if (typeof data === 'number' || typeof data === 'boolean') return { shape: [], values: [data] };
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
        throw new Error(`${op}: expected a number or boolean at [${path.join('][')}], got ${Array.isArray(x) ? 'an array (ragged nesting)' : typeof x}`);
      }
      values.push(x);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[d]) {
      throw new Error(
        `${op}: ragged nested array: expected length ${shape[d]} at [${path.join('][')}] (shape ${fmtShape(shape)}), got ${Array.isArray(x) ? x.length : typeof x}`,
      );
    }
    x.forEach((v, i) => walk(v, d + 1, [...path, i]));
  };
  walk(data, 0, []);
  return { shape, values };
}

/**
 * A tensor from nested arrays, a TypedArray or a scalar. The dtype defaults to the data's:
 * a Float32Array/Int32Array/Float64Array/Uint8Array(bool) keeps its type; JS numbers give int32
 * when all are integers (as in PyTorch) and float32 otherwise; booleans give bool.
 */
export function tensor(data: Nested, options?: TensorOptions & { shape?: readonly number[] }): Tensor {
  const { shape: inferred, values } = flatten('tensor', data);
  let dflt: DType;
  if (ArrayBuffer.isView(values)) dflt = dtypeOfArray(values) ?? 'float32';
  else if (values.length > 0 && values.every((v) => typeof v === 'boolean')) dflt = 'bool';
  else {
    // Integers beyond int32 would wrap: such data is float32 (use dtype to override).
    const int32 = (v: number | boolean) => Number.isInteger(v) && (v as number) >= -2147483648 && (v as number) <= 2147483647;
    dflt = values.length > 0 && values.every(int32) ? 'int32' : 'float32';
  }
  const { dtype, device } = opts('tensor', options, dflt);
  const shape = options?.shape ? shapeOf('tensor', options.shape) : inferred;
  if (numel(shape) !== values.length) {
    throw new Error(`tensor: shape ${fmtShape(shape)} needs ${numel(shape)} values, got ${values.length}`);
  }
  const arr = ArrayBuffer.isView(values) && dtypeOfArray(values) === dtype ? values : toArray(dtype, values as ArrayLike<number>);
  return leaf('tensor', uploadFrom(arr, { dtype, shape }, device), options);
}

/** @internal A 0-d tensor holding one value. */
export function scalarTensor(value: number | boolean, dtype: DType, device: DeviceName): Tensor {
  const a = allocArray(dtype, 1);
  a[0] = Number(value);
  return uploadFrom(a, { dtype, shape: [] }, device);
}

/** A tensor of `shape` filled with `value` (dtype from the value: bool, int32 for integers, else float32). */
export function full(shape: number | readonly number[], value: number | boolean, options?: TensorOptions): Tensor {
  const dflt: DType = typeof value === 'boolean' ? 'bool' : Number.isInteger(value) ? 'int32' : 'float32';
  const { dtype, device } = opts('full', options, dflt);
  const out = empty('full', device, dtype, shapeOf('full', shape));
  // A bool tensor holds 0 or 1: any nonzero value (0.5, 2, NaN) is true, as in PyTorch.
  getBackend(device).fill(out, dtype === 'bool' ? +(Number(value) !== 0) : Number(value));
  return leaf('full', out, options);
}

export function zeros(shape: number | readonly number[], options?: TensorOptions): Tensor {
  return full(shape, 0, { ...options, dtype: options?.dtype ?? 'float32' });
}

export function ones(shape: number | readonly number[], options?: TensorOptions): Tensor {
  return full(shape, 1, { ...options, dtype: options?.dtype ?? 'float32' });
}

const likeOpts = (t: Tensor, o?: TensorOptions): TensorOptions => ({ dtype: t.dtype, device: t.device, ...o });
export const zerosLike = (t: Tensor, o?: TensorOptions) => zeros(t.shape, likeOpts(t, o));
export const onesLike = (t: Tensor, o?: TensorOptions) => ones(t.shape, likeOpts(t, o));
export const fullLike = (t: Tensor, value: number | boolean, o?: TensorOptions) => full(t.shape, value, likeOpts(t, o));

/**
 * Values from `start` (inclusive) to `end` (exclusive) by `step`; `arange(n)` is 0..n-1.
 * int32 when all arguments are integers, else float32 (as in PyTorch).
 */
export function arange(start: number, end?: number, step = 1, options?: TensorOptions): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (![start, end, step].every(Number.isFinite)) throw new Error(`arange: start, end and step must be finite, got ${start}, ${end}, ${step}`);
  if (step === 0) throw new Error('arange: step must be nonzero');
  if ((end - start) / step < 0) {
    throw new Error(`arange: step ${step} goes away from end (start ${start}, end ${end})`);
  }
  const dflt: DType = [start, end, step].every(Number.isInteger) ? 'int32' : 'float32';
  const { dtype, device } = opts('arange', options, dflt);
  const n = Math.max(0, Math.ceil((end - start) / step));
  const out = empty('arange', device, dtype, [n]);
  getBackend(device).arange(out, start, step);
  return leaf('arange', out, options);
}

/** `steps` evenly spaced values from start to end, both included. */
export function linspace(start: number, end: number, steps: number, options?: TensorOptions): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`linspace: steps must be an integer >= 0, got ${steps}`);
  const { dtype, device } = opts('linspace', options, 'float32');
  const out = empty('linspace', device, dtype, [steps]);
  getBackend(device).arange(out, start, steps > 1 ? (end - start) / (steps - 1) : 0);
  return leaf('linspace', out, options);
}

/** Identity matrix (n x m, m defaults to n). */
export function eye(n: number, m = n, options?: TensorOptions): Tensor {
  const out = zeros([n, m], { ...options, requiresGrad: false });
  const diag = new Tensor(out.storage, [Math.min(n, m)], [m + 1], 0);
  getBackend(out.device).fill(diag, 1);
  diag.dispose();
  return leaf('eye', out, options);
}

function randomTensor(op: string, shape: number | readonly number[], options: TensorOptions | undefined, dflt: DType,
  dist: Parameters<ReturnType<typeof getBackend>['random']>[1]): Tensor {
  const { dtype, device } = opts(op, options, dflt);
  const out = empty(op, device, dtype, shapeOf(op, shape));
  const counter = defaultGenerator.take(countersFor(dist.kind, out.size));
  getBackend(device).random(out, dist, defaultGenerator.seed, counter);
  return leaf(op, out, options);
}

/** Uniform on [low, high) (default [0, 1)). */
export function rand(shape: number | readonly number[], options?: TensorOptions & { low?: number; high?: number }): Tensor {
  return randomTensor('rand', shape, options, 'float32', { kind: 'uniform', low: options?.low ?? 0, high: options?.high ?? 1 });
}

/** Normal with the given mean and std (default 0 and 1). */
export function randn(shape: number | readonly number[], options?: TensorOptions & { mean?: number; std?: number }): Tensor {
  return randomTensor('randn', shape, options, 'float32', { kind: 'normal', mean: options?.mean ?? 0, std: options?.std ?? 1 });
}

/** Integers uniform on [low, high). */
export function randint(low: number, high: number, shape: number | readonly number[], options?: TensorOptions): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low || high - low > 2 ** 32) {
    throw new Error(`randint: need integers low < high (range at most 2^32), got low=${low}, high=${high}`);
  }
  return randomTensor('randint', shape, options, 'int32', { kind: 'int', low, high });
}
