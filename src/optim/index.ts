/** `webgrad.optim`: optimizers, gradient clipping and learning-rate schedulers. */
export { Optimizer, type ParamGroup, type OptimizerState, type ParamsArg, type ParamGroupSpec } from './optimizer.js';
export { SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, type SGDOptions, type AdamOptions, type RMSpropOptions, type AdagradOptions, type AdadeltaOptions } from './optimizers.js';
export { clipGradNorm, clipGradValue } from './clip.js';
export { LRScheduler, StepLR, ExponentialLR, CosineAnnealingLR, LinearLR, OneCycleLR, type OneCycleOptions } from './lr_scheduler.js';
