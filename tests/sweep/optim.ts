/** Refused calls of webgrad.optim: optimizers, parameter groups, clipping and schedulers. */
import * as wg from '../../src/index.js';
import type { DeviceName } from '../../src/index.js';
import type { BadCall } from './types.js';

const { optim } = wg;
const p = (device: DeviceName) => wg.zeros([2], { device, dtype: 'float32', requiresGrad: true });
const sgd = (device: DeviceName, o: wg.optim.SGDOptions = { lr: 1 }) => new optim.SGD([p(device)], o);
type Ctor = new (params: unknown, options?: unknown) => unknown;
const make = (C: unknown, params: unknown, options?: unknown) => new (C as Ctor)(params, options);
const ANY = 'params must be an iterable of Tensors or of parameter groups';

const optimizerCases: BadCall[] = (
  [
    ['SGD', { lr: 0.1, momentun: 0.9 }, "unknown option 'momentun' (did you mean 'momentum'?)"],
    ['SGD', { learning_rate: 0.1 }, "unknown option 'learning_rate'"],
    ['Adam', { weight_decay: 0.1 }, "unknown option 'weight_decay' (did you mean 'weightDecay'?)"],
    ['AdamW', { beta: [0.9, 0.99] }, "unknown option 'beta' (did you mean 'betas'?)"],
    ['RMSprop', { centred: true }, "unknown option 'centred' (did you mean 'centered'?)"],
    ['SGD', 0.1, 'options must be a plain object'],
    ['Adagrad', { lr_decay: 0.1 }, "unknown option 'lr_decay' (did you mean 'lrDecay'?)"],
    ['Adagrad', { initialAccumulator: 0.1 }, "unknown option 'initialAccumulator'"],
    ['Adadelta', { betas: [0.9, 0.99] }, "unknown option 'betas'"],
  ] as const
).map(([op, o, msg]) => ({ what: `options ${JSON.stringify(o)}`, kind: 'unknown option' as const, op, expect: [msg], call: (d: DeviceName) => make((optim as Record<string, unknown>)[op], [p(d)], o) }));

const rangeCases: BadCall[] = (
  [
    ['SGD', { lr: -0.1 }, 'lr must be a finite number >= 0, got -0.1'],
    ['SGD', { lr: NaN }, 'lr must be a finite number >= 0, got NaN'],
    ['SGD', { lr: Infinity }, 'lr must be a finite number >= 0, got Infinity'],
    ['SGD', { lr: '0.1' }, "lr must be a finite number >= 0, got '0.1'"],
    ['SGD', { momentum: -0.9 }, 'momentum must be a finite number >= 0, got -0.9'],
    ['SGD', { dampening: -1 }, 'dampening must be a finite number >= 0, got -1'],
    ['SGD', { weightDecay: -1e-4 }, 'weightDecay must be a finite number >= 0, got -0.0001'],
    ['SGD', { nesterov: true, momentum: 0.9, dampening: 0.1 }, 'Nesterov momentum needs momentum > 0 and dampening 0'],
    ['SGD', { maximize: 1 }, 'maximize must be true or false, got 1'],
    ['Adam', { lr: -1e-3 }, 'lr must be a finite number >= 0'],
    ['Adam', { betas: [1, 0.999] }, 'betas[0] must be a finite number >= 0 and < 1, got 1'],
    ['Adam', { betas: [0.9, -0.1] }, 'betas[1] must be a finite number >= 0 and < 1, got -0.1'],
    ['Adam', { betas: 0.9 }, 'betas must be a pair [beta1, beta2], got 0.9'],
    ['Adam', { eps: -1 }, 'eps must be a finite number >= 0, got -1'],
    ['Adam', { amsgrad: 'yes' }, "amsgrad must be true or false, got 'yes'"],
    ['AdamW', { weightDecay: NaN }, 'weightDecay must be a finite number >= 0, got NaN'],
    ['RMSprop', { alpha: 1.5 }, 'alpha must be a finite number >= 0 and <= 1, got 1.5'],
    ['RMSprop', { momentum: -0.1 }, 'momentum must be a finite number >= 0, got -0.1'],
    ['RMSprop', { centered: null }, 'centered must be true or false, got null'],
    ['Adagrad', { lr: -0.01 }, 'lr must be a finite number >= 0, got -0.01'],
    ['Adagrad', { lrDecay: -1 }, 'lrDecay must be a finite number >= 0, got -1'],
    ['Adagrad', { weightDecay: Infinity }, 'weightDecay must be a finite number >= 0, got Infinity'],
    ['Adagrad', { initialAccumulatorValue: -0.1 }, 'initialAccumulatorValue must be a finite number >= 0, got -0.1'],
    ['Adagrad', { eps: NaN }, 'eps must be a finite number >= 0, got NaN'],
    ['Adagrad', { maximize: 'no' }, "maximize must be true or false, got 'no'"],
    ['Adadelta', { lr: -1 }, 'lr must be a finite number >= 0, got -1'],
    ['Adadelta', { rho: 1.5 }, 'rho must be a finite number >= 0 and <= 1, got 1.5'],
    ['Adadelta', { rho: -0.1 }, 'rho must be a finite number >= 0 and <= 1, got -0.1'],
    ['Adadelta', { eps: -1e-6 }, 'eps must be a finite number >= 0, got -0.000001'],
    ['Adadelta', { weightDecay: -0.1 }, 'weightDecay must be a finite number >= 0, got -0.1'],
  ] as const
).map(([op, o, msg]) => ({ what: `options ${JSON.stringify(o)}`, kind: 'out of range' as const, op, expect: [msg], call: (d: DeviceName) => make((optim as Record<string, unknown>)[op], [p(d)], o) }));

