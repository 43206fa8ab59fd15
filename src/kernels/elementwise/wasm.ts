/**
 * The elementwise binder on the wasm backend: float32 unary ops (the activations included)
 * and binary ops (the activations' backward passes included) run src/kernels/wasm/c/elementwise.c over the operands' runs
 * (cpu/strided.ts: merged dims, one step per operand, each run's start offsets), the
 * elements split over the threads when there are many. Steps 0 and 1 load vectors or
 * splats (same-shape, scalar, row and column broadcasts), other steps gather four lanes.
 * where (a bool condition, float32 values) selects lanes the same way. Other dtypes, ops
 * without a C version (sin, cos, erf, pow...) and outputs that are not walked with step 1
 * run the cpu kernels.
 */
import type { BiasKernels } from './bias.js';
import type { View } from '../../core/view.js';
import { stridedRuns } from '../cpu/strided.js';
import type { BinaryKernelOp, UnaryOp } from '../ops.js';
import type { WasmRuntime } from '../wasm/runtime.js';
import { PARALLEL_WORK } from '../wasm/util.js';
import { binary as cpuBinary, unary as cpuUnary, where as cpuWhere } from './cpu.js';
import type { ElementwiseKernels } from './types.js';

/** The C op codes (elementwise.c's enums). */
const BINARY_CODE: Partial<Record<BinaryKernelOp, number>> = {
  add: 0, sub: 1, mul: 2, div: 3, maximum: 4, minimum: 5, eq: 6, ne: 7, lt: 8, le: 9, gt: 10, ge: 11,
  reluGrad: 12, sigmoidGrad: 13, tanhGrad: 14, siluGrad: 15, geluGrad: 16,
};
/** Codes 6 to 11 are the comparisons (bool results). */
const isComparison = (code: number) => code >= 6 && code <= 11;
const UNARY_CODE: Partial<Record<UnaryOp, number>> = {
  neg: 0, abs: 1, square: 2, sign: 3, relu: 4, exp: 5, log: 6, log1p: 7, expm1: 8, sqrt: 9, rsqrt: 10,
  tanh: 11, sigmoid: 12, round: 13, floor: 14, ceil: 15, trunc: 16,
  leakyRelu: 17, elu: 18, gelu: 19, geluTanh: 20, silu: 21, softplus: 22, hardtanh: 23,
};
/** Ops that cost tens of operations an element: split over the threads from fewer elements. */
const HEAVY = new Set<UnaryOp>(['exp', 'log', 'log1p', 'expm1', 'tanh', 'sigmoid', 'elu', 'gelu', 'geluTanh', 'silu', 'softplus']);

const over = (v: View) => ({ strides: v.strides, offset: v.offset });
/** The byte address of element 0 of a view's array (runs' starts count from there). */
const base = (v: View): number => (v.storage.handle as ArrayBufferView).byteOffset;

/**
 * Runs `fn(..., tables..., runs, inner, steps..., extra)` over the runs of `views` (the
 * output last): with one run its starts go into the pointers; with more, the start tables
 * are copied to the heap. Returns false (nothing run) when a table is not int32.
 */
function runOverRuns(
  rt: WasmRuntime, fn: string, head: number[], views: View[], shape: readonly number[], extra: number[], heavy: boolean,
): boolean {
  const { inner, steps, starts } = stridedRuns(shape, views.map(over));
  const runs = starts[0]!.length;
  if (runs === 0 || inner === 0) return true;
  // The output (last) must be walked with step 1; a run of one element has no step.
  const st = inner === 1 ? steps.map(() => 0) : [...steps];
  if (inner > 1 && st[st.length - 1] !== 1) return false;
  if (starts.some((s) => !(s instanceof Int32Array))) return false;
  const total = runs * inner;
  const parallel = total >= (heavy ? PARALLEL_WORK >> 3 : PARALLEL_WORK);
  const size = views.map((v) => (v.storage.handle as ArrayBufferView as Float32Array).BYTES_PER_ELEMENT);
  if (runs === 1) {
    const ptrs = views.map((v, k) => base(v) + size[k]! * starts[k]![0]!);
    rt.run(fn, [...head, ...ptrs, ...views.map(() => 0), 1, inner, ...st.slice(0, -1), ...extra], parallel);
    return true;
  }
  const bytes = 4 * runs * views.length;
  const at = rt.alloc(bytes);
  try {
    const tables = new Int32Array(rt.memory.buffer, at, runs * views.length);
    starts.forEach((s, k) => tables.set(s as Int32Array, k * runs));
    rt.run(fn, [...head, ...views.map(base), ...views.map((_, k) => at + 4 * k * runs), runs, inner, ...st.slice(0, -1), ...extra], parallel);
  } finally {
    rt.release(at, bytes);
  }
  return true;
}

export function unary(rt: WasmRuntime, op: UnaryOp, x: View, out: View, params: readonly number[] = []): void {
  const code = UNARY_CODE[op];
  if (code === undefined || x.dtype !== 'float32' || out.dtype !== 'float32') return cpuUnary(op, x, out, params);
  const extra = [params[0] ?? 0, params[1] ?? 0];
  // softplus's beta x runs in float32: exact only for powers of two (beta = 1 by default).
  if (op === 'softplus' && !Number.isInteger(Math.log2(Math.abs(extra[0]!)))) return cpuUnary(op, x, out, params);
  if (!runOverRuns(rt, 'ew_unary_f32', [code], [x, out], out.shape, extra, HEAVY.has(op))) cpuUnary(op, x, out, params);
}

/** The add and unary kernels of addBiasAlong (elementwise/bias.ts) on this runtime. */
export function biasKernels(rt: WasmRuntime): BiasKernels {
  return { binary: (op, a, b, out) => binary(rt, op, a, b, out), unary: (op, x, out, params) => unary(rt, op, x, out, params) };
}

export function binary(rt: WasmRuntime, op: BinaryKernelOp, a: View, b: View, out: View): void {
  const code = BINARY_CODE[op];
  const want = code !== undefined && isComparison(code) ? 'bool' : 'float32';
  if (code === undefined || a.dtype !== 'float32' || b.dtype !== 'float32' || out.dtype !== want) return cpuBinary(op, a, b, out);
  if (!runOverRuns(rt, 'ew_binary_f32', [code], [a, b, out], out.shape, [], false)) cpuBinary(op, a, b, out);
}

export function where(rt: WasmRuntime, cond: View, a: View, b: View, out: View): void {
  if (cond.dtype !== 'bool' || a.dtype !== 'float32' || b.dtype !== 'float32' || out.dtype !== 'float32') return cpuWhere(cond, a, b, out);
  if (!runOverRuns(rt, 'ew_where_f32', [], [cond, a, b, out], out.shape, [], false)) cpuWhere(cond, a, b, out);
}

/** The family's table on the wasm backend. */
export function wasmKernels(rt: WasmRuntime): ElementwiseKernels {
  return {
    unary: (op, x, out, params) => unary(rt, op, x, out, params),
    binary: (op, a, b, out) => binary(rt, op, a, b, out),
    where: (cond, a, b, out) => where(rt, cond, a, b, out),
  };
}
