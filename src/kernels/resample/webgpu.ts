/**
 * Resampling along one axis on WebGPU (shaders/resample.wgsl): the host's index tables are
 * uploaded per call (a few kB), the kernel reads them.
 */
import type { View } from '../backend.js';
import { numel } from '../../core/shape.js';
import type { KernelSource } from '../webgpu/pipelines.js';
import type { WebGPUContext } from '../webgpu/context.js';
import { buf } from '../webgpu/util.js';
import resampleSrc from '../../../shaders/resample.wgsl';
import type { ResampleAxis, ResampleKernels } from './types.js';

/** This family's shaders, by name. */
export const SHADERS = {
  resample: { file: 'resample.wgsl', source: resampleSrc },
} as const satisfies Record<string, KernelSource>;

/** The longest gather range one invocation of axis_grad may loop over (under llvmpipe's 65535-iteration cap). Mutable for tests. @internal */
export const RESAMPLE_LIMITS = { maxRange: 60000 };

function run(b: WebGPUContext, entry: 'axis_fwd' | 'axis_grad', x: View, a: ResampleAxis, out: View): void {
  b.checkOut('interpolate', out);
  if (x.dtype !== 'float32') throw new Error(`webgpu interpolate: expected float32, got ${x.dtype}`);
  if (entry === 'axis_grad' && a.maxRange > RESAMPLE_LIMITS.maxRange) {
    throw new Error(`interpolate: backward on webgpu: an input position is read by ${a.maxRange} outputs along one axis (the limit is ${RESAMPLE_LIMITS.maxRange}: scale by less)`);
  }
  const n = numel(out.shape);
  if (n === 0) return;
  const tables = new Int32Array(2 * a.outLen + 2 * a.inLen);
  tables.set(a.i0, 0);
  tables.set(a.i1, a.outLen);
  tables.set(a.lo, 2 * a.outLen);
  tables.set(a.hi, 2 * a.outLen + a.inLen);
  const idx = b.upload('int32', tables);
  const lam = b.upload('float32', Float32Array.from(a.lambda));
  const [outer, , inner] = x.shape as [number, number, number];
  const params = { outer, inner, in_len: a.inLen, out_len: a.outLen, nearest: a.nearest ? 1 : 0 };
  const spec = { shader: SHADERS.resample, entry, variant: 'f32', preamble: 'alias C = f32;\n' };
  try {
    b.dispatch(spec, { x: buf(x), idx: idx.handle as GPUBuffer, lam: lam.handle as GPUBuffer, out: buf(out) }, params, b.grid(Math.ceil(n / b.wg)));
  } finally {
    idx.free();
    lam.free();
  }
}

/** The family's table on a webgpu backend. */
export function webgpuKernels(b: WebGPUContext): ResampleKernels {
  return {
    resampleAxis: (x, a, out) => run(b, 'axis_fwd', x, a, out),
    resampleAxisBackward: (g, a, out) => run(b, 'axis_grad', g, a, out),
  };
}
