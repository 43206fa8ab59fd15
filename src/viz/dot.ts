/** The autograd graph as Graphviz DOT (graph(t).toDot()). */
import type { GraphEdge, GraphNode } from '../autograd/graph.js';
import { COLORS, countInputs, lines } from './style.js';

/** A DOT double-quoted string: backslashes and quotes escaped, newlines as \n. */
function dotStr(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}

export function toDot(nodes: readonly GraphNode[], edges: readonly GraphEdge[]): string {
  // Bottom to top: leaves at the bottom, the loss on top; backward runs from the top down.
  const out = ['digraph webgrad {', '  rankdir=BT;', '  node [fontname="Helvetica", fontsize=10, shape=box];', '  edge [arrowsize=0.7];'];
  for (const n of nodes) {
    const c = COLORS[n.kind];
    // Leaves are plain boxes (tensors you made), ops rounded (computations), outputs bold.
    const style = n.kind === 'op' ? (n.freed ? 'rounded,filled,dashed' : 'rounded,filled') : n.kind === 'output' ? 'filled,bold' : 'filled';
    const attrs = [`label=${dotStr(lines(n).join('\n'))}`, `style=${dotStr(style)}`, `fillcolor=${dotStr(c.fill)}`, `color=${dotStr(c.stroke)}`];
    out.push(`  ${dotStr(n.id)} [${attrs.join(', ')}];`);
  }
  const inDegree = countInputs(edges);
  for (const e of edges) {
    // Number the inputs only where the order matters (an op with several inputs).
    const label = (inDegree.get(e.to) ?? 0) > 1 ? ` [headlabel=${dotStr(String(e.input))}, fontsize=8]` : '';
    out.push(`  ${dotStr(e.from)} -> ${dotStr(e.to)}${label};`);
  }
  out.push('}');
  return out.join('\n') + '\n';
}
