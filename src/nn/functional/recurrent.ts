/**
 * The fused recurrent step (the kernel family src/kernels/recurrent/): one recorded op per
 * time step that applies every gate's activation and the state update of an RNN, LSTM or GRU
 * cell, with optional variable-length masking. Its backward is the family's adjoint kernel,
 * which recomputes the gates from the saved inputs; the matmuls around it (x W_ih^T, h W_hh^T)
 * are ordinary recorded matmuls. Used by the layers in src/layers/recurrent.ts.
 */
import { getBackend } from '../../runtime.js';
import { isFloat } from '../../core/dtype.js';
import { trace } from '../../autograd/node.js';
import { isGradEnabled } from '../../autograd/mode.js';
import { checkInputs, empty } from '../../tensor/ops/core.js';
import { fmtShape } from '../../core/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { CellInputs, CellKind } from '../../kernels/recurrent/types.js';
import { GATES } from '../../kernels/recurrent/types.js';

export type { CellKind };

const OP: Record<CellKind, string> = { rnnTanh: 'rnnCellStep', rnnRelu: 'rnnCellStep', lstm: 'lstmCellStep', gru: 'gruCellStep' };

function expectShape(op: string, name: string, t: Tensor, shape: readonly number[]): void {
  if (t.ndim !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
    throw new Error(`${op}: expected ${name} of shape ${fmtShape(shape)}, got ${fmtShape(t.shape)}`);
  }
}

/** Row-major views of the inputs (a copy only where one is not), and the copies to free. */
function rowMajor(ts: readonly (Tensor | null)[]): { views: (Tensor | null)[]; temps: Tensor[] } {
  const temps: Tensor[] = [];
  const views = ts.map((t) => {
    if (!t || t.isContiguous()) return t;
    const c = t.contiguous();
    temps.push(c);
    return c;
  });
  return { views, temps };
}

const asInputs = (v: (Tensor | null)[]): CellInputs => ({ xg: v[0]!, hg: v[1]!, bias: v[2]!, hPrev: v[3]!, cPrev: v[4]!, mask: v[5]! });

/**
 * One step of a recurrent cell, after its matmuls. B = batch, H = hidden, G = gates (rnn 1,
 * lstm 4: i, f, g, o; gru 3: r, z, n):
 *   xg [B, G*H] = x W_ih^T + b_ih, hg [B, G*H] = h_prev W_hh^T, bias [G*H] = b_hh or null,
 *   hPrev [B, H], cPrev [B, H] (lstm only, else null), mask [B] (1 inside the sequence, 0 past
 *   its end, where the state is carried over unchanged; null: all valid).
 * Returns h' [B, H] (rnn, gru) or [2, B, H] = (h', c') (lstm).
 *
 * Second derivatives through it are not supported: a backward with createGraph that reaches
 * it is an error.
 */
export function cellStep(cell: CellKind, xg: Tensor, hg: Tensor, bias: Tensor | null, hPrev: Tensor, cPrev: Tensor | null, mask: Tensor | null): Tensor {
  const op = OP[cell];
  const device = checkInputs(op, ...[xg, hg, bias, hPrev, cPrev, mask].filter((t): t is Tensor => t !== null));
  if (hPrev.ndim !== 2) throw new Error(`${op}: expected hPrev of shape [batch, hidden], got ${fmtShape(hPrev.shape)}`);
  const [B, H] = hPrev.shape as [number, number];
  const G = GATES[cell];
  expectShape(op, 'xg', xg, [B, G * H]);
  expectShape(op, 'hg', hg, [B, G * H]);
  if (bias) expectShape(op, 'bias', bias, [G * H]);
  if ((cell === 'lstm') !== (cPrev !== null)) throw new Error(`${op}: cPrev is ${cell === 'lstm' ? 'required' : 'only taken'} by the lstm cell`);
  if (cPrev) expectShape(op, 'cPrev', cPrev, [B, H]);
  if (mask) expectShape(op, 'mask', mask, [B]);
  const dtype = xg.dtype;
  for (const t of [hg, bias, hPrev, cPrev, mask]) {
    if (t && t.dtype !== dtype) throw new Error(`${op}: all inputs must have one float dtype, got ${dtype} and ${t.dtype}`);
  }
  if (!isFloat(dtype)) throw new Error(`${op}: expected float32, float16 or float64 inputs, got ${dtype}`);
  const inputs = [xg, hg, bias, hPrev, cPrev, mask];
  const present = inputs.map((t) => t !== null);
  return trace(
    op,
    inputs,
    () => {
      const { views, temps } = rowMajor(inputs);
      const out = empty(op, device, dtype, cell === 'lstm' ? [2, B, H] : [B, H]);
      try {
        getBackend(device).recurrent.cellStep(cell, B, H, asInputs(views), out);
      } catch (e) {
        out.dispose();
        throw e;
      } finally {
        for (const t of temps) t.dispose();
      }
      return out;
    },
    (g, saved, needs) => {
      if (isGradEnabled()) {
        throw new Error(`${op}: second derivatives (createGraph: true) through the fused recurrent step are not supported`);
      }
      let k = 0;
      const ins = present.map((p) => (p ? saved[k++]! : null));
      const { views, temps } = rowMajor([...ins, g]);
      const gOut = views.pop()!;
      const dxg = empty(`${op}Backward`, device, dtype, [B, G * H]);
      const dhg = cell === 'gru' ? empty(`${op}Backward`, device, dtype, [B, G * H]) : null;
      const dhPrev = empty(`${op}Backward`, device, dtype, [B, H]);
      const dcPrev = cell === 'lstm' ? empty(`${op}Backward`, device, dtype, [B, H]) : null;
      try {
        getBackend(device).recurrent.cellBackward(cell, B, H, asInputs(views), gOut, { dxg, dhg, dhPrev, dcPrev });
      } finally {
        for (const t of temps) t.dispose();
      }
      const hid = dhg ?? dxg;
      const grads = [needs[0] ? dxg : null, needs[1] ? hid : null, needs[2] ? hid : null, needs[3] ? dhPrev : null, needs[4] ? dcPrev : null, null];
      for (const t of [dxg, dhg, dhPrev, dcPrev]) if (t && !grads.includes(t)) t.dispose();
      return grads;
    },
    () => inputs.filter((t): t is Tensor => t !== null),
  );
}
