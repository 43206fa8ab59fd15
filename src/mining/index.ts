/**
 * `webgrad.mining`: PCA and KMeans (scikit-learn's estimators, camelCase), and the scatter
 * plot the PCA example draws. The scalers are `webgrad.preprocessing`.
 */
export { PCA, type PCAOptions } from './pca.js';
export { KMeans, type KMeansOptions } from './kmeans.js';
export { scatterSvg, PALETTE, type ScatterOptions } from './plot.js';
