/**
 * What a family's webgpu binder (src/kernels/<family>/webgpu.ts) may use of the backend: the
 * core kernels and the other families (conv sums its partials with reduce), the device, and
 * the dispatch machinery. The binders import this interface,
 * never the backend class, so the class can build their tables without an import loop.
 */
import type { Backend, View } from '../backend.js';
import type { KernelSpec, UniformValues } from './pipelines.js';
import type { AdapterReport } from './device.js';

export interface WebGPUContext extends Backend {
  readonly device: GPUDevice;
  /** The adapter the device came from (the autotuner's cache key, kernels/tuning.ts). */
  readonly adapter: AdapterReport;
  /** Invocations per workgroup of the 1-D kernels (the WG override). */
  readonly wg: number;
  /** The buffer kernels that validate input write error codes into (see util.ts KERNEL_ERRORS). */
  readonly errorFlags: GPUBuffer;
  /** Set by a dispatch that may write errorFlags, so the next read checks them. */
  errorsMayBeSet: boolean;
  /** Binds `resources` (by WGSL variable name) and `params` (the uniform), then dispatches. */
  dispatch(spec: KernelSpec, resources: Record<string, GPUBuffer>, params: UniformValues, grid: [number, number, number]): void;
  /** Workgroup grid for `groups` workgroups: 2-D when one dimension is not enough. */
  grid(groups: number): [number, number, number];
  /** Throws unless `out` is contiguous from offset 0 (a fresh output the kernel writes whole). */
  checkOut(op: string, out: View): void;
  /** The views' shape and strides, coalesced and padded for the kernels' uniforms (rank checked against MAX_RANK). */
  strided(op: string, shape: readonly number[], views: readonly View[]): { rank: number; shape: number[]; strides: number[][] };
}