const paramCases: BadCall[] = [
  { what: 'a Module as params', kind: 'wrong type', op: 'SGD', expect: [ANY, 'got a Linear module (pass model.parameters())'], call: (d) => make(optim.SGD, new wg.nn.Linear(2, 2, { device: d } as never)) },
  { what: 'a single Tensor as params', kind: 'wrong type', op: 'Adam', expect: [ANY, 'got a single Tensor of shape [2] (pass [tensor])'], call: (d) => make(optim.Adam, p(d)) },
  { what: 'a Map as params', kind: 'wrong type', op: 'SGD', expect: [ANY, 'got a Map'], call: (d) => make(optim.SGD, new Map([['w', p(d)]])) },
  { what: 'null as params', kind: 'wrong type', op: 'RMSprop', expect: [ANY, 'got null'], call: () => make(optim.RMSprop, null), cpuOnly: true },
  { what: 'undefined as params', kind: 'wrong type', op: 'AdamW', expect: [ANY, 'got undefined'], call: () => make(optim.AdamW, undefined), cpuOnly: true },
  { what: 'a string as params', kind: 'wrong type', op: 'SGD', expect: [ANY, "got 'weights'"], call: () => make(optim.SGD, 'weights'), cpuOnly: true },
  { what: 'namedParameters() pairs as params', kind: 'wrong type', op: 'SGD', expect: ['[name, Tensor] pairs'], call: (d) => make(optim.SGD, [['w', p(d)]]) },
  { what: 'numbers as params', kind: 'wrong type', op: 'SGD', expect: ['got 1 as item 0'], call: () => make(optim.SGD, [1, 2]), cpuOnly: true },
  { what: 'Tensors mixed with groups', kind: 'wrong type', op: 'SGD', expect: ['mixing Tensors and other things'], call: (d) => make(optim.SGD, [{ params: [p(d)] }, p(d)]) },
  { what: 'an empty parameter list', kind: 'shape', op: 'SGD', expect: ['got an empty parameter list'], call: () => make(optim.SGD, []), cpuOnly: true },
  { what: 'a tensor that does not require grad', kind: 'state', op: 'Adam', expect: ['parameters must be leaf tensors that require grad'], call: (d) => make(optim.Adam, [wg.zeros([2], { device: d, dtype: 'float32' })]) },
  { what: 'a disposed parameter', kind: 'state', op: 'SGD', expect: ['was disposed'], call: (d) => { const w = p(d); w.dispose(); return make(optim.SGD, [w]); } },
  { what: 'one parameter in two groups', kind: 'state', op: 'SGD', expect: ['appears in more than one group (groups 0 and 1)'], call: (d) => { const w = p(d); return make(optim.SGD, [{ params: [w] }, { params: [w] }]); } },
  { what: "a group's misspelt params key", kind: 'unknown option', op: 'SGD', expect: ["parameter group 0: unknown option 'param' (did you mean 'params'?)"], call: (d) => make(optim.SGD, [{ param: [p(d)] }]) },
  { what: "a group's option at its top level", kind: 'unknown option', op: 'Adam', expect: ["parameter group 0 has the key 'lr'", "go under 'options'"], call: (d) => make(optim.Adam, [{ params: [p(d)], lr: 0.1 }]) },
  { what: "a group's unknown option", kind: 'unknown option', op: 'SGD', expect: ["parameter group 1 options: unknown option 'momentun' (did you mean 'momentum'?)"], call: (d) => make(optim.SGD, [{ params: [p(d)] }, { params: [p(d)], options: { momentun: 0.9 } }]) },
  { what: "a group's lr out of range", kind: 'out of range', op: 'Adam', expect: ['lr (parameter group 0) must be a finite number >= 0, got -1'], call: (d) => make(optim.Adam, [{ params: [p(d)], options: { lr: -1 } }]) },
  { what: "a group's params not tensors", kind: 'wrong type', op: 'SGD', expect: ['parameter group 0: params[0] is 3, not a Tensor'], call: () => make(optim.SGD, [{ params: [3] }]), cpuOnly: true },
  { what: "a group's params a Module", kind: 'wrong type', op: 'SGD', expect: ['parameter group 0: params must be a Tensor or an iterable of Tensors', 'pass model.parameters()'], call: (d) => make(optim.SGD, [{ params: new wg.nn.Linear(2, 2, { device: d } as never) }]) },
  { what: 'a group with no parameters', kind: 'shape', op: 'SGD', expect: ['parameter group 1 has an empty parameter list'], call: (d) => make(optim.SGD, [{ params: [p(d)] }, { params: [] }]) },
];

