/**
 * The Tensor: a strided view (shape, strides, offset) on a Storage that lives on one backend.
 * Ops return new tensors (views share their base's storage); the in-place ops (`add_`,
 * `copy_`, ...) write into the storage and bump its version.
 * Methods are thin: the work is in src/tensor/ops, one module per family.
 */
import { noExtra } from '../core/options.js';
import type { DeviceName, View } from '../kernels/backend.js';
import type { DType, TypedArray } from '../core/dtype.js';
import { trackTensor, untrackTensor, setTensorCheck } from './memory.js';
import { contiguousStrides, isContiguous, numel, type Shape } from '../core/shape.js';
import type { Storage } from '../core/storage.js';
import * as ew from './ops/elementwise.js';
import * as red from './ops/reduce.js';
import * as vw from './ops/views.js';
import * as mm from './ops/matmul.js';
import * as ix from './ops/indexing.js';
import * as io from './ops/transfer.js';
import * as ip from './ops/inplace.js';
import * as sc from './ops/scan.js';
import * as sp from './ops/split.js';
import * as so from './ops/sort.js';
import * as sr from './ops/scatter.js';
import { formatTensor } from './format.js';
import { isDType, isFloat } from '../core/dtype.js';
import type { GradHook, Node } from '../autograd/node.js';
import * as ag from '../autograd/engine.js';

export type Scalar = number | boolean;
export type TensorOrScalar = Tensor | Scalar;
/** Reduction options (PyTorch's positional `keepdim` is accepted too). */
export interface ReduceOptions {
  keepdim?: boolean;
}
export interface VarOptions extends ReduceOptions {
  /** Bessel's correction: the divisor is N - correction (default 1, as in PyTorch). */
  correction?: number;
}
/** One axis of `slice`: [start, stop, step] with Python semantics; null/undefined = whole axis. */
export type SliceSpec = readonly [start?: number | null, stop?: number | null, step?: number] | number | null | undefined;

export class Tensor implements View {
  readonly storage: Storage;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  /** Host copy of the values once read (valid while the storage is not written)... */
  cachedValues: TypedArray | undefined;
  /** ...unless the storage was written in place since (see Storage.version). */
  cachedVersion = 0;
  private disposedFlag = false;
  private requiresGradFlag = false;
  private gradFnNode: Node | null = null;
  /** The gradient, filled by `backward()` (leaves, and non-leaves that called `retainGrad()`). */
  grad: Tensor | null = null;
  /** @internal A saved handle of a leaf points gradients to the leaf itself. */
  leafOrigin: Tensor | undefined;
  /** @internal Hooks on a leaf's gradient (non-leaf hooks live on the node). */
  readonly leafHooks: GradHook[] = [];
  private retainsGradFlag = false;

  /** @internal Use the creation functions (`tensor`, `zeros`, ...) instead. */
  constructor(storage: Storage, shape: Shape, strides?: readonly number[], offset = 0) {
    this.storage = storage;
    this.shape = Object.freeze([...shape]);
    this.strides = Object.freeze(strides ? [...strides] : contiguousStrides(shape));
    this.offset = offset;
    storage.retain();
    trackTensor(this, storage.backend.name);
  }

  get dtype(): DType {
    return this.storage.dtype;
  }
  get device(): DeviceName {
    return this.storage.backend.name;
  }
  get ndim(): number {
    return this.shape.length;
  }
  /** Number of elements. */
  get size(): number {
    return numel(this.shape);
  }
  numel(): number {
    return numel(this.shape);
  }
  get isDisposed(): boolean {
    return this.disposedFlag;
  }
  isContiguous(): boolean {
    return isContiguous(this.shape, this.strides);
  }

