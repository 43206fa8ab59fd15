/**
 * Attention layers: MultiheadAttention, TransformerEncoderLayer and TransformerEncoder, with
 * PyTorch's constructor arguments, defaults, initialisation and parameter names (so a PyTorch
 * state dict's tensors load by name), built on F.scaledDotProductAttention's pieces.
 */
import { noGrad } from '../autograd/mode.js';
import { where } from '../tensor/ops/elementwise.js';
import { empty } from '../tensor/ops/core.js';
import { getDefaultDevice } from '../runtime.js';
import { isFloat } from '../core/dtype.js';
import { fmtShape } from '../core/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { attend, causalMask } from '../nn/functional/attention.js';
import * as F from '../nn/functional/index.js';
import * as init from './init.js';
import { checkChoice, checkNumber, checkOptions, describe } from '../core/options.js';
import { Module } from './module.js';
import { PLACEMENT, bool, layerArgs, placement, posInt } from './args.js';
import { Dropout, LayerNorm, Linear, ModuleList, type LayerOptions, type WithOptions } from './layers.js';

export interface MultiheadAttentionOptions extends LayerOptions {
  /** Dropout on the attention weights while training (default 0). */
  dropout?: number;
  /** Biases on the input and output projections (default true). */
  bias?: boolean;
  /** Not supported: only false. */
  addBiasKv?: boolean;
  /** Not supported: only false. */
  addZeroAttn?: boolean;
  /** Features of key (default embedDim). */
  kdim?: number | null;
  /** Features of value (default embedDim). */
  vdim?: number | null;
  /** Inputs and output are [N, L, E] (true) or [L, N, E] (false, the default). */
  batchFirst?: boolean;
}

export interface MultiheadAttentionForwardOptions {
  /** [N, S] (or [S] unbatched): bool, true = padding, ignored; or float, added to the scores. */
  keyPaddingMask?: Tensor | null;
  /** Return the attention weights too (default true); false returns [output, null]. */
  needWeights?: boolean;
  /** [L, S] or [N * numHeads, L, S]: bool, true = may NOT attend (PyTorch's convention here); or float, added. */
  attnMask?: Tensor | null;
  /** Average the returned weights over the heads (default true): [N, L, S]; false: [N, numHeads, L, S]. */
  averageAttnWeights?: boolean;
  /** Causal attention: with attnMask a hint that it is the causal mask (it is used as given); without, the causal mask is made. */
  isCausal?: boolean;
}

const MHA_POSITIONAL = ['dropout', 'bias', 'addBiasKv', 'addZeroAttn', 'kdim', 'vdim', 'batchFirst'] as const;
const MHA_FORWARD = ['keyPaddingMask', 'needWeights', 'attnMask', 'averageAttnWeights', 'isCausal'];

/** A mask of MultiheadAttention (bool: true = masked out) as an additive float mask of `dtype`. */
function additive(mask: Tensor, dtype: Tensor['dtype']): Tensor {
  return mask.dtype === 'bool' ? noGrad(() => where(mask, -Infinity, 0).cast(dtype)) : mask;
}

/**
 * PyTorch's `nn.MultiheadAttention(embedDim, numHeads, dropout?, bias?, addBiasKv?,
 * addZeroAttn?, kdim?, vdim?, batchFirst?, options?)`. Parameters, named as PyTorch's:
 * `in_proj_weight` [3E, E] (or `q_proj_weight` [E, E], `k_proj_weight` [E, kdim],
 * `v_proj_weight` [E, vdim] when kdim or vdim differ from E), `in_proj_bias` [3E],
 * `out_proj.weight` [E, E], `out_proj.bias` [E]. Initialised as PyTorch: xavier_uniform on the
 * input projections, zero biases, out_proj.weight as a Linear's.
 */
