/**
 * Refused calls of webgrad.linalg (tests/linalg.test.ts), webgrad.preprocessing and
 * webgrad.mining (tests/mining.test.ts).
 */
import * as wg from '../../src/index.js';
import type { DeviceName } from '../../src/index.js';
import type { BadCall } from './types.js';

const any = <T>(f: T) => f as unknown as (...a: unknown[]) => unknown;
const X = (device: DeviceName) => wg.tensor([[0, 1], [2, 3], [4, 5]], { device });
const { linalg, preprocessing, mining } = wg;
/** The sync linalg functions take cpu tensors; on webgpu the async form is the one to call. */
const eigh = (device: DeviceName) => (device === 'cpu' ? linalg.eigh : linalg.eighAsync);
const svd = (device: DeviceName) => (device === 'cpu' ? linalg.svd : linalg.svdAsync);

const all: BadCall[] = [
  { what: 'eigh of a non-square matrix', kind: 'shape', op: 'linalg.eigh', expect: ['must be square in its last two dims ([..., n, n]), got shape [3, 2]'], call: (device) => eigh(device)(X(device)) },
  { what: 'eigh of a vector', kind: 'shape', op: 'linalg.eigh', expect: ['at least 2 dimensions ([..., m, n]), got shape [3]'], call: (device) => eigh(device)(wg.ones([3], { device })) },
  { what: 'eigh of an int32 matrix', kind: 'dtype', op: 'linalg.eigh', expect: ['must be a floating-point tensor (float32 or float64)', 'int32'], call: (device) => eigh(device)(wg.ones([2, 2], { device, dtype: 'int32' })) },
  { what: 'eigh with UPLO lower-case l', kind: 'out of range', op: 'linalg.eigh', expect: ["UPLO must be one of 'L', 'U', got 'l'"], call: (device) => eigh(device)(wg.eye(2, { device }), { UPLO: 'l' as 'L' }) },
  { what: 'eigh with a misspelt option uplo', kind: 'unknown option', op: 'linalg.eigh', expect: ["unknown option 'uplo'", "did you mean 'UPLO'?"], call: (device) => any(eigh(device))(wg.eye(2, { device }), { uplo: 'L' }) },
  { what: 'eigh of a matrix holding NaN', kind: 'out of range', op: 'linalg.eigh', expect: ['A must hold finite values, got NaN at flat index 1'], call: (device) => eigh(device)(wg.tensor([[1, NaN], [NaN, 1]], { device })) },
  { what: 'eigh of a plain array', kind: 'wrong type', op: 'linalg.eigh', expect: ['A must be a Tensor, got [[1, 0], [0, 1]]'], call: () => any(linalg.eigh)([[1, 0], [0, 1]]), cpuOnly: true },
  { what: 'svd with fullMatrices as a string', kind: 'wrong type', op: 'linalg.svd', expect: ["fullMatrices must be true or false, got 'no'"], call: (device) => svd(device)(X(device), { fullMatrices: 'no' as unknown as boolean }) },
  { what: 'svd with a misspelt option full_matrices', kind: 'unknown option', op: 'linalg.svd', expect: ["unknown option 'full_matrices'", "did you mean 'fullMatrices'?"], call: (device) => any(svd(device))(X(device), { full_matrices: false }) },
  { what: 'svd with fullMatrices of a tall matrix that requires grad', kind: 'state', op: 'linalg.svd', expect: ['the gradient with fullMatrices: true is not defined for a non-square A (3 x 2', 'use { fullMatrices: false }'], call: (device) => svd(device)(wg.tensor([[0, 1], [2, 3], [4, 5]], { device, requiresGrad: true })) },
  { what: 'svdvals with an extra argument', kind: 'wrong type', op: 'linalg.svdvals', expect: ['takes (A); got 1 more argument (true)'], call: () => any(linalg.svdvals)(X('cpu'), true), cpuOnly: true },
  { what: 'MinMaxScaler with featureRange [1, 0]', kind: 'out of range', op: 'MinMaxScaler', expect: ['featureRange must be [min, max] of finite numbers with min < max, got [1, 0]'], call: () => new preprocessing.MinMaxScaler({ featureRange: [1, 0] }), cpuOnly: true },
  { what: 'MinMaxScaler with a misspelt option feature_range', kind: 'unknown option', op: 'MinMaxScaler', expect: ["unknown option 'feature_range'", "did you mean 'featureRange'?"], call: () => new (any(preprocessing.MinMaxScaler) as unknown as new (o: unknown) => unknown)({ feature_range: [0, 1] }), cpuOnly: true },
  { what: 'MinMaxScaler.transform before fit', kind: 'state', op: 'MinMaxScaler.transform', expect: ['is not fitted yet; call fit(X) first'], call: (device) => new preprocessing.MinMaxScaler().transform(X(device)) },
  { what: 'MinMaxScaler.transform with another feature count', kind: 'shape', op: 'MinMaxScaler.transform', expect: ['X has 3 features (shape [1, 3]), but this MinMaxScaler was fitted with 2'], call: (device) => new preprocessing.MinMaxScaler().fit(X(device)).transform(wg.ones([1, 3], { device })) },
  { what: 'MinMaxScaler.fit of a 1-D tensor', kind: 'shape', op: 'MinMaxScaler.fit', expect: ['X must be 2-D [nSamples, nFeatures], got shape [3]'], call: (device) => new preprocessing.MinMaxScaler().fit(wg.ones([3], { device })) },
  { what: 'StandardScaler with withMean as a number', kind: 'wrong type', op: 'StandardScaler', expect: ['withMean must be true or false, got 0'], call: () => new preprocessing.StandardScaler({ withMean: 0 as unknown as boolean }), cpuOnly: true },
  { what: 'StandardScaler.fit of an int32 tensor', kind: 'dtype', op: 'StandardScaler.fit', expect: ['X must be a floating-point tensor', 'int32'], call: (device) => new preprocessing.StandardScaler().fit(wg.ones([2, 2], { device, dtype: 'int32' })) },
  { what: 'PCA with nComponents 1.5', kind: 'out of range', op: 'PCA', expect: ['nComponents must be an integer >= 1 or a fraction of the variance in (0, 1), got 1.5'], call: () => new mining.PCA({ nComponents: 1.5 }), cpuOnly: true },
  { what: 'PCA with nComponents above min(nSamples, nFeatures)', kind: 'out of range', op: 'PCA.fit', expect: ['nComponents must be an integer >= 1 and <= 2, got 3'], call: (device) => new mining.PCA({ nComponents: 3 }).fit(X(device)) },
  { what: 'PCA.fit of a single sample', kind: 'shape', op: 'PCA.fit', expect: ['X must have at least 2 samples (rows), got shape [1, 2]'], call: (device) => new mining.PCA().fit(wg.ones([1, 2], { device })) },
  { what: 'PCA.inverseTransform with the wrong number of columns', kind: 'shape', op: 'PCA.inverseTransform', expect: ['Z has 2 columns, expected nComponents (1)'], call: async (device) => (await new mining.PCA({ nComponents: 1 }).fit(X(device))).inverseTransform(X(device)) },
  { what: 'PCA with a misspelt option n_components', kind: 'unknown option', op: 'PCA', expect: ["unknown option 'n_components'", "did you mean 'nComponents'?"], call: () => new (any(mining.PCA) as unknown as new (o: unknown) => unknown)({ n_components: 2 }), cpuOnly: true },
  { what: 'KMeans with nClusters 0', kind: 'out of range', op: 'KMeans', expect: ['nClusters must be an integer >= 1, got 0'], call: () => new mining.KMeans({ nClusters: 0 }), cpuOnly: true },
  { what: "KMeans with init 'kmeans++'", kind: 'out of range', op: 'KMeans', expect: ["init must be one of 'k-means++', 'random', got 'kmeans++'", "did you mean 'k-means++'?"], call: () => new mining.KMeans({ init: 'kmeans++' as 'random' }), cpuOnly: true },
  { what: 'KMeans with nInit 3 and a Tensor of centres', kind: 'state', op: 'KMeans', expect: ['nInit must be 1 (or \'auto\') when init is a Tensor of centres, got 3'], call: (device) => new mining.KMeans({ nClusters: 2, init: wg.ones([2, 2], { device }), nInit: 3 }) },
  { what: 'KMeans with a negative tol', kind: 'out of range', op: 'KMeans', expect: ['tol must be a finite number >= 0, got -1'], call: () => new mining.KMeans({ tol: -1 }), cpuOnly: true },
  { what: 'KMeans.fit with fewer samples than clusters', kind: 'shape', op: 'KMeans.fit', expect: ['X has 3 samples, fewer than nClusters (4)'], call: (device) => new mining.KMeans({ nClusters: 4 }).fit(X(device)) },
  { what: 'KMeans.predict before fit', kind: 'state', op: 'KMeans.predict', expect: ['this KMeans is not fitted yet; call fit(X) first'], call: (device) => new mining.KMeans().predict(X(device)) },
  { what: 'KMeans with a misspelt option n_clusters', kind: 'unknown option', op: 'KMeans', expect: ["unknown option 'n_clusters'", "did you mean 'nClusters'?"], call: () => new (any(mining.KMeans) as unknown as new (o: unknown) => unknown)({ n_clusters: 3 }), cpuOnly: true },
  { what: 'scatterSvg with arrays of different lengths', kind: 'shape', op: 'scatterSvg', expect: ['x, y and group must have the same length, got 2, 1 and 2'], call: () => mining.scatterSvg([0, 1], [0], [0, 0]), cpuOnly: true },
];

/** Cases that need a webgpu tensor (dropped where the run has no adapter, as in tests/sweep/inplace.ts). */
const crossDevice: BadCall[] = [
  { what: 'sync eigh of a webgpu tensor', kind: 'device', op: 'linalg.eigh', expect: ['A is a webgpu tensor', 'use await linalg.eighAsync(A)'], call: () => linalg.eigh(wg.eye(2, { device: 'webgpu' })), cpuOnly: true },
  { what: 'StandardScaler.inverseTransform on another device than fitted', kind: 'device', op: 'StandardScaler.inverseTransform', expect: ['X is on cpu, but this StandardScaler was fitted on webgpu'], call: () => new preprocessing.StandardScaler().fit(X('webgpu')).inverseTransform(X('cpu')), cpuOnly: true },
];

export const cases: BadCall[] = process.env.WEBGRAD_TEST_NO_WEBGPU === '1' ? all : [...all, ...crossDevice];
