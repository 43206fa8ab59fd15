/**
 * WebGPU kernels for softmax / log-softmax and the class-index losses (fused cross-entropy,
 * nll), dispatched by the WebGPUContext methods of the same names (see shaders/softmax.wgsl
 * and shaders/cross_entropy.wgsl for the math and the layouts).
 *
 * Both take a strided view and a class (softmax) axis: the axis is taken out of the shape and
 * passed as a stride, so no transposed copy is made; a copy is made only when the remaining
 * dims do not coalesce into MAX_RANK.
 */
import type { ClassLossArgs, View } from '../backend.js';
import type { Storage } from '../../core/storage.js';
import { coalesce, contiguousStrides, fmtShape, numel } from '../../core/shape.js';
import type { KernelSource } from '../webgpu/pipelines.js';
import type { WebGPUContext } from '../webgpu/context.js';
import { KERNEL_ERRORS, MAX_RANK, STRIDED_LIB, buf, mathLib, pad } from '../webgpu/util.js';
import softmaxSrc from '../../../shaders/softmax.wgsl';
import crossEntropySrc from '../../../shaders/cross_entropy.wgsl';
import softmaxVec4Src from '../../../shaders/softmax_vec4.wgsl';
import { F32_SUM_MAX, f32Sum, groupLib, useSubgroups } from '../webgpu/subgroups.js';
import { isCpuAdapter } from '../webgpu/device.js';
import type { SoftmaxKernels } from './types.js';

/** This family's shader files (spread into SHADERS). */
export const NN_SOFTMAX_SHADERS = {
  softmax: { file: 'softmax.wgsl', source: softmaxSrc, lib: STRIDED_LIB },
  crossEntropy: { file: 'cross_entropy.wgsl', source: crossEntropySrc, lib: STRIDED_LIB },
  softmaxVec4: { file: 'softmax_vec4.wgsl', source: softmaxVec4Src, lib: STRIDED_LIB },
} as const satisfies Record<string, KernelSource>;

KERNEL_ERRORS[6] = (t, classes) =>
  `crossEntropy/nllLoss: target class ${t | 0} is out of range for ${classes} classes (expected 0 to ${classes - 1}, or ignoreIndex); detected on webgpu by an earlier op, reported at this read`;

/**
 * Longest loop per invocation and pass: a row of up to WG * rowSteps elements takes the
 * single-workgroup path (3 passes of rowSteps iterations, within llvmpipe's 65535 cap); longer
 * softmax rows are cut into chunks, longer cross-entropy rows are refused. On a CPU adapter, at
 * least threadRows rows of at most threadRowLen take an invocation each (softmax.wgsl's
 * row_thread, or softmax_vec4.wgsl for aligned contiguous rows; cross_entropy.wgsl's
 * main_thread for as many samples of as many classes); perInvocation 'always' or
 * 'never' decides it on any adapter (tests). Mutable for tests.
 * @internal
 */
export const NN_SOFTMAX_LIMITS = { rowSteps: 16384, threadRows: 64, threadRowLen: 16384, perInvocation: 'cpuAdapter' as 'cpuAdapter' | 'always' | 'never' };

/** A small storage buffer bound where a kernel declares a binding its entry point does not use. */
const scratch = new WeakMap<WebGPUContext, GPUBuffer>();
function scratchOf(b: WebGPUContext): GPUBuffer {
  let s = scratch.get(b);
  if (!s) {
    s = b.device.createBuffer({ label: 'nn scratch', size: 16, usage: GPUBufferUsage.STORAGE });
    scratch.set(b, s);
  }
  return s;
}

const without = <T>(list: readonly T[], dim: number): T[] => list.filter((_, i) => i !== dim);

/** x as a contiguous copy (the caller frees the storage). */
function contiguousCopy(b: WebGPUContext, x: View): { view: View; temp: Storage } {
  const temp = b.allocate(x.dtype, numel(x.shape));
  const view: View = { storage: temp, dtype: x.dtype, shape: x.shape, strides: contiguousStrides(x.shape), offset: 0 };
  b.copy(x, view);
  return { view, temp };
}

