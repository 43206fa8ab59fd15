/**
 * A bias added in place on webgpu where the product kernel's store did not add it
 * (shaders/channel_bias.wgsl): along a convolution's channels (dim 1 of [N, C, ...]) or along a
 * linear layer's features (the last dim). float32, y contiguous.
 */
import type { View } from '../../core/view.js';
import type { KernelSource } from './pipelines.js';
import type { WebGPUContext } from './context.js';
import { buf } from './util.js';
import { numel } from '../../core/shape.js';
import channelBiasSrc from '../../../shaders/channel_bias.wgsl';
import { UNARY, type FusedAct } from '../ops.js';
import { mathLib } from './util.js';

/** WGSL of `fn act(x: C) -> C` (C aliased by the kernel): the identity, or the activation as the unary kernel computes it. */
export function actFn(act?: FusedAct | null): string {
  return `fn act(x: C) -> C { return ${act ? UNARY[act].wgsl : 'x'}; }\n`;
}

const spec = (entry: 'main' | 'last', act?: FusedAct | null) => ({
  shader: CHANNEL_BIAS, entry, variant: act ?? '',
  preamble: () => `alias C = f32;\n${act ? mathLib('f32') : ''}${actFn(act)}`,
});

export const CHANNEL_BIAS: KernelSource = { file: 'channel_bias.wgsl', source: channelBiasSrc };

/** y[n, c, ...] = act(y[n, c, ...] + bias[c]) in place; y contiguous [N, C, ...]. */
export function channelBias(be: WebGPUContext, y: View, bias: View, act?: FusedAct | null): void {
  const [N, C] = [y.shape[0]!, y.shape[1]!];
  const pixels = numel(y.shape.slice(2));
  const p4 = Math.ceil(pixels / 4);
  if (N * C * pixels === 0) return;
  be.dispatch(
    spec('main', act),
    { y: buf(y), bias: buf(bias) },
    { rows: N * C, channels: C, pixels, p4, y_offset: y.offset, bias_offset: bias.offset, bias_stride: bias.strides[0]! },
    be.grid(Math.ceil((N * C * p4) / be.wg)),
  );
}

/** y[..., j] = act(y[..., j] + bias[j]) in place; y contiguous. */
export function lastBias(be: WebGPUContext, y: View, bias: View, act?: FusedAct | null): void {
  const C = y.shape[y.shape.length - 1]!;
  const n = numel(y.shape);
  if (n === 0) return;
  const p4 = Math.ceil(n / 4);
  be.dispatch(
    spec('last', act),
    { y: buf(y), bias: buf(bias) },
    { rows: n / C, channels: C, pixels: 0, p4, y_offset: y.offset, bias_offset: bias.offset, bias_stride: bias.strides[0]! },
    be.grid(Math.ceil(p4 / be.wg)),
  );
}
