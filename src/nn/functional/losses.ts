// webgrad.nn.functional: losses (see index.ts).
//
// Conventions, as in PyTorch: tensors positional, options last; `reduction` is 'mean'
// (default), 'sum' or 'none'. Unlike PyTorch, an input and a target of different shapes are an
// error, not a broadcast with a warning.
import { alias, recording, trace } from '../../autograd/node.js';
import { isGradEnabled } from '../../autograd/mode.js';
import { getBackend } from '../../runtime.js';
import { arange } from '../../tensor/creation.js';
import { isFloat } from '../../core/dtype.js';
import { tidy } from '../../tensor/memory.js';
import { checkInputs, describe, empty } from '../../tensor/ops/core.js';
import { where } from '../../tensor/ops/elementwise.js';
import { broadcastShapes, fmtShape, shapeEq } from '../../core/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { checkBoolean, checkChoice, checkNumber, checkOptions } from '../../core/options.js';
import { logSoftmax, softmax } from './softmax.js';
import { noExtra } from './args.js';

/** How a loss combines its per-element values: their mean (default), their sum, or none (all of them). */
export type Reduction = 'mean' | 'sum' | 'none';

export interface LossOptions {
  /** 'mean' (default), 'sum' or 'none'. */
  reduction?: Reduction;
}

export interface NllLossOptions extends LossOptions {
  /** Samples whose target is this value contribute nothing, not even to the mean's divisor (default -100). */
  ignoreIndex?: number;
  /** Per-class weights, [C]; 'mean' then divides by the sum of the weights of the non-ignored targets. Gets no gradient. */
  weight?: Tensor | null;
}

export interface CrossEntropyOptions extends NllLossOptions {
  /** In [0, 1] (default 0): the target becomes (1 - e) one-hot + e / C, as in PyTorch. */
  labelSmoothing?: number;
}

export interface SmoothL1LossOptions extends LossOptions {
  /** Where the loss turns from quadratic to linear (default 1; 0 gives l1Loss). */
  beta?: number;
}

export interface BinaryCrossEntropyOptions extends LossOptions {
  /** Weights broadcast to the input's shape, multiplying each element's loss. */
  weight?: Tensor | null;
}

export interface BinaryCrossEntropyWithLogitsOptions extends BinaryCrossEntropyOptions {
  /** Weight of the positive term, broadcast to the input's shape (usually [C], one per class). */
  posWeight?: Tensor | null;
}

// ---- checks ------------------------------------------------------------------------------------

function reductionOf(op: string, r: unknown): Reduction {
  return r === undefined ? 'mean' : checkChoice(op, 'reduction', r, ['mean', 'sum', 'none']);
}

const LOSS_KEYS = ['reduction'];
const NLL_KEYS = ['reduction', 'ignoreIndex', 'weight'];

function checkFloat(op: string, what: string, t: Tensor): void {
  if (!isFloat(t.dtype)) throw new Error(`${op}: ${what} must be a floating-point tensor, got ${describe(t)}`);
}

/** The checks every elementwise loss makes; returns the reduction. */
function checkPair(op: string, input: Tensor, target: Tensor, reduction: unknown, extra: (Tensor | null | undefined)[] = []): Reduction {
  checkInputs(op, input, target, ...extra.filter((t): t is Tensor => !!t));
  const r = reductionOf(op, reduction);
  checkFloat(op, 'input', input);
  checkFloat(op, 'target', target);
  if (!shapeEq(input.shape, target.shape)) {
    throw new Error(
      `${op}: input shape ${fmtShape(input.shape)} and target shape ${fmtShape(target.shape)} differ; they must be equal ` +
        '(PyTorch would broadcast them, with a warning)',
    );
  }
  return r;
}

/** A tensor that multiplies the loss elementwise must broadcast to the input's shape without changing it. */
function checkBroadcastWeight(op: string, name: string, w: Tensor | null | undefined, input: Tensor): void {
  if (!w) return;
  checkFloat(op, name, w);
  const s = broadcastShapes(op, input.shape, w.shape);
  if (!shapeEq(s, input.shape)) {
    throw new Error(`${op}: ${name} of shape ${fmtShape(w.shape)} does not broadcast to the input's shape ${fmtShape(input.shape)}`);
  }
}