/** out = softmax(x) (log-softmax when `log`) along `dim`; out is contiguous with x's shape. */
export function softmax(b: WebGPUContext, x: View, dim: number, log: boolean, out: View): void {
  const op = log ? 'logSoftmax' : 'softmax';
  b.checkOut(op, out);
  if (x.dtype !== 'float32') throw new Error(`webgpu ${op}: expected float32, got ${x.dtype}`);
  const C = x.shape[dim]!;
  const nRows = numel(without(x.shape, dim));
  if (nRows === 0 || C === 0) return;
  let src = x;
  let temp: Storage | undefined;
  let co = coalesce(without(x.shape, dim), [without(x.strides, dim), without(out.strides, dim)]);
  if (co.shape.length > MAX_RANK) {
    ({ view: src, temp } = contiguousCopy(b, x));
    co = coalesce(without(x.shape, dim), [without(src.strides, dim), without(out.strides, dim)]);
  }
  const steps = NN_SOFTMAX_LIMITS.rowSteps;
  const nChunks = Math.ceil(C / (b.wg * steps));
  const chunkLen = Math.ceil(C / nChunks);
  const params = {
    n_rows: nRows, row_len: C, outer_rank: co.shape.length, x_offset: src.offset, x_step: src.strides[dim]!, o_step: out.strides[dim]!,
    n_chunks: nChunks, chunk_len: chunkLen, log_out: log ? 1 : 0,
    outer_shape: pad(co.shape), x_strides: pad(co.strides[0]!), o_strides: pad(co.strides[1]!),
  };
  // softmax.wgsl's workgroup entries take group_max and group_sum from the preamble (with subgroups where the device has them).
  const sg = useSubgroups(b.adapter);
  const spec = (entry: string, shader: KernelSource = NN_SOFTMAX_SHADERS.softmax) => shader === NN_SOFTMAX_SHADERS.softmax
    ? { shader, entry, variant: sg ? 'f32|subgroups' : 'f32', preamble: () => `${groupLib(sg, F32_SUM_MAX)}${mathLib('f32')}` }
    : { shader, entry, variant: 'f32', preamble: () => mathLib('f32') };
  const lim = NN_SOFTMAX_LIMITS;
  const perInvocation = lim.perInvocation === 'always' || (lim.perInvocation === 'cpuAdapter' && isCpuAdapter(b.adapter) && nRows >= lim.threadRows);
  if (perInvocation && C <= lim.threadRowLen) {
    const grid = b.grid(Math.ceil(nRows / b.wg));
    const aligned = params.x_step === 1 && params.o_step === 1 && C % 4 === 0 && src.offset % 4 === 0 &&
      co.strides[0]!.every((s, k) => s % 4 === 0 || co.shape[k] === 1);
    if (aligned) {
      const { n_rows, row_len, outer_rank, x_offset, log_out, outer_shape, x_strides, o_strides } = params;
      b.dispatch(spec('main', NN_SOFTMAX_SHADERS.softmaxVec4), { x: buf(src), out: buf(out) }, { n_rows, row_len, outer_rank, x_offset, log_out, outer_shape, x_strides, o_strides }, grid);
    } else {
      b.dispatch(spec('row_thread'), { x: buf(src), out: buf(out), partials: scratchOf(b) }, params, grid);
    }
  } else if (nChunks === 1) {
    b.dispatch(spec('row'), { x: buf(src), out: buf(out), partials: scratchOf(b) }, params, b.grid(nRows));
  } else {
    const partials = b.allocate('float32', 2 * nRows * nChunks);
    const bufs = { x: buf(src), out: buf(out), partials: partials.handle as GPUBuffer };
    b.dispatch(spec('chunk_stats'), bufs, params, b.grid(nRows * nChunks));
    b.dispatch(spec('chunk_write'), bufs, params, b.grid(nRows * nChunks));
    partials.free();
  }
  temp?.free();
}

