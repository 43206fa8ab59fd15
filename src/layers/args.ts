/**
 * The argument handling the layers share (layers.ts, attention.ts): PyTorch-style positional
 * settings followed by an options object, and the placement options. Internal: not part of `nn`.
 */
import type { DeviceName } from '../kernels/backend.js';
import type { DType } from '../core/dtype.js';
import { checkBoolean, checkChoice, checkNumber, checkOptions } from '../core/options.js';

/** The placement options every layer with parameters takes. */
export const PLACEMENT = ['device', 'dtype'] as const;

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

export function placement(op: string, o: Record<string, unknown>): { device?: DeviceName; dtype?: DType } {
  const out: { device?: DeviceName; dtype?: DType } = {};
  if (o.device !== undefined) out.device = checkChoice(op, 'device', o.device, ['cpu', 'webgpu'] as const);
  if (o.dtype !== undefined) out.dtype = checkChoice(op, 'dtype', o.dtype, ['float32', 'float64'] as const);
  return out;
}

export const bool = (op: string, name: string, v: unknown, dflt: boolean): boolean => (v === undefined ? dflt : checkBoolean(op, name, v));
