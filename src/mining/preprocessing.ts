/**
 * webgrad.preprocessing: feature scaling with scikit-learn's estimators, names camelCased
 * (fit, transform, fitTransform, inverseTransform; data_min_ -> dataMin...). Every step is
 * tensor ops on X's device (reductions over the samples, then one broadcast op per call), so
 * they run on webgpu and cpu alike and read nothing back.
 */
import { noGrad } from '../autograd/mode.js';
import { checkBoolean, checkOptions, describe as describeValue, noExtra } from '../core/options.js';
import { fullLike } from '../tensor/creation.js';
import { tidy } from '../tensor/memory.js';
import { where } from '../tensor/ops/elementwise.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkData, Fitted } from './common.js';

/** A feature's range or standard deviation of 0 divides as 1 (a constant feature maps to the range's low end, or to 0), as scikit-learn. */
function zerosToOne(t: Tensor): Tensor {
  return where(t.eq(0), 1, t);
}

export interface MinMaxScalerOptions {
  /** The range each feature is mapped to, [min, max] with min < max (default [0, 1]). */
  featureRange?: readonly [number, number];
  /** Clip transformed values to featureRange (default false: values outside the fitted range map outside it). */
  clip?: boolean;
}

/**
 * sklearn.preprocessing.MinMaxScaler: x -> (x - dataMin) / dataRange * (max - min) + min per
 * feature, computed as x * scale + min.
 */
export class MinMaxScaler {
  readonly featureRange: readonly [number, number];
  readonly clip: boolean;
  /** Per feature, after fit ([nFeatures] tensors on X's device). */
  dataMin!: Tensor;
  dataMax!: Tensor;
  dataRange!: Tensor;
  scale!: Tensor;
  min!: Tensor;
  nSamplesSeen = 0;
  private readonly state: Fitted = new Fitted('MinMaxScaler');

  constructor(options: MinMaxScalerOptions = {}, ...extra: never[]) {
    const op = 'MinMaxScaler';
    noExtra(op, extra, '(options?)');
    checkOptions(op, options, ['featureRange', 'clip']);
    const r = options.featureRange ?? [0, 1];
    if (!Array.isArray(r) || r.length !== 2 || !r.every((v) => typeof v === 'number' && Number.isFinite(v)) || !(r[0]! < r[1]!)) {
      throw new Error(`${op}: featureRange must be [min, max] of finite numbers with min < max, got ${describeValue(r)}`);
    }
    this.featureRange = [r[0]!, r[1]!];
    this.clip = checkBoolean(op, 'clip', options.clip ?? false);
  }

  get nFeaturesIn(): number {
    return this.state.nFeatures;
  }

  /** Learns each feature's minimum and maximum over the rows of X [nSamples, nFeatures]. */
  fit(X: Tensor, ...extra: never[]): this {
    const op = 'MinMaxScaler.fit';
    noExtra(op, extra, '(X)');
    checkData(op, X);
    this.state.reset(X);
    const [lo, hi] = this.featureRange;
    noGrad(() => tidy(() => {
      const x = X.detach();
      this.dataMin = this.state.hold(x.amin(0));
      this.dataMax = this.state.hold(x.amax(0));
      this.dataRange = this.state.hold(this.dataMax.sub(this.dataMin));
      this.scale = this.state.hold(fullLike(this.dataRange, hi - lo).div(zerosToOne(this.dataRange)));
      this.min = this.state.hold(this.dataMin.mul(this.scale).neg().add(lo));
    }));
    this.nSamplesSeen = X.shape[0]!;
    return this;
  }

  /** Scales X to featureRange (clipped to it with `clip`). Differentiable in X. */
  transform(X: Tensor, ...extra: never[]): Tensor {
    noExtra('MinMaxScaler.transform', extra, '(X)');
    this.state.check('transform', X);
    return tidy(() => {
      const y = X.mul(this.scale).add(this.min);
      return this.clip ? y.clamp(this.featureRange[0], this.featureRange[1]) : y;
    });
  }

  /** fit(X) then transform(X). */
  fitTransform(X: Tensor, ...extra: never[]): Tensor {
    noExtra('MinMaxScaler.fitTransform', extra, '(X)');
    return this.fit(X).transform(X);
  }

  /** Undoes transform: (X - min) / scale. */
  inverseTransform(X: Tensor, ...extra: never[]): Tensor {
    noExtra('MinMaxScaler.inverseTransform', extra, '(X)');
    this.state.check('inverseTransform', X);
    return tidy(() => X.sub(this.min).div(this.scale));
  }
}

export interface StandardScalerOptions {
  /** Subtract each feature's mean (default true). */
  withMean?: boolean;
  /** Divide by each feature's standard deviation (default true; the population one, divisor N, as scikit-learn). */
  withStd?: boolean;
}

/** sklearn.preprocessing.StandardScaler: the z-score x -> (x - mean) / std per feature. */
export class StandardScaler {
  readonly withMean: boolean;
  readonly withStd: boolean;
  /** Per feature, after fit ([nFeatures] on X's device): the mean (null without withMean), the variance and the scale (null without withStd). */
  mean: Tensor | null = null;
  var: Tensor | null = null;
  scale: Tensor | null = null;
  nSamplesSeen = 0;
  private readonly state: Fitted = new Fitted('StandardScaler');

  constructor(options: StandardScalerOptions = {}, ...extra: never[]) {
    const op = 'StandardScaler';
    noExtra(op, extra, '(options?)');
    checkOptions(op, options, ['withMean', 'withStd']);
    this.withMean = checkBoolean(op, 'withMean', options.withMean ?? true);
    this.withStd = checkBoolean(op, 'withStd', options.withStd ?? true);
  }

  get nFeaturesIn(): number {
    return this.state.nFeatures;
  }

  /** Learns each feature's mean and (population) standard deviation over the rows of X. */
  fit(X: Tensor, ...extra: never[]): this {
    const op = 'StandardScaler.fit';
    noExtra(op, extra, '(X)');
    checkData(op, X);
    this.state.reset(X);
    noGrad(() => tidy(() => {
      const x = X.detach();
      this.mean = this.withMean ? this.state.hold(x.mean(0)) : null;
      this.var = this.withStd ? this.state.hold(x.var(0, { correction: 0 })) : null;
      this.scale = this.var ? this.state.hold(zerosToOne(this.var.sqrt())) : null;
    }));
    this.nSamplesSeen = X.shape[0]!;
    return this;
  }

  /** (X - mean) / scale, each part as the options say. Differentiable in X. */
  transform(X: Tensor, ...extra: never[]): Tensor {
    noExtra('StandardScaler.transform', extra, '(X)');
    this.state.check('transform', X);
    return tidy(() => {
      let y = this.mean ? X.sub(this.mean) : X.mul(1);
      if (this.scale) y = y.div(this.scale);
      return y;
    });
  }

  /** fit(X) then transform(X). */
  fitTransform(X: Tensor, ...extra: never[]): Tensor {
    noExtra('StandardScaler.fitTransform', extra, '(X)');
    return this.fit(X).transform(X);
  }

  /** Undoes transform: X * scale + mean. */
  inverseTransform(X: Tensor, ...extra: never[]): Tensor {
    noExtra('StandardScaler.inverseTransform', extra, '(X)');
    this.state.check('inverseTransform', X);
    return tidy(() => {
      let y = this.scale ? X.mul(this.scale) : X.mul(1);
      if (this.mean) y = y.add(this.mean);
      return y;
    });
  }
}
