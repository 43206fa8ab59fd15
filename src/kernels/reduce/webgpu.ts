/**
 * The reduction binders: sum, prod, max, min over the trailing dims (shaders/reduce.wgsl) and
 * argmax/argmin (shaders/argreduce.wgsl), with the layouts of the variant seam
 * (kernels/variants.ts: rowPerWorkgroup, rowPerInvocation, chunked, invocationChunks). Where an
 * invocation walks a row or a chunk and the rows are contiguous and start on a multiple of 4, it
 * reads them as vec4s (shaders/reduce_vec4.wgsl).
 */
import type { View } from '../../core/view.js';
import type { DType } from '../../core/dtype.js';
import type { Storage } from '../../core/storage.js';
import { coalesce, contiguousStrides, numel } from '../../core/shape.js';
import type { WebGPUContext } from '../webgpu/context.js';
import type { KernelSource, KernelSpec } from '../webgpu/pipelines.js';
import { MAX_RANK, STRIDED_LIB, buf, mathLib, pad, wgslType } from '../webgpu/util.js';
import { forcedVariant, noteVariant } from '../variants.js';
import { reduceClass, tunedVariant } from '../tuning.js';
import { isCpuAdapter } from '../webgpu/device.js';
import { groupLib, useSubgroups, type GroupReducer } from '../webgpu/subgroups.js';
import type { ReduceOp } from '../ops.js';
import type { ReduceKernels } from './types.js';
import reduceSrc from '../../../shaders/reduce.wgsl';
import argreduceSrc from '../../../shaders/argreduce.wgsl';
import reduceVec4Src from '../../../shaders/reduce_vec4.wgsl';

/** This family's shaders, by name. */
export const SHADERS = {
  reduce: { file: 'reduce.wgsl', source: reduceSrc, lib: STRIDED_LIB },
  argreduce: { file: 'argreduce.wgsl', source: argreduceSrc, lib: STRIDED_LIB },
  reduceVec4: { file: 'reduce_vec4.wgsl', source: reduceVec4Src, lib: STRIDED_LIB },
} as const satisfies Record<string, KernelSource>;

/**
 * Mesa's llvmpipe silently ends an invocation's loops once they have run 65535 iterations in
 * all (LP_MAX_TGSI_LOOP_ITERATIONS, shared by every loop of the shader): a longer loop gives a
 * wrong answer, not an error. So a reduction row is cut into chunks of REDUCE_STEPS elements
 * per invocation (a matmul's K is cut into slabs the same way: kernels/matmul/webgpu.ts).
 */
const REDUCE_STEPS = 2048;
const REDUCE_MIN_GROUPS = 64;
const REDUCE_MIN_CHUNK = 8192;
/** invocationChunks: at least this many invocations share a reduction, in chunks of at least REDUCE_MIN_THREAD_CHUNK. */
const REDUCE_MIN_INVOCATIONS = 256;
const REDUCE_MIN_THREAD_CHUNK = 256;
/** Reduced dims whose contiguous innermost run is at least this long are reduced in two stages (see reduce()). */
const TWO_STAGE_MIN_RUN = 16;

/** reduce_workgroup's group_reduce for one op: combine() across the workgroup (min and max keep a NaN, as min_c and max_c do). */
function groupReducer(op: 'sum' | 'prod' | 'max' | 'min', c: string): GroupReducer {
  const sub = { sum: 'subgroupAdd', prod: 'subgroupMul', max: 'subgroupMax', min: 'subgroupMin' }[op];
  const nanSafe = c === 'f32' && (op === 'max' || op === 'min');
  return {
    name: 'group_reduce', type: 'C', identity: 'identity()', combine: (a, b2) => `combine(${a}, ${b2})`,
    subgroup: (v) => (nanSafe ? `select(${sub}(${v}), f32_nan(), subgroupAny(is_nan(${v})))` : `${sub}(${v})`),
  };
}

