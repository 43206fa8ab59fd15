/**
 * WebGPU binders of the pooling family (shaders/pool2d*.wgsl, shaders/pool_index.wgsl):
 * max / average / adaptive average pooling, their backward, and the index-range check of
 * embedding and oneHot. The WebGPUContext methods of the same names call these.
 *
 * Pooling runs one spatial axis at a time (see the shader headers): a window is an H range
 * times a W range, so its max or sum is a pass along W then a pass along H, and each
 * invocation's loop covers one axis only. llvmpipe silently ends an invocation's loops after
 * 65535 iterations in all, so every pass checks its loop length against LOOP_BUDGET first.
 */
import type { Pool2dSpec, PoolAxis, View } from '../backend.js';
import { indexRangeMessage, type IndexCheckOp } from './index_check.js';
import { numel } from '../../core/shape.js';
import type { Storage } from '../../core/storage.js';
import type { WebGPUContext } from '../webgpu/context.js';
import { KERNEL_ERRORS, STRIDED_LIB, buf, mathLib, wgslType } from '../webgpu/util.js';
import pool2dSrc from '../../../shaders/pool2d.wgsl';
import pool2dMaxSrc from '../../../shaders/pool2d_max.wgsl';
import pool2dMaxGradSrc from '../../../shaders/pool2d_max_grad.wgsl';
import pool2dMaxSmallSrc from '../../../shaders/pool2d_max_small.wgsl';
import poolIndexSrc from '../../../shaders/pool_index.wgsl';
import type { PoolKernels } from './types.js';

export type { IndexCheckOp, Pool2dSpec, PoolAxis };

/** The shader files of this family (registered in SHADERS by index.ts). */
export const POOL_SHADERS = {
  pool2d: { file: 'pool2d.wgsl', source: pool2dSrc },
  pool2dMax: { file: 'pool2d_max.wgsl', source: pool2dMaxSrc },
  pool2dMaxGrad: { file: 'pool2d_max_grad.wgsl', source: pool2dMaxGradSrc },
  pool2dMaxSmall: { file: 'pool2d_max_small.wgsl', source: pool2dMaxSmallSrc },
  poolIndex: { file: 'pool_index.wgsl', source: poolIndexSrc, lib: STRIDED_LIB },
} as const;

const INDEX_CODES: Record<IndexCheckOp, number> = { embedding: 4, oneHot: 5 };
KERNEL_ERRORS[4] = (index, size) => `${indexRangeMessage('embedding', index | 0, size)}; detected on webgpu by an earlier op, reported at this read`;
KERNEL_ERRORS[5] = (index, size) => `${indexRangeMessage('oneHot', index | 0, size)}; detected on webgpu by an earlier op, reported at this read`;

/** Loop iterations one invocation may run (llvmpipe stops at 65535, silently). */
const LOOP_BUDGET = 60000;
/**
 * Max pooling's backward gathers when an input element lies in at most this many windows
 * (every practical kernel); beyond, an atomic scatter-add keeps each invocation's work constant.
 */
export const MAX_GRAD_GATHER = 4096;

/**
 * Max pooling's one-pass layouts (shaders/pool2d_max_small.wgsl): windows of at most
 * smallWindow taps (not adaptive) run in one pass, and the backward of windows that do not
 * overlap is a scatter when `scatter`. Mutable for tests (0 and false: the general kernels).
 * @internal
 */
export const MAX_POOL_LAYOUT = { smallWindow: 64, scatter: true };

/** Most taps of one window (a forward pass's loop length). */
function taps(a: PoolAxis): number {
  return a.adaptive ? Math.ceil(a.size / a.out) + 1 : a.kernel;
}

/** Most windows holding one input position (a backward pass's loop length). */
function cover(a: PoolAxis): number {
  return a.adaptive ? Math.ceil(a.out / a.size) + 1 : Math.floor(((a.kernel - 1) * a.dilation) / a.stride) + 1;
}

/** Checks the loop length of a pass, and that adaptive window bounds fit the shader's u32 math. */
function checkLoop(op: string, axis: 'H' | 'W', n: number, a?: PoolAxis): void {
  if (a?.adaptive && (a.out + 1) * a.size >= 2 ** 32) {
    throw new Error(`webgpu ${op}: adaptive pooling from ${a.size} to ${a.out} along ${axis} is too large for the kernel's 32-bit window arithmetic`);
  }
  if (n > LOOP_BUDGET) {
    throw new Error(
      `webgpu ${op}: a window spanning ${n} positions along ${axis} exceeds the ${LOOP_BUDGET} loop iterations one invocation may run ` +
        `(llvmpipe stops an invocation's loops after 65535); use smaller windows, or the cpu backend`,
    );
  }
}

