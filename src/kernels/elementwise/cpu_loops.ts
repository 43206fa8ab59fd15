/**
 * The cpu elementwise family's specialized loops: one function per hot op, its formula
 * written out (the same expression as its `cpu`/`cpuInt` function in kernels/ops.ts), so
 * each loop is monomorphic and V8 inlines the math instead of calling a closure per element
 * from one shared, megamorphic call site. Each loop walks one run (cpu/strided.ts) and
 * branches once on the run's steps: all 1 (contiguous), one operand 0 (a scalar, a bias
 * row or column broadcast along the run), else a plain strided walk.
 *
 * A loop is looked up by the op-table function it replaces (BINARY_LOOPS, UNARY_LOOPS), so
 * it runs exactly where the reference would call that function, with the same dtype rule;
 * tests/cpu-fast-paths.test.ts checks every entry against the reference bit for bit. Ops
 * missing here (pow, erf, gelu...) keep the generic loop in cpu.ts.
 */
import type { TypedArray } from '../../core/dtype.js';
import { ACTIVATIONS, BINARY, UNARY } from '../ops.js';

/** One run of a binary op: n elements, operand k from offset i_k in steps of s_k. */
export type BinaryLoop = (A: TypedArray, B: TypedArray, O: TypedArray, ia: number, ib: number, io: number, sa: number, sb: number, so: number, n: number) => void;
/** One run of a unary op; a0: its first parameter (leakyRelu's slope). */
export type UnaryLoop = (X: TypedArray, O: TypedArray, ix: number, io: number, sx: number, so: number, n: number, a0: number) => void;