function reduce(loss: Tensor, reduction: Reduction): Tensor {
  return reduction === 'none' ? loss : reduction === 'sum' ? loss.sum() : loss.mean();
}

/** Shape and checks of the class-index losses: input [C], [N, C] or [N, C, d1, ...]. */
function classSetup(op: string, input: Tensor, target: Tensor, o: NllLossOptions): { reduction: Reduction; classDim: number; C: number; ignoreIndex: number; weight: Tensor | null } {
  const weight = o.weight ?? null;
  checkInputs(op, input, target, ...(weight ? [weight] : []));
  const reduction = reductionOf(op, o.reduction);
  checkFloat(op, 'input', input);
  if (input.ndim === 0) throw new Error(`${op}: input must have a class dim ([C], [N, C] or [N, C, d1, ...]), got a 0-d tensor`);
  const ignoreIndex = checkNumber(op, 'ignoreIndex', o.ignoreIndex ?? -100, { int: true, min: -2147483648, max: 2147483647 });
  const classDim = input.ndim === 1 ? 0 : 1;
  const C = input.shape[classDim]!;
  if (weight) {
    checkFloat(op, 'weight', weight);
    if (weight.ndim !== 1 || weight.shape[0] !== C) {
      throw new Error(`${op}: weight must be a 1-D tensor of one value per class, [${C}] for input ${fmtShape(input.shape)}; got ${fmtShape(weight.shape)}`);
    }
  }
  return { reduction, classDim, C, ignoreIndex, weight };
}

function checkIndexTarget(op: string, input: Tensor, target: Tensor, classDim: number): void {
  const expected = input.shape.filter((_, i) => i !== classDim);
  if (target.dtype !== 'int32') {
    throw new Error(`${op}: target must hold int32 class indices (shape ${fmtShape(expected)}), got ${describe(target)}; tensor() of plain numbers is float32: pass { dtype: 'int32' } or call .cast('int32')`);
  }
  if (!shapeEq(target.shape, expected)) {
    throw new Error(
      `${op}: target shape ${fmtShape(target.shape)} does not match input shape ${fmtShape(input.shape)}: ` +
        `class indices need ${fmtShape(expected)} (the input's shape without its class dim ${classDim})`,
    );
  }
}

/** Sum of the per-sample losses divided by the sum of the per-sample weights (PyTorch's weighted mean). */
function reduceByWeight(per: Tensor, rowWeight: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'none') {
    rowWeight.dispose();
    return per;
  }
  const r = tidy(() => (reduction === 'sum' ? per.sum() : per.sum().div(rowWeight.sum())));
  per.dispose();
  rowWeight.dispose();
  return r;
}

// ---- cross-entropy and nll ---------------------------------------------------------------------

