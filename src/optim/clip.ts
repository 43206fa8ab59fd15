/**
 * Gradient clipping, computed on the gradients' device without reading back: the total norm is
 * a 0-d tensor, and the scale min(1, maxNorm / (norm + 1e-6)) is applied as a tensor too.
 */
import { noGrad } from '../autograd/mode.js';
import { keep } from '../tensor/memory.js';
import { scalarTensor } from '../tensor/creation.js';
import { stack } from '../tensor/ops/indexing.js';
import type { Tensor } from '../tensor/tensor.js';

function withGrads(op: string, params: Iterable<Tensor>): Tensor[] {
  const ps = [...params].filter((p) => p.grad);
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
 * magnitude) is at most maxNorm. Returns the total norm before clipping, as a 0-d tensor.
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number, normType = 2): Tensor {
  if (!(maxNorm >= 0)) throw new Error(`clipGradNorm: maxNorm must be >= 0, got ${maxNorm}`);
  if (!(normType > 0)) throw new Error(`clipGradNorm: normType must be positive (or Infinity), got ${normType}`);
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
export function clipGradValue(params: Iterable<Tensor>, clipValue: number): void {
  if (!(clipValue >= 0)) throw new Error(`clipGradValue: clipValue must be >= 0, got ${clipValue}`);
  const ps = withGrads('clipGradValue', params);
  noGrad(() => {
    for (const p of ps) replaceGrad(p, p.grad!.clamp(-clipValue, clipValue));
  });
}
