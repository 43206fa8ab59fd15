/**
 * The interface a backend implements. Ops (src/tensor/ops) are written once against it:
 * they check shapes and dtypes, allocate the output, and call exactly one kernel method.
 * Every method only enqueues work; the one way back to the host is the async `read`.
 */
import type { DType, TypedArray } from '../core/dtype.js';
import type { Storage } from '../core/storage.js';
import type { BinaryOp, ReduceOp, UnaryOp } from './ops.js';

import type { DeviceName } from '../core/device.js';
import type { IndexCheckOp } from './index_check.js';
export type { DeviceName };

/** A strided window on a storage: what every kernel reads and writes. Tensors are Views. */
export interface View {
  readonly storage: Storage;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

export type RandomDist =
  | { kind: 'uniform'; low: number; high: number }
  | { kind: 'normal'; mean: number; std: number }
  | { kind: 'int'; low: number; high: number };

export type OptimizerKind = 'sgd' | 'adam' | 'rmsprop';

/** The hyper-parameters of one optimizer step (the union over kinds; unused fields are ignored). */
export interface OptimizerHyper {
  lr: number;
  weightDecay: number;
  maximize: boolean;
  /** SGD and RMSprop momentum. */
  momentum: number;
  useMomentum: boolean;
  dampening: number;
  nesterov: boolean;
  /** The momentum buffer starts at this step (SGD: it takes the gradient itself). */
  first: boolean;
  beta1: number;
  beta2: number;
  eps: number;
  amsgrad: boolean;
  /** AdamW's decoupled weight decay. */
  decoupled: boolean;
  /** 1 - beta1^t and 1 - beta2^t, computed in double precision. */
  biasCorrection1: number;
  biasCorrection2: number;
  /** RMSprop smoothing constant and centering. */
  alpha: number;
  centered: boolean;
}

export interface BackendMemory {
  /** Live storages (buffers held by tensors). */
  buffers: number;
  /** Bytes held by live storages. */
  bytes: number;
  /** Bytes kept in the pool for reuse (webgpu), not held by any tensor. */
  pooledBytes: number;
  /** Buffers kept in the pool. */
  pooledBuffers: number;
}

export interface Backend {
  readonly name: DeviceName;
  /** Which dtypes this backend stores. */
  supports(dtype: DType): boolean;

  /** A storage for `length` elements; contents are unspecified. */
  allocate(dtype: DType, length: number): Storage;
  /** A storage holding a copy of `data`. */
  upload(dtype: DType, data: TypedArray): Storage;
  /** Gives a storage's buffer back (called by Storage, once). */
  free(handle: unknown, bytes: number): void;
  /** A contiguous host copy of the view's elements. */
  read(x: View): Promise<TypedArray>;

  /** out = op(x), elementwise; out is contiguous with x's shape. `params`: the op's parameters (a0, a1). */
  unary(op: UnaryOp, x: View, out: View, params?: readonly number[]): void;
  /** out = op(a, b); a and b are already broadcast (stride 0) to out's shape. */
  binary(op: BinaryOp, a: View, b: View, out: View): void;
  /** out = cond ? a : b; all broadcast to out's shape. */
  where(cond: View, a: View, b: View, out: View): void;
  /** Strided copy with dtype conversion; out may be any view (cat writes into slices). */
  copy(x: View, out: View): void;
  /**
   * Reduces the last `reduceRank` dims of x; out is contiguous with x's leading dims.
   * argmax/argmin write the flat index within the reduced dims (first occurrence).
   */
  reduce(op: ReduceOp, x: View, reduceRank: number, out: View): void;
  /** out[..., m, n] = sum_k a[..., m, k] * b[..., k, n]; batch dims already broadcast. */
  matmul(a: View, b: View, out: View): void;
  /** out[i] = x[i with coordinate `dim` replaced by index[i]]; index is int32 with out's shape. */
  gather(x: View, dim: number, index: View, out: View): void;
  /**
   * out[i with coordinate `dim` replaced by index[i]] += src[i] for every i over index's shape
   * (src has index's shape; out is contiguous and already filled). Repeated indices add up.
   */
  scatterAdd(src: View, dim: number, index: View, out: View): void;
  fill(out: View, value: number): void;
  /** out[i] = start + i * step (contiguous out). */
  arange(out: View, start: number, step: number): void;
  /** Counter-based random numbers: element i uses counters starting at `counter + i` (see random.ts). */
  random(out: View, dist: RandomDist, seed: number, counter: number): void;

