/**
 * The elementwise binders: unary ops, binary ops (a vec4 kernel for contiguous operands) and
 * where, over any strides (shaders/lib/strided.wgsl); each op's WGSL comes from the op tables
 * (kernels/ops.ts), spliced into the shader's preamble.
 */
import type { View } from '../../core/view.js';
import { numel } from '../../core/shape.js';
import type { WebGPUContext } from '../webgpu/context.js';
import type { KernelSource } from '../webgpu/pipelines.js';
import { STRIDED_LIB, buf, mathLib, pad, wgslType } from '../webgpu/util.js';
import { ALL_BINARY, ALL_UNARY, type BinaryKernelOp, type UnaryOp } from '../ops.js';
import type { ElementwiseKernels } from './types.js';
import unarySrc from '../../../shaders/unary.wgsl';
import unaryVec4Src from '../../../shaders/unary_vec4.wgsl';
import binarySrc from '../../../shaders/binary.wgsl';
import binaryVec4Src from '../../../shaders/binary_vec4.wgsl';
import binaryRows4Src from '../../../shaders/binary_rows4.wgsl';
import whereSrc from '../../../shaders/where.wgsl';
import whereVec4Src from '../../../shaders/where_vec4.wgsl';

/** This family's shaders, by name. */
export const SHADERS = {
  unary: { file: 'unary.wgsl', source: unarySrc, lib: STRIDED_LIB },
  unaryVec4: { file: 'unary_vec4.wgsl', source: unaryVec4Src },
  binary: { file: 'binary.wgsl', source: binarySrc, lib: STRIDED_LIB },
  binaryVec4: { file: 'binary_vec4.wgsl', source: binaryVec4Src },
  binaryRows4: { file: 'binary_rows4.wgsl', source: binaryRows4Src, lib: STRIDED_LIB },
  where: { file: 'where.wgsl', source: whereSrc, lib: STRIDED_LIB },
  whereVec4: { file: 'where_vec4.wgsl', source: whereVec4Src },
} as const satisfies Record<string, KernelSource>;

export function unary(b: WebGPUContext, op: UnaryOp, x: View, out: View, params: readonly number[] = []): void {
  b.checkOut(op, out);
  const n = numel(out.shape);
  if (n === 0) return;
  const c = wgslType(x.dtype);
  const so = wgslType(out.dtype);
  const s = b.strided(op, out.shape, [x, out]);
  const preamble = () => `alias C = ${c};\nalias SO = ${so};\n${mathLib(c)}\nfn op(x: C) -> SO { return SO(${ALL_UNARY[op].wgsl}); }\n`;
  // Contiguous from a 4-aligned offset: four elements per invocation.
  if (s.rank <= 1 && (s.rank === 0 || s.strides[0]![0] === 1) && x.offset % 4 === 0) {
    const n4 = Math.ceil(n / 4);
    b.dispatch(
      { shader: SHADERS.unaryVec4, entry: 'main', variant: `${op}|${c}|${so}`, preamble },
      { x: buf(x), out: buf(out) },
      { n4, x_offset: x.offset, a0: params[0] ?? 0, a1: params[1] ?? 0 },
      b.grid(Math.ceil(n4 / b.wg)),
    );
    return;
  }
  b.dispatch(
    { shader: SHADERS.unary, entry: 'main', variant: `${op}|${c}|${so}`, preamble },
    { x: buf(x), out: buf(out) },
    { n, rank: s.rank, x_offset: x.offset, a0: params[0] ?? 0, a1: params[1] ?? 0, shape: s.shape, x_strides: s.strides[0]! },
    b.grid(Math.ceil(n / b.wg)),
  );
}

