/** Refused calls of webgrad.nn.functional, nn.init, io.idx and the MNIST loaders. */
import * as wg from '../../src/index.js';
import type { DeviceName } from '../../src/index.js';
import type { BadCall } from './types.js';

const F = wg.nn.functional;
const { init } = wg.nn;
const f32 = (shape: number[], device: DeviceName) => wg.ones(shape, { device, dtype: 'float32' });
const idx = (v: number[], device: DeviceName) => wg.tensor(new Int32Array(v), { device });
const img = (d: DeviceName) => f32([1, 2, 6, 6], d);
const w2 = (d: DeviceName) => f32([4, 2, 3, 3], d);
const logits = (d: DeviceName) => f32([2, 3], d);
const bad = (v: unknown) => v as never;

const unknownOption: BadCall[] = [
  ['conv2d', "unknown option 'strides' (did you mean 'stride'?)", (d: DeviceName) => F.conv2d(img(d), w2(d), null, bad({ strides: 2 }))],
  ['conv1d', "unknown option 'dilations' (did you mean 'dilation'?)", (d: DeviceName) => F.conv1d(f32([1, 2, 8], d), f32([3, 2, 3], d), null, bad({ dilations: 2 }))],
  ['convTranspose2d', "unknown option 'output_padding' (did you mean 'outputPadding'?)", (d: DeviceName) => F.convTranspose2d(img(d), f32([2, 3, 3, 3], d), null, bad({ output_padding: 1 }))],
  ['conv2d', "unknown option 'outputPadding'", (d: DeviceName) => F.conv2d(img(d), w2(d), null, bad({ outputPadding: 1 }))],
  ['maxPool2d', "unknown option 'ceil_mode' (did you mean 'ceilMode'?)", (d: DeviceName) => F.maxPool2d(img(d), 2, bad({ ceil_mode: true }))],
  ['avgPool2d', "unknown option 'countIncludePadding'", (d: DeviceName) => F.avgPool2d(img(d), 2, bad({ countIncludePadding: false }))],
  ['avgPool2d', "unknown option 'dilation'", (d: DeviceName) => F.avgPool2d(img(d), 2, bad({ dilation: 2 }))],
  ['crossEntropy', "unknown option 'label_smoothing' (did you mean 'labelSmoothing'?)", (d: DeviceName) => F.crossEntropy(logits(d), idx([0, 1], d), bad({ label_smoothing: 0.1 }))],
  ['crossEntropy', "unknown option 'ignore_index' (did you mean 'ignoreIndex'?)", (d: DeviceName) => F.crossEntropy(logits(d), idx([0, 1], d), bad({ ignore_index: 0 }))],
  ['nllLoss', "unknown option 'labelSmoothing'", (d: DeviceName) => F.nllLoss(logits(d), idx([0, 1], d), bad({ labelSmoothing: 0.1 }))],
  ['mseLoss', "unknown option 'reduce'", (d: DeviceName) => F.mseLoss(logits(d), logits(d), bad({ reduce: false }))],
  ['l1Loss', "unknown option 'size_average'", (d: DeviceName) => F.l1Loss(logits(d), logits(d), bad({ size_average: true }))],
  ['smoothL1Loss', "unknown option 'delta'", (d: DeviceName) => F.smoothL1Loss(logits(d), logits(d), bad({ delta: 1 }))],
  ['binaryCrossEntropy', "unknown option 'posWeight'", (d: DeviceName) => F.binaryCrossEntropy(f32([2], d).mul(0.5), f32([2], d), bad({ posWeight: f32([2], d) }))],
  ['binaryCrossEntropyWithLogits', "unknown option 'pos_weight' (did you mean 'posWeight'?)", (d: DeviceName) => F.binaryCrossEntropyWithLogits(f32([2], d), f32([2], d), bad({ pos_weight: f32([2], d) }))],
  ['gelu', "unknown option 'approx'", (d: DeviceName) => F.gelu(f32([2], d), bad({ approx: 'tanh' }))],
  ['softplus', "unknown option 'betta' (did you mean 'beta'?)", (d: DeviceName) => F.softplus(f32([2], d), bad({ betta: 2 }))],
  ['embedding', "unknown option 'padding_idx' (did you mean 'paddingIdx'?)", (d: DeviceName) => F.embedding(idx([0, 1], d), f32([3, 2], d), bad({ padding_idx: 0 }))],
  ['embedding', "unknown option 'maxNorm'", (d: DeviceName) => F.embedding(idx([0, 1], d), f32([3, 2], d), bad({ maxNorm: 1 }))],
  ['pad', "unknown option 'fill'", (d: DeviceName) => F.pad(f32([2, 2], d), [1, 1], bad({ fill: 3 }))],
  ['topk', "unknown option 'axis'", (d: DeviceName) => F.topk(f32([4], d), 2, bad({ axis: 0 }))],
  ['batchNorm', "unknown option 'train'; accepted options: training, momentum, eps", (d: DeviceName) => F.batchNorm(f32([2, 3], d), null, null, null, null, bad({ train: true }))],
  ['layerNorm', "unknown option 'epsilon'", (d: DeviceName) => F.layerNorm(f32([2, 3], d), 3, null, null, bad({ epsilon: 1e-5 }))],
  ['groupNorm', "unknown option 'affine'", (d: DeviceName) => F.groupNorm(f32([2, 4], d), 2, null, null, bad({ affine: false }))],
  ['kaimingUniform', "unknown option 'fan'", (d: DeviceName) => init.kaimingUniform(f32([3, 3], d), bad({ fan: 'fanIn' }))],
  ['conv2d', 'options must be a plain object', (d: DeviceName) => F.conv2d(img(d), w2(d), null, bad(2))],
].map(([op, msg, call]) => ({ what: String(msg), kind: 'unknown option' as const, op: op as string, expect: [msg as string], call: call as (d: DeviceName) => unknown }));

