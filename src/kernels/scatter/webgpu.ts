/**
 * Scatter reductions on WebGPU (shaders/scatter_reduce.wgsl): one invocation per index
 * element, combining into out with compare-exchange loops (the approach of scatterAdd);
 * includeSelf false clears the targets to the mode's identity first, mean counts with an
 * atomic counter and divides in a last pass.
 */
import type { View } from '../backend.js';
import { numel } from '../../core/shape.js';
import type { KernelSource } from '../webgpu/pipelines.js';
import type { WebGPUContext } from '../webgpu/context.js';
import { KERNEL_ERRORS, MAX_RANK, STRIDED_LIB, buf, pad, wgslType } from '../webgpu/util.js';
import scatterSrc from '../../../shaders/scatter_reduce.wgsl';
import type { ScatterKernels, ScatterMode } from './types.js';

/** This family's shaders, by name. */
export const SHADERS = {
  scatterReduce: { file: 'scatter_reduce.wgsl', source: scatterSrc, lib: STRIDED_LIB },
} as const satisfies Record<string, KernelSource>;

/** The error code scatter_reduce.wgsl writes for an index out of range (a high number, clear of the other families' codes). */
export const SCATTER_INDEX_ERROR = 41;
KERNEL_ERRORS[SCATTER_INDEX_ERROR] = (index, size) =>
  `scatterReduce/scatter: index ${index | 0} is out of range for a dimension of size ${size} (expected 0 to ${size - 1}); detected on webgpu by an earlier op, reported at this read`;

const scratch = new WeakMap<WebGPUContext, GPUBuffer>();
function scratchOf(b: WebGPUContext): GPUBuffer {
  let s = scratch.get(b);
  if (!s) {
    s = b.device.createBuffer({ label: 'scatterReduce scratch', size: 16, usage: GPUBufferUsage.STORAGE });
    scratch.set(b, s);
  }
  return s;
}

const NAN = (c: string) => (c === 'f32' ? '(bitcast<u32>(a) & 0x7fffffffu) > 0x7f800000u' : 'false');

/** The WGSL of a mode: combine, identity and mean_of. */
function preamble(mode: ScatterMode, c: 'f32' | 'i32'): string {
  const nanA = NAN(c);
  const nanB = NAN(c).replace('(a)', '(b)');
  const combine =
    mode === 'sum' || mode === 'mean' ? 'a + b'
    : mode === 'prod' ? 'a * b'
    : mode === 'amax' ? `select(select(max(a, b), b, ${nanB}), a, ${nanA})`
    : mode === 'amin' ? `select(select(min(a, b), b, ${nanB}), a, ${nanA})`
    : 'b';
  const identity =
    mode === 'prod' ? (c === 'f32' ? '1.0' : '1')
    : mode === 'amax' ? (c === 'f32' ? 'bitcast<f32>(inf_bits | 0x80000000u)' : 'i32(-2147483647) - 1')
    : mode === 'amin' ? (c === 'f32' ? 'bitcast<f32>(inf_bits)' : '2147483647')
    : c === 'f32' ? '0.0' : '0';
  const meanOf = c === 'f32'
    ? 'return s / f32(n);'
    : 'let d = i32(n); let q = s / d; return select(q, q - 1, s % d != 0 && s < 0);';
  return `alias C = ${c};\nfn combine(a: C, b: C) -> C { return ${combine}; }\nfn identity() -> C { var inf_bits = 0x7f800000u; return ${identity}; }\nfn mean_of(s: C, n: u32) -> C { ${meanOf} }\n`;
}

export function scatterReduce(b: WebGPUContext, src: View, dim: number, index: View, mode: ScatterMode, includeSelf: boolean, out: View): void {
  b.checkOut('scatterReduce', out);
  const n = numel(index.shape);
  if (n === 0) return;
  if (index.shape.length > MAX_RANK) throw new Error(`webgpu scatterReduce: rank ${index.shape.length} exceeds ${MAX_RANK}`);
  const c = wgslType(out.dtype);
  if (c === 'u32') throw new Error('webgpu scatterReduce: bool tensors are not supported');
  const spec = (entry: string) => ({ shader: SHADERS.scatterReduce, entry, variant: `${mode}|${c}`, preamble: () => preamble(mode, c) });
  const nOut = numel(out.shape);
  const counts = mode === 'mean' ? b.allocate('int32', nOut) : undefined;
  if (counts) b.fill({ storage: counts, dtype: 'int32', shape: [nOut], strides: [1], offset: 0 }, 0);
  const res = { src: buf(src), index: buf(index), out: buf(out), count: counts ? (counts.handle as GPUBuffer) : scratchOf(b), errors: b.errorFlags };
  const params = {
    n, rank: index.shape.length, dim, dim_size: out.shape[dim]!, s_offset: src.offset, i_offset: index.offset,
    include_self: includeSelf ? 1 : 0, assign: mode === 'assign' ? 1 : 0, count_it: counts ? 1 : 0, n_out: nOut,
    shape: pad(index.shape), s_strides: pad(src.strides), i_strides: pad(index.strides), o_strides: pad(out.strides),
  };
  const grid = b.grid(Math.ceil(n / b.wg));
  if (!includeSelf && mode !== 'assign') b.dispatch(spec('clear'), res, params, grid);
  b.dispatch(spec('main'), res, params, grid);
  if (counts) {
    b.dispatch(spec('finish_mean'), res, params, b.grid(Math.ceil(nOut / b.wg)));
    counts.free();
  }
  b.errorsMayBeSet = true;
}

/** The family's table on a webgpu backend. */
export function webgpuKernels(b: WebGPUContext): ScatterKernels {
  return { scatterReduce: (src, dim, index, mode, includeSelf, out) => scatterReduce(b, src, dim, index, mode, includeSelf, out) };
}
