/**
 * linear(x, weight, bias) = x @ weight^T + bias (PyTorch's F.linear; nn.Linear's forward).
 * Without a bias it is the matmul op itself. With one, a recorded op of its own whose kernel
 * adds the bias while it writes the product (MatmulKernels.matmul with a bias: webgpu's
 * register-blocked store, one pass in place elsewhere), instead of a broadcast add making a
 * second output; the bits are those of x.matmul(weight.T).add(bias). Its gradients:
 * dx = g @ weight, dweight = g^T @ x over every leading dim, dbias = g summed over them.
 */
import { trace } from '../../autograd/node.js';
import { isFloat } from '../../core/dtype.js';
import { fmtShape } from '../../core/shape.js';
import { noExtra } from '../../core/options.js';
import { checkInputs } from '../../tensor/ops/core.js';
import { matmulImpl } from '../../tensor/ops/matmul.js';
import { Tensor } from '../../tensor/tensor.js';

export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null, ...extra: never[]): Tensor {
  noExtra('linear', extra, '(x, weight, bias?)');
  for (const [name, t] of [['input', x], ['weight', weight], ['bias', bias]] as const) {
    if (t !== undefined && t !== null && !(t instanceof Tensor)) throw new Error(`linear: ${name} must be a Tensor${name === 'bias' ? ' or null' : ''}, got ${typeof t}`);
  }
  checkInputs('linear', ...(bias ? [x, weight, bias] : [x, weight]));
  if (weight.ndim !== 2) throw new Error(`linear: weight must be 2-D [outFeatures, inFeatures], got ${fmtShape(weight.shape)}`);
  const [out, inF] = weight.shape as [number, number];
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== inF) throw new Error(`linear: input ${fmtShape(x.shape)} must end in inFeatures = ${inF} (the weight is ${fmtShape(weight.shape)})`);
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== out)) throw new Error(`linear: bias must have shape [${out}] (one value per output feature), got ${fmtShape(bias.shape)}`);
  for (const t of bias ? [x, weight, bias] : [x, weight]) {
    if (!isFloat(t.dtype)) throw new Error(`linear: input, weight and bias must be floating point, got ${t.dtype}`);
  }
  if (weight.dtype !== x.dtype || (bias && bias.dtype !== x.dtype)) {
    throw new Error(`linear: input, weight and bias must have the same dtype, got ${x.dtype}, ${weight.dtype}${bias ? ` and ${bias.dtype}` : ''}`);
  }
  if (!bias) return x.matmul(weight.T);
  return trace('linear', [x, weight, bias], () => {
    const wt = weight.T;
    const y = matmulImpl(x, wt, bias);
    wt.dispose();
    return y;
  }, (g, [xs, ws], n) => {
    // y = x W^T + b over the leading dims of x (none for a 1-D x).
    const gx = n[0] ? g.matmul(ws!) : null;
    let gw: Tensor | null = null;
    if (n[1]) {
      const g2 = g.reshape([-1, out]);
      const x2 = xs!.reshape([-1, inF]);
      gw = g2.T.matmul(x2);
    }
    const gb = n[2] ? (g.ndim === 1 ? g : g.reshape([-1, out]).sum(0)) : null;
    return [gx, gw, gb];
  }, () => [x, weight]);
}