/**
 * Cross-entropy between logits and a target, as `torch.nn.functional.cross_entropy`:
 *
 * - input: logits [N, C], [N, C, d1, ...] (classes along dim 1) or unbatched [C];
 * - target: int32 class indices with the input's shape less the class dim, or float class
 *   probabilities with the input's shape.
 *
 * With indices, sample i's loss is -(1 - e) w[t] logp[t] - (e / C) sum_c w[c] logp[c] (e =
 * labelSmoothing, w = weight or all 1, logp = logSoftmax of the logits); ignored samples give 0
 * and 'mean' divides the sum by the sum of w[t] over the non-ignored samples (NaN if there are
 * none, as in PyTorch). One kernel computes the losses and their gradient w.r.t. the logits
 * (softmax minus the smoothed one-hot, weighted), which backward scales by the upstream
 * gradient; under createGraph the gradient is rebuilt from differentiable ops instead, so second
 * derivatives work. A target outside [0, C) other than ignoreIndex is an error: at once on cpu,
 * at the next read on webgpu.
 *
 * With probabilities, the loss is -sum_c w[c] q[c] logp[c] with q = (1 - e) target + e / C,
 * and 'mean' divides by the number of samples (ignoreIndex does not apply); it is built from
 * logSoftmax and tensor ops, so both the logits and the target get gradients.
 *
 * The weight gets no gradient.
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}, ...extra: never[]): Tensor {
  noExtra('crossEntropy', extra, '(input, target, options?)');
  const op = 'crossEntropy';
  checkOptions(op, options, [...NLL_KEYS, 'labelSmoothing']);
  const { reduction, classDim, C, ignoreIndex, weight } = classSetup(op, input, target, options);
  const e = checkNumber(op, 'labelSmoothing', options.labelSmoothing ?? 0, { min: 0, max: 1 });
  if (isFloat(target.dtype)) {
    if (!shapeEq(target.shape, input.shape)) {
      throw new Error(
        `${op}: a float target holds class probabilities and must have the input's shape ${fmtShape(input.shape)}, got ${fmtShape(target.shape)} ` +
          "(class indices must be int32; tensor() of plain numbers is float32: pass { dtype: 'int32' } or call .cast('int32'))",
      );
    }
    return probabilityCrossEntropy(input, target, weight, classDim, C, e, reduction);
  }
  checkIndexTarget(op, input, target, classDim);
  const w = weight && weight.dtype !== input.dtype ? tidy(() => weight.detach().cast(input.dtype)) : weight;
  const needGrad = recording([input, target, w]);
  let rowWeight: Tensor | undefined;
  let grad: Tensor | null = null;
  const per = trace(
    op,
    [input, target, w],
    () => {
      const device = input.device;
      const loss = empty(op, device, input.dtype, target.shape);
      rowWeight = empty(op, device, input.dtype, target.shape);
      grad = needGrad ? empty(op, device, input.dtype, input.shape) : null;
      try {
        getBackend(device).softmax.crossEntropy({ x: input, dim: classDim, target, weight: w, ignoreIndex, loss, rowWeight }, e, grad);
      } catch (err) {
        for (const t of [loss, rowWeight, grad]) t?.dispose();
        throw err;
      }
      return loss;
    },
    (g, [saved, x, t, rw, ws], needs) => {
      if (!needs[0]) return [null];
      const gk = g.unsqueeze(classDim);
      // The saved gradient has no graph of its own; rebuild it when the backward is recorded.
      if (!isGradEnabled()) return [saved!.mul(gk)];
      return [crossEntropyGrad(x!, t!, rw!, ws ?? null, classDim, C, ignoreIndex, e).mul(gk)];
    },
    () => [grad!, input, target, alias(rowWeight!), ...(w ? [w] : [])],
  );
  if (w && w !== weight) w.dispose();
  return reduceByWeight(per, rowWeight!, reduction);
}

/**
 * d loss_i / d x_i with differentiable ops: softmax(x) a_i - b_i, where
 * a_i = (1 - e) w[t] + (e / C) sum_k w[k] and b_i = (1 - e) w[t] onehot(t) + (e / C) w (both 0
 * for ignored samples).
 */
function crossEntropyGrad(x: Tensor, t: Tensor, rowW: Tensor, w: Tensor | null, classDim: number, C: number, ignoreIndex: number, e: number): Tensor {
  const bshape = x.shape.map((d, i) => (i === classDim ? d : 1));
  const valid = t.ne(ignoreIndex).cast(x.dtype);
  const wTotal = w ? w.sum() : C;
  const a = rowW.mul(1 - e).add(valid.mul(wTotal).mul(e / C)).unsqueeze(classDim);
  const classes = arange(0, C, 1, { dtype: 'int32', device: x.device }).reshape(bshape);
  const onehot = t.unsqueeze(classDim).eq(classes);
  const b = where(onehot, rowW.unsqueeze(classDim).mul(1 - e), 0).add(valid.unsqueeze(classDim).mul(w ? w.reshape(bshape) : 1).mul(e / C));
  return softmax(x, classDim).mul(a).sub(b);
}

function probabilityCrossEntropy(x: Tensor, target: Tensor, weight: Tensor | null, classDim: number, C: number, e: number, reduction: Reduction): Tensor {
  return tidy(() => {
    const q = e > 0 ? target.mul(1 - e).add(e / C) : target;
    let terms = logSoftmax(x, classDim).mul(q);
    if (weight) terms = terms.mul(weight.detach().reshape(x.shape.map((d, i) => (i === classDim ? d : 1))));
    const per = terms.sum(classDim).neg();
    if (reduction === 'mean') return per.sum().div(x.size / C); // PyTorch divides by the number of samples
    return reduce(per, reduction);
  });
}