function axisUniforms(a: PoolAxis) {
  return { size: a.size, out_len: a.out, kernel: a.kernel, stride: a.stride, pad: a.padding, dilation: a.dilation, adaptive: a.adaptive ? 1 : 0 };
}

/** The window uniforms of pool2d_max_small.wgsl: kernel, stride, padding, dilation per axis. */
const windows = (spec: Pool2dSpec) => ({
  win_h: [spec.h.kernel, spec.h.stride, spec.h.padding, spec.h.dilation],
  win_w: [spec.w.kernel, spec.w.stride, spec.w.padding, spec.w.dilation],
});

/**
 * pool2d_max_small.wgsl's preamble and variant key: the type, the math lib and the geometry as
 * constants (output [C, OH, OW], input H, W, the windows). Baked in, its divisions are by
 * constants and its window loops fixed (llvmpipe, 2 x 2 pooling of [64, 32, 28, 28] in the demo
 * CNN's step: see docs/benchmarks.md).
 */
function smallPoolKernel(entry: 'window' | 'scatter', c: 'f32', spec: Pool2dSpec, C: number, OH: number, OW: number, H: number, W: number) {
  const geo = [C, OH, OW, H, W, spec.h.kernel, spec.h.stride, spec.h.padding, spec.h.dilation, spec.w.kernel, spec.w.stride, spec.w.padding, spec.w.dilation];
  const names = ['OUT_C', 'OUT_H', 'OUT_W', 'IN_H', 'IN_W', 'KH', 'SH', 'PH', 'DH', 'KW', 'SW', 'PW', 'DW'];
  return {
    shader: POOL_SHADERS.pool2dMaxSmall, entry, variant: `${c}|${geo.join(',')}`,
    preamble: () => `alias C = ${c};\n${mathLib(c)}\n${names.map((n, i) => `const ${n} = ${geo[i]}u;`).join('\n')}\n`,
  };
}

const contiguous4 = (s: readonly number[]): number[] => [s[1]! * s[2]! * s[3]!, s[2]! * s[3]!, s[3]!, 1];

function temp(b: WebGPUContext, dtype: 'float32' | 'int32', shape: number[]): { s: Storage; view: View } {
  const s = b.allocate(dtype, numel(shape));
  return { s, view: { storage: s, dtype, shape, strides: contiguous4(shape), offset: 0 } };
}

function floatType(op: string, v: View): 'f32' {
  const c = wgslType(v.dtype);
  if (c !== 'f32') throw new Error(`webgpu ${op}: expected float32, got ${v.dtype}`);
  return c;
}

/** x [N, C, H, W] (any strides) -> out, indices (contiguous [N, C, OH, OW]). */
export function maxPool2d(b: WebGPUContext, x: View, spec: Pool2dSpec, out: View, indices: View): void {
  b.checkOut('maxPool2d', out);
  b.checkOut('maxPool2d', indices);
  const c = floatType('maxPool2d', x);
  const [N, C, H] = x.shape as [number, number, number, number];
  if (numel(out.shape) === 0) return;
  checkLoop('maxPool2d', 'W', taps(spec.w), spec.w);
  checkLoop('maxPool2d', 'H', taps(spec.h), spec.h);
  if (!spec.h.adaptive && !spec.w.adaptive && spec.h.kernel * spec.w.kernel <= MAX_POOL_LAYOUT.smallWindow) {
    // Small windows: all taps in one pass.
    const n = numel(out.shape);
    b.dispatch(
      smallPoolKernel('window', c, spec, C, out.shape[2]!, out.shape[3]!, H, x.shape[3]!),
      { x: buf(x), idx: buf(indices), out: buf(out) },
      { n, x_offset: x.offset, i_offset: 0, out_shape: out.shape, in_hw: [H, x.shape[3]!, 0, 0], x_strides: x.strides, i_strides: [0, 0, 0, 0], ...windows(spec) },
      b.grid(Math.ceil(n / b.wg)),
    );
    return;
  }
  const spec1 = { shader: POOL_SHADERS.pool2dMax, entry: 'max_axis', variant: c, preamble: () => `alias C = ${c};\n${mathLib(c)}\n` };
  const rowShape = [N, C, H, spec.w.out];
  const vals = temp(b, 'float32', rowShape);
  const cols = temp(b, 'int32', rowShape);
  const n1 = numel(rowShape);
  // Along W: each row window's max and its w. x_idx is not read (has_idx 0): `indices`, written
  // only by the next pass, fills the binding.
  b.dispatch(
    spec1,
    { x: buf(x), x_idx: buf(indices), out: buf(vals.view), out_idx: buf(cols.view) },
    { n: n1, axis: 3, x_offset: x.offset, ...axisUniforms(spec.w), has_idx: 0, idx_mult: 1, shape: rowShape, x_strides: x.strides },
    b.grid(Math.ceil(n1 / b.wg)),
  );
  // Along H: the best row, and h * W + w.
  const n2 = numel(out.shape);
  b.dispatch(
    spec1,
    { x: buf(vals.view), x_idx: buf(cols.view), out: buf(out), out_idx: buf(indices) },
    { n: n2, axis: 2, x_offset: 0, ...axisUniforms(spec.h), has_idx: 1, idx_mult: spec.w.size, shape: out.shape, x_strides: vals.view.strides },
    b.grid(Math.ceil(n2 / b.wg)),
  );
  vals.s.free();
  cols.s.free();
}

