/**
 * Recurrent layers with PyTorch's semantics, names and initialisation: nn.RNN (tanh or relu),
 * nn.LSTM, nn.GRU (multi-layer, bidirectional, dropout between layers, initial and final
 * states, variable lengths) and the single-step cells nn.RNNCell, nn.LSTMCell, nn.GRUCell.
 *
 * How a layer runs: for each layer and direction, one matmul projects the inputs of every time
 * step at once (x W_ih^T + b_ih, [T, B, G*H]); then each step is one matmul (h W_hh^T) and one
 * fused kernel for all the gate math and the masking (cellStep, the kernel family
 * src/kernels/recurrent/). Backward through time is those ops' backward rules, on the device.
 */
import { fmtShape } from '../core/shape.js';
import { checkChoice, checkNumber, checkOptions, describe } from '../core/options.js';
import { Tensor } from '../tensor/tensor.js';
import { tensor, zeros } from '../tensor/creation.js';
import { cat, stack } from '../tensor/ops/indexing.js';
import { valuesIfHost } from '../tensor/ops/transfer.js';
import { noGrad } from '../autograd/mode.js';
import * as F from '../nn/functional/index.js';
import { cellStep, type CellKind } from '../nn/functional/recurrent.js';
import { GATES } from '../kernels/recurrent/types.js';
import * as init from './init.js';
import { Module } from './module.js';
import { PLACEMENT, bool, layerArgs, param, placement, posInt, type LayerOptions, type WithOptions } from './args.js';

/** Options of nn.RNN, nn.LSTM and nn.GRU (PyTorch's, camelCase). */
export interface RecurrentOptions extends LayerOptions {
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Learned biases b_ih and b_hh (default true). */
  bias?: boolean;
  /** Input and output are [batch, seq, feature] instead of [seq, batch, feature] (default false); states stay [layers * directions, batch, hidden]. */
  batchFirst?: boolean;
  /** Dropout probability on each layer's output except the last, in training mode (default 0; needs numLayers > 1). */
  dropout?: number;
  /** A second, reversed pass per layer, its output concatenated to the forward one (default false). */
  bidirectional?: boolean;
}

export interface RNNOptions extends RecurrentOptions {
  /** 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
}

export interface LSTMOptions extends RecurrentOptions {
  /** Only 0 (the default): LSTMs with projections are not supported. */
  projSize?: number;
}

/** What forward takes after the input and the initial state. */
export interface RecurrentForwardOptions {
  /**
   * Each sequence's length (1..seq), one per batch row, as a number[] or an int32 cpu tensor
   * (lengths live on the host, as PyTorch's pack_padded_sequence wants them on the CPU). Steps
   * past a row's end leave its state unchanged and give zero outputs (what pad_packed_sequence
   * gives); the final state is each row's state at its last valid step, and a reverse
   * direction starts at each row's own end. Plays the part of PyTorch's packed sequences.
   */
  lengths?: readonly number[] | Tensor;
}

type Positional = [numLayers: number, bias: boolean, batchFirst: boolean, dropout: number, bidirectional: boolean];
const COMMON = ['numLayers', 'bias', 'batchFirst', 'dropout', 'bidirectional'] as const;

/** The parameters of one layer and direction. */
interface Weights {
  wIh: Tensor;
  wHh: Tensor;
  bIh: Tensor | null;
  bHh: Tensor | null;
}

/** The float host values of `lengths`, checked against the batch and the sequence length. */
function readLengths(op: string, lengths: unknown, batch: number, steps: number): number[] {
  let values: number[];
  if (lengths instanceof Tensor) {
    if (lengths.dtype !== 'int32') throw new Error(`${op}: lengths must be an int32 tensor or a number[], got a ${lengths.dtype} tensor`);
    if (lengths.ndim !== 1) throw new Error(`${op}: lengths must be 1-D (one length per batch row), got shape ${fmtShape(lengths.shape)}`);
    const v = valuesIfHost(lengths);
    if (!v) throw new Error(`${op}: lengths must be a cpu tensor or a number[] (they are read on the host, as PyTorch wants pack_padded_sequence's lengths on the CPU), got a ${lengths.device} tensor`);
    values = Array.from(v);
  } else if (Array.isArray(lengths)) {
    values = lengths as number[];
  } else {
    throw new Error(`${op}: lengths must be a number[] or an int32 tensor, got ${describe(lengths)}`);
  }
  if (values.length !== batch) throw new Error(`${op}: lengths has ${values.length} entries, expected one per batch row (${batch})`);
  values.forEach((n, i) => {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > steps) {
      throw new Error(`${op}: lengths[${i}] must be an integer in 1..${steps} (the sequence length), got ${describe(n)}`);
    }
  });
  return values;
}