const addLoop: BinaryLoop = (A, B, O, ia, ib, io, sa, sb, so, n) => {
  if (so === 1 && sa === 1 && sb === 1) for (let j = 0; j < n; j++) { const a = A[ia + j]!, b = B[ib + j]!; O[io + j] = a + b; }
  else if (so === 1 && sa === 1 && sb === 0) { const b = B[ib]!; for (let j = 0; j < n; j++) { const a = A[ia + j]!; O[io + j] = a + b; } }
  else if (so === 1 && sa === 0 && sb === 1) { const a = A[ia]!; for (let j = 0; j < n; j++) { const b = B[ib + j]!; O[io + j] = a + b; } }
  else for (let j = 0; j < n; j++, ia += sa, ib += sb, io += so) { const a = A[ia]!, b = B[ib]!; O[io] = a + b; }
};
const addIntLoop: BinaryLoop = (A, B, O, ia, ib, io, sa, sb, so, n) => {
  if (so === 1 && sa === 1 && sb === 1) for (let j = 0; j < n; j++) { const a = A[ia + j]!, b = B[ib + j]!; O[io + j] = (a + b) | 0; }
  else if (so === 1 && sa === 1 && sb === 0) { const b = B[ib]!; for (let j = 0; j < n; j++) { const a = A[ia + j]!; O[io + j] = (a + b) | 0; } }
  else if (so === 1 && sa === 0 && sb === 1) { const a = A[ia]!; for (let j = 0; j < n; j++) { const b = B[ib + j]!; O[io + j] = (a + b) | 0; } }
  else for (let j = 0; j < n; j++, ia += sa, ib += sb, io += so) { const a = A[ia]!, b = B[ib]!; O[io] = (a + b) | 0; }
};
const subLoop: BinaryLoop = (A, B, O, ia, ib, io, sa, sb, so, n) => {
  if (so === 1 && sa === 1 && sb === 1) for (let j = 0; j < n; j++) { const a = A[ia + j]!, b = B[ib + j]!; O[io + j] = a - b; }
  else if (so === 1 && sa === 1 && sb === 0) { const b = B[ib]!; for (let j = 0; j < n; j++) { const a = A[ia + j]!; O[io + j] = a - b; } }
  else if (so === 1 && sa === 0 && sb === 1) { const a = A[ia]!; for (let j = 0; j < n; j++) { const b = B[ib + j]!; O[io + j] = a - b; } }
  else for (let j = 0; j < n; j++, ia += sa, ib += sb, io += so) { const a = A[ia]!, b = B[ib]!; O[io] = a - b; }
};
const subIntLoop: BinaryLoop = (A, B, O, ia, ib, io, sa, sb, so, n) => {
  if (so === 1 && sa === 1 && sb === 1) for (let j = 0; j < n; j++) { const a = A[ia + j]!, b = B[ib + j]!; O[io + j] = (a - b) | 0; }
  else if (so === 1 && sa === 1 && sb === 0) { const b = B[ib]!; for (let j = 0; j < n; j++) { const a = A[ia + j]!; O[io + j] = (a - b) | 0; } }
  else if (so === 1 && sa === 0 && sb === 1) { const a = A[ia]!; for (let j = 0; j < n; j++) { const b = B[ib + j]!; O[io + j] = (a - b) | 0; } }
  else for (let j = 0; j < n; j++, ia += sa, ib += sb, io += so) { const a = A[ia]!, b = B[ib]!; O[io] = (a - b) | 0; }
};
const mulLoop: BinaryLoop = (A, B, O, ia, ib, io, sa, sb, so, n) => {
  if (so === 1 && sa === 1 && sb === 1) for (let j = 0; j < n; j++) { const a = A[ia + j]!, b = B[ib + j]!; O[io + j] = a * b; }
  else if (so === 1 && sa === 1 && sb === 0) { const b = B[ib]!; for (let j = 0; j < n; j++) { const a = A[ia + j]!; O[io + j] = a * b; } }
  else if (so === 1 && sa === 0 && sb === 1) { const a = A[ia]!; for (let j = 0; j < n; j++) { const b = B[ib + j]!; O[io + j] = a * b; } }
  else for (let j = 0; j < n; j++, ia += sa, ib += sb, io += so) { const a = A[ia]!, b = B[ib]!; O[io] = a * b; }
};
const mulIntLoop: BinaryLoop = (A, B, O, ia, ib, io, sa, sb, so, n) => {
  if (so === 1 && sa === 1 && sb === 1) for (let j = 0; j < n; j++) { const a = A[ia + j]!, b = B[ib + j]!; O[io + j] = Math.imul(a, b); }
  else if (so === 1 && sa === 1 && sb === 0) { const b = B[ib]!; for (let j = 0; j < n; j++) { const a = A[ia + j]!; O[io + j] = Math.imul(a, b); } }
  else if (so === 1 && sa === 0 && sb === 1) { const a = A[ia]!; for (let j = 0; j < n; j++) { const b = B[ib + j]!; O[io + j] = Math.imul(a, b); } }
  else for (let j = 0; j < n; j++, ia += sa, ib += sb, io += so) { const a = A[ia]!, b = B[ib]!; O[io] = Math.imul(a, b); }
};
const divLoop: BinaryLoop = (A, B, O, ia, ib, io, sa, sb, so, n) => {
  if (so === 1 && sa === 1 && sb === 1) for (let j = 0; j < n; j++) { const a = A[ia + j]!, b = B[ib + j]!; O[io + j] = a / b; }
  else if (so === 1 && sa === 1 && sb === 0) { const b = B[ib]!; for (let j = 0; j < n; j++) { const a = A[ia + j]!; O[io + j] = a / b; } }
  else if (so === 1 && sa === 0 && sb === 1) { const a = A[ia]!; for (let j = 0; j < n; j++) { const b = B[ib + j]!; O[io + j] = a / b; } }
  else for (let j = 0; j < n; j++, ia += sa, ib += sb, io += so) { const a = A[ia]!, b = B[ib]!; O[io] = a / b; }
};
const maximumLoop: BinaryLoop = (A, B, O, ia, ib, io, sa, sb, so, n) => {
  if (so === 1 && sa === 1 && sb === 1) for (let j = 0; j < n; j++) { const a = A[ia + j]!, b = B[ib + j]!; O[io + j] = (a !== a || b !== b ? NaN : Math.max(a, b)); }
  else if (so === 1 && sa === 1 && sb === 0) { const b = B[ib]!; for (let j = 0; j < n; j++) { const a = A[ia + j]!; O[io + j] = (a !== a || b !== b ? NaN : Math.max(a, b)); } }
  else if (so === 1 && sa === 0 && sb === 1) { const a = A[ia]!; for (let j = 0; j < n; j++) { const b = B[ib + j]!; O[io + j] = (a !== a || b !== b ? NaN : Math.max(a, b)); } }
  else for (let j = 0; j < n; j++, ia += sa, ib += sb, io += so) { const a = A[ia]!, b = B[ib]!; O[io] = (a !== a || b !== b ? NaN : Math.max(a, b)); }
};
const minimumLoop: BinaryLoop = (A, B, O, ia, ib, io, sa, sb, so, n) => {
  if (so === 1 && sa === 1 && sb === 1) for (let j = 0; j < n; j++) { const a = A[ia + j]!, b = B[ib + j]!; O[io + j] = (a !== a || b !== b ? NaN : Math.min(a, b)); }
  else if (so === 1 && sa === 1 && sb === 0) { const b = B[ib]!; for (let j = 0; j < n; j++) { const a = A[ia + j]!; O[io + j] = (a !== a || b !== b ? NaN : Math.min(a, b)); } }
  else if (so === 1 && sa === 0 && sb === 1) { const a = A[ia]!; for (let j = 0; j < n; j++) { const b = B[ib + j]!; O[io + j] = (a !== a || b !== b ? NaN : Math.min(a, b)); } }
  else for (let j = 0; j < n; j++, ia += sa, ib += sb, io += so) { const a = A[ia]!, b = B[ib]!; O[io] = (a !== a || b !== b ? NaN : Math.min(a, b)); }
};
const eqLoop: BinaryLoop = (A, B, O, ia, ib, io, sa, sb, so, n) => {
  if (so === 1 && sa === 1 && sb === 1) for (let j = 0; j < n; j++) { const a = A[ia + j]!, b = B[ib + j]!; O[io + j] = +(a === b); }
  else if (so === 1 && sa === 1 && sb === 0) { const b = B[ib]!; for (let j = 0; j < n; j++) { const a = A[ia + j]!; O[io + j] = +(a === b); } }
  else if (so === 1 && sa === 0 && sb === 1) { const a = A[ia]!; for (let j = 0; j < n; j++) { const b = B[ib + j]!; O[io + j] = +(a === b); } }
  else for (let j = 0; j < n; j++, ia += sa, ib += sb, io += so) { const a = A[ia]!, b = B[ib]!; O[io] = +(a === b); }
};
const neLoop: BinaryLoop = (A, B, O, ia, ib, io, sa, sb, so, n) => {
  if (so === 1 && sa === 1 && sb === 1) for (let j = 0; j < n; j++) { const a = A[ia + j]!, b = B[ib + j]!; O[io + j] = +(a !== b); }
  else if (so === 1 && sa === 1 && sb === 0) { const b = B[ib]!; for (let j = 0; j < n; j++) { const a = A[ia + j]!; O[io + j] = +(a !== b); } }
  else if (so === 1 && sa === 0 && sb === 1) { const a = A[ia]!; for (let j = 0; j < n; j++) { const b = B[ib + j]!; O[io + j] = +(a !== b); } }
  else for (let j = 0; j < n; j++, ia += sa, ib += sb, io += so) { const a = A[ia]!, b = B[ib]!; O[io] = +(a !== b); }
};
const ltLoop: BinaryLoop = (A, B, O, ia, ib, io, sa, sb, so, n) => {
  if (so === 1 && sa === 1 && sb === 1) for (let j = 0; j < n; j++) { const a = A[ia + j]!, b = B[ib + j]!; O[io + j] = +(a < b); }
  else if (so === 1 && sa === 1 && sb === 0) { const b = B[ib]!; for (let j = 0; j < n; j++) { const a = A[ia + j]!; O[io + j] = +(a < b); } }
  else if (so === 1 && sa === 0 && sb === 1) { const a = A[ia]!; for (let j = 0; j < n; j++) { const b = B[ib + j]!; O[io + j] = +(a < b); } }
  else for (let j = 0; j < n; j++, ia += sa, ib += sb, io += so) { const a = A[ia]!, b = B[ib]!; O[io] = +(a < b); }
};
const leLoop: BinaryLoop = (A, B, O, ia, ib, io, sa, sb, so, n) => {
  if (so === 1 && sa === 1 && sb === 1) for (let j = 0; j < n; j++) { const a = A[ia + j]!, b = B[ib + j]!; O[io + j] = +(a <= b); }
  else if (so === 1 && sa === 1 && sb === 0) { const b = B[ib]!; for (let j = 0; j < n; j++) { const a = A[ia + j]!; O[io + j] = +(a <= b); } }
  else if (so === 1 && sa === 0 && sb === 1) { const a = A[ia]!; for (let j = 0; j < n; j++) { const b = B[ib + j]!; O[io + j] = +(a <= b); } }
  else for (let j = 0; j < n; j++, ia += sa, ib += sb, io += so) { const a = A[ia]!, b = B[ib]!; O[io] = +(a <= b); }
};
const gtLoop: BinaryLoop = (A, B, O, ia, ib, io, sa, sb, so, n) => {
  if (so === 1 && sa === 1 && sb === 1) for (let j = 0; j < n; j++) { const a = A[ia + j]!, b = B[ib + j]!; O[io + j] = +(a > b); }
  else if (so === 1 && sa === 1 && sb === 0) { const b = B[ib]!; for (let j = 0; j < n; j++) { const a = A[ia + j]!; O[io + j] = +(a > b); } }
  else if (so === 1 && sa === 0 && sb === 1) { const a = A[ia]!; for (let j = 0; j < n; j++) { const b = B[ib + j]!; O[io + j] = +(a > b); } }
  else for (let j = 0; j < n; j++, ia += sa, ib += sb, io += so) { const a = A[ia]!, b = B[ib]!; O[io] = +(a > b); }
};
const geLoop: BinaryLoop = (A, B, O, ia, ib, io, sa, sb, so, n) => {
  if (so === 1 && sa === 1 && sb === 1) for (let j = 0; j < n; j++) { const a = A[ia + j]!, b = B[ib + j]!; O[io + j] = +(a >= b); }
  else if (so === 1 && sa === 1 && sb === 0) { const b = B[ib]!; for (let j = 0; j < n; j++) { const a = A[ia + j]!; O[io + j] = +(a >= b); } }
  else if (so === 1 && sa === 0 && sb === 1) { const a = A[ia]!; for (let j = 0; j < n; j++) { const b = B[ib + j]!; O[io + j] = +(a >= b); } }
  else for (let j = 0; j < n; j++, ia += sa, ib += sb, io += so) { const a = A[ia]!, b = B[ib]!; O[io] = +(a >= b); }
};
/** The specialized loops, keyed by the op-table function they inline (so a loop is picked exactly where the reference calls that function). */
export const BINARY_LOOPS = new Map<(a: number, b: number) => number, BinaryLoop>([
  [BINARY.add.cpu, addLoop],
  [BINARY.add.cpuInt, addIntLoop],
  [BINARY.sub.cpu, subLoop],
  [BINARY.sub.cpuInt, subIntLoop],
  [BINARY.mul.cpu, mulLoop],
  [BINARY.mul.cpuInt, mulIntLoop],
  [BINARY.div.cpu, divLoop],
  [BINARY.maximum.cpu, maximumLoop],
  [BINARY.minimum.cpu, minimumLoop],
  [BINARY.eq.cpu, eqLoop],
  [BINARY.ne.cpu, neLoop],
  [BINARY.lt.cpu, ltLoop],
  [BINARY.le.cpu, leLoop],
  [BINARY.gt.cpu, gtLoop],
  [BINARY.ge.cpu, geLoop],
]);
const negLoop: UnaryLoop = (X, O, ix, io, sx, so, n) => {
  if (sx === 1 && so === 1) for (let j = 0; j < n; j++) { const x = X[ix + j]!; O[io + j] = -x; }
  else for (let j = 0; j < n; j++, ix += sx, io += so) { const x = X[ix]!; O[io] = -x; }
};
const negIntLoop: UnaryLoop = (X, O, ix, io, sx, so, n) => {
  if (sx === 1 && so === 1) for (let j = 0; j < n; j++) { const x = X[ix + j]!; O[io + j] = -x | 0; }
  else for (let j = 0; j < n; j++, ix += sx, io += so) { const x = X[ix]!; O[io] = -x | 0; }
};
const absLoop: UnaryLoop = (X, O, ix, io, sx, so, n) => {
  if (sx === 1 && so === 1) for (let j = 0; j < n; j++) { const x = X[ix + j]!; O[io + j] = Math.abs(x); }
  else for (let j = 0; j < n; j++, ix += sx, io += so) { const x = X[ix]!; O[io] = Math.abs(x); }
};
const absIntLoop: UnaryLoop = (X, O, ix, io, sx, so, n) => {
  if (sx === 1 && so === 1) for (let j = 0; j < n; j++) { const x = X[ix + j]!; O[io + j] = Math.abs(x) | 0; }
  else for (let j = 0; j < n; j++, ix += sx, io += so) { const x = X[ix]!; O[io] = Math.abs(x) | 0; }
};
const squareLoop: UnaryLoop = (X, O, ix, io, sx, so, n) => {
  if (sx === 1 && so === 1) for (let j = 0; j < n; j++) { const x = X[ix + j]!; O[io + j] = x * x; }
  else for (let j = 0; j < n; j++, ix += sx, io += so) { const x = X[ix]!; O[io] = x * x; }
};
const reluLoop: UnaryLoop = (X, O, ix, io, sx, so, n) => {
  if (sx === 1 && so === 1) for (let j = 0; j < n; j++) { const x = X[ix + j]!; O[io + j] = (x > 0 || x !== x ? x : 0); }
  else for (let j = 0; j < n; j++, ix += sx, io += so) { const x = X[ix]!; O[io] = (x > 0 || x !== x ? x : 0); }
};
const expLoop: UnaryLoop = (X, O, ix, io, sx, so, n) => {
  if (sx === 1 && so === 1) for (let j = 0; j < n; j++) { const x = X[ix + j]!; O[io + j] = Math.exp(x); }
  else for (let j = 0; j < n; j++, ix += sx, io += so) { const x = X[ix]!; O[io] = Math.exp(x); }
};
const logLoop: UnaryLoop = (X, O, ix, io, sx, so, n) => {
  if (sx === 1 && so === 1) for (let j = 0; j < n; j++) { const x = X[ix + j]!; O[io + j] = Math.log(x); }
  else for (let j = 0; j < n; j++, ix += sx, io += so) { const x = X[ix]!; O[io] = Math.log(x); }
};
const sqrtLoop: UnaryLoop = (X, O, ix, io, sx, so, n) => {
  if (sx === 1 && so === 1) for (let j = 0; j < n; j++) { const x = X[ix + j]!; O[io + j] = Math.sqrt(x); }
  else for (let j = 0; j < n; j++, ix += sx, io += so) { const x = X[ix]!; O[io] = Math.sqrt(x); }
};
const rsqrtLoop: UnaryLoop = (X, O, ix, io, sx, so, n) => {
  if (sx === 1 && so === 1) for (let j = 0; j < n; j++) { const x = X[ix + j]!; O[io + j] = 1 / Math.sqrt(x); }
  else for (let j = 0; j < n; j++, ix += sx, io += so) { const x = X[ix]!; O[io] = 1 / Math.sqrt(x); }
};
const sinLoop: UnaryLoop = (X, O, ix, io, sx, so, n) => {
  if (sx === 1 && so === 1) for (let j = 0; j < n; j++) { const x = X[ix + j]!; O[io + j] = Math.sin(x); }
  else for (let j = 0; j < n; j++, ix += sx, io += so) { const x = X[ix]!; O[io] = Math.sin(x); }
};
const cosLoop: UnaryLoop = (X, O, ix, io, sx, so, n) => {
  if (sx === 1 && so === 1) for (let j = 0; j < n; j++) { const x = X[ix + j]!; O[io + j] = Math.cos(x); }
  else for (let j = 0; j < n; j++, ix += sx, io += so) { const x = X[ix]!; O[io] = Math.cos(x); }
};
const tanhLoop: UnaryLoop = (X, O, ix, io, sx, so, n) => {
  if (sx === 1 && so === 1) for (let j = 0; j < n; j++) { const x = X[ix + j]!; O[io + j] = Math.tanh(x); }
  else for (let j = 0; j < n; j++, ix += sx, io += so) { const x = X[ix]!; O[io] = Math.tanh(x); }
};
const sigmoidLoop: UnaryLoop = (X, O, ix, io, sx, so, n) => {
  if (sx === 1 && so === 1) for (let j = 0; j < n; j++) { const x = X[ix + j]!; O[io + j] = (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))); }
  else for (let j = 0; j < n; j++, ix += sx, io += so) { const x = X[ix]!; O[io] = (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))); }
};
const leakyReluLoop: UnaryLoop = (X, O, ix, io, sx, so, n, a0) => {
  if (sx === 1 && so === 1) for (let j = 0; j < n; j++) { const x = X[ix + j]!; O[io + j] = (x > 0 ? x : a0 * x); }
  else for (let j = 0; j < n; j++, ix += sx, io += so) { const x = X[ix]!; O[io] = (x > 0 ? x : a0 * x); }
};
const siluLoop: UnaryLoop = (X, O, ix, io, sx, so, n) => {
  if (sx === 1 && so === 1) for (let j = 0; j < n; j++) { const x = X[ix + j]!; O[io + j] = x / (1 + Math.exp(-x)); }
  else for (let j = 0; j < n; j++, ix += sx, io += so) { const x = X[ix]!; O[io] = x / (1 + Math.exp(-x)); }
};
/**
 * The unary loops costly enough per element (tens of nanoseconds) to split a large
 * contiguous run over the worker threads (elementwise/cpu.ts); an index here is the loop's
 * number in a job.
 */
