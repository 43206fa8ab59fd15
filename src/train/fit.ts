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
import { DataLoader } from '../data/dataset.js';
import { checkBoolean, checkChoice, checkNumber, checkOptions, describe } from '../core/options.js';
import * as F from '../nn/functional/index.js';
import { BCELoss, BCEWithLogitsLoss, L1Loss, MSELoss, SmoothL1Loss } from '../layers/losses.js';
import { Module as ModuleClass } from '../layers/module.js';
import { fmtShape } from '../core/shape.js';
import { noGrad } from '../autograd/mode.js';
import { keep, tidy } from '../tensor/memory.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Module } from '../layers/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { ReduceLROnPlateau, type LRScheduler } from '../optim/lr_scheduler.js';
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
  /**
   * 'accuracy' (the default, except with a regression loss: MSELoss, L1Loss, SmoothL1Loss):
   * for an output [N, C] (C >= 2), the share of argmax(output, 1) equal to the class target
   * [N] (or to argmax(target, 1) for a target [N, C] of class probabilities); for an output
   * [N] or [N, 1] (binary), the share of thresholded outputs equal to the 0/1 target [N] or
   * [N, 1]. `[]`: no metric. Other shapes are refused.
   */
  metrics?: 'accuracy'[];
  /**
   * What a binary output [N] or [N, 1] holds: 'logits' (threshold 0) or 'probabilities'
   * (threshold 0.5). Default: from the loss (BCEWithLogitsLoss: logits, BCELoss:
   * probabilities); with another loss a binary output's accuracy needs it.
   */
  binary?: 'logits' | 'probabilities';
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

const callLoss = (f: LossFn, out: Tensor, y: Tensor): Tensor => (f instanceof ModuleClass ? f.forward(out, y) : f(out, y));

/** The binary outputs' kind a loss implies, if it implies one. */
function binaryKindOf(loss: LossFn): 'logits' | 'probabilities' | undefined {
  if (loss instanceof BCEWithLogitsLoss || loss === F.binaryCrossEntropyWithLogits) return 'logits';
  if (loss instanceof BCELoss || loss === F.binaryCrossEntropy) return 'probabilities';
  return undefined;
}

const isRegressionLoss = (loss: LossFn): boolean =>
  loss instanceof MSELoss || loss instanceof L1Loss || loss instanceof SmoothL1Loss || loss === F.mseLoss || loss === F.l1Loss || loss === F.smoothL1Loss;

/** How accuracy reads a batch: the op named in errors and the binary outputs' kind. */
interface AccuracySpec {
  op: string;
  binary: 'logits' | 'probabilities' | undefined;
}

/** Sum of correct predictions in a batch (int32, on the device); refuses shapes it cannot read. */
function correctCount(out: Tensor, y: Tensor, spec: AccuracySpec): Tensor {
  const N = out.shape[0];
  const bad = (why: string) =>
    new Error(
      `${spec.op}: cannot compute accuracy for output ${fmtShape(out.shape)} and target ${fmtShape(y.shape)}: ${why}; ` +
        `expected an output [N, C] with class targets [N] or class probabilities [N, C], or a binary output [N] or [N, 1] with 0/1 targets [N] or [N, 1] (metrics: [] computes none)`,
    );
  if (out.ndim === 0 || y.ndim === 0 || y.shape[0] !== N) throw bad('the batch sizes differ or are missing');
  const binaryShape = (t: Tensor) => t.ndim === 1 || (t.ndim === 2 && t.shape[1] === 1);
  if (out.ndim === 2 && out.shape[1]! >= 2) {
    if (y.ndim === 1) return out.argmax(1).eq(y.cast('int32')).cast('int32').sum();
    if (y.ndim === 2 && y.shape[1] === out.shape[1]) return out.argmax(1).eq(y.argmax(1)).cast('int32').sum();
    throw bad('the target is neither class indices nor class probabilities');
  }
  if (binaryShape(out)) {
    if (!binaryShape(y)) throw bad('a binary output needs a target [N] or [N, 1]');
    if (!spec.binary) {
      throw new Error(
        `${spec.op}: cannot tell whether the binary output ${fmtShape(out.shape)} holds logits or probabilities from this loss; pass binary: 'logits' (threshold 0) or binary: 'probabilities' (threshold 0.5), or metrics: []`,
      );
    }
    const pred = out.reshape([N!]).gt(spec.binary === 'logits' ? 0 : 0.5);
    const truth = y.reshape([N!]).gt(0.5);
    return pred.eq(truth).cast('int32').sum();
  }
  throw bad('its shape is neither [N, C] nor [N] or [N, 1]');
}

function addInto(acc: Tensor | null, v: Tensor): Tensor {
  if (!acc) return keep(v);
  const s = keep(acc.add(v));
  acc.dispose();
  v.dispose();
  return s;
}

