/**
 * Layers: modules over nn.functional, initialised as PyTorch initialises them by default.
 * Each checks its input's shape first, so a wrong shape names the layer and what it expected.
 *
 * Constructors take PyTorch's positional arguments in PyTorch's order
 * (`new Conv2d(1, 8, 4, 2, 1)` is stride 2, padding 1), then, as the last argument, an options
 * object with the same settings by name (camelCase: `{ stride: 2, padding: 1 }`) plus `device`
 * and `dtype`. Too many positional arguments, an unknown option, a setting given both ways
 * and a value out of range are errors naming the layer.
 */
import type { FusedAct } from '../kernels/ops.js';
import { getDefaultDevice } from '../runtime.js';
import { ones, zeros } from '../tensor/creation.js';
import { fmtShape } from '../core/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import * as F from '../nn/functional/index.js';
import * as init from './init.js';
import { checkBoolean, checkChoice, checkNumber, describe } from '../core/options.js';
import { Module, copyInto } from './module.js';
import { PLACEMENT, bool, layerArgs, param, placement, posInt, type LayerOptions, type WithOptions } from './args.js';
import { noGrad } from '../autograd/mode.js';
import { tidy } from '../tensor/memory.js';
import { INTERPOLATE_MODES, refuseNotDone } from '../nn/functional/interpolate-modes.js';

export type { LayerOptions, WithOptions } from './args.js';

type Pair = number | [number, number];

/** An integer >= min, or a list of `n` of them. */
function sizes(op: string, name: string, v: unknown, n: number, min: number): number[] {
  const ok = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= min;
  if (ok(v)) return Array.from({ length: n }, () => v as number);
  if (Array.isArray(v) && v.length === n && v.every(ok)) return [...(v as number[])];
  const list = n === 1 ? '[l]' : '[h, w]';
  throw new Error(`${op}: ${name} must be an integer >= ${min} or ${list} of them, got ${describe(v)}`);
}

/** PyTorch's `inplace` flag: false is accepted; true is refused, as webgrad ops make new tensors. */
function noInplace(op: string, v: unknown): void {
  if (v !== undefined && checkBoolean(op, 'inplace', v)) {
    throw new Error(`${op}: inplace = true is not supported (webgrad's ops return new tensors); leave it out`);
  }
}

const fmtSizes = (v: readonly number[]): string => (v.every((x) => x === v[0]) ? String(v[0]) : v.join('x'));

function expectShape(m: Module, x: Tensor, ok: boolean, expected: string): void {
  if (!ok) throw new Error(`${m.constructor.name}(${m.extraRepr()}): expected input ${expected}, got ${fmtShape(x.shape)}`);
}

/** PyTorch's default for Linear and conv layers: kaiming_uniform(a = sqrt 5) = U(-1/sqrt(fanIn), 1/sqrt(fanIn)), bias the same bound. */
function resetLinearLike(weight: Tensor, bias: Tensor | null, fanIn: number): void {
  init.kaimingUniform(weight, { a: Math.sqrt(5) });
  if (bias) {
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    init.uniform(bias, -bound, bound);
  }
}

export interface LinearOptions extends LayerOptions {
  /** Add a learned bias (default true). */
  bias?: boolean;
}

/** y = x W^T + b, for x [..., inFeatures]. `new Linear(in, out, bias?, options?)`, as PyTorch's. */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  constructor(inFeatures: number, outFeatures: number, ...args: WithOptions<[bias: boolean], LinearOptions>) {
    super();
    const op = 'Linear';
    this.inFeatures = posInt(op, 'inFeatures', inFeatures);
    this.outFeatures = posInt(op, 'outFeatures', outFeatures);
    const o = layerArgs(op, ['inFeatures', 'outFeatures'], args, ['bias'], ['bias', ...PLACEMENT]);
    const place = placement(op, o);
    const w = param(this, 'weight', [outFeatures, inFeatures], place);
    const b = bool(op, 'bias', o.bias, true) ? param(this, 'bias', [outFeatures], place) : null;
    if (!b) this.registerParameter('bias', null);
    resetLinearLike(w, b, inFeatures);
  }
  get weight(): Tensor { return this.get('weight'); }
  get bias(): Tensor | null { return this.getOptional('bias'); }
  forward(x: Tensor): Tensor {
    expectShape(this, x, x.ndim >= 1 && x.shape[x.ndim - 1] === this.inFeatures, `[..., ${this.inFeatures}]`);
    return F.linear(x, this.weight, this.bias);
  }
  /** act(forward(x)) as one fused op (F.fusedLinear; needs the bias): what nn.Sequential runs for this layer and the activation after it. */
  forwardFused(x: Tensor, act: FusedAct): Tensor {
    expectShape(this, x, x.ndim >= 1 && x.shape[x.ndim - 1] === this.inFeatures, `[..., ${this.inFeatures}]`);
    if (!this.bias) throw new Error('Linear.forwardFused: the layer has no bias (bias=false); the activation is fused after the bias');
    return F.fusedLinear(x, this.weight, this.bias, act);
  }
  override extraRepr(): string {
    return `in=${this.inFeatures}, out=${this.outFeatures}${this.bias ? '' : ', bias=false'}`;
  }
}

export interface ConvOptions extends LayerOptions {
  /** Default 1. */
  stride?: Pair;
  /** Zero padding per side (default 0), or 'valid' (0) or 'same' (stride 1 only). */
  padding?: Pair | 'same' | 'valid';
  /** Default 1. */
  dilation?: Pair;
  /** Default 1; must divide inChannels and outChannels. */
  groups?: number;
  /** Default true. */
  bias?: boolean;
  /** Only 'zeros' (the default) is supported. */
  paddingMode?: 'zeros';
}

export interface ConvTransposeOptions extends Omit<ConvOptions, 'padding'> {
  padding?: Pair;
  /** Added to one side of the output (default 0); less than the stride or the dilation. */
  outputPadding?: Pair;
}

const CONV_POSITIONAL = ['stride', 'padding', 'dilation', 'groups', 'bias', 'paddingMode'] as const;
const CONVT_POSITIONAL = ['stride', 'padding', 'outputPadding', 'groups', 'bias', 'dilation', 'paddingMode'] as const;

