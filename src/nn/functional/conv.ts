/**
 * Convolutions with PyTorch's semantics (NCHW, cross-correlation): conv1d, conv2d and
 * convTranspose2d, each with stride, padding, dilation and groups.
 *
 * Everything is built on three recorded primitives, one backend kernel each:
 *   convForward      y  = conv(x, w)                 (backend.conv2d)
 *   convInput        dx = conv^T(dy, w)              (backend.conv2dBackwardInput)
 *   convWeight       dw = the weight gradient        (backend.conv2dBackwardWeight)
 * All three are bilinear, and the gradient of each is made of the other two, so gradients of
 * any order come from the same three kernels. convTranspose2d is convInput; conv1d is conv2d
 * on [N, C, 1, L] views. conv2d's and conv1d's bias goes into convForward, whose kernel adds it
 * (its gradient: g summed over N, H, W); convTranspose2d's is a broadcast add.
 */
import type { Conv2dParams } from '../../kernels/backend.js';
import { getBackend } from '../../runtime.js';
import { trace } from '../../autograd/node.js';
import { checkInputs, empty } from '../../tensor/ops/core.js';
import { isFloat } from '../../core/dtype.js';
import { fmtShape } from '../../core/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { gradFromOutput } from '../../tensor/ops/elementwise.js';
import { FUSED_ACTS, type FusedAct } from '../../kernels/ops.js';
import { tensor } from '../../tensor/creation.js';
import { checkChoice, checkNumber, checkOptions } from '../../core/options.js';
import { noExtra } from './args.js';

/** A size per spatial dim ([along H, along W]), or one number for all of them. */
export type Size2 = number | readonly [number, number];

export interface Conv2dOptions {
  /** Default 1. */
  stride?: Size2;
  /**
   * Zero padding on each side (default 0); 'valid' is 0, 'same' pads so that the output has
   * the input's size (stride 1 only; an odd total puts the extra row/column at the bottom/right).
   */
  padding?: Size2 | 'valid' | 'same';
  /** Spacing between kernel taps (default 1). */
  dilation?: Size2;
  /** Channels split into this many groups, each convolved separately (default 1). */
  groups?: number;
}

export interface Conv1dOptions {
  stride?: number | readonly [number];
  padding?: number | readonly [number] | 'valid' | 'same';
  dilation?: number | readonly [number];
  groups?: number;
}

export interface ConvTranspose2dOptions {
  stride?: Size2;
  /** Removed from each side of the output: dilation * (kernel - 1) - padding zeros pad the input. */
  padding?: Size2;
  /** Added to the bottom/right of the output, to pick among the sizes a strided conv2d maps to one size. */
  outputPadding?: Size2;
  dilation?: Size2;
  groups?: number;
}

// ---- the recorded primitives ---------------------------------------------------------------------

type HW = readonly [number, number];
const hw = (t: Tensor): HW => [t.shape[2]!, t.shape[3]!];

/** y [N, Cout, outHW] = conv2d(x, w). */
function convForward(x: Tensor, w: Tensor, p: Conv2dParams, outHW: HW, bias: Tensor | null = null, act: FusedAct | null = null): Tensor {
  // With a bias, the kernel adds it (webgpu's implicit product in its store, the others in
  // one pass in place) instead of a separate broadcast add making a second [N, Cout, OH, OW];
  // a fused activation follows it there, its backward taken from the output (saved for it).
  return trace(act ? `conv2d+${act}` : 'conv2d', bias ? [x, w, bias] : [x, w], () => {
    const device = checkInputs('conv2d', ...(bias ? [x, w, bias] : [x, w]));
    const y = empty('conv2d', device, x.dtype, [x.shape[0]!, w.shape[0]!, ...outHW]);
    getBackend(device).conv.conv2d(x, w, y, p, bias, act);
    return y;
  }, (g0, [xs, ws, ys], needs) => {
    const g = act ? gradFromOutput(act, g0, ys!) : g0;
    return [
      needs[0] ? convInput(g, ws!, p, hw(xs!)) : null,
      needs[1] ? convWeight(g, xs!, p, hw(ws!)) : null,
      ...(bias ? [needs[2] ? g.sum([0, 2, 3]) : null] : []),
    ];
  }, (y) => (act ? [x, w, y] : [x, w]));
}

