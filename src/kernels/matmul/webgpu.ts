/**
 * The matmul binder: one dispatch of shaders/matmul.wgsl per K slab and per 65535 batches.
 *
 * Variants: `plan` picks a named tiling (kernels/variants.ts: configureKernels({ matmul })
 * forces one); its sizes reach the shader as `override` constants, so they are written once,
 * here. Each invocation owns a 4 x 4 register block, so a TILE x TILE tile of outputs takes
 * (TILE / 4)^2 invocations.
 */
import type { View } from '../../core/view.js';
import { coalesce, fmtShape, numel } from '../../core/shape.js';
import type { WebGPUContext } from '../webgpu/context.js';
import type { KernelSource } from '../webgpu/pipelines.js';
import { MAX_RANK, STRIDED_LIB, buf, pad, wgslType } from '../webgpu/util.js';
import { forcedVariant, noteVariant, type VariantName } from '../variants.js';
import { matmulClass, tunedVariant } from '../tuning.js';
import type { MatmulKernels } from './types.js';
import matmulSrc from '../../../shaders/matmul.wgsl';

/** This family's shaders, by name. */
export const SHADERS = { matmul: { file: 'matmul.wgsl', source: matmulSrc, lib: STRIDED_LIB } } as const satisfies Record<string, KernelSource>;

/**
 * Mesa's llvmpipe silently ends an invocation's loops once they have run 65535 iterations in
 * all: a matmul's K is walked in slabs of this many terms (K / TILE_K steps each, with a few
 * inner loops if they are not unrolled), one dispatch each, accumulated into out.
 */
const MATMUL_K_SLAB = 2048;

/** A named tiling: the output tile per workgroup and the K step staged in workgroup memory. */
export interface MatmulPlan {
  name: VariantName<'matmul'>;
  /** Rows and columns of out per workgroup (square tiles: the slab staging shares one index). */
  tile: number;
  tileK: number;
}

const PLANS: Record<VariantName<'matmul'>, MatmulPlan> = {
  tile64x64: { name: 'tile64x64', tile: 64, tileK: 32 },
  tile32x32: { name: 'tile32x32', tile: 32, tileK: 32 },
};

/**
 * The tiling for an M x N output (K terms, `batches` products): a forced variant, else the
 * autotuner's choice for the shape class (kernels/tuning.ts), else 64 x 64 tiles (256
 * invocations each) unless the output is small enough that they would leave most of a tile idle.
 */
export function plan(b: WebGPUContext, M: number, N: number, K: number, batches: number): MatmulPlan {
  const forced = forcedVariant('matmul') ?? tunedVariant(b.adapter, 'matmul', matmulClass(M, N, K, batches), () => ({ m: M, n: N, k: K, batch: batches }));
  if (forced) return PLANS[forced];
  return M <= 32 || N <= 32 ? PLANS.tile32x32 : PLANS.tile64x64;
}

export function matmul(b: WebGPUContext, a: View, bm: View, out: View): void {
  b.checkOut('matmul', out);
  const r = out.shape.length;
  const M = out.shape[r - 2]!;
  const N = out.shape[r - 1]!;
  const K = a.shape[r - 1]!;
  const batchShape = out.shape.slice(0, r - 2);
  const batches = numel(batchShape);
  if (M === 0 || N === 0 || batches === 0) return;
  const cb = coalesce(batchShape, [a.strides.slice(0, r - 2), bm.strides.slice(0, r - 2), out.strides.slice(0, r - 2)]);
  if (cb.shape.length > MAX_RANK) throw new Error(`webgpu matmul: more than ${MAX_RANK} non-mergeable batch dims (${fmtShape(batchShape)})`);
  const c = wgslType(out.dtype);
  const pl = plan(b, M, N, K, batches);
  noteVariant('matmul', pl.name);
  const maxPerDim = b.device.limits.maxComputeWorkgroupsPerDimension;
  const [aCol, bRow] = [a.strides[r - 1]!, bm.strides[r - 2]!];
  // K in slabs of MATMUL_K_SLAB (see there), each added into out; K = 0 still writes zeros.
  for (let k0 = 0; k0 === 0 || k0 < K; k0 += MATMUL_K_SLAB) {
    for (let z0 = 0; z0 < batches; z0 += maxPerDim) {
      b.dispatch(
        {
          shader: SHADERS.matmul, entry: 'main', variant: c, preamble: `alias C = ${c};\n`,
          constants: { TILE: pl.tile, TILE_K: pl.tileK, LANES: pl.tile / 4 },
        },
        { a: buf(a), b: buf(bm), out: buf(out) },
        {
          M, N, K: Math.min(MATMUL_K_SLAB, K - k0), batch_rank: cb.shape.length, z_base: z0, accumulate: k0 > 0 ? 1 : 0,
          a_offset: a.offset + k0 * aCol, b_offset: bm.offset + k0 * bRow,
          a_row: a.strides[r - 2]!, a_col: aCol, b_row: bRow, b_col: bm.strides[r - 1]!,
          batch_shape: pad(cb.shape), a_batch_strides: pad(cb.strides[0]!), b_batch_strides: pad(cb.strides[1]!),
        },
        [Math.ceil(N / pl.tile), Math.ceil(M / pl.tile), Math.min(maxPerDim, batches - z0)],
      );
    }
  }
}

/** The family's table on a webgpu backend. */
export function webgpuKernels(b: WebGPUContext): MatmulKernels {
  return { matmul: (a, bm, out) => matmul(b, a, bm, out) };
}
