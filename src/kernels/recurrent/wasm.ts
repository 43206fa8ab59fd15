/**
 * The recurrent binder on the wasm backend (src/kernels/wasm/c/recurrent.c): one step's gates
 * and state update and its adjoint, float32, every view read in place from its pointer (they
 * are row-major blocks, types.ts), the batch's rows split over the threads where a step is
 * large. float64 runs the cpu reference.
 */
import type { View } from '../backend.js';
import type { WasmRuntime } from '../wasm/runtime.js';
import { PARALLEL_WORK, ptr } from '../wasm/util.js';
import * as reference from './cpu.js';
import type { CellGrads, CellInputs, CellKind, RecurrentKernels } from './types.js';

/** recurrent.c's cell codes. */
const CELL: Record<CellKind, number> = { rnnTanh: 0, rnnRelu: 1, lstm: 2, gru: 3 };

const f32 = (...vs: (View | null)[]) => vs.every((v) => !v || v.dtype === 'float32');
/** A view's address, or 0 (C's null) for an input the cell goes without. */
const at = (v: View | null) => (v ? ptr(v) : 0);
/** Each unit's gates cost a few exponentials: split the rows from a sixteenth of the usual work. */
const parallel = (batch: number, hidden: number) => batch > 1 && batch * hidden >= PARALLEL_WORK / 16;

export function cellStep(rt: WasmRuntime, cell: CellKind, batch: number, hidden: number, x: CellInputs, out: View): void {
  if (!f32(x.xg, x.hg, x.bias, x.hPrev, x.cPrev, x.mask, out)) return reference.cellStep(cell, batch, hidden, x, out);
  if (batch * hidden === 0) return;
  rt.run('cell_step_f32', [CELL[cell], batch, hidden, ptr(x.xg), ptr(x.hg), at(x.bias), ptr(x.hPrev), at(x.cPrev), at(x.mask), ptr(out)], parallel(batch, hidden));
}

export function cellBackward(rt: WasmRuntime, cell: CellKind, batch: number, hidden: number, x: CellInputs, gOut: View, d: CellGrads): void {
  if (!f32(x.xg, x.hg, x.bias, x.hPrev, x.cPrev, x.mask, gOut, d.dxg, d.dhg, d.dhPrev, d.dcPrev)) {
    return reference.cellBackward(cell, batch, hidden, x, gOut, d);
  }
  if (batch * hidden === 0) return;
  rt.run('cell_backward_f32', [
    CELL[cell], batch, hidden, ptr(x.xg), ptr(x.hg), at(x.bias), ptr(x.hPrev), at(x.cPrev), at(x.mask), ptr(gOut),
    ptr(d.dxg), at(d.dhg), ptr(d.dhPrev), at(d.dcPrev),
  ], parallel(batch, hidden));
}

/** The family's table on the wasm backend. */
export function wasmKernels(rt: WasmRuntime): RecurrentKernels {
  return {
    cellStep: (cell, batch, hidden, x, out) => cellStep(rt, cell, batch, hidden, x, out),
    cellBackward: (cell, batch, hidden, x, gOut, d) => cellBackward(rt, cell, batch, hidden, x, gOut, d),
  };
}
