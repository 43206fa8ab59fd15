/** Scans along one dim: cumsum and cumprod (the kernel family src/kernels/cumsum/). */
import { getBackend } from '../../runtime.js';
import { normAxis } from '../../core/shape.js';
import { checkNumber, describe as describeValue } from '../../core/options.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, empty } from './core.js';
import { cast } from './elementwise.js';
import { reshape } from './views.js';
import { trace } from '../../autograd/node.js';

/**
 * The inclusive prefix sums of x along `dim`: out[..., k, ...] = x[..., 0, ...] + ... +
 * x[..., k, ...]. As PyTorch: `dim` may be negative, a 0-d x gives a 0-d copy (dim 0 or -1),
 * empty dims give an empty result. dtype: float32 and float64 stay; int32 stays int32 and
 * wraps around on overflow (PyTorch promotes integer cumsum to int64, which webgrad has not);
 * bool, int8 and uint8 sum as int32.
 *
 * Gradient: the reversed cumsum of g along dim (each x[k] feeds out[j] for j >= k).
 */
export function cumsum(x: Tensor, dim: number, ...extra: never[]): Tensor {
  if (extra.length > 0) {
    throw new Error(`cumsum: takes (x, dim); got ${extra.length} more argument${extra.length > 1 ? 's' : ''} (${extra.map(describeValue).join(', ')})`);
  }
  if (dim === undefined) throw new Error('cumsum: dim is required, e.g. cumsum(x, -1)');
  checkNumber('cumsum', 'dim', dim, { int: true });
  return scan(x, dim, false);
}

/** cumsum, or its adjoint (the suffix sums) when `reverse`; each is the other's backward. */
function scan(x: Tensor, dim: number, reverse: boolean): Tensor {
  return trace('cumsum', [x], () => scanKernel(x, dim, reverse), (g) => [scan(g, dim, !reverse)]);
}

function scanKernel(x: Tensor, dim: number, reverse: boolean): Tensor {
  const device = checkInputs('cumsum', x);
  const d = normAxis('cumsum', dim, x.ndim);
  if (x.dtype === 'bool' || x.dtype === 'int8' || x.dtype === 'uint8') {
    // Summed in int32, as PyTorch sums them in int64.
    const xi = cast(x, 'int32');
    const out = scanKernel(xi, d, reverse);
    xi.dispose();
    return out;
  }
  if (x.ndim === 0) {
    // A row of one.
    const row = reshape(x, [1]);
    const out = scanKernel(row, 0, reverse);
    const r = reshape(out, []);
    row.dispose();
    out.dispose();
    return r;
  }
  const out = empty('cumsum', device, x.dtype, x.shape);
  try {
    getBackend(device).cumsum.cumsum(x, d, reverse, out);
  } catch (e) {
    out.dispose();
    throw e;
  }
  return out;
}

/**
 * The inclusive prefix products of x along `dim`: out[..., k, ...] = x[..., 0, ...] * ... *
 * x[..., k, ...], as torch.cumprod (the same dims, 0-d, empty and dtype rules as cumsum; int32
 * products wrap around on overflow, bool multiplies as int32).
 *
 * Gradient: dx[k] = sum over j >= k of g[j] * prod_{i <= j, i != k} x[i], by its own kernel
 * without dividing by x, so it is exact where x has zeros (PyTorch divides when x has none and
 * takes a slower path otherwise; here there is one path). The backward is not itself
 * differentiable: a second derivative through cumprod is refused with an error.
 */
export function cumprod(x: Tensor, dim: number, ...extra: never[]): Tensor {
  if (extra.length > 0) {
    throw new Error(`cumprod: takes (x, dim); got ${extra.length} more argument${extra.length > 1 ? 's' : ''} (${extra.map(describeValue).join(', ')})`);
  }
  if (dim === undefined) throw new Error('cumprod: dim is required, e.g. cumprod(x, -1)');
  checkNumber('cumprod', 'dim', dim, { int: true });
  return trace(
    'cumprod',
    [x],
    () => prodKernel(x, dim),
    (g, [xs]) => [cumprodBackward(xs!, g, dim)],
    () => [x],
  );
}

function prodKernel(x: Tensor, dim: number): Tensor {
  const device = checkInputs('cumprod', x);
  const d = normAxis('cumprod', dim, x.ndim);
  if (x.dtype === 'bool') {
    const xi = cast(x, 'int32');
    const out = prodKernel(xi, d);
    xi.dispose();
    return out;
  }
  if (x.ndim === 0) {
    const row = reshape(x, [1]);
    const out = prodKernel(row, 0);
    const r = reshape(out, []);
    row.dispose();
    out.dispose();
    return r;
  }
  const out = empty('cumprod', device, x.dtype, x.shape);
  try {
    getBackend(device).cumsum.cumprod(x, d, out);
  } catch (e) {
    out.dispose();
    throw e;
  }
  return out;
}

/** The gradient of cumprod (a recorded op whose own backward refuses: see cumprod). */
function cumprodBackward(x: Tensor, g: Tensor, dim: number): Tensor {
  return trace(
    'cumprodBackward',
    [x, g],
    () => {
      const device = checkInputs('cumprod', x, g);
      if (x.ndim === 0) return g.clone();
      const d = normAxis('cumprod', dim, x.ndim);
      const gc = g.dtype === x.dtype ? g.contiguous() : cast(g, x.dtype);
      const out = empty('cumprod', device, x.dtype, x.shape);
      try {
        getBackend(device).cumsum.cumprodBackward(x, gc, d, out);
      } catch (e) {
        out.dispose();
        throw e;
      }
      if (gc !== g) gc.dispose();
      return out;
    },
    () => {
      throw new Error('cumprod: second derivatives (the gradient of its backward) are not supported');
    },
  );
}
