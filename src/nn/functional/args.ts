/**
 * The functional ops' check for arguments past their last parameter: a JS caller's extra
 * argument (PyTorch's `inplace`, softmax's `dtype`, a positional `stride`...) would otherwise
 * be ignored without a word.
 */
import { describe } from '../../core/options.js';

/** Throws if `extra` holds anything; `signature` is the op's parameter list, e.g. '(x, dim)'. */
export function noExtra(op: string, extra: readonly unknown[], signature: string): void {
  if (extra.length === 0) return;
  throw new Error(`${op}: takes ${signature}; got ${extra.length} more argument${extra.length > 1 ? 's' : ''} (${extra.map(describe).join(', ')})`);
}