export class MultiheadAttention extends Module {
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly dropout: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly batchFirst: boolean;
  /** kdim and vdim equal embedDim: one packed in_proj_weight. */
  readonly qkvSameEmbedDim: boolean;
  declare out_proj: Linear;
  constructor(embedDim: number, numHeads: number, ...args: WithOptions<[dropout: number, bias: boolean, addBiasKv: false, addZeroAttn: false, kdim: number | null, vdim: number | null, batchFirst: boolean], MultiheadAttentionOptions>) {
    super();
    const op = 'MultiheadAttention';
    this.embedDim = posInt(op, 'embedDim', embedDim);
    this.numHeads = posInt(op, 'numHeads', numHeads);
    if (embedDim % numHeads !== 0) throw new Error(`${op}: embedDim (${embedDim}) must be divisible by numHeads (${numHeads})`);
    this.headDim = embedDim / numHeads;
    const o = layerArgs(op, ['embedDim', 'numHeads'], args, MHA_POSITIONAL, [...MHA_POSITIONAL, ...PLACEMENT]);
    this.dropout = o.dropout === undefined ? 0 : checkNumber(op, 'dropout', o.dropout, { min: 0, max: 1 });
    const bias = bool(op, 'bias', o.bias, true);
    if (bool(op, 'addBiasKv', o.addBiasKv, false)) throw new Error(`${op}: addBiasKv = true is not supported (the learned bias_k / bias_v rows are left out; see docs/nn.md); leave it out`);
    if (bool(op, 'addZeroAttn', o.addZeroAttn, false)) throw new Error(`${op}: addZeroAttn = true is not supported (see docs/nn.md); leave it out`);
    this.kdim = o.kdim === undefined || o.kdim === null ? embedDim : posInt(op, 'kdim', o.kdim);
    this.vdim = o.vdim === undefined || o.vdim === null ? embedDim : posInt(op, 'vdim', o.vdim);
    this.batchFirst = bool(op, 'batchFirst', o.batchFirst, false);
    this.qkvSameEmbedDim = this.kdim === embedDim && this.vdim === embedDim;
    const place = placement(op, o);
    const device = place.device ?? getDefaultDevice();
    const dtype = place.dtype ?? 'float32';
    const E = embedDim;
    const make = (name: string, shape: number[]) => {
      const t = this.registerParameter(name, empty(op, device, dtype, shape))!;
      return t;
    };
    if (this.qkvSameEmbedDim) {
      init.xavierUniform(make('in_proj_weight', [3 * E, E]));
    } else {
      init.xavierUniform(make('q_proj_weight', [E, E]));
      init.xavierUniform(make('k_proj_weight', [E, this.kdim]));
      init.xavierUniform(make('v_proj_weight', [E, this.vdim]));
      this.registerParameter('in_proj_weight', null);
    }
    if (bias) init.zeros(make('in_proj_bias', [3 * E]));
    else this.registerParameter('in_proj_bias', null);
    this.out_proj = new Linear(E, E, { bias, device, dtype });
    if (bias) init.zeros(this.out_proj.bias!);
  }

  /** The packed projection, or null when kdim or vdim differ from embedDim. */
  get inProjWeight(): Tensor | null { return this.getOptional('in_proj_weight'); }
  get inProjBias(): Tensor | null { return this.getOptional('in_proj_bias'); }

