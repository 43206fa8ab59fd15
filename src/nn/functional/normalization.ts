/**
 * Normalization: batchNorm, layerNorm, groupNorm, instanceNorm. batchNorm (with batch
 * statistics), layerNorm and groupNorm are one recorded op each over the norm family's fused
 * kernels (layerNorm and groupNorm: the row normalization, kernels/norm/types.ts), whose
 * backward runs a fused kernel too, or tensor ops when the backward is itself recorded (so
 * second derivatives are exact); the rest is written with differentiable tensor ops. The
 * variance is the two-pass one (mean first), which stays accurate for large means.
 */
import { getBackend } from '../../runtime.js';
import { checkInputs } from '../../tensor/ops/core.js';
import { isGradEnabled, noGrad } from '../../autograd/mode.js';
import { recording, trace } from '../../autograd/node.js';
import { empty } from '../../tensor/ops/core.js';
import { tidy } from '../../tensor/memory.js';
import { fmtShape, shapeEq } from '../../core/shape.js';
import { isFloat } from '../../core/dtype.js';
import type { Tensor } from '../../tensor/tensor.js';
import { checkBoolean, checkNumber, checkOptions } from '../../core/options.js';
import { noExtra } from './args.js';
import { ROW_NORM_MAX_LEN, type RowNormShape } from '../../kernels/norm/types.js';

function checkFloat(op: string, x: Tensor): void {
  if (!isFloat(x.dtype)) throw new Error(`${op}: expected a floating-point input, got ${x.dtype} (shape ${fmtShape(x.shape)})`);
}

function checkEps(op: string, eps: number): void {
  if (!(typeof eps === 'number' && eps >= 0 && Number.isFinite(eps))) throw new Error(`${op}: eps must be a finite number >= 0, got ${String(eps)}`);
}

/** An affine parameter of `shape` (weight or bias), or null. */
function checkParam(op: string, name: string, t: Tensor | null | undefined, shape: readonly number[]): Tensor | null {
  if (t === null || t === undefined) return null;
  checkInputs(op, t);
  if (!shapeEq(t.shape, shape)) throw new Error(`${op}: ${name} must have shape ${fmtShape(shape)}, got ${fmtShape(t.shape)}`);
  return t;
}

export interface BatchNormOptions {
  /** Use (and update) the batch statistics (true) or the running statistics (false, default). */
  training?: boolean;
  /** Weight of the new batch statistics in the running average (default 0.1). */
  momentum?: number;
  eps?: number;
}