const outOfRange: BadCall[] = [
  ['conv2d', 'stride must be positive (at least 1), got [0, 0]', (d: DeviceName) => F.conv2d(img(d), w2(d), null, { stride: 0 })],
  ['conv2d', 'stride must be an integer or a list of 2 integers, got 1.5', (d: DeviceName) => F.conv2d(img(d), w2(d), null, { stride: 1.5 })],
  ['conv2d', 'padding must be non-negative (at least 0), got [-1, -1]', (d: DeviceName) => F.conv2d(img(d), w2(d), null, { padding: -1 })],
  ['conv2d', 'dilation must be positive (at least 1), got [0, 1]', (d: DeviceName) => F.conv2d(img(d), w2(d), null, { dilation: [0, 1] })],
  ['conv2d', 'groups must be an integer >= 1, got -2', (d: DeviceName) => F.conv2d(img(d), w2(d), null, { groups: -2 })],
  ['conv2d', 'not divisible by groups = 3', (d: DeviceName) => F.conv2d(img(d), f32([3, 1, 3, 3], d), null, { groups: 3 })],
  ['conv2d', "padding must be 'valid', 'same', an integer or a list of 2 integers, got 'full'", (d: DeviceName) => F.conv2d(img(d), w2(d), null, bad({ padding: 'full' }))],
  ['conv1d', 'stride must be positive (at least 1), got [0]', (d: DeviceName) => F.conv1d(f32([1, 2, 8], d), f32([3, 2, 3], d), null, { stride: 0 })],
  ['convTranspose2d', 'outputPadding must be smaller than either stride or dilation', (d: DeviceName) => F.convTranspose2d(img(d), f32([2, 3, 3, 3], d), null, { outputPadding: 1 })],
  ['maxPool2d', 'kernelSize must be an integer >= 1 or a pair of them, got -2', (d: DeviceName) => F.maxPool2d(img(d), -2)],
  ['maxPool2d', 'padding 2 x 2 must be at most half the kernel size', (d: DeviceName) => F.maxPool2d(img(d), 2, { padding: 2 })],
  ['maxPool2d', "ceilMode must be true or false, got 'yes'", (d: DeviceName) => F.maxPool2d(img(d), 2, bad({ ceilMode: 'yes' }))],
  ['avgPool2d', 'countIncludePad must be true or false, got 0', (d: DeviceName) => F.avgPool2d(img(d), 2, bad({ countIncludePad: 0 }))],
  ['adaptiveAvgPool2d', 'outputSize must be a positive integer, null, or a pair of them, got 0', (d: DeviceName) => F.adaptiveAvgPool2d(img(d), 0)],
  ['crossEntropy', "reduction must be one of 'mean', 'sum', 'none', got 'average'", (d: DeviceName) => F.crossEntropy(logits(d), idx([0, 1], d), bad({ reduction: 'average' }))],
  ['crossEntropy', 'labelSmoothing must be a finite number >= 0 and <= 1, got 1.1', (d: DeviceName) => F.crossEntropy(logits(d), idx([0, 1], d), { labelSmoothing: 1.1 })],
  ['nllLoss', 'ignoreIndex must be an integer', (d: DeviceName) => F.nllLoss(logits(d), idx([0, 1], d), { ignoreIndex: 1.5 })],
  ['mseLoss', "reduction must be one of 'mean', 'sum', 'none', got 'Mean' (did you mean 'mean'?)", (d: DeviceName) => F.mseLoss(logits(d), logits(d), bad({ reduction: 'Mean' }))],
  ['smoothL1Loss', 'beta must be a finite number >= 0, got NaN', (d: DeviceName) => F.smoothL1Loss(logits(d), logits(d), { beta: NaN })],
  ['dropout', 'p must be a finite number >= 0 and <= 1, got 1.5', (d: DeviceName) => F.dropout(f32([2], d), 1.5)],
  ['dropout', 'p must be a finite number >= 0 and <= 1, got NaN', (d: DeviceName) => F.dropout(f32([2], d), NaN)],
  ['dropout', "training must be true or false, got 'train'", (d: DeviceName) => F.dropout(f32([2], d), 0.5, bad('train'))],
  ['leakyRelu', 'negativeSlope must be a finite number, got Infinity', (d: DeviceName) => F.leakyRelu(f32([2], d), Infinity)],
  ['gelu', "approximate must be one of 'none', 'tanh', got 'erf'", (d: DeviceName) => F.gelu(f32([2], d), bad({ approximate: 'erf' }))],
  ['softplus', 'beta must be nonzero', (d: DeviceName) => F.softplus(f32([2], d), { beta: 0 })],
  ['hardtanh', 'minVal (2) must not exceed maxVal (1)', (d: DeviceName) => F.hardtanh(f32([2], d), 2, 1)],
  ['softmax', 'dim is required', (d: DeviceName) => F.softmax(f32([2], d), bad(undefined))],
  ['logSoftmax', 'dim must be an integer, got 0.5', (d: DeviceName) => F.logSoftmax(f32([2], d), 0.5)],
  ['embedding', 'paddingIdx 7 is out of range', (d: DeviceName) => F.embedding(idx([0, 1], d), f32([3, 2], d), { paddingIdx: 7 })],
  ['pad', "mode must be one of 'constant', 'reflect', 'replicate', got 'circular'", (d: DeviceName) => F.pad(f32([2, 2], d), [1, 1], bad({ mode: 'circular' }))],
  ['pad', "value must be a number, got '0'", (d: DeviceName) => F.pad(f32([2, 2], d), [1, 1], bad({ value: '0' }))],
  ['topk', "largest must be true or false, got 'no'", (d: DeviceName) => F.topk(f32([4], d), 2, bad({ largest: 'no' }))],
  ['oneHot', 'numClasses must be a positive integer, got 0', (d: DeviceName) => F.oneHot(idx([0, 1], d), 0)],
  ['batchNorm', 'momentum must be a finite number >= 0 and <= 1, got 2', (d: DeviceName) => F.batchNorm(f32([2, 3], d), null, null, null, null, { training: true, momentum: 2 })],
  ['batchNorm', 'training must be true or false, got 1', (d: DeviceName) => F.batchNorm(f32([2, 3], d), null, null, null, null, bad({ training: 1 }))],
  ['layerNorm', 'eps must be a finite number >= 0, got -1', (d: DeviceName) => F.layerNorm(f32([2, 3], d), 3, null, null, { eps: -1 })],
  ['groupNorm', 'cannot be split into 3 groups', (d: DeviceName) => F.groupNorm(f32([2, 4], d), 3)],
  ['normal', 'std must be a finite number >= 0, got -1', (d: DeviceName) => init.normal(f32([2, 2], d), 0, -1)],
  ['uniform', 'low (1) must not exceed high (0)', (d: DeviceName) => init.uniform(f32([2, 2], d), 1, 0)],
  ['uniform', 'high must be a finite number, got Infinity', (d: DeviceName) => init.uniform(f32([2, 2], d), 0, Infinity)],
  ['xavierNormal', 'gain must be a finite number >= 0, got -1', (d: DeviceName) => init.xavierNormal(f32([2, 2], d), -1)],
  ['kaimingNormal', "mode must be one of 'fanIn', 'fanOut', got 'fan_in' (did you mean 'fanIn'?)", (d: DeviceName) => init.kaimingNormal(f32([2, 2], d), bad({ mode: 'fan_in' }))],
  ['kaimingUniform', "nonlinearity must be one of", (d: DeviceName) => init.kaimingUniform(f32([2, 2], d), bad({ nonlinearity: 'gelu' }))],
  ['kaimingUniform', "a is the negative slope of leaky_relu only, got a 0.1 with nonlinearity 'relu'", (d: DeviceName) => init.kaimingUniform(f32([2, 2], d), { a: 0.1, nonlinearity: 'relu' })],
].map(([op, msg, call]) => ({ what: String(msg), kind: 'out of range' as const, op: op as string, expect: [msg as string], call: call as (d: DeviceName) => unknown }));