abstract class ConvBase extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[] | 'same' | 'valid';
  readonly dilation: number[];
  readonly groups: number;
  readonly outputPadding: number[];
  /** The settings, resolved (every one given). */
  readonly options: ConvOptions & { outputPadding?: Pair };
  constructor(op: string, inChannels: number, outChannels: number, kernelSize: unknown, args: readonly unknown[], transposed: boolean) {
    super();
    const n = op === 'Conv1d' ? 1 : 2;
    this.inChannels = posInt(op, 'inChannels', inChannels);
    this.outChannels = posInt(op, 'outChannels', outChannels);
    this.kernelSize = sizes(op, 'kernelSize', kernelSize, n, 1);
    const positional = transposed ? CONVT_POSITIONAL : CONV_POSITIONAL;
    const o = layerArgs(op, ['inChannels', 'outChannels', 'kernelSize'], args, positional, [...positional, ...PLACEMENT]);
    this.stride = sizes(op, 'stride', o.stride ?? 1, n, 1);
    if (!transposed && (o.padding === 'same' || o.padding === 'valid')) {
      if (o.padding === 'same' && this.stride.some((s) => s !== 1)) throw new Error(`${op}: padding 'same' needs stride 1, got stride ${describe(o.stride)}`);
      this.padding = o.padding;
    } else {
      this.padding = sizes(op, 'padding', o.padding ?? 0, n, 0);
    }
    this.dilation = sizes(op, 'dilation', o.dilation ?? 1, n, 1);
    this.groups = posInt(op, 'groups', o.groups ?? 1);
    this.outputPadding = transposed ? sizes(op, 'outputPadding', o.outputPadding ?? 0, n, 0) : [];
    this.outputPadding.forEach((p, i) => {
      if (p >= this.stride[i]! && p >= this.dilation[i]!) {
        throw new Error(`${op}: outputPadding must be smaller than the stride or the dilation, got outputPadding ${describe(o.outputPadding)} with stride ${fmtSizes(this.stride)} and dilation ${fmtSizes(this.dilation)}`);
      }
    });
    if (o.paddingMode !== undefined) checkChoice(op, 'paddingMode', o.paddingMode, ['zeros'] as const);
    const groups = this.groups;
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new Error(`${op}: inChannels (${inChannels}) and outChannels (${outChannels}) must be divisible by groups (${groups})`);
    }
    const place = placement(op, o);
    const bias = bool(op, 'bias', o.bias, true);
    this.options = { stride: o.stride as Pair, padding: o.padding as Pair, dilation: o.dilation as Pair, groups, bias, ...(transposed ? { outputPadding: o.outputPadding as Pair } : {}), ...place };
    const ks = this.kernelSize;
    const shape = transposed ? [inChannels, outChannels / groups, ...ks] : [outChannels, inChannels / groups, ...ks];
    const w = param(this, 'weight', shape, place);
    const b = bias ? param(this, 'bias', [outChannels], place) : null;
    if (!b) this.registerParameter('bias', null);
    resetLinearLike(w, b, init.calculateFanInAndFanOut(w)[0]);
  }
  get weight(): Tensor { return this.get('weight'); }
  get bias(): Tensor | null { return this.getOptional('bias'); }
  protected settings(): { stride: never; padding: never; dilation: never; groups: number } {
    const one = (v: number[] | string) => (typeof v === 'string' ? v : v.length === 1 ? v[0] : v) as never;
    return { stride: one(this.stride), padding: one(this.padding), dilation: one(this.dilation), groups: this.groups };
  }
  override extraRepr(): string {
    const pad = typeof this.padding === 'string' ? this.padding : this.padding.some((p) => p !== 0) ? fmtSizes(this.padding) : '';
    return [
      `${this.inChannels}, ${this.outChannels}`,
      `kernel=${this.kernelSize.join('x')}`,
      this.stride.some((s) => s !== 1) ? `stride=${fmtSizes(this.stride)}` : '',
      pad ? `padding=${pad}` : '',
      this.outputPadding.some((p) => p !== 0) ? `outputPadding=${fmtSizes(this.outputPadding)}` : '',
      this.dilation.some((d) => d !== 1) ? `dilation=${fmtSizes(this.dilation)}` : '',
      this.groups > 1 ? `groups=${this.groups}` : '',
      this.bias ? '' : 'bias=false',
    ].filter(Boolean).join(', ');
  }
}

type ConvPositional = [stride: Pair, padding: Pair | 'same' | 'valid', dilation: Pair, groups: number, bias: boolean, paddingMode: 'zeros'];

/** 1-D convolution over x [N, Cin, L]: `new Conv1d(in, out, kernelSize, stride?, padding?, dilation?, groups?, bias?, paddingMode?, options?)`. */
export class Conv1d extends ConvBase {
  constructor(inChannels: number, outChannels: number, kernelSize: number | [number], ...args: WithOptions<[stride: number | [number], padding: number | [number] | 'same' | 'valid', dilation: number | [number], groups: number, bias: boolean, paddingMode: 'zeros'], Omit<ConvOptions, 'stride' | 'padding' | 'dilation'> & { stride?: number | [number]; padding?: number | [number] | 'same' | 'valid'; dilation?: number | [number] }>) {
    super('Conv1d', inChannels, outChannels, kernelSize, args, false);
  }
  forward(x: Tensor): Tensor {
    expectShape(this, x, (x.ndim === 3 && x.shape[1] === this.inChannels) || (x.ndim === 2 && x.shape[0] === this.inChannels), `[N, ${this.inChannels}, L]`);
    return F.conv1d(x, this.weight, this.bias, this.settings());
  }
}

/** 2-D convolution over x [N, Cin, H, W]: `new Conv2d(in, out, kernelSize, stride?, padding?, dilation?, groups?, bias?, paddingMode?, options?)`. */
export class Conv2d extends ConvBase {
  constructor(inChannels: number, outChannels: number, kernelSize: Pair, ...args: WithOptions<ConvPositional, ConvOptions>) {
    super('Conv2d', inChannels, outChannels, kernelSize, args, false);
  }
  forward(x: Tensor): Tensor {
    expectShape(this, x, (x.ndim === 4 && x.shape[1] === this.inChannels) || (x.ndim === 3 && x.shape[0] === this.inChannels), `[N, ${this.inChannels}, H, W]`);
    return F.conv2d(x, this.weight, this.bias, this.settings());
  }
  /** act(forward(x)) as one fused op (F.fusedConv2d; needs the bias): what nn.Sequential runs for this layer and the activation after it. */
  forwardFused(x: Tensor, act: FusedAct): Tensor {
    expectShape(this, x, (x.ndim === 4 && x.shape[1] === this.inChannels) || (x.ndim === 3 && x.shape[0] === this.inChannels), `[N, ${this.inChannels}, H, W]`);
    if (!this.bias) throw new Error('Conv2d.forwardFused: the layer has no bias (bias=false); the activation is fused after the bias');
    return F.fusedConv2d(x, this.weight, this.bias, act, this.settings());
  }
}

/**
 * Transposed 2-D convolution ("deconvolution") over x [N, Cin, H, W]:
 * `new ConvTranspose2d(in, out, kernelSize, stride?, padding?, outputPadding?, groups?, bias?, dilation?, paddingMode?, options?)` (PyTorch's order).
 */
export class ConvTranspose2d extends ConvBase {
  constructor(inChannels: number, outChannels: number, kernelSize: Pair, ...args: WithOptions<[stride: Pair, padding: Pair, outputPadding: Pair, groups: number, bias: boolean, dilation: Pair, paddingMode: 'zeros'], ConvTransposeOptions>) {
    super('ConvTranspose2d', inChannels, outChannels, kernelSize, args, true);
  }
  forward(x: Tensor): Tensor {
    expectShape(this, x, (x.ndim === 4 && x.shape[1] === this.inChannels) || (x.ndim === 3 && x.shape[0] === this.inChannels), `[N, ${this.inChannels}, H, W]`);
    return F.convTranspose2d(x, this.weight, this.bias, { ...this.settings(), outputPadding: this.outputPadding as never });
  }
}