/**
 * Batch normalization over x [N, C, ...]: statistics per channel C over every other dim.
 * In training the batch statistics normalize x and, when given, `runningMean` and
 * `runningVar` are updated in place (running = (1 - momentum) running + momentum batch, the
 * variance unbiased), as PyTorch does; they must not require grad. In eval the running
 * statistics normalize x (then they are required).
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null | undefined,
  runningVar: Tensor | null | undefined,
  weight?: Tensor | null,
  bias?: Tensor | null,
  options: BatchNormOptions = {},
  ...extra: never[]
): Tensor {
  const op = 'batchNorm';
  noExtra(op, extra, '(x, runningMean, runningVar, weight?, bias?, options?)');
  checkOptions(op, options, ['training', 'momentum', 'eps']);
  checkInputs(op, x);
  checkFloat(op, x);
  if (x.ndim < 2) throw new Error(`${op}: expected an input of shape [N, C, ...], got ${fmtShape(x.shape)}`);
  const training = checkBoolean(op, 'training', options.training ?? false);
  const momentum = checkNumber(op, 'momentum', options.momentum ?? 0.1, { min: 0, max: 1 });
  const eps = options.eps ?? 1e-5;
  checkEps(op, eps);
  const C = x.shape[1]!;
  const rm = checkParam(op, 'runningMean', runningMean, [C]);
  const rv = checkParam(op, 'runningVar', runningVar, [C]);
  const w = checkParam(op, 'weight', weight, [C]);
  const b = checkParam(op, 'bias', bias, [C]);
  if ((rm === null) !== (rv === null)) throw new Error(`${op}: give both runningMean and runningVar, or neither`);
  for (const [name, t] of [['runningMean', rm], ['runningVar', rv]] as const) {
    if (t?.requiresGrad) throw new Error(`${op}: ${name} must not require grad (it is updated in place)`);
  }
  const dims = x.shape.map((_, i) => i).filter((i) => i !== 1);
  const count = dims.reduce((a, d) => a * x.shape[d]!, 1);
  if (training && count <= 1) {
    throw new Error(`${op}: expected more than 1 value per channel when training, got input ${fmtShape(x.shape)}`);
  }
  const bshape = x.shape.map((d, i) => (i === 1 ? d : 1)); // [1, C, 1, ...]
  const useBatch = training || !rm;
  const backend = getBackend(x.device);
  if (useBatch && (x.device === 'cpu' || count <= BN_MAX_COUNT)) {
    // One statistics kernel and one normalize kernel (and two for the backward).
    return fusedTrainingBatchNorm(x, w, b, eps, (mean, varB) => {
      if (training && rm && rv) {
        tidy(() => noGrad(() => {
          writeInPlace(rm, rm.mul(1 - momentum).add(mean.mul(momentum)));
          writeInPlace(rv, rv.mul(1 - momentum).add(varB.mul((count / (count - 1)) * momentum)));
        }));
      }
    });
  }
  if (!useBatch && !recording([x, w, b]) && count > 0) {
    // Inference with the running statistics: one kernel.
    return noGrad(() => {
      const N = x.shape[0]!;
      const x3 = fresh(x).reshape([N, C, count / N]);
      const y = empty(op, x.device, x.dtype, x.shape);
      backend.norm.batchNormApply(x3, fresh(rm!), fresh(rv!), w ? fresh(w) : null, b ? fresh(b) : null, eps, y.reshape([N, C, count / N]));
      return y;
    });
  }
  let mean: Tensor;
  let varB: Tensor;
  if (useBatch) {
    mean = x.mean(dims, true);
    varB = x.var(dims, { correction: 0, keepdim: true });
    if (training && rm && rv) {
      tidy(() => noGrad(() => {
        const m = mean.detach().reshape([C]);
        const v = varB.detach().reshape([C]).mul(count / (count - 1)); // unbiased, as PyTorch keeps it
        writeInPlace(rm, rm.mul(1 - momentum).add(m.mul(momentum)));
        writeInPlace(rv, rv.mul(1 - momentum).add(v.mul(momentum)));
      }));
    }
  } else {
    mean = rm!.reshape(bshape);
    varB = rv!.reshape(bshape);
  }
  let y = x.sub(mean).div(varB.add(eps).sqrt());
  if (w) y = y.mul(w.reshape(bshape));
  if (b) y = y.add(b.reshape(bshape));
  return y;
}

/** `t` itself when contiguous from offset 0 (what the kernels take), else a contiguous copy. */
function fresh(t: Tensor): Tensor {
  return t.isContiguous() && t.offset === 0 ? t : t.clone();
}

/**
 * Batch norm with batch statistics, as one recorded op over the fused kernels. Its backward
 * runs the two backward kernels; when the backward itself is recorded (createGraph), it is
 * written with tensor ops instead, recomputing the statistics from x, so that second
 * derivatives are exact.
 */
function fusedTrainingBatchNorm(x: Tensor, w: Tensor | null, b: Tensor | null, eps: number, onStats: (mean: Tensor, varB: Tensor) => void): Tensor {
  const N = x.shape[0]!;
  const C = x.shape[1]!;
  const S = x.size / Math.max(N * C, 1);
  const backend = getBackend(x.device);
  const shape = x.shape;
  const count = N * S; // elements per channel
  const hasW = w !== null;
  let mean: Tensor | null = null;
  let varB: Tensor | null = null;
  const y = trace(
    'batchNorm',
    [x, w, b],
    () => {
      const x3 = fresh(x).reshape([N, C, S]);
      mean = empty('batchNorm', x.device, x.dtype, [C]);
      varB = empty('batchNorm', x.device, x.dtype, [C]);
      backend.norm.batchNormStats(x3, mean, varB);
      onStats(mean, varB);
      const out = empty('batchNorm', x.device, x.dtype, shape);
      const wc = w ? fresh(w.cast(x.dtype)) : null;
      const bc = b ? fresh(b.cast(x.dtype)) : null;
      backend.norm.batchNormApply(x3, mean, varB, wc, bc, eps, out.reshape([N, C, S]));
      return out;
    },
    (g, saved, needs) => {
      const [xs, m, v, ws] = saved as Tensor[];
      const weight = hasW ? ws! : null;
      if (isGradEnabled()) {
        // d/dx of (x - mean) / sqrt(var + eps) through the batch statistics, with tensor ops.
        const dims = shape.map((_, i) => i).filter((i) => i !== 1);
        const bshape = shape.map((d, i) => (i === 1 ? d : 1));
        const mu = xs!.mean(dims, true);
        const inv = xs!.var(dims, { correction: 0, keepdim: true }).add(eps).rsqrt();
        const xhat = xs!.sub(mu).mul(inv);
        const dxhat = weight ? g.mul(weight.reshape(bshape)) : g;
        const dx = dxhat.mul(count).sub(dxhat.sum(dims, true)).sub(xhat.mul(dxhat.mul(xhat).sum(dims, true))).mul(inv.div(count));
        return [needs[0] ? dx : null, needs[1] ? g.mul(xhat).sum(dims) : null, needs[2] ? g.sum(dims) : null];
      }
      const g3 = fresh(g).reshape([N, C, S]);
      const x3 = fresh(xs!).reshape([N, C, S]);
      const sums = empty('batchNorm', g.device, g.dtype, [2 * C]);
      const dx = empty('batchNorm', g.device, g.dtype, shape);
      backend.norm.batchNormBackward(g3, x3, m!, v!, weight ? fresh(weight.cast(g.dtype)) : null, eps, true, sums, dx.reshape([N, C, S]));
      return [needs[0] ? dx : null, needs[1] ? sums.narrow(0, C, C) : null, needs[2] ? sums.narrow(0, 0, C) : null];
    },
    () => [x, mean!, varB!, ...(hasW ? [w!] : [])],
  );
  // Recorded: the node holds its own handles on the statistics (trace freed ours); not: free them.
  if (!y.gradFn) {
    (mean as Tensor | null)?.dispose();
    (varB as Tensor | null)?.dispose();
  }
  return y;
}

