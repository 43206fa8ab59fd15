/**
 * The argument handling every layer shares (src/layers/layers.ts, recurrent.ts): PyTorch's
 * positional arguments then an options object, placement (device, dtype), parameters.
 * Internal: src/nn/index.ts does not re-export this file.
 */
import type { DeviceName } from '../kernels/backend.js';
import type { DType } from '../core/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty } from '../tensor/ops/core.js';
import { getDefaultDevice } from '../runtime.js';
import { checkBoolean, checkChoice, checkNumber, checkOptions } from '../core/options.js';
import type { Module } from './module.js';
import { DEVICE_NAMES } from '../core/device.js';

/** Where a layer's parameters live and their dtype (default: the default device, float32). */
export interface LayerOptions {
  device?: DeviceName;
  dtype?: DType;
}
export const PLACEMENT = ['device', 'dtype'] as const;

/**
 * The argument lists a layer takes after its required arguments: any prefix of PyTorch's
 * positional arguments `P`, then optionally the options object `O`.
 */
export type WithOptions<P extends unknown[], O> = P extends [...infer Init, unknown] ? [...P, O?] | WithOptions<Init, O> : [O?];

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * PyTorch-style arguments: `args` (what follows the required arguments) are positional
 * settings named by `positional`, in order, then an optional options object whose keys must be
 * in `accepted`. Returns the settings by name; a setting given both ways is an error.
 */
export function layerArgs(op: string, required: readonly string[], args: readonly unknown[], positional: readonly string[], accepted: readonly string[]): Record<string, unknown> {
  const rest = [...args];
  while (rest.length > 0 && rest[rest.length - 1] === undefined) rest.pop();
  const last = rest[rest.length - 1];
  let out: Record<string, unknown> = {};
  if (rest.length > 0 && isPlainObject(last)) {
    out = { ...checkOptions(op, last, accepted) };
    rest.pop();
  } else if (rest.length > positional.length && typeof last === 'object' && last !== null && !Array.isArray(last)) {
    checkOptions(op, last, accepted); // names what it got instead of an options object
  }
  const misplaced = rest.findIndex(isPlainObject);
  if (misplaced >= 0) throw new Error(`${op}: the options object must be the last argument, got one as argument ${required.length + misplaced + 1}`);
  if (rest.length > positional.length) {
    const takes = [...required, ...positional].join(', ');
    throw new Error(`${op}: too many positional arguments: it takes (${takes}${takes ? ', ' : ''}options), got ${required.length + rest.length} positional arguments`);
  }
  rest.forEach((v, i) => {
    const name = positional[i]!;
    if (v === undefined) return;
    if (out[name] !== undefined) throw new Error(`${op}: ${name} is given twice, as argument ${required.length + i + 1} and as an option`);
    out[name] = v;
  });
  return out;
}

export const posInt = (op: string, name: string, v: unknown): number => checkNumber(op, name, v, { int: true, min: 1 });

export function placement(op: string, o: Record<string, unknown>): LayerOptions {
  const out: LayerOptions = {};
  if (o.device !== undefined) out.device = checkChoice(op, 'device', o.device, DEVICE_NAMES);
  if (o.dtype !== undefined) out.dtype = checkChoice(op, 'dtype', o.dtype, ['float32', 'float16', 'float64'] as const);
  return out;
}

export const bool = (op: string, name: string, v: unknown, dflt: boolean): boolean => (v === undefined ? dflt : checkBoolean(op, name, v));

export function param(m: Module, name: string, shape: number[], o: LayerOptions): Tensor {
  const t = empty(`${m.constructor.name}`, o.device ?? getDefaultDevice(), o.dtype ?? 'float32', shape);
  return m.registerParameter(name, t)!;
}

