/**
 * The webgpu backend's kernel families: one row per family, its binder's table and its shaders
 * (src/kernels/families.ts types the table, so a missing family is a compile error). Each
 * family's binder lives in its own folder, src/kernels/<family>/webgpu.ts, and reaches the
 * backend only through WebGPUContext.
 */
import type { KernelFamilies } from '../families.js';
import type { WebGPUContext } from './context.js';
import type { KernelSource } from './pipelines.js';
import * as conv from '../conv/webgpu.js';
import * as pooling from '../pool/webgpu.js';
import * as softmax from '../softmax/webgpu.js';
import * as norm from '../norm/webgpu.js';
import * as optim from '../optim/webgpu.js';
import * as cumsum from '../cumsum/webgpu.js';

const FAMILIES = { conv, pooling, softmax, norm, optim, cumsum } satisfies Record<keyof KernelFamilies, { webgpuKernels: (b: WebGPUContext) => unknown; SHADERS: Record<string, KernelSource> }>;

/** Every family's table, bound to backend `b`. */
export function webgpuFamilies(b: WebGPUContext): KernelFamilies {
  return {
    conv: FAMILIES.conv.webgpuKernels(b),
    pooling: FAMILIES.pooling.webgpuKernels(b),
    softmax: FAMILIES.softmax.webgpuKernels(b),
    norm: FAMILIES.norm.webgpuKernels(b),
    optim: FAMILIES.optim.webgpuKernels(b),
    cumsum: FAMILIES.cumsum.webgpuKernels(b),
  };
}

/** Every family's shaders, by name (the compile-all test walks them with the core ones). */
export const FAMILY_SHADERS = {
  ...conv.SHADERS,
  ...pooling.SHADERS,
  ...softmax.SHADERS,
  ...norm.SHADERS,
  ...optim.SHADERS,
  ...cumsum.SHADERS,
} as const;
