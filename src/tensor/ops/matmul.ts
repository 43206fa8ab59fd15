/** Matrix products with PyTorch's rules for 1-D operands and broadcast batch dims. */
import type { FusedAct } from '../../kernels/ops.js';
import { getBackend } from '../../runtime.js';
import { promoteTypes } from '../../core/dtype.js';
import { broadcastShapes, fmtShape } from '../../core/shape.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, empty } from './core.js';
import { trace } from '../../autograd/node.js';
import { cast } from './elementwise.js';
import { expand, reshape, unsqueeze } from './views.js';

/**
 * Gradients of C = A B: dA = G B^T and dB = A^T G, batched; the engine sums them over
 * broadcast batch dims. A 1-D operand was a row (a) or a column (b): g lacks that dim, so it
 * is put back first and the result's extra dim removed after.
 *
 * Each gradient takes its operand's layout: for a column-major operand (a transposed view, as
 * Linear's W^T) it is computed as the transpose of the product the other way round (dB =
 * (G^T A)^T), so that the transpose's own backward hands the weight a contiguous gradient and
 * no copy of a transposed gradient is ever made.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  return trace('matmul', [a, b], () => matmulImpl(a, b), (g, [as, bs], n) => {
    const A = as!;
    const B = bs!;
    if (A.ndim === 1 && B.ndim === 1) return [n[0] ? B.mul(g) : null, n[1] ? A.mul(g) : null]; // a dot product
    const A2 = A.ndim === 1 ? A.unsqueeze(0) : A;
    const B2 = B.ndim === 1 ? B.unsqueeze(1) : B;
    let G = A.ndim === 1 ? g.unsqueeze(-2) : g;
    if (B.ndim === 1) G = G.unsqueeze(-1);
    const T = (t: Tensor) => t.transpose(-1, -2);
    let ga = n[0] ? (columnMajor(A2, G) ? T(B2.matmul(T(G))) : G.matmul(T(B2))) : null;
    let gb = n[1] ? (columnMajor(B2, G) ? T(T(G).matmul(A2)) : T(A2).matmul(G)) : null;
    if (ga && A.ndim === 1) ga = ga.squeeze(-2);
    if (gb && B.ndim === 1) gb = gb.squeeze(-1);
    return [ga, gb];
  }, () => [a, b]);
}

/**
 * Whether operand x (2-D or batched) is stored column-major (its last dim strided, its
 * second-to-last contiguous) and has g's batch dims, so its gradient needs no batch sum.
 */
function columnMajor(x: Tensor, g: Tensor): boolean {
  const r = x.ndim;
  if (r < 2 || x.shape[r - 1]! < 2 || x.shape[r - 2]! < 2) return false;
  if (x.strides[r - 2] !== 1 || x.strides[r - 1] !== x.shape[r - 2]) return false;
  const xb = x.shape.slice(0, -2);
  const gb = g.shape.slice(0, -2);
  return xb.length === gb.length && xb.every((d, i) => d === gb[i]);
}

/** a @ b; with `bias` (b's last dim long, the result's dtype), plus bias along the last dim in the same kernel (MatmulKernels.matmul). */
export function matmulImpl(a: Tensor, b: Tensor, bias: Tensor | null = null, act: FusedAct | null = null): Tensor {
  const device = checkInputs('matmul', a, b);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new Error(`matmul: both operands need at least 1 dimension, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)} (use mul for scalars)`);
  }
  if (a.dtype === 'bool' || b.dtype === 'bool') throw new Error(`matmul: bool tensors are not supported (got ${a.dtype} and ${b.dtype})`);
  const dtype = promoteTypes(a.dtype, b.dtype);
  // Shapes are checked before any temporary exists, so that an error leaves nothing behind.
  const K = a.shape[a.ndim - 1]!;
  const K2 = b.shape[b.ndim === 1 ? 0 : b.ndim - 2]!;
  if (K !== K2) {
    throw new Error(
      `matmul: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} cannot be multiplied (${K} vs ${K2}: the first's last dim must equal the second's ${b.ndim === 1 ? 'only' : 'second-to-last'} dim)`,
    );
  }
  const batch = broadcastShapes('matmul (batch dims)', a.shape.slice(0, -2), b.shape.slice(0, -2));
  const temps: Tensor[] = [];
  const keep = (t: Tensor) => (temps.push(t), t);
  // 1-D operands become matrices and the added dim is removed from the result.
  const A = a.ndim === 1 ? keep(unsqueeze(a, 0)) : a;
  const B = b.ndim === 1 ? keep(unsqueeze(b, 1)) : b;
  const M = A.shape[A.ndim - 2]!;
  const N = B.shape[B.ndim - 1]!;
  const Ab = keep(expand(keep(cast(A, dtype)), [...batch, M, K]));
  const Bb = keep(expand(keep(cast(B, dtype)), [...batch, K, N]));
  const out = empty('matmul', device, dtype, [...batch, M, N]);
  getBackend(device).matmul.matmul(Ab, Bb, out, bias, act);
  let result = out;
  if (a.ndim === 1 || b.ndim === 1) {
    const shape = [...batch, ...(a.ndim === 1 ? [] : [M]), ...(b.ndim === 1 ? [] : [N])];
    result = reshape(out, shape);
    out.dispose();
  }
  for (const t of temps) if (t !== a && t !== b) t.dispose();
  return result;
}
