// torch.multinomial (exported at the top level, not in F): a composition over the seeded
// uniform draw (`rand`), so `manualSeed` gives the same samples on cpu and webgpu up to float
// rounding at category boundaries, and nothing is read back.
import { isFloat } from '../../core/dtype.js';
import { fmtShape } from '../../core/shape.js';
import { checkBoolean, checkNumber, checkOptions, describe as describeValue } from '../../core/options.js';
import { noGrad } from '../../autograd/mode.js';
import { rand } from '../../tensor/creation.js';
import { tidy } from '../../tensor/memory.js';
import { checkInputs, describe } from '../../tensor/ops/core.js';
import { Tensor } from '../../tensor/tensor.js';
import { noExtra } from './args.js';
import { topk } from './misc.js';

export interface MultinomialOptions {
  /** Draw with replacement (default false: each category at most once per row, as PyTorch). */
  replacement?: boolean;
}

/**
 * torch.multinomial: `numSamples` category indices (int32) per row of `probs` ([K] or [N, K],
 * weights >= 0 with a positive sum per row, not necessarily normalized), drawn with
 * probability proportional to the weights. With replacement: inverse-CDF sampling of uniform
 * draws (the first k with cdf[k] > u * total). Without: the k largest keys log(u) / w
 * (Efraimidis-Spirakis), which orders the picks as sequential draws without replacement do.
 *
 * Unlike PyTorch the weights' values are not checked (negative, NaN, all zero, or fewer nonzero
 * categories than samples without replacement): that would need a read back from the GPU; such
 * rows give arbitrary indices in range (zero-weight categories come last without replacement).
 */
export function multinomial(probs: Tensor, numSamples: number, options: MultinomialOptions = {}, ...extra: never[]): Tensor {
  const op = 'multinomial';
  noExtra(op, extra, '(probs, numSamples, options?)');
  if (!(probs instanceof Tensor)) throw new Error(`${op}: probs must be a Tensor, got ${describeValue(probs)}`);
  const device = checkInputs(op, probs);
  if (!isFloat(probs.dtype)) throw new Error(`${op}: probs must be a floating-point tensor, got ${describe(probs)}`);
  if (probs.ndim < 1 || probs.ndim > 2) throw new Error(`${op}: probs must be 1-D [K] or 2-D [N, K], got shape ${fmtShape(probs.shape)}`);
  checkOptions(op, options, ['replacement']);
  const replacement = checkBoolean(op, 'replacement', options.replacement ?? false);
  const K = probs.shape[probs.ndim - 1]!;
  if (K === 0) throw new Error(`${op}: probs has no categories (shape ${fmtShape(probs.shape)})`);
  checkNumber(op, 'numSamples', numSamples, { int: true, min: 1 });
  if (!replacement && numSamples > K) {
    throw new Error(`${op}: cannot draw ${numSamples} samples from ${K} categories without replacement (use { replacement: true })`);
  }
  return tidy(() => noGrad(() => {
    const p = probs.ndim === 1 ? probs.unsqueeze(0) : probs; // [N, K]
    const N = p.shape[0]!;
    let out: Tensor;
    if (replacement) {
      const u = rand([N, numSamples], { device, dtype: p.dtype });
      const cdf = p.cumsum(-1);
      const total = cdf.narrow(-1, K - 1, 1); // [N, 1]: the cdf's own last value, so u * total < it
      const target = u.mul(total).unsqueeze(-1); // [N, S, 1]
      out = cdf.unsqueeze(1).le(target).sum(-1).minimum(K - 1); // entries with cdf <= target: the index
    } else {
      // One uniform per category; a zero weight gives the key -inf (picked last).
      const keys = rand([N, K], { device, dtype: p.dtype }).log().div(p);
      out = topk(keys, numSamples, { dim: -1 })[1];
    }
    return probs.ndim === 1 ? out.squeeze(0) : out;
  }));
}