const clipCases: BadCall[] = [
  { what: 'maxNorm negative', kind: 'out of range', op: 'clipGradNorm', expect: ['maxNorm must be a number >= 0, got -1'], call: (d) => optim.clipGradNorm([p(d)], -1) },
  { what: 'maxNorm NaN', kind: 'out of range', op: 'clipGradNorm', expect: ['maxNorm must be a number >= 0, got NaN'], call: (d) => optim.clipGradNorm([p(d)], NaN) },
  { what: 'normType 0', kind: 'out of range', op: 'clipGradNorm', expect: ['normType must be a finite number > 0, got 0'], call: (d) => optim.clipGradNorm([p(d)], 1, 0) },
  { what: 'a Module as params', kind: 'wrong type', op: 'clipGradNorm', expect: ['got a Linear module (pass model.parameters())'], call: (d) => optim.clipGradNorm(new wg.nn.Linear(2, 2, { device: d } as never) as never, 1) },
  { what: 'a number as params', kind: 'wrong type', op: 'clipGradValue', expect: ['params must be a Tensor or an iterable of Tensors; got 5'], call: () => optim.clipGradValue(5 as never, 1), cpuOnly: true },
  { what: 'clipValue negative', kind: 'out of range', op: 'clipGradValue', expect: ['clipValue must be a number >= 0, got -0.5'], call: (d) => optim.clipGradValue([p(d)], -0.5) },
];

