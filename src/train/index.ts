/** `webgrad.train`: the fit helper, evaluation, a progress bar and the history chart. */
export { fit, evaluate, type FitOptions, type EpochLog, type LossFn } from './fit.js';
export { ProgressBar, formatDuration, type ProgressOptions } from './progress.js';
export { historySvg } from './plot.js';
