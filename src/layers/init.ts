/**
 * `nn.init`: fill a parameter in place with values drawn as PyTorch's `torch.nn.init` does.
 * Draws use webgrad's seeded generator on the tensor's own device (manualSeed makes them
 * repeatable, the same on cpu and webgpu).
 */
import { noGrad } from '../autograd/mode.js';
import { full, rand, randn } from '../tensor/creation.js';
import { fmtShape } from '../core/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { isFloat } from '../core/dtype.js';
import { copyInto } from './module.js';
import { checkChoice, checkNumber, checkOptions, describe } from '../core/options.js';

const NONLINEARITIES = ['linear', 'conv1d', 'conv2d', 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu'] as const;

/** The tensor to fill: a Tensor, not disposed, of a floating-point dtype. */
function target(op: string, t: unknown): Tensor {
  if (!(t instanceof Tensor)) throw new Error(`${op}: expected a Tensor to fill, got ${describe(t)}`);
  if (t.isDisposed) throw new Error(`${op}: the tensor of shape ${fmtShape(t.shape)} was disposed`);
  if (!isFloat(t.dtype)) throw new Error(`${op}: expected a floating-point tensor, got ${t.dtype}`);
  return t;
}

export type Nonlinearity = 'linear' | 'conv1d' | 'conv2d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

/** The gain PyTorch recommends for a nonlinearity (leaky_relu takes its negative slope as `param`). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  checkChoice('calculateGain', 'nonlinearity', nonlinearity, NONLINEARITIES);
  if (param !== undefined && param !== null) {
    if (nonlinearity !== 'leaky_relu') throw new Error(`calculateGain: param is the negative slope of leaky_relu only, got param ${describe(param)} for '${nonlinearity}'`);
    checkNumber('calculateGain', 'param', param);
  }
  switch (nonlinearity) {
    case 'linear': case 'conv1d': case 'conv2d': case 'sigmoid': return 1;
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'leaky_relu': { const a = param ?? 0.01; return Math.sqrt(2 / (1 + a * a)); }
    case 'selu': return 3 / 4;
    default: throw new Error(`calculateGain: unknown nonlinearity '${String(nonlinearity)}'`);
  }
}

/** [fanIn, fanOut] of a weight: dim 1 and dim 0 times the receptive field (the dims after 1). */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  if (t.ndim < 2) throw new Error(`init: fan in and fan out need a tensor of at least 2 dims, got ${fmtShape(t.shape)}`);
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return [t.shape[1]! * receptive, t.shape[0]! * receptive];
}

function fill(t: Tensor, make: () => Tensor): Tensor {
  noGrad(() => {
    const v = make();
    copyInto(t, v);
    v.dispose();
  });
  return t;
}

/** U(low, high). */
export function uniform(t: Tensor, low = 0, high = 1): Tensor {
  target('uniform', t);
  checkNumber('uniform', 'low', low);
  checkNumber('uniform', 'high', high);
  if (low > high) throw new Error(`uniform: low (${low}) must not exceed high (${high})`);
  return fill(t, () => rand(t.shape, { device: t.device, dtype: t.dtype, low, high }));
}
/** N(mean, std^2). */
export function normal(t: Tensor, mean = 0, std = 1): Tensor {
  target('normal', t);
  checkNumber('normal', 'mean', mean);
  checkNumber('normal', 'std', std, { min: 0 });
  return fill(t, () => randn(t.shape, { device: t.device, dtype: t.dtype, mean, std }));
}
export function constant(t: Tensor, value: number): Tensor {
  target('constant', t);
  checkNumber('constant', 'value', value, { infinite: true });
  return fill(t, () => full(t.shape, value, { device: t.device, dtype: t.dtype }));
}
export const zeros = (t: Tensor) => constant(t, 0);
export const ones = (t: Tensor) => constant(t, 1);

export function xavierUniform(t: Tensor, gain = 1): Tensor {
  target('xavierUniform', t);
  checkNumber('xavierUniform', 'gain', gain, { min: 0 });
  const [fi, fo] = calculateFanInAndFanOut(t);
  const a = gain * Math.sqrt(6 / (fi + fo));
  return uniform(t, -a, a);
}
export function xavierNormal(t: Tensor, gain = 1): Tensor {
  target('xavierNormal', t);
  checkNumber('xavierNormal', 'gain', gain, { min: 0 });
  const [fi, fo] = calculateFanInAndFanOut(t);
  return normal(t, 0, gain * Math.sqrt(2 / (fi + fo)));
}

export interface KaimingOptions {
  /** The negative slope of the leaky_relu that follows (default 0). */
  a?: number;
  mode?: 'fanIn' | 'fanOut';
  nonlinearity?: Nonlinearity;
}

function kaimingStd(op: string, t: Tensor, o: KaimingOptions): number {
  target(op, t);
  checkOptions(op, o, ['a', 'mode', 'nonlinearity']);
  const mode = checkChoice(op, 'mode', o.mode ?? 'fanIn', ['fanIn', 'fanOut']);
  const nonlinearity = checkChoice(op, 'nonlinearity', o.nonlinearity ?? 'leaky_relu', NONLINEARITIES);
  const a = checkNumber(op, 'a', o.a ?? 0);
  if (o.a !== undefined && nonlinearity !== 'leaky_relu') throw new Error(`${op}: a is the negative slope of leaky_relu only, got a ${o.a} with nonlinearity '${nonlinearity}'`);
  const [fi, fo] = calculateFanInAndFanOut(t);
  const fan = mode === 'fanIn' ? fi : fo;
  if (fan === 0) throw new Error(`${op}: cannot initialize a tensor with no elements along its fan (shape ${fmtShape(t.shape)})`);
  return calculateGain(nonlinearity, nonlinearity === 'leaky_relu' ? a : undefined) / Math.sqrt(fan);
}
export function kaimingUniform(t: Tensor, o: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd('kaimingUniform', t, o);
  return uniform(t, -bound, bound);
}
export function kaimingNormal(t: Tensor, o: KaimingOptions = {}): Tensor {
  return normal(t, 0, kaimingStd('kaimingNormal', t, o));
}
