/**
 * The matmul binder on the wasm backend: float32 products run gemm_f32 (src/kernels/wasm/c/
 * gemm.c: packed panels, a 4 x 8 register tile, 128-bit SIMD), one call per batch, the rows
 * split over the threads. Any strides work (the packing reads them), so transposed operands
 * cost no copy. Other dtypes run the cpu reference.
 */
import type { View } from '../../core/view.js';
import { elementOffsets } from '../cpu/strided.js';
import type { WasmRuntime } from '../wasm/runtime.js';
import { PARALLEL_WORK, ptr } from '../wasm/util.js';
import { matmul as reference } from './cpu.js';
import type { MatmulKernels } from './types.js';
import { addBiasAlong } from '../elementwise/bias.js';
import { biasKernels } from '../elementwise/wasm.js';
import type { FusedAct } from '../ops.js';

export function matmul(rt: WasmRuntime, a: View, b: View, out: View, bias?: View | null, act?: FusedAct | null): void {
  product(rt, a, b, out);
  if (bias) addBiasAlong(biasKernels(rt), out, bias, out.shape.length - 1, act);
}

function product(rt: WasmRuntime, a: View, b: View, out: View): void {
  if (out.dtype !== 'float32' || a.dtype !== 'float32' || b.dtype !== 'float32') return reference(a, b, out);
  const r = a.shape.length;
  const M = a.shape[r - 2]!;
  const K = a.shape[r - 1]!;
  const N = b.shape[r - 1]!;
  const batch = out.shape.slice(0, r - 2);
  const ba = elementOffsets(batch, a.strides.slice(0, r - 2), 0);
  const bb = elementOffsets(batch, b.strides.slice(0, r - 2), 0);
  const bo = elementOffsets(batch, out.strides.slice(0, r - 2), 0);
  if (M === 0 || N === 0) return;
  const [pa, pb, po] = [ptr(a), ptr(b), ptr(out)];
  const parallel = M >= 8 && M * N * K >= PARALLEL_WORK;
  for (let z = 0; z < ba.length; z++) {
    rt.run('gemm_f32', [
      pa + 4 * ba[z]!, a.strides[r - 2]!, a.strides[r - 1]!, pb + 4 * bb[z]!, b.strides[r - 2]!, b.strides[r - 1]!,
      po + 4 * bo[z]!, out.strides[r - 2]!, M, N, K, 0, rt.scratch, rt.scratchBytes, rt.counter(),
    ], parallel);
  }
}

/** The family's table on the wasm backend. */
export function wasmKernels(rt: WasmRuntime): MatmulKernels {
  return { matmul: (a, b, out, bias, act) => matmul(rt, a, b, out, bias, act) };
}