export function reduce(b: WebGPUContext, op: ReduceOp, x: View, reduceRank: number, out: View): void {
  b.checkOut(op, out);
  const nOuter = numel(out.shape);
  if (nOuter === 0) return;
  const rank = x.shape.length;
  const split = rank - reduceRank;
  let co = coalesce(x.shape.slice(0, split), [x.strides.slice(0, split)]);
  let ci = coalesce(x.shape.slice(split), [x.strides.slice(split)]);
  let src = x;
  let temp: Storage | undefined;
  if (co.shape.length > MAX_RANK || ci.shape.length > MAX_RANK) {
    // Too many non-mergeable dims for the kernel's index math: reduce a contiguous copy.
    temp = b.allocate(x.dtype, numel(x.shape));
    src = { storage: temp, dtype: x.dtype, shape: x.shape, strides: contiguousStrides(x.shape), offset: 0 };
    b.copy(x, src);
    co = coalesce(src.shape.slice(0, split), [src.strides.slice(0, split)]);
    ci = coalesce(src.shape.slice(split), [src.strides.slice(split)]);
  }
  const nInner = numel(ci.shape);
  const c = wgslType(x.dtype);
  // Rows longer than REDUCE_STEPS per invocation are cut into chunks (see REDUCE_STEPS).
  // Few long rows are also split, so that at least REDUCE_MIN_GROUPS workgroups share the
  // work (a single sum would otherwise run on one core), keeping chunks of REDUCE_MIN_CHUNK.
  const spread = nOuter < REDUCE_MIN_GROUPS ? Math.min(Math.ceil(REDUCE_MIN_GROUPS / nOuter), Math.floor(nInner / REDUCE_MIN_CHUNK)) : 1;
  // The variant seam (kernels/variants.ts): 'chunked' splits every row it can over two or
  // more workgroups; 'rowPerInvocation' applies where one invocation may walk a whole row. A
  // forced variant wins, then the autotuner's choice for the shape class (kernels/tuning.ts).
  const forced = forcedVariant('reduce') ?? tunedVariant(b.adapter, 'reduce', reduceClass(nOuter, nInner), () => ({ rows: nOuter, len: nInner }));
  // invocationChunks (forced, tuned, or the plan's choice on a CPU adapter, where workgroup
  // barriers cost more than the sums): chunks of at most REDUCE_STEPS, one invocation each, and
  // enough of them for REDUCE_MIN_INVOCATIONS to share the work (chunks of REDUCE_MIN_THREAD_CHUNK at least).
  const threadChunks = forced === 'invocationChunks' || (!forced && isCpuAdapter(b.adapter) && op !== 'argmax' && op !== 'argmin');
  const last = ci.shape.length - 1;
  if (threadChunks && op !== 'argmax' && op !== 'argmin' && last >= 1 && ci.strides[0]![last] === 1 && ci.shape[last]! >= TWO_STAGE_MIN_RUN) {
    // Reduced dims that coalesce to more than one, the innermost contiguous (a conv bias
    // gradient: [C] from [N, C, H, W], reduced over N and H * W): first the contiguous runs
    // (aligned rows take reduce_vec4.wgsl), then what is left of the reduced dims, instead of
    // a div/mod per dim for every element.
    const runs = numel(ci.shape) / ci.shape[last]!;
    const part = b.allocate(x.dtype, nOuter * runs);
    const restShape = ci.shape.slice(0, last);
    reduce(b, op, { storage: src.storage, dtype: src.dtype, offset: src.offset, shape: [...src.shape.slice(0, split), ...ci.shape], strides: [...src.strides.slice(0, split), ...ci.strides[0]!] }, 1,
      { storage: part, dtype: x.dtype, shape: [...src.shape.slice(0, split), ...restShape], strides: contiguousStrides([...src.shape.slice(0, split), ...restShape]), offset: 0 });
    reduce(b, op, { storage: part, dtype: x.dtype, shape: [nOuter, runs], strides: [runs, 1], offset: 0 }, 1, { storage: out.storage, dtype: out.dtype, offset: 0, shape: [nOuter], strides: [1] });
    part.free();
    temp?.free();
    return;
  }
  const threadSpread = nOuter < REDUCE_MIN_INVOCATIONS ? Math.min(Math.ceil(REDUCE_MIN_INVOCATIONS / nOuter), Math.floor(nInner / REDUCE_MIN_THREAD_CHUNK)) : 1;
  let nChunks = threadChunks
    ? Math.max(1, Math.ceil(nInner / REDUCE_STEPS), threadSpread, forced === 'invocationChunks' && nInner > 2 ? 2 : 1)
    : Math.max(1, Math.ceil(nInner / (b.wg * REDUCE_STEPS)), spread, forced === 'chunked' && nInner > 2 ? 2 : 1); // (the partials' own reduction, 2 long, is not split again)
  let chunkLen = Math.ceil(nInner / nChunks);
  // Rows that are one contiguous run starting on a multiple of 4 are read as vec4s wherever an
  // invocation walks a row or a chunk (shaders/reduce_vec4.wgsl); chunks then start aligned.
  let vec4Rows = op !== 'argmax' && op !== 'argmin' && ci.shape.length === 1 && ci.strides[0]![0] === 1 && src.offset % 4 === 0 &&
    co.strides[0]!.every((s, k) => s % 4 === 0 || co.shape[k] === 1);
  if (vec4Rows && threadChunks && nChunks > 1) {
    const len4 = Math.ceil(chunkLen / 4) * 4;
    const n4 = Math.ceil(nInner / len4);
    // (a forced split that rounding to whole vec4s would undo keeps the scalar kernel)
    if (n4 > 1) [chunkLen, nChunks] = [len4, n4];
    else vec4Rows = false;
  }
  const params = {
    n_outer: nOuter, n_inner: nInner, outer_rank: co.shape.length, inner_rank: ci.shape.length, x_offset: src.offset,
    n_chunks: nChunks, chunk_len: Math.min(nInner, chunkLen),
    outer_shape: pad(co.shape), outer_strides: pad(co.strides[0]!), inner_shape: pad(ci.shape), inner_strides: pad(ci.strides[0]!),
  };
  // ±inf through a `var`: WGSL constant expressions may not be infinite.
  const lowest = c === 'f32' ? 'bitcast<f32>(bits_lowest)' : '(-2147483647 - 1)';
  const highest = c === 'f32' ? 'bitcast<f32>(bits_highest)' : '2147483647';
  const bits = 'var bits_lowest = 0xff800000u; var bits_highest = 0x7f800000u;';
  const reduceSpec = (kop: 'sum' | 'prod' | 'max' | 'min', entry: string, shader: KernelSource = SHADERS.reduce): KernelSpec => {
    const [identity, combine] = {
      sum: ['C(0)', 'a + b'],
      prod: ['C(1)', 'a * b'],
      max: [lowest, 'max_c(a, b)'], // NaN-propagating, from shaders/lib
      min: [highest, 'min_c(a, b)'],
    }[kop];
    const sg = useSubgroups(b.adapter);
    const preamble = () => `${groupLib(sg, [groupReducer(kop, c)])}alias C = ${c};\n${mathLib(c)}\nfn identity() -> C { ${bits} return ${identity}; }\nfn combine(a: C, b: C) -> C { return ${combine}; }\n`;
    return { shader, entry, variant: `${kop}|${c}${sg ? '|subgroups' : ''}`, preamble };
  };
  /** An invocation per row or chunk (reduce_thread, or reduce_vec4.wgsl's vec4 loads), into `dst`. */
  const dispatchThread = (kop: 'sum' | 'prod' | 'max' | 'min', dst: GPUBuffer): void => {
    const grid = b.grid(Math.ceil((nOuter * nChunks) / b.wg));
    if (!vec4Rows) {
      b.dispatch(reduceSpec(kop, 'reduce_thread'), { x: buf(src), out: dst }, params, grid);
      return;
    }
    const { n_outer, n_inner, outer_rank, x_offset, n_chunks, chunk_len, outer_shape, outer_strides } = params;
    b.dispatch(reduceSpec(kop, 'main', SHADERS.reduceVec4), { x: buf(src), out: dst }, { n_outer, n_inner, outer_rank, x_offset, n_chunks, chunk_len, outer_shape, outer_strides }, grid);
  };
  /** A contiguous [nOuter, nChunks] view of per-chunk partials. */
  const partials = (s: Storage, dtype: DType): View => ({ storage: s, dtype, shape: [nOuter, nChunks], strides: [nChunks, 1], offset: 0 });
  if (op === 'argmax' || op === 'argmin') {
    // A NaN beats every number and ties with another NaN (the first NaN wins, as in PyTorch).
    const cmp = op === 'argmax' ? 'a > b' : 'a < b';
    const better = c === 'f32' ? `${cmp} || (is_nan(a) && !is_nan(b))` : cmp;
    const tie = c === 'f32' ? 'a == b || (is_nan(a) && is_nan(b))' : 'a == b';
    const worst = op === 'argmax' ? lowest : highest;
    const spec = {
      shader: SHADERS.argreduce, entry: 'main', variant: `${op}|${c}`,
      preamble: () => `alias C = ${c};\n${mathLib(c)}\nfn better(a: C, b: C) -> bool { return ${better}; }\nfn tie(a: C, b: C) -> bool { return ${tie}; }\nfn worst() -> C { ${bits} return ${worst}; }\n`,
    };
    if (nChunks === 1) {
      noteVariant('reduce', 'rowPerWorkgroup'); // argreduce has no invocation-per-row entry
      b.dispatch(spec, { x: buf(src), out: buf(out) }, params, b.grid(nOuter));
    } else {
      // Each chunk's best index and best value; the first chunk holding the row's best value
      // (an argreduce of the values) picks the index. Ties still go to the first occurrence.
      const idx = b.allocate('int32', nOuter * nChunks);
      const vals = b.allocate(x.dtype, nOuter * nChunks);
      const best = b.allocate('int32', nOuter);
      b.dispatch(spec, { x: buf(src), out: idx.handle as GPUBuffer }, params, b.grid(nOuter * nChunks));
      b.dispatch(reduceSpec(op === 'argmax' ? 'max' : 'min', 'reduce_workgroup'), { x: buf(src), out: vals.handle as GPUBuffer }, params, b.grid(nOuter * nChunks));
      reduce(b, op, partials(vals, x.dtype), 1, { storage: best, dtype: 'int32', shape: [nOuter], strides: [1], offset: 0 });
      b.gather(partials(idx, 'int32'), 1, { storage: best, dtype: 'int32', shape: [nOuter, 1], strides: [1, 1], offset: 0 }, { storage: out.storage, dtype: 'int32', shape: [nOuter, 1], strides: [1, 1], offset: 0 });
      for (const s of [idx, vals, best]) s.free();
    }
  } else if (threadChunks) {
    // An invocation per row, or per chunk of a row into partials, then a reduction of those.
    const part = nChunks > 1 ? b.allocate(x.dtype, nOuter * nChunks) : undefined;
    dispatchThread(op, part ? (part.handle as GPUBuffer) : buf(out));
    if (part) {
      reduce(b, op, partials(part, x.dtype), 1, out);
      part.free();
    }
    noteVariant('reduce', part ? 'invocationChunks' : 'rowPerInvocation'); // after the partials' own reduction noted its variant
  } else if (nChunks === 1) {
    // Long rows: a workgroup per output; short rows: an invocation per output.
    const perWorkgroup = forced === 'rowPerWorkgroup' || (forced === 'rowPerInvocation' ? nInner > REDUCE_STEPS : nInner > 64 || nOuter < 64);
    noteVariant('reduce', perWorkgroup ? 'rowPerWorkgroup' : 'rowPerInvocation');
    if (perWorkgroup) b.dispatch(reduceSpec(op, 'reduce_workgroup'), { x: buf(src), out: buf(out) }, params, b.grid(nOuter));
    else dispatchThread(op, buf(out));
  } else {
    // A partial per chunk, then a reduction of the partials.
    const part = b.allocate(x.dtype, nOuter * nChunks);
    b.dispatch(reduceSpec(op, 'reduce_workgroup'), { x: buf(src), out: part.handle as GPUBuffer }, params, b.grid(nOuter * nChunks));
    reduce(b, op, partials(part, x.dtype), 1, out);
    part.free();
  }
  if (nChunks > 1 && !threadChunks) noteVariant('reduce', 'chunked'); // after the partials' own reduction noted its variant
  temp?.free();
}

/** The family's table on a webgpu backend. */
export function webgpuKernels(b: WebGPUContext): ReduceKernels {
  return { reduce: (op, x, reduceRank, out) => reduce(b, op, x, reduceRank, out) };
}