/**
 * Negative log-likelihood of log-probabilities, as `torch.nn.functional.nll_loss`: input
 * [N, C], [N, C, d1, ...] or [C]; target int32 class indices (the input's shape less dim 1).
 * Sample i's loss is -w[t] input[i, t]; samples whose target is ignoreIndex give 0, and 'mean'
 * divides by the sum of w[t] over the others. A target outside [0, C) other than ignoreIndex is
 * an error (at once on cpu, at the next read on webgpu). Linear in the input: its gradient puts
 * -w[t] g at each target class. The weight gets no gradient.
 */
export function nllLoss(input: Tensor, target: Tensor, options: NllLossOptions = {}, ...extra: never[]): Tensor {
  noExtra('nllLoss', extra, '(input, target, options?)');
  const op = 'nllLoss';
  checkOptions(op, options, NLL_KEYS);
  const { reduction, classDim, C, ignoreIndex, weight } = classSetup(op, input, target, options);
  checkIndexTarget(op, input, target, classDim);
  const w = weight && weight.dtype !== input.dtype ? tidy(() => weight.detach().cast(input.dtype)) : weight;
  let rowWeight: Tensor | undefined;
  const per = trace(
    op,
    [input, target, w],
    () => {
      const device = input.device;
      const loss = empty(op, device, input.dtype, target.shape);
      rowWeight = empty(op, device, input.dtype, target.shape);
      try {
        getBackend(device).softmax.nllLoss({ x: input, dim: classDim, target, weight: w, ignoreIndex, loss, rowWeight });
      } catch (err) {
        loss.dispose();
        rowWeight.dispose();
        throw err;
      }
      return loss;
    },
    (g, [t, rw], needs) => {
      if (!needs[0]) return [null];
      const bshape = Array.from({ length: t!.ndim + 1 }, (_, i) => (i === classDim ? C : 1));
      const classes = arange(0, C, 1, { dtype: 'int32', device: t!.device }).reshape(bshape);
      return [where(t!.unsqueeze(classDim).eq(classes), rw!.mul(g).neg().unsqueeze(classDim), 0)];
    },
    () => [target, alias(rowWeight!)],
  );
  if (w && w !== weight) w.dispose();
  return reduceByWeight(per, rowWeight!, reduction);
}

// ---- regression losses -------------------------------------------------------------------------

/** Mean squared error: (input - target)^2, reduced. Input and target must have the same shape. */
export function mseLoss(input: Tensor, target: Tensor, options: LossOptions = {}, ...extra: never[]): Tensor {
  noExtra('mseLoss', extra, '(input, target, options?)');
  checkOptions('mseLoss', options, LOSS_KEYS);
  const reduction = checkPair('mseLoss', input, target, options.reduction);
  return tidy(() => reduce(input.sub(target).square(), reduction));
}

/** Mean absolute error: |input - target|, reduced. The gradient at input == target is 0 (as PyTorch's sign(0)). */
export function l1Loss(input: Tensor, target: Tensor, options: LossOptions = {}, ...extra: never[]): Tensor {
  noExtra('l1Loss', extra, '(input, target, options?)');
  checkOptions('l1Loss', options, LOSS_KEYS);
  const reduction = checkPair('l1Loss', input, target, options.reduction);
  return tidy(() => reduce(input.sub(target).abs(), reduction));
}

/**
 * Huber-like smooth L1: 0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (d = input -
 * target), reduced. beta must be >= 0; beta = 0 is l1Loss (as in PyTorch).
 */