/** dx [N, Cin, inHW]: the gradient of conv2d with respect to its input (convTranspose2d's forward). */
function convInput(dy: Tensor, w: Tensor, p: Conv2dParams, inHW: HW, name = 'conv2dBackwardInput'): Tensor {
  return trace(name, [dy, w], () => {
    const device = checkInputs(name, dy, w);
    const dx = empty(name, device, dy.dtype, [dy.shape[0]!, w.shape[1]! * p.groups, ...inHW]);
    const flipped = stride1Transposed(w, p);
    if (flipped) {
      // With stride 1 (one group), conv^T is a plain convolution of dy with the weight flipped
      // in H and W and its channel dims swapped, padded by dilation * (k - 1) - padding: that
      // runs on the forward kernel, whose tiling is the fastest of the three.
      getBackend(device).conv.conv2d(dy, flipped.w, dx, flipped.p);
      flipped.w.dispose();
    } else {
      getBackend(device).conv.conv2dBackwardInput(dy, w, dx, p);
    }
    return dx;
  }, (g, [dys, ws], needs) => [
    // dx is linear in dy with adjoint conv2d, and <g, dx> = <convWeight(dy, g), w>.
    needs[0] ? convForward(g, ws!, p, hw(dys!)) : null,
    needs[1] ? convWeight(dys!, g, p, hw(ws!)) : null,
  ], () => [dy, w]);
}

/** The weight and parameters that turn a stride-1, single-group conv^T into a conv2d, or null. */
function stride1Transposed(w: Tensor, p: Conv2dParams): { w: Tensor; p: Conv2dParams } | null {
  if (p.stride[0] !== 1 || p.stride[1] !== 1 || p.groups !== 1) return null;
  const [kh, kw] = [w.shape[2]!, w.shape[3]!];
  const pad: [number, number] = [p.dilation[0] * (kh - 1) - p.padding[0], p.dilation[1] * (kw - 1) - p.padding[1]];
  if (pad[0] < 0 || pad[1] < 0) return null;
  const rev = (k: number) => tensor(Int32Array.from({ length: k }, (_, i) => k - 1 - i), { device: w.device });
  const [rh, rw] = [rev(kh), rev(kw)];
  const a = w.indexSelect(2, rh);
  const b = a.indexSelect(3, rw);
  const t = b.transpose(0, 1);
  const flipped = t.contiguous();
  for (const u of [rh, rw, a, b, t]) u.dispose();
  return { w: flipped, p: { ...p, padding: pad } };
}

/** dw [Cout, Cin / groups, kHW]: the gradient of conv2d with respect to its weight. */
function convWeight(dy: Tensor, x: Tensor, p: Conv2dParams, kHW: HW): Tensor {
  return trace('conv2dBackwardWeight', [dy, x], () => {
    const device = checkInputs('conv2dBackwardWeight', dy, x);
    const dw = empty('conv2dBackwardWeight', device, dy.dtype, [dy.shape[1]!, x.shape[1]! / p.groups, ...kHW]);
    getBackend(device).conv.conv2dBackwardWeight(dy, x, dw, p);
    return dw;
  }, (g, [dys, xs], needs) => [
    // <g, dw> = <conv2d(x, g), dy> = <convInput(dy, g), x>.
    needs[0] ? convForward(xs!, g, p, hw(dys!)) : null,
    needs[1] ? convInput(dys!, g, p, hw(xs!)) : null,
  ], () => [dy, x]);
}

// ---- argument checks -----------------------------------------------------------------------------

/** A size option as one integer per spatial dim (nd of them), at least `min`. */
function sizes(op: string, name: string, v: unknown, nd: number, min: number): number[] {
  const list = typeof v === 'number' ? new Array<number>(nd).fill(v) : Array.isArray(v) ? [...(v as number[])] : null;
  if (!list || list.length !== nd || list.some((d) => typeof d !== 'number' || !Number.isInteger(d))) {
    throw new Error(`${op}: ${name} must be an integer or a list of ${nd} integers, got ${JSON.stringify(v)}`);
  }
  if (list.some((d) => d < min)) {
    throw new Error(`${op}: ${name} must be ${min === 0 ? 'non-negative' : 'positive'} (at least ${min}), got ${fmtShape(list)}`);
  }
  return list;
}

