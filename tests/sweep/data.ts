/** Refused DataLoader, fit, evaluate and ProgressBar calls. */
import * as wg from '../../src/index.js';
import type { BadCall } from './types.js';

const { nn } = wg;
const ds = () => new wg.data.TensorDataset(wg.zeros([6, 1], { dtype: 'float32', device: 'cpu' }), wg.zeros([6, 1], { dtype: 'float32', device: 'cpu' }));
const loader = (o: object) => () => new wg.data.DataLoader(ds(), o as never);

function fitArgs(device: wg.DeviceName, extra: object = {}) {
  const model = new nn.Linear(1, 1, { device });
  return {
    model,
    loss: new nn.BCEWithLogitsLoss(),
    optimizer: new wg.optim.SGD(model.parameters(), { lr: 0.1 }),
    train: new wg.data.DataLoader(ds(), { batchSize: 3, device }),
    epochs: 1,
    progress: false,
    ...extra,
  } as never;
}

export const cases: BadCall[] = [
  { what: "DataLoader with 'batch_size'", kind: 'unknown option', op: 'DataLoader', expect: ["unknown option 'batch_size'", "did you mean 'batchSize'"], cpuOnly: true, call: loader({ batch_size: 2 }) },
  { what: 'DataLoader with batchSize 0', kind: 'out of range', op: 'DataLoader', expect: ['batchSize must be an integer >= 1', 'got 0'], cpuOnly: true, call: loader({ batchSize: 0 }) },
  { what: 'DataLoader with batchSize 2.5', kind: 'out of range', op: 'DataLoader', expect: ['batchSize must be an integer >= 1', 'got 2.5'], cpuOnly: true, call: loader({ batchSize: 2.5 }) },
  { what: "DataLoader with batchSize '4'", kind: 'wrong type', op: 'DataLoader', expect: ['batchSize must be an integer >= 1', "got '4'"], cpuOnly: true, call: loader({ batchSize: '4' }) },
  { what: "DataLoader with shuffle 'yes'", kind: 'wrong type', op: 'DataLoader', expect: ['shuffle must be true or false', "got 'yes'"], cpuOnly: true, call: loader({ shuffle: 'yes' }) },
  { what: 'DataLoader with a fractional seed', kind: 'out of range', op: 'DataLoader', expect: ['seed must be an integer', 'got 1.5'], cpuOnly: true, call: loader({ shuffle: true, seed: 1.5 }) },
  { what: 'DataLoader with a seed but no shuffle', kind: 'state', op: 'DataLoader', expect: ['seed only orders a shuffle'], cpuOnly: true, call: loader({ seed: 3 }) },
  { what: 'DataLoader with dropLast 1', kind: 'wrong type', op: 'DataLoader', expect: ['dropLast must be true or false', 'got 1'], cpuOnly: true, call: loader({ dropLast: 1 }) },
  { what: "DataLoader with 'drop_last'", kind: 'unknown option', op: 'DataLoader', expect: ["unknown option 'drop_last'", "did you mean 'dropLast'"], cpuOnly: true, call: loader({ drop_last: true }) },
  { what: "DataLoader with 'num_workers' (no workers)", kind: 'unknown option', op: 'DataLoader', expect: ["unknown option 'num_workers'"], cpuOnly: true, call: loader({ num_workers: 2 }) },
  { what: "DataLoader with device 'cuda'", kind: 'device', op: 'DataLoader', expect: ["device must be one of 'cpu', 'webgpu'", "got 'cuda'"], cpuOnly: true, call: loader({ device: 'cuda' }) },
  { what: 'DataLoader over an array', kind: 'wrong type', op: 'DataLoader', expect: ['expected a Dataset'], cpuOnly: true, call: () => new wg.data.DataLoader([1, 2, 3] as never) },
  { what: 'DataLoader with options that are not an object', kind: 'wrong type', op: 'DataLoader', expect: ['options must be a plain object', 'got 4'], cpuOnly: true, call: () => new wg.data.DataLoader(ds(), 4 as never) },
  { what: "fit with 'metric'", kind: 'unknown option', op: 'fit', expect: ["unknown option 'metric'", "did you mean 'metrics'"], call: (d) => wg.train.fit(fitArgs(d, { metric: ['accuracy'] })) },
  { what: "fit with 'lr' (an optimizer setting)", kind: 'unknown option', op: 'fit', expect: ["unknown option 'lr'"], call: (d) => wg.train.fit(fitArgs(d, { lr: 0.1 })) },
  { what: 'fit with epochs 0', kind: 'out of range', op: 'fit', expect: ['epochs must be an integer >= 1', 'got 0'], call: (d) => wg.train.fit(fitArgs(d, { epochs: 0 })) },
  { what: "fit with metric 'f1'", kind: 'out of range', op: 'fit', expect: ["metrics[] must be one of 'accuracy'", "got 'f1'"], call: (d) => wg.train.fit(fitArgs(d, { metrics: ['f1'] })) },
  { what: "fit with metrics 'accuracy' (not a list)", kind: 'wrong type', op: 'fit', expect: ['metrics must be a list', "got 'accuracy'"], call: (d) => wg.train.fit(fitArgs(d, { metrics: 'accuracy' })) },
  { what: "fit with binary 'scores'", kind: 'out of range', op: 'fit', expect: ["binary must be one of 'logits', 'probabilities'", "got 'scores'"], call: (d) => wg.train.fit(fitArgs(d, { binary: 'scores' })) },
  { what: 'fit with syncEvery 0', kind: 'out of range', op: 'fit', expect: ['syncEvery must be an integer >= 1', 'got 0'], call: (d) => wg.train.fit(fitArgs(d, { syncEvery: 0 })) },
  { what: 'fit with clipGradNorm 0', kind: 'out of range', op: 'fit', expect: ['clipGradNorm must be a finite number > 0', 'got 0'], call: (d) => wg.train.fit(fitArgs(d, { clipGradNorm: 0 })) },
  { what: 'fit with schedulerPerBatch but no scheduler', kind: 'state', op: 'fit', expect: ['schedulerPerBatch is true but no scheduler is given'], call: (d) => wg.train.fit(fitArgs(d, { schedulerPerBatch: true })) },
  { what: 'fit with a model that is not a Module', kind: 'wrong type', op: 'fit', expect: ['model must be an nn.Module'], call: (d) => wg.train.fit(fitArgs(d, { model: (x: unknown) => x })) },
  { what: 'fit with an array as training data', kind: 'wrong type', op: 'fit', expect: ['the data must be a DataLoader'], call: (d) => wg.train.fit(fitArgs(d, { train: [] })) },
  { what: 'fit with a string loss', kind: 'wrong type', op: 'fit', expect: ['loss must be a loss module or a function', "got 'mse'"], call: (d) => wg.train.fit(fitArgs(d, { loss: 'mse' })) },
  { what: 'fit without an optimizer', kind: 'wrong type', op: 'fit', expect: ["the option 'optimizer' is required"], call: (d) => wg.train.fit(fitArgs(d, { optimizer: undefined })) },
  {
    what: 'fit accuracy on a binary output with a loss that does not tell logits from probabilities',
    kind: 'shape',
    op: 'fit',
    expect: ['cannot tell whether the binary output [3, 1] holds logits or probabilities', "binary: 'logits'"],
    call: (d) => wg.train.fit(fitArgs(d, { loss: (o: wg.Tensor, t: wg.Tensor) => o.sub(t).abs().mean() })),
  },
  {
    what: 'fit accuracy on [N, 3] outputs against [N, 2] targets',
    kind: 'shape',
    op: 'fit',
    expect: ['cannot compute accuracy for output [3, 3] and target [3, 2]'],
    call: (d) => {
      const model = new nn.Linear(1, 3, { device: d });
      const train = new wg.data.DataLoader(new wg.data.TensorDataset(wg.zeros([6, 1], { dtype: 'float32', device: 'cpu' }), wg.zeros([6, 2], { dtype: 'float32', device: 'cpu' })), { batchSize: 3, device: d });
      return wg.train.fit(fitArgs(d, { model, train, optimizer: new wg.optim.SGD(model.parameters(), { lr: 0.1 }), loss: (o: wg.Tensor) => o.mean() }));
    },
  },
  { what: "evaluate with 'binaryy'", kind: 'unknown option', op: 'evaluate', expect: ["unknown option 'binaryy'", "did you mean 'binary'"], call: (d) => wg.train.evaluate(new nn.Linear(1, 1, { device: d }), new wg.data.DataLoader(ds(), { device: d }), new nn.MSELoss(), [], { binaryy: 'logits' } as never) },
  { what: "ProgressBar with 'log_every'", kind: 'unknown option', op: 'ProgressBar', expect: ["unknown option 'log_every'", "did you mean 'logEvery'"], cpuOnly: true, call: () => new wg.train.ProgressBar(10, 'x', { log_every: 2 } as never) },
  { what: 'ProgressBar with width 0', kind: 'out of range', op: 'ProgressBar', expect: ['width must be an integer >= 1', 'got 0'], cpuOnly: true, call: () => new wg.train.ProgressBar(10, 'x', { width: 0 }) },
];