export const PARALLEL_UNARY: readonly UnaryLoop[] = [expLoop, logLoop, tanhLoop, sigmoidLoop, sinLoop, cosLoop, siluLoop];

/**
 * One thread's share of a contiguous unary run copied into shared memory (job.X -> job.O,
 * job.n elements, loop number job.loop of PARALLEL_UNARY). Runs on the workers from its own
 * text, next to the loops' (see elementwise/cpu.ts): it may use only them and its arguments.
 */
export function unaryShare(job: Record<string, number | TypedArray>, tid: number, nthreads: number): void {
  const loop = [expLoop, logLoop, tanhLoop, sigmoidLoop, sinLoop, cosLoop, siluLoop][job.loop as number]!;
  const n = job.n as number;
  const lo = Math.floor((n * tid) / nthreads);
  const hi = Math.floor((n * (tid + 1)) / nthreads);
  loop(job.X as TypedArray, job.O as TypedArray, lo, lo, 1, 1, hi - lo, job.a0 as number);
}

/** Likewise for the unary ops, keyed by their op-table function. */
export const UNARY_LOOPS = new Map<(x: number, a0: number, a1: number) => number, UnaryLoop>([
  [UNARY.neg.cpu, negLoop],
  [UNARY.neg.cpuInt, negIntLoop],
  [UNARY.abs.cpu, absLoop],
  [UNARY.abs.cpuInt, absIntLoop],
  [UNARY.square.cpu, squareLoop],
  [UNARY.relu.cpu, reluLoop],
  [UNARY.exp.cpu, expLoop],
  [UNARY.log.cpu, logLoop],
  [UNARY.sqrt.cpu, sqrtLoop],
  [UNARY.rsqrt.cpu, rsqrtLoop],
  [UNARY.sin.cpu, sinLoop],
  [UNARY.cos.cpu, cosLoop],
  [UNARY.tanh.cpu, tanhLoop],
  [UNARY.sigmoid.cpu, sigmoidLoop],
  [ACTIVATIONS.leakyRelu.cpu, leakyReluLoop],
  [ACTIVATIONS.silu.cpu, siluLoop],
]);
