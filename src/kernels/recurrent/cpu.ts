/**
 * Reference recurrent steps (the cpu side of shaders/recurrent.wgsl): plain loops over the
 * batch and hidden units, written from the cells' definitions (PyTorch's formulas), in doubles.
 */
import type { View } from '../backend.js';
import type { TypedArray } from '../../core/dtype.js';
import { GATES, type CellGrads, type CellInputs, type CellKind, type RecurrentKernels } from './types.js';

const arr = (v: View): TypedArray => v.storage.handle as TypedArray;
const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** Reads view `v` (row-major from its offset) at linear index i. */
function reader(v: View | null): (i: number) => number {
  if (!v) return () => 0;
  const a = arr(v);
  const o = v.offset;
  return (i) => a[o + i]!;
}

/** The gate pre-activations of row b, unit j: gate k's input and hidden parts. */
function gates(x: CellInputs, G: number, H: number) {
  const xg = reader(x.xg);
  const hg = reader(x.hg);
  const bias = reader(x.bias);
  return (b: number, j: number, k: number): [number, number] => [xg(b * G * H + k * H + j), hg(b * G * H + k * H + j) + bias(k * H + j)];
}

export function cellStep(cell: CellKind, B: number, H: number, x: CellInputs, out: View): void {
  const G = GATES[cell];
  const pre = gates(x, G, H);
  const hPrev = reader(x.hPrev);
  const cPrev = reader(x.cPrev);
  const mask = x.mask ? reader(x.mask) : () => 1;
  const O = arr(out);
  for (let b = 0; b < B; b++) {
    const valid = mask(b) !== 0;
    for (let j = 0; j < H; j++) {
      const at = b * H + j;
      if (!valid) {
        O[at] = hPrev(at);
        if (cell === 'lstm') O[B * H + at] = cPrev(at);
        continue;
      }
      if (cell === 'lstm') {
        const s = (k: number) => pre(b, j, k)[0] + pre(b, j, k)[1];
        const i = sigmoid(s(0));
        const f = sigmoid(s(1));
        const g = Math.tanh(s(2));
        const o = sigmoid(s(3));
        const c = f * cPrev(at) + i * g;
        O[at] = o * Math.tanh(c);
        O[B * H + at] = c;
      } else if (cell === 'gru') {
        const [xr, hr] = pre(b, j, 0);
        const [xz, hz] = pre(b, j, 1);
        const [xn, hn] = pre(b, j, 2);
        const r = sigmoid(xr + hr);
        const z = sigmoid(xz + hz);
        const n = Math.tanh(xn + r * hn);
        O[at] = (1 - z) * n + z * hPrev(at);
      } else {
        const [a, c] = pre(b, j, 0);
        O[at] = cell === 'rnnTanh' ? Math.tanh(a + c) : Math.max(0, a + c);
      }
    }
  }
}

export function cellBackward(cell: CellKind, B: number, H: number, x: CellInputs, gOut: View, d: CellGrads): void {
  const G = GATES[cell];
  const pre = gates(x, G, H);
  const hPrev = reader(x.hPrev);
  const cPrev = reader(x.cPrev);
  const mask = x.mask ? reader(x.mask) : () => 1;
  const g = reader(gOut);
  const DX = arr(d.dxg);
  const DH = d.dhg ? arr(d.dhg) : null;
  const DP = arr(d.dhPrev);
  const DC = d.dcPrev ? arr(d.dcPrev) : null;
  for (let b = 0; b < B; b++) {
    const valid = mask(b) !== 0;
    for (let j = 0; j < H; j++) {
      const at = b * H + j;
      const gh = g(at);
      const row = (k: number) => b * G * H + k * H + j;
      if (!valid) {
        // The state passed through unchanged: its gradient goes straight back, the gates get none.
        for (let k = 0; k < G; k++) {
          DX[row(k)] = 0;
          if (DH) DH[row(k)] = 0;
        }
        DP[at] = gh;
        if (DC) DC[at] = g(B * H + at);
        continue;
      }
      if (cell === 'lstm') {
        const s = (k: number) => pre(b, j, k)[0] + pre(b, j, k)[1];
        const i = sigmoid(s(0));
        const f = sigmoid(s(1));
        const gg = Math.tanh(s(2));
        const o = sigmoid(s(3));
        const c = f * cPrev(at) + i * gg;
        const tc = Math.tanh(c);
        const dc = g(B * H + at) + gh * o * (1 - tc * tc);
        DX[row(0)] = dc * gg * i * (1 - i);
        DX[row(1)] = dc * cPrev(at) * f * (1 - f);
        DX[row(2)] = dc * i * (1 - gg * gg);
        DX[row(3)] = gh * tc * o * (1 - o);
        DP[at] = 0;
        DC![at] = dc * f;
      } else if (cell === 'gru') {
        const [xr, hr] = pre(b, j, 0);
        const [xz, hz] = pre(b, j, 1);
        const [xn, hn] = pre(b, j, 2);
        const r = sigmoid(xr + hr);
        const z = sigmoid(xz + hz);
        const n = Math.tanh(xn + r * hn);
        const dn = gh * (1 - z) * (1 - n * n);
        const dr = dn * hn * r * (1 - r);
        const dz = gh * (hPrev(at) - n) * z * (1 - z);
        DX[row(0)] = dr;
        DX[row(1)] = dz;
        DX[row(2)] = dn;
        DH![row(0)] = dr;
        DH![row(1)] = dz;
        DH![row(2)] = dn * r;
        DP[at] = gh * z;
      } else {
        const [a, c] = pre(b, j, 0);
        const s = a + c;
        if (cell === 'rnnTanh') {
          const t = Math.tanh(s);
          DX[row(0)] = gh * (1 - t * t);
        } else {
          DX[row(0)] = s > 0 ? gh : 0;
        }
        DP[at] = 0;
      }
    }
  }
}

/** The family's table on the cpu backend. */
export const cpuKernels: RecurrentKernels = { cellStep, cellBackward };
