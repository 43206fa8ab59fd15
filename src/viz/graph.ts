/**
 * `graph(t)`: the autograd graph behind a tensor (src/autograd/graph.ts walks it) with its two
 * drawings: Graphviz DOT (dot.ts) and one self-contained HTML page with an inline SVG (html.ts).
 *
 *   const loss = x.matmul(w1).add(b1).relu().matmul(w2).sum();
 *   loss.backward({ recordGradNorms: true });
 *   const g = await graph(loss, { names: { w1, b1, w2 } });
 *   writeFileSync('graph.html', g.toHTML('a two-layer MLP'));
 */
import { graphData, type GraphData, type GraphOptions } from '../autograd/graph.js';
import type { Tensor } from '../tensor/tensor.js';
import { toDot } from './dot.js';
import { toHTML } from './html.js';

export interface Graph extends GraphData {
  /** The graph in Graphviz DOT (`dot -Tsvg graph.dot > graph.svg`). */
  toDot(): string;
  /** One self-contained HTML page (inline SVG, no scripts, no network) that draws the graph. */
  toHTML(title?: string): string;
}

/**
 * The autograd graph that produced `root` (or several roots, sharing one drawing), as data
 * and drawings. Async because gradient norms live on the tensor's device and must be read back.
 * The graph is only read, never changed: calling it before or after `backward()` is fine
 * (after a backward without `retainGraph`, op nodes are marked `freed`).
 *
 * @throws Error (message starting with `graph:`) when a root is not a tensor or does not
 *   require grad (it has no graph).
 */
export async function graph(root: Tensor | readonly Tensor[], options: GraphOptions = {}): Promise<Graph> {
  const { nodes, edges } = await graphData(root, options);
  return {
    nodes,
    edges,
    toDot: () => toDot(nodes, edges),
    toHTML: (title?: string) => toHTML(nodes, edges, title ?? 'webgrad autograd graph'),
  };
}
