/**
 * The webgpu backend's kernel families: one row per family, its binder's table and its shaders
 * (src/kernels/families.ts types the table, so a missing family is a compile error). Each
 * family's binder lives in its own folder, src/kernels/<family>/webgpu.ts, and reaches the
 * backend only through WebGPUContext.
 */
import type { KernelFamilies } from '../families.js';
import type { WebGPUContext } from './context.js';
import type { KernelSource } from './pipelines.js';
import * as elementwise from '../elementwise/webgpu.js';
import * as reduce from '../reduce/webgpu.js';
import * as matmul from '../matmul/webgpu.js';
import * as conv from '../conv/webgpu.js';
import * as pooling from '../pool/webgpu.js';
import * as softmax from '../softmax/webgpu.js';
import * as norm from '../norm/webgpu.js';
import * as optim from '../optim/webgpu.js';
import * as cumsum from '../cumsum/webgpu.js';
import * as sort from '../sort/webgpu.js';
import * as scatter from '../scatter/webgpu.js';
import * as resample from '../resample/webgpu.js';
import * as recurrent from '../recurrent/webgpu.js';

/** One row per family: its module, with `webgpuKernels(b)` (typed to the family's interface) and `SHADERS`. */
const FAMILIES = { elementwise, reduce, matmul, conv, pooling, softmax, norm, optim, cumsum, sort, scatter, resample, recurrent } satisfies {
  [F in keyof KernelFamilies]: { webgpuKernels: (b: WebGPUContext) => KernelFamilies[F]; SHADERS: Record<string, KernelSource> };
};

/** Every family's table, bound to backend `b`. */
export function webgpuFamilies(b: WebGPUContext): KernelFamilies {
  // Each row's webgpuKernels returns its family's interface (checked above), so the whole is a KernelFamilies.
  return Object.fromEntries(Object.entries(FAMILIES).map(([name, m]) => [name, m.webgpuKernels(b)])) as unknown as KernelFamilies;
}

/** Every family's shaders, by name (the compile-all test walks them with the core ones). */
export const FAMILY_SHADERS: Record<string, KernelSource> = Object.assign({}, ...Object.values(FAMILIES).map((m) => m.SHADERS));