export function smoothL1Loss(input: Tensor, target: Tensor, options: SmoothL1LossOptions = {}, ...extra: never[]): Tensor {
  noExtra('smoothL1Loss', extra, '(input, target, options?)');
  const op = 'smoothL1Loss';
  checkOptions(op, options, ['reduction', 'beta']);
  const reduction = checkPair(op, input, target, options.reduction);
  const beta = checkNumber(op, 'beta', options.beta ?? 1, { min: 0 });
  return tidy(() => {
    const d = input.sub(target);
    const ad = d.abs();
    // beta = 0 must not build 0.5 d^2 / 0 at all: its NaN would reach the gradient through where.
    const l = beta === 0 ? ad : where(ad.lt(beta), d.square().mul(0.5 / beta), ad.sub(0.5 * beta));
    return reduce(l, reduction);
  });
}

export interface HuberLossOptions extends LossOptions {
  /** Where the loss turns from quadratic to linear (default 1; must be > 0). */
  delta?: number;
}

/**
 * Huber loss: 0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta) elsewhere (d = input - target),
 * reduced; as PyTorch's huber_loss (smoothL1Loss times delta, for beta = delta).
 */
export function huberLoss(input: Tensor, target: Tensor, options: HuberLossOptions = {}, ...extra: never[]): Tensor {
  noExtra('huberLoss', extra, '(input, target, options?)');
  const op = 'huberLoss';
  checkOptions(op, options, ['reduction', 'delta']);
  const reduction = checkPair(op, input, target, options.reduction);
  const delta = checkNumber(op, 'delta', options.delta ?? 1, { gt: 0 });
  return tidy(() => {
    const d = input.sub(target);
    const ad = d.abs();
    return reduce(where(ad.lt(delta), d.square().mul(0.5), ad.sub(0.5 * delta).mul(delta)), reduction);
  });
}

export interface KlDivOptions {
  /** 'mean' (default: over every element, as PyTorch; 'batchmean' is the true KL divergence), 'batchmean' (the sum over the first dim's size), 'sum' or 'none'. */
  reduction?: 'mean' | 'batchmean' | 'sum' | 'none';
  /** Whether the target holds log-probabilities too (default false: probabilities). */
  logTarget?: boolean;
}

/**
 * Kullback-Leibler divergence of `input` (log-probabilities) from `target`, as PyTorch's kl_div:
 * target (log target - input), 0 where target = 0 (xlogy); with `logTarget`,
 * exp(target) (target - input). 'batchmean' divides the sum by input's first dim (by 1 for 0-d).
 */
export function klDiv(input: Tensor, target: Tensor, options: KlDivOptions = {}, ...extra: never[]): Tensor {
  noExtra('klDiv', extra, '(input, target, options?)');
  const op = 'klDiv';
  checkOptions(op, options, ['reduction', 'logTarget']);
  const r = options.reduction === undefined ? 'mean' : checkChoice(op, 'reduction', options.reduction, ['mean', 'batchmean', 'sum', 'none']);
  checkPair(op, input, target, undefined);
  const logTarget = checkBoolean(op, 'logTarget', options.logTarget ?? false);
  return tidy(() => {
    let per: Tensor;
    if (logTarget) per = target.exp().mul(target.sub(input));
    else {
      // xlogy(t, t): t log t with 0 at t = 0; the safe log keeps 0 * -inf out of value and gradient.
      const zero = target.eq(0);
      per = target.mul(where(zero, 1, target).log()).sub(target.mul(input));
    }
    if (r === 'batchmean') return input.ndim === 0 ? per.sum() : per.sum().div(input.shape[0]!);
    return reduce(per, r);
  });
}

// ---- binary cross-entropy ----------------------------------------------------------------------

