/**
 * Recurrent steps on WebGPU (shaders/recurrent_step.wgsl, recurrent_grad.wgsl): one dispatch
 * per step for the gates and state update, one per step for its adjoint. Inputs are row-major
 * views read from their offsets (a step's slice of the whole sequence's projection is read in
 * place); bindings a cell does not use get scratch buffers.
 */
import type { View } from '../backend.js';
import type { KernelSource } from '../webgpu/pipelines.js';
import type { WebGPUContext } from '../webgpu/context.js';
import { buf, mathLib } from '../webgpu/util.js';
import stepSrc from '../../../shaders/recurrent_step.wgsl';
import gradSrc from '../../../shaders/recurrent_grad.wgsl';
import type { CellGrads, CellInputs, CellKind, RecurrentKernels } from './types.js';

/** This family's shaders, by name. */
export const SHADERS = {
  recurrentStep: { file: 'recurrent_step.wgsl', source: stepSrc },
  recurrentGrad: { file: 'recurrent_grad.wgsl', source: gradSrc },
} as const satisfies Record<string, KernelSource>;

const ENTRY: Record<CellKind, string> = { rnnTanh: 'rnn_tanh', rnnRelu: 'rnn_relu', lstm: 'lstm', gru: 'gru' };

/** Small buffers bound where a cell does not use a binding: read-only ones may share one, writable ones must not alias. */
const scratch = new WeakMap<WebGPUContext, GPUBuffer[]>();
function scratchOf(b: WebGPUContext): GPUBuffer[] {
  let s = scratch.get(b);
  if (!s) {
    s = [0, 1, 2].map((i) => b.device.createBuffer({ label: `recurrent scratch ${i}`, size: 16, usage: GPUBufferUsage.STORAGE }));
    scratch.set(b, s);
  }
  return s;
}

function checkF32(op: string, x: CellInputs): void {
  for (const v of [x.xg, x.hg, x.bias, x.hPrev, x.cPrev, x.mask]) {
    if (v && v.dtype !== 'float32') throw new Error(`webgpu ${op}: expected float32 inputs, got ${v.dtype}`);
  }
}

function common(b: WebGPUContext, batch: number, hidden: number, x: CellInputs) {
  const [ro] = scratchOf(b);
  const resources = {
    xg: buf(x.xg), hg: buf(x.hg), bias: x.bias ? buf(x.bias) : ro!, hprev: buf(x.hPrev),
    cprev: x.cPrev ? buf(x.cPrev) : ro!, mask: x.mask ? buf(x.mask) : ro!,
  };
  const params = {
    batch, hidden, xg_off: x.xg.offset, hg_off: x.hg.offset, hp_off: x.hPrev.offset, cp_off: x.cPrev?.offset ?? 0,
    mask_off: x.mask?.offset ?? 0, has_bias: x.bias ? 1 : 0, has_mask: x.mask ? 1 : 0,
  };
  return { resources, params };
}

const spec = (shader: KernelSource, cell: CellKind) => ({ shader, entry: ENTRY[cell], variant: 'f32', preamble: `alias C = f32;\n${mathLib('f32')}` });

export function cellStep(b: WebGPUContext, cell: CellKind, batch: number, hidden: number, x: CellInputs, out: View): void {
  b.checkOut('recurrent cellStep', out);
  checkF32('recurrent cellStep', x);
  const n = batch * hidden;
  if (n === 0) return;
  const { resources, params } = common(b, batch, hidden, x);
  b.dispatch(spec(SHADERS.recurrentStep, cell), { ...resources, out: buf(out) }, params, b.grid(Math.ceil(n / b.wg)));
}

export function cellBackward(b: WebGPUContext, cell: CellKind, batch: number, hidden: number, x: CellInputs, gOut: View, d: CellGrads): void {
  for (const v of [d.dxg, d.dhg, d.dhPrev, d.dcPrev]) if (v) b.checkOut('recurrent cellBackward', v);
  checkF32('recurrent cellBackward', x);
  const n = batch * hidden;
  if (n === 0) return;
  const [, w1, w2] = scratchOf(b);
  const { resources, params } = common(b, batch, hidden, x);
  b.dispatch(
    spec(SHADERS.recurrentGrad, cell),
    { ...resources, gout: buf(gOut), dxg: buf(d.dxg), dhg: d.dhg ? buf(d.dhg) : w1!, dhprev: buf(d.dhPrev), dcprev: d.dcPrev ? buf(d.dcPrev) : w2! },
    { ...params, go_off: gOut.offset },
    b.grid(Math.ceil(n / b.wg)),
  );
}

/** The family's table on a webgpu backend. */
export function webgpuKernels(b: WebGPUContext): RecurrentKernels {
  return {
    cellStep: (cell, batch, hidden, x, out) => cellStep(b, cell, batch, hidden, x, out),
    cellBackward: (cell, batch, hidden, x, gOut, d) => cellBackward(b, cell, batch, hidden, x, gOut, d),
  };
}
