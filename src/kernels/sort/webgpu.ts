/**
 * Row sorts on WebGPU (shaders/sort.wgsl): a bitonic network over (value, index) pairs. Rows
 * of up to SORT_LIMITS.block padded elements sort in one dispatch, in workgroup memory
 * (several short rows per workgroup); longer rows sort their blocks there, then each doubling
 * of the merged length past the block runs its long-distance stages as global passes and its
 * short ones in workgroup memory again: log2(p2 / block) * (log2(p2 / block) + 3) / 2 + 1
 * dispatches in all.
 */
import type { View } from '../backend.js';
import type { Storage } from '../../core/storage.js';
import { contiguousStrides, numel } from '../../core/shape.js';
import type { KernelSource } from '../webgpu/pipelines.js';
import type { WebGPUContext } from '../webgpu/context.js';
import { buf, wgslType } from '../webgpu/util.js';
import sortSrc from '../../../shaders/sort.wgsl';
import type { SortKernels } from './types.js';

/** This family's shaders, by name. */
export const SHADERS = {
  sort: { file: 'sort.wgsl', source: sortSrc },
} as const satisfies Record<string, KernelSource>;

/**
 * block: the pairs one workgroup sorts in its memory (a power of two; 2048 pairs of 8 bytes
 * fill 16 KiB, WebGPU's minimum workgroup storage). Mutable, so tests can force the global
 * passes on short rows.
 * @internal
 */
export const SORT_LIMITS = { block: 2048 };

const scratch = new WeakMap<WebGPUContext, GPUBuffer[]>();
function scratchOf(b: WebGPUContext): GPUBuffer[] {
  let s = scratch.get(b);
  if (!s) {
    s = [0, 1].map((i) => b.device.createBuffer({ label: `sort scratch ${i}`, size: 16, usage: GPUBufferUsage.STORAGE }));
    scratch.set(b, s);
  }
  return s;
}

const nextPow2 = (n: number): number => (n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n)));

export function sort(b: WebGPUContext, x: View, descending: boolean, values: View, indices: View): void {
  b.checkOut('sort', values);
  b.checkOut('sort', indices);
  if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new Error(`webgpu sort: expected float32 or int32, got ${x.dtype}`);
  const n = numel(x.shape);
  if (n === 0) return;
  const len = x.shape.length === 0 ? 1 : x.shape[x.shape.length - 1]!;
  const nRows = n / len;
  const p2 = nextPow2(len);
  const total = nRows * p2;
  const maxBytes = b.device.limits.maxStorageBufferBindingSize;
  if (total * 4 > maxBytes || total >= 2 ** 32) {
    throw new Error(`sort: ${nRows} rows of ${len} (padded to ${p2}) need ${total * 4} bytes of scratch, over the adapter's maxStorageBufferBindingSize ${maxBytes}`);
  }
  let src = x;
  let temp: Storage | undefined;
  const cs = contiguousStrides(x.shape);
  if (x.strides.some((s, i) => s !== cs[i] && x.shape[i]! > 1)) {
    temp = b.allocate(x.dtype, n);
    src = { storage: temp, dtype: x.dtype, shape: x.shape, strides: cs, offset: 0 };
    b.copy(x, src);
  }
  // A power of two: the largest that the limit and the device's workgroup storage allow.
  const block = 2 ** Math.floor(Math.log2(Math.min(SORT_LIMITS.block, b.device.limits.maxComputeWorkgroupStorageSize / 8)));
  const c = wgslType(x.dtype);
  const keyNan = c === 'f32' ? 'fn key_nan(v: C) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }' : 'fn key_nan(v: C) -> bool { return false; }';
  const spec = (entry: string) => ({ shader: SHADERS.sort, entry, variant: c, preamble: `alias C = ${c};\n${keyNan}\n`, constants: { BLOCK: block } });
  const base = { n_rows: nRows, len, p2, x_offset: src.offset, descending: descending ? 1 : 0, k: 0, j: 0 };
  const out = { values: buf(values), indices: buf(indices) };
  const blocks = b.grid(Math.ceil(total / block));
  if (p2 <= block) {
    const [k, i] = scratchOf(b);
    b.dispatch(spec('sort_block'), { x: buf(src), keys: k!, idx: i!, ...out }, { ...base, from_x: 1, final_pass: 1, k_first: 2, k_last: p2 }, blocks);
  } else {
    const keys = b.allocate(x.dtype, total);
    const idx = b.allocate('int32', total);
    const io = { x: buf(src), keys: keys.handle as GPUBuffer, idx: idx.handle as GPUBuffer, ...out };
    b.dispatch(spec('sort_block'), io, { ...base, from_x: 1, final_pass: 0, k_first: 2, k_last: block }, blocks);
    for (let k = 2 * block; k <= p2; k *= 2) {
      for (let j = k / 2; j >= block; j /= 2) {
        b.dispatch(spec('sort_merge'), io, { ...base, from_x: 0, final_pass: 0, k_first: 0, k_last: 0, k, j }, b.grid(Math.ceil(total / 2 / b.wg)));
      }
      b.dispatch(spec('sort_block'), io, { ...base, from_x: 0, final_pass: k === p2 ? 1 : 0, k_first: k, k_last: k }, blocks);
    }
    keys.free();
    idx.free();
  }
  temp?.free();
}

/** The family's table on a webgpu backend. */
export function webgpuKernels(b: WebGPUContext): SortKernels {
  return { sort: (x, descending, values, indices) => sort(b, x, descending, values, indices) };
}