const schedulerCases: BadCall[] = [
  { what: 'StepLR stepSize 0', kind: 'out of range', op: 'StepLR', expect: ['stepSize must be an integer >= 1, got 0'], call: (d) => new optim.StepLR(sgd(d), 0) },
  { what: 'StepLR stepSize 1.5', kind: 'out of range', op: 'StepLR', expect: ['stepSize must be an integer >= 1, got 1.5'], call: (d) => new optim.StepLR(sgd(d), 1.5) },
  { what: 'StepLR gamma NaN', kind: 'out of range', op: 'StepLR', expect: ['gamma must be a finite number > 0, got NaN'], call: (d) => new optim.StepLR(sgd(d), 2, NaN) },
  { what: 'StepLR on a non-optimizer', kind: 'wrong type', op: 'StepLR', expect: ['optimizer must be an optimizer'], call: () => new optim.StepLR({ paramGroups: [] } as never, 2), cpuOnly: true },
  { what: 'StepLR.step(epoch)', kind: 'wrong type', op: 'StepLR.step', expect: ['takes no arguments'], call: (d) => (new optim.StepLR(sgd(d), 2).step as (e: number) => void)(3) },
  { what: 'ExponentialLR gamma 0', kind: 'out of range', op: 'ExponentialLR', expect: ['gamma must be a finite number > 0, got 0'], call: (d) => new optim.ExponentialLR(sgd(d), 0) },
  { what: 'ExponentialLR extra argument', kind: 'wrong type', op: 'ExponentialLR', expect: ['takes (optimizer, gamma); got 1 more argument'], call: (d) => new (optim.ExponentialLR as unknown as new (...a: unknown[]) => unknown)(sgd(d), 0.9, 5) },
  { what: 'CosineAnnealingLR tMax 0', kind: 'out of range', op: 'CosineAnnealingLR', expect: ['tMax must be an integer >= 1, got 0'], call: (d) => new optim.CosineAnnealingLR(sgd(d), 0) },
  { what: 'CosineAnnealingLR etaMin negative', kind: 'out of range', op: 'CosineAnnealingLR', expect: ['etaMin must be a finite number >= 0, got -1'], call: (d) => new optim.CosineAnnealingLR(sgd(d), 10, -1) },
  { what: 'LinearLR startFactor 2', kind: 'out of range', op: 'LinearLR', expect: ['startFactor must be a finite number > 0 and <= 1, got 2'], call: (d) => new optim.LinearLR(sgd(d), 2) },
  { what: 'LinearLR endFactor -1', kind: 'out of range', op: 'LinearLR', expect: ['endFactor must be a finite number >= 0 and <= 1, got -1'], call: (d) => new optim.LinearLR(sgd(d), 0.5, -1) },
  { what: 'LinearLR totalIters 0', kind: 'out of range', op: 'LinearLR', expect: ['totalIters must be an integer >= 1, got 0'], call: (d) => new optim.LinearLR(sgd(d), 0.5, 1, 0) },
  { what: 'OneCycleLR unknown option', kind: 'unknown option', op: 'OneCycleLR', expect: ["unknown option 'pct_start' (did you mean 'pctStart'?)"], call: (d) => new optim.OneCycleLR(sgd(d), 1, 10, { pct_start: 0.3 } as never) },
  { what: 'OneCycleLR maxLr 0', kind: 'out of range', op: 'OneCycleLR', expect: ['maxLr must be a finite number > 0, got 0'], call: (d) => new optim.OneCycleLR(sgd(d), 0, 10) },
  { what: 'OneCycleLR totalSteps 0', kind: 'out of range', op: 'OneCycleLR', expect: ['totalSteps must be an integer >= 1, got 0'], call: (d) => new optim.OneCycleLR(sgd(d), 1, 0) },
  { what: 'OneCycleLR no totalSteps', kind: 'wrong type', op: 'OneCycleLR', expect: ['give totalSteps, or epochs and stepsPerEpoch'], call: (d) => new optim.OneCycleLR(sgd(d), 1, null) },
  { what: 'OneCycleLR totalSteps and epochs', kind: 'wrong type', op: 'OneCycleLR', expect: ['give totalSteps or (epochs and stepsPerEpoch), not both'], call: (d) => new optim.OneCycleLR(sgd(d), 1, 10, { epochs: 2, stepsPerEpoch: 5 }) },
  { what: 'OneCycleLR stepsPerEpoch 0', kind: 'out of range', op: 'OneCycleLR', expect: ['stepsPerEpoch must be an integer >= 1, got 0'], call: (d) => new optim.OneCycleLR(sgd(d), 1, null, { epochs: 2, stepsPerEpoch: 0 }) },
  { what: 'OneCycleLR pctStart -0.1', kind: 'out of range', op: 'OneCycleLR', expect: ['pctStart must be a finite number >= 0 and <= 1, got -0.1'], call: (d) => new optim.OneCycleLR(sgd(d), 1, 10, { pctStart: -0.1 }) },
  { what: 'OneCycleLR threePhase pctStart 0.7', kind: 'out of range', op: 'OneCycleLR', expect: ['pctStart must be a finite number >= 0 and <= 0.5, got 0.7'], call: (d) => new optim.OneCycleLR(sgd(d), 1, 10, { pctStart: 0.7, threePhase: true }) },
  { what: "OneCycleLR annealStrategy 'cosine'", kind: 'out of range', op: 'OneCycleLR', expect: ["annealStrategy must be one of 'cos', 'linear', got 'cosine'"], call: (d) => new optim.OneCycleLR(sgd(d), 1, 10, { annealStrategy: 'cosine' as never }) },
  { what: 'OneCycleLR divFactor 0', kind: 'out of range', op: 'OneCycleLR', expect: ['divFactor must be a finite number > 0, got 0'], call: (d) => new optim.OneCycleLR(sgd(d), 1, 10, { divFactor: 0 }) },
  { what: 'OneCycleLR finalDivFactor -1', kind: 'out of range', op: 'OneCycleLR', expect: ['finalDivFactor must be a finite number > 0, got -1'], call: (d) => new optim.OneCycleLR(sgd(d), 1, 10, { finalDivFactor: -1 }) },
  { what: 'OneCycleLR baseMomentum 1.2', kind: 'out of range', op: 'OneCycleLR', expect: ['baseMomentum must be a finite number >= 0 and < 1, got 1.2'], call: (d) => new optim.OneCycleLR(sgd(d), 1, 10, { baseMomentum: 1.2 }) },
  { what: "OneCycleLR cycleMomentum 'no'", kind: 'wrong type', op: 'OneCycleLR', expect: ["cycleMomentum must be true or false, got 'no'"], call: (d) => new optim.OneCycleLR(sgd(d), 1, 10, { cycleMomentum: 'no' as never }) },
  { what: 'OneCycleLR maxLr per group of the wrong length', kind: 'shape', op: 'OneCycleLR', expect: ['maxLr has 3 values, but the optimizer has 1 parameter groups'], call: (d) => new optim.OneCycleLR(sgd(d), [1, 2, 3], 10) },
  {
    what: 'OneCycleLR stepped past totalSteps', kind: 'state', op: 'OneCycleLR.step', expect: ['step() called 4 times after construction, more than totalSteps (3)'],
    call: (d) => { const s = new optim.OneCycleLR(sgd(d), 1, 3); for (let i = 0; i < 4; i++) s.step(); },
  },
  { what: 'MultiStepLR without options', kind: 'wrong type', op: 'MultiStepLR', expect: ['options { milestones, gamma } are required'], call: (d) => new optim.MultiStepLR(sgd(d), undefined as never) },
  { what: 'MultiStepLR milestones a number', kind: 'wrong type', op: 'MultiStepLR', expect: ['milestones must be an array of integers >= 1', 'got 30'], call: (d) => new optim.MultiStepLR(sgd(d), { milestones: 30 as never }) },
  { what: 'MultiStepLR milestone 0', kind: 'out of range', op: 'MultiStepLR', expect: ['milestones[1] must be an integer >= 1, got 0'], call: (d) => new optim.MultiStepLR(sgd(d), { milestones: [3, 0] }) },
  { what: 'MultiStepLR gamma -0.1', kind: 'out of range', op: 'MultiStepLR', expect: ['gamma must be a finite number > 0, got -0.1'], call: (d) => new optim.MultiStepLR(sgd(d), { milestones: [3], gamma: -0.1 }) },
  { what: 'MultiStepLR unknown option', kind: 'unknown option', op: 'MultiStepLR', expect: ["unknown option 'milestone' (did you mean 'milestones'?)"], call: (d) => new optim.MultiStepLR(sgd(d), { milestone: [3] } as never) },
  { what: 'CosineAnnealingWarmRestarts T0 0', kind: 'out of range', op: 'CosineAnnealingWarmRestarts', expect: ['T0 must be an integer >= 1, got 0'], call: (d) => new optim.CosineAnnealingWarmRestarts(sgd(d), { T0: 0 }) },
  { what: 'CosineAnnealingWarmRestarts TMult 0.5', kind: 'out of range', op: 'CosineAnnealingWarmRestarts', expect: ['TMult must be an integer >= 1, got 0.5'], call: (d) => new optim.CosineAnnealingWarmRestarts(sgd(d), { T0: 5, TMult: 0.5 }) },
  { what: 'CosineAnnealingWarmRestarts etaMin NaN', kind: 'out of range', op: 'CosineAnnealingWarmRestarts', expect: ['etaMin must be a finite number >= 0, got NaN'], call: (d) => new optim.CosineAnnealingWarmRestarts(sgd(d), { T0: 5, etaMin: NaN }) },
  { what: 'CosineAnnealingWarmRestarts snake_case option', kind: 'unknown option', op: 'CosineAnnealingWarmRestarts', expect: ["unknown option 'T_mult' (did you mean 'TMult'?)"], call: (d) => new optim.CosineAnnealingWarmRestarts(sgd(d), { T0: 5, T_mult: 2 } as never) },
  { what: 'CosineAnnealingWarmRestarts.step(-1)', kind: 'out of range', op: 'CosineAnnealingWarmRestarts.step', expect: ['epoch must be a finite number >= 0, got -1'], call: (d) => new optim.CosineAnnealingWarmRestarts(sgd(d), { T0: 5 }).step(-1) },
  { what: "CosineAnnealingWarmRestarts.step('3')", kind: 'wrong type', op: 'CosineAnnealingWarmRestarts.step', expect: ["epoch must be a finite number >= 0, got '3'"], call: (d) => new optim.CosineAnnealingWarmRestarts(sgd(d), { T0: 5 }).step('3') },
  { what: 'ReduceLROnPlateau factor 1', kind: 'out of range', op: 'ReduceLROnPlateau', expect: ['factor must be a finite number > 0 and < 1, got 1'], call: (d) => new optim.ReduceLROnPlateau(sgd(d), { factor: 1 }) },
  { what: 'ReduceLROnPlateau patience -1', kind: 'out of range', op: 'ReduceLROnPlateau', expect: ['patience must be an integer >= 0, got -1'], call: (d) => new optim.ReduceLROnPlateau(sgd(d), { patience: -1 }) },
  { what: 'ReduceLROnPlateau cooldown 0.5', kind: 'out of range', op: 'ReduceLROnPlateau', expect: ['cooldown must be an integer >= 0, got 0.5'], call: (d) => new optim.ReduceLROnPlateau(sgd(d), { cooldown: 0.5 }) },
  { what: 'ReduceLROnPlateau threshold -1', kind: 'out of range', op: 'ReduceLROnPlateau', expect: ['threshold must be a finite number >= 0, got -1'], call: (d) => new optim.ReduceLROnPlateau(sgd(d), { threshold: -1 }) },
  { what: "ReduceLROnPlateau mode 'minimize'", kind: 'out of range', op: 'ReduceLROnPlateau', expect: ["mode must be one of 'min', 'max', got 'minimize'"], call: (d) => new optim.ReduceLROnPlateau(sgd(d), { mode: 'minimize' as never }) },
  { what: "ReduceLROnPlateau thresholdMode 'relative'", kind: 'out of range', op: 'ReduceLROnPlateau', expect: ["thresholdMode must be one of 'rel', 'abs', got 'relative'"], call: (d) => new optim.ReduceLROnPlateau(sgd(d), { thresholdMode: 'relative' as never }) },
  { what: 'ReduceLROnPlateau minLr per group of the wrong length', kind: 'shape', op: 'ReduceLROnPlateau', expect: ['minLr has 2 values, but the optimizer has 1 parameter groups'], call: (d) => new optim.ReduceLROnPlateau(sgd(d), { minLr: [0, 0] }) },
  { what: 'ReduceLROnPlateau eps -1', kind: 'out of range', op: 'ReduceLROnPlateau', expect: ['eps must be a finite number >= 0, got -1'], call: (d) => new optim.ReduceLROnPlateau(sgd(d), { eps: -1 }) },
  { what: 'ReduceLROnPlateau snake_case option', kind: 'unknown option', op: 'ReduceLROnPlateau', expect: ["unknown option 'threshold_mode' (did you mean 'thresholdMode'?)"], call: (d) => new optim.ReduceLROnPlateau(sgd(d), { threshold_mode: 'abs' } as never) },
  { what: 'ReduceLROnPlateau.step() without the metric', kind: 'wrong type', op: 'ReduceLROnPlateau.step', expect: ['takes the metric to watch', 'got no argument'], call: (d) => new optim.ReduceLROnPlateau(sgd(d)).step() },
  { what: 'ReduceLROnPlateau.step(Tensor)', kind: 'wrong type', op: 'ReduceLROnPlateau.step', expect: ['the metric must be a number, got a Tensor', 'await loss.item()'], call: (d) => new optim.ReduceLROnPlateau(sgd(d)).step(wg.zeros([], { device: d })) },
  { what: 'ReduceLROnPlateau.step(NaN)', kind: 'out of range', op: 'ReduceLROnPlateau.step', expect: ['metric must be a number, got NaN'], call: (d) => new optim.ReduceLROnPlateau(sgd(d)).step(NaN) },
  { what: 'ReduceLROnPlateau.loadStateDict with an unknown key', kind: 'unknown option', op: 'ReduceLROnPlateau.loadStateDict', expect: ["unknown option 'num_bad_epochs'"], call: (d) => new optim.ReduceLROnPlateau(sgd(d)).loadStateDict({ lastEpoch: 0, best: 1, numBadEpochs: 0, cooldownCounter: 0, num_bad_epochs: 1 } as never) },
  { what: 'loadStateDict of the wrong kind', kind: 'wrong type', op: 'CosineAnnealingLR.loadStateDict', expect: ['expected { lastEpoch, baseLrs } from stateDict(), got 3'], call: (d) => new optim.CosineAnnealingLR(sgd(d), 5).loadStateDict(3 as never) },
  { what: 'loadStateDict lastEpoch -1', kind: 'out of range', op: 'StepLR.loadStateDict', expect: ['lastEpoch must be an integer >= 0, got -1'], call: (d) => new optim.StepLR(sgd(d), 5).loadStateDict({ lastEpoch: -1 }) },
];

