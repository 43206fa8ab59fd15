/**
 * CPU kernels of the elementwise family: each op's cpu function from the op tables
 * (kernels/ops.ts), over any strides. The kernels walk their operands in runs
 * (cpu/strided.ts: merged dims, a strided inner loop, one offset per run), so broadcasts and
 * transposes need no per-element offset table. The hot ops run a loop of their own per run
 * (cpu_loops.ts: the formula inlined, contiguous and broadcast runs without strides); the
 * rest call the op's function per element. Large contiguous runs of the costly unary ops
 * (exp, log, tanh, sigmoid...) are split over the cpu backend's worker threads. `reference` keeps the plain loops (a table of
 * every element's offset per operand), against which tests check the kernels.
 */
import type { View } from '../../core/view.js';
import { isIntegral, type TypedArray } from '../../core/dtype.js';
import { stridedRuns, viewOffsets } from '../cpu/strided.js';
import { ALL_BINARY, ALL_UNARY, elementwiseTypes, type BinaryKernelOp, type UnaryOp } from '../ops.js';
import type { ElementwiseKernels } from './types.js';
import { BINARY_LOOPS, PARALLEL_UNARY, UNARY_LOOPS, unaryShare, type UnaryLoop } from './cpu_loops.js';
import { cpuThreads, sharedScratch, type Job } from '../cpu/threads.js';

/** From this many elements a costly unary op on contiguous operands runs on the worker threads. */
export const PARALLEL_ELEMENTS = 1 << 17;

// The workers run unaryShare and the loops it picks from, from their own text.
cpuThreads.define(unaryShare.name, () => [...PARALLEL_UNARY.map((f) => `const ${f.name} = ${String(f)};`), String(unaryShare)].join('\n'));

/**
 * A contiguous run of a costly op over the threads: x is copied into a SharedArrayBuffer, each
 * thread runs the op's own loop over its part into a shared output of out's type, which is
 * copied into out. The copies cost about a nanosecond an element, the ops tens.
 */
function parallelUnary(loop: UnaryLoop, src: TypedArray, ix: number, dst: TypedArray, io: number, n: number, a0: number): void {
  type Ctor = new (b: SharedArrayBuffer, at: number, n: number) => TypedArray;
  const xBytes = Math.ceil((n * src.BYTES_PER_ELEMENT) / 8) * 8;
  const sab = sharedScratch(xBytes + n * dst.BYTES_PER_ELEMENT);
  const X = new (src.constructor as Ctor)(sab, 0, n);
  const O = new (dst.constructor as Ctor)(sab, xBytes, n);
  X.set(src.subarray(ix, ix + n));
  cpuThreads.run(unaryShare.name, { X, O, n, a0, loop: PARALLEL_UNARY.indexOf(loop) } as Job, unaryShare as (job: Job, tid: number, nthreads: number) => void);
  dst.set(O, io);
}

const arr = (v: View): TypedArray => v.storage.handle as TypedArray;
/** A view's strides over `shape` (its own shape may be shorter or have 1s: broadcast). */
const over = (v: View) => ({ strides: v.strides, offset: v.offset });

function unaryFn(op: UnaryOp, dtype: View['dtype']) {
  const def = ALL_UNARY[op];
  const { compute } = elementwiseTypes(def.rule, dtype);
  // int8/uint8 compute as int32 and wrap modulo 256 on store (the typed array does it), as PyTorch's int8 math wraps.
  return (isIntegral(compute) && def.cpuInt) || def.cpu;
}
function binaryFn(op: BinaryKernelOp, dtype: View['dtype']) {
  const def = ALL_BINARY[op];
  return isIntegral(dtype) && def.cpuInt ? def.cpuInt : def.cpu;
}