/**
 * Most elements per channel for the fused kernels on webgpu: each of the channel's workgroup
 * invocations loops over count / 256 of them, twice, under llvmpipe's 65535-iteration cap
 * (beyond it, the composite path runs).
 */
const BN_MAX_COUNT = 256 * 30000;

/** Writes `value` into `target`'s buffer (running statistics only: they never require grad). */
function writeInPlace(target: Tensor, value: Tensor): void {
  getBackend(target.device).copy(value.cast(target.dtype), target);
  target.storage.version++;
}

/** Whether the fused row normalization takes x in rows of len (non-empty, not over its longest row). */
const fusable = (x: Tensor, len: number) => x.size > 0 && len > 0 && len <= ROW_NORM_MAX_LEN;

/**
 * layerNorm / groupNorm as one recorded op over the norm family's row normalization (the rows
 * and the affine parameters' layout in `s`, kernels/norm/types.ts). Its backward runs the fused
 * kernel for dx and reductions for the weight and bias; when the backward is itself recorded
 * (createGraph), dx is written with tensor ops, the statistics recomputed from x, so second
 * derivatives are exact.
 */
function rowNorm(op: string, x: Tensor, w: Tensor | null, b: Tensor | null, s: RowNormShape, eps: number): Tensor {
  const backend = getBackend(x.device);
  const { rows, len } = s;
  const hasW = w !== null;
  // The affine parameters laid out against the rows: x as [rows / groups, groups, len / per, per].
  const blocks = [rows / s.groups, s.groups, len / s.per, s.per];
  const wBlocks = [1, s.groups, len / s.per, 1];
  let stats: Tensor | null = null;
  const y = trace(
    op,
    [x, w, b],
    () => {
      stats = empty(op, x.device, x.dtype, [2 * rows]);
      const out = empty(op, x.device, x.dtype, x.shape);
      const wc = w ? fresh(w.cast(x.dtype)) : null;
      const bc = b ? fresh(b.cast(x.dtype)) : null;
      backend.norm.rowNormForward(fresh(x).reshape([rows, len]), wc, bc, s, eps, out.reshape([rows, len]), stats);
      return out;
    },
    (g, saved, needs) => {
      const [xs, st, ws] = saved as Tensor[];
      const weight = hasW ? ws! : null;
      const g2 = g.reshape([rows, len]);
      const x2 = xs!.reshape([rows, len]);
      let dx: Tensor | null = null;
      let xhat: Tensor | null = null; // for the weight's gradient, and a recorded dx
      if (isGradEnabled()) {
        const mu = x2.mean(1, true);
        const inv = x2.var(1, { correction: 0, keepdim: true }).add(eps).rsqrt();
        xhat = x2.sub(mu).mul(inv);
        if (needs[0]) {
          const dxhat = weight ? g2.mul(weight.reshape(wBlocks).expand(blocks).reshape([rows, len])) : g2;
          dx = dxhat.sub(dxhat.mean(1, true)).sub(xhat.mul(dxhat.mul(xhat).mean(1, true))).mul(inv).reshape(x.shape);
        }
      } else {
        if (needs[1]) xhat = x2.sub(st!.narrow(0, 0, rows).reshape([rows, 1])).mul(st!.narrow(0, rows, rows).reshape([rows, 1]));
        if (needs[0]) {
          dx = empty(op, g.device, g.dtype, x.shape);
          backend.norm.rowNormBackward(fresh(g2), fresh(x2), weight ? fresh(weight.cast(g.dtype)) : null, s, st!, dx.reshape([rows, len]));
        }
      }
      // The parameters' gradients: sums over the rows' blocks and each parameter's run.
      const paramSum = (t: Tensor, like: Tensor) => t.reshape(blocks).sum([0, 3]).reshape(like.shape).cast(like.dtype);
      return [dx, needs[1] ? paramSum(g2.mul(xhat!), w!) : null, needs[2] ? paramSum(g2, b!) : null];
    },
    () => [x, stats!, ...(hasW ? [w!] : [])],
  );
  // Recorded: the node holds its own handle on the statistics (trace freed ours); not: free them.
  if (!y.gradFn) (stats as Tensor | null)?.dispose();
  return y;
}

