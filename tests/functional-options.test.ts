/**
 * nn.functional's arguments: every options object is checked (unknown keys with did-you-mean,
 * choices, flags), and an argument past an op's last parameter is refused, not ignored.
 * (tests/sweep/functional.ts runs many more refused calls on both devices.)
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import { useDevices } from './helpers.js';

useDevices();
const F = wg.nn.functional;
const x = () => wg.tensor(new Float32Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] });
const t = () => wg.tensor(new Int32Array([0, 2]));
const call = (f: unknown, ...args: unknown[]) => (f as (...a: unknown[]) => unknown)(...args);

describe('nn.functional options', () => {
  it('crossEntropy refuses label_smoothing, naming labelSmoothing', () => {
    expect(() => F.crossEntropy(x(), t(), { label_smoothing: 0.1 } as never)).toThrow(
      "crossEntropy: unknown option 'label_smoothing' (did you mean 'labelSmoothing'?); accepted options: reduction, ignoreIndex, weight, labelSmoothing",
    );
  });

  it('an option whose value is undefined is accepted when the key is known', () => {
    expect(F.crossEntropy(x(), t(), { labelSmoothing: undefined, weight: undefined }).shape).toEqual([]);
  });

  it('a loss refuses an option that only another loss has', () => {
    expect(() => F.mseLoss(x(), x(), { ignoreIndex: 0 } as never)).toThrow("mseLoss: unknown option 'ignoreIndex'; accepted options: reduction");
  });

  it('a reduction that is not mean, sum or none names the choices, with did-you-mean', () => {
    expect(() => F.l1Loss(x(), x(), { reduction: 'SUM' as never })).toThrow("l1Loss: reduction must be one of 'mean', 'sum', 'none', got 'SUM' (did you mean 'sum'?)");
  });

  it('conv2d refuses PyTorch snake_case names with the camelCase one', () => {
    const img = wg.ones([1, 1, 4, 4], { dtype: 'float32' });
    const w = wg.ones([1, 1, 3, 3], { dtype: 'float32' });
    expect(() => F.convTranspose2d(img, w, null, { output_padding: 1 } as never)).toThrow("convTranspose2d: unknown option 'output_padding' (did you mean 'outputPadding'?)");
  });

  it('maxPool2d refuses a flag that is not a boolean', () => {
    expect(() => F.maxPool2d(wg.ones([1, 1, 4, 4], { dtype: 'float32' }), 2, { ceilMode: 1 as never })).toThrow('maxPool2d: ceilMode must be true or false, got 1');
  });

  it('softmax without dim says it is required', () => {
    expect(() => call(F.softmax, x())).toThrow("softmax: dim is required (PyTorch's implicit dim is deprecated), e.g. softmax(x, -1)");
  });
});

describe('nn.functional extra arguments', () => {
  it("relu(x, true) (PyTorch's inplace) is refused", () => {
    expect(() => call(F.relu, x(), true)).toThrow('relu: takes (x); got 1 more argument (true)');
  });

  it("softmax(x, dim, dtype) is refused (the dtype would be ignored)", () => {
    expect(() => call(F.softmax, x(), 1, 'float64')).toThrow("softmax: takes (x, dim); got 1 more argument ('float64')");
  });

  it('a loss given a weight Tensor positionally says options must be an object', () => {
    expect(() => call(F.nllLoss, x(), t(), wg.ones([3], { dtype: 'float32' }))).toThrow('nllLoss: options must be a plain object ({ reduction, ignoreIndex, weight }), got a Tensor');
  });
});

describe('nn.init arguments', () => {
  it("kaiming mode 'fan_in' gets did-you-mean 'fanIn'", () => {
    expect(() => wg.nn.init.kaimingUniform(wg.zeros([2, 2], { dtype: 'float32' }), { mode: 'fan_in' as never })).toThrow(
      "kaimingUniform: mode must be one of 'fanIn', 'fanOut', got 'fan_in' (did you mean 'fanIn'?)",
    );
  });

  it('normal refuses a negative std', () => {
    expect(() => wg.nn.init.normal(wg.zeros([2], { dtype: 'float32' }), 0, -0.1)).toThrow('normal: std must be a finite number >= 0, got -0.1');
  });

  it('init refuses something that is not a Tensor', () => {
    expect(() => wg.nn.init.xavierUniform([1, 2] as never)).toThrow('xavierUniform: expected a Tensor to fill, got [1, 2]');
  });
});