interface Geometry {
  /** Spatial dims of the (batched) input, the output and the kernel. */
  input: number[];
  output: number[];
  kernel: number[];
  stride: number[];
  /** Padding before each spatial dim (after: implied by the output size). */
  padBefore: number[];
  dilation: number[];
  groups: number;
  batched: boolean;
}

/**
 * Checks a convolution's operands and options (nd spatial dims) and works out its geometry.
 * `transposed`: the weight is [Cin, Cout / groups, ...kernel] and the output grows.
 */
function checkConv(
  op: string, x: Tensor, w: Tensor, bias: Tensor | null | undefined, nd: number, transposed: boolean,
  o: { stride?: unknown; padding?: unknown; dilation?: unknown; groups?: unknown; outputPadding?: unknown },
): Geometry {
  checkOptions(op, o, transposed ? ['stride', 'padding', 'outputPadding', 'dilation', 'groups'] : ['stride', 'padding', 'dilation', 'groups']);
  checkInputs(op, ...(bias ? [x, w, bias] : [x, w]));
  for (const [name, t] of [['input', x], ['weight', w], ['bias', bias]] as const) {
    if (t && !isFloat(t.dtype)) throw new Error(`${op}: expected floating-point tensors, got ${name} of dtype ${t.dtype} (cast it with .float())`);
  }
  if (w.dtype !== x.dtype || (bias && bias.dtype !== x.dtype)) {
    throw new Error(`${op}: input, weight and bias must have the same dtype, got ${x.dtype}, ${w.dtype}${bias ? ` and ${bias.dtype}` : ''}`);
  }
  const batchedRank = nd + 2;
  if (x.ndim !== batchedRank && x.ndim !== batchedRank - 1) {
    throw new Error(`${op}: expected a ${batchedRank - 1}-D (unbatched) or ${batchedRank}-D (batched) input, got shape ${fmtShape(x.shape)}`);
  }
  if (w.ndim !== batchedRank) {
    throw new Error(`${op}: expected a ${batchedRank}-D weight [${transposed ? 'in_channels, out_channels / groups' : 'out_channels, in_channels / groups'}, ${nd === 1 ? 'kernel' : 'kernel_h, kernel_w'}], got shape ${fmtShape(w.shape)}`);
  }
  const batched = x.ndim === batchedRank;
  const xs = batched ? x.shape : [1, ...x.shape];
  const cin = xs[1]!;
  const input = xs.slice(2);
  const kernel = w.shape.slice(2);
  if (cin === 0 || input.some((d) => d === 0)) throw new Error(`${op}: the input's channel and spatial dims must be non-empty, got shape ${fmtShape(x.shape)}`);
  if (w.shape.some((d) => d === 0)) throw new Error(`${op}: the weight has an empty dimension (shape ${fmtShape(w.shape)})`);

  const groups = checkNumber(op, 'groups', o.groups ?? 1, { int: true, min: 1 });
  const stride = sizes(op, 'stride', o.stride ?? 1, nd, 1);
  const dilation = sizes(op, 'dilation', o.dilation ?? 1, nd, 1);
  if (cin % groups !== 0) throw new Error(`${op}: the input's ${cin} channels are not divisible by groups = ${groups} (input shape ${fmtShape(x.shape)})`);
  // Channels: conv weight [Cout, Cin/g, ...]; transposed weight [Cin, Cout/g, ...].
  const outCh = transposed ? w.shape[1]! * groups : w.shape[0]!;
  if (transposed) {
    if (w.shape[0] !== cin) {
      throw new Error(`${op}: the weight ${fmtShape(w.shape)} expects ${w.shape[0]} input channels (its first dim), but the input ${fmtShape(x.shape)} has ${cin}`);
    }
  } else {
    if (outCh % groups !== 0) throw new Error(`${op}: out_channels = ${outCh} (the weight's first dim, shape ${fmtShape(w.shape)}) is not divisible by groups = ${groups}`);
    if (w.shape[1]! * groups !== cin) {
      throw new Error(
        `${op}: with groups = ${groups}, the weight ${fmtShape(w.shape)} expects an input with ${w.shape[1]! * groups} channels (weight dim 1 times groups), but the input ${fmtShape(x.shape)} has ${cin}`,
      );
    }
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== outCh)) {
    throw new Error(`${op}: bias must have shape [${outCh}] (one value per output channel), got ${fmtShape(bias.shape)}`);
  }

  const span = kernel.map((k, i) => dilation[i]! * (k - 1) + 1); // the dilated kernel's extent
  let padBefore: number[];
  let output: number[];
  if (transposed) {
    const padding = sizes(op, 'padding', o.padding ?? 0, nd, 0);
    const outputPadding = sizes(op, 'outputPadding', o.outputPadding ?? 0, nd, 0);
    outputPadding.forEach((v, i) => {
      if (v >= stride[i]! && v >= dilation[i]!) {
        throw new Error(`${op}: outputPadding must be smaller than either stride or dilation, got outputPadding ${fmtShape(outputPadding)}, stride ${fmtShape(stride)}, dilation ${fmtShape(dilation)}`);
      }
    });
    output = input.map((d, i) => (d - 1) * stride[i]! - 2 * padding[i]! + span[i]! + outputPadding[i]!);
    if (output.some((d) => d <= 0)) {
      throw new Error(`${op}: the output would have spatial size ${fmtShape(output)} (input ${fmtShape(input)}, stride ${fmtShape(stride)}, padding ${fmtShape(padding)}, kernel ${fmtShape(kernel)}, dilation ${fmtShape(dilation)}); it must be positive`);
    }
    padBefore = padding;
  } else {
    const pad = o.padding ?? 0;
    let total: number[];
    if (pad === 'same') {
      if (stride.some((s) => s !== 1)) throw new Error(`${op}: padding 'same' needs stride 1, got stride ${fmtShape(stride)}`);
      // As PyTorch: half the total on each side, the odd one at the end.
      total = span.map((s) => s - 1);
      padBefore = total.map((t) => Math.floor(t / 2));
    } else if (pad === 'valid') {
      total = input.map(() => 0);
      padBefore = total;
    } else if (typeof pad === 'string') {
      throw new Error(`${op}: padding must be 'valid', 'same', an integer or a list of ${nd} integers, got '${pad}'`);
    } else {
      padBefore = sizes(op, 'padding', pad, nd, 0);
      total = padBefore.map((p) => 2 * p);
    }
    const padded = input.map((d, i) => d + total[i]!);
    if (span.some((s, i) => s > padded[i]!)) {
      throw new Error(
        `${op}: the kernel (size ${fmtShape(kernel)}, ${fmtShape(span)} with dilation ${fmtShape(dilation)}) is larger than the padded input (${fmtShape(padded)}: input ${fmtShape(input)} plus padding)`,
      );
    }
    output = padded.map((d, i) => Math.floor((d - span[i]!) / stride[i]!) + 1);
  }
  return { input, output, kernel, stride, padBefore, dilation, groups, batched };
}

