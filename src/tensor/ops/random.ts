/**
 * randperm: a random permutation drawn on the host from webgrad's generator (src/core/random.ts)
 * and uploaded, so that `manualSeed(s)` gives the same permutation on every device.
 */
import { defaultGenerator, randomBits } from '../../core/random.js';
import { checkChoice, checkNumber, checkOptions } from '../../core/options.js';
import type { DeviceName } from '../../kernels/backend.js';
import { tensor } from '../creation.js';
import type { Tensor } from '../tensor.js';
import { DEVICE_NAMES } from '../../core/device.js';

export interface RandpermOptions {
  /** int32 (default: PyTorch's int64 here), float32 or float64. */
  dtype?: 'int32' | 'float32' | 'float64';
  device?: DeviceName;
}

/**
 * torch.randperm: 0 .. n-1 in a random order (Fisher-Yates on the generator's counters: n of
 * them, consumed as any draw of n numbers is).
 */
export function randperm(n: number, options?: RandpermOptions, ...extra: never[]): Tensor {
  const op = 'randperm';
  if (extra.length > 0) throw new Error(`${op}: takes (n, options?); got ${extra.length} more argument${extra.length > 1 ? 's' : ''}`);
  checkNumber(op, 'n', n, { int: true, min: 0, max: 2 ** 31 - 1 });
  checkOptions(op, options, ['dtype', 'device']);
  const dtype = options?.dtype === undefined ? 'int32' : checkChoice(op, 'dtype', options.dtype, ['int32', 'float32', 'float64']);
  const device = options?.device === undefined ? undefined : checkChoice(op, 'device', options.device, DEVICE_NAMES);
  if (dtype === 'float32' && n > 2 ** 24) throw new Error(`${op}: n = ${n} is past 2^24, where float32 cannot hold every index; use int32 or float64`);
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const { seed } = defaultGenerator;
  const c = defaultGenerator.take(n);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor((randomBits(seed, c + i) / 2 ** 32) * (i + 1)));
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  return tensor(dtype === 'int32' ? perm : dtype === 'float32' ? Float32Array.from(perm) : Float64Array.from(perm), device === undefined ? { dtype } : { dtype, device });
}