/** out [N, C, H, W] (contiguous) = the gradients g [N, C, OH, OW] gathered at their argmax. */
export function maxPool2dBackward(b: WebGPUContext, g: View, indices: View, spec: Pool2dSpec, out: View): void {
  b.checkOut('maxPool2dBackward', out);
  const c = floatType('maxPool2dBackward', g);
  const n = numel(out.shape);
  if (n === 0) return;
  const [N, C, H, W] = out.shape as [number, number, number, number];
  const [OH, OW] = [spec.h.out, spec.w.out];
  if (OH * OW === 0) {
    b.fill(out, 0);
    return;
  }
  const disjoint = (a: PoolAxis) => !a.adaptive && a.stride >= (a.kernel - 1) * a.dilation + 1;
  if (MAX_POOL_LAYOUT.scatter && disjoint(spec.h) && disjoint(spec.w)) {
    // No input element in two windows: each output's gradient goes to its argmax alone.
    b.fill(out, 0);
    const no = N * C * OH * OW;
    b.dispatch(
      smallPoolKernel('scatter', c, spec, C, OH, OW, H, W),
      { x: buf(g), idx: buf(indices), out: buf(out) },
      { n: no, x_offset: g.offset, i_offset: indices.offset, out_shape: [N, C, OH, OW], in_hw: [H, W, 0, 0], x_strides: g.strides, i_strides: indices.strides, ...windows(spec) },
      b.grid(Math.ceil(no / b.wg)),
    );
    return;
  }
  const ch = Math.min(cover(spec.h), OH);
  const cw = Math.min(cover(spec.w), OW);
  if (ch * cw + ch <= MAX_GRAD_GATHER) {
    b.dispatch(
      { shader: POOL_SHADERS.pool2dMaxGrad, entry: 'max_grad', variant: c, preamble: `alias C = ${c};\n` },
      { g: buf(g), idx: buf(indices), out: buf(out) },
      {
        n, g_offset: g.offset, i_offset: indices.offset, shape: out.shape, out_hw: [OH, OW, 0, 0],
        g_strides: g.strides, i_strides: indices.strides, ...windows(spec),
      },
      b.grid(Math.ceil(n / b.wg)),
    );
    return;
  }
  // Huge overlapping windows: scatter-add each gradient at its argmax (atomic adds; the order
  // of the additions, and so the last bits, may vary). Both operands as [N, C, OH * OW].
  const flat = (v: View): { view: View; s?: Storage } => {
    if (v.strides[2] === OW * v.strides[3]! || OH === 1) {
      return { view: { storage: v.storage, dtype: v.dtype, offset: v.offset, shape: [N, C, OH * OW], strides: [v.strides[0]!, v.strides[1]!, v.strides[3]!] } };
    }
    const t = temp(b, v.dtype as 'float32' | 'int32', [N, C, OH, OW]);
    b.copy(v, t.view);
    return { view: { storage: t.s, dtype: v.dtype, offset: 0, shape: [N, C, OH * OW], strides: [C * OH * OW, OH * OW, 1] }, s: t.s };
  };
  const gf = flat(g);
  const idf = flat(indices);
  const o3: View = { storage: out.storage, dtype: out.dtype, offset: 0, shape: [N, C, H * W], strides: [C * H * W, H * W, 1] };
  b.fill(out, 0);
  b.scatterAdd(gf.view, 2, idf.view, o3);
  gf.s?.free();
  idf.s?.free();
}

/** Whether average pooling's divisor is applied per axis (1, 2) or as a whole by the H pass (3). */
function divModes(spec: Pool2dSpec): { w: number; h: number; divisor: number } {
  if (spec.divisorOverride !== null) return { w: 0, h: 3, divisor: spec.divisorOverride };
  const mode = (a: PoolAxis) => (a.adaptive || !spec.countIncludePad ? 2 : 1);
  return { w: mode(spec.w), h: mode(spec.h), divisor: 0 };
}

