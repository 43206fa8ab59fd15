/** Refused calls of cumsum and of the log1p / expm1 in-place forms (tests/cumsum.test.ts has the behaviour). */
import * as wg from '../../src/index.js';
import type { DeviceName } from '../../src/index.js';
import type { BadCall } from './types.js';

const x23 = (device: DeviceName) => wg.zeros([2, 3], { device });
const any = <T>(f: T) => f as unknown as (...a: unknown[]) => unknown;

export const cases: BadCall[] = [
  { what: 'cumsum over dim 2 of a 2-D tensor', kind: 'out of range', op: 'cumsum', expect: ['dim 2 is out of range for a tensor of rank 2', 'expected -2 to 1'], call: (device) => x23(device).cumsum(2) },
  { what: 'cumsum over dim -3 of a 2-D tensor', kind: 'out of range', op: 'cumsum', expect: ['dim -3 is out of range', 'expected -2 to 1'], call: (device) => wg.cumsum(x23(device), -3) },
  { what: 'cumsum over dim 1 of a 0-d tensor', kind: 'out of range', op: 'cumsum', expect: ['dim 1 is out of range for a tensor of rank 0', 'expected -1 to 0'], call: (device) => wg.tensor(1, { device }).cumsum(1) },
  { what: 'cumsum with a fractional dim', kind: 'out of range', op: 'cumsum', expect: ['dim must be an integer, got 0.5'], call: (device) => x23(device).cumsum(0.5) },
  { what: 'cumsum with a string dim', kind: 'wrong type', op: 'cumsum', expect: ["dim must be an integer, got '1'"], call: (device) => any(x23(device).cumsum).call(x23(device), '1') },
  { what: 'cumsum without a dim', kind: 'wrong type', op: 'cumsum', expect: ['dim is required'], call: (device) => any(wg.cumsum)(x23(device)) },
  { what: 'cumsum with a dtype argument', kind: 'wrong type', op: 'cumsum', expect: ["takes (x, dim); got 1 more argument ('int32')"], call: (device) => any(wg.cumsum)(x23(device), 0, 'int32') },
  { what: 'cumsum of an array', kind: 'wrong type', op: 'cumsum', expect: ['expected a Tensor, got object'], call: () => any(wg.cumsum)([1, 2], 0), cpuOnly: true },
  {
    what: 'cumsum of a disposed tensor', kind: 'state', op: 'cumsum', expect: ['was used after dispose()'],
    call: (device) => {
      const x = x23(device);
      x.dispose();
      return x.cumsum(0);
    },
  },
  { what: 'expm1_ on an int32 tensor', kind: 'dtype', op: 'expm1_', expect: ["result type float32 can't be cast", 'int32'], call: (device) => wg.ones([2], { device, dtype: 'int32' }).expm1_() },
  { what: 'log1p_ on a leaf that requires grad', kind: 'state', op: 'log1p_', expect: ['a leaf tensor that requires grad', 'out-of-place log1p()'], call: (device) => wg.ones([2], { device, requiresGrad: true }).log1p_() },
];
