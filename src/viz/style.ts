/** What the graph's drawings share: the lines of a box, the colours of each kind, input counts. */
import { fmtShape } from '../core/shape.js';
import type { GraphEdge, GraphNode } from '../autograd/graph.js';

/** `1.23e-2`: short, and the exponent is what matters when looking for vanishing gradients. */
export function fmtNorm(x: number): string {
  return Number.isFinite(x) ? x.toExponential(2).replace('e+', 'e') : String(x);
}

/** The lines a box shows: what it is, its shape and dtype, and the gradient norm when known. */
export function lines(n: GraphNode): string[] {
  const head = n.kind === 'op' ? (n.name ? `${n.op} (${n.name})` : n.op!) : n.kind === 'leaf' ? (n.name ?? 'leaf') : (n.name ?? 'output');
  const out = [head, `${fmtShape(n.shape)} ${n.dtype}`];
  if (n.gradNorm !== undefined) out.push(`|grad| = ${fmtNorm(n.gradNorm)}`);
  if (n.freed) out.push('(saved tensors freed)');
  return out;
}

export const COLORS = {
  leaf: { fill: '#d9ead3', stroke: '#38761d' },
  op: { fill: '#cfe2f3', stroke: '#1c4587' },
  output: { fill: '#fce5cd', stroke: '#b45f06' },
} as const;

/** How many inputs each op has (edges into it). */
export function countInputs(edges: readonly GraphEdge[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of edges) m.set(e.to, (m.get(e.to) ?? 0) + 1);
  return m;
}
