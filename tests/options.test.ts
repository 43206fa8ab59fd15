import { describe, expect, it } from 'vitest';
import { checkOptions, checkNumber, checkChoice, closestName } from '../src/core/options.js';

describe('options checking', () => {
  it('an unknown key names the op, the key, a near miss and the accepted keys', () => {
    expect(() => checkOptions('SGD', { lr: 0.1, momentun: 0.9 }, ['lr', 'momentum', 'dampening'])).toThrow(
      "SGD: unknown option 'momentun' (did you mean 'momentum'?); accepted options: lr, momentum, dampening",
    );
  });
  it('snake_case spellings of camelCase options are suggested', () => {
    expect(closestName('batch_size', ['batchSize', 'shuffle'])).toBe('batchSize');
    expect(closestName('label_smoothing', ['labelSmoothing', 'weight', 'reduction'])).toBe('labelSmoothing');
    expect(closestName('keepDim', ['keepdim'])).toBe('keepdim');
  });
  it('a key far from every accepted one gets no suggestion', () => {
    expect(() => checkOptions('f', { zzz: 1 }, ['lr'])).toThrow("f: unknown option 'zzz'; accepted options: lr");
  });
  it('undefined passes and a non-object is refused', () => {
    expect(checkOptions('f', undefined, ['a'])).toBeUndefined();
    expect(() => checkOptions('f', 3, ['a'])).toThrow('f: options must be a plain object ({ a }), got 3');
    expect(() => checkOptions('f', [1], ['a'])).toThrow('got [1]');
  });
  it('numbers are range-checked with the range in the message', () => {
    expect(checkNumber('op', 'p', 0.5, { min: 0, max: 1 })).toBe(0.5);
    expect(() => checkNumber('dropout', 'p', 1.5, { min: 0, max: 1 })).toThrow('dropout: p must be a finite number >= 0 and <= 1, got 1.5');
    expect(() => checkNumber('op', 'lr', NaN, { min: 0 })).toThrow('op: lr must be a finite number >= 0, got NaN');
    expect(() => checkNumber('op', 'k', 0, { int: true, gt: 0 })).toThrow('op: k must be an integer > 0, got 0');
    expect(() => checkNumber('op', 'k', '3', {})).toThrow("op: k must be a finite number, got '3'");
  });
  it('choices name the accepted values', () => {
    expect(() => checkChoice('loss', 'reduction', 'avg', ['mean', 'sum', 'none'])).toThrow("loss: reduction must be one of 'mean', 'sum', 'none', got 'avg'");
  });
});
