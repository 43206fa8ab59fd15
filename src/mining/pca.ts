/**
 * webgrad.mining.PCA: principal component analysis by the covariance matrix and the symmetric
 * eigensolver of webgrad.linalg. The centring, the covariance (one matmul) and every transform
 * are tensor ops on X's device; the d x d covariance is decomposed on the host (read back
 * from webgpu first), which is why `fit` returns a Promise.
 */
import { noGrad } from '../autograd/mode.js';
import { checkBoolean, checkNumber, checkOptions, describe as describeValue, noExtra } from '../core/options.js';
import { eighAsync } from '../linalg/index.js';
import { tensor } from '../tensor/creation.js';
import { tidy } from '../tensor/memory.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkData, Fitted } from './common.js';

export interface PCAOptions {
  /**
   * How many components to keep: an integer from 1 to min(nSamples, nFeatures), or a fraction
   * in (0, 1): the fewest components whose explained variance ratios sum past it (as
   * scikit-learn). Default: min(nSamples, nFeatures).
   */
  nComponents?: number;
  /** Scale the projections to unit variance (divide by sqrt(explainedVariance)); default false. */
  whiten?: boolean;
}

/**
 * sklearn.decomposition.PCA (its covariance route): fit(X) centres X, forms the covariance
 * Xc^T Xc / (n - 1) and keeps the eigenvectors of its largest eigenvalues. Components are
 * signed so that the largest-magnitude entry of each is positive (scikit-learn's svd_flip on
 * the components does the same).
 */
export class PCA {
  readonly whiten: boolean;
  private readonly requested: number | undefined;
  /** After fit: the principal axes [nComponents, nFeatures] (rows, orthonormal, by decreasing variance). */
  components!: Tensor;
  /** The covariance eigenvalues of the kept axes [nComponents] (the variance along each). */
  explainedVariance!: Tensor;
  /** explainedVariance / the total variance (the covariance's trace) [nComponents]. */
  explainedVarianceRatio!: Tensor;
  /** sqrt(explainedVariance * (nSamples - 1)): the singular values of the centred X [nComponents]. */
  singularValues!: Tensor;
  /** The per-feature mean subtracted before projecting [nFeatures]. */
  mean!: Tensor;
  /** The number of components kept (resolved from the option at fit). */
  nComponents = 0;
  nSamples = 0;
  private readonly state: Fitted = new Fitted('PCA');

  constructor(options: PCAOptions = {}, ...extra: never[]) {
    const op = 'PCA';
    noExtra(op, extra, '(options?)');
    checkOptions(op, options, ['nComponents', 'whiten']);
    if (options.nComponents !== undefined) {
      const k = options.nComponents;
      if (typeof k !== 'number' || !Number.isFinite(k) || !(k > 0) || (k >= 1 && !Number.isInteger(k))) {
        throw new Error(`${op}: nComponents must be an integer >= 1 or a fraction of the variance in (0, 1), got ${describeValue(k)}`);
      }
    }
    this.requested = options.nComponents;
    this.whiten = checkBoolean(op, 'whiten', options.whiten ?? false);
  }

  get nFeaturesIn(): number {
    return this.state.nFeatures;
  }

  /** Learns the principal axes of X [nSamples, nFeatures] (at least 2 samples). */
  async fit(X: Tensor, ...extra: never[]): Promise<this> {
    const op = 'PCA.fit';
    noExtra(op, extra, '(X)');
    checkData(op, X, 2);
    const [n, d] = [X.shape[0]!, X.shape[1]!];
    const most = Math.min(n, d);
    if (this.requested !== undefined && this.requested >= 1) {
      checkNumber(op, 'nComponents', this.requested, { int: true, min: 1, max: most });
    }
    const x = X.detach();
    const [mean, cov] = noGrad(() => tidy(() => {
      const m = x.mean(0);
      const xc = x.sub(m);
      return [m, xc.transpose(0, 1).matmul(xc).div(n - 1)];
    }));
    x.dispose();
    const [L, V] = await eighAsync(cov);
    cov.dispose();
    const lambda = await L.data();
    let total = 0;
    for (const v of lambda) total += v;
    let k = this.requested === undefined ? most : this.requested;
    if (k < 1) {
      // The fewest leading components whose ratios sum past the fraction.
      let acc = 0;
      let j = 0;
      while (j < most && acc <= k * total) acc += lambda[d - 1 - j++]!;
      k = Math.max(1, j);
    }
    this.state.reset(X);
    const idx = tensor(Int32Array.from({ length: k }, (_, j) => d - 1 - j), { device: X.device });
    noGrad(() => tidy(() => {
      this.mean = this.state.hold(mean);
      this.components = this.state.hold(V.indexSelect(1, idx).transpose(0, 1).contiguous());
      this.explainedVariance = this.state.hold(L.indexSelect(0, idx));
      this.explainedVarianceRatio = this.state.hold(this.explainedVariance.div(total));
      this.singularValues = this.state.hold(this.explainedVariance.clamp(0).mul(n - 1).sqrt());
    }));
    for (const t of [idx, L, V]) t.dispose();
    this.nComponents = k;
    this.nSamples = n;
    return this;
  }

  /** Projects X onto the components: (X - mean) components^T [nSamples, nComponents] (whitened with `whiten`). */
  transform(X: Tensor, ...extra: never[]): Tensor {
    noExtra('PCA.transform', extra, '(X)');
    this.state.check('transform', X);
    return tidy(() => {
      const z = X.sub(this.mean).matmul(this.components.transpose(0, 1));
      return this.whiten ? z.div(this.explainedVariance.sqrt()) : z;
    });
  }

  /** fit(X) then transform(X). */
  async fitTransform(X: Tensor, ...extra: never[]): Promise<Tensor> {
    noExtra('PCA.fitTransform', extra, '(X)');
    await this.fit(X);
    return this.transform(X);
  }

  /** Maps projections Z [nSamples, nComponents] back to feature space: Z components + mean (exact for X in the kept subspace). */
  inverseTransform(Z: Tensor, ...extra: never[]): Tensor {
    const op = 'PCA.inverseTransform';
    noExtra(op, extra, '(Z)');
    if (!this.state.fitted) throw new Error(`${op}: this PCA is not fitted yet; call fit(X) first`);
    checkData(op, Z);
    if (Z.shape[1] !== this.nComponents) throw new Error(`${op}: Z has ${Z.shape[1]} columns, expected nComponents (${this.nComponents})`);
    if (Z.device !== this.state.device) throw new Error(`${op}: Z is on ${Z.device}, but this PCA was fitted on ${this.state.device}`);
    return tidy(() => {
      const z = this.whiten ? Z.mul(this.explainedVariance.sqrt()) : Z;
      return z.matmul(this.components).add(this.mean);
    });
  }
}
