/**
 * Scaled dot-product attention, composed of batched matmul, the stable softmax kernel and
 * elementwise ops (no kernel of its own): each piece already runs on both backends and has
 * its backward rule, so the gradient and the second derivative come from them.
 *
 * Masked scores become -inf before the softmax, so a partly masked row is exact (exp(-inf) = 0,
 * no NaN). A row with every key masked has no distribution to take: PyTorch's math path gives
 * NaN there; webgrad gives weights of 0 and an output of 0 for that row (what PyTorch's newer
 * `_safe_softmax` gives), so one padding-only row does not turn a whole batch's loss and
 * gradients into NaN.
 */
import { noGrad } from '../../autograd/mode.js';
import { arange } from '../../tensor/creation.js';
import { checkInputs } from '../../tensor/ops/core.js';
import { where } from '../../tensor/ops/elementwise.js';
import { isFloat } from '../../core/dtype.js';
import { broadcastShapes, fmtShape } from '../../core/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { checkBoolean, checkNumber, checkOptions, describe } from '../../core/options.js';
import { noExtra } from './args.js';
import { dropout } from './dropout.js';
import { softmax } from './softmax.js';

export interface ScaledDotProductAttentionOptions {
  /**
   * Broadcastable to [..., L, S]. bool: true = the key takes part (PyTorch's convention for
   * this function; MultiheadAttention's bool masks mean the opposite, as in PyTorch). Float (the
   * query's dtype): added to the scores (-inf masks out).
   */
  attnMask?: Tensor | null;
  /** Dropout on the attention weights (default 0); applied whenever > 0, as PyTorch's. */
  dropoutP?: number;
  /** Query i attends keys j <= i (the top-left aligned lower triangle); not with attnMask. */
  isCausal?: boolean;
  /** Multiplies q k^T (default 1 / sqrt(E)). */
  scale?: number | null;
}

const SDPA_OPTIONS = ['attnMask', 'dropoutP', 'isCausal', 'scale'];

/** The bool [L, S] causal mask (true: query i may attend key j, j <= i) on `device`. */
export function causalMask(L: number, S: number, device: Tensor['device']): Tensor {
  return noGrad(() => {
    const rows = arange(L, { device }).reshape([L, 1]);
    const cols = arange(S, { device });
    const m = cols.le(rows);
    rows.dispose();
    cols.dispose();
    return m;
  });
}

/** Whether `mask` broadcasts to `target` (trailing alignment, sizes equal or 1). */
function broadcastsTo(mask: readonly number[], target: readonly number[]): boolean {
  if (mask.length > target.length) return false;
  const off = target.length - mask.length;
  return mask.every((d, i) => d === 1 || d === target[off + i]);
}

/**
 * softmax along the last dim of scores that may hold -inf; rows that are all -inf give 0
 * (softmax would give NaN) and a gradient of 0. Rows with a finite entry are softmax exactly.
 */
export function maskedSoftmax(scores: Tensor): Tensor {
  const live = noGrad(() => {
    const m = scores.amax(-1, true);
    const l = m.gt(-Infinity);
    m.dispose();
    return l;
  });
  // A dead row's scores become 0 before the softmax, so neither it nor its gradient is NaN.
  const safe = where(live, scores, 0);
  const w = softmax(safe, -1);
  return where(live, w, 0);
}

/** The computation shared with MultiheadAttention: [output, weights]. `mask` is additive (float) or bool (true = keep). */
export function attend(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, causal: boolean, dropoutP: number, scale: number): [Tensor, Tensor] {
  let scores = q.matmul(k.transpose(-2, -1)).mul(scale);
  let mayBeDead = false;
  if (causal) {
    const m = causalMask(q.shape[q.ndim - 2]!, k.shape[k.ndim - 2]!, q.device);
    scores = where(m, scores, -Infinity);
    // With L > S every row still has key 0; only an empty key set leaves a row dead.
  } else if (mask) {
    scores = mask.dtype === 'bool' ? where(mask, scores, -Infinity) : scores.add(mask);
    mayBeDead = true;
  }
  let weights = mayBeDead ? maskedSoftmax(scores) : softmax(scores, -1);
  if (dropoutP > 0) weights = dropout(weights, dropoutP, true);
  return [weights.matmul(v), weights];
}