function expectState(op: string, name: string, t: unknown, shape: readonly number[], ref: Tensor): Tensor {
  if (!(t instanceof Tensor)) throw new Error(`${op}: ${name} must be a Tensor, got ${describe(t)}`);
  if (t.ndim !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
    throw new Error(`${op}: expected ${name} of shape ${fmtShape(shape)}, got ${fmtShape(t.shape)}`);
  }
  if (t.device !== ref.device || t.dtype !== ref.dtype) {
    throw new Error(`${op}: ${name} must be a ${ref.dtype} tensor on ${ref.device} (as the parameters), got ${t.dtype} on ${t.device}`);
  }
  return t;
}

function expectInput(op: string, x: unknown, inputSize: number, ranks: readonly number[], expected: string, ref: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw new Error(`${op}: input must be a Tensor, got ${describe(x)}`);
  if (!ranks.includes(x.ndim) || x.shape[x.ndim - 1] !== inputSize) throw new Error(`${op}: expected input ${expected}, got ${fmtShape(x.shape)}`);
  if (x.device !== ref.device || x.dtype !== ref.dtype) {
    throw new Error(`${op}: input must be a ${ref.dtype} tensor on ${ref.device} (as the parameters), got ${x.dtype} on ${x.device}`);
  }
  return x;
}

/** PyTorch's default for every recurrent weight and bias: U(-1/sqrt(hidden), 1/sqrt(hidden)). */
function resetUniform(ps: Iterable<Tensor>, hidden: number): void {
  const k = 1 / Math.sqrt(hidden);
  noGrad(() => {
    for (const p of ps) init.uniform(p, -k, k);
  });
}

