/** Refused calls of the ops of issue 13 (round/floor/ceil/trunc; their behaviour is in tests/elementwise.test.ts). */
import * as wg from '../../src/index.js';
import type { DeviceName } from '../../src/index.js';
import type { BadCall } from './types.js';

const x23 = (device: DeviceName) => wg.zeros([2, 3], { device });
const any = <T>(f: T) => f as unknown as (...a: unknown[]) => unknown;

export const cases: BadCall[] = [
  { what: 'round with a misspelt decimals option', kind: 'unknown option', op: 'round', expect: ["unknown option 'decimal'", "did you mean 'decimals'?"], call: (device) => any(x23(device).round).call(x23(device), { decimal: 2 }) },
  { what: 'round with a fractional decimals', kind: 'out of range', op: 'round', expect: ['decimals must be an integer, got 1.5'], call: (device) => x23(device).round({ decimals: 1.5 }) },
  { what: 'round with decimals as a positional number', kind: 'wrong type', op: 'round', expect: ['options must be a plain object ({ decimals })', 'got 2'], call: (device) => any(x23(device).round).call(x23(device), 2) },
  { what: 'round of an int32 tensor to 1 decimal', kind: 'dtype', op: 'round', expect: ['decimals (1) needs a floating-point tensor, got int32'], call: (device) => wg.ones([2], { device, dtype: 'int32' }).round({ decimals: 1 }) },
  { what: 'floor with an argument', kind: 'wrong type', op: 'floor', expect: ['takes no arguments; got 1 more argument (1)'], call: (device) => any(x23(device).floor).call(x23(device), 1) },
  { what: 'ceil with an argument', kind: 'wrong type', op: 'ceil', expect: ["takes no arguments; got 1 more argument ('x')"], call: (device) => any(x23(device).ceil).call(x23(device), 'x') },
  { what: 'trunc with two arguments', kind: 'wrong type', op: 'trunc', expect: ['takes no arguments; got 2 more arguments (0, 1)'], call: (device) => any(x23(device).trunc).call(x23(device), 0, 1) },
  { what: 'floor_ on a leaf that requires grad', kind: 'state', op: 'floor_', expect: ['a leaf tensor that requires grad', 'out-of-place floor()'], call: (device) => wg.ones([2], { device, requiresGrad: true }).floor_() },
];
