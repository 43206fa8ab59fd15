/** Reading values back and moving tensors between devices. */
import type { DeviceName } from '../../kernels/backend.js';
import type { CpuBackend } from '../../kernels/cpu/index.js';
import { getBackend, isDeviceName } from '../../runtime.js';
import type { TypedArray } from '../../core/dtype.js';
import type { View } from '../../core/view.js';
import { fmtShape } from '../../core/shape.js';
import { Tensor } from '../tensor.js';
import { checkDType, checkInputs } from './core.js';
import { contiguous } from './views.js';
import { letFinalizersRun } from '../../core/collect.js';
import { withOp } from '../memory.js';

export async function data(x: Tensor): Promise<TypedArray> {
  const device = checkInputs('data', x);
  if (!x.cachedValues || x.cachedVersion !== x.storage.version) {
    const version = x.storage.version;
    x.cachedValues = await getBackend(device).read(x);
    x.cachedVersion = version;
  }
  const out = x.cachedValues.slice();
  await letFinalizersRun();
  return out;
}

/** Synchronously available values: cpu and wasm tensors (host memory), for printing. */
export function valuesIfHost(x: Tensor): TypedArray | undefined {
  if (x.isDisposed || !isHostDevice(x.device)) return undefined;
  return hostValues(x);
}

/** Whether a device keeps its tensors in host memory, readable without waiting (cpu, wasm). */
export function isHostDevice(device: string): boolean {
  return device === 'cpu' || device === 'wasm';
}

/**
 * A contiguous copy of a cpu (or wasm) view's elements, synchronously: the one place above the
 * kernels that knows the host backends read without waiting (data loading, printing, host uploads).
 * The cpu reader only indexes the view's typed array, which a wasm storage also is.
 */
export function hostValues(x: View): TypedArray {
  if (!isHostDevice(x.storage.backend.name)) throw new Error(`hostValues: a ${x.storage.backend.name} view has no synchronous values; await t.data()`);
  return (getBackend('cpu') as CpuBackend).readSync(x);
}

function nest(values: TypedArray, shape: readonly number[], bool: boolean): unknown {
  const conv = (v: number) => (bool ? v !== 0 : v);
  if (shape.length === 0) return conv(values[0]!);
  let i = 0;
  const build = (d: number): unknown[] => {
    const out: unknown[] = [];
    for (let k = 0; k < shape[d]!; k++) out.push(d === shape.length - 1 ? conv(values[i++]!) : build(d + 1));
    return out;
  };
  return build(0);
}

export async function toArray(x: Tensor): Promise<unknown> {
  return nest(await data(x), x.shape, x.dtype === 'bool');
}

export async function item(x: Tensor): Promise<number> {
  checkInputs('item', x);
  if (x.size !== 1) throw new Error(`item: only one-element tensors can be converted to a number, got shape ${fmtShape(x.shape)}`);
  return (await data(x))[0]!;
}

/**
 * This tensor on `device`. Uploads (cpu -> webgpu) are enqueued at once; downloads need the
 * GPU to finish, hence the Promise. The result is a new tensor (a view when already there).
 */
export async function to(x: Tensor, device: DeviceName): Promise<Tensor> {
  checkInputs('to', x);
  if (!isDeviceName(device)) throw new Error(`to: unknown device ${typeof device === 'string' ? `'${device}'` : String(device)} (expected 'cpu', 'webgpu', 'wasm')`);
  const target = getBackend(device);
  if (x.device === device) return contiguousOrView(x);
  checkDType('to', target, x.dtype);
  const values = await getBackend(x.device).read(x);
  const out = withOp('to', () => new Tensor(target.upload(x.dtype, values), x.shape));
  await letFinalizersRun();
  return out;
}

/** Synchronous upload from cpu (used by creation functions). */
export function uploadFrom(values: TypedArray, x: { dtype: Tensor['dtype']; shape: readonly number[] }, device: DeviceName): Tensor {
  const target = getBackend(device);
  checkDType('tensor', target, x.dtype);
  return withOp('tensor', () => new Tensor(target.upload(x.dtype, values), x.shape));
}

function contiguousOrView(x: Tensor): Tensor {
  return x.isContiguous() ? new Tensor(x.storage, x.shape, x.strides, x.offset) : contiguous(x);
}