const pair = (v: readonly number[]): [number, number] => [v[0]!, v[1]!];

/** y + bias over the channel dim (dim 1 of a batched y). */
function addBias(y: Tensor, bias: Tensor | null | undefined, nd: number): Tensor {
  if (!bias) return y;
  const b = bias.reshape([bias.shape[0]!, ...new Array<number>(nd).fill(1)]);
  const r = y.add(b);
  b.dispose();
  y.dispose();
  return r;
}

/** Runs `f` on x with a batch dim (added as a view when x has none), and removes it from the result. */
function batchedCall(x: Tensor, batched: boolean, f: (xb: Tensor) => Tensor): Tensor {
  if (batched) return f(x);
  const xb = x.unsqueeze(0);
  const yb = f(xb);
  const y = yb.squeeze(0);
  xb.dispose();
  yb.dispose();
  return y;
}

// ---- the public functions ------------------------------------------------------------------------

/**
 * 2-D convolution (PyTorch's `conv2d`): input [N, Cin, H, W] (or unbatched [Cin, H, W]), weight
 * [Cout, Cin / groups, KH, KW], bias [Cout] or none; the output is [N, Cout, OH, OW] with
 * OH = floor((H + 2 padding - dilation (KH - 1) - 1) / stride) + 1.
 *
 *   F.conv2d(x, w, b, { stride: 2, padding: 1 })
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}, ...extra: never[]): Tensor {
  noExtra('conv2d', extra, '(x, weight, bias?, options?)');
  const g = checkConv('conv2d', x, weight, bias, 2, false, options);
  const p: Conv2dParams = { stride: pair(g.stride), padding: pair(g.padBefore), dilation: pair(g.dilation), groups: g.groups };
  return batchedCall(x, g.batched, (xb) => convForward(xb, weight, p, pair(g.output), bias ?? null));
}

/**
 * act(conv2d(x, weight, bias, options)) with the activation (relu, sigmoid or tanh) applied
 * after the bias in the product's store where the kernel can (TF.js's fused conv2d): one
 * output instead of two; its backward starts from that output. The bits are those of conv2d
 * followed by the activation. nn.Sequential runs a Conv2d followed by ReLU, Sigmoid or Tanh
 * this way.
 */
