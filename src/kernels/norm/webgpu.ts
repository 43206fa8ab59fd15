/** Batch normalization kernels on WebGPU (shaders/batch_norm_stats.wgsl, shaders/batch_norm.wgsl). */
import type { View } from '../backend.js';
import type { KernelSource } from '../webgpu/pipelines.js';
import type { WebGPUContext } from '../webgpu/context.js';
import { buf, wgslType } from '../webgpu/util.js';
import { isCpuAdapter } from '../webgpu/device.js';
import { f32Sum, groupLib, useSubgroups } from '../webgpu/subgroups.js';
import statsSrc from '../../../shaders/batch_norm_stats.wgsl';
import bnSrc from '../../../shaders/batch_norm.wgsl';
import rowNormSrc from '../../../shaders/row_norm.wgsl';
import { ROW_NORM_MAX_LEN, type NormKernels, type RowNormShape } from './types.js';

export const NN_NORM_SHADERS = {
  batchNormStats: { file: 'batch_norm_stats.wgsl', source: statsSrc },
  batchNorm: { file: 'batch_norm.wgsl', source: bnSrc },
  rowNorm: { file: 'row_norm.wgsl', source: rowNormSrc },
} as const satisfies Record<string, KernelSource>;

/** Small buffers bound where an entry point does not use a binding: one read-only, one writable (they must not alias). */
const scratch = new WeakMap<WebGPUContext, [GPUBuffer, GPUBuffer]>();
function scratchOf(b: WebGPUContext): [GPUBuffer, GPUBuffer] {
  let s = scratch.get(b);
  if (!s) {
    s = [0, 1].map((i) => b.device.createBuffer({ label: `batch norm scratch ${i}`, size: 16, usage: GPUBufferUsage.STORAGE })) as [GPUBuffer, GPUBuffer];
    scratch.set(b, s);
  }
  return s;
}

// Two f32 sums (the mean's, then the variance's pass: each its own workgroup array, see
// webgpu/subgroups.ts) and a vec2 one (the backward's two sums in one reduction).
const SUMS = [f32Sum('group_sum'), f32Sum('group_sum_b'), f32Sum('group_sum2', 'vec2<f32>')];

/**
 * An entry of one of these shaders: every module takes the workgroup reducers (group_sum,
 * group_sum_b, group_sum2) in its preamble, with subgroups where the device has them
 * (webgpu/subgroups.ts).
 */
function spec(b: WebGPUContext, shader: KernelSource, entry: string) {
  const sg = useSubgroups(b.adapter);
  return { shader, entry, variant: sg ? 'f32|subgroups' : 'f32', preamble: () => `${groupLib(sg, SUMS)}alias C = f32;\n` };
}

function check(op: string, views: (View | null)[]): void {
  for (const v of views) {
    if (v && v.offset !== 0) throw new Error(`webgpu ${op}: inputs must start at offset 0 (got ${v.offset})`);
    if (v && wgslType(v.dtype) !== 'f32') throw new Error(`webgpu ${op}: float32 only, got ${v.dtype}`);
  }
}

function params(x: View, eps: number, weight: View | null, bias: View | null, batchStats: boolean) {
  const [n, c, s] = [x.shape[0]!, x.shape[1]!, x.shape[2]!];
  return { n, c, s, count: n * s, total: n * c * s, has_weight: weight ? 1 : 0, has_bias: bias ? 1 : 0, batch_stats: batchStats ? 1 : 0, eps };
}

export function batchNormStats(b: WebGPUContext, x: View, mean: View, variance: View): void {
  check('batchNormStats', [x, mean, variance]);
  const [n, c, s] = [x.shape[0]!, x.shape[1]!, x.shape[2]!];
  if (c === 0) return;
  b.dispatch(
    spec(b, NN_NORM_SHADERS.batchNormStats, vecSums({ s }) ? 'main4' : 'main'),
    { x: buf(x), mean: buf(mean), var_out: buf(variance), x4: buf(x) },
    { n, c, s, count: n * s },
    b.grid(c),
  );
}

/**
 * Four elements per invocation (apply4, backward_dx4) where a channel's run S is a multiple of
 * 4, so the four share a channel; perFour false keeps one per invocation (tests). vecSums: the
 * per-channel sums (the statistics, backward_sums) over vec4s there too (main4,
 * backward_sums4: no division per element; llvmpipe, 64 x 32 x 28 x 28 in the demo's step,
 * see docs/benchmarks.md); false keeps the scalar walk.
 * @internal
 */
export const BATCH_NORM_LAYOUT = { perFour: true, vecSums: true };
const perFour = (p: { s: number }) => BATCH_NORM_LAYOUT.perFour && p.s % 4 === 0;
const vecSums = (p: { s: number }) => BATCH_NORM_LAYOUT.vecSums && p.s % 4 === 0;
const elementGrid = (b: WebGPUContext, p: { s: number; total: number }) => b.grid(Math.ceil(p.total / (perFour(p) ? 4 : 1) / b.wg));

export function batchNormApply(b: WebGPUContext, x: View, mean: View, variance: View, weight: View | null, bias: View | null, eps: number, y: View): void {
  check('batchNormApply', [x, mean, variance, weight, bias, y]);
  const p = params(x, eps, weight, bias, false);
  if (p.total === 0) return;
  const [sc, rw] = scratchOf(b);
  b.dispatch(
    spec(b, NN_NORM_SHADERS.batchNorm, perFour(p) ? 'apply4' : 'apply'),
    { x: buf(x), g: sc, mean: buf(mean), var_in: buf(variance), weight: weight ? buf(weight) : sc, bias: bias ? buf(bias) : sc, sums: rw, y: buf(y), x4: buf(x), g4: sc },
    p,
    elementGrid(b, p),
  );
}