  // ---- nn kernels: convolution (cpu/nn_conv.ts, webgpu/nn_conv.ts) ----
  /**
   * 2-D convolution, NCHW (cross-correlation, as in PyTorch). Shapes come from the views:
   * x [N, Cin, H, W], w [Cout, Cin / groups, KH, KW], y [N, Cout, OH, OW] (contiguous, fresh):
   * y[n, o, i, j] = sum over c, a, b of x[n, g(o) * Cin/groups + c, i * sh - ph + a * dh, j * sw - pw + b * dw] * w[o, c, a, b],
   * where taps outside x read zero. `padding` is the top/left padding; the bottom/right padding
   * is whatever OH and OW imply (asymmetric 'same' padding needs nothing else).
   */
  conv2d(x: View, w: View, y: View, p: Conv2dParams): void;
  /**
   * The gradient of conv2d with respect to x (also convTranspose2d's forward): dx [N, Cin, H, W]
   * (contiguous, fresh) gets, at each element, the sum over the (dy, w) pairs whose tap reads it.
   * dy [N, Cout, OH, OW], w as for conv2d.
   */
  conv2dBackwardInput(dy: View, w: View, dx: View, p: Conv2dParams): void;
  /** The gradient of conv2d with respect to w: dw [Cout, Cin / groups, KH, KW] (contiguous, fresh). */
  conv2dBackwardWeight(dy: View, x: View, dw: View, p: Conv2dParams): void;

  // ---- nn kernels: pooling (cpu/nn_pool.ts, webgpu/nn_pool.ts) ----
  /**
   * Max pooling of x [N, C, H, W] (any strides) into out and indices (int32), both contiguous
   * [N, C, OH, OW]; the windows are spec's (see Pool2dSpec in cpu/nn_pool.ts). indices hold
   * h * W + w of each window's maximum (the first in row-major order; NaN wins).
   */
  maxPool2d(x: View, spec: Pool2dSpec, out: View, indices: View): void;
  /** out [N, C, H, W] (contiguous, fresh) = the sum of the g [N, C, OH, OW] whose argmax (indices) is each element. */
  maxPool2dBackward(g: View, indices: View, spec: Pool2dSpec, out: View): void;
  /** Average pooling (plain or adaptive windows, spec's divisor) of x [N, C, H, W] (any strides) into contiguous out. */
  avgPool2d(x: View, spec: Pool2dSpec, out: View): void;
  /** The adjoint of avgPool2d: g [N, C, OH, OW] spread over the windows into out [N, C, H, W] (contiguous, fresh). */
  avgPool2dBackward(g: View, spec: Pool2dSpec, out: View): void;
  /** An int32 index outside [0, size) is an error naming `op` (thrown on cpu; reported at the next read on webgpu). */
  checkIndexRange(op: IndexCheckOp, index: View, size: number): void;

