/**
 * Layers: modules over nn.functional, initialised as PyTorch initialises them by default.
 * Each checks its input's shape first, so a wrong shape names the layer and what it expected.
 */
import type { DeviceName } from '../kernels/backend.js';
import { empty } from '../tensor/ops/core.js';
import { getDefaultDevice } from '../runtime.js';
import type { DType } from '../tensor/dtype.js';
import { ones, zeros } from '../tensor/creation.js';
import { fmtShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import * as F from './functional/index.js';
import * as init from './init.js';
import { Module } from './module.js';

/** Where a layer's parameters live and their dtype (default: the default device, float32). */
export interface LayerOptions {
  device?: DeviceName;
  dtype?: DType;
}

type Pair = number | [number, number];
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

function param(m: Module, name: string, shape: number[], o: LayerOptions): Tensor {
  const t = empty(`${m.constructor.name}`, o.device ?? getDefaultDevice(), o.dtype ?? 'float32', shape);
  return m.registerParameter(name, t)!;
}

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

/** y = x W^T + b, for x [..., inFeatures]. */
export class Linear extends Module {
  constructor(readonly inFeatures: number, readonly outFeatures: number, options: LayerOptions & { bias?: boolean } = {}) {
    super();
    const w = param(this, 'weight', [outFeatures, inFeatures], options);
    const b = options.bias === false ? null : param(this, 'bias', [outFeatures], options);
    if (!b) this.registerParameter('bias', null);
    resetLinearLike(w, b, inFeatures);
  }
  get weight(): Tensor { return this.get('weight'); }
  get bias(): Tensor | null { return this.getOptional('bias'); }
  forward(x: Tensor): Tensor {
    expectShape(this, x, x.ndim >= 1 && x.shape[x.ndim - 1] === this.inFeatures, `[..., ${this.inFeatures}]`);
    const y = x.matmul(this.weight.T);
    return this.bias ? y.add(this.bias) : y;
  }
  override extraRepr(): string {
    return `in=${this.inFeatures}, out=${this.outFeatures}${this.bias ? '' : ', bias=false'}`;
  }
}

export interface ConvOptions extends LayerOptions {
  stride?: Pair;
  padding?: Pair | 'same' | 'valid';
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
}

abstract class ConvBase extends Module {
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number[],
    readonly options: ConvOptions,
    transposed: boolean,
  ) {
    super();
    const groups = options.groups ?? 1;
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new Error(`${this.constructor.name}: inChannels (${inChannels}) and outChannels (${outChannels}) must be divisible by groups (${groups})`);
    }
    const shape = transposed ? [inChannels, outChannels / groups, ...kernelSize] : [outChannels, inChannels / groups, ...kernelSize];
    const w = param(this, 'weight', shape, options);
    const b = options.bias === false ? null : param(this, 'bias', [outChannels], options);
    if (!b) this.registerParameter('bias', null);
    resetLinearLike(w, b, init.calculateFanInAndFanOut(w)[0]);
  }
  get weight(): Tensor { return this.get('weight'); }
  get bias(): Tensor | null { return this.getOptional('bias'); }
  override extraRepr(): string {
    const o = this.options;
    return [`${this.inChannels}, ${this.outChannels}`, `kernel=${this.kernelSize.join('x')}`, o.stride ? `stride=${String(o.stride)}` : '', o.padding ? `padding=${String(o.padding)}` : '', o.groups && o.groups > 1 ? `groups=${o.groups}` : ''].filter(Boolean).join(', ');
  }
}

/** 1-D convolution over x [N, Cin, L]. */
export class Conv1d extends ConvBase {
  constructor(inChannels: number, outChannels: number, kernelSize: number, options: ConvOptions = {}) {
    super(inChannels, outChannels, [kernelSize], options, false);
  }
  forward(x: Tensor): Tensor {
    expectShape(this, x, (x.ndim === 3 && x.shape[1] === this.inChannels) || (x.ndim === 2 && x.shape[0] === this.inChannels), `[N, ${this.inChannels}, L]`);
    const { stride, padding, dilation, groups } = this.options;
    return F.conv1d(x, this.weight, this.bias, { stride, padding, dilation, groups } as never);
  }
}

/** 2-D convolution over x [N, Cin, H, W]. */
export class Conv2d extends ConvBase {
  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: ConvOptions = {}) {
    super(inChannels, outChannels, pair(kernelSize), options, false);
  }
  forward(x: Tensor): Tensor {
    expectShape(this, x, (x.ndim === 4 && x.shape[1] === this.inChannels) || (x.ndim === 3 && x.shape[0] === this.inChannels), `[N, ${this.inChannels}, H, W]`);
    const { stride, padding, dilation, groups } = this.options;
    return F.conv2d(x, this.weight, this.bias, { stride, padding, dilation, groups } as never);
  }
}