export function batchNormBackward(b: WebGPUContext, g: View, x: View, mean: View, variance: View, weight: View | null, eps: number, batchStats: boolean, sums: View, dx: View): void {
  check('batchNormBackward', [g, x, mean, variance, weight, sums, dx]);
  const p = params(x, eps, weight, null, batchStats);
  if (p.total === 0) return;
  const [sc] = scratchOf(b);
  const res = { x: buf(x), g: buf(g), mean: buf(mean), var_in: buf(variance), weight: weight ? buf(weight) : sc, bias: sc, sums: buf(sums), y: buf(dx), x4: buf(x), g4: buf(g) };
  b.dispatch(spec(b, NN_NORM_SHADERS.batchNorm, vecSums(p) ? 'backward_sums4' : 'backward_sums'), res, p, b.grid(p.c));
  b.dispatch(spec(b, NN_NORM_SHADERS.batchNorm, perFour(p) ? 'backward_dx4' : 'backward_dx'), res, p, elementGrid(b, p));
}


/**
 * @internal The row normalization's layout: an invocation per row (forward_thread,
 * backward_thread) on a CPU adapter for at least minRows rows of at most maxThreadLen (three
 * walks of a row stay under llvmpipe's loop cap), else a workgroup per row. perInvocation
 * forces one (true / false) on any adapter (tests).
 */
export const ROW_NORM_LAYOUT: { perInvocation: boolean | null; minRows: number; maxThreadLen: number } = { perInvocation: null, minRows: 64, maxThreadLen: 20000 };

function rowThread(b: WebGPUContext, s: RowNormShape): boolean {
  if (s.len > ROW_NORM_LAYOUT.maxThreadLen) return false;
  return ROW_NORM_LAYOUT.perInvocation ?? (isCpuAdapter(b.adapter) && s.rows >= ROW_NORM_LAYOUT.minRows);
}

function rowNormParams(s: RowNormShape, eps: number, weight: View | null, bias: View | null) {
  if (s.len > ROW_NORM_MAX_LEN) throw new Error(`webgpu rowNorm: rows of ${s.len} are over the ${ROW_NORM_MAX_LEN} one workgroup may walk`);
  return { rows: s.rows, len: s.len, groups: s.groups, per: s.per, has_weight: weight ? 1 : 0, has_bias: bias ? 1 : 0, eps };
}

/** One row_norm.wgsl entry ('forward' or 'backward') over the rows, in the layout rowThread picks. */
function rowNormDispatch(b: WebGPUContext, entry: 'forward' | 'backward', s: RowNormShape, resources: Record<string, GPUBuffer>, params: ReturnType<typeof rowNormParams>): void {
  if (b.wg !== 256) throw new Error(`webgpu rowNorm: the kernel needs 256 invocations per workgroup, this device allows ${b.wg}`);
  const thread = rowThread(b, s);
  b.dispatch(
    spec(b, NN_NORM_SHADERS.rowNorm, thread ? `${entry}_thread` : entry),
    resources,
    params,
    b.grid(thread ? Math.ceil(s.rows / b.wg) : s.rows),
  );
}

export function rowNormForward(b: WebGPUContext, x: View, weight: View | null, bias: View | null, s: RowNormShape, eps: number, y: View, stats: View): void {
  check('rowNormForward', [x, weight, bias, y, stats]);
  if (s.rows === 0) return;
  const [sc] = scratchOf(b);
  const resources = { x: buf(x), g: sc, weight: weight ? buf(weight) : sc, bias: bias ? buf(bias) : sc, y: buf(y), stats: buf(stats) };
  rowNormDispatch(b, 'forward', s, resources, rowNormParams(s, eps, weight, bias));
}

export function rowNormBackward(b: WebGPUContext, g: View, x: View, weight: View | null, s: RowNormShape, stats: View, dx: View): void {
  check('rowNormBackward', [g, x, weight, stats, dx]);
  if (s.rows === 0) return;
  const [sc] = scratchOf(b);
  const resources = { x: buf(x), g: buf(g), weight: weight ? buf(weight) : sc, bias: sc, y: buf(dx), stats: buf(stats) };
  rowNormDispatch(b, 'backward', s, resources, rowNormParams(s, 0, weight, null));
}

/** The family's table on a webgpu backend. */
export function webgpuKernels(b: WebGPUContext): NormKernels {
  return {
    rowNormForward: (x, weight, bias, s, eps, y, stats) => rowNormForward(b, x, weight, bias, s, eps, y, stats),
    rowNormBackward: (g, x, weight, s, stats, dx) => rowNormBackward(b, g, x, weight, s, stats, dx),
    batchNormStats: (x, mean, variance) => batchNormStats(b, x, mean, variance),
    batchNormApply: (x, mean, variance, weight, bias, eps, y) => batchNormApply(b, x, mean, variance, weight, bias, eps, y),
    batchNormBackward: (g, x, mean, variance, weight, eps, batchStats, sums, dx) => batchNormBackward(b, g, x, mean, variance, weight, eps, batchStats, sums, dx),
  };
}

/** This family's shaders, by name. */
export const SHADERS = NN_NORM_SHADERS;