  // ---- nn kernels: softmax and losses (cpu/nn_softmax.ts, webgpu/nn_softmax.ts) ----
  /**
   * out = softmax(x) along `dim` (log-softmax when `log`), the row max subtracted first; out is
   * contiguous with x's shape. Float input.
   */
  softmax(x: View, dim: number, log: boolean, out: View): void;
  /**
   * Cross-entropy with class indices, fused: x holds logits with the classes along `dim`, target
   * int32 class indices with x's shape less `dim`, weight [C] class weights or null. Writes, per
   * sample (target's shape, contiguous): loss = -(1 - e) w[t] logp[t] - (e / C) sum_c w[c] logp[c]
   * (e = labelSmoothing) and rowWeight = w[t]; when `grad` is given (x's shape, contiguous),
   * d loss / d x. Ignored samples get 0 in all three. A target neither in [0, C) nor ignoreIndex
   * is an error (thrown on cpu; reported at the next read on webgpu).
   */
  crossEntropy(a: ClassLossArgs, labelSmoothing: number, grad: View | null): void;
  /** loss = -w[t] x[t] per sample, rowWeight = w[t], as crossEntropy but on log-probabilities and without a gradient. */
  nllLoss(a: ClassLossArgs): void;

  // ---- nn kernels: batch normalization (cpu/nn_norm.ts, webgpu/nn_norm.ts) ----
  /** Per-channel mean and biased variance of x [N, C, S] (contiguous, offset 0). */
  batchNormStats(x: View, mean: View, variance: View): void;
  /** y = (x - mean) / sqrt(variance + eps) * weight + bias, per channel of x [N, C, S]. */
  batchNormApply(x: View, mean: View, variance: View, weight: View | null, bias: View | null, eps: number, y: View): void;
  /**
   * sums = [sum(g), sum(g * xhat)] per channel ([2C]) and dx: with `batchStats` the gradient
   * through the batch statistics too, else g * weight / sqrt(variance + eps).
   */
  batchNormBackward(g: View, x: View, mean: View, variance: View, weight: View | null, eps: number, batchStats: boolean, sums: View, dx: View): void;

  // ---- optimizers (cpu/optim.ts, webgpu/optim.ts, shaders/optimizer.wgsl) ----
  /**
   * One fused optimizer step on one parameter, in place: `param` and the `state` buffers (see
   * shaders/optimizer.wgsl for which is which; null where unused) are updated from `grad`.
   * All are contiguous and of the parameter's shape.
   */
  optimizerStep(kind: OptimizerKind, param: View, grad: View, state: readonly (View | null)[], h: OptimizerHyper): void;

  memory(): BackendMemory;
  /** Frees every pooled (unused) buffer; returns the bytes freed (0 on cpu, which pools nothing). */
  trimPool(): number;
  /** Waits until all enqueued work has finished (a no-op on cpu). */
  sync(): Promise<void>;
}

// ---- nn kernels: convolution (the parameters of the methods above) ----
/** A 2-D convolution's geometry beyond the shapes; each pair is [along H, along W]. */
export interface Conv2dParams {
  readonly stride: readonly [number, number];
  /** Zero padding before the first row / column (the padding after is implied by the output size). */
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly groups: number;
}

/** The windows of a pooling along one spatial axis. */
export interface PoolAxis {
  /** Input length along the axis. */
  size: number;
  /** Output length along the axis. */
  out: number;
  kernel: number;
  stride: number;
  padding: number;
  dilation: number;
  /**
   * Adaptive windows: output o averages [floor(o * size / out), ceil((o + 1) * size / out)),
   * and kernel/stride/padding/dilation are unused.
   */
  adaptive: boolean;
}

/**
 * A 2-D pooling over [N, C, H, W]: the windows along H and W, and (average pooling only) the
 * divisor: the window's area inside the padded input (countIncludePad), or its number of real
 * input elements, or divisorOverride.
 */
export interface Pool2dSpec {
  h: PoolAxis;
  w: PoolAxis;
  countIncludePad: boolean;
  divisorOverride: number | null;
}

/**
 * The arguments of the class-index losses (crossEntropy, nllLoss): x with the classes along
 * `dim`, int32 target class indices with x's shape less `dim`, weight [C] class weights or
 * null; the kernels write loss and rowWeight per sample (target's shape, contiguous).
 */
export interface ClassLossArgs {
  x: View;
  dim: number;
  target: View;
  weight: View | null;
  ignoreIndex: number;
  loss: View;
  rowWeight: View;
}