export interface PoolOptions {
  /** Default: the kernel size. */
  stride?: Pair | null;
  /** Default 0; at most half the kernel size. */
  padding?: Pair;
  ceilMode?: boolean;
}

/** Kernel, stride (default the kernel) and padding (at most half the kernel) of a pooling layer. */
function poolWindow(op: string, kernelSize: unknown, o: Record<string, unknown>): { kernel: number[]; stride: number[]; padding: number[] } {
  const kernel = sizes(op, 'kernelSize', kernelSize, 2, 1);
  const stride = o.stride === undefined || o.stride === null ? kernel : sizes(op, 'stride', o.stride, 2, 1);
  const padding = sizes(op, 'padding', o.padding ?? 0, 2, 0);
  padding.forEach((p, i) => {
    if (p > kernel[i]! / 2) throw new Error(`${op}: padding must be at most half the kernel size, got padding ${describe(o.padding)} with kernelSize ${describe(kernelSize)}`);
  });
  return { kernel, stride, padding };
}

export interface MaxPool2dOptions extends PoolOptions {
  /** Default 1. */
  dilation?: Pair;
  /** Also return the argmax of each window: forward then returns [values, indices]. */
  returnIndices?: boolean;
}

/** `new MaxPool2d(kernelSize, stride?, padding?, dilation?, returnIndices?, ceilMode?, options?)`, as PyTorch's. */
export class MaxPool2d extends Module {
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly dilation: number[];
  readonly returnIndices: boolean;
  readonly ceilMode: boolean;
  readonly options: MaxPool2dOptions;
  constructor(kernelSize: Pair, ...args: WithOptions<[stride: Pair | null, padding: Pair, dilation: Pair, returnIndices: boolean, ceilMode: boolean], MaxPool2dOptions>) {
    super();
    const op = 'MaxPool2d';
    const positional = ['stride', 'padding', 'dilation', 'returnIndices', 'ceilMode'];
    const o = layerArgs(op, ['kernelSize'], args, positional, positional);
    const w = poolWindow(op, kernelSize, o);
    this.kernelSize = w.kernel;
    this.stride = w.stride;
    this.padding = w.padding;
    this.dilation = sizes(op, 'dilation', o.dilation ?? 1, 2, 1);
    this.returnIndices = bool(op, 'returnIndices', o.returnIndices, false);
    this.ceilMode = bool(op, 'ceilMode', o.ceilMode, false);
    this.options = o as MaxPool2dOptions;
  }
  forward(x: Tensor): Tensor {
    expectShape(this, x, x.ndim === 4 || x.ndim === 3, '[N, C, H, W]');
    const o = { stride: this.stride as Pair, padding: this.padding as Pair, dilation: this.dilation as Pair, ceilMode: this.ceilMode };
    return (this.returnIndices ? F.maxPool2d(x, this.kernelSize as Pair, { ...o, returnIndices: true }) : F.maxPool2d(x, this.kernelSize as Pair, o)) as unknown as Tensor;
  }
  override extraRepr(): string {
    return `kernel=${fmtSizes(this.kernelSize)}${this.stride.join() !== this.kernelSize.join() ? `, stride=${fmtSizes(this.stride)}` : ''}${this.padding.some((p) => p) ? `, padding=${fmtSizes(this.padding)}` : ''}`;
  }
}

export interface AvgPool2dOptions extends PoolOptions {
  /** Count the padding in the divisor (default true). */
  countIncludePad?: boolean;
  /** Divide every window's sum by this instead (a positive integer). */
  divisorOverride?: number | null;
}

/** `new AvgPool2d(kernelSize, stride?, padding?, ceilMode?, countIncludePad?, divisorOverride?, options?)`, as PyTorch's. */
export class AvgPool2d extends Module {
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;
  readonly options: AvgPool2dOptions;
  constructor(kernelSize: Pair, ...args: WithOptions<[stride: Pair | null, padding: Pair, ceilMode: boolean, countIncludePad: boolean, divisorOverride: number | null], AvgPool2dOptions>) {
    super();
    const op = 'AvgPool2d';
    const positional = ['stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride'];
    const o = layerArgs(op, ['kernelSize'], args, positional, positional);
    const w = poolWindow(op, kernelSize, o);
    this.kernelSize = w.kernel;
    this.stride = w.stride;
    this.padding = w.padding;
    this.ceilMode = bool(op, 'ceilMode', o.ceilMode, false);
    this.countIncludePad = bool(op, 'countIncludePad', o.countIncludePad, true);
    this.divisorOverride = o.divisorOverride === undefined || o.divisorOverride === null ? null : posInt(op, 'divisorOverride', o.divisorOverride);
    this.options = o as AvgPool2dOptions;
  }
  forward(x: Tensor): Tensor {
    expectShape(this, x, x.ndim === 4 || x.ndim === 3, '[N, C, H, W]');
    return F.avgPool2d(x, this.kernelSize as Pair, {
      stride: this.stride as Pair,
      padding: this.padding as Pair,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
      divisorOverride: this.divisorOverride,
    });
  }
  override extraRepr(): string {
    return `kernel=${fmtSizes(this.kernelSize)}`;
  }
}

/** `new AdaptiveAvgPool2d(outputSize)`: outputSize a positive integer, or [h, w] with null keeping the input's size. */
export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: number | [number | null, number | null];
  constructor(outputSize: number | [number | null, number | null], ...rest: never[]) {
    super();
    const op = 'AdaptiveAvgPool2d';
    layerArgs(op, ['outputSize'], rest, [], []);
    const ok = (v: unknown) => v === null || (typeof v === 'number' && Number.isInteger(v) && v >= 1);
    if (!((typeof outputSize === 'number' && ok(outputSize)) || (Array.isArray(outputSize) && outputSize.length === 2 && outputSize.every(ok)))) {
      throw new Error(`${op}: outputSize must be a positive integer or [h, w] of them (null keeps that dim), got ${describe(outputSize)}`);
    }
    this.outputSize = outputSize;
  }
  forward(x: Tensor): Tensor {
    expectShape(this, x, x.ndim === 4 || x.ndim === 3, '[N, C, H, W]');
    return F.adaptiveAvgPool2d(x, this.outputSize as never);
  }
  override extraRepr(): string {
    return `output=${String(this.outputSize)}`;
  }
}

export interface BatchNormLayerOptions extends LayerOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /**
   * Weight of each batch's statistics in the running ones (default 0.1), or null for the
   * cumulative average over every batch seen (weight 1 / numBatchesTracked), as PyTorch.
   */
  momentum?: number | null;
  /** Learned weight and bias (default true). */
  affine?: boolean;
  /** Keep running statistics for eval (default true); false: batch statistics in eval too. */
  trackRunningStats?: boolean;
}

const BN_POSITIONAL = ['eps', 'momentum', 'affine', 'trackRunningStats'] as const;

/**
 * Batch norm's state is named as PyTorch names it (`weight`, `bias`, `running_mean`,
 * `running_var`, `num_batches_tracked`), so a PyTorch checkpoint's tensors load by name.
 * `num_batches_tracked` counts the training batches; PyTorch keeps it int64, webgrad int32.
 */