function lossParams(b: WebGPUContext, op: string, a: ClassLossArgs, grad: View | null, labelSmoothing: number) {
  b.checkOut(op, a.loss);
  b.checkOut(op, a.rowWeight);
  if (grad) b.checkOut(op, grad);
  if (a.x.dtype !== 'float32') throw new Error(`webgpu ${op}: expected float32 input, got ${a.x.dtype}`);
  const outer = without(a.x.shape, a.dim);
  const gStrides = grad ? without(grad.strides, a.dim) : outer.map(() => 0);
  let src = a.x;
  let temp: Storage | undefined;
  let co = coalesce(outer, [without(a.x.strides, a.dim), a.target.strides, gStrides]);
  if (co.shape.length > MAX_RANK) {
    ({ view: src, temp } = contiguousCopy(b, a.x));
    co = coalesce(outer, [without(src.strides, a.dim), a.target.strides, gStrides]);
  }
  if (co.shape.length > MAX_RANK) throw new Error(`webgpu ${op}: target ${fmtShape(a.target.shape)} has more than ${MAX_RANK} non-mergeable dims; call .contiguous() on it first`);
  const params = {
    n_rows: numel(outer), n_classes: a.x.shape[a.dim]!, outer_rank: co.shape.length, x_offset: src.offset,
    x_step: src.strides[a.dim]!, g_step: grad ? grad.strides[a.dim]! : 0, t_offset: a.target.offset,
    w_offset: a.weight?.offset ?? 0, w_step: a.weight?.strides[0] ?? 0, has_weight: a.weight ? 1 : 0, write_grad: grad ? 1 : 0,
    ignore_index: a.ignoreIndex, smoothing: labelSmoothing,
    outer_shape: pad(co.shape), x_strides: pad(co.strides[0]!), t_strides: pad(co.strides[1]!), g_strides: pad(co.strides[2]!),
  };
  const bufs = {
    x: buf(src), tgt: buf(a.target), weight: a.weight ? buf(a.weight) : buf(src), loss: buf(a.loss), row_weight: buf(a.rowWeight),
    grad: grad ? buf(grad) : scratchOf(b), errors: b.errorFlags,
  };
  return { params, bufs, temp, nRows: params.n_rows };
}

// cross_entropy.wgsl's main takes group_max and group_sum3 from the preamble (with subgroups where the device has them).
const LOSS_REDUCERS = [F32_SUM_MAX[1]!, f32Sum('group_sum3', 'vec3<f32>')];
const lossSpec = (b: WebGPUContext, entry: string) => {
  const sg = useSubgroups(b.adapter);
  return { shader: NN_SOFTMAX_SHADERS.crossEntropy, entry, variant: sg ? 'f32|subgroups' : 'f32', preamble: () => `${groupLib(sg, LOSS_REDUCERS)}${mathLib('f32')}` };
};

/** Fused cross-entropy with class indices (see Backend.crossEntropy). */
export function crossEntropy(b: WebGPUContext, a: ClassLossArgs, labelSmoothing: number, grad: View | null): void {
  const C = a.x.shape[a.dim]!;
  const limit = b.wg * NN_SOFTMAX_LIMITS.rowSteps;
  if (C > limit) {
    throw new Error(
      `webgpu crossEntropy: ${C} classes exceed the fused kernel's ${limit} per row (an invocation's loops are capped on llvmpipe); ` +
        'use F.nllLoss(F.logSoftmax(input, classDim), target) for this many classes',
    );
  }
  const { params, bufs, temp, nRows } = lossParams(b, 'crossEntropy', a, grad, labelSmoothing);
  if (nRows > 0) {
    // One invocation per sample where softmax takes one per row (NN_SOFTMAX_LIMITS: its three
    // passes stay under the loop cap); else a workgroup per sample.
    const lim = NN_SOFTMAX_LIMITS;
    const thread = (lim.perInvocation === 'always' || (lim.perInvocation === 'cpuAdapter' && isCpuAdapter(b.adapter) && nRows >= lim.threadRows)) && C <= lim.threadRowLen;
    if (thread) b.dispatch(lossSpec(b, 'main_thread'), bufs, params, b.grid(Math.ceil(nRows / b.wg)));
    else b.dispatch(lossSpec(b, 'main'), bufs, params, b.grid(nRows));
    b.errorsMayBeSet = true;
  }
  temp?.free();
}

/** loss[i] = -w[t] x[i, t] (see Backend.nllLoss). */
export function nllLoss(b: WebGPUContext, a: ClassLossArgs): void {
  const { params, bufs, temp, nRows } = lossParams(b, 'nllLoss', a, null, 0);
  if (nRows > 0) {
    b.dispatch(lossSpec(b, 'nll'), bufs, params, b.grid(Math.ceil(nRows / b.wg)));
    b.errorsMayBeSet = true;
  }
  temp?.free();
}

/** The family's table on a webgpu backend. */
export function webgpuKernels(b: WebGPUContext): SoftmaxKernels {
  return {
    softmax: (x, dim, log, out) => softmax(b, x, dim, log, out),
    crossEntropy: (a, labelSmoothing, grad) => crossEntropy(b, a, labelSmoothing, grad),
    nllLoss: (a) => nllLoss(b, a),
  };
}

/** This family's shaders, by name. */
export const SHADERS = NN_SOFTMAX_SHADERS;