export interface ConvTransposeOptions extends ConvOptions {
  outputPadding?: Pair;
}

/** Transposed 2-D convolution ("deconvolution") over x [N, Cin, H, W]. */
export class ConvTranspose2d extends ConvBase {
  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: ConvTransposeOptions = {}) {
    super(inChannels, outChannels, pair(kernelSize), options, true);
  }
  forward(x: Tensor): Tensor {
    expectShape(this, x, (x.ndim === 4 && x.shape[1] === this.inChannels) || (x.ndim === 3 && x.shape[0] === this.inChannels), `[N, ${this.inChannels}, H, W]`);
    const { stride, padding, dilation, groups, outputPadding } = this.options as ConvTransposeOptions;
    return F.convTranspose2d(x, this.weight, this.bias, { stride, padding, dilation, groups, outputPadding } as never);
  }
}

export interface PoolOptions {
  stride?: Pair;
  padding?: Pair;
  ceilMode?: boolean;
}

export class MaxPool2d extends Module {
  constructor(readonly kernelSize: Pair, readonly options: PoolOptions & { dilation?: Pair } = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    expectShape(this, x, x.ndim === 4 || x.ndim === 3, '[N, C, H, W]');
    return F.maxPool2d(x, this.kernelSize, { ...this.options } as never) as unknown as Tensor;
  }
  override extraRepr(): string {
    return `kernel=${String(this.kernelSize)}${this.options.stride ? `, stride=${String(this.options.stride)}` : ''}`;
  }
}

export class AvgPool2d extends Module {
  constructor(readonly kernelSize: Pair, readonly options: PoolOptions & { countIncludePad?: boolean; divisorOverride?: number } = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    expectShape(this, x, x.ndim === 4 || x.ndim === 3, '[N, C, H, W]');
    return F.avgPool2d(x, this.kernelSize, { ...this.options } as never);
  }
  override extraRepr(): string {
    return `kernel=${String(this.kernelSize)}`;
  }
}

export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: number | [number | null, number | null]) {
    super();
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
  eps?: number;
  momentum?: number;
  affine?: boolean;
  trackRunningStats?: boolean;
}

abstract class BatchNormBase extends Module {
  constructor(readonly numFeatures: number, readonly options: BatchNormLayerOptions, private readonly ranks: number[], private readonly expected: string) {
    super();
    const device = options.device ?? getDefaultDevice();
    const dtype = options.dtype ?? 'float32';
    if (options.affine !== false) {
      this.registerParameter('weight', ones([numFeatures], { device, dtype }));
      this.registerParameter('bias', zeros([numFeatures], { device, dtype }));
    }
    if (options.trackRunningStats !== false) {
      this.registerBuffer('runningMean', zeros([numFeatures], { device, dtype }));
      this.registerBuffer('runningVar', ones([numFeatures], { device, dtype }));
    }
  }
  forward(x: Tensor): Tensor {
    expectShape(this, x, this.ranks.includes(x.ndim) && x.shape[1] === this.numFeatures, this.expected);
    const training = this.training || this.options.trackRunningStats === false;
    return F.batchNorm(x, this.getOptional('runningMean'), this.getOptional('runningVar'), this.getOptional('weight'), this.getOptional('bias'), {
      training,
      momentum: this.options.momentum ?? 0.1,
      eps: this.options.eps ?? 1e-5,
    });
  }
  override extraRepr(): string {
    return `${this.numFeatures}`;
  }
}

/** Batch norm over [N, C] or [N, C, L]. */
export class BatchNorm1d extends BatchNormBase {
  constructor(numFeatures: number, options: BatchNormLayerOptions = {}) {
    super(numFeatures, options, [2, 3], `[N, ${numFeatures}] or [N, ${numFeatures}, L]`);
  }
}
/** Batch norm over [N, C, H, W]. */
export class BatchNorm2d extends BatchNormBase {
  constructor(numFeatures: number, options: BatchNormLayerOptions = {}) {
    super(numFeatures, options, [4], `[N, ${numFeatures}, H, W]`);
  }
}

export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  constructor(normalizedShape: number | number[], readonly options: LayerOptions & { eps?: number; elementwiseAffine?: boolean } = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    const device = options.device ?? getDefaultDevice();
    if (options.elementwiseAffine !== false) {
      this.registerParameter('weight', ones(this.normalizedShape, { device, dtype: options.dtype }));
      this.registerParameter('bias', zeros(this.normalizedShape, { device, dtype: options.dtype }));
    }
  }
  forward(x: Tensor): Tensor {
    return F.layerNorm(x, this.normalizedShape, this.getOptional('weight'), this.getOptional('bias'), { eps: this.options.eps ?? 1e-5 });
  }
  override extraRepr(): string {
    return fmtShape(this.normalizedShape);
  }
}