abstract class BatchNormBase extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  readonly options: BatchNormLayerOptions;
  constructor(op: string, numFeatures: number, args: readonly unknown[], private readonly ranks: number[], private readonly expected: string) {
    super();
    this.numFeatures = posInt(op, 'numFeatures', numFeatures);
    const o = layerArgs(op, ['numFeatures'], args, BN_POSITIONAL, [...BN_POSITIONAL, ...PLACEMENT]);
    this.eps = o.eps === undefined ? 1e-5 : checkNumber(op, 'eps', o.eps, { min: 0 });
    this.momentum = o.momentum === undefined ? 0.1 : o.momentum === null ? null : checkNumber(op, 'momentum', o.momentum, { min: 0, max: 1 });
    this.affine = bool(op, 'affine', o.affine, true);
    this.trackRunningStats = bool(op, 'trackRunningStats', o.trackRunningStats, true);
    this.options = o as BatchNormLayerOptions;
    const { device = getDefaultDevice(), dtype = 'float32' } = placement(op, o);
    if (this.affine) {
      this.registerParameter('weight', ones([numFeatures], { device, dtype }));
      this.registerParameter('bias', zeros([numFeatures], { device, dtype }));
    }
    if (this.trackRunningStats) {
      this.registerBuffer('running_mean', zeros([numFeatures], { device, dtype }));
      this.registerBuffer('running_var', ones([numFeatures], { device, dtype }));
      this.registerBuffer('num_batches_tracked', zeros([], { device, dtype: 'int32' }));
    }
  }
  forward(x: Tensor): Tensor {
    expectShape(this, x, this.ranks.includes(x.ndim) && x.shape[1] === this.numFeatures, this.expected);
    const rm = this.getOptional('running_mean');
    const rv = this.getOptional('running_var');
    const w = this.getOptional('weight');
    const b = this.getOptional('bias');
    const useBatch = this.training || !rm;
    const updating = this.training && rm !== null && rv !== null;
    const nbt = this.getOptional('num_batches_tracked');
    if (updating && nbt) noGrad(() => replaceInPlace(nbt, nbt.add(1)));
    if (updating && this.momentum === null) {
      // The cumulative average needs the count, which lives on the device: normalize with the
      // batch statistics, then update the running ones here, running += (batch - running) / n.
      const y = F.batchNorm(x, null, null, w, b, { training: true, eps: this.eps });
      cumulativeUpdate(x, rm!, rv!, nbt!);
      return y;
    }
    return F.batchNorm(x, rm, rv, w, b, {
      training: useBatch,
      momentum: this.momentum ?? 0.1,
      eps: this.eps,
    });
  }
  override extraRepr(): string {
    return `${this.numFeatures}`;
  }
}

/** dst's values become v's (v is disposed). */
function replaceInPlace(dst: Tensor, v: Tensor): void {
  copyInto(dst, v);
  v.dispose();
}

/** PyTorch's momentum = None: the running statistics become the mean of every batch's. */
function cumulativeUpdate(x: Tensor, rm: Tensor, rv: Tensor, nbt: Tensor): void {
  tidy(() => noGrad(() => {
    const dims = x.shape.map((_, i) => i).filter((i) => i !== 1);
    const count = dims.reduce((a, d) => a * x.shape[d]!, 1);
    const C = x.shape[1]!;
    const mean = x.mean(dims).reshape([C]);
    const varU = x.var(dims, { correction: 0 }).reshape([C]).mul(count / (count - 1));
    const n = nbt.cast(rm.dtype);
    copyInto(rm, rm.add(mean.sub(rm).div(n)));
    copyInto(rv, rv.add(varU.sub(rv).div(n)));
  }));
}

type BNPositional = [eps: number, momentum: number | null, affine: boolean, trackRunningStats: boolean];

/** Batch norm over [N, C] or [N, C, L]: `new BatchNorm1d(numFeatures, eps?, momentum?, affine?, trackRunningStats?, options?)`. */
export class BatchNorm1d extends BatchNormBase {
  constructor(numFeatures: number, ...args: WithOptions<BNPositional, BatchNormLayerOptions>) {
    super('BatchNorm1d', numFeatures, args, [2, 3], `[N, ${numFeatures}] or [N, ${numFeatures}, L]`);
  }
}
/** Batch norm over [N, C, H, W]: `new BatchNorm2d(numFeatures, eps?, momentum?, affine?, trackRunningStats?, options?)`. */
export class BatchNorm2d extends BatchNormBase {
  constructor(numFeatures: number, ...args: WithOptions<BNPositional, BatchNormLayerOptions>) {
    super('BatchNorm2d', numFeatures, args, [4], `[N, ${numFeatures}, H, W]`);
  }
}

export interface LayerNormOptions extends LayerOptions {
  /** Default 1e-5. */
  eps?: number;
  /** Learned weight (and bias) of the normalized shape (default true). */
  elementwiseAffine?: boolean;
  /** With elementwiseAffine, a learned bias too (default true). */
  bias?: boolean;
}

/** `new LayerNorm(normalizedShape, eps?, elementwiseAffine?, bias?, options?)`, as PyTorch's. */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  readonly options: LayerNormOptions;
  constructor(normalizedShape: number | number[], ...args: WithOptions<[eps: number, elementwiseAffine: boolean, bias: boolean], LayerNormOptions>) {
    super();
    const op = 'LayerNorm';
    const positional = ['eps', 'elementwiseAffine', 'bias'];
    const o = layerArgs(op, ['normalizedShape'], args, positional, [...positional, ...PLACEMENT]);
    const shapeOk = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1;
    if (!(shapeOk(normalizedShape) || (Array.isArray(normalizedShape) && normalizedShape.length > 0 && normalizedShape.every(shapeOk)))) {
      throw new Error(`${op}: normalizedShape must be a positive integer or a non-empty list of them, got ${describe(normalizedShape)}`);
    }
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.eps = o.eps === undefined ? 1e-5 : checkNumber(op, 'eps', o.eps, { min: 0 });
    this.elementwiseAffine = bool(op, 'elementwiseAffine', o.elementwiseAffine, true);
    const bias = bool(op, 'bias', o.bias, true);
    this.options = o as LayerNormOptions;
    const { device = getDefaultDevice(), dtype } = placement(op, o);
    if (this.elementwiseAffine) {
      this.registerParameter('weight', ones(this.normalizedShape, { device, dtype }));
      if (bias) this.registerParameter('bias', zeros(this.normalizedShape, { device, dtype }));
    }
  }
  forward(x: Tensor): Tensor {
    return F.layerNorm(x, this.normalizedShape, this.getOptional('weight'), this.getOptional('bias'), { eps: this.eps });
  }
  override extraRepr(): string {
    return fmtShape(this.normalizedShape);
  }
}

export interface GroupNormOptions extends LayerOptions {
  eps?: number;
  affine?: boolean;
}

