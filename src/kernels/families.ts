/**
 * The kernel families: each is a folder under src/kernels/ holding its interface (types.ts),
 * its cpu reference (cpu.ts) and its webgpu binder (webgpu.ts), next to its shaders. A backend
 * is its core kernels (backend.ts) plus one table per family; the tables are built in
 * cpu/families.ts and webgpu/families.ts, typed by this interface, so a family missing from
 * either backend is a compile error. docs/ARCHITECTURE.md has the checklist for adding one.
 */
import type { ConvKernels } from './conv/types.js';
import type { ElementwiseKernels } from './elementwise/types.js';
import type { ReduceKernels } from './reduce/types.js';
import type { MatmulKernels } from './matmul/types.js';
import type { CumsumKernels } from './cumsum/types.js';
import type { NormKernels } from './norm/types.js';
import type { OptimKernels } from './optim/types.js';
import type { PoolKernels } from './pool/types.js';
import type { SoftmaxKernels } from './softmax/types.js';
import type { SortKernels } from './sort/types.js';
import type { ScatterKernels } from './scatter/types.js';
import type { ResampleKernels } from './resample/types.js';
import type { RecurrentKernels } from './recurrent/types.js';

export interface KernelFamilies {
  /** unary ops, binary ops, where (the op tables of ops.ts). */
  readonly elementwise: ElementwiseKernels;
  /** sum, prod, max, min, argmax, argmin over the trailing dims. */
  readonly reduce: ReduceKernels;
  /** batched matmul, in tiles whose sizes a plan picks. */
  readonly matmul: MatmulKernels;
  /** conv2d and its gradients (implicit GEMM). */
  readonly conv: ConvKernels;
  /** max / average / adaptive pooling, their adjoints, the index-range check. */
  readonly pooling: PoolKernels;
  /** softmax / log-softmax and the fused class-index losses. */
  readonly softmax: SoftmaxKernels;
  /** batch normalization. */
  readonly norm: NormKernels;
  /** the fused optimizer updates. */
  readonly optim: OptimKernels;
  /** prefix sums along one dim (cumsum and its adjoint). */
  readonly cumsum: CumsumKernels;
  /** row sorts into (value, index) pairs (sort, argsort, kthvalue, quantile, median). */
  readonly sort: SortKernels;
  /** scatter reductions (scatterReduce, scatter). */
  readonly scatter: ScatterKernels;
  /** separable resampling along one axis and its adjoint (interpolate). */
  readonly resample: ResampleKernels;
  /** the fused gate math of one RNN / LSTM / GRU step and its adjoint. */
  readonly recurrent: RecurrentKernels;
}