  /**
   * `forward(query, key, value, options?)`: query [L, N, E] (batchFirst: [N, L, E]; unbatched:
   * [L, E]), key [S, N, kdim], value [S, N, vdim]. Returns `[output, weights]`: output like
   * query; weights [N, L, S] (averaged over heads) or [N, numHeads, L, S], or null with
   * needWeights = false. Dropout (training only) applies to the weights, and the returned
   * weights are those after dropout, as PyTorch's. A query whose keys are all masked gets
   * weights of 0 and an output of out_proj.bias (PyTorch gives NaN).
   */
  forward(query: Tensor, key: Tensor, value: Tensor, options: MultiheadAttentionForwardOptions = {}, ...extra: never[]): [Tensor, Tensor | null] {
    const op = 'MultiheadAttention.forward';
    if (extra.length > 0) throw new Error(`${op}: too many arguments: it takes (query, key, value, options), got ${4 + extra.length}`);
    const o = checkOptions(op, options, MHA_FORWARD);
    for (const [name, t] of [['query', query], ['key', key], ['value', value]] as const) {
      if (!(t instanceof Tensor)) throw new Error(`${op}: ${name} must be a Tensor, got ${describe(t)}`);
      if (!isFloat(t.dtype)) throw new Error(`${op}: expected floating-point inputs, got ${name} of dtype ${t.dtype}`);
    }
    const needWeights = bool(op, 'needWeights', o.needWeights, true);
    const average = bool(op, 'averageAttnWeights', o.averageAttnWeights, true);
    const isCausal = bool(op, 'isCausal', o.isCausal, false);
    const batched = query.ndim === 3;
    const E = this.embedDim;
    const H = this.numHeads;
    const want = (name: string, t: Tensor, feat: number) => {
      const ok = t.ndim === query.ndim && (t.ndim === 2 || t.ndim === 3) && t.shape[t.ndim - 1] === feat;
      const form = this.batchFirst ? '[N, L, features]' : '[L, N, features]';
      if (!ok) throw new Error(`${op}: expected ${name} ${batched ? form : '[L, features]'} with ${feat} features (3-D batched or 2-D unbatched, like query), got ${fmtShape(t.shape)} with query ${fmtShape(query.shape)}`);
    };
    if (query.ndim !== 2 && query.ndim !== 3) throw new Error(`${op}: expected query ${this.batchFirst ? '[N, L, E]' : '[L, N, E]'} or unbatched [L, E], got ${fmtShape(query.shape)}`);
    want('query', query, E);
    want('key', key, this.kdim);
    want('value', value, this.vdim);
    // Work in [N, L, E].
    const toNLE = (t: Tensor) => (!batched ? t.unsqueeze(0) : this.batchFirst ? t : t.transpose(0, 1));
    const q0 = toNLE(query);
    const k0 = toNLE(key);
    const v0 = toNLE(value);
    const N = q0.shape[0]!;
    const L = q0.shape[1]!;
    const S = k0.shape[1]!;
    if (k0.shape[0] !== N || v0.shape[0] !== N || v0.shape[1] !== S) {
      throw new Error(`${op}: query, key and value must agree on the batch size and key and value on the source length, got query ${fmtShape(query.shape)}, key ${fmtShape(key.shape)}, value ${fmtShape(value.shape)}`);
    }
    // The masks, checked, as one additive mask broadcastable to [N, H, L, S].
    let mask: Tensor | null = null;
    const am = o.attnMask ?? null;
    const kpm = o.keyPaddingMask ?? null;
    for (const [name, m] of [['attnMask', am], ['keyPaddingMask', kpm]] as const) {
      if (m === null) continue;
      if (!(m instanceof Tensor)) throw new Error(`${op}: ${name} must be a Tensor or null, got ${describe(m)}`);
      if (m.device !== query.device) throw new Error(`${op}: ${name} is on ${m.device} but query is on ${query.device}`);
      if (m.dtype !== 'bool' && m.dtype !== query.dtype) throw new Error(`${op}: ${name} must be bool (true = masked out) or of the query's dtype ${query.dtype} (added to the scores), got ${m.dtype}`);
    }
    if (am) {
      const ok2 = am.ndim === 2 && am.shape[0] === L && am.shape[1] === S;
      const ok3 = am.ndim === 3 && am.shape[0] === (batched ? N * H : H) && am.shape[1] === L && am.shape[2] === S;
      if (!ok2 && !ok3) throw new Error(`${op}: attnMask must be [L, S] = [${L}, ${S}] or [${batched ? 'N * numHeads' : 'numHeads'}, L, S] = [${batched ? N * H : H}, ${L}, ${S}], got ${fmtShape(am.shape)}`);
      const a = additive(am, query.dtype);
      mask = ok2 ? a : a.reshape([N, H, L, S]);
    }
    // isCausal alone goes to attend's causal path; with a padding mask too, the two are added.
    let causal = isCausal && !am;
    if (causal && kpm) {
      mask = noGrad(() => where(causalMask(L, S, query.device), 0, -Infinity).cast(query.dtype));
      causal = false;
    }
    if (kpm) {
      const ok = batched ? kpm.ndim === 2 && kpm.shape[0] === N && kpm.shape[1] === S : kpm.ndim === 1 && kpm.shape[0] === S;
      if (!ok) throw new Error(`${op}: keyPaddingMask must be ${batched ? `[N, S] = [${N}, ${S}]` : `[S] = [${S}]`}, got ${fmtShape(kpm.shape)}`);
      const p = additive(kpm, query.dtype).reshape([N, 1, 1, S]);
      mask = mask ? mask.add(p) : p;
    }
    // The projections: one matmul for self-attention with the packed weight.
    const b = this.inProjBias;
    const bq = b ? b.narrow(0, 0, E) : null;
    const bk = b ? b.narrow(0, E, E) : null;
    const bv = b ? b.narrow(0, 2 * E, E) : null;
    const proj = (x: Tensor, w: Tensor, bias: Tensor | null) => {
      const y = x.matmul(w.transpose(0, 1));
      return bias ? y.add(bias) : y;
    };
    let q: Tensor;
    let k: Tensor;
    let v: Tensor;
    const W = this.inProjWeight;
    if (W && query === key && key === value) {
      const qkv = proj(q0, W, b);
      [q, k, v] = [qkv.narrow(-1, 0, E), qkv.narrow(-1, E, E), qkv.narrow(-1, 2 * E, E)];
    } else if (W) {
      q = proj(q0, W.narrow(0, 0, E), bq);
      k = proj(k0, W.narrow(0, E, E), bk);
      v = proj(v0, W.narrow(0, 2 * E, E), bv);
    } else {
      q = proj(q0, this.get('q_proj_weight'), bq);
      k = proj(k0, this.get('k_proj_weight'), bk);
      v = proj(v0, this.get('v_proj_weight'), bv);
    }
    const heads = (t: Tensor, len: number) => t.reshape([N, len, H, this.headDim]).permute([0, 2, 1, 3]);
    const p = this.training ? this.dropout : 0;
    const [out, weights] = attend(heads(q, L), heads(k, S), heads(v, S), mask, causal, p, 1 / Math.sqrt(this.headDim));
    const merged = out.permute([0, 2, 1, 3]).reshape([N, L, E]);
    let y = this.out_proj.forward(merged);
    y = !batched ? y.squeeze(0) : this.batchFirst ? y : y.transpose(0, 1);
    if (!needWeights) return [y, null];
    let w = average ? weights.mean(1) : weights;
    if (!batched) w = w.squeeze(0);
    return [y, w];
  }
  override extraRepr(): string {
    return `embedDim=${this.embedDim}, numHeads=${this.numHeads}${this.dropout ? `, dropout=${this.dropout}` : ''}${this.qkvSameEmbedDim ? '' : `, kdim=${this.kdim}, vdim=${this.vdim}`}${this.batchFirst ? ', batchFirst=true' : ''}`;
  }
}