const other: BadCall[] = [
  { what: 'calculateGain of an unknown nonlinearity', kind: 'out of range', op: 'calculateGain', expect: ["nonlinearity must be one of 'linear'", "got 'swish'"], call: () => init.calculateGain(bad('swish')), cpuOnly: true },
  { what: 'calculateGain with a param for relu', kind: 'out of range', op: 'calculateGain', expect: ['param is the negative slope of leaky_relu only'], call: () => init.calculateGain('relu', 0.2), cpuOnly: true },
  { what: 'init of a number', kind: 'wrong type', op: 'constant', expect: ['expected a Tensor to fill, got 3'], call: () => init.constant(bad(3), 1), cpuOnly: true },
  { what: 'init of an int32 tensor', kind: 'dtype', op: 'normal', expect: ['expected a floating-point tensor, got int32'], call: (d) => init.normal(idx([1, 2], d)) },
  { what: 'idxToTensor unknown option', kind: 'unknown option', op: 'idxToTensor', expect: ["unknown option 'normalize'"], call: () => wg.io.idxToTensor({ shape: [1], data: new Uint8Array(1), type: 'u8' } as never, bad({ normalize: true })), cpuOnly: true },
  { what: 'idxToTensor device typo', kind: 'device', op: 'idxToTensor', expect: ["device must be one of 'cpu', 'webgpu', 'wasm', got 'gpu'"], call: () => wg.io.idxToTensor({ shape: [1], data: new Uint8Array(1), type: 'u8' } as never, bad({ device: 'gpu' })), cpuOnly: true },
  { what: 'parseIdx of a string', kind: 'wrong type', op: 'parseIdx', expect: ["expected the file's bytes as a Uint8Array, got 'train.idx'"], call: () => wg.io.parseIdx(bad('train.idx')), cpuOnly: true },
  { what: 'readIdx of a number', kind: 'wrong type', op: 'readIdx', expect: ['expected a path or a Uint8Array'], call: () => wg.io.readIdx(bad(42)), cpuOnly: true },
  { what: 'fashionMnist unknown option', kind: 'unknown option', op: 'fashionMnist', expect: ["unknown option 'train'"], call: () => wg.data.fashionMnist(bad({ train: true })), cpuOnly: true },
  { what: 'fashionMnist limit 0', kind: 'out of range', op: 'fashionMnist', expect: ['limit must be an integer >= 1, got 0'], call: () => wg.data.fashionMnist({ root: 'data/fashion-mnist-subset', limit: 0 }), cpuOnly: true },
  { what: 'mnist root not a string', kind: 'wrong type', op: 'mnist', expect: ['root must be a directory path (a string), got 5'], call: () => wg.data.mnist(bad({ root: 5 })), cpuOnly: true },
  { what: 'linear with a 3-D weight', kind: 'shape', op: 'linear', expect: ['weight must be 2-D [outFeatures, inFeatures], got [4, 3, 1]'], call: (d) => F.linear(f32([2, 3], d), f32([4, 3, 1], d)) },
  { what: 'linear input and weight features differ', kind: 'shape', op: 'linear', expect: ['input [2, 3] must end in inFeatures = 5', 'the weight is [4, 5]'], call: (d) => F.linear(f32([2, 3], d), f32([4, 5], d)) },
  { what: 'linear bias of the wrong length', kind: 'shape', op: 'linear', expect: ['bias must have shape [4] (one value per output feature), got [3]'], call: (d) => F.linear(f32([2, 3], d), f32([4, 3], d), f32([3], d)) },
  { what: 'linear of int32 tensors', kind: 'dtype', op: 'linear', expect: ['input, weight and bias must be floating point, got int32'], call: (d) => F.linear(wg.ones([2, 3], { device: d, dtype: 'int32' }), wg.ones([4, 3], { device: d, dtype: 'int32' })) },
  { what: 'linear weight not a tensor', kind: 'wrong type', op: 'linear', expect: ['weight must be a Tensor, got object'], call: (d) => F.linear(f32([2, 3], d), bad([[1, 2, 3]])) },
];