export interface NormOptions {
  eps?: number;
}

/**
 * Layer normalization over the last dims, whose sizes are `normalizedShape`; weight and bias,
 * when given, have that shape.
 */
export function layerNorm(x: Tensor, normalizedShape: number | readonly number[], weight?: Tensor | null, bias?: Tensor | null, options: NormOptions = {}, ...extra: never[]): Tensor {
  noExtra('layerNorm', extra, '(x, normalizedShape, weight?, bias?, options?)');
  const op = 'layerNorm';
  checkOptions(op, options, ['eps']);
  checkInputs(op, x);
  checkFloat(op, x);
  const shape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  const eps = options.eps ?? 1e-5;
  checkEps(op, eps);
  const k = shape.length;
  if (k === 0 || k > x.ndim || !shapeEq(x.shape.slice(x.ndim - k), shape)) {
    throw new Error(`${op}: normalizedShape ${fmtShape(shape)} must be the last dims of the input, got input ${fmtShape(x.shape)}`);
  }
  const w = checkParam(op, 'weight', weight, shape);
  const b = checkParam(op, 'bias', bias, shape);
  const L = shape.reduce((a, c) => a * c, 1);
  if (fusable(x, L)) return rowNorm(op, x, w, b, { rows: x.size / L, len: L, groups: 1, per: 1 }, eps);
  const dims = shape.map((_, i) => x.ndim - k + i);
  const mean = x.mean(dims, true);
  const v = x.var(dims, { correction: 0, keepdim: true });
  let y = x.sub(mean).div(v.add(eps).sqrt());
  if (w) y = y.mul(w);
  if (b) y = y.add(b);
  return y;
}

/**
 * Group normalization of x [N, C, ...]: the C channels in `numGroups` groups, each normalized
 * over its channels and every spatial position; weight and bias are per channel [C].
 */
export function groupNorm(x: Tensor, numGroups: number, weight?: Tensor | null, bias?: Tensor | null, options: NormOptions = {}, ...extra: never[]): Tensor {
  noExtra('groupNorm', extra, '(x, numGroups, weight?, bias?, options?)');
  const op = 'groupNorm';
  checkOptions(op, options, ['eps']);
  checkInputs(op, x);
  checkFloat(op, x);
  if (x.ndim < 2) throw new Error(`${op}: expected an input of shape [N, C, ...], got ${fmtShape(x.shape)}`);
  const C = x.shape[1]!;
  if (!Number.isInteger(numGroups) || numGroups < 1 || C % numGroups !== 0) {
    throw new Error(`${op}: the ${C} channels of input ${fmtShape(x.shape)} cannot be split into ${numGroups} groups (numGroups must divide C)`);
  }
  const eps = options.eps ?? 1e-5;
  checkEps(op, eps);
  const w = checkParam(op, 'weight', weight, [C]);
  const b = checkParam(op, 'bias', bias, [C]);
  const N = x.shape[0]!;
  const L = x.size / Math.max(N * numGroups, 1);
  if (fusable(x, L)) return rowNorm(op, x, w, b, { rows: N * numGroups, len: L, groups: numGroups, per: L / (C / numGroups) }, eps);
  const g = x.reshape([N, numGroups, -1]);
  const mean = g.mean(2, true);
  const v = g.var(2, { correction: 0, keepdim: true });
  let y = g.sub(mean).div(v.add(eps).sqrt()).reshape(x.shape);
  const bshape = x.shape.map((d, i) => (i === 1 ? d : 1));
  if (w) y = y.mul(w.reshape(bshape));
  if (b) y = y.add(b.reshape(bshape));
  return y;
}

