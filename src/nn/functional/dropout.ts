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
import { fmtShape } from '../../core/shape.js';
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

/** Channel dropout of x [N, C, ...] (or [C, ...] when x has unbatchedRank dims): one draw per channel. */
function channelDropout(op: string, x: Tensor, p: number, training: boolean, extra: never[], ranks: number[], unbatchedRank: number, expected: string): Tensor {
  noExtra(op, extra, '(x, p = 0.5, training = true)');
  checkInputs(op, x);
  checkNumber(op, 'p', p, { min: 0, max: 1 });
  checkBoolean(op, 'training', training);
  if (!isFloat(x.dtype)) throw new Error(`${op}: expected a floating-point input, got ${x.dtype}`);
  if (!ranks.includes(x.ndim)) throw new Error(`${op}: expected ${expected}, got shape ${fmtShape(x.shape)}`);
  if (!training || p === 0) return x;
  if (p === 1) return x.mul(0);
  // The channel dims keep their sizes; the rest are 1, so the mask broadcasts over each channel.
  const channelDims = x.ndim === unbatchedRank ? 1 : 2;
  const maskShape = x.shape.map((d, i) => (i < channelDims ? d : 1));
  const keep = rand(maskShape, { device: x.device }).ge(p);
  return where(keep, x.mul(1 / (1 - p)), 0);
}

/**
 * Channel-wise dropout of x [N, C, H, W], as `torch.nn.functional.dropout2d`: each channel
 * (n, c) is zeroed whole with probability p, the others scaled by 1 / (1 - p); only when
 * `training`. The mask comes from the same generator as dropout's (after `manualSeed(s)`, the same
 * call draws the same channels on cpu and webgpu). A 3-D input is refused: PyTorch reads it as
 * [N, C, L] (deprecated, with a warning), which is dropout1d's.
 */
export function dropout2d(x: Tensor, p = 0.5, training = true, ...extra: never[]): Tensor {
  return channelDropout('dropout2d', x, p, training, extra, [4], -1,
    'a 4-D [N, C, H, W] input (for [N, C, L] use dropout1d; for an unbatched [C, H, W], unsqueeze(0) first)');
}

/**
 * Channel-wise dropout of x [N, C, L] or unbatched [C, L], as `torch.nn.functional.dropout1d`:
 * each channel zeroed whole with probability p, the others scaled by 1 / (1 - p); only when
 * `training`.
 */
export function dropout1d(x: Tensor, p = 0.5, training = true, ...extra: never[]): Tensor {
  return channelDropout('dropout1d', x, p, training, extra, [2, 3], 2, 'a 3-D [N, C, L] or 2-D [C, L] input');
}