/** The shared body of nn.RNN, nn.LSTM and nn.GRU. */
abstract class RecurrentBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  protected readonly cell: CellKind;
  private readonly op: string;

  constructor(op: string, cell: CellKind | null, inputSize: number, hiddenSize: number, args: readonly unknown[], positional: readonly string[], extra: readonly string[]) {
    super();
    this.op = op;
    this.inputSize = posInt(op, 'inputSize', inputSize);
    this.hiddenSize = posInt(op, 'hiddenSize', hiddenSize);
    const o = layerArgs(op, ['inputSize', 'hiddenSize'], args, positional, [...COMMON, ...extra, ...PLACEMENT]);
    if (cell === null) {
      const nl = o.nonlinearity === undefined ? 'tanh' : checkChoice(op, 'nonlinearity', o.nonlinearity, ['tanh', 'relu'] as const);
      cell = nl === 'tanh' ? 'rnnTanh' : 'rnnRelu';
    }
    this.cell = cell;
    if (o.projSize !== undefined && checkNumber(op, 'projSize', o.projSize, { int: true, min: 0 }) !== 0) {
      throw new Error(`${op}: projSize = ${o.projSize as number} is not supported (LSTMs with projections are left out: the projected state needs its own kernel path); leave it out or pass 0`);
    }
    this.numLayers = o.numLayers === undefined ? 1 : posInt(op, 'numLayers', o.numLayers);
    this.bias = bool(op, 'bias', o.bias, true);
    this.batchFirst = bool(op, 'batchFirst', o.batchFirst, false);
    this.bidirectional = bool(op, 'bidirectional', o.bidirectional, false);
    this.dropout = o.dropout === undefined ? 0 : checkNumber(op, 'dropout', o.dropout, { min: 0, max: 1 });
    if (this.dropout > 0 && this.numLayers === 1) {
      throw new Error(`${op}: dropout = ${this.dropout} has no effect with numLayers = 1 (it applies between layers, not after the last); use numLayers > 1 or dropout 0`);
    }
    const place = placement(op, o);
    const G = GATES[this.cell] * this.hiddenSize;
    // PyTorch's order and names, so its state dicts load by name.
    for (let l = 0; l < this.numLayers; l++) {
      const inSize = l === 0 ? this.inputSize : this.hiddenSize * this.numDirections;
      for (let d = 0; d < this.numDirections; d++) {
        const s = `_l${l}${d === 1 ? '_reverse' : ''}`;
        param(this, `weight_ih${s}`, [G, inSize], place);
        param(this, `weight_hh${s}`, [G, this.hiddenSize], place);
        if (this.bias) {
          param(this, `bias_ih${s}`, [G], place);
          param(this, `bias_hh${s}`, [G], place);
        }
      }
    }
    resetUniform(this.parameters(), this.hiddenSize);
  }

  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  private weights(l: number, d: number): Weights {
    const s = `_l${l}${d === 1 ? '_reverse' : ''}`;
    return { wIh: this.get(`weight_ih${s}`), wHh: this.get(`weight_hh${s}`), bIh: this.getOptional(`bias_ih${s}`), bHh: this.getOptional(`bias_hh${s}`) };
  }

  /**
   * The whole stack over x; `state0` is [h0] or [h0, c0] (lstm), each [L*D, B, H] or null.
   * Returns the output and the final states in the caller's layout.
   */
  protected run(x: unknown, state0: (unknown)[] | null, options: unknown, extra: readonly unknown[]): [Tensor, Tensor[]] {
    const op = `${this.op}.forward`;
    if (extra.length > 0) throw new Error(`${op}: takes (input, ${this.cell === 'lstm' ? '[h0, c0]' : 'h0'}, options); got ${extra.length} more argument${extra.length > 1 ? 's' : ''}`);
    const o = checkOptions(op, options, ['lengths']) as RecurrentForwardOptions | undefined;
    const ref = this.get('weight_ih_l0');
    const I = this.inputSize;
    const LD = this.numLayers * this.numDirections;
    const H = this.hiddenSize;
    const layout = this.batchFirst ? `[batch, seq, ${I}]` : `[seq, batch, ${I}]`;
    const input = expectInput(op, x, I, [2, 3], `${layout} or unbatched [seq, ${I}]`, ref);
    const batched = input.ndim === 3;
    // Time-major views: [T, B, I].
    const xs = !batched ? input.unsqueeze(1) : this.batchFirst ? input.transpose(0, 1) : input;
    const [T, B] = xs.shape as [number, number, number];
    if (T === 0) throw new Error(`${op}: expected a sequence of at least one step, got input of shape ${fmtShape(input.shape)}`);
    const stateShape = batched ? [LD, B, H] : [LD, H];
    const names = this.cell === 'lstm' ? ['h0', 'c0'] : ['h0'];
    const states = names.map((name, i) => {
      const s = state0?.[i];
      if (s === undefined || s === null) return null;
      const t = expectState(op, name, s, stateShape, ref);
      return batched ? t : t.unsqueeze(1);
    });
    let mask: Tensor | null = null;
    if (o?.lengths !== undefined) {
      const lens = readLengths(op, o.lengths, B, T);
      const m = new Float64Array(T * B);
      for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) m[t * B + b] = t < lens[b]! ? 1 : 0;
      mask = tensor(ref.dtype === 'float64' ? m : Float32Array.from(m), { shape: [T, B], device: ref.device });
    }
    const finals: Tensor[][] = names.map(() => []);
    let layerIn = xs;
    for (let l = 0; l < this.numLayers; l++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < this.numDirections; d++) {
        const i = l * this.numDirections + d;
        const init0 = states.map((s) => (s ? s.select(0, i) : zeros([B, H], { device: ref.device, dtype: ref.dtype })));
        const r = this.direction(layerIn, this.weights(l, d), init0, mask, d === 1);
        outs.push(r.output);
        r.final.forEach((t, k) => finals[k]!.push(t));
      }
      let y = outs.length === 1 ? outs[0]! : cat(outs, 2);
      if (this.training && this.dropout > 0 && l < this.numLayers - 1) y = F.dropout(y, this.dropout, true);
      layerIn = y;
    }
    let output = layerIn;
    if (mask) output = output.mul(mask.unsqueeze(2));
    if (!batched) output = output.squeeze(1);
    else if (this.batchFirst) output = output.transpose(0, 1);
    const hN = finals.map((fs) => {
      const s = stack(fs, 0);
      return batched ? s : s.squeeze(1);
    });
    return [output, hN];
  }

  /** One layer, one direction, over time-major x [T, B, I]; init0 is [h0] or [h0, c0], each [B, H]. */
  private direction(x: Tensor, w: Weights, init0: Tensor[], mask: Tensor | null, reverse: boolean): { output: Tensor; final: Tensor[] } {
    const T = x.shape[0]!;
    // The input projections of every step, in one matmul.
    let xp = x.matmul(w.wIh.T);
    if (w.bIh) xp = xp.add(w.bIh);
    const wHhT = w.wHh.T;
    let h = init0[0]!;
    let c = init0[1] ?? null;
    const hs: Tensor[] = new Array<Tensor>(T);
    for (let s = 0; s < T; s++) {
      const t = reverse ? T - 1 - s : s;
      const hg = h.matmul(wHhT);
      const out = cellStep(this.cell, xp.select(0, t), hg, w.bHh, h, c, mask ? mask.select(0, t) : null);
      if (this.cell === 'lstm') {
        h = out.select(0, 0);
        c = out.select(0, 1);
      } else {
        h = out;
      }
      hs[t] = h;
    }
    return { output: stack(hs, 0), final: c ? [h, c] : [h] };
  }

  override extraRepr(): string {
    const parts = [`${this.inputSize}`, `${this.hiddenSize}`];
    if (this.cell === 'rnnRelu') parts.push("nonlinearity='relu'");
    if (this.numLayers !== 1) parts.push(`numLayers=${this.numLayers}`);
    if (!this.bias) parts.push('bias=false');
    if (this.batchFirst) parts.push('batchFirst=true');
    if (this.dropout) parts.push(`dropout=${this.dropout}`);
    if (this.bidirectional) parts.push('bidirectional=true');
    return parts.join(', ');
  }
}

