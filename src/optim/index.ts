/** `webgrad.optim`: optimizers, gradient clipping and learning-rate schedulers. */
export { Optimizer, type ParamGroup, type OptimizerState, type ParamsArg, type ParamGroupSpec } from './optimizer.js';
export { SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, type SGDOptions, type AdamOptions, type RMSpropOptions, type AdagradOptions, type AdadeltaOptions } from './optimizers.js';
export { clipGradNorm, clipGradValue } from './clip.js';
export {
  LRScheduler, StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, CosineAnnealingWarmRestarts, LinearLR, OneCycleLR, ReduceLROnPlateau,
  type OneCycleOptions, type MultiStepOptions, type CosineWarmRestartsOptions, type ReduceLROnPlateauOptions, type PlateauState,
} from './lr_scheduler.js';
export { LBFGS, type LBFGSOptions, type LBFGSClosure, type LBFGSState } from './lbfgs.js';