/**
 * Binary cross-entropy of probabilities: -w (t log p + (1 - t) log(1 - p)), each log clamped at
 * -100 as in PyTorch (so p = 0 or 1 gives a finite loss), reduced. Input and target must have
 * the same shape; weight broadcasts to it. Probabilities outside [0, 1] give NaN (PyTorch's cpu
 * kernel refuses them; checking would need a read back here). Gradients use PyTorch's formulas:
 * for p, g (p - t) / max(p (1 - p), 1e-12); for t, g (log(1 - p) - log p) (clamped logs).
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: BinaryCrossEntropyOptions = {}, ...extra: never[]): Tensor {
  noExtra('binaryCrossEntropy', extra, '(input, target, options?)');
  const op = 'binaryCrossEntropy';
  checkOptions(op, options, ['reduction', 'weight']);
  const reduction = checkPair(op, input, target, options.reduction, [options.weight]);
  checkBroadcastWeight(op, 'weight', options.weight, input);
  const clampedLogs = (p: Tensor): [Tensor, Tensor] => [p.log().clamp(-100), p.neg().add(1).log().clamp(-100)];
  const per = trace(
    op,
    [input, target],
    () => tidy(() => {
      const [lp, l1p] = clampedLogs(input);
      return target.mul(lp).add(target.neg().add(1).mul(l1p)).neg();
    }),
    (g, [p, t], needs) => {
      const gp = needs[0] ? g.mul(p!.sub(t!)).div(p!.mul(p!.neg().add(1)).clamp(1e-12)) : null;
      let gt: Tensor | null = null;
      if (needs[1]) {
        const [lp, l1p] = clampedLogs(p!);
        gt = g.mul(l1p.sub(lp));
      }
      return [gp, gt];
    },
    () => [input, target],
  );
  return weighted(per, options.weight, reduction);
}

/** per * weight (when given), reduced; disposes per. */
function weighted(per: Tensor, weight: Tensor | null | undefined, reduction: Reduction): Tensor {
  const r = tidy(() => reduce(weight ? per.mul(weight) : per, reduction));
  if (r !== per) per.dispose();
  return r;
}

/** log(1 + u) for u = exp(-|x|) in (0, 1]: the series where 1 + u would round to 1. */
function log1pSmall(u: Tensor): Tensor {
  return where(u.lt(1e-4), u.mul(u.mul(-0.5).add(1)), u.add(1).log());
}

/** softplus(-x) = log(1 + exp(-x)) = max(-x, 0) + log(1 + exp(-|x|)): no overflow for any x. */
function softplusNeg(x: Tensor): Tensor {
  return x.neg().relu().add(log1pSmall(x.abs().neg().exp()));
}

/**
 * Binary cross-entropy of logits, as `binary_cross_entropy_with_logits`, in the stable form
 * max(x, 0) - x t + log(1 + exp(-|x|)) (no overflow for any logit). With posWeight P (broadcast
 * to the input, usually one per class): (1 - t) x + (1 + (P - 1) t) softplus(-x). Then times
 * weight, reduced. Input and target must have the same shape. Gradients are PyTorch's closed
 * forms: x gets g ((1 + (P - 1) t) sigmoid(x) - P t) (sigmoid(x) - t without P), t gets
 * g ((P - 1) softplus(-x) - x), P gets g t softplus(-x); second derivatives work.
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, options: BinaryCrossEntropyWithLogitsOptions = {}, ...extra: never[]): Tensor {
  noExtra('binaryCrossEntropyWithLogits', extra, '(input, target, options?)');
  const op = 'binaryCrossEntropyWithLogits';
  checkOptions(op, options, ['reduction', 'weight', 'posWeight']);
  const pw = options.posWeight ?? null;
  const reduction = checkPair(op, input, target, options.reduction, [options.weight, pw]);
  checkBroadcastWeight(op, 'weight', options.weight, input);
  checkBroadcastWeight(op, 'posWeight', pw, input);
  const per = trace(
    op,
    [input, target, pw],
    () => tidy(() => {
      const sp = softplusNeg(input);
      const lin = target.neg().add(1).mul(input);
      return lin.add(pw ? pw.sub(1).mul(target).add(1).mul(sp) : sp);
    }),
    (g, [x, t, P], needs) => {
      const gx = needs[0]
        ? g.mul(P ? P.sub(1).mul(t!).add(1).mul(x!.sigmoid()).sub(P.mul(t!)) : x!.sigmoid().sub(t!))
        : null;
      const sp = needs[1] || needs[2] ? softplusNeg(x!) : null;
      const gt = needs[1] ? g.mul(P ? P.sub(1).mul(sp!).sub(x!) : x!.neg()) : null;
      const gp = needs[2] ? g.mul(t!).mul(sp!) : null;
      return [gx, gt, gp];
    },
    () => [input, target, ...(pw ? [pw] : [])],
  );
  return weighted(per, options.weight, reduction);
}
