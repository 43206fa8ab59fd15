/**
 * Bad calls around edge values: reductions with no identity over an empty dim are refused
 * (naming the op and the shape), as in PyTorch; the same message on every device
 * (tests/properties/devices.test.ts checks that on random shapes).
 */
import * as wg from '../../src/index.js';
import type { BadCall } from './types.js';

const empty = (device: wg.DeviceName) => wg.zeros([3, 0], { device, dtype: 'float32' });

export const cases: BadCall[] = (['max', 'min', 'argmax', 'argmin'] as const).map((op): BadCall => ({
  what: `${op} over an empty dim`,
  kind: 'shape',
  op,
  expect: ['cannot reduce over an empty dimension', 'shape [3, 0]'],
  call: (device) => empty(device)[op](1),
}));