export interface InstanceNormOptions {
  /** Per-channel [C] running mean: updated in place when useInputStats, used otherwise. */
  runningMean?: Tensor | null;
  /** Per-channel [C] running variance (unbiased), as runningMean. */
  runningVar?: Tensor | null;
  /** Per-channel [C] scale. */
  weight?: Tensor | null;
  /** Per-channel [C] shift. */
  bias?: Tensor | null;
  /** Normalize with each instance's own statistics (default true) or with the running ones. */
  useInputStats?: boolean;
  /** Weight of the new statistics in the running average (default 0.1). */
  momentum?: number;
  eps?: number;
}

/**
 * Instance normalization of x [N, C, ...] (at least one spatial dim), as
 * `torch.nn.functional.instance_norm`: each (n, c) plane is normalized by its own mean and
 * (biased) variance over the spatial dims when `useInputStats` (the default), then scaled and
 * shifted per channel. When given, `runningMean` / `runningVar` [C] are then updated in place
 * as PyTorch updates them: running = (1 - momentum) running + momentum * (the mean over the
 * batch of the per-instance statistics, the variance unbiased). With `useInputStats: false`
 * the running statistics normalize x (then both are required). Written with differentiable
 * tensor ops, so the backward (second derivatives included) comes from theirs.
 */
export function instanceNorm(x: Tensor, options: InstanceNormOptions = {}, ...extra: never[]): Tensor {
  const op = 'instanceNorm';
  noExtra(op, extra, '(x, { runningMean, runningVar, weight, bias, useInputStats, momentum, eps })');
  checkOptions(op, options, ['runningMean', 'runningVar', 'weight', 'bias', 'useInputStats', 'momentum', 'eps']);
  checkInputs(op, x);
  checkFloat(op, x);
  if (x.ndim < 3) throw new Error(`${op}: expected an input of shape [N, C, ...] with at least one spatial dim, got ${fmtShape(x.shape)}`);
  const useInput = checkBoolean(op, 'useInputStats', options.useInputStats ?? true);
  const momentum = checkNumber(op, 'momentum', options.momentum ?? 0.1, { min: 0, max: 1 });
  const eps = options.eps ?? 1e-5;
  checkEps(op, eps);
  const C = x.shape[1]!;
  const rm = checkParam(op, 'runningMean', options.runningMean, [C]);
  const rv = checkParam(op, 'runningVar', options.runningVar, [C]);
  const w = checkParam(op, 'weight', options.weight, [C]);
  const b = checkParam(op, 'bias', options.bias, [C]);
  if ((rm === null) !== (rv === null)) throw new Error(`${op}: give both runningMean and runningVar, or neither`);
  if (!useInput && !rm) throw new Error(`${op}: useInputStats false needs runningMean and runningVar`);
  for (const [name, t] of [['runningMean', rm], ['runningVar', rv]] as const) {
    if (t?.requiresGrad) throw new Error(`${op}: ${name} must not require grad (it is updated in place)`);
  }
  const dims = x.shape.map((_, i) => i).slice(2);
  const S = dims.reduce((a, d) => a * x.shape[d]!, 1);
  if (useInput && S <= 1) throw new Error(`${op}: expected more than 1 spatial element when using the input's statistics, got input ${fmtShape(x.shape)}`);
  const bshape = x.shape.map((d, i) => (i === 1 ? d : 1)); // [1, C, 1, ...]
  let mean: Tensor;
  let v: Tensor;
  if (useInput) {
    mean = x.mean(dims, true);
    v = x.var(dims, { correction: 0, keepdim: true });
    if (rm && rv) {
      tidy(() => noGrad(() => {
        const m = mean.detach().reshape([x.shape[0]!, C]).mean(0);
        const vu = v.detach().reshape([x.shape[0]!, C]).mean(0).mul(S / (S - 1));
        writeInPlace(rm, rm.mul(1 - momentum).add(m.mul(momentum)));
        writeInPlace(rv, rv.mul(1 - momentum).add(vu.mul(momentum)));
      }));
    }
  } else {
    mean = rm!.reshape(bshape);
    v = rv!.reshape(bshape);
  }
  let y = x.sub(mean).div(v.add(eps).sqrt());
  if (w) y = y.mul(w.reshape(bshape));
  if (b) y = y.add(b.reshape(bshape));
  return y;
}