export type TransformerActivation = 'relu' | 'gelu' | ((x: Tensor) => Tensor);

export interface TransformerEncoderLayerOptions extends LayerOptions {
  /** Width of the feed-forward block (default 2048). */
  dimFeedforward?: number;
  /** Dropout after attention, inside and after the feed-forward block (default 0.1). */
  dropout?: number;
  /** 'relu' (default), 'gelu', or a function of a tensor. */
  activation?: TransformerActivation;
  /** LayerNorm's eps (default 1e-5). */
  layerNormEps?: number;
  /** [N, L, E] (true) or [L, N, E] (false, the default). */
  batchFirst?: boolean;
  /** Pre-norm (true): x + sa(norm1(x)), then x + ff(norm2(x)); post-norm (false, default): norm1(x + sa(x)), then norm2(x + ff(x)). */
  normFirst?: boolean;
  /** Biases in the linear layers, the attention and the layer norms (default true). */
  bias?: boolean;
}

export interface TransformerEncoderLayerForwardOptions {
  /** The attention mask, as MultiheadAttention's attnMask ([L, S] or [N * nhead, L, S]; bool true = masked out). */
  srcMask?: Tensor | null;
  /** [N, S]: bool true = padding, or float (added), as MultiheadAttention's keyPaddingMask. */
  srcKeyPaddingMask?: Tensor | null;
  /** Causal self-attention (with srcMask a hint that srcMask is causal; without, the causal mask is made). */
  isCausal?: boolean;
}

const TEL_POSITIONAL = ['dimFeedforward', 'dropout', 'activation', 'layerNormEps', 'batchFirst', 'normFirst', 'bias'] as const;
const TEL_FORWARD = ['srcMask', 'srcKeyPaddingMask', 'isCausal'];

/**
 * PyTorch's `nn.TransformerEncoderLayer(dModel, nhead, dimFeedforward?, dropout?, activation?,
 * layerNormEps?, batchFirst?, normFirst?, bias?, options?)`: self-attention and a feed-forward
 * block, each with a residual connection and a LayerNorm. Submodules as PyTorch names them:
 * self_attn, linear1, dropout, linear2, norm1, norm2, dropout1, dropout2.
 */