/**
 * An Elman RNN, h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act tanh or relu.
 * `new nn.RNN(inputSize, hiddenSize, numLayers?, nonlinearity?, bias?, batchFirst?, dropout?,
 * bidirectional?, options?)`, as PyTorch's. `forward(x, h0?, { lengths }?)` returns
 * [output, hN]: output [T, B, D*H] ([B, T, D*H] batchFirst; [T, D*H] for an unbatched [T, I]
 * input), hN [L*D, B, H] ([L*D, H] unbatched).
 */
export class RNN extends RecurrentBase {
  constructor(inputSize: number, hiddenSize: number, ...args: WithOptions<[numLayers: number, nonlinearity: 'tanh' | 'relu', bias: boolean, batchFirst: boolean, dropout: number, bidirectional: boolean], RNNOptions>) {
    super('RNN', null, inputSize, hiddenSize, args, ['numLayers', 'nonlinearity', 'bias', 'batchFirst', 'dropout', 'bidirectional'], ['nonlinearity']);
  }
  get nonlinearity(): 'tanh' | 'relu' {
    return this.cell === 'rnnTanh' ? 'tanh' : 'relu';
  }
  forward(x: Tensor, h0?: Tensor | null, options?: RecurrentForwardOptions, ...extra: never[]): [Tensor, Tensor] {
    const [out, [hN]] = this.run(x, [h0], options, extra);
    return [out, hN!];
  }
}

