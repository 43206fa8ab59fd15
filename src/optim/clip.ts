/**
 * Gradient clipping, computed on the gradients' device without reading back: the total norm is
 * a 0-d tensor, and the scale min(1, maxNorm / (norm + 1e-6)) is applied as a tensor too.
 */
import { noGrad } from '../autograd/mode.js';
import { keep } from '../tensor/memory.js';
import { scalarTensor } from '../tensor/creation.js';
import { stack } from '../tensor/ops/indexing.js';
import { Tensor } from '../tensor/tensor.js';
import { Module } from '../layers/module.js';
import { checkNumber, describe } from '../core/options.js';

/** The parameters that have a gradient; `params` is one Tensor or an iterable of them (as PyTorch's clip_grad_norm_). */
function withGrads(op: string, params: unknown): Tensor[] {
  const expected = `${op}: params must be a Tensor or an iterable of Tensors`;
  if (params instanceof Module) throw new Error(`${expected}; got a ${params.constructor.name} module (pass model.parameters())`);
  const list = params instanceof Tensor ? [params] : params !== null && typeof params === 'object' && typeof (params as Iterable<unknown>)[Symbol.iterator] === 'function' && !(params instanceof Map) ? [...(params as Iterable<unknown>)] : null;
  if (!list) throw new Error(`${expected}; got ${describe(params)}`);
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new Error(`${expected}; item ${i} is ${describe(p)}`);
  });
  const ps = [...new Set(list as Tensor[])].filter((p) => p.grad);
  const devices = new Set(ps.map((p) => p.device));
  if (devices.size > 1) throw new Error(`${op}: all gradients must be on one device, got ${[...devices].join(' and ')}`);
  return ps;
}

function replaceGrad(p: Tensor, g: Tensor): void {
  const old = p.grad!;
  p.grad = keep(g);
  old.dispose();
}

/**
 * Scales the gradients so that their total `normType`-norm (2, or Infinity for the largest
 * magnitude; any other number > 0 works too) is at most maxNorm. A parameter listed twice counts once. Returns the total norm before clipping, as a 0-d tensor.
 */
export function clipGradNorm(params: Iterable<Tensor> | Tensor, maxNorm: number, normType = 2, ...extra: never[]): Tensor {
  if (extra.length) throw new Error(`clipGradNorm: takes (params, maxNorm, normType = 2); got ${extra.length} more argument(s)`);
  checkNumber('clipGradNorm', 'maxNorm', maxNorm, { min: 0, infinite: true });
  if (normType !== Infinity) checkNumber('clipGradNorm', 'normType', normType, { gt: 0 });
  const ps = withGrads('clipGradNorm', params);
  return noGrad(() => {
    if (ps.length === 0) return scalarTensor(0, 'float32', 'cpu');
    const per = ps.map((p) => (normType === Infinity ? p.grad!.abs().max() : p.grad!.abs().pow(normType).sum()).cast('float32'));
    const all = stack(per);
    const total = normType === Infinity ? all.max() : all.sum().pow(1 / normType);
    const coef = total.add(1e-6).pow(-1).mul(maxNorm).clamp(null, 1);
    for (const p of ps) replaceGrad(p, p.grad!.mul(coef.cast(p.grad!.dtype)));
    for (const t of [...per, all, coef]) t.dispose();
    return total;
  });
}

/** Clamps every gradient element to [-clipValue, clipValue]. */
export function clipGradValue(params: Iterable<Tensor> | Tensor, clipValue: number, ...extra: never[]): void {
  if (extra.length) throw new Error(`clipGradValue: takes (params, clipValue); got ${extra.length} more argument(s)`);
  checkNumber('clipGradValue', 'clipValue', clipValue, { min: 0, infinite: true });
  const ps = withGrads('clipGradValue', params);
  noGrad(() => {
    for (const p of ps) replaceGrad(p, p.grad!.clamp(-clipValue, clipValue));
  });
}
