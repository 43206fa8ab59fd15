/**
 * The variant seam: kernels that come in several layouts (matmul tiles, convolution drivers)
 * choose one in a single `plan` function per family, which returns a named configuration. The
 * choice can be forced by name, here, through one options object: the benchmark shows variants
 * side by side this way, and an autotuner can try each, without private hooks.
 *
 *   wg.configureKernels({ conv: 'direct' });   // every conv product on the direct layout
 *   wg.configureKernels({ conv: null });       // back to the plan's own choice
 *   wg.kernelVariants().conv;                  // { names: ['tiled', ...], forced: 'direct', last: 'direct' }
 */
import { checkChoice, checkOptions } from '../core/options.js';

/** Every family with variants, and the names its plan knows (the first is no default: the plan chooses). */
export const KERNEL_VARIANTS = {
  /**
   * webgpu matmul layouts: tileMxN, an M x N output tile per workgroup staged in workgroup
   * memory (shaders/matmul.wgsl); blockRxC, an R x C output block per invocation read from
   * global memory (shaders/matmul_blocked.wgsl, for CPU adapters).
   */
  matmul: ['tile64x64', 'tile32x32', 'block16x16', 'block8x16', 'block8x8'],
  /**
   * webgpu layouts of conv2d and its gradients: the implicit-GEMM drivers of shaders/conv2d.wgsl
   * (its DRIVER), or im2col, column matrices (shaders/im2col.wgsl) multiplied by the matmul
   * kernels (for CPU adapters; where the operands' views cannot be multiplied as matrices, or
   * one image's columns exceed its scratch, the plan's own choice runs).
   */
  conv: ['tiled', 'kParallel', 'direct', 'im2col'],
  /**
   * webgpu reductions: a workgroup per output row, an invocation per output row (only for rows
   * one invocation may walk: REDUCE_STEPS elements, llvmpipe's loop cap), or rows split in
   * chunks over workgroups, then the partials reduced (always, for rows too long for one
   * workgroup), or invocationChunks: rows cut into chunks one invocation walks (REDUCE_STEPS at
   * most), a serial sum each, then the partials reduced (the plan's choice on CPU adapters).
   * Where a forced variant cannot run a shape, the plan's own choice runs;
   * `kernelVariants().reduce.last` says which ran.
   */
  reduce: ['rowPerWorkgroup', 'rowPerInvocation', 'chunked', 'invocationChunks'],
} as const;

export type VariantFamily = keyof typeof KERNEL_VARIANTS;
export type VariantName<F extends VariantFamily> = (typeof KERNEL_VARIANTS)[F][number];

const forced: { [F in VariantFamily]?: VariantName<F> } = {};

export type KernelConfig = { [F in VariantFamily]?: VariantName<F> | null };

/**
 * Forces (a name) or frees (null) the variant of each family given; returns the choices now in
 * force (a family absent from the result is left to its plan).
 */
export function configureKernels(config: KernelConfig = {}): KernelConfig {
  checkOptions('configureKernels', config, Object.keys(KERNEL_VARIANTS));
  for (const [family, name] of Object.entries(config) as [VariantFamily, string | null | undefined][]) {
    if (name === undefined) continue;
    if (name === null) delete forced[family];
    else (forced as Record<string, string>)[family] = checkChoice('configureKernels', family, name, KERNEL_VARIANTS[family]);
  }
  return { ...forced };
}

/** The variant forced for `family`, if any (read by that family's plan; the autotuner's trial wins while it runs). */
export function forcedVariant<F extends VariantFamily>(family: F): VariantName<F> | undefined {
  return (trial[family] ?? forced[family]) as VariantName<F> | undefined;
}

const trial: { [F in VariantFamily]?: VariantName<F> } = {};

/** @internal The autotuner (kernels/tuner.ts) runs each candidate this way, then frees it (undefined); configureKernels is left as it was. */
export function setTrialVariant<F extends VariantFamily>(family: F, name: VariantName<F> | undefined): void {
  if (name === undefined) delete trial[family];
  else (trial as Record<string, string>)[family] = name;
}

const last: { [F in VariantFamily]?: VariantName<F> } = {};

/** Called by a family's plan with the variant it chose, for kernelVariants()' `last`. */
export function noteVariant<F extends VariantFamily>(family: F, name: VariantName<F>): void {
  (last as Record<string, string>)[family] = name;
}

export interface VariantInfo<F extends VariantFamily> {
  /** Every variant the family's plan knows. */
  names: readonly VariantName<F>[];
  /** The one forced by configureKernels, if any. */
  forced?: VariantName<F>;
  /** The one the last dispatch of the family ran. */
  last?: VariantName<F>;
}

/** Each family's variants, the forced one and the last one run (for benchmarks and autotuners). */
export function kernelVariants(): { [F in VariantFamily]: VariantInfo<F> } {
  const info = (f: VariantFamily) => ({ names: KERNEL_VARIANTS[f], ...(forced[f] ? { forced: forced[f] } : {}), ...(last[f] ? { last: last[f] } : {}) });
  return { matmul: info('matmul'), conv: info('conv'), reduce: info('reduce') } as { [F in VariantFamily]: VariantInfo<F> };
}
