/**
 * CPU kernels of batched matmul, accumulated in doubles (int32: wrapped products and sums, as
 * int32 arithmetic does), any strides.
 *
 * `matmul` is cache- and register-blocked: per batch, B is packed a block of NC columns at a
 * time into panels of 4 columns (K x 4, row by row), A a block of MC rows at a time into
 * panels of 4 rows (K x 4), both as doubles (int32 as Int32Array), edge panels padded with
 * zeros; then a 4 x 4 micro-kernel keeps its 16 sums in locals over the whole of K. The
 * packing reads any strides (transposed, stepped and broadcast operands cost nothing extra),
 * a B shared by consecutive batches (broadcast) is packed once, and each output element sums
 * its K products in ascending k from 0, as the reference does: the results are the
 * reference's bit for bit (JavaScript never fuses a * b + c). Small products (M < 4, or little
 * work) run the reference's row loop.
 *
 * Large products run on threads where Node's worker_threads are (cpu/threads.ts): per batch,
 * all of A and B are packed into SharedArrayBuffers, each thread computes the tiles of its
 * share of B's panels into a shared double (int32) result with the same micro-kernel, and the
 * calling thread stores it into out: the same values, whatever the thread count.
 *
 * `reference` keeps the plain loops: a row of out at a time in a Float64Array, one k after
 * another. Tests check `matmul` against it.
 */
import type { View } from '../../core/view.js';
import type { TypedArray } from '../../core/dtype.js';
import { elementOffsets } from '../cpu/strided.js';
import { cpuThreads, sharedScratch, type Job } from '../cpu/threads.js';
import { addBiasAlong } from '../elementwise/bias.js';
import { binary, unary } from '../elementwise/cpu.js';
import type { FusedAct } from '../ops.js';
import type { MatmulKernels } from './types.js';

const arr = (v: View): TypedArray => v.storage.handle as TypedArray;

/** The operands' dims, strides and batch offsets, shared by both kernels. */
function layout(a: View, b: View, out: View) {
  const r = a.shape.length;
  const batchShape = out.shape.slice(0, r - 2);
  return {
    M: a.shape[r - 2]!,
    K: a.shape[r - 1]!,
    N: b.shape[r - 1]!,
    ba: elementOffsets(batchShape, a.strides.slice(0, r - 2), a.offset),
    bb: elementOffsets(batchShape, b.strides.slice(0, r - 2), b.offset),
    bo: elementOffsets(batchShape, out.strides.slice(0, r - 2), out.offset),
    sam: a.strides[r - 2]!, sak: a.strides[r - 1]!,
    sbk: b.strides[r - 2]!, sbn: b.strides[r - 1]!,
    som: out.strides[r - 2]!, son: out.strides[r - 1]!,
  };
}

/** The plain loops: a row of out at a time, accumulated over k in a Float64Array. */
export function reference(a: View, b: View, out: View): void {
  const { M, K, N, ba, bb, bo, sam, sak, sbk, sbn, som, son } = layout(a, b, out);
  rowLoop(arr(a), arr(b), arr(out), out.dtype === 'int32', M, K, N, ba, bb, bo, sam, sak, sbk, sbn, som, son);
}

function rowLoop(
  A: TypedArray, B: TypedArray, O: TypedArray, isInt: boolean, M: number, K: number, N: number,
  ba: ArrayLike<number>, bb: ArrayLike<number>, bo: ArrayLike<number>,
  sam: number, sak: number, sbk: number, sbn: number, som: number, son: number,
): void {
  const row = new Float64Array(N);
  for (let z = 0; z < ba.length; z++) {
    for (let m = 0; m < M; m++) {
      row.fill(0);
      const aRow = ba[z]! + m * sam;
      for (let k = 0; k < K; k++) {
        const av = A[aRow + k * sak]!;
        const bRow = bb[z]! + k * sbk;
        if (isInt) for (let n = 0; n < N; n++) row[n] = (row[n]! + Math.imul(av, B[bRow + n * sbn]!)) | 0;
        else for (let n = 0; n < N; n++) row[n]! += av * B[bRow + n * sbn]!;
      }
      const oRow = bo[z]! + m * som;
      for (let n = 0; n < N; n++) O[oRow + n * son] = row[n]!;
    }
  }
}