  /** Releases this tensor's claim on its storage now (the buffer returns when no view uses it). */
  dispose(): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    untrackTensor(this, this.device);
    this.storage.releaseRef();
  }

  // ---- autograd ----------------------------------------------------------------------------
  /** Whether gradients are computed for this tensor (set on leaves; results of ops inherit it). */
  get requiresGrad(): boolean {
    return this.requiresGradFlag;
  }
  set requiresGrad(on: boolean) {
    if (this.gradFnNode) {
      if (on) return;
      throw new Error(
        `requiresGrad: can only change the flag of a leaf tensor; this one (${this.shape.length ? `[${this.shape.join(', ')}]` : 'scalar'}) was made by '${this.gradFnNode.name}'. Use detach() for a copy without history`,
      );
    }
    if (on && !isFloat(this.dtype)) {
      throw new Error(`requiresGrad: only floating-point tensors can require gradients, got a ${this.dtype} tensor of shape [${this.shape.join(', ')}]`);
    }
    this.requiresGradFlag = on;
  }
  /** Sets `requiresGrad` (default true) and returns this tensor, like PyTorch's `requires_grad_()`. */
  requiresGrad_(on = true): this {
    this.requiresGrad = on;
    return this;
  }
  /** The node of the op that made this tensor (null for leaves). */
  get gradFn(): Node | null {
    return this.gradFnNode;
  }
  /** @internal Called by `trace` when an op's output is recorded. */
  setGradFn(node: Node): void {
    this.gradFnNode = node;
    this.requiresGradFlag = true;
  }
  /** @internal */
  setLeafOrigin(leaf: Tensor): void {
    this.leafOrigin = leaf;
    this.requiresGradFlag = true;
  }
  /** True for tensors not made by a recorded op: those you create, and results made under noGrad. */
  get isLeaf(): boolean {
    return this.gradFnNode === null;
  }
  /** Whether `.grad` is filled for this non-leaf tensor (see `retainGrad`). */
  get retainsGrad(): boolean {
    return this.retainsGradFlag;
  }
  /**
   * Computes the gradient of this tensor with respect to every leaf that requires grad and
   * accumulates it into their `.grad`. A non-scalar tensor needs `gradient` (same shape).
   * `loss.backward({ retainGraph: true })` and `y.backward(g, { createGraph: true })` both work.
   */
  backward(gradient?: Tensor | ag.BackwardOptions | null, options: ag.BackwardOptions = {}): void {
    if (gradient && !(gradient instanceof Tensor)) ag.backward(this, undefined, gradient);
    else ag.backward(this, gradient ?? undefined, options);
  }
  /** A tensor with the same values (same storage) and no history: it does not require grad. */
  detach(): Tensor {
    return new Tensor(this.storage, this.shape, this.strides, this.offset);
  }
  /**
   * Calls `hook(grad)` each time a gradient for this tensor is computed; a returned tensor
   * replaces the gradient. Returns a handle whose `remove()` takes the hook off.
   */
  registerHook(hook: GradHook): { remove(): void } {
    if (!this.requiresGrad) throw new Error(`registerHook: the tensor (shape [${this.shape.join(', ')}]) does not require grad, so it never gets a gradient`);
    const list = this.gradFnNode ? this.gradFnNode.hooks : this.leafHooks;
    list.push(hook);
    return {
      remove: () => {
        const i = list.indexOf(hook);
        if (i >= 0) list.splice(i, 1);
      },
    };
  }
  /** Fills `.grad` of this non-leaf tensor on backward, as for leaves. */
  retainGrad(): void {
    if (!this.requiresGrad) throw new Error(`retainGrad: the tensor (shape [${this.shape.join(', ')}]) does not require grad`);
    if (!this.gradFnNode || this.retainsGradFlag) return;
    this.retainsGradFlag = true;
    this.gradFnNode.hooks.push((g) => {
      ag.accumulateInto(this, g);
    });
  }

  // ---- moving data -------------------------------------------------------------------------
  /** A contiguous host copy of the values, in row-major order. The one way to read back. */
  data(): Promise<TypedArray> {
    return io.data(this);
  }
  /** The values as nested JS arrays (numbers; booleans for bool tensors). */
  toArray(): Promise<unknown> {
    return io.toArray(this);
  }
  /** The value of a one-element tensor. */
  item(): Promise<number> {
    return io.item(this);
  }
  /**
   * This tensor on `device`, as a new tensor. Async because a move off the GPU must wait for
   * the GPU; moving onto it only enqueues the upload.
   * Given a dtype instead (`x.to('int8')`), the same as `cast(dtype)`: synchronous, on this device.
   */
  to(device: DeviceName): Promise<Tensor>;
  to(dtype: DType): Tensor;
  to(target: DeviceName | DType): Promise<Tensor> | Tensor {
    if (isDType(target)) return ew.cast(this, target);
    return io.to(this, target);
  }
  /** Prints like PyTorch; values of webgpu tensors show once read (see `format()`). */
  toString(): string {
    return formatTensor(this, this.knownValues());
  }
  /** The values if they are on the host now: cpu tensors, or webgpu ones read since their last write. */
  private knownValues(): TypedArray | undefined {
    if (this.isDisposed) return undefined;
    return (this.cachedVersion === this.storage.version ? this.cachedValues : undefined) ?? io.valuesIfHost(this);
  }
  /**
   * What `console.log(t)` and Node's `util.inspect` print: the same text as `toString()`
   * (values when known, with requiresGrad and gradFn), not the storage and device internals.
   * Found by its registered symbol, so the core imports nothing from Node.
   */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
  /** Reads the values if needed, then formats like `toString()`. */
  async format(): Promise<string> {
    if (this.isDisposed) return formatTensor(this, undefined); // prints <disposed>, like toString()
    return formatTensor(this, await this.data());
  }
  /** Prints `format()` to the console. */
  async print(): Promise<void> {
    console.log(await this.format());
  }

  // ---- views -------------------------------------------------------------------------------
  reshape(...shape: (number | readonly number[])[]): Tensor {
    return vw.reshape(this, vw.shapeArg(shape, 'reshape'));
  }
  /** Like reshape, but never copies: throws if the strides do not allow a view. */
  view(...shape: (number | readonly number[])[]): Tensor {
    return vw.view(this, vw.shapeArg(shape, 'view'));
  }
  transpose(dim0 = 0, dim1 = 1): Tensor {
    return vw.transpose(this, dim0, dim1);
  }
  /** Transpose of a 2-D tensor (reverses the dims of any rank, like PyTorch's deprecated .T). */
  get T(): Tensor {
    return vw.permute(this, this.shape.map((_, i) => this.ndim - 1 - i));
  }
  permute(...dims: (number | readonly number[])[]): Tensor {
    return vw.permute(this, vw.shapeArg(dims, 'permute'));
  }
  expand(...shape: (number | readonly number[])[]): Tensor {
    return vw.expand(this, vw.shapeArg(shape, 'expand'));
  }
  squeeze(dim?: number | readonly number[]): Tensor {
    return vw.squeeze(this, dim);
  }
  unsqueeze(dim: number): Tensor {
    return vw.unsqueeze(this, dim);
  }
  /** Views of `size` elements along `dim` (the last smaller), or of the lengths listed: torch.split. */
  split(sizeOrSections: number | readonly number[], dim = 0, ...extra: never[]): Tensor[] {
    return sp.split(this, sizeOrSections, dim, ...extra);
  }
  /** `n` views along `dim` of ceil(length / n) elements (the last smaller; fewer if need be): torch.chunk. */
  chunk(n: number, dim = 0, ...extra: never[]): Tensor[] {
    return sp.chunk(this, n, dim, ...extra);
  }
  /** The lower triangle (j <= i + diagonal) of the matrices in the last two dims, zeros elsewhere. */
  tril(diagonal = 0, ...extra: never[]): Tensor {
    return sp.tril(this, diagonal, ...extra);
  }
  /** The upper triangle (j >= i + diagonal) of the matrices in the last two dims, zeros elsewhere. */
  triu(diagonal = 0, ...extra: never[]): Tensor {
    return sp.triu(this, diagonal, ...extra);
  }
  /** Python-style slicing per axis: `x.slice([1, null, 2], 0)` = x[1::2, 0]. */
  slice(...specs: SliceSpec[]): Tensor {
    return vw.slice(this, specs);
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return vw.narrow(this, dim, start, length);
  }
  select(dim: number, index: number): Tensor {
    return vw.select(this, dim, index);
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return vw.flatten(this, startDim, endDim);
  }
  /** A view of this tensor if it is contiguous, else a contiguous copy. */
  contiguous(): Tensor {
    return vw.contiguous(this);
  }
  /** A copy with its own storage. */
  clone(): Tensor {
    return vw.clone(this);
  }
  cast(dtype: DType): Tensor {
    return ew.cast(this, dtype);
  }
  float(): Tensor {
    return ew.cast(this, 'float32');
  }
  int(): Tensor {
    return ew.cast(this, 'int32');
  }
  double(): Tensor {
    return ew.cast(this, 'float64');
  }
  /** `cast('float16')`, PyTorch's `half()`: rounded to the nearest float16 (ties to even; past 65504, infinity). */
  half(): Tensor {
    return ew.cast(this, 'float16');
  }
  /** `cast('int8')`, PyTorch's `char()`: truncates toward zero, then wraps modulo 256. cpu only. */
  char(): Tensor {
    return ew.cast(this, 'int8');
  }
  /** `cast('uint8')`, PyTorch's `byte()`: truncates toward zero, then wraps modulo 256 (-1 is 255). cpu only. */
  byte(): Tensor {
    return ew.cast(this, 'uint8');
  }

  // ---- elementwise -------------------------------------------------------------------------
  neg(): Tensor { return ew.unary('neg', this); }
  abs(): Tensor { return ew.unary('abs', this); }
  exp(): Tensor { return ew.unary('exp', this); }
  log(): Tensor { return ew.unary('log', this); }
  /** log(1 + x), accurate for x near 0 (where log(1 + x) loses the digits of x). */
  log1p(): Tensor { return ew.unary('log1p', this); }
  /** e^x - 1, accurate for x near 0 (where exp(x) - 1 cancels). */
  expm1(): Tensor { return ew.unary('expm1', this); }
  sqrt(): Tensor { return ew.unary('sqrt', this); }
  rsqrt(): Tensor { return ew.unary('rsqrt', this); }
  sin(): Tensor { return ew.unary('sin', this); }
  cos(): Tensor { return ew.unary('cos', this); }
  tanh(): Tensor { return ew.unary('tanh', this); }
  sigmoid(): Tensor { return ew.unary('sigmoid', this); }
  relu(): Tensor { return ew.unary('relu', this); }
  square(): Tensor { return ew.unary('square', this); }
  sign(): Tensor { return ew.unary('sign', this); }
  /** true where the element is 0 (false), as a bool tensor: the inversion of a mask. */
  logicalNot(): Tensor { return ew.binary('eq', this, 0); }
  /** The error function, 2/sqrt(pi) times the integral of e^(-t^2) from 0 to x. */
  erf(): Tensor { return ew.unary('erf', this); }
  /** Rounds to the nearest integer, halves to even (0.5 -> 0, 1.5 -> 2), as torch.round; int32 stays as it is. `{ decimals }` rounds to that many digits. */
  round(options?: ew.RoundOptions, ...extra: never[]): Tensor { return ew.round(this, options, ...extra); }
  /** The largest integer <= x (same dtype; int32 stays as it is). */
  floor(...extra: never[]): Tensor { noExtra('floor', extra, 'no arguments'); return ew.unary('floor', this); }
  /** The smallest integer >= x (same dtype; int32 stays as it is). */
  ceil(...extra: never[]): Tensor { noExtra('ceil', extra, 'no arguments'); return ew.unary('ceil', this); }
  /** x with its fractional part dropped, toward zero (same dtype; int32 stays as it is). */
  trunc(...extra: never[]): Tensor { noExtra('trunc', extra, 'no arguments'); return ew.unary('trunc', this); }

  add(other: TensorOrScalar): Tensor { return ew.binary('add', this, other); }
  sub(other: TensorOrScalar): Tensor { return ew.binary('sub', this, other); }
  mul(other: TensorOrScalar): Tensor { return ew.binary('mul', this, other); }
  div(other: TensorOrScalar): Tensor { return ew.binary('div', this, other); }
  pow(other: TensorOrScalar): Tensor { return ew.binary('pow', this, other); }
  maximum(other: TensorOrScalar): Tensor { return ew.binary('maximum', this, other); }
  minimum(other: TensorOrScalar): Tensor { return ew.binary('minimum', this, other); }
  eq(other: TensorOrScalar): Tensor { return ew.binary('eq', this, other); }
  ne(other: TensorOrScalar): Tensor { return ew.binary('ne', this, other); }
  lt(other: TensorOrScalar): Tensor { return ew.binary('lt', this, other); }
  le(other: TensorOrScalar): Tensor { return ew.binary('le', this, other); }
  gt(other: TensorOrScalar): Tensor { return ew.binary('gt', this, other); }
  ge(other: TensorOrScalar): Tensor { return ew.binary('ge', this, other); }
  /** Limits values to [min, max]; either bound may be omitted (null/undefined). */
  clamp(min?: TensorOrScalar | null, max?: TensorOrScalar | null): Tensor {
    return ew.clamp(this, min, max);
  }

  // ---- reductions --------------------------------------------------------------------------
  // Each takes `(dim, keepdim)`, `(dim, { keepdim })` or `({ dim, keepdim })`.
  sum(dim?: red.DimArg, keepdim?: boolean | ReduceOptions): Tensor {
    return red.sum(this, dim, keepdim);
  }
  mean(dim?: red.DimArg, keepdim?: boolean | ReduceOptions): Tensor {
    return red.mean(this, dim, keepdim);
  }
  prod(dim?: red.DimArg, keepdim?: boolean | ReduceOptions): Tensor {
    return red.prod(this, dim, keepdim);
  }
  /**
   * The maximum of all elements, or over a list of dims, as a tensor; over one dim (a number),
   * as PyTorch, the values and their indices: `const [values, indices] = x.max(1)` (or
   * `.values` / `.indices`). `amax` always gives a tensor.
   */
  max(dim: number | { dim: number; keepdim?: boolean }, keepdim?: boolean | ReduceOptions): red.MinMaxResult;
  max(dim?: red.DimArg, keepdim?: boolean | ReduceOptions): Tensor;
  max(dim?: red.DimArg, keepdim?: boolean | ReduceOptions): Tensor | red.MinMaxResult {
    return red.max(this, dim, keepdim);
  }
  /** As `max`: a tensor, or over one dim `[values, indices]`. */
  min(dim: number | { dim: number; keepdim?: boolean }, keepdim?: boolean | ReduceOptions): red.MinMaxResult;
  min(dim?: red.DimArg, keepdim?: boolean | ReduceOptions): Tensor;
  min(dim?: red.DimArg, keepdim?: boolean | ReduceOptions): Tensor | red.MinMaxResult {
    return red.min(this, dim, keepdim);
  }
  /** Maximum values over any dims (all when omitted), always a tensor (torch.amax). */
  amax(dim?: red.DimArg, keepdim?: boolean | ReduceOptions): Tensor {
    return red.amax(this, dim, keepdim);
  }
  amin(dim?: red.DimArg, keepdim?: boolean | ReduceOptions): Tensor {
    return red.amin(this, dim, keepdim);
  }
  /** Index of the first maximum along `dim` (of the flattened tensor when omitted); a NaN counts as the maximum (argmin: the minimum), as in PyTorch. */
  argmax(dim?: number | null | (ReduceOptions & { dim?: number | null }), keepdim?: boolean | ReduceOptions): Tensor {
    return red.argmax(this, dim, keepdim);
  }
  argmin(dim?: number | null | (ReduceOptions & { dim?: number | null }), keepdim?: boolean | ReduceOptions): Tensor {
    return red.argmin(this, dim, keepdim);
  }
  var(dim?: number | readonly number[] | null | (VarOptions & { dim?: number | readonly number[] | null }), opts?: boolean | VarOptions): Tensor {
    return red.variance(this, dim, opts);
  }
  std(dim?: number | readonly number[] | null | (VarOptions & { dim?: number | readonly number[] | null }), opts?: boolean | VarOptions): Tensor {
    return red.std(this, dim, opts);
  }
  logsumexp(dim?: red.DimArg, keepdim?: boolean | ReduceOptions): Tensor {
    return red.logsumexp(this, dim, keepdim);
  }

  // ---- linear algebra and indexing --------------------------------------------------------
  matmul(other: Tensor): Tensor {
    return mm.matmul(this, other);
  }
  /** [values, int32 indices] sorted along `dim` (default -1), as torch.sort; NaN largest, always stable. */
  sort(options?: so.SortOptions, ...extra: never[]): [Tensor, Tensor] {
    return so.sort(this, options, ...extra);
  }

  /** The int32 indices that sort this along `dim`, as torch.argsort. */
  argsort(options?: so.SortOptions, ...extra: never[]): Tensor {
    return so.argsort(this, options, ...extra);
  }

  /** [values, indices] of the k-th smallest entry along `dim` (k from 1), as torch.kthvalue. */
  kthvalue(k: number, options?: so.KthvalueOptions, ...extra: never[]): [Tensor, Tensor] {
    return so.kthvalue(this, k, options, ...extra);
  }

  /** The lower median: of all entries (0-d) or, with `{ dim }`, [values, indices] along dim; NaN propagates. */
  median(): Tensor;
  median(options: so.KthvalueOptions & { dim: number }): [Tensor, Tensor];
  median(options?: so.KthvalueOptions, ...extra: never[]): Tensor | [Tensor, Tensor] {
    return so.median(this, options, ...extra);
  }

  /** median ignoring NaN, as torch.nanmedian. */
  nanmedian(): Tensor;
  nanmedian(options: so.KthvalueOptions & { dim: number }): [Tensor, Tensor];
  nanmedian(options?: so.KthvalueOptions, ...extra: never[]): Tensor | [Tensor, Tensor] {
    return so.nanmedian(this, options, ...extra);
  }

  /** The q-th quantiles (q a number or a 1-D tensor) along `dim` or of all entries, as torch.quantile. */
  quantile(q: number | Tensor, options?: so.QuantileOptions, ...extra: never[]): Tensor {
    return so.quantile(this, q, options, ...extra);
  }

  /** quantile ignoring NaN, as torch.nanquantile. */
  nanquantile(q: number | Tensor, options?: so.QuantileOptions, ...extra: never[]): Tensor {
    return so.nanquantile(this, q, options, ...extra);
  }

  /** src reduced into a copy of this at the positions index names along dim, as torch.scatter_reduce. */
  scatterReduce(dim: number, index: Tensor, src: Tensor, reduce: sr.ScatterReduceMode, options?: sr.ScatterReduceOptions, ...extra: never[]): Tensor {
    return sr.scatterReduce(this, dim, index, src, reduce, options, ...extra);
  }

  /** A copy of this with src (a tensor or a number) written at the positions index names along dim, as torch.scatter. */
  scatter(dim: number, index: Tensor, src: Tensor | number, ...extra: never[]): Tensor {
    return sr.scatter(this, dim, index, src, ...extra);
  }

  /** The inclusive prefix sums along `dim` (negative counts from the end), as torch.cumsum. */
  cumsum(dim: number, ...extra: never[]): Tensor {
    return sc.cumsum(this, dim, ...extra);
  }
  /** The inclusive prefix products along `dim` (negative counts from the end), as torch.cumprod; its gradient is exact where x has zeros. */
  cumprod(dim: number, ...extra: never[]): Tensor {
    return sc.cumprod(this, dim, ...extra);
  }
  gather(dim: number, index: Tensor): Tensor {
    return ix.gather(this, dim, index);
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return ix.indexSelect(this, dim, index);
  }
  /** A copy of this tensor with `src` added at the positions `index` names along `dim`. */
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return ix.scatterAdd(this, dim, index, src);
  }

  // ---- in-place ----------------------------------------------------------------------------
  // Each writes into this tensor's elements (through a view into its base: x.slice([0, 2]).copy_(y)
  // is PyTorch's x[0:2] = y), bumps the storage version and returns this tensor. The result
  // keeps this tensor's shape and dtype. Not recorded by autograd: with grad mode on, refused
  // when this tensor or an operand requires grad (see docs/autograd.md); allowed inside noGrad.
  /** this += alpha * other (alpha defaults to 1). */
  add_(other: TensorOrScalar, options?: ip.AlphaOptions): this { ip.binaryInplace('add', this, other, options); return this; }
  /** this -= alpha * other (alpha defaults to 1). */
  sub_(other: TensorOrScalar, options?: ip.AlphaOptions): this { ip.binaryInplace('sub', this, other, options); return this; }
  mul_(other: TensorOrScalar, noOptions?: Record<string, never>): this { ip.binaryInplace('mul', this, other, noOptions); return this; }
  /** True division: refused on an integer tensor (the result is float), as in PyTorch. */
  div_(other: TensorOrScalar, noOptions?: Record<string, never>): this { ip.binaryInplace('div', this, other, noOptions); return this; }
  pow_(other: TensorOrScalar, noOptions?: Record<string, never>): this { ip.binaryInplace('pow', this, other, noOptions); return this; }
  /** Sets every element to `value` (int32 truncates toward zero; bool takes value != 0). */
  fill_(value: Scalar | Tensor): this { ip.fillInplace(this, value); return this; }
  zero_(): this { ip.fillInplace(this, 0, 'zero_'); return this; }
  /**
   * Writes src's values into this tensor: src broadcasts to this shape and is converted to this
   * dtype; cpu -> webgpu uploads, webgpu -> cpu needs `x.copy_(await src.to('cpu'))`.
   */
  copy_(src: Tensor): this { ip.copyInplace(this, src); return this; }
  clamp_(min?: TensorOrScalar | null, max?: TensorOrScalar | null): this { ip.clampInplace(this, min, max); return this; }
  /** Sets the elements where the bool `mask` (broadcast to this shape) is true: PyTorch's masked_fill_. */
  maskedFill_(mask: Tensor, value: Scalar): this { ip.maskedFillInplace(this, mask, value); return this; }
  neg_(): this { ip.unaryInplace('neg', this); return this; }
  abs_(): this { ip.unaryInplace('abs', this); return this; }
  exp_(): this { ip.unaryInplace('exp', this); return this; }
  log_(): this { ip.unaryInplace('log', this); return this; }
  log1p_(): this { ip.unaryInplace('log1p', this); return this; }
  expm1_(): this { ip.unaryInplace('expm1', this); return this; }
  sqrt_(): this { ip.unaryInplace('sqrt', this); return this; }
  rsqrt_(): this { ip.unaryInplace('rsqrt', this); return this; }
  sin_(): this { ip.unaryInplace('sin', this); return this; }
  cos_(): this { ip.unaryInplace('cos', this); return this; }
  tanh_(): this { ip.unaryInplace('tanh', this); return this; }
  sigmoid_(): this { ip.unaryInplace('sigmoid', this); return this; }
  relu_(): this { ip.unaryInplace('relu', this); return this; }
  square_(): this { ip.unaryInplace('square', this); return this; }
  sign_(): this { ip.unaryInplace('sign', this); return this; }
  erf_(): this { ip.unaryInplace('erf', this); return this; }
  round_(): this { ip.unaryInplace('round', this); return this; }
  floor_(): this { ip.unaryInplace('floor', this); return this; }
  ceil_(): this { ip.unaryInplace('ceil', this); return this; }
  trunc_(): this { ip.unaryInplace('trunc', this); return this; }
}

export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}
setTensorCheck(isTensor);