const extraArgs: BadCall[] = [
  ['relu', 'takes (x); got 1 more argument (true)', (d: DeviceName) => (F.relu as (...a: unknown[]) => unknown)(f32([2], d), true)],
  ['leakyRelu', 'takes (x, negativeSlope = 0.01); got 1 more argument (true)', (d: DeviceName) => (F.leakyRelu as (...a: unknown[]) => unknown)(f32([2], d), 0.1, true)],
  ['softmax', "takes (x, dim); got 1 more argument ('float32')", (d: DeviceName) => (F.softmax as (...a: unknown[]) => unknown)(f32([2], d), -1, 'float32')],
  ['dropout', 'takes (x, p = 0.5, training = true); got 1 more argument (true)', (d: DeviceName) => (F.dropout as (...a: unknown[]) => unknown)(f32([2], d), 0.5, true, true)],
  ['conv2d', 'takes (x, weight, bias?, options?); got 1 more argument', (d: DeviceName) => (F.conv2d as (...a: unknown[]) => unknown)(img(d), w2(d), null, {}, 2)],
  ['linear', 'takes (x, weight, bias?); got 1 more argument', (d: DeviceName) => (F.linear as (...a: unknown[]) => unknown)(f32([2, 3], d), f32([4, 3], d), null, 1)],
  ['crossEntropy', 'takes (input, target, options?); got 1 more argument', (d: DeviceName) => (F.crossEntropy as (...a: unknown[]) => unknown)(logits(d), idx([0, 1], d), {}, 'mean')],
  ['crossEntropy', 'options must be a plain object', (d: DeviceName) => (F.crossEntropy as (...a: unknown[]) => unknown)(logits(d), idx([0, 1], d), f32([3], d))],
  ['batchNorm', 'takes (x, runningMean, runningVar, weight?, bias?, options?); got 1 more argument', (d: DeviceName) => (F.batchNorm as (...a: unknown[]) => unknown)(f32([2, 3], d), null, null, null, null, {}, true)],
].map(([op, msg, call]) => ({ what: `${op}: ${String(msg)}`, kind: 'wrong type' as const, op: op as string, expect: [msg as string], call: call as (d: DeviceName) => unknown }));

export const cases: BadCall[] = [...unknownOption, ...outOfRange, ...other, ...extraArgs];