/** `new GroupNorm(numGroups, numChannels, eps?, affine?, options?)`, as PyTorch's. */
export class GroupNorm extends Module {
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;
  readonly affine: boolean;
  readonly options: GroupNormOptions;
  constructor(numGroups: number, numChannels: number, ...args: WithOptions<[eps: number, affine: boolean], GroupNormOptions>) {
    super();
    const op = 'GroupNorm';
    this.numGroups = posInt(op, 'numGroups', numGroups);
    this.numChannels = posInt(op, 'numChannels', numChannels);
    if (numChannels % numGroups !== 0) throw new Error(`${op}: numChannels (${numChannels}) must be divisible by numGroups (${numGroups})`);
    const o = layerArgs(op, ['numGroups', 'numChannels'], args, ['eps', 'affine'], ['eps', 'affine', ...PLACEMENT]);
    this.eps = o.eps === undefined ? 1e-5 : checkNumber(op, 'eps', o.eps, { min: 0 });
    this.affine = bool(op, 'affine', o.affine, true);
    this.options = o as GroupNormOptions;
    const { device = getDefaultDevice(), dtype } = placement(op, o);
    if (this.affine) {
      this.registerParameter('weight', ones([numChannels], { device, dtype }));
      this.registerParameter('bias', zeros([numChannels], { device, dtype }));
    }
  }
  forward(x: Tensor): Tensor {
    expectShape(this, x, x.ndim >= 2 && x.shape[1] === this.numChannels, `[N, ${this.numChannels}, ...]`);
    return F.groupNorm(x, this.numGroups, this.getOptional('weight'), this.getOptional('bias'), { eps: this.eps });
  }
  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}`;
  }
}

/** Zeroes elements with probability p while training; the identity in eval mode. `new Dropout(p?, inplace?)`. */
export class Dropout extends Module {
  readonly p: number;
  constructor(...args: WithOptions<[p: number, inplace: false], { p?: number; inplace?: false }>) {
    super();
    const op = 'Dropout';
    const o = layerArgs(op, [], args, ['p', 'inplace'], ['p', 'inplace']);
    noInplace(op, o.inplace);
    const p = o.p ?? 0.5;
    // p = 1 zeroes everything, as in PyTorch (F.dropout takes that case apart from the 1 / (1 - p) scaling).
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new Error(`${op}: p must be in [0, 1], got ${describe(p)}`);
    this.p = p;
  }
  forward(x: Tensor): Tensor {
    return F.dropout(x, this.p, this.training);
  }
  override extraRepr(): string {
    return `p=${this.p}`;
  }
}

export interface EmbeddingLayerOptions extends LayerOptions {
  /** A row initialised to zero that gets no gradient; negative counts from the end. */
  paddingIdx?: number | null;
}

/** A lookup table [numEmbeddings, embeddingDim], initialised N(0, 1) (the paddingIdx row zero). `new Embedding(n, dim, paddingIdx?, options?)`. */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  /** The padding row, counted from 0 (a negative paddingIdx is resolved), or null. */
  readonly paddingIdx: number | null;
  readonly options: EmbeddingLayerOptions;
  constructor(numEmbeddings: number, embeddingDim: number, ...args: WithOptions<[paddingIdx: number | null], EmbeddingLayerOptions>) {
    super();
    const op = 'Embedding';
    this.numEmbeddings = posInt(op, 'numEmbeddings', numEmbeddings);
    this.embeddingDim = posInt(op, 'embeddingDim', embeddingDim);
    const o = layerArgs(op, ['numEmbeddings', 'embeddingDim'], args, ['paddingIdx'], ['paddingIdx', ...PLACEMENT]);
    const pi = o.paddingIdx;
    if (pi !== undefined && pi !== null) {
      checkNumber(op, 'paddingIdx', pi, { int: true });
      if ((pi as number) < -numEmbeddings || (pi as number) >= numEmbeddings) {
        throw new Error(`${op}: paddingIdx must be in [${-numEmbeddings}, ${numEmbeddings - 1}] for ${numEmbeddings} embeddings, got ${pi as number}`);
      }
    }
    this.paddingIdx = pi === undefined || pi === null ? null : (pi as number) < 0 ? (pi as number) + numEmbeddings : (pi as number);
    this.options = o as EmbeddingLayerOptions;
    const w = param(this, 'weight', [numEmbeddings, embeddingDim], placement(op, o));
    init.normal(w);
    if (this.paddingIdx !== null) {
      const row = w.select(0, this.paddingIdx);
      init.zeros(row);
      row.dispose();
    }
  }
  get weight(): Tensor { return this.get('weight'); }
  forward(indices: Tensor): Tensor {
    return F.embedding(indices, this.weight, { paddingIdx: this.paddingIdx });
  }
  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, paddingIdx=${this.paddingIdx}` : ''}`;
  }
}

const intArg = (op: string, name: string, v: unknown, dflt: number): number => (v === undefined ? dflt : checkNumber(op, name, v, { int: true }));

/** Flattens dims startDim..endDim (default: all but the batch dim). `new Flatten(startDim?, endDim?)`. */
export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;
  constructor(...args: WithOptions<[startDim: number, endDim: number], { startDim?: number; endDim?: number }>) {
    super();
    const o = layerArgs('Flatten', [], args, ['startDim', 'endDim'], ['startDim', 'endDim']);
    this.startDim = intArg('Flatten', 'startDim', o.startDim, 1);
    this.endDim = intArg('Flatten', 'endDim', o.endDim, -1);
  }
  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
}

/** Returns its input. Unlike PyTorch's, which ignores any arguments, it takes none. */
export class Identity extends Module {
  constructor(...args: never[]) {
    super();
    layerArgs('Identity', [], args, [], []);
  }
  forward(x: Tensor): Tensor {
    return x;
  }
}

// ---- activations as modules ---------------------------------------------------------------------
/** An activation whose only PyTorch argument is `inplace` (false or left out). */
abstract class PlainActivation extends Module {
  constructor(op: string, args: readonly unknown[], inplace: boolean) {
    super();
    const o = layerArgs(op, [], args, inplace ? ['inplace'] : [], inplace ? ['inplace'] : []);
    noInplace(op, o.inplace);
  }
}
type InplaceArgs = WithOptions<[inplace: false], { inplace?: false }>;
export class ReLU extends PlainActivation {
  constructor(...args: InplaceArgs) { super('ReLU', args, true); }
  forward(x: Tensor): Tensor { return F.relu(x); }
}
export class Sigmoid extends PlainActivation {
  constructor(...args: never[]) { super('Sigmoid', args, false); }
  forward(x: Tensor): Tensor { return F.sigmoid(x); }
}
export class Tanh extends PlainActivation {
  constructor(...args: never[]) { super('Tanh', args, false); }
  forward(x: Tensor): Tensor { return F.tanh(x); }
}
export class SiLU extends PlainActivation {
  constructor(...args: InplaceArgs) { super('SiLU', args, true); }
  forward(x: Tensor): Tensor { return F.silu(x); }
}
/** `new LeakyReLU(negativeSlope?, inplace?)`. */
export class LeakyReLU extends Module {
  readonly negativeSlope: number;
  constructor(...args: WithOptions<[negativeSlope: number, inplace: false], { negativeSlope?: number; inplace?: false }>) {
    super();
    const o = layerArgs('LeakyReLU', [], args, ['negativeSlope', 'inplace'], ['negativeSlope', 'inplace']);
    noInplace('LeakyReLU', o.inplace);
    this.negativeSlope = o.negativeSlope === undefined ? 0.01 : checkNumber('LeakyReLU', 'negativeSlope', o.negativeSlope);
  }
  forward(x: Tensor): Tensor { return F.leakyRelu(x, this.negativeSlope); }
  override extraRepr(): string { return `negativeSlope=${this.negativeSlope}`; }
}
/** `new ELU(alpha?, inplace?)`. */
export class ELU extends Module {
  readonly alpha: number;
  constructor(...args: WithOptions<[alpha: number, inplace: false], { alpha?: number; inplace?: false }>) {
    super();
    const o = layerArgs('ELU', [], args, ['alpha', 'inplace'], ['alpha', 'inplace']);
    noInplace('ELU', o.inplace);
    this.alpha = o.alpha === undefined ? 1 : checkNumber('ELU', 'alpha', o.alpha);
  }
  forward(x: Tensor): Tensor { return F.elu(x, this.alpha); }
}
/** `new GELU(approximate?)`: 'none' (default, the exact erf form) or 'tanh'. */
export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';
  constructor(...args: WithOptions<[approximate: 'none' | 'tanh'], { approximate?: 'none' | 'tanh' }>) {
    super();
    const o = layerArgs('GELU', [], args, ['approximate'], ['approximate']);
    this.approximate = o.approximate === undefined ? 'none' : checkChoice('GELU', 'approximate', o.approximate, ['none', 'tanh'] as const);
  }
  forward(x: Tensor): Tensor { return F.gelu(x, { approximate: this.approximate }); }
}
/** `new Softplus(beta?, threshold?)`. */
export class Softplus extends Module {
  readonly beta: number;
  readonly threshold: number;
  constructor(...args: WithOptions<[beta: number, threshold: number], { beta?: number; threshold?: number }>) {
    super();
    const o = layerArgs('Softplus', [], args, ['beta', 'threshold'], ['beta', 'threshold']);
    this.beta = o.beta === undefined ? 1 : checkNumber('Softplus', 'beta', o.beta, { gt: 0 });
    this.threshold = o.threshold === undefined ? 20 : checkNumber('Softplus', 'threshold', o.threshold);
  }
  forward(x: Tensor): Tensor { return F.softplus(x, { beta: this.beta, threshold: this.threshold }); }
}
/** `new Hardtanh(minVal?, maxVal?, inplace?)`. */
export class Hardtanh extends Module {
  readonly minVal: number;
  readonly maxVal: number;
  constructor(...args: WithOptions<[minVal: number, maxVal: number, inplace: false], { minVal?: number; maxVal?: number; inplace?: false }>) {
    super();
    const o = layerArgs('Hardtanh', [], args, ['minVal', 'maxVal', 'inplace'], ['minVal', 'maxVal', 'inplace']);
    noInplace('Hardtanh', o.inplace);
    this.minVal = o.minVal === undefined ? -1 : checkNumber('Hardtanh', 'minVal', o.minVal);
    this.maxVal = o.maxVal === undefined ? 1 : checkNumber('Hardtanh', 'maxVal', o.maxVal);
    if (!(this.maxVal > this.minVal)) throw new Error(`Hardtanh: maxVal must be greater than minVal, got minVal ${this.minVal} and maxVal ${this.maxVal}`);
  }
  forward(x: Tensor): Tensor { return F.hardtanh(x, this.minVal, this.maxVal); }
}
/** `new Softmax(dim?)`; the default dim is -1 (PyTorch's implicit dim is deprecated there). */
export class Softmax extends Module {
  readonly dim: number;
  constructor(...args: WithOptions<[dim: number], { dim?: number }>) {
    super();
    this.dim = intArg('Softmax', 'dim', layerArgs('Softmax', [], args, ['dim'], ['dim']).dim, -1);
  }
  forward(x: Tensor): Tensor { return F.softmax(x, this.dim); }
}
/** `new LogSoftmax(dim?)`; the default dim is -1. */
export class LogSoftmax extends Module {
  readonly dim: number;
  constructor(...args: WithOptions<[dim: number], { dim?: number }>) {
    super();
    this.dim = intArg('LogSoftmax', 'dim', layerArgs('LogSoftmax', [], args, ['dim'], ['dim']).dim, -1);
  }
  forward(x: Tensor): Tensor { return F.logSoftmax(x, this.dim); }
}
/** `new CosineSimilarity(dim?, eps?)` (defaults 1 and 1e-8, as PyTorch): `F.cosineSimilarity` of its two inputs. */
export class CosineSimilarity extends Module {
  readonly dim: number;
  readonly eps: number;
  constructor(...args: WithOptions<[dim: number, eps: number], { dim?: number; eps?: number }>) {
    super();
    const o = layerArgs('CosineSimilarity', [], args, ['dim', 'eps'], ['dim', 'eps']);
    this.dim = intArg('CosineSimilarity', 'dim', o.dim, 1);
    this.eps = o.eps === undefined ? 1e-8 : checkNumber('CosineSimilarity', 'eps', o.eps, { min: 0 });
  }
  forward(x1: Tensor, x2: Tensor): Tensor { return F.cosineSimilarity(x1, x2, { dim: this.dim, eps: this.eps }); }
  override extraRepr(): string { return `dim=${this.dim}, eps=${this.eps}`; }
}

// ---- containers -----------------------------------------------------------------------------------
/** Runs its modules in order, each on the previous one's output; named '0', '1', ... */
/** The activation module's op, where Sequential may fuse it into the product before it (its class's own forward, not an override). */
function fusableAct(m: Module | undefined): FusedAct | undefined {
  if (!m) return undefined;
  if (m.forward === ReLU.prototype.forward) return 'relu';
  if (m.forward === Sigmoid.prototype.forward) return 'sigmoid';
  if (m.forward === Tanh.prototype.forward) return 'tanh';
  return undefined;
}

export class Sequential extends Module {
  /**
   * Whether a Linear or Conv2d with a bias followed by ReLU, Sigmoid or Tanh runs as one fused
   * op (F.fusedLinear, F.fusedConv2d: the activation in the product's store, the same bits as
   * the two modules one after the other). Default true; false runs every module's own forward
   * (its graph then shows the two ops apart). Anything but a boolean is refused.
   */
  get fuseActivations(): boolean {
    return this.fuse;
  }
  set fuseActivations(on: boolean) {
    if (typeof on !== 'boolean') throw new Error(`Sequential.fuseActivations: expected true or false, got ${describe(on)}`);
    this.fuse = on;
  }
  private fuse = true;
  constructor(...layers: Module[]) {
    super();
    layers.forEach((m, i) => {
      if (!(m instanceof Module)) throw new Error(`Sequential: argument ${i + 1} must be a Module, got ${describe(m)}`);
      this.registerModule(String(i), m);
    });
  }
  forward(x: Tensor): Tensor {
    const layers = this.children();
    let y = x;
    for (let i = 0; i < layers.length; i++) {
      const m = layers[i]!;
      const act = this.fuse ? fusableAct(layers[i + 1]) : undefined;
      if (act && (m.forward === Linear.prototype.forward || m.forward === Conv2d.prototype.forward) && (m as Linear | Conv2d).bias) {
        y = (m as Linear | Conv2d).forwardFused(y, act);
        i++;
      } else {
        y = m.forward(y);
      }
    }
    return y;
  }
  get length(): number {
    return this.children().length;
  }
  at(i: number): Module {
    const c = this.children();
    const m = c[i < 0 ? i + c.length : i];
    if (!m) throw new Error(`Sequential: index ${i} is out of range for ${c.length} modules`);
    return m;
  }
}

/** A list of modules whose parameters the parent sees; it has no forward of its own. */
export class ModuleList extends Module {
  constructor(modules: Iterable<Module> = [], ...rest: never[]) {
    super();
    layerArgs('ModuleList', ['modules'], rest, [], []);
    if (typeof (modules as Iterable<Module>)?.[Symbol.iterator] !== 'function') throw new Error(`ModuleList: expected a list of Modules, got ${describe(modules)}`);
    for (const m of modules) this.append(m);
  }
  append(m: Module): this {
    if (!(m instanceof Module)) throw new Error(`ModuleList.append: expected a Module, got ${describe(m)}`);
    this.registerModule(String(this.children().length), m);
    return this;
  }
  get length(): number {
    return this.children().length;
  }
  at(i: number): Module {
    const c = this.children();
    const m = c[i < 0 ? i + c.length : i];
    if (!m) throw new Error(`ModuleList: index ${i} is out of range for ${c.length} modules`);
    return m;
  }
  [Symbol.iterator](): Iterator<Module> {
    return this.children()[Symbol.iterator]();
  }
  forward(): Tensor {
    throw new Error('ModuleList: a ModuleList has no forward; iterate over it in your own module');
  }
}

// ---- issue 13 layers: 1-D pooling, instance norm, channel dropout, Upsample ----------------

/** A 1-D pooling layer's kernel, stride (default the kernel) and padding (at most half the kernel). */
function poolWindow1d(op: string, kernelSize: unknown, o: Record<string, unknown>): { kernel: number; stride: number; padding: number } {
  const kernel = sizes(op, 'kernelSize', kernelSize, 1, 1)[0]!;
  const stride = o.stride === undefined || o.stride === null ? kernel : sizes(op, 'stride', o.stride, 1, 1)[0]!;
  const padding = sizes(op, 'padding', o.padding ?? 0, 1, 0)[0]!;
  if (padding > kernel / 2) throw new Error(`${op}: padding must be at most half the kernel size, got padding ${padding} with kernelSize ${kernel}`);
  return { kernel, stride, padding };
}

export interface MaxPool1dOptions {
  stride?: number | [number] | null;
  padding?: number | [number];
  dilation?: number | [number];
  returnIndices?: boolean;
  ceilMode?: boolean;
}

/** `new MaxPool1d(kernelSize, stride?, padding?, dilation?, returnIndices?, ceilMode?, options?)`, as PyTorch's, over [N, C, L] or [C, L]. */
export class MaxPool1d extends Module {
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;
  readonly dilation: number;
  readonly returnIndices: boolean;
  readonly ceilMode: boolean;
  constructor(kernelSize: number | [number], ...args: WithOptions<[stride: number | null, padding: number, dilation: number, returnIndices: boolean, ceilMode: boolean], MaxPool1dOptions>) {
    super();
    const op = 'MaxPool1d';
    const positional = ['stride', 'padding', 'dilation', 'returnIndices', 'ceilMode'];
    const o = layerArgs(op, ['kernelSize'], args, positional, positional);
    const w = poolWindow1d(op, kernelSize, o);
    this.kernelSize = w.kernel;
    this.stride = w.stride;
    this.padding = w.padding;
    this.dilation = sizes(op, 'dilation', o.dilation ?? 1, 1, 1)[0]!;
    this.returnIndices = bool(op, 'returnIndices', o.returnIndices, false);
    this.ceilMode = bool(op, 'ceilMode', o.ceilMode, false);
  }
  forward(x: Tensor): Tensor {
    expectShape(this, x, x.ndim === 3 || x.ndim === 2, '[N, C, L] or [C, L]');
    const o = { stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode };
    return (this.returnIndices ? F.maxPool1d(x, this.kernelSize, { ...o, returnIndices: true }) : F.maxPool1d(x, this.kernelSize, o)) as unknown as Tensor;
  }
  override extraRepr(): string {
    return `kernel=${this.kernelSize}${this.stride !== this.kernelSize ? `, stride=${this.stride}` : ''}${this.padding ? `, padding=${this.padding}` : ''}`;
  }
}

export interface AvgPool1dOptions {
  stride?: number | [number] | null;
  padding?: number | [number];
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

/** `new AvgPool1d(kernelSize, stride?, padding?, ceilMode?, countIncludePad?, options?)`, as PyTorch's, over [N, C, L] or [C, L]. */
export class AvgPool1d extends Module {
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  constructor(kernelSize: number | [number], ...args: WithOptions<[stride: number | null, padding: number, ceilMode: boolean, countIncludePad: boolean], AvgPool1dOptions>) {
    super();
    const op = 'AvgPool1d';
    const positional = ['stride', 'padding', 'ceilMode', 'countIncludePad'];
    const o = layerArgs(op, ['kernelSize'], args, positional, positional);
    const w = poolWindow1d(op, kernelSize, o);
    this.kernelSize = w.kernel;
    this.stride = w.stride;
    this.padding = w.padding;
    this.ceilMode = bool(op, 'ceilMode', o.ceilMode, false);
    this.countIncludePad = bool(op, 'countIncludePad', o.countIncludePad, true);
  }
  forward(x: Tensor): Tensor {
    expectShape(this, x, x.ndim === 3 || x.ndim === 2, '[N, C, L] or [C, L]');
    return F.avgPool1d(x, this.kernelSize, { stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad });
  }
  override extraRepr(): string {
    return `kernel=${this.kernelSize}`;
  }
}

/** `new AdaptiveAvgPool1d(outputSize)` over [N, C, L] or [C, L]. */
export class AdaptiveAvgPool1d extends Module {
  readonly outputSize: number;
  constructor(outputSize: number, ...rest: never[]) {
    super();
    const op = 'AdaptiveAvgPool1d';
    layerArgs(op, ['outputSize'], rest, [], []);
    this.outputSize = sizes(op, 'outputSize', outputSize, 1, 1)[0]!;
  }
  forward(x: Tensor): Tensor {
    expectShape(this, x, x.ndim === 3 || x.ndim === 2, '[N, C, L] or [C, L]');
    return F.adaptiveAvgPool1d(x, this.outputSize);
  }
  override extraRepr(): string {
    return `output=${this.outputSize}`;
  }
}

export interface InstanceNormLayerOptions extends LayerOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Weight of each batch's statistics in the running ones (default 0.1); null: 0, as PyTorch passes it. */
  momentum?: number | null;
  /** Learned per-channel weight and bias (default false, unlike batch norm). */
  affine?: boolean;
  /** Keep running statistics and normalize with them in eval (default false). */
  trackRunningStats?: boolean;
}

/**
 * Instance norm's state is named as PyTorch's (`weight`, `bias`, `running_mean`, `running_var`,
 * `num_batches_tracked`, the last kept for loading and, as in PyTorch, not counted).
 */
abstract class InstanceNormBase extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  constructor(op: string, numFeatures: number, args: readonly unknown[], private readonly batchedRank: number, private readonly expected: string) {
    super();
    this.numFeatures = posInt(op, 'numFeatures', numFeatures);
    const o = layerArgs(op, ['numFeatures'], args, BN_POSITIONAL, [...BN_POSITIONAL, ...PLACEMENT]);
    this.eps = o.eps === undefined ? 1e-5 : checkNumber(op, 'eps', o.eps, { min: 0 });
    this.momentum = o.momentum === undefined ? 0.1 : o.momentum === null ? null : checkNumber(op, 'momentum', o.momentum, { min: 0, max: 1 });
    this.affine = bool(op, 'affine', o.affine, false);
    this.trackRunningStats = bool(op, 'trackRunningStats', o.trackRunningStats, false);
    const { device = getDefaultDevice(), dtype = 'float32' } = placement(op, o);
    if (this.affine) {
      this.registerParameter('weight', ones([numFeatures], { device, dtype }));
      this.registerParameter('bias', zeros([numFeatures], { device, dtype }));
    }
    if (this.trackRunningStats) {
      this.registerBuffer('running_mean', zeros([numFeatures], { device, dtype }));
      this.registerBuffer('running_var', ones([numFeatures], { device, dtype }));
      this.registerBuffer('num_batches_tracked', zeros([], { device, dtype: 'int32' }));
    }
  }
  forward(x: Tensor): Tensor {
    const r = this.batchedRank;
    const unbatched = x.ndim === r - 1;
    expectShape(this, x, (x.ndim === r || unbatched) && x.shape[unbatched ? 0 : 1] === this.numFeatures, this.expected);
    const xb = unbatched ? x.unsqueeze(0) : x;
    const y = F.instanceNorm(xb, {
      runningMean: this.getOptional('running_mean'),
      runningVar: this.getOptional('running_var'),
      weight: this.getOptional('weight'),
      bias: this.getOptional('bias'),
      useInputStats: this.training || !this.trackRunningStats,
      momentum: this.momentum ?? 0,
      eps: this.eps,
    });
    return unbatched ? y.squeeze(0) : y;
  }
  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, affine=${this.affine}, trackRunningStats=${this.trackRunningStats}`;
  }
}

