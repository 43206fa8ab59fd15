/**
 * The recurrent family: the fused gate math of one time step of an RNN, LSTM or GRU cell, and
 * its adjoint. The matmuls around a step (x W_ih^T for all steps at once, h W_hh^T per step) are
 * the matmul family's; what is left per step, every gate's activation, the state update and the
 * variable-length masking, is one kernel here, and one for the step's backward.
 *
 * Layout, B = batch, H = hidden size, G = gates per cell (rnn 1; lstm 4: i, f, g, o; gru 3:
 * r, z, n, PyTorch's order):
 *   xg    [B, G*H]  x W_ih^T + b_ih (a row-major view, any offset: a step's slice of the
 *                   projection of the whole sequence)
 *   hg    [B, G*H]  h_prev W_hh^T (row-major, any offset)
 *   bias  [G*H]     b_hh, or null (a cell without bias)
 *   hPrev [B, H]    the previous hidden state (row-major, any offset); read by gru always, by rnn
 *                   and lstm only where a row is masked
 *   cPrev [B, H]    lstm's previous cell state; null for rnn and gru
 *   mask  [B]       1 where the step is inside the row's sequence, 0 past its end (the state is
 *                   then carried over unchanged); null: every row is valid
 * All views are float32 (float64 on cpu), row-major with any offset. Outputs are fresh and
 * contiguous: rnn and gru write h [B, H], lstm writes [2, B, H] (h, then c).
 */
import type { View } from '../../core/view.js';

/** The cell kinds: PyTorch's RNN with tanh or relu, LSTM, GRU. */
export type CellKind = 'rnnTanh' | 'rnnRelu' | 'lstm' | 'gru';

/** Gates per cell kind. */
export const GATES: Record<CellKind, number> = { rnnTanh: 1, rnnRelu: 1, lstm: 4, gru: 3 };

/** What one step reads (see the file's comment for the shapes). */
export interface CellInputs {
  xg: View;
  hg: View;
  bias: View | null;
  hPrev: View;
  cPrev: View | null;
  mask: View | null;
}

/**
 * What the step's backward writes, all fresh and contiguous. dxg [B, G*H] is the gradient of
 * the gate pre-activations on the input side; dhg [B, G*H] that on the hidden side (it differs
 * from dxg only in gru's n gate, where the hidden part is scaled by r: pass null for rnn and
 * lstm, whose two are equal); dhPrev [B, H]: the gradient reaching h_prev directly (gru's z
 * path, and masked rows' pass-through; zeros for rnn and lstm without a mask); dcPrev [B, H]:
 * lstm only (null otherwise).
 */
export interface CellGrads {
  dxg: View;
  dhg: View | null;
  dhPrev: View;
  dcPrev: View | null;
}

export interface RecurrentKernels {
  /** One step's gates and state update; `out` is [B, H] (rnn, gru) or [2, B, H] (lstm: h, c). */
  cellStep(cell: CellKind, batch: number, hidden: number, x: CellInputs, out: View): void;
  /**
   * The step's adjoint, recomputing the gates from the same inputs: `gOut` is the gradient of
   * the step's output (out's shape, row-major, any offset).
   */
  cellBackward(cell: CellKind, batch: number, hidden: number, x: CellInputs, gOut: View, grads: CellGrads): void;
}
