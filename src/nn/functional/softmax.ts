// webgrad.nn.functional: softmax and logSoftmax (see index.ts).
import { trace } from '../../autograd/node.js';
import { getBackend } from '../../runtime.js';
import { isFloat } from '../../core/dtype.js';
import { checkInputs, describe, empty } from '../../tensor/ops/core.js';
import { reshape } from '../../tensor/ops/views.js';
import { normAxis } from '../../core/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { checkNumber } from '../../core/options.js';
import { noExtra } from './args.js';

/** Runs the softmax kernel along `dim` of x (a 0-d x is a row of one). */
function softmaxKernel(op: 'softmax' | 'logSoftmax', x: Tensor, dim: number, log: boolean): Tensor {
  const device = checkInputs(op, x);
  if (dim === undefined) throw new Error(`${op}: dim is required (PyTorch's implicit dim is deprecated), e.g. ${op}(x, -1)`);
  checkNumber(op, 'dim', dim, { int: true });
  if (!isFloat(x.dtype)) {
    throw new Error(`${op}: expected a floating-point tensor, got ${describe(x)} (cast it with .float() first)`);
  }
  const d = normAxis(op, dim, x.ndim);
  if (x.ndim === 0) {
    const row = reshape(x, [1]);
    const out = softmaxKernel(op, row, 0, log);
    const r = reshape(out, []);
    row.dispose();
    out.dispose();
    return r;
  }
  const out = empty(op, device, x.dtype, x.shape);
  getBackend(device).softmax.softmax(x, d, log, out);
  return out;
}

/**
 * Softmax along `dim`: exp(x - max) / sum(exp(x - max)), so logits of +-1e4 neither overflow
 * nor vanish (softmax([1000, 1000]) = [0.5, 0.5]). As in PyTorch, a row whose elements are all
 * -inf (or that holds +inf or NaN) gives NaN. One kernel per call: a row per workgroup on
 * webgpu, reading the input in place whatever `dim` is.
 *
 * Gradient: y * (g - sum(g * y, dim)), with tensor ops, so second derivatives work.
 */
export function softmax(x: Tensor, dim: number, ...extra: never[]): Tensor {
  noExtra('softmax', extra, '(x, dim)');
  return trace(
    'softmax',
    [x],
    () => softmaxKernel('softmax', x, dim, false),
    (g, [y]) => {
      const gy = g.mul(y!);
      // A 0-d softmax is a row of one: the sum over the row is the element itself.
      return [y!.mul(g.sub(y!.ndim === 0 ? gy : gy.sum(normAxis('softmax', dim, y!.ndim), true)))];
    },
    (y) => [y],
  );
}

/**
 * log(softmax(x)) along `dim`, computed as x - max - log(sum(exp(x - max))): accurate where
 * softmax itself underflows to 0 (logSoftmax([0, -200]) = [0, -200]). A row of all -inf gives
 * NaN, as in PyTorch.
 *
 * Gradient: g - exp(y) * sum(g, dim), with tensor ops, so second derivatives work.
 */
export function logSoftmax(x: Tensor, dim: number, ...extra: never[]): Tensor {
  noExtra('logSoftmax', extra, '(x, dim)');
  return trace(
    'logSoftmax',
    [x],
    () => softmaxKernel('logSoftmax', x, dim, true),
    (g, [y]) => {
      const gs = y!.ndim === 0 ? g : g.sum(normAxis('logSoftmax', dim, y!.ndim), true);
      return [g.sub(y!.exp().mul(gs))];
    },
    (y) => [y],
  );
}
