/**
 * Dropout: zeroes each element with probability p and scales the rest by 1 / (1 - p), so the
 * expected value is unchanged. The mask comes from webgrad's counter-based generator on the
 * tensor's device (shaders/random.wgsl): after `manualSeed(s)` the same call draws the same
 * mask, on cpu and on webgpu alike.
 */
import { rand } from '../../tensor/creation.js';
import { checkInputs } from '../../tensor/ops/core.js';
import { where } from '../../tensor/ops/elementwise.js';
import { isFloat } from '../../core/dtype.js';
import type { Tensor } from '../../tensor/tensor.js';
import { checkBoolean, checkNumber } from '../../core/options.js';
import { noExtra } from './args.js';

/**
 * `training` false (eval) returns x unchanged. The gradient flows through the kept elements,
 * scaled. p = 1 zeroes everything (as PyTorch; its gradient is 0).
 */
export function dropout(x: Tensor, p = 0.5, training = true, ...extra: never[]): Tensor {
  noExtra('dropout', extra, '(x, p = 0.5, training = true)');
  checkInputs('dropout', x);
  checkNumber('dropout', 'p', p, { min: 0, max: 1 });
  checkBoolean('dropout', 'training', training);
  if (!isFloat(x.dtype)) throw new Error(`dropout: expected a floating-point input, got ${x.dtype}`);
  if (!training || p === 0) return x;
  if (p === 1) return x.mul(0);
  const keep = rand(x.shape, { device: x.device }).ge(p);
  return where(keep, x.mul(1 / (1 - p)), 0);
}
