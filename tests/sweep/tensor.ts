/** Refused calls on the tensor side: creation, views, reductions, indexing, elementwise, grad mode. */
import * as wg from '../../src/index.js';
import type { DeviceName, DType } from '../../src/index.js';
import type { BadCall } from './types.js';

const ones = (device: DeviceName, shape: number[] = [2, 3], dtype: DType = 'float32') => wg.ones(shape, { device, dtype });
const any = <T>(f: T) => f as unknown as (...a: unknown[]) => unknown;

export const cases: BadCall[] = [
  // ---- creation: options -------------------------------------------------------------------------
  { what: 'rand with a misspelt device option', kind: 'unknown option', op: 'rand', expect: ["unknown option 'devcie'", "did you mean 'device'"], call: (device) => wg.rand([2], { devcie: device } as never) },
  { what: 'zeros with a misspelt dtype option', kind: 'unknown option', op: 'zeros', expect: ["unknown option 'dtpye'", "did you mean 'dtype'"], call: (device) => wg.zeros([2], { device, dtpye: 'int32' } as never) },
  { what: 'ones with requires_grad in snake_case', kind: 'unknown option', op: 'ones', expect: ["unknown option 'requires_grad'", "did you mean 'requiresGrad'"], call: (device) => wg.ones([2], { device, requires_grad: true } as never) },
  { what: 'tensor with an unknown option', kind: 'unknown option', op: 'tensor', expect: ["unknown option 'shap'", "did you mean 'shape'"], call: (device) => wg.tensor([1, 2], { device, shap: [2] } as never) },
  { what: 'randn with sigma instead of std', kind: 'unknown option', op: 'randn', expect: ["unknown option 'sigma'", 'accepted options: dtype, device, requiresGrad, mean, std'], call: (device) => wg.randn([2], { device, sigma: 1 } as never) },
  { what: 'rand with min/max instead of low/high', kind: 'unknown option', op: 'rand', expect: ["unknown option 'min'"], call: (device) => wg.rand([2], { device, min: 0 } as never) },
  { what: 'full with an unknown option', kind: 'unknown option', op: 'full', expect: ["unknown option 'fill'"], call: (device) => wg.full([2], 1, { device, fill: 2 } as never) },
  { what: 'arange with an unknown option', kind: 'unknown option', op: 'arange', expect: ["unknown option 'step'"], call: (device) => wg.arange(0, 5, { device, step: 2 } as never) },
  { what: 'linspace with an unknown option', kind: 'unknown option', op: 'linspace', expect: ["unknown option 'num'"], call: (device) => wg.linspace(0, 1, 5, { device, num: 5 } as never) },
  { what: 'eye with an unknown option', kind: 'unknown option', op: 'eye', expect: ["unknown option 'k'"], call: (device) => wg.eye(3, { device, k: 1 } as never) },
  { what: 'randint with an unknown option', kind: 'unknown option', op: 'randint', expect: ["unknown option 'generator'"], call: (device) => wg.randint(0, 5, [2], { device, generator: 1 } as never) },
  { what: 'zerosLike with a shape option', kind: 'unknown option', op: 'zerosLike', expect: ["unknown option 'shape'"], call: (device) => wg.zerosLike(ones(device), { shape: [2] } as never) },
  { what: 'empty with a misspelt option', kind: 'unknown option', op: 'empty', expect: ["unknown option 'devices'", "did you mean 'device'"], call: (device) => wg.empty([2], { devices: device } as never) },
  { what: 'tensor with options that are not an object', kind: 'wrong type', op: 'tensor', expect: ['options must be a plain object'], call: () => wg.tensor([1], 5 as never) },

  // ---- creation: values --------------------------------------------------------------------------
  { what: 'zeros too large for a typed array', kind: 'out of range', op: 'zeros', expect: ['too large for cpu', '1000000000000 elements', 'the limit is 4294967296'], cpuOnly: true, call: () => wg.zeros([1e6, 1e6], { device: 'cpu' }) },
  { what: 'zeros with a negative dim', kind: 'out of range', op: 'zeros', expect: ['invalid shape [2, -1]', 'integers >= 0'], call: (device) => wg.zeros(2, -1, { device }) },
  { what: 'ones with a fractional dim', kind: 'out of range', op: 'ones', expect: ['invalid shape [2.5]'], call: (device) => wg.ones([2.5], { device }) },
  { what: 'rand with a string dim', kind: 'wrong type', op: 'rand', expect: ["argument 2 is '3'"], call: (device) => any(wg.rand)(2, '3', { device }) },
  { what: 'zeros with a dtype string among the dims', kind: 'wrong type', op: 'zeros', expect: ["pass the dtype as an option: { dtype: 'int32' }"], call: () => any(wg.zeros)(2, 'int32') },
  { what: 'zeros with no shape at all', kind: 'wrong type', op: 'zeros', expect: ['expected a shape'], call: () => any(wg.zeros)() },
  { what: 'full with a string shape', kind: 'wrong type', op: 'full', expect: ['shape must be a number or an array of numbers', "'2'"], call: (device) => wg.full('2' as never, 1, { device }) },
  { what: 'full with a string value', kind: 'wrong type', op: 'full', expect: ['fill value must be a number or a boolean', "'7'"], call: (device) => wg.full([2], '7' as never, { device }) },
  { what: 'randn with a negative std', kind: 'out of range', op: 'randn', expect: ['std must be a finite number >= 0, got -1'], call: (device) => wg.randn([2], { device, std: -1 }) },
  { what: 'randn with a NaN mean', kind: 'out of range', op: 'randn', expect: ['mean must be a finite number, got NaN'], call: (device) => wg.randn([2], { device, mean: NaN }) },
  { what: 'rand with low above high', kind: 'out of range', op: 'rand', expect: ['need low < high, got low=2, high=1'], call: (device) => wg.rand([2], { device, low: 2, high: 1 }) },
  { what: 'randint with low = high', kind: 'out of range', op: 'randint', expect: ['need integers low < high', 'low=3, high=3'], call: (device) => wg.randint(3, 3, [2], { device }) },
  { what: 'randint with a fractional bound', kind: 'out of range', op: 'randint', expect: ['high must be an integer, got 2.5'], call: (device) => wg.randint(0, 2.5, [2], { device }) },
  { what: 'randint without a shape', kind: 'wrong type', op: 'randint', expect: ['expected randint(low, high, shape)'], call: () => any(wg.randint)(0, 5) },
  { what: 'eye of a negative size', kind: 'out of range', op: 'eye', expect: ['n must be an integer >= 0, got -2'], call: (device) => wg.eye(-2, { device }) },
  { what: 'eye with a fractional column count', kind: 'out of range', op: 'eye', expect: ['m must be an integer >= 0, got 1.5'], call: (device) => wg.eye(2, 1.5, { device }) },
  { what: 'arange with step 0', kind: 'out of range', op: 'arange', expect: ['step must be nonzero'], call: (device) => wg.arange(0, 5, 0, { device }) },
  { what: 'arange with an infinite end', kind: 'out of range', op: 'arange', expect: ['end must be a finite number, got Infinity'], call: (device) => wg.arange(0, Infinity, 1, { device }) },
  { what: 'arange with a string end', kind: 'wrong type', op: 'arange', expect: ["end must be a finite number, got '5'"], call: (device) => wg.arange(0, '5' as never, 1, { device }) },
  { what: 'linspace with a fractional number of steps', kind: 'out of range', op: 'linspace', expect: ['steps must be an integer >= 0, got 2.5'], call: (device) => wg.linspace(0, 1, 2.5, { device }) },
  { what: 'tensor with an unknown dtype string', kind: 'dtype', op: 'tensor', expect: ["unknown dtype 'bfloat16'", 'expected float32, float16, int32, float64, bool, int8 or uint8'], call: () => wg.tensor([1], 'bfloat16' as never) },
  { what: 'tensor of strings', kind: 'wrong type', op: 'tensor', expect: ["expected a number or boolean at [0], got 'a'"], call: (device) => wg.tensor(['a'] as never, { device }) },
  { what: 'tensor of an object', kind: 'wrong type', op: 'tensor', expect: ['expected nested arrays of numbers or booleans'], call: (device) => wg.tensor({ a: 1 } as never, { device }) },
  { what: 'tensor of an unsupported typed array', kind: 'dtype', op: 'tensor', expect: ['a Int16Array is not supported'], call: (device) => wg.tensor(new Int16Array(2) as never, { device }) },
  { what: 'tensor requiring grad of int32 data', kind: 'dtype', op: 'tensor', expect: ['only floating-point tensors can require gradients'], call: (device) => wg.tensor([1, 2], { device, dtype: 'int32', requiresGrad: true }) },
  { what: 'ones with a non-boolean requiresGrad', kind: 'wrong type', op: 'ones', expect: ["requiresGrad must be true or false, got 'yes'"], call: (device) => wg.ones([2], { device, requiresGrad: 'yes' as never }) },

  // ---- reductions --------------------------------------------------------------------------------
  { what: 'sum with keepDim (camelCase) instead of keepdim', kind: 'unknown option', op: 'sum', expect: ["unknown option 'keepDim'", "did you mean 'keepdim'"], call: (device) => ones(device).sum(1, { keepDim: true } as never) },
  { what: 'mean with keep_dim', kind: 'unknown option', op: 'mean', expect: ["unknown option 'keep_dim'", "did you mean 'keepdim'"], call: (device) => ones(device).mean(1, { keep_dim: true } as never) },
  { what: 'sum({ dims }) instead of { dim }', kind: 'unknown option', op: 'sum', expect: ["unknown option 'dims'", "did you mean 'dim'"], call: (device) => ones(device).sum({ dims: 1 } as never) },
  { what: 'var with a misspelt correction', kind: 'unknown option', op: 'var', expect: ["unknown option 'corection'", "did you mean 'correction'"], call: (device) => ones(device).var(1, { corection: 0 } as never) },
  { what: 'std with unbiased as an option', kind: 'unknown option', op: 'std', expect: ["unknown option 'unbiased'"], call: (device) => ones(device).std(1, { unbiased: false } as never) },
  { what: 'var with a negative correction', kind: 'out of range', op: 'var', expect: ['correction must be a finite number >= 0, got -1'], call: (device) => ones(device).var(1, { correction: -1 }) },
  { what: 'sum with a string dim', kind: 'wrong type', op: 'sum', expect: ["dim must be a number, an array of numbers, or null for all dims, got '1'"], call: (device) => ones(device).sum('1' as never) },
  { what: 'mean with a string keepdim', kind: 'wrong type', op: 'mean', expect: ["keepdim must be true or false, or an options object", "got 'yes'"], call: (device) => ones(device).mean(1, 'yes' as never) },
  { what: 'prod with keepdim given twice', kind: 'wrong type', op: 'prod', expect: ['with an options object first'], call: (device) => ones(device).prod({ dim: 1 }, true as never) },
  { what: 'sum over a fractional dim', kind: 'out of range', op: 'sum', expect: ['dim must be an integer, got 1.5'], call: (device) => ones(device).sum(1.5) },
  { what: 'max over a dim out of range', kind: 'out of range', op: 'max', expect: ['dim 2 is out of range for a tensor of rank 2'], call: (device) => ones(device).max(2) },
  { what: 'min with a non-boolean keepdim option', kind: 'wrong type', op: 'min', expect: ["keepdim must be true or false, got 'no'"], call: (device) => ones(device).min(0, { keepdim: 'no' as never }) },
  { what: 'argmax over a list of dims', kind: 'wrong type', op: 'argmax', expect: ['dim must be a single axis, got [0, 1]'], call: (device) => ones(device).argmax([0, 1] as never) },
  { what: 'logsumexp with a repeated dim', kind: 'shape', op: 'logsumexp', expect: ['repeats an axis'], call: (device) => ones(device).logsumexp([1, -1]) },

  // ---- views -------------------------------------------------------------------------------------
  { what: 'select past the end of a dim', kind: 'out of range', op: 'select', expect: ['index 10 is out of range for dim 0 of size 2', 'expected an integer from -2 to 1'], call: (device) => ones(device).select(0, 10) },
  { what: 'select from a 0-d tensor', kind: 'shape', op: 'select', expect: ['cannot select from a 0-d tensor'], call: (device) => ones(device, []).select(0, 0) },
  { what: 'select with a fractional index', kind: 'out of range', op: 'select', expect: ['index 0.5 is out of range for dim 1 of size 3'], call: (device) => ones(device).select(1, 0.5) },
  { what: 'reshape with a string dim', kind: 'wrong type', op: 'reshape', expect: ["expected dimensions as numbers", "got '6'"], call: (device) => ones(device).reshape('6' as never) },
  { what: 'view with two -1 dims', kind: 'shape', op: 'view', expect: ['only one dimension can be -1'], call: (device) => ones(device).view(-1, -1) },
  { what: 'permute with a string dim', kind: 'wrong type', op: 'permute', expect: ["got '1'"], call: (device) => ones(device).permute(0, '1' as never) },
  { what: 'transpose with a string dim', kind: 'wrong type', op: 'transpose', expect: ["dim must be an integer, got '0'"], call: (device) => ones(device).transpose('0' as never, 1) },
  { what: 'slice with a string spec', kind: 'wrong type', op: 'slice', expect: ["each spec must be an index, [start, stop, step], or null", "got 'a' for dim 0"], call: (device) => ones(device).slice('a' as never) },
  { what: 'narrow past the end', kind: 'out of range', op: 'narrow', expect: ['start 2 and length 2 do not fit dim 1 of size 3'], call: (device) => ones(device).narrow(1, 2, 2) },
  { what: 'unsqueeze at a dim out of range', kind: 'out of range', op: 'unsqueeze', expect: ['dim 5 is out of range'], call: (device) => ones(device).unsqueeze(5) },
  { what: 'expand to a mismatched size', kind: 'shape', op: 'expand', expect: ['cannot expand shape [2, 3] to [2, 4]'], call: (device) => ones(device).expand(2, 4) },
  { what: 'flatten with startDim after endDim', kind: 'out of range', op: 'flatten', expect: ['startDim 1 comes after endDim 0'], call: (device) => ones(device).flatten(1, 0) },

  { what: 'unsqueeze with a string dim', kind: 'wrong type', op: 'unsqueeze', expect: ["dim must be an integer, got '1'"], call: (device) => ones(device).unsqueeze('1' as never) },
  { what: 'narrow with a string start', kind: 'wrong type', op: 'narrow', expect: ["start and length must be integers, got start '0'"], call: (device) => ones(device).narrow(1, '0' as never, 1) },
  { what: 'slice with a string bound', kind: 'wrong type', op: 'slice', expect: ["slice bounds must be integers, got '2' on dim 0"], call: (device) => ones(device).slice([0, '2' as never]) },
  { what: 'stack along a string dim', kind: 'wrong type', op: 'stack', expect: ["dim must be an integer, got '0'"], call: (device) => wg.stack([ones(device)], '0' as never) },
  { what: 'to an unknown device', kind: 'device', op: 'to', expect: ["unknown device 'gpu'", "expected 'cpu', 'webgpu', 'wasm'"], call: (device) => ones(device).to('gpu' as never) },

  // ---- indexing ----------------------------------------------------------------------------------
  { what: 'gather with a bool index', kind: 'dtype', op: 'gather', expect: ['index must hold integer indices', 'got a bool tensor'], call: (device) => ones(device).gather(1, wg.zeros([2, 1], { device, dtype: 'bool' })) },
  { what: 'gather with a fractional float index', kind: 'dtype', op: 'gather', expect: ['index must hold integers, got 0.5', ".cast('int32')"], cpuOnly: true, call: () => ones('cpu').gather(1, wg.tensor([[0.5], [1]], { device: 'cpu' })) },
  { what: 'indexSelect with a 2-D index', kind: 'shape', op: 'indexSelect', expect: ['index must be 1-D, got shape [2, 2]'], call: (device) => ones(device).indexSelect(0, wg.zeros([2, 2], { device, dtype: 'int32' })) },
  { what: 'scatterAdd with a bool index', kind: 'dtype', op: 'scatterAdd', expect: ['index must hold integer indices'], call: (device) => wg.zeros([3], { device }).scatterAdd(0, wg.zeros([2], { device, dtype: 'bool' }), wg.ones([2], { device })) },
  { what: 'gather with an index that is not a tensor', kind: 'wrong type', op: 'gather', expect: ['index must be a Tensor'], call: (device) => ones(device).gather(1, [0, 1] as never) },
  { what: 'cat of an empty list', kind: 'shape', op: 'cat', expect: ['expected a non-empty array of tensors'], call: () => wg.cat([]) },

  { what: 'embedding with float indices from tensor([...])', kind: 'dtype', op: 'embedding', expect: ['indices must be an int32 tensor, got float32', ".cast('int32')"], call: (device) => wg.F.embedding(wg.tensor([0, 1], { device }), wg.ones([3, 2], { device })) },
  { what: 'oneHot with float indices from tensor([...])', kind: 'dtype', op: 'oneHot', expect: ['indices must be an int32 tensor, got float32', ".cast('int32')"], call: (device) => wg.F.oneHot(wg.tensor([0, 1], { device }), 3) },
  { what: 'crossEntropy with float class indices from tensor([...])', kind: 'dtype', op: 'crossEntropy', expect: ['class indices must be int32', ".cast('int32')"], call: (device) => wg.F.crossEntropy(wg.ones([2, 3], { device }), wg.tensor([0, 2], { device })) },

  // ---- elementwise -------------------------------------------------------------------------------
  { what: 'neg of a bool tensor', kind: 'dtype', op: 'neg', expect: ['negation of a bool tensor is not supported', 'logicalNot'], call: (device) => ones(device, [2], 'bool').neg() },
  { what: 'sub of two bool tensors', kind: 'dtype', op: 'sub', expect: ['subtraction of two bool tensors is not supported'], call: (device) => ones(device, [2], 'bool').sub(ones(device, [2], 'bool')) },
  { what: 'add with a string operand', kind: 'wrong type', op: 'add', expect: ['expected a Tensor or a number, got string'], call: (device) => ones(device).add('1' as never) },
  { what: 'cast to an unknown dtype', kind: 'dtype', op: 'cast', expect: ["unknown dtype 'half'"], call: (device) => ones(device).cast('half' as never) },
  { what: 'clamp with a string bound', kind: 'wrong type', op: 'clamp', expect: ["min must be a Tensor, a number, or null, got '0'"], call: (device) => ones(device).clamp('0' as never) },
  { what: 'clamp with min above max', kind: 'out of range', op: 'clamp', expect: ['min (2) must not exceed max (1)'], call: (device) => ones(device).clamp(2, 1) },

  // ---- grad mode ---------------------------------------------------------------------------------
  { what: 'noGrad of something that is not a function', kind: 'wrong type', op: 'noGrad', expect: ['expected a function, got number'], cpuOnly: true, call: () => wg.noGrad(5 as never) },
  { what: 'enableGrad of null', kind: 'wrong type', op: 'enableGrad', expect: ['expected a function, got null'], cpuOnly: true, call: () => wg.enableGrad(null as never) },
  { what: 'setGradEnabled with a string', kind: 'wrong type', op: 'setGradEnabled', expect: ["expected true or false, got 'off'"], cpuOnly: true, call: () => wg.setGradEnabled('off' as never) },
];