/** Loss and metrics of `model` over a loader, in eval mode and without recording gradients. */
export async function evaluate(
  model: Module,
  loader: DataLoader,
  loss: LossFn,
  metrics?: 'accuracy'[],
  options: { binary?: 'logits' | 'probabilities' } = {},
): Promise<{ loss: number; accuracy?: number }> {
  checkOptions('evaluate', options, ['binary']);
  checkCore('evaluate', model, loader, loss);
  const accuracy = wantsAccuracy('evaluate', metrics, loss);
  const spec: AccuracySpec = { op: 'evaluate', binary: binaryOption('evaluate', options.binary) ?? binaryKindOf(loss) };
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
        return [callLoss(loss, out, y!).mul(b), accuracy ? correctCount(out, y!, spec) : null] as const;
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
  checkFitOptions(o);
  const accuracy = wantsAccuracy('fit', o.metrics, o.loss);
  const metrics: 'accuracy'[] = accuracy ? ['accuracy'] : [];
  const spec: AccuracySpec = { op: 'fit', binary: o.binary ?? binaryKindOf(o.loss) };
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
        return [l, accuracy ? noGrad(() => correctCount(out, y!, spec)) : null] as const;
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
      const v = await evaluate(o.model, o.val, o.loss, metrics, o.binary ? { binary: o.binary } : {});
      log.valLoss = v.loss;
      if (v.accuracy !== undefined) log.valAccuracy = v.accuracy;
    }
    // ReduceLROnPlateau watches the validation loss (checkFitOptions made sure there is one).
    if (o.scheduler instanceof ReduceLROnPlateau) o.scheduler.step(log.valLoss);
    else if (!o.schedulerPerBatch) o.scheduler?.step();
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

const FIT_KEYS = ['model', 'loss', 'optimizer', 'train', 'val', 'epochs', 'metrics', 'binary', 'scheduler', 'schedulerPerBatch', 'clipGradNorm', 'progress', 'syncEvery', 'onEpochEnd'];

function binaryOption(op: string, v: unknown): 'logits' | 'probabilities' | undefined {
  return v === undefined ? undefined : checkChoice(op, 'binary', v, ['logits', 'probabilities'] as const);
}

/** Whether accuracy is computed: as asked, or by default unless the loss is a regression loss. */
function wantsAccuracy(op: string, metrics: unknown, loss: LossFn): boolean {
  if (metrics === undefined) return !isRegressionLoss(loss);
  if (!Array.isArray(metrics)) throw new Error(`${op}: metrics must be a list (['accuracy'] or []), got ${describe(metrics)}`);
  for (const m of metrics) checkChoice(op, 'metrics[]', m, ['accuracy'] as const);
  return metrics.includes('accuracy');
}

function checkCore(op: string, model: unknown, loader: unknown, loss: unknown): void {
  if (!(model instanceof ModuleClass)) throw new Error(`${op}: model must be an nn.Module, got ${describe(model)}`);
  if (!(loader instanceof DataLoader)) throw new Error(`${op}: the data must be a DataLoader, got ${describe(loader)}`);
  if (!(loss instanceof ModuleClass) && typeof loss !== 'function') throw new Error(`${op}: loss must be a loss module or a function (output, target) => loss, got ${describe(loss)}`);
}

function checkFitOptions(o: FitOptions): void {
  const op = 'fit';
  checkOptions(op, o, FIT_KEYS);
  if (o === undefined) throw new Error(`${op}: expected an options object { ${FIT_KEYS.join(', ')} }`);
  for (const k of ['model', 'loss', 'optimizer', 'train', 'epochs'] as const) {
    if (o[k] === undefined) throw new Error(`${op}: the option '${k}' is required`);
  }
  checkCore(op, o.model, o.train, o.loss);
  if (o.val !== undefined && !(o.val instanceof DataLoader)) throw new Error(`${op}: val must be a DataLoader, got ${describe(o.val)}`);
  if (typeof (o.optimizer as { step?: unknown }).step !== 'function') throw new Error(`${op}: optimizer must be an optim.Optimizer, got ${describe(o.optimizer)}`);
  checkNumber(op, 'epochs', o.epochs, { int: true, min: 1 });
  if (o.train.length === 0) throw new Error(`${op}: the training loader gives no batches (dropLast with batchSize ${o.train.batchSize} > ${o.train.dataset.length} examples)`);
  binaryOption(op, o.binary);
  if (o.syncEvery !== undefined) checkNumber(op, 'syncEvery', o.syncEvery, { int: true, min: 1 });
  if (o.clipGradNorm !== undefined) checkNumber(op, 'clipGradNorm', o.clipGradNorm, { gt: 0 });
  if (o.schedulerPerBatch !== undefined) checkBoolean(op, 'schedulerPerBatch', o.schedulerPerBatch);
  if (o.schedulerPerBatch && !o.scheduler) throw new Error(`${op}: schedulerPerBatch is true but no scheduler is given`);
  if (o.scheduler !== undefined && typeof (o.scheduler as { step?: unknown }).step !== 'function') throw new Error(`${op}: scheduler must be an LRScheduler, got ${describe(o.scheduler)}`);
  if (o.scheduler instanceof ReduceLROnPlateau) {
    if (!o.val) throw new Error(`${op}: a ReduceLROnPlateau scheduler steps on the validation loss, so fit needs val (or step it yourself in onEpochEnd with the metric you watch, and pass no scheduler)`);
    if (o.schedulerPerBatch) throw new Error(`${op}: a ReduceLROnPlateau scheduler steps once per epoch on the validation loss; schedulerPerBatch must not be true`);
  }
  if (o.progress !== undefined && typeof o.progress !== 'boolean' && (typeof o.progress !== 'object' || o.progress === null)) {
    throw new Error(`${op}: progress must be true, false or progress-bar options, got ${describe(o.progress)}`);
  }
  if (o.onEpochEnd !== undefined && typeof o.onEpochEnd !== 'function') throw new Error(`${op}: onEpochEnd must be a function, got ${describe(o.onEpochEnd)}`);
}