/** Average pooling (plain or adaptive windows): x [N, C, H, W] (any strides) -> contiguous out. */
export function avgPool2d(b: WebGPUContext, x: View, spec: Pool2dSpec, out: View): void {
  b.checkOut('avgPool2d', out);
  const c = floatType('avgPool2d', x);
  if (numel(out.shape) === 0) return;
  const op = spec.h.adaptive ? 'adaptiveAvgPool2d' : 'avgPool2d';
  checkLoop(op, 'W', taps(spec.w), spec.w);
  checkLoop(op, 'H', taps(spec.h), spec.h);
  const kernel = { shader: POOL_SHADERS.pool2d, entry: 'avg_axis', variant: c, preamble: `alias C = ${c};\n` };
  const [N, C, H] = x.shape as [number, number, number, number];
  const div = divModes(spec);
  const rowShape = [N, C, H, spec.w.out];
  const rows = temp(b, 'float32', rowShape);
  const n1 = numel(rowShape);
  b.dispatch(
    kernel,
    { x: buf(x), out: buf(rows.view) },
    { n: n1, axis: 3, x_offset: x.offset, ...axisUniforms(spec.w), div_mode: div.w, divisor: div.divisor, shape: rowShape, x_strides: x.strides },
    b.grid(Math.ceil(n1 / b.wg)),
  );
  const n2 = numel(out.shape);
  b.dispatch(
    kernel,
    { x: buf(rows.view), out: buf(out) },
    { n: n2, axis: 2, x_offset: 0, ...axisUniforms(spec.h), div_mode: div.h, divisor: div.divisor, shape: out.shape, x_strides: rows.view.strides },
    b.grid(Math.ceil(n2 / b.wg)),
  );
  rows.s.free();
}

/** The adjoint of avgPool2d: g [N, C, OH, OW] (any strides) -> contiguous out [N, C, H, W]. */
export function avgPool2dBackward(b: WebGPUContext, g: View, spec: Pool2dSpec, out: View): void {
  b.checkOut('avgPool2dBackward', out);
  const c = floatType('avgPool2dBackward', g);
  if (numel(out.shape) === 0) return;
  const [N, C, H, W] = out.shape as [number, number, number, number];
  if (spec.h.out * spec.w.out === 0) {
    b.fill(out, 0);
    return;
  }
  const op = spec.h.adaptive ? 'adaptiveAvgPool2dBackward' : 'avgPool2dBackward';
  checkLoop(op, 'H', cover(spec.h), spec.h);
  checkLoop(op, 'W', cover(spec.w), spec.w);
  const kernel = { shader: POOL_SHADERS.pool2d, entry: 'avg_axis_grad', variant: c, preamble: `alias C = ${c};\n` };
  const div = divModes(spec);
  const midShape = [N, C, H, spec.w.out];
  const mid = temp(b, 'float32', midShape);
  const n1 = numel(midShape);
  b.dispatch(
    kernel,
    { x: buf(g), out: buf(mid.view) },
    { n: n1, axis: 2, x_offset: g.offset, ...axisUniforms(spec.h), div_mode: div.h, divisor: div.divisor, shape: midShape, x_strides: g.strides },
    b.grid(Math.ceil(n1 / b.wg)),
  );
  const n2 = N * C * H * W;
  b.dispatch(
    kernel,
    { x: buf(mid.view), out: buf(out) },
    { n: n2, axis: 3, x_offset: 0, ...axisUniforms(spec.w), div_mode: div.w, divisor: div.divisor, shape: out.shape, x_strides: mid.view.strides },
    b.grid(Math.ceil(n2 / b.wg)),
  );
  mid.s.free();
}

/** Flags (error code 4 or 5, reported at the next read) any int32 index outside [0, size). */
export function checkIndexRange(b: WebGPUContext, op: IndexCheckOp, index: View, size: number): void {
  const n = numel(index.shape);
  if (n === 0) return;
  const s = b.strided(op, index.shape, [index]);
  b.dispatch(
    { shader: POOL_SHADERS.poolIndex, entry: 'check_range', preamble: '', variant: 'i32' },
    { index: buf(index), errors: b.errorFlags },
    { n, rank: s.rank, offset: index.offset, size, code: INDEX_CODES[op], shape: s.shape, strides: s.strides[0]! },
    b.grid(Math.ceil(n / b.wg)),
  );
  b.errorsMayBeSet = true;
}

/** The family's table on a webgpu backend. */
export function webgpuKernels(b: WebGPUContext): PoolKernels {
  return {
    maxPool2d: (x, spec, out, indices) => maxPool2d(b, x, spec, out, indices),
    maxPool2dBackward: (g, indices, spec, out) => maxPool2dBackward(b, g, indices, spec, out),
    avgPool2d: (x, spec, out) => avgPool2d(b, x, spec, out),
    avgPool2dBackward: (g, spec, out) => avgPool2dBackward(b, g, spec, out),
    checkIndexRange: (op, index, size) => checkIndexRange(b, op, index, size),
  };
}

/** This family's shaders, by name. */
export const SHADERS = POOL_SHADERS;