export function unary(op: UnaryOp, x: View, out: View, params: readonly number[] = []): void {
  const f = unaryFn(op, x.dtype);
  const src = arr(x);
  const dst = arr(out);
  const a0 = params[0] ?? 0;
  const a1 = params[1] ?? 0;
  const { inner, steps: [sx, so], starts: [bx, bo] } = stridedRuns(out.shape, [over(x), over(out)]);
  const loop = UNARY_LOOPS.get(f);
  if (loop && bo!.length === 1 && inner >= PARALLEL_ELEMENTS && sx === 1 && so === 1 && PARALLEL_UNARY.includes(loop) && cpuThreads.threads() > 1) {
    parallelUnary(loop, src, bx![0]!, dst, bo![0]!, inner, a0);
    return;
  }
  if (loop) {
    for (let r = 0; r < bo!.length; r++) loop(src, dst, bx![r]!, bo![r]!, sx!, so!, inner, a0);
    return;
  }
  for (let r = 0; r < bo!.length; r++) {
    let ix = bx![r]!;
    let io = bo![r]!;
    for (let j = 0; j < inner; j++, ix += sx!, io += so!) dst[io] = f(src[ix]!, a0, a1);
  }
}

export function binary(op: BinaryKernelOp, a: View, b: View, out: View): void {
  const f = binaryFn(op, a.dtype);
  const A = arr(a);
  const B = arr(b);
  const dst = arr(out);
  const { inner, steps: [sa, sb, so], starts: [ba, bb, bo] } = stridedRuns(out.shape, [over(a), over(b), over(out)]);
  const loop = BINARY_LOOPS.get(f);
  if (loop) {
    for (let r = 0; r < bo!.length; r++) loop(A, B, dst, ba![r]!, bb![r]!, bo![r]!, sa!, sb!, so!, inner);
    return;
  }
  for (let r = 0; r < bo!.length; r++) {
    let ia = ba![r]!;
    let ib = bb![r]!;
    let io = bo![r]!;
    for (let j = 0; j < inner; j++, ia += sa!, ib += sb!, io += so!) dst[io] = f(A[ia]!, B[ib]!);
  }
}

export function where(cond: View, a: View, b: View, out: View): void {
  const C = arr(cond);
  const A = arr(a);
  const B = arr(b);
  const dst = arr(out);
  const { inner, steps: [sc, sa, sb, so], starts: [bc, ba, bb, bo] } = stridedRuns(out.shape, [over(cond), over(a), over(b), over(out)]);
  for (let r = 0; r < bo!.length; r++) {
    let ic = bc![r]!;
    let ia = ba![r]!;
    let ib = bb![r]!;
    let io = bo![r]!;
    if (sc === 1 && sa === 1 && sb === 1 && so === 1) for (let j = 0; j < inner; j++) dst[io + j] = C[ic + j] ? A[ia + j]! : B[ib + j]!;
    else for (let j = 0; j < inner; j++, ic += sc!, ia += sa!, ib += sb!, io += so!) dst[io] = C[ic] ? A[ia]! : B[ib]!;
  }
}

/** The plain loops: every element's offset per operand, in a table. Tests check the kernels against these. */
export const reference: ElementwiseKernels = {
  unary(op, x, out, params = []) {
    const f = unaryFn(op, x.dtype);
    const [src, dst] = [arr(x), arr(out)];
    const offs = viewOffsets(x, out.shape);
    const oo = viewOffsets(out, out.shape);
    for (let i = 0; i < offs.length; i++) dst[oo[i]!] = f(src[offs[i]!]!, params[0] ?? 0, params[1] ?? 0);
  },
  binary(op, a, b, out) {
    const f = binaryFn(op, a.dtype);
    const [A, B, dst] = [arr(a), arr(b), arr(out)];
    const oa = viewOffsets(a, out.shape);
    const ob = viewOffsets(b, out.shape);
    const oo = viewOffsets(out, out.shape);
    for (let i = 0; i < oa.length; i++) dst[oo[i]!] = f(A[oa[i]!]!, B[ob[i]!]!);
  },
  where(cond, a, b, out) {
    const [C, A, B, dst] = [arr(cond), arr(a), arr(b), arr(out)];
    const oc = viewOffsets(cond, out.shape);
    const oa = viewOffsets(a, out.shape);
    const ob = viewOffsets(b, out.shape);
    const oo = viewOffsets(out, out.shape);
    for (let i = 0; i < oa.length; i++) dst[oo[i]!] = C[oc[i]!] ? A[oa[i]!]! : B[ob[i]!]!;
  },
};

/** The family's table on the cpu backend. */
export const cpuKernels: ElementwiseKernels = { unary, binary, where };
