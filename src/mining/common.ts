/** What the estimators of webgrad.preprocessing and webgrad.mining share: input checks and fitted state. */
import { isFloat } from '../core/dtype.js';
import { fmtShape } from '../core/shape.js';
import { describe as describeValue } from '../core/options.js';
import { describe } from '../tensor/ops/core.js';
import { keep } from '../tensor/memory.js';
import { Tensor } from '../tensor/tensor.js';

/** Throws unless X is a live 2-D floating-point tensor [nSamples, nFeatures] with at least `minRows` rows. */
export function checkData(op: string, X: unknown, minRows = 1): asserts X is Tensor {
  if (!(X instanceof Tensor)) throw new Error(`${op}: X must be a Tensor [nSamples, nFeatures], got ${describeValue(X)}`);
  if (X.isDisposed) throw new Error(`${op}: X was disposed`);
  if (X.ndim !== 2) throw new Error(`${op}: X must be 2-D [nSamples, nFeatures], got shape ${fmtShape(X.shape)}`);
  if (!isFloat(X.dtype)) throw new Error(`${op}: X must be a floating-point tensor, got ${describe(X)}`);
  if (X.shape[0]! < minRows) throw new Error(`${op}: X must have at least ${minRows} sample${minRows > 1 ? 's' : ''} (rows), got shape ${fmtShape(X.shape)}`);
}

/**
 * Fitted state: tensors kept past every tidy scope (disposed when refitted), and the device and
 * feature count that later calls must match.
 */
export class Fitted {
  private tensors: Tensor[] = [];
  device: string | null = null;
  nFeatures = 0;

  constructor(private readonly name: string) {}

  /** Forgets (and disposes) the previous fit's tensors. */
  reset(X: Tensor): void {
    for (const t of this.tensors) t.dispose();
    this.tensors = [];
    this.device = X.device;
    this.nFeatures = X.shape[1]!;
  }

  /** Keeps `t` as part of the fitted state. */
  hold<T extends Tensor>(t: T): T {
    this.tensors.push(keep(t));
    return t;
  }

  get fitted(): boolean {
    return this.device !== null;
  }

  /** Throws unless fitted, and X is data with the fitted feature count on the fitted device. */
  check(method: string, X: unknown, what = 'features'): asserts X is Tensor {
    const op = `${this.name}.${method}`;
    if (!this.fitted) throw new Error(`${op}: this ${this.name} is not fitted yet; call fit(X) first`);
    checkData(op, X);
    if (X.shape[1] !== this.nFeatures) {
      throw new Error(`${op}: X has ${X.shape[1]} ${what} (shape ${fmtShape(X.shape)}), but this ${this.name} was fitted with ${this.nFeatures}`);
    }
    if (X.device !== this.device) throw new Error(`${op}: X is on ${X.device}, but this ${this.name} was fitted on ${this.device}`);
  }
}
