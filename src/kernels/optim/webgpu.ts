/**
 * The fused optimizer step on WebGPU: shaders/optimizer.wgsl's updates, several parameters a
 * dispatch. Each parameter takes a binding for its gradient, one for itself and one per state
 * tensor it uses, so a dispatch holds as many as the adapter's storage bindings allow
 * (maxStorageBuffersPerShaderStage, and at most 16): Adam's 4 bindings a parameter fit 4 in
 * llvmpipe's 16. The bindings and the entry are written per (kind, states used, count).
 */
import type { OptimizerHyper, OptimizerKind, View } from '../backend.js';
import type { WebGPUContext } from '../webgpu/context.js';
import { buf } from '../webgpu/util.js';
import optimizerSrc from '../../../shaders/optimizer.wgsl';
import { numel } from '../../core/shape.js';
import type { OptimItem, OptimKernels } from './types.js';

export const OPTIM_SHADERS = {
  optimizer: { file: 'optimizer.wgsl', source: optimizerSrc },
} as const;

/** Parameters one dispatch may take (Params.ends holds 16). */
export const MAX_GROUP = 16;

/** The call of each kind's update for parameter k (state names a, b, c; '0.0' where a state is unbound or not read). */
function updateCall(kind: OptimizerKind, k: number, used: readonly boolean[], first: boolean): string {
  const s = (j: number, read = true) => (used[j] && read ? `${'abc'[j]}${k}[i]` : '0.0');
  const g = `g${k}[i]`;
  const w = `w${k}[i]`;
  switch (kind) {
    case 'sgd': return `sgd_update(${g}, ${w}, ${s(0, !first)})`;
    case 'adam': return `adam_update(${g}, ${w}, ${s(0)}, ${s(1)}, ${s(2)})`;
    case 'rmsprop': return `rmsprop_update(${g}, ${w}, ${s(0)}, ${s(1)}, ${s(2)})`;
    case 'adagrad': return `adagrad_update(${g}, ${w}, ${s(0)})`;
    case 'adadelta': return `adadelta_update(${g}, ${w}, ${s(0)}, ${s(1)})`;
  }
}

/** The preamble of one dispatch shape: count parameters of `kind`, the states `used` bound for each. */
export function groupPreamble(kind: OptimizerKind, count: number, used: readonly boolean[], first: boolean): string {
  const lines: string[] = [];
  let binding = 1; // 0 is the uniform
  for (let k = 0; k < count; k++) {
    lines.push(`@group(0) @binding(${binding++}) var<storage, read> g${k}: array<f32>;`);
    lines.push(`@group(0) @binding(${binding++}) var<storage, read_write> w${k}: array<f32>;`);
    for (let j = 0; j < 3; j++) if (used[j]) lines.push(`@group(0) @binding(${binding++}) var<storage, read_write> ${'abc'[j]}${k}: array<f32>;`);
  }
  lines.push('@compute @workgroup_size(WG)', 'fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {', '  let t = index(gid, nwg);');
  const end = (k: number) => `p.ends[${k >> 2}].${'xyzw'[k & 3]}`;
  for (let k = 0; k < count; k++) {
    lines.push(`  if (t < ${end(k)}) {`, `    let i = t${k > 0 ? ` - ${end(k - 1)}` : ''};`, `    let u = ${updateCall(kind, k, used, first)};`, `    w${k}[i] = u.w;`);
    for (let j = 0; j < 3; j++) if (used[j]) lines.push(`    ${'abc'[j]}${k}[i] = u.${'abc'[j]};`);
    lines.push('    return;', '  }');
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** Storage bindings each parameter takes: its gradient, itself, and its states. */
const bindingsPer = (used: readonly boolean[]) => 2 + used.filter(Boolean).length;

/** How many parameters with these states one dispatch may take on this device. */
export function groupSize(b: WebGPUContext, used: readonly boolean[]): number {
  return Math.max(1, Math.min(MAX_GROUP, Math.floor(b.device.limits.maxStorageBuffersPerShaderStage / bindingsPer(used))));
}

/** One step of `kind` for every item (the same hyper-parameters and states used), as few dispatches as the bindings allow. */
export function optimizerStepGroup(b: WebGPUContext, kind: OptimizerKind, items: readonly OptimItem[], h: OptimizerHyper): void {
  if (items.length === 0) return;
  const used = [0, 1, 2].map((j) => items[0]!.state[j] != null);
  for (const it of items) {
    for (const v of [it.param, it.grad, ...it.state]) {
      if (v && (v.offset !== 0 || v.dtype !== 'float32')) throw new Error(`webgpu optimizerStep: parameters, gradients and state must be fresh float32 tensors (got ${v.dtype}, offset ${v.offset})`);
    }
    if ([0, 1, 2].some((j) => (it.state[j] != null) !== used[j])) throw new Error(`webgpu optimizerStep: every parameter of one group step must use the same state tensors`);
  }
  const live = items.filter((it) => numel(it.param.shape) > 0);
  const per = groupSize(b, used);
  for (let at = 0; at < live.length; at += per) {
    const chunk = live.slice(at, at + per);
    const resources: Record<string, GPUBuffer> = {};
    const ends = new Array<number>(4 * 4).fill(0);
    let n = 0;
    chunk.forEach((it, k) => {
      resources[`g${k}`] = buf(it.grad);
      resources[`w${k}`] = buf(it.param);
      for (let j = 0; j < 3; j++) if (used[j]) resources[`${'abc'[j]}${k}`] = buf(it.state[j]!);
      n += numel(it.param.shape);
      ends[k] = n;
    });
    for (let k = chunk.length; k < ends.length; k++) ends[k] = n;
    const first = h.first && kind === 'sgd'; // SGD's buffer is not read on the step that starts it
    b.dispatch(
      {
        shader: OPTIM_SHADERS.optimizer, entry: 'main',
        variant: `${kind}|${chunk.length}|${used.map(Number).join('')}|${first ? 'first' : ''}`,
        preamble: () => groupPreamble(kind, chunk.length, used, first),
      },
      resources,
      {
        n, nesterov: +h.nesterov, amsgrad: +h.amsgrad, decoupled: +h.decoupled, centered: +h.centered, maximize: +h.maximize,
        first: +h.first, use_momentum: +h.useMomentum, lr: h.lr, weight_decay: h.weightDecay, momentum: h.momentum,
        dampening: h.dampening, beta1: h.beta1, beta2: h.beta2, eps: h.eps, alpha: h.alpha,
        bias_correction1: h.biasCorrection1, sqrt_bias_correction2: Math.sqrt(h.biasCorrection2),
        rho: h.rho, initial_accumulator: h.initialAccumulatorValue, ends,
      },
      b.grid(Math.ceil(n / b.wg)),
    );
  }
}

/** The family's table on a webgpu backend. */
export function webgpuKernels(b: WebGPUContext): OptimKernels {
  return {
    step: (kind, param, grad, state, h) => optimizerStepGroup(b, kind, [{ param, grad, state }], h),
    stepGroup: (kind, items, h) => optimizerStepGroup(b, kind, items, h),
  };
}

/** This family's shaders, by name. */
export const SHADERS = OPTIM_SHADERS;
