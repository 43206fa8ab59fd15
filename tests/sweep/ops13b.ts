/**
 * Refused calls of the second set of issue-13 ops: sort, argsort, kthvalue, median,
 * nanmedian, quantile, nanquantile (behaviour in tests/sort.test.ts), scatterReduce and
 * scatter (tests/scatter-reduce.test.ts), optim.LBFGS (tests/lbfgs.test.ts).
 */
import * as wg from '../../src/index.js';
import type { DeviceName } from '../../src/index.js';
import type { BadCall } from './types.js';

const x23 = (device: DeviceName) => wg.zeros([2, 3], { device });
const idx23 = (device: DeviceName) => wg.zeros([2, 3], { device, dtype: 'int32' });
const any = <T>(f: T) => f as unknown as (...a: unknown[]) => unknown;

export const cases: BadCall[] = [
  { what: 'sort with a positional dim', kind: 'wrong type', op: 'sort', expect: ['options must be a plain object ({ dim, descending, stable })', 'got 1'], call: (device) => any(x23(device).sort).call(x23(device), 1) },
  { what: 'sort with a misspelt descending option', kind: 'unknown option', op: 'sort', expect: ["unknown option 'descendin'", "did you mean 'descending'?"], call: (device) => any(x23(device).sort).call(x23(device), { descendin: true }) },
  { what: 'sort along dim 2 of a 2-D tensor', kind: 'out of range', op: 'sort', expect: ['dim 2 is out of range'], call: (device) => x23(device).sort({ dim: 2 }) },
  { what: 'sort with a string for descending', kind: 'wrong type', op: 'sort', expect: ["descending must be true or false, got 'yes'"], call: (device) => any(x23(device).sort).call(x23(device), { descending: 'yes' }) },
  { what: 'argsort with a fractional dim', kind: 'out of range', op: 'argsort', expect: ['dim must be an integer, got 0.5'], call: (device) => x23(device).argsort({ dim: 0.5 }) },
  { what: 'argsort with an extra argument', kind: 'wrong type', op: 'argsort', expect: ['got 1 more argument'], call: (device) => any(x23(device).argsort).call(x23(device), {}, true) },
  { what: 'kthvalue with k 0', kind: 'out of range', op: 'kthvalue', expect: ['k must be an integer from 1 to 3', 'got 0'], call: (device) => x23(device).kthvalue(0) },
  { what: 'kthvalue with k past the dim', kind: 'out of range', op: 'kthvalue', expect: ['k must be an integer from 1 to 2', 'got 3'], call: (device) => x23(device).kthvalue(3, { dim: 0 }) },
  { what: 'kthvalue of a bool tensor', kind: 'dtype', op: 'kthvalue', expect: ['bool tensors are not supported'], call: (device) => wg.ones([3], { device, dtype: 'bool' }).kthvalue(1) },
  { what: 'median with keepdim but no dim', kind: 'wrong type', op: 'median', expect: ['keepdim needs a dim'], call: (device) => any(x23(device).median).call(x23(device), { keepdim: true }) },
  { what: 'median of an empty tensor', kind: 'shape', op: 'median', expect: ['the median of an empty tensor is undefined'], call: (device) => wg.zeros([0], { device }).median() },
  { what: 'nanmedian with a misspelt option', kind: 'unknown option', op: 'nanmedian', expect: ["unknown option 'axis'", 'accepted options: dim, keepdim'], call: (device) => any(x23(device).nanmedian).call(x23(device), { axis: 0 }) },
  { what: 'quantile with q above 1', kind: 'out of range', op: 'quantile', expect: ['q must be a finite number >= 0 and <= 1, got 1.5'], call: (device) => x23(device).quantile(1.5) },
  { what: 'quantile with a q tensor value out of [0, 1]', kind: 'out of range', op: 'quantile', expect: ['q values must be in [0, 1], got -0.5'], call: () => wg.zeros([3]).quantile(wg.tensor([0.5, -0.5])), cpuOnly: true },
  { what: 'quantile with a 2-D q', kind: 'shape', op: 'quantile', expect: ['q must be a number or a 0-d or 1-D tensor, got shape [1, 2]'], call: (device) => x23(device).quantile(wg.tensor([[0.1, 0.2]], { device })) },
  { what: 'quantile with an unknown interpolation', kind: 'out of range', op: 'quantile', expect: ["interpolation must be one of 'linear', 'lower', 'higher', 'midpoint', 'nearest'", "got 'mean'"], call: (device) => any(x23(device).quantile).call(x23(device), 0.5, { interpolation: 'mean' }) },
  { what: 'quantile of an int32 tensor', kind: 'dtype', op: 'quantile', expect: ['input must be a floating-point tensor (float32 or float64), got int32'], call: (device) => idx23(device).quantile(0.5) },
  { what: 'quantile of an empty tensor', kind: 'shape', op: 'quantile', expect: ['input must be non-empty, got shape [0]'], call: (device) => wg.zeros([0], { device }).quantile(0.5) },
  { what: 'nanquantile with q as an array', kind: 'wrong type', op: 'nanquantile', expect: ['q must be a number in [0, 1] or a tensor, got [0.1, 0.5]'], call: (device) => any(x23(device).nanquantile).call(x23(device), [0.1, 0.5]) },
  { what: 'scatterReduce with an unknown reduce', kind: 'out of range', op: 'scatterReduce', expect: ["reduce must be one of 'sum', 'prod', 'mean', 'amax', 'amin', got 'max'", "did you mean 'amax'?"], call: (device) => any(x23(device).scatterReduce).call(x23(device), 1, idx23(device), x23(device), 'max') },
  { what: 'scatterReduce with a misspelt includeSelf', kind: 'unknown option', op: 'scatterReduce', expect: ["unknown option 'include_self'", "did you mean 'includeSelf'?"], call: (device) => any(x23(device).scatterReduce).call(x23(device), 1, idx23(device), x23(device), 'sum', { include_self: false }) },
  { what: 'scatterReduce with an index of another rank', kind: 'shape', op: 'scatterReduce', expect: ['input, index and src must have the same rank'], call: (device) => x23(device).scatterReduce(1, wg.zeros([3], { device, dtype: 'int32' }), x23(device), 'sum') },
  { what: 'scatterReduce with an index larger than src', kind: 'shape', op: 'scatterReduce', expect: ['index shape [2, 4] must not exceed src [2, 3]'], call: (device) => x23(device).scatterReduce(1, wg.zeros([2, 4], { device, dtype: 'int32' }), x23(device), 'sum') },
  { what: 'scatterReduce with a number as src', kind: 'wrong type', op: 'scatterReduce', expect: ['src must be a Tensor, got 1 (scatter takes a number)'], call: (device) => any(x23(device).scatterReduce).call(x23(device), 1, idx23(device), 1, 'sum') },
  { what: 'scatterReduce with a bool index', kind: 'dtype', op: 'scatterReduce', expect: ['index must hold integer indices', 'a mask is not an index'], call: (device) => x23(device).scatterReduce(1, wg.zeros([2, 3], { device, dtype: 'bool' }), x23(device), 'sum') },
  { what: 'scatterReduce of a bool input', kind: 'dtype', op: 'scatterReduce', expect: ['bool tensors are not supported'], call: (device) => wg.zeros([2, 3], { device, dtype: 'bool' }).scatterReduce(1, idx23(device), x23(device), 'amax') },
  { what: 'scatterReduce with an index out of range on cpu', kind: 'out of range', op: 'scatterReduce', expect: ['index 5 is out of range for dimension 1 of size 3'], call: () => wg.zeros([2, 3]).scatterReduce(1, wg.full([2, 3], 5, { dtype: 'int32' }), wg.zeros([2, 3]), 'sum'), cpuOnly: true },
  { what: 'scatter with a string src', kind: 'wrong type', op: 'scatter', expect: ["src must be a Tensor or a number, got 'a'"], call: (device) => any(x23(device).scatter).call(x23(device), 1, idx23(device), 'a') },
  { what: 'scatter along dim 3 of a 2-D tensor', kind: 'out of range', op: 'scatter', expect: ['dim 3 is out of range'], call: (device) => x23(device).scatter(3, idx23(device), 0) },
  { what: 'scatter with a NaN dim', kind: 'out of range', op: 'scatter', expect: ['dim must be an integer, got NaN'], call: (device) => x23(device).scatter(NaN, idx23(device), x23(device)) },
  { what: 'LBFGS with a misspelt option', kind: 'unknown option', op: 'LBFGS', expect: ["unknown option 'max_iter'", "did you mean 'maxIter'?"], call: (device) => new wg.optim.LBFGS([wg.zeros([2], { device, requiresGrad: true })], { max_iter: 5 } as never) },
  { what: 'LBFGS with an unknown line search', kind: 'out of range', op: 'LBFGS', expect: ["lineSearchFn must be one of 'strong_wolfe', got 'wolfe'"], call: (device) => new wg.optim.LBFGS([wg.zeros([2], { device, requiresGrad: true })], { lineSearchFn: 'wolfe' as never }) },
  { what: 'LBFGS with historySize 0', kind: 'out of range', op: 'LBFGS', expect: ['historySize must be an integer >= 1, got 0'], call: (device) => new wg.optim.LBFGS([wg.zeros([2], { device, requiresGrad: true })], { historySize: 0 }) },
  { what: 'LBFGS with parameter groups', kind: 'wrong type', op: 'LBFGS', expect: ["doesn't support per-parameter options (parameter groups)"], call: (device) => new wg.optim.LBFGS([{ params: [wg.zeros([2], { device, requiresGrad: true })] }] as never) },
  { what: 'LBFGS with a module as params', kind: 'wrong type', op: 'LBFGS', expect: ['got a Linear module (pass model.parameters())'], call: () => new wg.optim.LBFGS(new wg.nn.Linear(2, 2) as never), cpuOnly: true },
  {
    what: 'LBFGS.step without a closure', kind: 'wrong type', op: 'LBFGS.step', expect: ['needs a closure that clears the gradients', 'got undefined'],
    call: (device) => any(new wg.optim.LBFGS([wg.zeros([2], { device, requiresGrad: true })]).step)(),
  },
  {
    what: 'LBFGS.step with a closure returning a vector', kind: 'shape', op: 'LBFGS.step', expect: ['the closure must return the loss as a one-element tensor or a number, got a tensor of shape [2]'],
    call: (device) => {
      const p = wg.zeros([2], { device, requiresGrad: true });
      const opt = new wg.optim.LBFGS([p]);
      return opt.step(() => p.mul(2));
    },
  },
];
