/**
 * A small training loop for the common case: epochs over a DataLoader, a progress bar (steps,
 * loss, throughput, ETA), per-epoch validation and a history. The plain loop it runs is the
 * documented way too:
 *
 *   for (const [x, y] of loader) {
 *     const loss = tidy(() => lossFn(model.forward(x), y));
 *     optimizer.zeroGrad(); loss.backward(); optimizer.step();
 *     loss.dispose(); x.dispose(); y.dispose();
 *   }
 *
 * Sums (loss, correct predictions) stay on the device and are read once per epoch; the loss
 * shown on the bar is read every `syncEvery` steps, which also keeps the host from running
 * far ahead of the GPU queue.
 */
import type { DataLoader } from '../data/dataset.js';
import { noGrad } from '../autograd/mode.js';
import { keep, tidy } from '../tensor/memory.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { LRScheduler } from '../optim/lr_scheduler.js';
import { clipGradNorm } from '../optim/clip.js';
import { ProgressBar, type ProgressOptions } from './progress.js';

export type LossFn = ((output: Tensor, target: Tensor) => Tensor) | Module;

export interface FitOptions {
  model: Module;
  loss: LossFn;
  optimizer: Optimizer<{ lr: number }>;
  train: DataLoader;
  val?: DataLoader;
  epochs: number;
  /** 'accuracy': the share of argmax(output, 1) equal to the integer target. */
  metrics?: 'accuracy'[];
  /** Stepped once per epoch, or per batch with `schedulerPerBatch` (OneCycleLR). */
  scheduler?: LRScheduler;
  schedulerPerBatch?: boolean;
  /** Clip the gradients' total norm to this before each step. */
  clipGradNorm?: number;
  /** false: no bar; or options for it. */
  progress?: boolean | ProgressOptions;
  /** Read the running loss (and let the GPU catch up) every n steps (default 10). */
  syncEvery?: number;
  /** Called after each epoch with its log (await-ed). */
  onEpochEnd?: (log: EpochLog) => void | Promise<void>;
}

export interface EpochLog {
  epoch: number;
  trainLoss: number;
  trainAccuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  /** Wall-clock seconds of the training pass. */
  seconds: number;
  examplesPerSecond: number;
  lr: number;
}

const callLoss = (f: LossFn, out: Tensor, y: Tensor): Tensor => ('forward' in f ? f.forward(out, y) : f(out, y));

/** Sum of correct predictions in a batch (int32, on the device). */
function correctCount(out: Tensor, y: Tensor): Tensor {
  return out.argmax(1).eq(y.cast('int32')).cast('int32').sum();
}

function addInto(acc: Tensor | null, v: Tensor): Tensor {
  if (!acc) return keep(v);
  const s = keep(acc.add(v));
  acc.dispose();
  v.dispose();
  return s;
}

/** Loss and metrics of `model` over a loader, in eval mode and without recording gradients. */
export async function evaluate(model: Module, loader: DataLoader, loss: LossFn, metrics: 'accuracy'[] = ['accuracy']): Promise<{ loss: number; accuracy?: number }> {
  const wasTraining = model.training;
  model.eval();
  let lossSum: Tensor | null = null;
  let correct: Tensor | null = null;
  let n = 0;
  try {
    for (const [x, y] of loader) {
      const b = x!.shape[0]!;
      const [l, c] = tidy(() => noGrad(() => {
        const out = model.forward(x!);
        return [callLoss(loss, out, y!).mul(b), metrics.includes('accuracy') ? correctCount(out, y!) : null] as const;
      }));
      lossSum = addInto(lossSum, l);
      if (c) correct = addInto(correct, c);
      n += b;
      x!.dispose();
      y!.dispose();
    }
    const result: { loss: number; accuracy?: number } = { loss: (await lossSum!.item()) / n };
    if (correct) result.accuracy = (await correct.item()) / n;
    return result;
  } finally {
    lossSum?.dispose();
    correct?.dispose();
    model.train(wasTraining);
  }
}

/** Trains `model`; returns one log per epoch. */
export async function fit(o: FitOptions): Promise<EpochLog[]> {
  if (!Number.isInteger(o.epochs) || o.epochs < 1) throw new Error(`fit: epochs must be a positive integer, got ${o.epochs}`);
  const metrics = o.metrics ?? ['accuracy'];
  const syncEvery = o.syncEvery ?? 10;
  const history: EpochLog[] = [];
  const params = o.model.parameters();
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    o.model.train();
    const bar = o.progress === false ? null : new ProgressBar(o.train.length, `epoch ${epoch}/${o.epochs}`, { unit: 'step', ...(typeof o.progress === 'object' ? o.progress : {}) });
    const t0 = performance.now();
    let lossSum: Tensor | null = null;
    let correct: Tensor | null = null;
    let n = 0;
    let shown = NaN;
    let step = 0;
    for (const [x, y] of o.train) {
      const b = x!.shape[0]!;
      o.optimizer.zeroGrad();
      const [loss, c] = tidy(() => {
        const out = o.model.forward(x!);
        const l = callLoss(o.loss, out, y!);
        return [l, metrics.includes('accuracy') ? noGrad(() => correctCount(out, y!)) : null] as const;
      });
      loss.backward();
      if (o.clipGradNorm !== undefined) clipGradNorm(params, o.clipGradNorm).dispose();
      o.optimizer.step();
      if (o.schedulerPerBatch) o.scheduler?.step();
      lossSum = addInto(lossSum, tidy(() => noGrad(() => loss.detach().mul(b))));
      if (c) correct = addInto(correct, c);
      n += b;
      step++;
      if (step % syncEvery === 0 || step === o.train.length) shown = await loss.item();
      loss.dispose();
      x!.dispose();
      y!.dispose();
      bar?.tick(1, Number.isNaN(shown) ? {} : { loss: shown });
    }
    const seconds = (performance.now() - t0) / 1000;
    const log: EpochLog = {
      epoch,
      trainLoss: (await lossSum!.item()) / n,
      seconds,
      examplesPerSecond: n / seconds,
      lr: o.optimizer.lrs[0]!,
    };
    if (correct) log.trainAccuracy = (await correct.item()) / n;
    lossSum!.dispose();
    correct?.dispose();
    if (o.val) {
      const v = await evaluate(o.model, o.val, o.loss, metrics);
      log.valLoss = v.loss;
      if (v.accuracy !== undefined) log.valAccuracy = v.accuracy;
    }
    if (!o.schedulerPerBatch) o.scheduler?.step();
    bar?.finish({
      loss: log.trainLoss,
      ...(log.trainAccuracy !== undefined ? { acc: log.trainAccuracy } : {}),
      ...(log.valLoss !== undefined ? { 'val loss': log.valLoss } : {}),
      ...(log.valAccuracy !== undefined ? { 'val acc': log.valAccuracy } : {}),
    });
    history.push(log);
    await o.onEpochEnd?.(log);
  }
  return history;
}
