/**
 * The pooling binder on the wasm backend (src/kernels/wasm/c/pool.c): max / average pooling
 * (plain or adaptive windows) of float32 x [N, C, H, W] read through its strides, and their
 * adjoints, the N * C planes split over the threads when the work is large; the reference's
 * loops, so the results are its own bit for bit. Other dtypes run the cpu reference, as does
 * the index-range check.
 */
import type { Pool2dSpec, PoolAxis, View } from '../backend.js';
import { isContiguous } from '../../core/shape.js';
import type { WasmRuntime } from '../wasm/runtime.js';
import { PARALLEL_WORK, ptr } from '../wasm/util.js';
import * as reference from './cpu.js';
import type { PoolKernels } from './types.js';

const axis = (a: PoolAxis) => [a.size, a.out, a.kernel, a.stride, a.padding, a.dilation, a.adaptive ? 1 : 0];

/** Taps per output (for the threading decision). */
function taps(spec: Pool2dSpec): number {
  const t = (a: PoolAxis) => (a.adaptive ? Math.ceil(a.size / Math.max(a.out, 1)) + 1 : a.kernel);
  return t(spec.h) * t(spec.w);
}

/** Whether v is contiguous (size-1 dims free). */
const contiguous = (v: View): boolean => isContiguous(v.shape, v.strides);

const divisor = (spec: Pool2dSpec) => spec.divisorOverride ?? 0;
const planes = (v: View) => v.shape[0]! * v.shape[1]!;

/** Scratch of `bytes` per thread for the adjoints' double accumulators, released after `f`. */
function withAcc(rt: WasmRuntime, bytes: number, f: (acc: number) => void): void {
  const size = bytes * rt.threads;
  const acc = rt.alloc(size);
  try {
    f(acc);
  } finally {
    rt.release(acc, size);
  }
}

export function maxPool2d(rt: WasmRuntime, x: View, spec: Pool2dSpec, out: View, indices: View): void {
  if (x.dtype !== 'float32' || out.dtype !== 'float32' || indices.dtype !== 'int32' || !contiguous(out) || !contiguous(indices)) {
    return reference.maxPool2d(x, spec, out, indices);
  }
  const P = planes(x);
  const work = P * spec.h.out * spec.w.out;
  if (work === 0) return;
  const s = x.strides;
  rt.run('max_pool2d_f32', [ptr(x), x.shape[1]!, s[0]!, s[1]!, s[2]!, s[3]!, P, ...axis(spec.h), ...axis(spec.w), ptr(out), ptr(indices)],
    P > 1 && work * taps(spec) >= PARALLEL_WORK);
}

export function maxPool2dBackward(rt: WasmRuntime, g: View, indices: View, spec: Pool2dSpec, out: View): void {
  if (g.dtype !== 'float32' || out.dtype !== 'float32' || indices.dtype !== 'int32' || !contiguous(out)) {
    return reference.maxPool2dBackward(g, indices, spec, out);
  }
  const P = planes(g);
  const plane = spec.h.size * spec.w.size;
  if (P * plane === 0) return;
  const [gs, is] = [g.strides, indices.strides];
  withAcc(rt, 8 * plane, (acc) => rt.run('max_pool2d_backward_f32', [
    ptr(g), g.shape[1]!, gs[0]!, gs[1]!, gs[2]!, gs[3]!, ptr(indices), is[0]!, is[1]!, is[2]!, is[3]!,
    P, spec.h.size, spec.w.size, spec.h.out, spec.w.out, ptr(out), acc,
  ], P > 1 && P * (plane + spec.h.out * spec.w.out) >= PARALLEL_WORK));
}

export function avgPool2d(rt: WasmRuntime, x: View, spec: Pool2dSpec, out: View): void {
  if (x.dtype !== 'float32' || out.dtype !== 'float32' || !contiguous(out) || spec.divisorOverride === 0) return reference.avgPool2d(x, spec, out);
  const P = planes(x);
  const work = P * spec.h.out * spec.w.out;
  if (work === 0) return;
  const s = x.strides;
  rt.run('avg_pool2d_f32', [ptr(x), x.shape[1]!, s[0]!, s[1]!, s[2]!, s[3]!, P, ...axis(spec.h), ...axis(spec.w), spec.countIncludePad ? 1 : 0, divisor(spec), ptr(out)],
    P > 1 && work * taps(spec) >= PARALLEL_WORK);
}

export function avgPool2dBackward(rt: WasmRuntime, g: View, spec: Pool2dSpec, out: View): void {
  if (g.dtype !== 'float32' || out.dtype !== 'float32' || !contiguous(out) || spec.divisorOverride === 0) return reference.avgPool2dBackward(g, spec, out);
  const P = planes(g);
  const plane = spec.h.size * spec.w.size;
  if (P * plane === 0) return;
  const gs = g.strides;
  withAcc(rt, 8 * plane, (acc) => rt.run('avg_pool2d_backward_f32', [
    ptr(g), g.shape[1]!, gs[0]!, gs[1]!, gs[2]!, gs[3]!, P, ...axis(spec.h), ...axis(spec.w), spec.countIncludePad ? 1 : 0, divisor(spec), ptr(out), acc,
  ], P > 1 && P * (plane + spec.h.out * spec.w.out * taps(spec)) >= PARALLEL_WORK));
}

/** The family's table on the wasm backend. */
export function wasmKernels(rt: WasmRuntime): PoolKernels {
  return {
    maxPool2d: (x, spec, out, indices) => maxPool2d(rt, x, spec, out, indices),
    maxPool2dBackward: (g, indices, spec, out) => maxPool2dBackward(rt, g, indices, spec, out),
    avgPool2d: (x, spec, out) => avgPool2d(rt, x, spec, out),
    avgPool2dBackward: (g, spec, out) => avgPool2dBackward(rt, g, spec, out),
    checkIndexRange: reference.checkIndexRange,
  };
}