/** Rows of A per packed block (MC x K doubles: 512 KiB at K = 1024, within L2) and columns of B per block. */
const MC = 64;
const NC = 512;
/** Below this much work (M * N * K) the row loop wins: packing costs more than it saves. */
const SMALL = 32 * 32 * 32;
/** From this much work (M * N * K, about a millisecond) a product is split over the threads. */
export const PARALLEL_WORK = 1 << 21;

/** The product, then a bias along the last dim (MatmulKernels.matmul), in place. */
function matmulBias(a: View, b: View, out: View, bias?: View | null, act?: FusedAct | null): void {
  matmul(a, b, out);
  if (bias) addBiasAlong({ binary, unary }, out, bias, out.shape.length - 1, act);
}

export function matmul(a: View, b: View, out: View): void {
  const { M, K, N, ba, bb, bo, sam, sak, sbk, sbn, som, son } = layout(a, b, out);
  const A = arr(a);
  const B = arr(b);
  const O = arr(out);
  const isInt = out.dtype === 'int32';
  if (M < 4 || N < 4 || M * N * K < SMALL) {
    rowLoop(A, B, O, isInt, M, K, N, ba, bb, bo, sam, sak, sbk, sbn, som, son);
    return;
  }
  if (M * N * K >= PARALLEL_WORK && N >= 16 && cpuThreads.threads() > 1) {
    parallel(A, B, O, isInt, M, K, N, ba, bb, bo, sam, sak, sbk, sbn, som, son);
    return;
  }
  const nc0 = Math.min(NC, N);
  const mc0 = Math.min(MC, M);
  const Bp = isInt ? new Int32Array(K * (Math.ceil(nc0 / 4) * 4)) : new Float64Array(K * (Math.ceil(nc0 / 4) * 4));
  const Ap = isInt ? new Int32Array(K * (Math.ceil(mc0 / 4) * 4)) : new Float64Array(K * (Math.ceil(mc0 / 4) * 4));
  const micro = isInt ? microInt : microFloat;
  // A B block stays packed while consecutive batches read the same one (a broadcast B) and N fits one block.
  let packedB = -1;
  for (let z = 0; z < ba.length; z++) {
    for (let j0 = 0; j0 < N; j0 += NC) {
      const nc = Math.min(NC, N - j0);
      const bStart = bb[z]! + j0 * sbn;
      if (!(nc === N && bStart === packedB)) {
        packPanels(B, bStart, sbn, sbk, nc, K, Bp);
        packedB = nc === N ? bStart : -1;
      }
      for (let i0 = 0; i0 < M; i0 += MC) {
        const mc = Math.min(MC, M - i0);
        packPanels(A, ba[z]! + i0 * sam, sam, sak, mc, K, Ap);
        for (let jp = 0; jp < nc; jp += 4) {
          const nv = Math.min(4, nc - jp);
          for (let ip = 0; ip < mc; ip += 4) {
            micro(Ap, ip * K, Bp, jp * K, K, O, bo[z]! + (i0 + ip) * som + (j0 + jp) * son, som, son, Math.min(4, mc - ip), nv);
          }
        }
      }
    }
  }
}

// The workers run gemmShare and the micro-kernels from their own text.
cpuThreads.define(gemmShare.name, () => [storeTile, microFloat, microInt, gemmShare].map(String).join('\n'));

