/**
 * Prefix sums and products on WebGPU (shaders/cumsum.wgsl), and cumprod's gradient. The scanned axis is taken out of the shape and
 * passed as a stride, so x is read in place whatever `dim` is; a copy is made only when the
 * remaining dims do not coalesce into MAX_RANK.
 */
import type { View } from '../backend.js';
import type { Storage } from '../../core/storage.js';
import { coalesce, contiguousStrides, numel } from '../../core/shape.js';
import type { KernelSource } from '../webgpu/pipelines.js';
import type { WebGPUContext } from '../webgpu/context.js';
import { MAX_RANK, STRIDED_LIB, buf, pad, wgslType } from '../webgpu/util.js';
import cumsumSrc from '../../../shaders/cumsum.wgsl';
import type { CumsumKernels } from './types.js';

/** This family's shaders, by name. */
export const SHADERS = {
  cumsum: { file: 'cumsum.wgsl', source: cumsumSrc, lib: STRIDED_LIB },
} as const satisfies Record<string, KernelSource>;

/**
 * rowSteps: the longest row scanned by one invocation (row_thread: one loop of len iterations,
 * far below llvmpipe's 65535 cap); longer rows, and rows too few to fill the device, take
 * chunk_scan. perThread: elements per invocation in chunk_scan (a chunk is WG * perThread);
 * rows of more than one chunk add an add_carry pass after scanning the chunk totals, the
 * same way, so a row of any length needs only short loops. gradChunk: the positions of a row
 * one invocation of cumprod's backward walks per dispatch. Mutable for tests.
 * @internal
 */
export const CUMSUM_LIMITS = { rowSteps: 1024, perThread: 8, minRowsPerThread: 1024, gradChunk: 16384 };

/** Small buffers bound where an entry point does not use a binding: one read-only, one writable (they must not alias). */
const scratch = new WeakMap<WebGPUContext, [GPUBuffer, GPUBuffer]>();
function scratchOf(b: WebGPUContext): [GPUBuffer, GPUBuffer] {
  let s = scratch.get(b);
  if (!s) {
    s = [0, 1].map((i) => b.device.createBuffer({ label: `cumsum scratch ${i}`, size: 16, usage: GPUBufferUsage.STORAGE })) as [GPUBuffer, GPUBuffer];
    scratch.set(b, s);
  }
  return s;
}

const without = <T>(list: readonly T[], dim: number): T[] => list.filter((_, i) => i !== dim);

type Combine = 'sum' | 'prod';
const COMBINE: Record<Combine, string> = {
  sum: 'fn comb(a: C, b: C) -> C { return a + b; }\nconst ID = C(0);\n',
  prod: 'fn comb(a: C, b: C) -> C { return a * b; }\nconst ID = C(1);\n',
};

/** out = the inclusive prefix sums of x along `dim` (suffix sums when `reverse`); out is contiguous with x's shape. */
export function cumsum(b: WebGPUContext, x: View, dim: number, reverse: boolean, out: View): void {
  scan(b, 'sum', x, dim, reverse, out);
}

/** out = the inclusive prefix products of x along `dim`; out is contiguous with x's shape. */
export function cumprod(b: WebGPUContext, x: View, dim: number, out: View): void {
  scan(b, 'prod', x, dim, false, out);
}

/** Rows' strided layout for the kernels: x copied to contiguous when its outer dims do not coalesce into MAX_RANK. */
function rowLayout(b: WebGPUContext, x: View, dim: number, out: View): { src: View; temp?: Storage; co: ReturnType<typeof coalesce> } {
  let co = coalesce(without(x.shape, dim), [without(x.strides, dim), without(out.strides, dim)]);
  if (co.shape.length <= MAX_RANK) return { src: x, co };
  const temp = b.allocate(x.dtype, numel(x.shape));
  const src: View = { storage: temp, dtype: x.dtype, shape: x.shape, strides: contiguousStrides(x.shape), offset: 0 };
  b.copy(x, src);
  co = coalesce(without(x.shape, dim), [without(src.strides, dim), without(out.strides, dim)]);
  return { src, temp, co };
}

/**
 * cumprod's gradient (see CumprodKernels in types.ts): g is made contiguous by the caller (it
 * shares out's layout); the row is walked in chunks of CUMSUM_LIMITS.gradChunk positions, one
 * dispatch each, twice (suffix pass from the end, prefix pass from the start).
 */
