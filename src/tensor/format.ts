/** PyTorch-style printing: values (elided when large), then shape, dtype, device and autograd state. */
import type { TypedArray } from '../core/dtype.js';
import type { Tensor } from './tensor.js';

const EDGE = 3;
const THRESHOLD = 1000;

function formatter(values: TypedArray, dtype: string): (v: number) => string {
  if (dtype === 'bool') return (v) => (v ? 'true' : 'false');
  if (dtype === 'int32' || dtype === 'int8' || dtype === 'uint8') return (v) => String(v);
  const finite = Array.from(values).filter((v) => Number.isFinite(v));
  const maxAbs = finite.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const minAbs = finite.filter((v) => v !== 0).reduce((m, v) => Math.min(m, Math.abs(v)), Infinity);
  const allInt = finite.every((v) => Number.isInteger(v));
  const special = (v: number) => (Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf');
  if (allInt && maxAbs < 1e8) return (v) => (Number.isFinite(v) ? `${v}.` : special(v));
  if (maxAbs >= 1e8 || (minAbs < 1e-4 && minAbs !== Infinity)) {
    // Two exponent digits, as PyTorch prints them (1.0000e-05, not 1.0000e-5).
    return (v) => (Number.isFinite(v) ? v.toExponential(4).replace(/e([+-])(\d)$/, (_, sign: string, d: string) => `e${sign}0${d}`) : special(v));
  }
  return (v) => (Number.isFinite(v) ? v.toFixed(4) : special(v));
}

/** Formats a tensor; `values` are its contiguous values, or undefined when not on the host yet. */
export function formatTensor(t: Tensor, values: TypedArray | undefined): string {
  // Autograd state as PyTorch shows it (requires_grad=True, grad_fn=<...>), in webgrad's names.
  const grad = t.isDisposed ? '' : t.gradFn ? `, gradFn=<${t.gradFn.name}>` : t.requiresGrad ? ', requiresGrad=true' : '';
  const meta = `shape=[${t.shape.join(', ')}], dtype=${t.dtype}, device=${t.device}${grad}`;
  if (t.isDisposed) return `tensor(<disposed>, ${meta})`;
  if (!values) return `tensor(<on ${t.device}: await t.format() or t.print() to read values>, ${meta})`;
  const elide = values.length > THRESHOLD;
  const f = formatter(values, t.dtype);
  const strides = t.shape.map((_, i) => t.shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const cells: string[] = [];
  const width = () => Math.max(...cells.map((c) => c.length), 1);
  // First pass collects the printed cells (for alignment), second lays them out.
  const visit = (d: number, base: number, emit: (s: string) => void): void => {
    const n = t.shape[d]!;
    const idx = elide && n > 2 * EDGE ? [...Array(EDGE).keys(), -1, ...Array.from({ length: EDGE }, (_, i) => n - EDGE + i)] : [...Array(n).keys()];
    for (const i of idx) emit(i < 0 ? '...' : String(base + i * strides[d]!));
  };
  const collect = (d: number, base: number) => {
    if (d === t.shape.length) {
      cells.push(f(values[base]!));
      return;
    }
    visit(d, base, (s) => (s === '...' ? undefined : collect(d + 1, Number(s))));
  };
  collect(0, 0);
  const w = width();
  const render = (d: number, base: number, indent: string): string => {
    if (d === t.shape.length) return f(values[base]!).padStart(w);
    const parts: string[] = [];
    visit(d, base, (s) => parts.push(s === '...' ? '...' : render(d + 1, Number(s), indent + ' ')));
    const last = d === t.shape.length - 1;
    const sep = last ? ', ' : ',' + '\n'.repeat(t.shape.length - d - 1) + indent + ' ';
    return '[' + parts.join(sep) + ']';
  };
  const body = t.shape.length === 0 ? f(values[0]!) : render(0, 0, '       ');
  return `tensor(${body}, ${meta})`;
}