/**
 * PyTorch's `F.scaled_dot_product_attention`: softmax(q k^T * scale + mask) v, with query
 * [..., L, E], key [..., S, E], value [..., S, Ev] (the leading dims broadcast) giving
 * [..., L, Ev]. See the file's comment for a row whose keys are all masked (0, not NaN).
 */
export function scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, options: ScaledDotProductAttentionOptions = {}, ...extra: never[]): Tensor {
  const op = 'scaledDotProductAttention';
  noExtra(op, extra, '(query, key, value, { attnMask, dropoutP, isCausal, scale })');
  for (const [name, t] of [['query', query], ['key', key], ['value', value]] as const) {
    if (!(t instanceof Tensor)) throw new Error(`${op}: ${name} must be a Tensor, got ${describe(t)}`);
    if (!isFloat(t.dtype)) throw new Error(`${op}: expected floating-point tensors, got ${name} of dtype ${t.dtype}`);
    if (t.ndim < 2) throw new Error(`${op}: ${name} must have at least 2 dims ([..., L, E]), got ${fmtShape(t.shape)}`);
  }
  checkInputs(op, query, key, value);
  if (key.dtype !== query.dtype || value.dtype !== query.dtype) {
    throw new Error(`${op}: query, key and value must have one dtype, got ${query.dtype}, ${key.dtype} and ${value.dtype}`);
  }
  const o = checkOptions(op, options, SDPA_OPTIONS);
  const E = query.shape[query.ndim - 1]!;
  const L = query.shape[query.ndim - 2]!;
  const S = key.shape[key.ndim - 2]!;
  if (key.shape[key.ndim - 1] !== E) throw new Error(`${op}: key's last dim must equal query's (E = ${E}), got query ${fmtShape(query.shape)} and key ${fmtShape(key.shape)}`);
  if (value.shape[value.ndim - 2] !== S) throw new Error(`${op}: value must have as many rows as key (S = ${S}), got key ${fmtShape(key.shape)} and value ${fmtShape(value.shape)}`);
  const batch = (t: Tensor) => t.shape.slice(0, -2);
  let batchShape: number[];
  try {
    batchShape = broadcastShapes(op, batch(query), batch(key), batch(value));
  } catch {
    throw new Error(`${op}: the leading (batch) dims of query ${fmtShape(query.shape)}, key ${fmtShape(key.shape)} and value ${fmtShape(value.shape)} do not broadcast`);
  }
  const isCausal = o.isCausal === undefined ? false : checkBoolean(op, 'isCausal', o.isCausal);
  const dropoutP = o.dropoutP === undefined ? 0 : checkNumber(op, 'dropoutP', o.dropoutP, { min: 0, max: 1 });
  const scale = o.scale === undefined || o.scale === null ? 1 / Math.sqrt(E) : checkNumber(op, 'scale', o.scale);
  const mask = o.attnMask ?? null;
  if (mask !== null) {
    if (!(mask instanceof Tensor)) throw new Error(`${op}: attnMask must be a Tensor or null, got ${describe(mask)}`);
    if (isCausal) throw new Error(`${op}: attnMask and isCausal = true cannot both be given (as in PyTorch); pass one`);
    if (mask.dtype !== 'bool' && mask.dtype !== query.dtype) {
      throw new Error(`${op}: attnMask must be bool (true = takes part) or of the query's dtype ${query.dtype} (added to the scores), got ${mask.dtype}`);
    }
    checkInputs(op, query, mask);
    const target = [...batchShape, L, S];
    if (!broadcastsTo(mask.shape, target)) {
      throw new Error(`${op}: attnMask of shape ${fmtShape(mask.shape)} does not broadcast to the scores' shape ${fmtShape(target)} ([..., L, S])`);
    }
  }
  return attend(query, key, value, mask, isCausal, dropoutP, scale)[0];
}