/** Instance norm over [N, C, L] or [C, L]: `new InstanceNorm1d(numFeatures, eps?, momentum?, affine?, trackRunningStats?, options?)`. */
export class InstanceNorm1d extends InstanceNormBase {
  constructor(numFeatures: number, ...args: WithOptions<BNPositional, InstanceNormLayerOptions>) {
    super('InstanceNorm1d', numFeatures, args, 3, `[N, ${numFeatures}, L] or [${numFeatures}, L]`);
  }
}
/** Instance norm over [N, C, H, W] or [C, H, W]: `new InstanceNorm2d(numFeatures, eps?, momentum?, affine?, trackRunningStats?, options?)`. */
export class InstanceNorm2d extends InstanceNormBase {
  constructor(numFeatures: number, ...args: WithOptions<BNPositional, InstanceNormLayerOptions>) {
    super('InstanceNorm2d', numFeatures, args, 4, `[N, ${numFeatures}, H, W] or [${numFeatures}, H, W]`);
  }
}

abstract class ChannelDropout extends Module {
  readonly p: number;
  constructor(op: string, args: readonly unknown[]) {
    super();
    const o = layerArgs(op, [], args, ['p', 'inplace'], ['p', 'inplace']);
    noInplace(op, o.inplace);
    this.p = checkNumber(op, 'p', o.p ?? 0.5, { min: 0, max: 1 });
  }
  override extraRepr(): string {
    return `p=${this.p}`;
  }
}

