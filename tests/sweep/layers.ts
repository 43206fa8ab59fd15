/** Refused layer, module and loss-module calls: constructor arguments, options, assignments. */
import * as wg from '../../src/index.js';
import type { BadCall } from './types.js';

const { nn } = wg;
type AnyCtor = new (...a: unknown[]) => wg.nn.Module;
const make = (C: unknown, ...a: unknown[]) => new (C as AnyCtor)(...a);

/** A construction refused before any tensor is made (device-independent: cpu only). */
const ctor = (what: string, kind: BadCall['kind'], op: string, expect: (string | RegExp)[], C: unknown, ...args: unknown[]): BadCall => ({
  what, kind, op, expect, cpuOnly: true, call: () => make(C, ...args),
});

export const cases: BadCall[] = [
  // Linear
  ctor('Linear with inFeatures 0', 'out of range', 'Linear', ['inFeatures must be an integer >= 1', 'got 0'], nn.Linear, 0, 3),
  ctor('Linear with a fractional outFeatures', 'out of range', 'Linear', ['outFeatures must be an integer >= 1', 'got 2.5'], nn.Linear, 3, 2.5),
  ctor('Linear without outFeatures', 'wrong type', 'Linear', ['outFeatures must be', 'got undefined'], nn.Linear, 3),
  ctor('Linear with bias "no"', 'wrong type', 'Linear', ['bias must be true or false', "got 'no'"], nn.Linear, 3, 2, 'no'),
  ctor('Linear with too many positional arguments', 'wrong type', 'Linear', ['too many positional arguments', '(inFeatures, outFeatures, bias, options)'], nn.Linear, 3, 2, true, 1),
  ctor('Linear with an options object before a positional one', 'wrong type', 'Linear', ['the options object must be the last argument'], nn.Linear, 3, 2, {}, true),
  ctor('Linear with bias given twice', 'wrong type', 'Linear', ['bias is given twice'], nn.Linear, 3, 2, false, { bias: true }),
  ctor("Linear with 'in_features'", 'unknown option', 'Linear', ["unknown option 'in_features'"], nn.Linear, 3, 2, { in_features: 3 }),
  ctor("Linear with device 'gpu'", 'device', 'Linear', ["device must be one of 'cpu', 'webgpu'", "got 'gpu'"], nn.Linear, 3, 2, { device: 'gpu' }),
  ctor("Linear with dtype 'int32'", 'dtype', 'Linear', ["dtype must be one of 'float32', 'float16', 'float64'", "got 'int32'"], nn.Linear, 3, 2, { dtype: 'int32' }),
  // convolutions
  ctor('Conv2d with kernel size 0', 'out of range', 'Conv2d', ['kernelSize must be an integer >= 1 or [h, w] of them', 'got 0'], nn.Conv2d, 1, 8, 0),
  ctor('Conv2d with stride 0', 'out of range', 'Conv2d', ['stride must be an integer >= 1', 'got 0'], nn.Conv2d, 1, 8, 3, 0),
  ctor('Conv2d with negative padding', 'out of range', 'Conv2d', ['padding must be an integer >= 0', 'got -1'], nn.Conv2d, 1, 8, 3, 1, -1),
  ctor('Conv2d with dilation 0', 'out of range', 'Conv2d', ['dilation must be an integer >= 1', 'got 0'], nn.Conv2d, 1, 8, 3, 1, 0, 0),
  ctor('Conv2d with groups not dividing the channels', 'out of range', 'Conv2d', ['must be divisible by groups (3)'], nn.Conv2d, 4, 6, 3, 1, 0, 1, 3),
  ctor('Conv2d with groups 0', 'out of range', 'Conv2d', ['groups must be an integer >= 1', 'got 0'], nn.Conv2d, 4, 4, 3, { groups: 0 }),
  ctor('Conv2d with a three-element kernel size', 'shape', 'Conv2d', ['kernelSize must be', '[h, w]', 'got [3, 3, 3]'], nn.Conv2d, 1, 8, [3, 3, 3]),
  ctor("Conv2d with padding 'same' and stride 2", 'out of range', 'Conv2d', ["padding 'same' needs stride 1", 'got stride 2'], nn.Conv2d, 1, 8, 3, 2, 'same'),
  ctor("Conv2d with paddingMode 'reflect'", 'out of range', 'Conv2d', ["paddingMode must be one of 'zeros'", "got 'reflect'"], nn.Conv2d, 1, 8, 3, { paddingMode: 'reflect' }),
  ctor("Conv2d with 'kernel_size' (snake_case)", 'unknown option', 'Conv2d', ["unknown option 'kernel_size'"], nn.Conv2d, 1, 8, 3, { kernel_size: 3 }),
  ctor("Conv2d with 'strides'", 'unknown option', 'Conv2d', ["unknown option 'strides'", "did you mean 'stride'"], nn.Conv2d, 1, 8, 3, { strides: 2 }),
  ctor('Conv2d with ten positional arguments', 'wrong type', 'Conv2d', ['too many positional arguments'], nn.Conv2d, 1, 8, 3, 1, 0, 1, 1, true, 'zeros', 5),
  ctor('Conv2d with stride given twice', 'wrong type', 'Conv2d', ['stride is given twice'], nn.Conv2d, 1, 8, 3, 2, { stride: 2 }),
  ctor('Conv2d with inChannels 0', 'out of range', 'Conv2d', ['inChannels must be an integer >= 1', 'got 0'], nn.Conv2d, 0, 8, 3),
  ctor('Conv1d with a [h, w] kernel', 'shape', 'Conv1d', ['kernelSize must be an integer >= 1 or [l] of them'], nn.Conv1d, 1, 8, [3, 3]),
  ctor('Conv1d with stride -1', 'out of range', 'Conv1d', ['stride must be an integer >= 1', 'got -1'], nn.Conv1d, 1, 8, 3, -1),
  ctor('ConvTranspose2d with outputPadding >= stride and dilation', 'out of range', 'ConvTranspose2d', ['outputPadding must be smaller than the stride or the dilation'], nn.ConvTranspose2d, 4, 2, 3, 2, 1, 2),
  ctor("ConvTranspose2d with padding 'same'", 'wrong type', 'ConvTranspose2d', ['padding must be an integer >= 0', "got 'same'"], nn.ConvTranspose2d, 4, 2, 3, 1, 'same'),
  ctor('ConvTranspose2d with groups not dividing the channels', 'out of range', 'ConvTranspose2d', ['must be divisible by groups (3)'], nn.ConvTranspose2d, 4, 2, 3, { groups: 3 }),
  // pooling
  ctor('MaxPool2d with kernel size 0', 'out of range', 'MaxPool2d', ['kernelSize must be an integer >= 1', 'got 0'], nn.MaxPool2d, 0),
  ctor('MaxPool2d with stride 0', 'out of range', 'MaxPool2d', ['stride must be an integer >= 1', 'got 0'], nn.MaxPool2d, 2, 0),
  ctor('MaxPool2d with padding over half the kernel', 'out of range', 'MaxPool2d', ['padding must be at most half the kernel size'], nn.MaxPool2d, 2, 2, 2),
  ctor("MaxPool2d with 'ceil_mode'", 'unknown option', 'MaxPool2d', ["unknown option 'ceil_mode'", "did you mean 'ceilMode'"], nn.MaxPool2d, 2, { ceil_mode: true }),
  ctor('MaxPool2d with seven positional arguments', 'wrong type', 'MaxPool2d', ['too many positional arguments'], nn.MaxPool2d, 2, 2, 0, 1, false, false, 1),
  ctor('AvgPool2d with negative padding', 'out of range', 'AvgPool2d', ['padding must be an integer >= 0', 'got -1'], nn.AvgPool2d, 3, 1, -1),
  ctor('AvgPool2d with divisorOverride 0', 'out of range', 'AvgPool2d', ['divisorOverride must be an integer >= 1', 'got 0'], nn.AvgPool2d, 2, { divisorOverride: 0 }),
  ctor('AvgPool2d with countIncludePad 1', 'wrong type', 'AvgPool2d', ['countIncludePad must be true or false', 'got 1'], nn.AvgPool2d, 2, 2, 0, false, 1),
  ctor('AdaptiveAvgPool2d with output size 0', 'out of range', 'AdaptiveAvgPool2d', ['outputSize must be a positive integer', 'got 0'], nn.AdaptiveAvgPool2d, 0),
  ctor('AdaptiveAvgPool2d with an extra argument', 'wrong type', 'AdaptiveAvgPool2d', ['too many positional arguments'], nn.AdaptiveAvgPool2d, 1, 2),
  // normalization
  ctor('BatchNorm2d with numFeatures 0', 'out of range', 'BatchNorm2d', ['numFeatures must be an integer >= 1', 'got 0'], nn.BatchNorm2d, 0),
  ctor('BatchNorm2d with momentum 1.5', 'out of range', 'BatchNorm2d', ['momentum must be a finite number >= 0 and <= 1', 'got 1.5'], nn.BatchNorm2d, 4, 1e-5, 1.5),
  ctor('BatchNorm1d with negative eps', 'out of range', 'BatchNorm1d', ['eps must be a finite number >= 0', 'got -1'], nn.BatchNorm1d, 4, -1),
  ctor('BatchNorm1d with affine "yes"', 'wrong type', 'BatchNorm1d', ['affine must be true or false'], nn.BatchNorm1d, 4, { affine: 'yes' }),
  ctor("BatchNorm1d with 'track_running_stats'", 'unknown option', 'BatchNorm1d', ["unknown option 'track_running_stats'", "did you mean 'trackRunningStats'"], nn.BatchNorm1d, 4, { track_running_stats: false }),
  ctor('BatchNorm2d with six positional arguments', 'wrong type', 'BatchNorm2d', ['too many positional arguments'], nn.BatchNorm2d, 4, 1e-5, 0.1, true, true, 1),
  ctor('LayerNorm with shape [0]', 'out of range', 'LayerNorm', ['normalizedShape must be a positive integer or a non-empty list', 'got [0]'], nn.LayerNorm, [0]),
  ctor("LayerNorm with 'elementwise_affine'", 'unknown option', 'LayerNorm', ["unknown option 'elementwise_affine'"], nn.LayerNorm, 4, { elementwise_affine: false }),
  ctor('LayerNorm with NaN eps', 'out of range', 'LayerNorm', ['eps must be a finite number >= 0', 'got NaN'], nn.LayerNorm, 4, NaN),
  ctor('GroupNorm with channels not divisible by groups', 'out of range', 'GroupNorm', ['numChannels (6) must be divisible by numGroups (4)'], nn.GroupNorm, 4, 6),
  ctor('GroupNorm with numGroups 0', 'out of range', 'GroupNorm', ['numGroups must be an integer >= 1', 'got 0'], nn.GroupNorm, 0, 4),
  // dropout, embedding, shape layers
  ctor('Dropout with p 1.5', 'out of range', 'Dropout', ['p must be in [0, 1]', 'got 1.5'], nn.Dropout, 1.5),
  ctor('Dropout with p -0.1', 'out of range', 'Dropout', ['p must be in [0, 1]', 'got -0.1'], nn.Dropout, -0.1),
  ctor('Dropout with inplace true', 'out of range', 'Dropout', ['inplace = true is not supported'], nn.Dropout, 0.5, true),
  ctor("Dropout with 'rate'", 'unknown option', 'Dropout', ["unknown option 'rate'"], nn.Dropout, { rate: 0.5 }),
  ctor('Embedding with paddingIdx out of range', 'out of range', 'Embedding', ['paddingIdx must be in [-10, 9] for 10 embeddings', 'got 10'], nn.Embedding, 10, 3, 10),
  ctor('Embedding with a fractional paddingIdx', 'out of range', 'Embedding', ['paddingIdx must be an integer', 'got 1.5'], nn.Embedding, 10, 3, 1.5),
  ctor('Embedding with maxNorm positionally (unsupported)', 'wrong type', 'Embedding', ['too many positional arguments', 'paddingIdx'], nn.Embedding, 10, 3, 0, 1.0),
  ctor("Embedding with 'padding_idx'", 'unknown option', 'Embedding', ["unknown option 'padding_idx'", "did you mean 'paddingIdx'"], nn.Embedding, 10, 3, { padding_idx: 0 }),
  ctor('Embedding with embeddingDim 0', 'out of range', 'Embedding', ['embeddingDim must be an integer >= 1', 'got 0'], nn.Embedding, 10, 0),
  ctor('Flatten with a fractional startDim', 'out of range', 'Flatten', ['startDim must be an integer', 'got 1.5'], nn.Flatten, 1.5),
  ctor('Identity with an argument', 'wrong type', 'Identity', ['too many positional arguments'], nn.Identity, 54),
  // activations
  ctor('ReLU with inplace true', 'out of range', 'ReLU', ['inplace = true is not supported'], nn.ReLU, true),
  ctor('Sigmoid with an argument', 'wrong type', 'Sigmoid', ['too many positional arguments'], nn.Sigmoid, 1),
  ctor('LeakyReLU with a string slope', 'wrong type', 'LeakyReLU', ['negativeSlope must be a finite number', "got '0.1'"], nn.LeakyReLU, '0.1'),
  ctor("LeakyReLU with 'negative_slope'", 'unknown option', 'LeakyReLU', ["unknown option 'negative_slope'", "did you mean 'negativeSlope'"], nn.LeakyReLU, { negative_slope: 0.2 }),
  ctor("GELU with approximate 'fast'", 'out of range', 'GELU', ["approximate must be one of 'none', 'tanh'", "got 'fast'"], nn.GELU, 'fast'),
  ctor('Softplus with beta 0', 'out of range', 'Softplus', ['beta must be a finite number > 0', 'got 0'], nn.Softplus, 0),
  ctor('Hardtanh with maxVal below minVal', 'out of range', 'Hardtanh', ['maxVal must be greater than minVal'], nn.Hardtanh, 1, -1),
  ctor('Softmax with a fractional dim', 'out of range', 'Softmax', ['dim must be an integer', 'got 0.5'], nn.Softmax, 0.5),
  ctor('Sequential with a non-Module', 'wrong type', 'Sequential', ['argument 2 must be a Module', 'got 3'], nn.Sequential, new nn.ReLU(), 3),
  // losses
  ctor("CrossEntropyLoss with 'label_smoothing'", 'unknown option', 'CrossEntropyLoss', ["unknown option 'label_smoothing'", "did you mean 'labelSmoothing'"], nn.CrossEntropyLoss, { label_smoothing: 0.1 }),
  ctor('CrossEntropyLoss with labelSmoothing 1.5', 'out of range', 'CrossEntropyLoss', ['labelSmoothing must be a finite number >= 0 and <= 1', 'got 1.5'], nn.CrossEntropyLoss, { labelSmoothing: 1.5 }),
  ctor("MSELoss with reduction 'avg'", 'out of range', 'MSELoss', ["reduction must be one of 'mean', 'sum', 'none'", "got 'avg'"], nn.MSELoss, { reduction: 'avg' }),
  ctor('NLLLoss with a fractional ignoreIndex', 'out of range', 'NLLLoss', ['ignoreIndex must be an integer', 'got 0.5'], nn.NLLLoss, { ignoreIndex: 0.5 }),
  ctor('BCELoss with a weight that is not a tensor', 'wrong type', 'BCELoss', ['weight must be a Tensor or null', 'got [1, 2]'], nn.BCELoss, { weight: [1, 2] }),
  ctor("BCEWithLogitsLoss with 'pos_weight'", 'unknown option', 'BCEWithLogitsLoss', ["unknown option 'pos_weight'", "did you mean 'posWeight'"], nn.BCEWithLogitsLoss, { pos_weight: null }),
  ctor('SmoothL1Loss with negative beta', 'out of range', 'SmoothL1Loss', ['beta must be a finite number >= 0', 'got -1'], nn.SmoothL1Loss, { beta: -1 }),
  ctor('L1Loss with two arguments (PyTorch size_average, reduce)', 'wrong type', 'L1Loss', ['expected one options object, got 2 arguments'], nn.L1Loss, true, true),
  // module assignment
  {
    what: 'assigning a tensor that does not require grad to a parameter',
    kind: 'wrong type',
    op: 'Linear',
    expect: ["cannot assign a Tensor that does not require grad to 'bias', a parameter"],
    call: (device) => {
      const l = new nn.Linear(2, 2, { device });
      (l as unknown as Record<string, unknown>).bias = wg.zeros([2], { device, dtype: 'float32' });
    },
  },
  {
    what: 'assigning a number to a submodule',
    kind: 'wrong type',
    op: 'Sequential',
    expect: ["cannot assign 5 to '0', a submodule (a Module expected"],
    cpuOnly: true,
    call: () => {
      (new nn.Sequential(new nn.ReLU()) as unknown as Record<string, unknown>)['0'] = 5;
    },
  },
  {
    what: 'BatchNorm2d on a [N, C] input',
    kind: 'shape',
    op: 'BatchNorm2d',
    expect: ['expected input [N, 3, H, W]', 'got [2, 3]'],
    call: (device) => new nn.BatchNorm2d(3, { device }).forward(wg.ones([2, 3], { device, dtype: 'float32' })),
  },
];
