// webgrad.nn.functional: norms and distances (see index.ts): normalize, cosineSimilarity, cdist.
// Compositions of tensor ops (both backends, gradients through them), with one traced piece,
// the p-norm, whose backward is 0 at a zero vector (as PyTorch's) instead of 0 / 0.
import { trace } from '../../autograd/node.js';
import { isFloat } from '../../core/dtype.js';
import { broadcastShapes, fmtShape, normAxis } from '../../core/shape.js';
import { checkNumber, checkOptions, describe as describeValue } from '../../core/options.js';
import { tidy } from '../../tensor/memory.js';
import { checkInputs, describe } from '../../tensor/ops/core.js';
import { where } from '../../tensor/ops/elementwise.js';
import { Tensor } from '../../tensor/tensor.js';
import { noExtra } from './args.js';

function checkTensorArg(op: string, name: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new Error(`${op}: ${name} must be a Tensor, got ${describeValue(t)}`);
  if (!isFloat(t.dtype)) throw new Error(`${op}: ${name} must be a floating-point tensor, got ${describe(t)}`);
}

/**
 * (sum |x|^p)^(1/p) over `dim` (kept), p > 0 finite, or max |x| for p = Infinity. Gradient:
 * g sign(x) |x|^(p-1) / n^(p-1), and 0 where n = 0 (a zero vector), as PyTorch's norm.
 */
function vectorNorm(x: Tensor, p: number, dim: number): Tensor {
  if (p === Infinity) return x.abs().amax(dim, true);
  return trace(
    'vectorNorm',
    [x],
    () => tidy(() => (p === 1 ? x.abs().sum(dim, true) : p === 2 ? x.square().sum(dim, true).sqrt() : x.abs().pow(p).sum(dim, true).pow(1 / p))),
    (g, [xs, n]) => {
      // n is 0 only where x is all 0 there; a safe divisor keeps 0 / 0 out of both orders of gradient.
      const zero = n!.eq(0);
      const safe = where(zero, 1, n!);
      const num = p === 2 ? xs! : p === 1 ? xs!.sign() : xs!.sign().mul(xs!.abs().pow(p - 1));
      const scaled = p === 1 ? num : num.div(p === 2 ? safe : safe.pow(p - 1));
      return [where(zero, 0, g.mul(scaled))];
    },
    (y) => [x, y],
  );
}

export interface NormalizeOptions {
  /** The norm's exponent (default 2; Infinity for the max norm). */
  p?: number;
  /** The dim normalized over (default 1, as PyTorch). */
  dim?: number;
  /** The smallest norm divided by (default 1e-12). */
  eps?: number;
}

/** F.normalize: x / max(||x||_p, eps) over `dim`, as PyTorch (a zero vector stays zero). */
export function normalize(input: Tensor, options: NormalizeOptions = {}, ...extra: never[]): Tensor {
  const op = 'normalize';
  noExtra(op, extra, '(input, options?)');
  checkTensorArg(op, 'input', input);
  checkOptions(op, options, ['p', 'dim', 'eps']);
  const p = checkNumber(op, 'p', options.p ?? 2, { gt: 0, infinite: true });
  const eps = checkNumber(op, 'eps', options.eps ?? 1e-12, { min: 0 });
  checkNumber(op, 'dim', options.dim ?? 1, { int: true });
  checkInputs(op, input);
  const d = normAxis(op, options.dim ?? 1, input.ndim);
  return tidy(() => input.div(vectorNorm(input, p, d).clamp(eps)));
}

export interface CosineSimilarityOptions {
  /** The dim of the vectors (default 1, as PyTorch). */
  dim?: number;
  /** The smallest value each norm is clamped to (default 1e-8). */
  eps?: number;
}

/**
 * F.cosineSimilarity: sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps)) over `dim`, with each
 * norm clamped separately, as PyTorch's current definition (not x1.x2 / max(||x1|| ||x2||, eps),
 * its old one); x1 and x2 broadcast. The result lies in [-1, 1] and drops `dim`.
 */
export function cosineSimilarity(x1: Tensor, x2: Tensor, options: CosineSimilarityOptions = {}, ...extra: never[]): Tensor {
  const op = 'cosineSimilarity';
  noExtra(op, extra, '(x1, x2, options?)');
  checkTensorArg(op, 'x1', x1);
  checkTensorArg(op, 'x2', x2);
  checkOptions(op, options, ['dim', 'eps']);
  const eps = checkNumber(op, 'eps', options.eps ?? 1e-8, { min: 0 });
  checkNumber(op, 'dim', options.dim ?? 1, { int: true });
  checkInputs(op, x1, x2);
  const shape = broadcastShapes(op, x1.shape, x2.shape);
  const d = normAxis(op, options.dim ?? 1, shape.length);
  return tidy(() => {
    const a = x1.expand(shape);
    const b = x2.expand(shape);
    return a.div(vectorNorm(a, 2, d).clamp(eps)).mul(b.div(vectorNorm(b, 2, d).clamp(eps))).sum(d);
  });
}

/**
 * torch.cdist: the p-norm distances between the rows of x1 [..., P, M] and of x2 [..., R, M],
 * [..., P, R] (batch dims broadcast). p >= 0 (default 2; 0 counts the differing coordinates,
 * Infinity takes the largest difference). Computed from the differences (no matmul shortcut,
 * so no cancellation for close rows); the gradient at a zero distance is 0, as PyTorch's.
 */
export function cdist(x1: Tensor, x2: Tensor, p = 2, ...extra: never[]): Tensor {
  const op = 'cdist';
  noExtra(op, extra, '(x1, x2, p?)');
  checkTensorArg(op, 'x1', x1);
  checkTensorArg(op, 'x2', x2);
  checkNumber(op, 'p', p, { min: 0, infinite: true });
  checkInputs(op, x1, x2);
  if (x1.ndim < 2 || x2.ndim < 2) {
    throw new Error(`${op}: x1 and x2 must have at least 2 dimensions ([..., rows, features]), got ${fmtShape(x1.shape)} and ${fmtShape(x2.shape)}`);
  }
  const m1 = x1.shape[x1.ndim - 1]!;
  const m2 = x2.shape[x2.ndim - 1]!;
  if (m1 !== m2) throw new Error(`${op}: x1 ${fmtShape(x1.shape)} and x2 ${fmtShape(x2.shape)} must have the same number of features (last dim), got ${m1} and ${m2}`);
  broadcastShapes(op, x1.shape.slice(0, -2), x2.shape.slice(0, -2));
  return tidy(() => {
    const diff = x1.unsqueeze(-2).sub(x2.unsqueeze(-3)); // [..., P, R, M]
    if (p === 0) return diff.ne(0).cast(diff.dtype).sum(-1);
    return vectorNorm(diff, p, -1).squeeze(-1);
  });
}
