/**
 * CPU reference of batched matmul: a row of out at a time, accumulated in doubles (int32:
 * wrapped products and sums, as int32 arithmetic does), any strides.
 */
import type { View } from '../../core/view.js';
import type { TypedArray } from '../../core/dtype.js';
import { elementOffsets } from '../cpu/strided.js';
import type { MatmulKernels } from './types.js';

const arr = (v: View): TypedArray => v.storage.handle as TypedArray;

export function matmul(a: View, b: View, out: View): void {
  const r = a.shape.length;
  const M = a.shape[r - 2]!;
  const K = a.shape[r - 1]!;
  const N = b.shape[r - 1]!;
  const batchShape = out.shape.slice(0, r - 2);
  const ba = elementOffsets(batchShape, a.strides.slice(0, r - 2), a.offset);
  const bb = elementOffsets(batchShape, b.strides.slice(0, r - 2), b.offset);
  const bo = elementOffsets(batchShape, out.strides.slice(0, r - 2), out.offset);
  const [sam, sak] = [a.strides[r - 2]!, a.strides[r - 1]!];
  const [sbk, sbn] = [b.strides[r - 2]!, b.strides[r - 1]!];
  const [som, son] = [out.strides[r - 2]!, out.strides[r - 1]!];
  const A = arr(a);
  const B = arr(b);
  const O = arr(out);
  const isInt = out.dtype === 'int32';
  const row = new Float64Array(N);
  for (let z = 0; z < ba.length; z++) {
    for (let m = 0; m < M; m++) {
      row.fill(0);
      const aRow = ba[z]! + m * sam;
      for (let k = 0; k < K; k++) {
        const av = A[aRow + k * sak]!;
        if (av === 0) continue;
        const bRow = bb[z]! + k * sbk;
        if (isInt) for (let n = 0; n < N; n++) row[n] = (row[n]! + Math.imul(av, B[bRow + n * sbn]!)) | 0;
        else for (let n = 0; n < N; n++) row[n]! += av * B[bRow + n * sbn]!;
      }
      const oRow = bo[z]! + m * som;
      for (let n = 0; n < N; n++) O[oRow + n * son] = row[n]!;
    }
  }
}

/** The family's table on the cpu backend. */
export const cpuKernels: MatmulKernels = { matmul };