export function cumprodBackward(b: WebGPUContext, x: View, g: View, dim: number, out: View): void {
  b.checkOut('cumprodBackward', out);
  if (x.dtype !== 'float32') throw new Error(`webgpu cumprod backward: expected float32, got ${x.dtype}`);
  if (x.shape.length === 0) {
    b.copy(g, out);
    return;
  }
  const len = x.shape[dim]!;
  const nRows = numel(without(x.shape, dim));
  if (nRows === 0 || len === 0) return;
  let gc = g;
  let gTemp: Storage | undefined;
  const gContig = g.offset === 0 && g.strides.every((st, i) => st === out.strides[i] || x.shape[i] === 1);
  if (!gContig) {
    gTemp = b.allocate(g.dtype, numel(g.shape));
    gc = { storage: gTemp, dtype: g.dtype, shape: g.shape, strides: out.strides, offset: 0 };
    b.copy(g, gc);
  }
  const { src, temp, co } = rowLayout(b, x, dim, out);
  const state = b.allocate(x.dtype, nRows);
  const spec = (entry: string) => ({ shader: SHADERS.cumsum, entry, variant: 'f32_prod', preamble: `alias C = f32;\n${COMBINE.prod}` });
  const chunk = CUMSUM_LIMITS.gradChunk;
  const base = {
    n_rows: nRows, len, outer_rank: co.shape.length, x_offset: src.offset, x_step: src.strides[dim]!, o_step: out.strides[dim]!,
    n_chunks: 1, chunk_len: chunk, per_thread: 1, reverse: 0, write_sums: 0,
    outer_shape: pad(co.shape), x_strides: pad(co.strides[0]!), o_strides: pad(co.strides[1]!),
  };
  const bind = { x: buf(src), carry: buf(gc), out: buf(out), sums: state.handle as GPUBuffer };
  const grid = b.grid(Math.ceil(nRows / b.wg));
  const starts: number[] = [];
  for (let k = 0; k < len; k += chunk) starts.push(k);
  for (const k0 of [...starts].reverse()) b.dispatch(spec('prod_grad_suffix'), bind, { ...base, k_begin: k0, k_end: Math.min(k0 + chunk, len) }, grid);
  for (const k0 of starts) b.dispatch(spec('prod_grad_prefix'), bind, { ...base, k_begin: k0, k_end: Math.min(k0 + chunk, len) }, grid);
  state.free();
  temp?.free();
  gTemp?.free();
}

function scan(b: WebGPUContext, combine: Combine, x: View, dim: number, reverse: boolean, out: View): void {
  const op = combine === 'sum' ? 'cumsum' : 'cumprod';
  b.checkOut(op, out);
  if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new Error(`webgpu ${op}: expected float32 or int32, got ${x.dtype}`);
  if (x.shape.length === 0) {
    b.copy(x, out);
    return;
  }
  const len = x.shape[dim]!;
  const nRows = numel(without(x.shape, dim));
  if (nRows === 0 || len === 0) return;
  const { src, temp, co } = rowLayout(b, x, dim, out);
  const L = CUMSUM_LIMITS;
  const perThread = len <= L.rowSteps && (len <= 32 || nRows >= L.minRowsPerThread);
  const chunkLen = b.wg * L.perThread;
  const nChunks = perThread ? 1 : Math.ceil(len / chunkLen);
  const params = {
    n_rows: nRows, len, outer_rank: co.shape.length, x_offset: src.offset, x_step: src.strides[dim]!, o_step: out.strides[dim]!,
    n_chunks: nChunks, chunk_len: chunkLen, per_thread: L.perThread, reverse: reverse ? 1 : 0, write_sums: nChunks > 1 ? 1 : 0, k_begin: 0, k_end: len,
    outer_shape: pad(co.shape), x_strides: pad(co.strides[0]!), o_strides: pad(co.strides[1]!),
  };
  const c = wgslType(x.dtype);
  const spec = (entry: string) => ({ shader: SHADERS.cumsum, entry, variant: `${c}_${combine}`, preamble: `alias C = ${c};\n${COMBINE[combine]}` });
  const [ro, rw] = scratchOf(b);
  if (perThread) {
    b.dispatch(spec('row_thread'), { x: buf(src), carry: ro, out: buf(out), sums: rw }, params, b.grid(Math.ceil(nRows / b.wg)));
  } else if (nChunks === 1) {
    b.dispatch(spec('chunk_scan'), { x: buf(src), carry: ro, out: buf(out), sums: rw }, params, b.grid(nRows));
  } else {
    // Chunk totals, scanned along the chunks (by this same kernel: the totals of a long row of
    // totals are chunked again), then each chunk adds the running total of those before it.
    const sums = b.allocate(x.dtype, nRows * nChunks);
    const carry = b.allocate(x.dtype, nRows * nChunks);
    b.dispatch(spec('chunk_scan'), { x: buf(src), carry: ro, out: buf(out), sums: sums.handle as GPUBuffer }, params, b.grid(nRows * nChunks));
    const grid: View = { storage: sums, dtype: x.dtype, shape: [nRows, nChunks], strides: [nChunks, 1], offset: 0 };
    scan(b, combine, grid, 1, false, { ...grid, storage: carry });
    b.dispatch(spec('add_carry'), { x: ro, carry: carry.handle as GPUBuffer, out: buf(out), sums: rw }, params, b.grid(Math.ceil((nRows * len) / b.wg)));
    sums.free();
    carry.free();
  }
  temp?.free();
}

/** The family's table on a webgpu backend. */
export function webgpuKernels(b: WebGPUContext): CumsumKernels {
  return {
    cumsum: (x, dim, reverse, out) => cumsum(b, x, dim, reverse, out),
    cumprod: (x, dim, out) => cumprod(b, x, dim, out),
    cumprodBackward: (x, g, dim, out) => cumprodBackward(b, x, g, dim, out),
  };
}
