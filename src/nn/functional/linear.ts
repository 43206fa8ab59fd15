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
import { checkChoice, noExtra } from '../../core/options.js';
import { checkInputs } from '../../tensor/ops/core.js';
import { matmulImpl } from '../../tensor/ops/matmul.js';
import { Tensor } from '../../tensor/tensor.js';
import { gradFromOutput } from '../../tensor/ops/elementwise.js';
import { FUSED_ACTS, type FusedAct } from '../../kernels/ops.js';

export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null, ...extra: never[]): Tensor {
  noExtra('linear', extra, '(x, weight, bias?)');
  return linearAct('linear', x, weight, bias, null);
}

/**
 * act(linear(x, weight, bias)) with the activation (relu, sigmoid or tanh) applied in the
 * product's store after the bias, where the kernel can (TF.js's fused matMul): one output
 * instead of two, and the activation's backward from that output (saved for it). The bits are
 * those of linear followed by the activation. nn.Sequential runs a Linear followed by
 * ReLU, Sigmoid or Tanh this way.
 */
export function fusedLinear(x: Tensor, weight: Tensor, bias: Tensor, activation: FusedAct, ...extra: never[]): Tensor {
  noExtra('fusedLinear', extra, '(x, weight, bias, activation)');
  if (!(bias instanceof Tensor)) throw new Error(`fusedLinear: the bias must be a Tensor (the activation follows it), got ${bias === null ? 'null' : typeof bias}`);
  checkChoice('fusedLinear', 'activation', activation, FUSED_ACTS);
  return linearAct('fusedLinear', x, weight, bias, activation);
}

function linearAct(op: string, x: Tensor, weight: Tensor, bias: Tensor | null | undefined, act: FusedAct | null): Tensor {
  for (const [name, t] of [['input', x], ['weight', weight], ['bias', bias]] as const) {
    if (t !== undefined && t !== null && !(t instanceof Tensor)) throw new Error(`${op}: ${name} must be a Tensor${name === 'bias' ? ' or null' : ''}, got ${typeof t}`);
  }
  checkInputs(op, ...(bias ? [x, weight, bias] : [x, weight]));
  if (weight.ndim !== 2) throw new Error(`${op}: weight must be 2-D [outFeatures, inFeatures], got ${fmtShape(weight.shape)}`);
  const [out, inF] = weight.shape as [number, number];
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== inF) throw new Error(`${op}: input ${fmtShape(x.shape)} must end in inFeatures = ${inF} (the weight is ${fmtShape(weight.shape)})`);
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== out)) throw new Error(`${op}: bias must have shape [${out}] (one value per output feature), got ${fmtShape(bias.shape)}`);
  for (const t of bias ? [x, weight, bias] : [x, weight]) {
    if (!isFloat(t.dtype)) throw new Error(`${op}: input, weight and bias must be floating point, got ${t.dtype}`);
  }
  if (weight.dtype !== x.dtype || (bias && bias.dtype !== x.dtype)) {
    throw new Error(`${op}: input, weight and bias must have the same dtype, got ${x.dtype}, ${weight.dtype}${bias ? ` and ${bias.dtype}` : ''}`);
  }
  if (!bias) return x.matmul(weight.T);
  return trace(act ? `linear+${act}` : 'linear', [x, weight, bias], () => {
    const wt = weight.T;
    const y = matmulImpl(x, wt, bias, act);
    wt.dispose();
    return y;
  }, (g0, [xs, ws, , ys], n) => {
    // y = act(x W^T + b) over the leading dims of x (none for a 1-D x): first the activation's
    // backward, from the output.
    const g = act ? gradFromOutput(act, g0, ys!) : g0;
    const gx = n[0] ? g.matmul(ws!) : null;
    let gw: Tensor | null = null;
    if (n[1]) {
      const g2 = g.reshape([-1, out]);
      const x2 = xs!.reshape([-1, inF]);
      gw = g2.T.matmul(x2);
    }
    const gb = n[2] ? (g.ndim === 1 ? g : g.reshape([-1, out]).sum(0)) : null;
    return [gx, gw, gb];
  }, (y) => (act ? [x, weight, bias, y] : [x, weight]));
}
