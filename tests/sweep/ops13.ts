/**
 * Refused calls of the ops of issue 13: round/floor/ceil/trunc (behaviour in
 * tests/elementwise.test.ts), split/chunk/tril/triu (tests/split.test.ts), normalize,
 * cosineSimilarity, cdist, huberLoss, klDiv and their modules (tests/distance.test.ts), randperm
 * (tests/randperm.test.ts), multinomial (tests/multinomial.test.ts).
 */
import * as wg from '../../src/index.js';
import type { DeviceName } from '../../src/index.js';
import type { BadCall } from './types.js';

const x23 = (device: DeviceName) => wg.zeros([2, 3], { device });
const any = <T>(f: T) => f as unknown as (...a: unknown[]) => unknown;
const F = wg.F;
const nn = wg.nn;

export const cases: BadCall[] = [
  { what: 'round with a misspelt decimals option', kind: 'unknown option', op: 'round', expect: ["unknown option 'decimal'", "did you mean 'decimals'?"], call: (device) => any(x23(device).round).call(x23(device), { decimal: 2 }) },
  { what: 'round with a fractional decimals', kind: 'out of range', op: 'round', expect: ['decimals must be an integer, got 1.5'], call: (device) => x23(device).round({ decimals: 1.5 }) },
  { what: 'round with decimals as a positional number', kind: 'wrong type', op: 'round', expect: ['options must be a plain object ({ decimals })', 'got 2'], call: (device) => any(x23(device).round).call(x23(device), 2) },
  { what: 'round of an int32 tensor to 1 decimal', kind: 'dtype', op: 'round', expect: ['decimals (1) needs a floating-point tensor, got int32'], call: (device) => wg.ones([2], { device, dtype: 'int32' }).round({ decimals: 1 }) },
  { what: 'floor with an argument', kind: 'wrong type', op: 'floor', expect: ['takes no arguments; got 1 more argument (1)'], call: (device) => any(x23(device).floor).call(x23(device), 1) },
  { what: 'ceil with an argument', kind: 'wrong type', op: 'ceil', expect: ["takes no arguments; got 1 more argument ('x')"], call: (device) => any(x23(device).ceil).call(x23(device), 'x') },
  { what: 'trunc with two arguments', kind: 'wrong type', op: 'trunc', expect: ['takes no arguments; got 2 more arguments (0, 1)'], call: (device) => any(x23(device).trunc).call(x23(device), 0, 1) },
  { what: 'floor_ on a leaf that requires grad', kind: 'state', op: 'floor_', expect: ['a leaf tensor that requires grad', 'out-of-place floor()'], call: (device) => wg.ones([2], { device, requiresGrad: true }).floor_() },
  { what: 'split with sections that do not sum to the length', kind: 'shape', op: 'split', expect: ['sections [1, 1] sum to 2, expected the length of dim 1 (3)'], call: (device) => x23(device).split([1, 1], 1) },
  { what: 'split with a negative section', kind: 'out of range', op: 'split', expect: ['sections[0] must be an integer >= 0, got -1'], call: (device) => x23(device).split([-1, 3]) },
  { what: 'split with a size of 0', kind: 'out of range', op: 'split', expect: ['split size must be an integer >= 1, got 0'], call: (device) => x23(device).split(0) },
  { what: 'split with a string size', kind: 'wrong type', op: 'split', expect: ["sizeOrSections must be a positive integer or an array of lengths, got '2'"], call: (device) => any(x23(device).split).call(x23(device), '2') },
  { what: 'split along dim 2 of a 2-D tensor', kind: 'out of range', op: 'split', expect: ['dim 2 is out of range for a tensor of rank 2'], call: (device) => x23(device).split(1, 2) },
  { what: 'chunk into 0 pieces', kind: 'out of range', op: 'chunk', expect: ['chunks must be an integer >= 1, got 0'], call: (device) => x23(device).chunk(0) },
  { what: 'chunk of a 0-d tensor', kind: 'shape', op: 'chunk', expect: ['expected a tensor of at least 1 dimension, got a 0-d tensor'], call: (device) => wg.tensor(1, { device }).chunk(2) },
  { what: 'chunk of an array', kind: 'wrong type', op: 'chunk', expect: ['expected a Tensor, got [1, 2]'], call: () => any(wg.chunk)([1, 2], 2), cpuOnly: true },
  { what: 'tril of a 1-D tensor', kind: 'shape', op: 'tril', expect: ['expected a tensor of at least 2 dimensions', 'got shape [3]'], call: (device) => wg.ones([3], { device }).tril() },
  { what: 'triu with a fractional diagonal', kind: 'out of range', op: 'triu', expect: ['diagonal must be an integer, got 0.5'], call: (device) => x23(device).triu(0.5) },
  { what: 'tril with an options object', kind: 'wrong type', op: 'tril', expect: ['diagonal must be an integer, got an object'], call: (device) => any(x23(device).tril).call(x23(device), { diagonal: 1 }) },
  {
    what: 'triu of a disposed tensor', kind: 'state', op: 'triu', expect: ['was used after dispose()'],
    call: (device) => {
      const x = x23(device);
      x.dispose();
      return x.triu();
    },
  },
  { what: 'normalize with p 0', kind: 'out of range', op: 'normalize', expect: ['p must be a number > 0, got 0'], call: (device) => F.normalize(x23(device), { p: 0 }) },
  { what: 'normalize with a misspelt option', kind: 'unknown option', op: 'normalize', expect: ["unknown option 'axis'", 'accepted options: p, dim, eps'], call: (device) => any(F.normalize)(x23(device), { axis: 1 }) },
  { what: 'normalize of an int32 tensor', kind: 'dtype', op: 'normalize', expect: ['input must be a floating-point tensor'], call: (device) => F.normalize(wg.ones([2, 2], { device, dtype: 'int32' })) },
  { what: 'cosineSimilarity of shapes that do not broadcast', kind: 'shape', op: 'cosineSimilarity', expect: ['[2, 3]', '[4]'], call: (device) => F.cosineSimilarity(x23(device), wg.zeros([4], { device })) },
  { what: 'cosineSimilarity with a negative eps', kind: 'out of range', op: 'cosineSimilarity', expect: ['eps must be a finite number >= 0, got -1'], call: (device) => F.cosineSimilarity(x23(device), x23(device), { eps: -1 }) },
  { what: 'cosineSimilarity over dim 2 of 2-D inputs', kind: 'out of range', op: 'cosineSimilarity', expect: ['dim 2 is out of range for a tensor of rank 2'], call: (device) => F.cosineSimilarity(x23(device), x23(device), { dim: 2 }) },
  { what: 'cosineSimilarity with a positional dim', kind: 'wrong type', op: 'cosineSimilarity', expect: ['options must be a plain object', 'got 1'], call: (device) => any(F.cosineSimilarity)(x23(device), x23(device), 1) },
  { what: 'cdist with different feature counts', kind: 'shape', op: 'cdist', expect: ['must have the same number of features (last dim), got 3 and 2'], call: (device) => wg.cdist(x23(device), wg.zeros([4, 2], { device })) },
  { what: 'cdist with a negative p', kind: 'out of range', op: 'cdist', expect: ['p must be a number >= 0, got -2'], call: (device) => wg.cdist(x23(device), x23(device), -2) },
  { what: 'cdist of a 1-D x2', kind: 'shape', op: 'cdist', expect: ['must have at least 2 dimensions', '[3]'], call: (device) => wg.cdist(x23(device), wg.zeros([3], { device })) },
  { what: 'huberLoss with delta 0', kind: 'out of range', op: 'huberLoss', expect: ['delta must be a finite number > 0, got 0'], call: (device) => F.huberLoss(x23(device), x23(device), { delta: 0 }) },
  { what: 'huberLoss with beta (smoothL1Loss\'s name)', kind: 'unknown option', op: 'huberLoss', expect: ["unknown option 'beta'", 'accepted options: reduction, delta'], call: (device) => any(F.huberLoss)(x23(device), x23(device), { beta: 1 }) },
  { what: 'klDiv with reduction batchMean', kind: 'out of range', op: 'klDiv', expect: ["reduction must be one of 'mean', 'batchmean', 'sum', 'none'", "did you mean 'batchmean'?"], call: (device) => any(F.klDiv)(x23(device), x23(device), { reduction: 'batchMean' }) },
  { what: 'klDiv with log_target', kind: 'unknown option', op: 'klDiv', expect: ["unknown option 'log_target'", "did you mean 'logTarget'?"], call: (device) => any(F.klDiv)(x23(device), x23(device), { log_target: true }) },
  { what: 'klDiv with a string logTarget', kind: 'wrong type', op: 'klDiv', expect: ["logTarget must be true or false, got 'yes'"], call: (device) => any(F.klDiv)(x23(device), x23(device), { logTarget: 'yes' }) },
  { what: 'klDiv of different shapes', kind: 'shape', op: 'klDiv', expect: ['input shape [2, 3] and target shape [3] differ'], call: (device) => F.klDiv(x23(device), wg.zeros([3], { device })) },
  { what: 'HuberLoss made with a negative delta', kind: 'out of range', op: 'HuberLoss', expect: ['delta must be a finite number > 0, got -1'], call: () => new nn.HuberLoss({ delta: -1 }), cpuOnly: true },
  { what: 'KLDivLoss made with reduction avg', kind: 'out of range', op: 'KLDivLoss', expect: ["reduction must be one of 'mean', 'batchmean', 'sum', 'none', got 'avg'"], call: () => any((o: unknown) => new nn.KLDivLoss(o as never))({ reduction: 'avg' }), cpuOnly: true },
  { what: 'CosineSimilarity made with a fractional dim', kind: 'out of range', op: 'CosineSimilarity', expect: ['dim must be an integer, got 0.5'], call: () => new nn.CosineSimilarity(0.5), cpuOnly: true },
  { what: 'CosineSimilarity made with an unknown option', kind: 'unknown option', op: 'CosineSimilarity', expect: ["unknown option 'epsilon'", 'accepted options: dim, eps'], call: () => any((o: unknown) => new nn.CosineSimilarity(o as never))({ epsilon: 1e-6 }), cpuOnly: true },
  { what: 'randperm of a negative n', kind: 'out of range', op: 'randperm', expect: ['n must be an integer >= 0', 'got -3'], call: (device) => wg.randperm(-3, { device }) },
  { what: 'randperm of a fractional n', kind: 'out of range', op: 'randperm', expect: ['n must be an integer', 'got 2.5'], call: (device) => wg.randperm(2.5, { device }) },
  { what: 'randperm as bool', kind: 'dtype', op: 'randperm', expect: ["dtype must be one of 'int32', 'float32', 'float64', got 'bool'"], call: (device) => any(wg.randperm)(3, { device, dtype: 'bool' }) },
  { what: 'randperm with a misspelt option', kind: 'unknown option', op: 'randperm', expect: ["unknown option 'dtpye'", "did you mean 'dtype'?"], call: (device) => any(wg.randperm)(3, { device, dtpye: 'int32' }) },
  { what: 'randperm with a string n', kind: 'wrong type', op: 'randperm', expect: ["n must be an integer", "got '3'"], call: () => any(wg.randperm)('3'), cpuOnly: true },
  { what: 'multinomial of more samples than categories without replacement', kind: 'out of range', op: 'multinomial', expect: ['cannot draw 4 samples from 3 categories without replacement'], call: (device) => wg.multinomial(x23(device), 4) },
  { what: 'multinomial with replace (numpy\'s name)', kind: 'unknown option', op: 'multinomial', expect: ["unknown option 'replace'", 'accepted options: replacement'], call: (device) => any(wg.multinomial)(x23(device), 1, { replace: true }) },
  { what: 'multinomial with a positional replacement', kind: 'wrong type', op: 'multinomial', expect: ['options must be a plain object ({ replacement })', 'got true'], call: (device) => any(wg.multinomial)(x23(device), 1, true) },
  { what: 'multinomial of a 3-D tensor', kind: 'shape', op: 'multinomial', expect: ['probs must be 1-D [K] or 2-D [N, K], got shape [1, 2, 3]'], call: (device) => wg.multinomial(wg.ones([1, 2, 3], { device }), 1) },
];