export function binary(b: WebGPUContext, op: BinaryKernelOp, a: View, bv: View, out: View): void {
  b.checkOut(op, out);
  const n = numel(out.shape);
  if (n === 0) return;
  const c = wgslType(a.dtype);
  const so = wgslType(out.dtype);
  const s = b.strided(op, out.shape, [a, bv, out]);
  const preamble = () => `alias C = ${c};\nalias SO = ${so};\n${mathLib(c)}\nfn op(a: C, b: C) -> SO { return SO(${(c === 'f32' && ALL_BINARY[op].wgslF32) || ALL_BINARY[op].wgsl}); }\n`;
  // Contiguous (or single broadcast value) operands: four elements per invocation.
  const flat = (v: View, k: number) => s.rank <= 1 && (s.strides[k]![0] === 0 || (s.strides[k]![0] === 1 && v.offset % 4 === 0));
  if (flat(a, 0) && flat(bv, 1)) {
    const n4 = Math.ceil(n / 4);
    b.dispatch(
      { shader: SHADERS.binaryVec4, entry: 'main', variant: `${op}|${c}|${so}`, preamble },
      { a: buf(a), b: buf(bv), out: buf(out) },
      { n4, a_offset: a.offset, b_offset: bv.offset, a_splat: s.rank === 0 || s.strides[0]![0] === 0 ? 1 : 0, b_splat: s.rank === 0 || s.strides[1]![0] === 0 ? 1 : 0 },
      b.grid(Math.ceil(n4 / b.wg)),
    );
    return;
  }
  // Rows: the innermost dim, a multiple of 4 long, contiguous (from aligned starts) or constant
  // in each operand (a bias broadcast over [N, C, H, W]): four elements per invocation too.
  const r = s.rank;
  const alongRows = (v: View, k: number) => {
    const st = s.strides[k]!;
    if (st[r - 1] === 0) return true;
    return st[r - 1] === 1 && v.offset % 4 === 0 && st.slice(0, r - 1).every((x, d) => x % 4 === 0 || s.shape[d] === 1);
  };
  if (r >= 2 && s.shape[r - 1]! % 4 === 0 && alongRows(a, 0) && alongRows(bv, 1)) {
    const outer = (list: number[]) => pad(list.slice(0, r - 1));
    b.dispatch(
      { shader: SHADERS.binaryRows4, entry: 'main', variant: `${op}|${c}|${so}`, preamble },
      { a: buf(a), b: buf(bv), out: buf(out) },
      {
        n4: n / 4, inner4: s.shape[r - 1]! / 4, outer_rank: r - 1, a_offset: a.offset, b_offset: bv.offset,
        a_inner: s.strides[0]![r - 1] === 1 ? 1 : 0, b_inner: s.strides[1]![r - 1] === 1 ? 1 : 0,
        outer_shape: outer(s.shape), a_strides: outer(s.strides[0]!), b_strides: outer(s.strides[1]!),
      },
      b.grid(Math.ceil(n / 4 / b.wg)),
    );
    return;
  }
  b.dispatch(
    { shader: SHADERS.binary, entry: 'main', variant: `${op}|${c}|${so}`, preamble },
    { a: buf(a), b: buf(bv), out: buf(out) },
    { n, rank: s.rank, a_offset: a.offset, b_offset: bv.offset, shape: s.shape, a_strides: s.strides[0]!, b_strides: s.strides[1]! },
    b.grid(Math.ceil(n / b.wg)),
  );
}

export function where(b: WebGPUContext, cond: View, a: View, bv: View, out: View): void {
  b.checkOut('where', out);
  const n = numel(out.shape);
  if (n === 0) return;
  const s = b.strided('where', out.shape, [cond, a, bv, out]);
  // Rank <= 1, each operand contiguous from a multiple of 4 or one broadcast value: vec4s.
  const splat = (k: number) => s.rank === 0 || s.strides[k]![0] === 0;
  const aligned = (v: View, k: number) => splat(k) || (s.strides[k]![0] === 1 && v.offset % 4 === 0);
  if (s.rank <= 1 && aligned(cond, 0) && aligned(a, 1) && aligned(bv, 2)) {
    const n4 = Math.ceil(n / 4);
    b.dispatch(
      { shader: SHADERS.whereVec4, entry: 'main', variant: out.dtype, preamble: () => `alias C = ${wgslType(out.dtype)};\n` },
      { cond: buf(cond), a: buf(a), b: buf(bv), out: buf(out) },
      { n4, c_offset: cond.offset, a_offset: a.offset, b_offset: bv.offset, c_splat: splat(0) ? 1 : 0, a_splat: splat(1) ? 1 : 0, b_splat: splat(2) ? 1 : 0 },
      b.grid(Math.ceil(n4 / b.wg)),
    );
    return;
  }
  // Other rank <= 1 operands (misaligned offsets, steps): four elements per invocation, scalar loads.
  const flat = s.rank <= 1;
  b.dispatch(
    { shader: SHADERS.where, entry: flat ? 'flat4' : 'main', variant: out.dtype, preamble: () => `alias C = ${wgslType(out.dtype)};\n` },
    { cond: buf(cond), a: buf(a), b: buf(bv), out: buf(out) },
    {
      n, rank: s.rank, c_offset: cond.offset, a_offset: a.offset, b_offset: bv.offset, shape: s.shape,
      c_strides: s.strides[0]!, a_strides: s.strides[1]!, b_strides: s.strides[2]!,
    },
    b.grid(Math.ceil(n / (flat ? 4 * b.wg : b.wg))),
  );
}

/** The family's table on a webgpu backend. */
export function webgpuKernels(b: WebGPUContext): ElementwiseKernels {
  return {
    unary: (op, x, out, params) => unary(b, op, x, out, params),
    binary: (op, a, bv, out) => binary(b, op, a, bv, out),
    where: (cond, a, bv, out) => where(b, cond, a, bv, out),
  };
}