/**
 * A long short-term memory layer, PyTorch's gates (i, f, g, o) and formulas:
 * c_t = f * c_{t-1} + i * g, h_t = o * tanh(c_t).
 * `new nn.LSTM(inputSize, hiddenSize, numLayers?, bias?, batchFirst?, dropout?, bidirectional?,
 * projSize?, options?)`. `forward(x, [h0, c0]?, { lengths }?)` returns [output, [hN, cN]],
 * shapes as nn.RNN's. projSize other than 0 is refused.
 */
export class LSTM extends RecurrentBase {
  constructor(inputSize: number, hiddenSize: number, ...args: WithOptions<[...Positional, projSize: number], LSTMOptions>) {
    super('LSTM', 'lstm', inputSize, hiddenSize, args, [...COMMON, 'projSize'], ['projSize']);
  }
  forward(x: Tensor, state?: readonly [Tensor, Tensor] | null, options?: RecurrentForwardOptions, ...extra: never[]): [Tensor, [Tensor, Tensor]] {
    if (state !== undefined && state !== null && (!Array.isArray(state) || state.length !== 2)) {
      throw new Error(`LSTM.forward: the initial state must be [h0, c0] (two tensors), got ${describe(state)}`);
    }
    const [out, [hN, cN]] = this.run(x, state ? [...state] : null, options, extra);
    return [out, [hN!, cN!]];
  }
}

/**
 * A gated recurrent unit layer, PyTorch's gates (r, z, n) and formulas:
 * n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn)), h_t = (1 - z) * n + z * h_{t-1}.
 * `new nn.GRU(inputSize, hiddenSize, numLayers?, bias?, batchFirst?, dropout?, bidirectional?,
 * options?)`. `forward(x, h0?, { lengths }?)` returns [output, hN], shapes as nn.RNN's.
 */
export class GRU extends RecurrentBase {
  constructor(inputSize: number, hiddenSize: number, ...args: WithOptions<Positional, RecurrentOptions>) {
    super('GRU', 'gru', inputSize, hiddenSize, args, COMMON, []);
  }
  forward(x: Tensor, h0?: Tensor | null, options?: RecurrentForwardOptions, ...extra: never[]): [Tensor, Tensor] {
    const [out, [hN]] = this.run(x, [h0], options, extra);
    return [out, hN!];
  }
}

// ---- cells ---------------------------------------------------------------------------------

/** Options of the cells. */
export interface CellOptions extends LayerOptions {
  /** Learned biases b_ih and b_hh (default true). */
  bias?: boolean;
}