export class GroupNorm extends Module {
  constructor(readonly numGroups: number, readonly numChannels: number, readonly options: LayerOptions & { eps?: number; affine?: boolean } = {}) {
    super();
    const device = options.device ?? getDefaultDevice();
    if (options.affine !== false) {
      this.registerParameter('weight', ones([numChannels], { device, dtype: options.dtype }));
      this.registerParameter('bias', zeros([numChannels], { device, dtype: options.dtype }));
    }
  }
  forward(x: Tensor): Tensor {
    expectShape(this, x, x.ndim >= 2 && x.shape[1] === this.numChannels, `[N, ${this.numChannels}, ...]`);
    return F.groupNorm(x, this.numGroups, this.getOptional('weight'), this.getOptional('bias'), { eps: this.options.eps ?? 1e-5 });
  }
  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}`;
  }
}

/** Zeroes elements with probability p while training; the identity in eval mode. */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (!(p >= 0 && p < 1)) throw new Error(`Dropout: p must be in [0, 1), got ${p}`);
  }
  forward(x: Tensor): Tensor {
    return F.dropout(x, this.p, this.training);
  }
  override extraRepr(): string {
    return `p=${this.p}`;
  }
}

/** A lookup table [numEmbeddings, embeddingDim], initialised N(0, 1) (the paddingIdx row zero). */
export class Embedding extends Module {
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, readonly options: LayerOptions & { paddingIdx?: number } = {}) {
    super();
    const w = param(this, 'weight', [numEmbeddings, embeddingDim], options);
    init.normal(w);
    const pi = options.paddingIdx;
    if (pi !== undefined) {
      if (!Number.isInteger(pi) || pi < -numEmbeddings || pi >= numEmbeddings) {
        throw new Error(`Embedding: paddingIdx ${pi} is out of range for ${numEmbeddings} embeddings`);
      }
      const row = w.select(0, pi < 0 ? pi + numEmbeddings : pi);
      init.zeros(row);
      row.dispose();
    }
  }
  get weight(): Tensor { return this.get('weight'); }
  forward(indices: Tensor): Tensor {
    return F.embedding(indices, this.weight, { paddingIdx: this.options.paddingIdx } as never);
  }
  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}`;
  }
}

/** Flattens dims startDim..endDim (default: all but the batch dim). */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
}

export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

// ---- activations as modules ---------------------------------------------------------------------
export class ReLU extends Module { forward(x: Tensor): Tensor { return F.relu(x); } }
export class Sigmoid extends Module { forward(x: Tensor): Tensor { return F.sigmoid(x); } }
export class Tanh extends Module { forward(x: Tensor): Tensor { return F.tanh(x); } }
export class SiLU extends Module { forward(x: Tensor): Tensor { return F.silu(x); } }
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) { super(); }
  forward(x: Tensor): Tensor { return F.leakyRelu(x, this.negativeSlope); }
  override extraRepr(): string { return `negativeSlope=${this.negativeSlope}`; }
}
export class ELU extends Module {
  constructor(readonly alpha = 1) { super(); }
  forward(x: Tensor): Tensor { return F.elu(x, this.alpha); }
}
export class GELU extends Module {
  constructor(readonly approximate: 'none' | 'tanh' = 'none') { super(); }
  forward(x: Tensor): Tensor { return F.gelu(x, { approximate: this.approximate }); }
}
export class Softplus extends Module {
  constructor(readonly beta = 1, readonly threshold = 20) { super(); }
  forward(x: Tensor): Tensor { return F.softplus(x, { beta: this.beta, threshold: this.threshold }); }
}
export class Hardtanh extends Module {
  constructor(readonly minVal = -1, readonly maxVal = 1) { super(); }
  forward(x: Tensor): Tensor { return F.hardtanh(x, this.minVal, this.maxVal); }
}
export class Softmax extends Module {
  constructor(readonly dim = -1) { super(); }
  forward(x: Tensor): Tensor { return F.softmax(x, this.dim); }
}
export class LogSoftmax extends Module {
  constructor(readonly dim = -1) { super(); }
  forward(x: Tensor): Tensor { return F.logSoftmax(x, this.dim); }
}

// ---- containers -----------------------------------------------------------------------------------
/** Runs its modules in order, each on the previous one's output; named '0', '1', ... */
export class Sequential extends Module {
  constructor(...layers: Module[]) {
    super();
    layers.forEach((m, i) => this.registerModule(String(i), m));
  }
  forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this.children()) y = m.forward(y);
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
  constructor(modules: Module[] = []) {
    super();
    modules.forEach((m) => this.append(m));
  }
  append(m: Module): this {
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