export function fusedConv2d(x: Tensor, weight: Tensor, bias: Tensor, activation: FusedAct, options: Conv2dOptions = {}, ...extra: never[]): Tensor {
  noExtra('fusedConv2d', extra, '(x, weight, bias, activation, options?)');
  if (!(bias instanceof Tensor)) throw new Error(`fusedConv2d: the bias must be a Tensor (the activation follows it), got ${bias === null ? 'null' : typeof bias}`);
  checkChoice('fusedConv2d', 'activation', activation, FUSED_ACTS);
  const g = checkConv('fusedConv2d', x, weight, bias, 2, false, options);
  const p: Conv2dParams = { stride: pair(g.stride), padding: pair(g.padBefore), dilation: pair(g.dilation), groups: g.groups };
  return batchedCall(x, g.batched, (xb) => convForward(xb, weight, p, pair(g.output), bias, activation));
}

/**
 * 1-D convolution (PyTorch's `conv1d`): input [N, Cin, L] (or [Cin, L]), weight [Cout, Cin / groups, K],
 * bias [Cout] or none. Runs as conv2d on [N, Cin, 1, L] views of the same storage.
 */
export function conv1d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv1dOptions = {}, ...extra: never[]): Tensor {
  noExtra('conv1d', extra, '(x, weight, bias?, options?)');
  const g = checkConv('conv1d', x, weight, bias, 1, false, options);
  const p: Conv2dParams = { stride: [1, g.stride[0]!], padding: [0, g.padBefore[0]!], dilation: [1, g.dilation[0]!], groups: g.groups };
  return batchedCall(x, g.batched, (xb) => {
    const x4 = xb.unsqueeze(2);
    const w4 = weight.unsqueeze(2);
    const y4 = convForward(x4, w4, p, [1, g.output[0]!], bias ?? null);
    const y = y4.squeeze(2);
    for (const t of [x4, w4, y4]) t.dispose();
    return y;
  });
}

/**
 * Transposed 2-D convolution (PyTorch's `conv_transpose2d`), the gradient of conv2d with
 * respect to its input: input [N, Cin, H, W] (or [Cin, H, W]), weight [Cin, Cout / groups, KH, KW],
 * bias [Cout] or none; OH = (H - 1) stride - 2 padding + dilation (KH - 1) + outputPadding + 1.
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvTranspose2dOptions = {}, ...extra: never[]): Tensor {
  noExtra('convTranspose2d', extra, '(x, weight, bias?, options?)');
  const g = checkConv('convTranspose2d', x, weight, bias, 2, true, options);
  const p: Conv2dParams = { stride: pair(g.stride), padding: pair(g.padBefore), dilation: pair(g.dilation), groups: g.groups };
  return batchedCall(x, g.batched, (xb) => addBias(convInput(xb, weight, p, pair(g.output), 'convTranspose2d'), bias, 2));
}
