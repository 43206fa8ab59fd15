/**
 * webgrad.nn.functional: embedding lookups (see index.ts).
 *
 * The forward is a row gather (indexSelect) after an index-range check of its own, so that a
 * bad index names embedding on both backends; the backward is a scatter-add of the output
 * gradient into a zero table, written with the differentiable indexing ops (an atomic add per
 * element on webgpu, so repeated indices lose no update, and second derivatives come free).
 */
import { getBackend } from '../../runtime.js';
import { trace } from '../../autograd/node.js';
import { zeros } from '../../tensor/creation.js';
import { fmtShape } from '../../core/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { checkOptions } from '../../core/options.js';
import { checkInputs } from '../../tensor/ops/core.js';
import { where } from '../../tensor/ops/elementwise.js';
import { indexSelect, scatterAdd } from '../../tensor/ops/indexing.js';
import { expand, reshape, unsqueeze } from '../../tensor/ops/views.js';
import { noExtra } from './args.js';

export interface EmbeddingOptions {
  /** A row that gets no gradient (e.g. the padding token's); negative counts from the end. */
  paddingIdx?: number | null;
}

/**
 * Looks up rows of `weight` [V, D] for int32 `indices` of any shape: the result has shape
 * [...indices.shape, D], as `torch.nn.functional.embedding(input, weight, padding_idx)`.
 * An index outside [0, V) is an error (thrown at once on cpu; on webgpu it is reported at the
 * next read, as nothing reads back implicitly).
 *
 * Gradient (weight only): each row gets the sum of the output gradients of every position
 * that looked it up; the row at `paddingIdx` gets none.
 */
export function embedding(indices: Tensor, weight: Tensor, options: EmbeddingOptions = {}, ...extra: never[]): Tensor {
  noExtra('embedding', extra, '(indices, weight, options?)');
  const op = 'embedding';
  checkOptions(op, options, ['paddingIdx']);
  const device = checkInputs(op, indices, weight);
  if (indices.dtype !== 'int32') throw new Error(`${op}: indices must be an int32 tensor, got ${indices.dtype} (tensor() of plain numbers is float32: make indices with { dtype: 'int32' } or .cast('int32'))`);
  if (weight.ndim !== 2) throw new Error(`${op}: weight must be 2-D [numEmbeddings, embeddingDim], got shape ${fmtShape(weight.shape)}`);
  const [V, D] = weight.shape as [number, number];
  let pad = options.paddingIdx ?? null;
  if (pad !== null) {
    if (!Number.isInteger(pad) || pad < -V || pad >= V) {
      throw new Error(`${op}: paddingIdx ${pad} is out of range for a weight with ${V} rows (expected ${-V} to ${V - 1})`);
    }
    if (pad < 0) pad += V;
  }
  const shape = indices.shape;
  const n = indices.size;
  const padIdx = pad;
  return trace(
    op,
    [indices, weight],
    () => {
      getBackend(device).pooling.checkIndexRange(op, indices, V);
      const flat = reshape(indices, [n]);
      const rows = indexSelect(weight, 0, flat);
      const out = reshape(rows, [...shape, D]);
      flat.dispose();
      rows.dispose();
      return out;
    },
    (g, [idx]) => {
      const gm = padIdx === null ? g : where(unsqueeze(idx!.eq(padIdx), -1), 0, g);
      const at = expand(reshape(idx!, [n, 1]), [n, D]);
      return [null, scatterAdd(zeros([V, D], { dtype: g.dtype, device: g.device }), 0, at, reshape(gm, [n, D]))];
    },
    () => [indices],
  );
}
