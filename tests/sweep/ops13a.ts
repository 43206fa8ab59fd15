/**
 * Refused calls of the ops of issue 13 (second set): cumprod (tests/cumprod.test.ts),
 * instanceNorm and its modules (tests/instance-norm.test.ts), interpolate and Upsample
 * (tests/interpolate.test.ts), the 1-D poolings (tests/pooling1d.test.ts), channel dropout
 * (tests/channel-dropout.test.ts).
 */
import * as wg from '../../src/index.js';
import type { DeviceName } from '../../src/index.js';
import type { BadCall } from './types.js';

const any = <T>(f: T) => f as unknown as (...a: unknown[]) => unknown;
const F = wg.F;
const nn = wg.nn;
const x3 = (device: DeviceName) => wg.zeros([1, 2, 5], { device });
const x4 = (device: DeviceName) => wg.zeros([1, 2, 3, 3], { device });

export const cases: BadCall[] = [
  { what: 'cumprod over dim 2 of a 2-D tensor', kind: 'out of range', op: 'cumprod', expect: ['dim 2 is out of range for a tensor of rank 2'], call: (device) => wg.zeros([2, 3], { device }).cumprod(2) },
  { what: 'cumprod without a dim', kind: 'wrong type', op: 'cumprod', expect: ['dim is required'], call: (device) => any(wg.cumprod)(wg.zeros([2], { device })) },
  { what: 'cumprod with a dtype argument', kind: 'wrong type', op: 'cumprod', expect: ["takes (x, dim); got 1 more argument ('float64')"], call: (device) => any(wg.cumprod)(wg.zeros([2], { device }), 0, 'float64') },
  { what: 'cumprod with a fractional dim', kind: 'out of range', op: 'cumprod', expect: ['dim must be an integer, got 0.5'], call: (device) => wg.zeros([2], { device }).cumprod(0.5) },
  { what: 'instanceNorm of a 2-D input', kind: 'shape', op: 'instanceNorm', expect: ['at least one spatial dim', '[2, 3]'], call: (device) => F.instanceNorm(wg.zeros([2, 3], { device })) },
  { what: 'instanceNorm with one spatial element', kind: 'shape', op: 'instanceNorm', expect: ['expected more than 1 spatial element', '[2, 3, 1]'], call: (device) => F.instanceNorm(wg.zeros([2, 3, 1], { device })) },
  { what: 'instanceNorm with use_input_stats', kind: 'unknown option', op: 'instanceNorm', expect: ["unknown option 'use_input_stats'", "did you mean 'useInputStats'?"], call: (device) => any(F.instanceNorm)(x3(device), { use_input_stats: false }) },
  { what: 'instanceNorm without running statistics and useInputStats false', kind: 'state', op: 'instanceNorm', expect: ['useInputStats false needs runningMean and runningVar'], call: (device) => F.instanceNorm(x3(device), { useInputStats: false }) },
  { what: 'instanceNorm with a weight of the wrong size', kind: 'shape', op: 'instanceNorm', expect: ['weight must have shape [2], got [3]'], call: (device) => F.instanceNorm(x3(device), { weight: wg.ones([3], { device }) }) },
  { what: 'instanceNorm with momentum 2', kind: 'out of range', op: 'instanceNorm', expect: ['momentum', 'got 2'], call: (device) => F.instanceNorm(x3(device), { momentum: 2 }) },
  { what: 'InstanceNorm2d given a 3-D input of the wrong channel count', kind: 'shape', op: 'InstanceNorm2d', expect: ['expected input [N, 4, H, W] or [4, H, W]', 'got [2, 3, 3]'], call: (device) => new nn.InstanceNorm2d(4, { device }).forward(wg.zeros([2, 3, 3], { device })) },
  { what: 'InstanceNorm1d with a string affine', kind: 'wrong type', op: 'InstanceNorm1d', expect: ["affine must be true or false, got 'yes'"], call: () => new nn.InstanceNorm1d(3, { affine: 'yes' as unknown as boolean }), cpuOnly: true },
  { what: 'interpolate with mode bicubic', kind: 'out of range', op: 'interpolate', expect: ["mode 'bicubic' is not supported", 'not implemented'], call: (device) => F.interpolate(x4(device), { size: 4, mode: 'bicubic' as never }) },
  { what: 'interpolate with mode area', kind: 'out of range', op: 'interpolate', expect: ["mode 'area' is not supported", 'adaptiveAvgPool2d'], call: (device) => F.interpolate(x4(device), { size: 2, mode: 'area' as never }) },
  { what: 'interpolate with a misspelt mode', kind: 'out of range', op: 'interpolate', expect: ['mode must be one of', "'bilinear'"], call: (device) => F.interpolate(x4(device), { size: 4, mode: 'bilinera' as never }) },
  { what: 'interpolate with both size and scaleFactor', kind: 'wrong type', op: 'interpolate', expect: ['give exactly one of size and scaleFactor, got both'], call: (device) => F.interpolate(x4(device), { size: 4, scaleFactor: 2 }) },
  { what: 'interpolate with neither size nor scaleFactor', kind: 'wrong type', op: 'interpolate', expect: ['give exactly one of size and scaleFactor, got neither'], call: (device) => F.interpolate(x4(device), {}) },
  { what: 'interpolate linear of a 4-D input', kind: 'shape', op: 'interpolate', expect: ["mode 'linear' needs a 3-D [N, C, L] input, got 4-D [1, 2, 3, 3]"], call: (device) => F.interpolate(x4(device), { size: 4, mode: 'linear' }) },
  { what: 'interpolate nearest with alignCorners', kind: 'out of range', op: 'interpolate', expect: ["alignCorners can only be set with the interpolating modes", "got mode 'nearest'"], call: (device) => F.interpolate(x4(device), { size: 4, alignCorners: true }) },
  { what: 'interpolate with a size list of the wrong length', kind: 'shape', op: 'interpolate', expect: ['size must be a positive integer or a list of 2 of them', 'got [4]'], call: (device) => F.interpolate(x4(device), { size: [4] }) },
  { what: 'interpolate with scaleFactor 0.1 (an empty output)', kind: 'out of range', op: 'interpolate', expect: ['scaleFactor 0.1 gives an empty output', 'floor(3 * 0.1) = 0'], call: (device) => F.interpolate(x4(device), { scaleFactor: 0.1 }) },
  { what: 'interpolate with align_corners', kind: 'unknown option', op: 'interpolate', expect: ["unknown option 'align_corners'", "did you mean 'alignCorners'?"], call: (device) => any(F.interpolate)(x4(device), { size: 4, align_corners: true }) },
  { what: 'interpolate recomputeScaleFactor with a size', kind: 'wrong type', op: 'interpolate', expect: ['recomputeScaleFactor is not meaningful with an explicit size'], call: (device) => F.interpolate(x4(device), { size: 4, recomputeScaleFactor: true }) },
  { what: 'interpolate of a 5-D input', kind: 'shape', op: 'interpolate', expect: ['expected a 3-D [N, C, L] or 4-D [N, C, H, W] input', '5-D inputs are not resampled yet'], call: (device) => F.interpolate(wg.zeros([1, 1, 2, 2, 2], { device }), { size: 3 }) },
  { what: 'Upsample with mode trilinear', kind: 'out of range', op: 'Upsample', expect: ["mode 'trilinear' is not supported", '5-D'], call: () => new nn.Upsample({ scaleFactor: 2, mode: 'trilinear' as never }), cpuOnly: true },
  { what: 'Upsample without size or scaleFactor', kind: 'wrong type', op: 'Upsample', expect: ['give exactly one of size and scaleFactor, got neither'], call: () => new nn.Upsample(), cpuOnly: true },
  { what: 'maxPool1d of a 4-D input', kind: 'shape', op: 'maxPool1d', expect: ['expected a 3-D [N, C, L] or 2-D [C, L] input, got shape [1, 2, 3, 3]'], call: (device) => F.maxPool1d(x4(device), 2) },
  { what: 'maxPool1d with padding more than half the kernel', kind: 'out of range', op: 'maxPool1d', expect: ['padding 2 must be at most half the kernel size 3'], call: (device) => F.maxPool1d(x3(device), 3, { padding: 2 }) },
  { what: 'maxPool1d with a kernel larger than the input', kind: 'shape', op: 'maxPool1d', expect: ['the kernel 7 is larger than the padded input 5'], call: (device) => F.maxPool1d(x3(device), 7) },
  { what: 'maxPool1d with a [h, w] kernel', kind: 'wrong type', op: 'maxPool1d', expect: ['kernelSize must be an integer >= 1 (or [n]), got [2, 2]'], call: (device) => F.maxPool1d(x3(device), [2, 2] as never) },
  { what: 'avgPool1d with divisorOverride (avg_pool2d only)', kind: 'unknown option', op: 'avgPool1d', expect: ["unknown option 'divisorOverride'", 'accepted options: stride, padding, ceilMode, countIncludePad'], call: (device) => any(F.avgPool1d)(x3(device), 2, { divisorOverride: 2 }) },
  { what: 'adaptiveAvgPool1d to size 0', kind: 'out of range', op: 'adaptiveAvgPool1d', expect: ['outputSize must be an integer >= 1 (or [n]), got 0'], call: (device) => F.adaptiveAvgPool1d(x3(device), 0) },
  { what: 'MaxPool1d with stride 0', kind: 'out of range', op: 'MaxPool1d', expect: ['stride must be an integer >= 1 or [l] of them, got 0'], call: () => new nn.MaxPool1d(2, 0), cpuOnly: true },
  { what: 'dropout2d of a 3-D input', kind: 'shape', op: 'dropout2d', expect: ['expected a 4-D [N, C, H, W] input', 'use dropout1d', 'got shape [1, 2, 5]'], call: (device) => F.dropout2d(x3(device)) },
  { what: 'dropout1d with p 1.5', kind: 'out of range', op: 'dropout1d', expect: ['p must be', 'got 1.5'], call: (device) => F.dropout1d(x3(device), 1.5) },
  { what: 'dropout1d of an int32 tensor', kind: 'dtype', op: 'dropout1d', expect: ['expected a floating-point input, got int32'], call: (device) => F.dropout1d(wg.zeros([2, 3], { device, dtype: 'int32' })) },
  { what: 'Dropout2d with inplace true', kind: 'out of range', op: 'Dropout2d', expect: ['inplace = true is not supported'], call: () => new nn.Dropout2d(0.5, true as false), cpuOnly: true },
];