export class TransformerEncoderLayer extends Module {
  readonly dModel: number;
  readonly nhead: number;
  readonly normFirst: boolean;
  readonly batchFirst: boolean;
  readonly activation: TransformerActivation;
  /** The settings it was made with (TransformerEncoder makes its copies from them). */
  readonly config: { dModel: number; nhead: number; options: TransformerEncoderLayerOptions };
  declare self_attn: MultiheadAttention;
  declare linear1: Linear;
  declare dropout: Dropout;
  declare linear2: Linear;
  declare norm1: LayerNorm;
  declare norm2: LayerNorm;
  declare dropout1: Dropout;
  declare dropout2: Dropout;
  constructor(dModel: number, nhead: number, ...args: WithOptions<[dimFeedforward: number, dropout: number, activation: TransformerActivation, layerNormEps: number, batchFirst: boolean, normFirst: boolean, bias: boolean], TransformerEncoderLayerOptions>) {
    super();
    const op = 'TransformerEncoderLayer';
    this.dModel = posInt(op, 'dModel', dModel);
    this.nhead = posInt(op, 'nhead', nhead);
    if (dModel % nhead !== 0) throw new Error(`${op}: dModel (${dModel}) must be divisible by nhead (${nhead})`);
    const o = layerArgs(op, ['dModel', 'nhead'], args, TEL_POSITIONAL, [...TEL_POSITIONAL, ...PLACEMENT]);
    const dimFeedforward = o.dimFeedforward === undefined ? 2048 : posInt(op, 'dimFeedforward', o.dimFeedforward);
    const p = o.dropout === undefined ? 0.1 : checkNumber(op, 'dropout', o.dropout, { min: 0, max: 1 });
    const act = o.activation ?? 'relu';
    this.activation = typeof act === 'function' ? (act as TransformerActivation) : checkChoice(op, 'activation', act, ['relu', 'gelu'] as const);
    const eps = o.layerNormEps === undefined ? 1e-5 : checkNumber(op, 'layerNormEps', o.layerNormEps, { min: 0 });
    this.batchFirst = bool(op, 'batchFirst', o.batchFirst, false);
    this.normFirst = bool(op, 'normFirst', o.normFirst, false);
    const bias = bool(op, 'bias', o.bias, true);
    const place = placement(op, o);
    this.config = { dModel, nhead, options: { dimFeedforward, dropout: p, activation: this.activation, layerNormEps: eps, batchFirst: this.batchFirst, normFirst: this.normFirst, bias, ...place } };
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout: p, bias, batchFirst: this.batchFirst, ...place });
    this.linear1 = new Linear(dModel, dimFeedforward, { bias, ...place });
    this.dropout = new Dropout(p);
    this.linear2 = new Linear(dimFeedforward, dModel, { bias, ...place });
    this.norm1 = new LayerNorm(dModel, { eps, bias, ...place });
    this.norm2 = new LayerNorm(dModel, { eps, bias, ...place });
    this.dropout1 = new Dropout(p);
    this.dropout2 = new Dropout(p);
  }
  /** `forward(src, { srcMask, srcKeyPaddingMask, isCausal })`: src [L, N, E] ([N, L, E] with batchFirst; [L, E] unbatched), output the same shape. */
  forward(src: Tensor, options: TransformerEncoderLayerForwardOptions = {}, ...extra: never[]): Tensor {
    const op = 'TransformerEncoderLayer.forward';
    if (extra.length > 0) throw new Error(`${op}: too many arguments: it takes (src, options), got ${2 + extra.length}`);
    const o = checkOptions(op, options, TEL_FORWARD);
    if (!(src instanceof Tensor)) throw new Error(`${op}: src must be a Tensor, got ${describe(src)}`);
    if (!((src.ndim === 3 || src.ndim === 2) && src.shape[src.ndim - 1] === this.dModel)) {
      throw new Error(`${op}: expected src ${this.batchFirst ? '[N, L, dModel]' : '[L, N, dModel]'} or [L, dModel] with dModel = ${this.dModel}, got ${fmtShape(src.shape)}`);
    }
    const sa = (x: Tensor) => {
      const [y] = this.self_attn.forward(x, x, x, { attnMask: o.srcMask ?? null, keyPaddingMask: o.srcKeyPaddingMask ?? null, needWeights: false, isCausal: o.isCausal ?? false });
      return this.dropout1.forward(y);
    };
    const act = (x: Tensor) => (this.activation === 'relu' ? F.relu(x) : this.activation === 'gelu' ? F.gelu(x) : this.activation(x));
    const ff = (x: Tensor) => this.dropout2.forward(this.linear2.forward(this.dropout.forward(act(this.linear1.forward(x)))));
    let x = src;
    if (this.normFirst) {
      x = x.add(sa(this.norm1.forward(x)));
      x = x.add(ff(this.norm2.forward(x)));
    } else {
      x = this.norm1.forward(x.add(sa(x)));
      x = this.norm2.forward(x.add(ff(x)));
    }
    return x;
  }
  override extraRepr(): string {
    return `dModel=${this.dModel}, nhead=${this.nhead}${this.normFirst ? ', normFirst=true' : ''}`;
  }
}