function parallel(
  A: TypedArray, B: TypedArray, O: TypedArray, isInt: boolean, M: number, K: number, N: number,
  ba: ArrayLike<number>, bb: ArrayLike<number>, bo: ArrayLike<number>,
  sam: number, sak: number, sbk: number, sbn: number, som: number, son: number,
): void {
  const [na, nb, nc] = [Math.ceil(M / 4) * 4 * K, Math.ceil(N / 4) * 4 * K, M * N];
  const size = isInt ? 4 : 8;
  const sab = sharedScratch(size * (na + nb + nc) + 16);
  // Every panel element is written by the packing (zeros past the edges) and every C element by a tile.
  const at = (n: number) => Math.ceil((size * n) / 8) * 8;
  const shared = (off: number, n: number) => (isInt ? new Int32Array(sab, off, n) : new Float64Array(sab, off, n));
  const Ap = shared(0, na);
  const Bp = shared(at(na), nb);
  const C = shared(at(na) + at(nb), nc);
  const job: Job = { Ap, Bp, C, M, N, K, isInt: isInt ? 1 : 0, mc: MC };
  let packedB = -1;
  for (let z = 0; z < ba.length; z++) {
    packPanels(A, ba[z]!, sam, sak, M, K, Ap);
    if (bb[z] !== packedB) packPanels(B, (packedB = bb[z]!), sbn, sbk, N, K, Bp);
    cpuThreads.run(gemmShare.name, job, gemmShare);
    for (let m = 0; m < M; m++) {
      const o = bo[z]! + m * som;
      for (let n = 0, c = m * N; n < N; n++, c++) O[o + n * son] = C[c]!;
    }
  }
}

/**
 * One thread's share of a product packed whole (A's panels in job.Ap, B's in job.Bp): the
 * tiles of its range of B's panels, MC rows of A at a time, into job.C (M x N, row-major).
 * Runs on the workers from its own text: it may use only its arguments and the micro-kernels.
 */
function gemmShare(job: Job, tid: number, nthreads: number): void {
  const Ap = job.Ap as Float64Array | Int32Array;
  const Bp = job.Bp as Float64Array | Int32Array;
  const C = job.C as Float64Array | Int32Array;
  const M = job.M as number, N = job.N as number, K = job.K as number, mc = job.mc as number;
  const micro = job.isInt ? microInt : microFloat;
  const panels = Math.ceil(N / 4);
  const lo = Math.floor((panels * tid) / nthreads) * 4;
  const hi = Math.floor((panels * (tid + 1)) / nthreads) * 4;
  for (let i0 = 0; i0 < M; i0 += mc) {
    const iEnd = Math.min(M, i0 + mc);
    for (let jp = lo; jp < hi; jp += 4) {
      const nv = Math.min(4, N - jp);
      for (let ip = i0; ip < iEnd; ip += 4) micro(Ap, ip * K, Bp, jp * K, K, C, ip * N + jp, N, 1, Math.min(4, M - ip), nv);
    }
  }
}

/**
 * Packs `count` lines of an operand (line l at start + l * lineStride, element k of it
 * kStride further) into panels of 4 lines: panel p holds, for each k, its 4 lines' elements
 * next to each other, at P[p * 4 * K + k * 4 + l % 4]. Lines past `count` are zeros.
 */
function packPanels(X: TypedArray, start: number, lineStride: number, kStride: number, count: number, K: number, P: Float64Array | Int32Array): void {
  for (let p = 0; p < count; p += 4) {
    const base = p * K;
    const s0 = start + p * lineStride;
    if (p + 4 <= count) {
      // The four lines side by side, k by k (neighbouring lines often share cache lines).
      const s1 = s0 + lineStride, s2 = s1 + lineStride, s3 = s2 + lineStride;
      for (let k = 0, at = base, o = 0; k < K; k++, at += 4, o += kStride) {
        P[at] = X[s0 + o]!; P[at + 1] = X[s1 + o]!; P[at + 2] = X[s2 + o]!; P[at + 3] = X[s3 + o]!;
      }
      continue;
    }
    for (let l = 0; l < 4; l++) {
      if (p + l < count) {
        let src = s0 + l * lineStride;
        for (let k = 0, at = base + l; k < K; k++, at += 4, src += kStride) P[at] = X[src]!;
      } else {
        for (let k = 0, at = base + l; k < K; k++, at += 4) P[at] = 0;
      }
    }
  }
}