const callCases: BadCall[] = [
  { what: 'step(closure)', kind: 'wrong type', op: 'SGD.step', expect: ['takes no arguments (no closure'], call: (d) => (sgd(d).step as (c: unknown) => void)(() => 0) },
  { what: 'zeroGrad(false)', kind: 'wrong type', op: 'Adam.zeroGrad', expect: ['takes no arguments', 'got false'], call: (d) => (new optim.Adam([p(d)]).zeroGrad as (s: boolean) => void)(false) },
  { what: 'loadStateDict with an unknown key', kind: 'unknown option', op: 'SGD.loadStateDict', expect: ["unknown option 'param_groups'"], call: (d) => sgd(d).loadStateDict({ param_groups: [], state: {} } as never) },
  { what: "loadStateDict with a group's unknown option", kind: 'unknown option', op: 'SGD.loadStateDict', expect: ["group 0 options: unknown option 'betas'"], call: (d) => sgd(d).loadStateDict({ groups: [{ options: { lr: 1, betas: [0.9, 0.9] }, params: [0] }], state: {} } as never) },
  { what: 'loadStateDict of null', kind: 'wrong type', op: 'Adam.loadStateDict', expect: ['expected the { groups, state } of stateDict(), got null'], call: (d) => new optim.Adam([p(d)]).loadStateDict(null as never) },
];

export const cases: BadCall[] = [...callCases, ...optimizerCases, ...rangeCases, ...paramCases, ...clipCases, ...schedulerCases];