export interface TransformerEncoderOptions {
  /** A final layer norm (or any module) applied to the output, named `norm`. */
  norm?: Module | null;
  /** false only (webgrad has no nested tensors; PyTorch's fast path). */
  enableNestedTensor?: boolean;
}

/**
 * PyTorch's `nn.TransformerEncoder(encoderLayer, numLayers, norm?, options?)`: numLayers
 * copies of encoderLayer (copies of its settings and current values, as PyTorch's deepcopy;
 * the layer given is not one of them), named layers.0, layers.1, ..., then `norm` if given.
 */
export class TransformerEncoder extends Module {
  readonly numLayers: number;
  declare layers: ModuleList;
  declare norm: Module | null;
  constructor(encoderLayer: TransformerEncoderLayer, numLayers: number, ...args: WithOptions<[norm: Module | null], TransformerEncoderOptions>) {
    super();
    const op = 'TransformerEncoder';
    if (!(encoderLayer instanceof TransformerEncoderLayer)) throw new Error(`${op}: encoderLayer must be a TransformerEncoderLayer, got ${describe(encoderLayer)}`);
    this.numLayers = posInt(op, 'numLayers', numLayers);
    // layerArgs would take a Module given positionally for an options object; look at it first.
    const rest = [...args];
    let normArg: unknown;
    if (rest[0] instanceof Module || rest[0] === null) normArg = rest.shift();
    const o = layerArgs(op, ['encoderLayer', 'numLayers'], rest, [], ['norm', 'enableNestedTensor']);
    if (normArg !== undefined && o.norm !== undefined) throw new Error(`${op}: norm is given twice, as argument 3 and as an option`);
    const norm = normArg !== undefined ? normArg : o.norm ?? null;
    if (norm !== null && !(norm instanceof Module)) throw new Error(`${op}: norm must be a Module or null, got ${describe(norm)}`);
    if (bool(op, 'enableNestedTensor', o.enableNestedTensor, false)) throw new Error(`${op}: enableNestedTensor = true is not supported (webgrad has no nested tensors); leave it out`);
    const c = encoderLayer.config;
    const state = encoderLayer.stateDict();
    const layers = Array.from({ length: numLayers }, () => {
      // Where the layer's tensors are now (it may have been moved or cast since it was made).
      const p0 = encoderLayer.parameters()[0];
      const at = p0 ? { device: p0.device, dtype: p0.dtype as 'float32' | 'float64' } : {};
      const l = new TransformerEncoderLayer(c.dModel, c.nhead, { ...c.options, ...at });
      l.loadStateDict(state);
      l.train(encoderLayer.training);
      return l;
    });
    this.layers = new ModuleList(layers);
    this.norm = norm as Module | null;
  }
  /** `forward(src, { mask, srcKeyPaddingMask, isCausal })`: each layer in turn, then norm. */
  forward(src: Tensor, options: { mask?: Tensor | null; srcKeyPaddingMask?: Tensor | null; isCausal?: boolean } = {}, ...extra: never[]): Tensor {
    const op = 'TransformerEncoder.forward';
    if (extra.length > 0) throw new Error(`${op}: too many arguments: it takes (src, options), got ${2 + extra.length}`);
    const o = checkOptions(op, options, ['mask', 'srcKeyPaddingMask', 'isCausal']);
    let x = src;
    for (const l of this.layers) x = (l as TransformerEncoderLayer).forward(x, { srcMask: o.mask ?? null, srcKeyPaddingMask: o.srcKeyPaddingMask ?? null, isCausal: o.isCausal ?? false });
    const norm = this.norm;
    return norm ? norm.forward(x) : x;
  }
}

/**
 * PyTorch's `nn.Transformer.generate_square_subsequent_mask(sz)`: a float [sz, sz] mask, 0 on
 * and below the diagonal and -inf above, for MultiheadAttention's attnMask.
 */
export function generateSquareSubsequentMask(sz: number, options: LayerOptions = {}): Tensor {
  const op = 'generateSquareSubsequentMask';
  posInt(op, 'sz', sz);
  const o = checkOptions(op, options, [...PLACEMENT]);
  const { device = getDefaultDevice(), dtype = 'float32' } = placement(op, o as Record<string, unknown>);
  return noGrad(() => {
    const keep = causalMask(sz, sz, device);
    const m = where(keep, 0, -Infinity).cast(dtype);
    keep.dispose();
    return m;
  });
}
