/**
 * CPU reference of the elementwise kernels: each op's cpu function from the op tables
 * (kernels/ops.ts), over any strides, with a contiguous fast path (no offset tables).
 */
import type { View } from '../../core/view.js';
import { isIntegral, type TypedArray } from '../../core/dtype.js';
import { isContiguous, numel } from '../../core/shape.js';
import { viewOffsets } from '../cpu/strided.js';
import { ALL_UNARY, BINARY, elementwiseTypes, type BinaryOp, type UnaryOp } from '../ops.js';
import type { ElementwiseKernels } from './types.js';

const arr = (v: View): TypedArray => v.storage.handle as TypedArray;
/** Whether v is laid out row-major over `shape` (element i at v.offset + i). */
const flat = (v: View, shape: readonly number[]): boolean => isContiguous(shape, v.strides);
/** Whether v is one value broadcast everywhere (every stride 0). */
const scalar = (v: View): boolean => v.strides.every((s) => s === 0);

export function unary(op: UnaryOp, x: View, out: View, params: readonly number[] = []): void {
  const def = ALL_UNARY[op];
  const { compute } = elementwiseTypes(def.rule, x.dtype);
  // int8/uint8 compute as int32 and wrap modulo 256 on store (the typed array does it), as PyTorch's int8 math wraps.
  const f = (isIntegral(compute) && def.cpuInt) || def.cpu;
  const src = arr(x);
  const dst = arr(out);
  const a0 = params[0] ?? 0;
  const a1 = params[1] ?? 0;
  if (flat(x, out.shape) && flat(out, out.shape)) {
    // Contiguous operands: no offset tables (the common case, several times faster).
    const n = numel(out.shape);
    for (let i = 0; i < n; i++) dst[out.offset + i] = f(src[x.offset + i]!, a0, a1);
    return;
  }
  const offs = viewOffsets(x, out.shape);
  const oo = viewOffsets(out, out.shape);
  for (let i = 0; i < offs.length; i++) dst[oo[i]!] = f(src[offs[i]!]!, a0, a1);
}

export function binary(op: BinaryOp, a: View, b: View, out: View): void {
  const def = BINARY[op];
  const f = isIntegral(a.dtype) && 'cpuInt' in def ? def.cpuInt : def.cpu;
  const A = arr(a);
  const B = arr(b);
  const dst = arr(out);
  if (flat(out, out.shape) && (flat(a, out.shape) || scalar(a)) && (flat(b, out.shape) || scalar(b))) {
    const n = numel(out.shape);
    const [sa, sb] = [scalar(a) ? 0 : 1, scalar(b) ? 0 : 1];
    for (let i = 0; i < n; i++) dst[out.offset + i] = f(A[a.offset + sa * i]!, B[b.offset + sb * i]!);
    return;
  }
  const oa = viewOffsets(a, out.shape);
  const ob = viewOffsets(b, out.shape);
  const oo = viewOffsets(out, out.shape);
  for (let i = 0; i < oa.length; i++) dst[oo[i]!] = f(A[oa[i]!]!, B[ob[i]!]!);
}

export function where(cond: View, a: View, b: View, out: View): void {
  const C = arr(cond);
  const A = arr(a);
  const B = arr(b);
  const dst = arr(out);
  const oc = viewOffsets(cond, out.shape);
  const oa = viewOffsets(a, out.shape);
  const ob = viewOffsets(b, out.shape);
  const oo = viewOffsets(out, out.shape);
  for (let i = 0; i < oa.length; i++) dst[oo[i]!] = C[oc[i]!] ? A[oa[i]!]! : B[ob[i]!]!;
}

/** The family's table on the cpu backend. */
export const cpuKernels: ElementwiseKernels = { unary, binary, where };