/** Zeroes whole channels of [N, C, H, W] with probability p while training; the identity in eval. `new Dropout2d(p?, inplace?)`. */
export class Dropout2d extends ChannelDropout {
  constructor(...args: WithOptions<[p: number, inplace: false], { p?: number; inplace?: false }>) {
    super('Dropout2d', args);
  }
  forward(x: Tensor): Tensor {
    return F.dropout2d(x, this.p, this.training);
  }
}

/** Zeroes whole channels of [N, C, L] or [C, L] with probability p while training; the identity in eval. `new Dropout1d(p?, inplace?)`. */
export class Dropout1d extends ChannelDropout {
  constructor(...args: WithOptions<[p: number, inplace: false], { p?: number; inplace?: false }>) {
    super('Dropout1d', args);
  }
  forward(x: Tensor): Tensor {
    return F.dropout1d(x, this.p, this.training);
  }
}

export interface UpsampleOptions {
  size?: number | number[] | null;
  scaleFactor?: number | number[] | null;
  mode?: F.InterpolateMode;
  alignCorners?: boolean | null;
  recomputeScaleFactor?: boolean | null;
}

/** `new Upsample(size?, scaleFactor?, mode?, alignCorners?, recomputeScaleFactor?, options?)`: F.interpolate as a layer, as PyTorch's. */
export class Upsample extends Module {
  readonly size: number | number[] | null;
  readonly scaleFactor: number | number[] | null;
  readonly mode: F.InterpolateMode;
  readonly alignCorners: boolean | null;
  readonly recomputeScaleFactor: boolean | null;
  constructor(...args: WithOptions<[size: number | number[] | null, scaleFactor: number | number[] | null, mode: F.InterpolateMode, alignCorners: boolean | null, recomputeScaleFactor: boolean | null], UpsampleOptions>) {
    super();
    const op = 'Upsample';
    const positional = ['size', 'scaleFactor', 'mode', 'alignCorners', 'recomputeScaleFactor'];
    const o = layerArgs(op, [], args, positional, positional);
    this.size = (o.size ?? null) as number | number[] | null;
    this.scaleFactor = (o.scaleFactor ?? null) as number | number[] | null;
    if ((this.size === null) === (this.scaleFactor === null)) throw new Error(`${op}: give exactly one of size and scaleFactor, got ${this.size === null ? 'neither' : 'both'}`);
    refuseNotDone(op, o.mode);
    this.mode = checkChoice(op, 'mode', o.mode ?? 'nearest', INTERPOLATE_MODES);
    this.alignCorners = o.alignCorners === undefined || o.alignCorners === null ? null : checkBoolean(op, 'alignCorners', o.alignCorners);
    this.recomputeScaleFactor = o.recomputeScaleFactor === undefined || o.recomputeScaleFactor === null ? null : checkBoolean(op, 'recomputeScaleFactor', o.recomputeScaleFactor);
  }
  forward(x: Tensor): Tensor {
    return F.interpolate(x, { size: this.size, scaleFactor: this.scaleFactor, mode: this.mode, alignCorners: this.alignCorners, recomputeScaleFactor: this.recomputeScaleFactor });
  }
  override extraRepr(): string {
    return `${this.size !== null ? `size=${describe(this.size)}` : `scaleFactor=${describe(this.scaleFactor)}`}, mode='${this.mode}'`;
  }
}