/** One 4 x 4 tile of out from a packed A panel (at ia) and B panel (at ib): 16 double sums over k, in order; mv x nv of them stored. */
function microFloat(Ap: Float64Array | Int32Array, ia: number, Bp: Float64Array | Int32Array, ib: number, K: number, O: TypedArray, o: number, som: number, son: number, mv: number, nv: number): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let k = 0; k < K; k++, ia += 4, ib += 4) {
    const b0 = Bp[ib]!, b1 = Bp[ib + 1]!, b2 = Bp[ib + 2]!, b3 = Bp[ib + 3]!;
    let x = Ap[ia]!;
    c00 += x * b0; c01 += x * b1; c02 += x * b2; c03 += x * b3;
    x = Ap[ia + 1]!;
    c10 += x * b0; c11 += x * b1; c12 += x * b2; c13 += x * b3;
    x = Ap[ia + 2]!;
    c20 += x * b0; c21 += x * b1; c22 += x * b2; c23 += x * b3;
    x = Ap[ia + 3]!;
    c30 += x * b0; c31 += x * b1; c32 += x * b2; c33 += x * b3;
  }
  storeTile(O, o, som, son, mv, nv, c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33);
}

/** The int32 tile: wrapped products (Math.imul) and wrapped sums (| 0), as the reference's. */
function microInt(Ap: Float64Array | Int32Array, ia: number, Bp: Float64Array | Int32Array, ib: number, K: number, O: TypedArray, o: number, som: number, son: number, mv: number, nv: number): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let k = 0; k < K; k++, ia += 4, ib += 4) {
    const b0 = Bp[ib]!, b1 = Bp[ib + 1]!, b2 = Bp[ib + 2]!, b3 = Bp[ib + 3]!;
    let x = Ap[ia]!;
    c00 = (c00 + Math.imul(x, b0)) | 0; c01 = (c01 + Math.imul(x, b1)) | 0; c02 = (c02 + Math.imul(x, b2)) | 0; c03 = (c03 + Math.imul(x, b3)) | 0;
    x = Ap[ia + 1]!;
    c10 = (c10 + Math.imul(x, b0)) | 0; c11 = (c11 + Math.imul(x, b1)) | 0; c12 = (c12 + Math.imul(x, b2)) | 0; c13 = (c13 + Math.imul(x, b3)) | 0;
    x = Ap[ia + 2]!;
    c20 = (c20 + Math.imul(x, b0)) | 0; c21 = (c21 + Math.imul(x, b1)) | 0; c22 = (c22 + Math.imul(x, b2)) | 0; c23 = (c23 + Math.imul(x, b3)) | 0;
    x = Ap[ia + 3]!;
    c30 = (c30 + Math.imul(x, b0)) | 0; c31 = (c31 + Math.imul(x, b1)) | 0; c32 = (c32 + Math.imul(x, b2)) | 0; c33 = (c33 + Math.imul(x, b3)) | 0;
  }
  storeTile(O, o, som, son, mv, nv, c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33);
}

/** Stores the mv x nv valid part of a tile at O[o + i * som + j * son] (a whole 4 x 4 tile without a loop). */
function storeTile(
  O: TypedArray, o: number, som: number, son: number, mv: number, nv: number,
  c00: number, c01: number, c02: number, c03: number, c10: number, c11: number, c12: number, c13: number,
  c20: number, c21: number, c22: number, c23: number, c30: number, c31: number, c32: number, c33: number,
): void {
  if (mv === 4 && nv === 4) {
    O[o] = c00; O[o + son] = c01; O[o + 2 * son] = c02; O[o + 3 * son] = c03; o += som;
    O[o] = c10; O[o + son] = c11; O[o + 2 * son] = c12; O[o + 3 * son] = c13; o += som;
    O[o] = c20; O[o + son] = c21; O[o + 2 * son] = c22; O[o + 3 * son] = c23; o += som;
    O[o] = c30; O[o + son] = c31; O[o + 2 * son] = c32; O[o + 3 * son] = c33;
    return;
  }
  const t = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
  for (let i = 0; i < mv; i++) for (let j = 0; j < nv; j++) O[o + i * som + j * son] = t[i * 4 + j]!;
}

/** The family's table on the cpu backend. */
export const cpuKernels: MatmulKernels = { matmul: matmulBias };