abstract class CellBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;
  protected readonly cell: CellKind;
  private readonly op: string;

  constructor(op: string, cell: CellKind | null, inputSize: number, hiddenSize: number, args: readonly unknown[], positional: readonly string[]) {
    super();
    this.op = op;
    this.inputSize = posInt(op, 'inputSize', inputSize);
    this.hiddenSize = posInt(op, 'hiddenSize', hiddenSize);
    const o = layerArgs(op, ['inputSize', 'hiddenSize'], args, positional, [...positional, ...PLACEMENT]);
    if (cell === null) {
      const nl = o.nonlinearity === undefined ? 'tanh' : checkChoice(op, 'nonlinearity', o.nonlinearity, ['tanh', 'relu'] as const);
      cell = nl === 'tanh' ? 'rnnTanh' : 'rnnRelu';
    }
    this.cell = cell;
    this.bias = bool(op, 'bias', o.bias, true);
    const place = placement(op, o);
    const G = GATES[cell] * this.hiddenSize;
    param(this, 'weight_ih', [G, this.inputSize], place);
    param(this, 'weight_hh', [G, this.hiddenSize], place);
    if (this.bias) {
      param(this, 'bias_ih', [G], place);
      param(this, 'bias_hh', [G], place);
    } else {
      this.registerParameter('bias_ih', null);
      this.registerParameter('bias_hh', null);
    }
    resetUniform(this.parameters(), this.hiddenSize);
  }

  get weight_ih(): Tensor { return this.get('weight_ih'); }
  get weight_hh(): Tensor { return this.get('weight_hh'); }
  get bias_ih(): Tensor | null { return this.getOptional('bias_ih'); }
  get bias_hh(): Tensor | null { return this.getOptional('bias_hh'); }

  /** The step on x [B, I] or [I]; `state` is [h] or [h, c], each [B, H] ([H] unbatched) or absent. */
  protected step(x: unknown, state: unknown[], extra: readonly unknown[]): Tensor[] {
    const op = `${this.op}.forward`;
    const lstm = this.cell === 'lstm';
    if (extra.length > 0) throw new Error(`${op}: takes (input, ${lstm ? '[h, c]' : 'h'}); got ${extra.length} more argument${extra.length > 1 ? 's' : ''}`);
    const ref = this.weight_ih;
    const input = expectInput(op, x, this.inputSize, [1, 2], `[batch, ${this.inputSize}] or unbatched [${this.inputSize}]`, ref);
    const batched = input.ndim === 2;
    const xb = batched ? input : input.unsqueeze(0);
    const B = xb.shape[0]!;
    const H = this.hiddenSize;
    const shape = batched ? [B, H] : [H];
    const names = lstm ? ['h', 'c'] : ['h'];
    const [h, c] = names.map((name, i) => {
      const s = state[i];
      if (s === undefined || s === null) return zeros([B, H], { device: ref.device, dtype: ref.dtype });
      const t = expectState(op, name, s, shape, ref);
      return batched ? t : t.unsqueeze(0);
    });
    let xg = xb.matmul(this.weight_ih.T);
    if (this.bias_ih) xg = xg.add(this.bias_ih);
    const hg = h!.matmul(this.weight_hh.T);
    const out = cellStep(this.cell, xg, hg, this.bias_hh, h!, lstm ? c! : null, null);
    const parts = lstm ? [out.select(0, 0), out.select(0, 1)] : [out];
    return batched ? parts : parts.map((t) => t.squeeze(0));
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias ? '' : ', bias=false'}${this.cell === 'rnnRelu' ? ", nonlinearity='relu'" : ''}`;
  }
}

/** One Elman RNN step. `new nn.RNNCell(inputSize, hiddenSize, bias?, nonlinearity?, options?)`; `forward(x, h?)` returns h' ([B, H], or [H] for x [I]). */
export class RNNCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, ...args: WithOptions<[bias: boolean, nonlinearity: 'tanh' | 'relu'], CellOptions & { nonlinearity?: 'tanh' | 'relu' }>) {
    super('RNNCell', null, inputSize, hiddenSize, args, ['bias', 'nonlinearity']);
  }
  get nonlinearity(): 'tanh' | 'relu' {
    return this.cell === 'rnnTanh' ? 'tanh' : 'relu';
  }
  forward(x: Tensor, h?: Tensor | null, ...extra: never[]): Tensor {
    return this.step(x, [h], extra)[0]!;
  }
}

/** One LSTM step. `new nn.LSTMCell(inputSize, hiddenSize, bias?, options?)`; `forward(x, [h, c]?)` returns [h', c']. */
export class LSTMCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, ...args: WithOptions<[bias: boolean], CellOptions>) {
    super('LSTMCell', 'lstm', inputSize, hiddenSize, args, ['bias']);
  }
  forward(x: Tensor, state?: readonly [Tensor, Tensor] | null, ...extra: never[]): [Tensor, Tensor] {
    if (state !== undefined && state !== null && (!Array.isArray(state) || state.length !== 2)) {
      throw new Error(`LSTMCell.forward: the state must be [h, c] (two tensors), got ${describe(state)}`);
    }
    const [h, c] = this.step(x, state ? [...state] : [], extra);
    return [h!, c!];
  }
}

/** One GRU step. `new nn.GRUCell(inputSize, hiddenSize, bias?, options?)`; `forward(x, h?)` returns h'. */
export class GRUCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, ...args: WithOptions<[bias: boolean], CellOptions>) {
    super('GRUCell', 'gru', inputSize, hiddenSize, args, ['bias']);
  }
  forward(x: Tensor, h?: Tensor | null, ...extra: never[]): Tensor {
    return this.step(x, [h], extra)[0]!;
  }
}
