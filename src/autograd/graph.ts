/**
 * `graphData(t)`: the autograd graph behind a tensor, as plain data (src/viz/ draws it as
 * Graphviz DOT and as a self-contained HTML page: the public `graph(t)`). It is a teaching
 * tool: it shows what `backward()` will walk.
 *
 *   const loss = x.matmul(w1).add(b1).relu().matmul(w2).sum();
 *   loss.backward({ recordGradNorms: true });
 *   const g = await graph(loss, { names: { w1, b1, w2 } });
 *   writeFileSync('graph.html', g.toHTML('a two-layer MLP'));
 *
 * Three kinds of node:
 *   - 'op': one per recorded op (one autograd `Node`), labelled with the op and its output shape;
 *   - 'leaf': one per leaf tensor that requires grad (where `backward()` accumulates `.grad`);
 *   - 'output': the tensor(s) `graph` was called on.
 * Edges go the way data flows in the forward pass: from an input (`from`) to the op that
 * consumed it (`to`). Gradients flow back along the same edges, in the opposite direction.
 * Inputs that need no gradient (a plain data tensor, a scalar) are not drawn: the tape keeps no
 * edge for them, because backward never sends anything there.
 */
import { fmtShape } from '../core/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { Node } from './node.js';

/** One box of the graph. */
export interface GraphNode {
  /** Stable id: `op<Node.id>` for ops, `leaf0`, `leaf1`... in order of discovery, `out0`... for outputs. */
  id: string;
  kind: 'op' | 'leaf' | 'output';
  /** What the box says on one line: the op (or name) and the shape, e.g. `matmul [2, 4]`. */
  label: string;
  /** The op's name ('matmul', 'add', 'sum'...), for op nodes. */
  op?: string;
  shape: number[];
  dtype: string;
  /**
   * The 2-norm of the gradient that reached this tensor, when known: for ops after a
   * `backward({ recordGradNorms: true })`, for leaves whenever `.grad` is set.
   */
  gradNorm?: number;
  /** For op nodes: true once a backward without `retainGraph` has freed the saved tensors. */
  freed?: boolean;
  /** The name given in `options.names`, if any. */
  name?: string;
}

/** One arrow: `from` (the producer, on the input side) feeds input number `input` of `to`. */
export interface GraphEdge {
  from: string;
  to: string;
  input: number;
}

/** The graph as data (src/viz/graph.ts adds its drawings: `graph()` in the public API). */
export interface GraphData {
  /** Outputs first, then ops and leaves in the order the walk from the outputs found them. */
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export interface GraphOptions {
  /** Names to show instead of 'leaf' (or next to an op / output): `{ w1, b1, w2 }`. */
  names?: Record<string, Tensor>;
}

/**
 * The autograd graph that produced `root` (or several roots, sharing one drawing).
 *
 * Async because gradient norms live on the tensor's device and must be read back. The graph is
 * only read, never changed: calling it before or after `backward()` is fine (after a backward
 * without `retainGraph`, op nodes are marked `freed`).
 *
 * @throws Error (message starting with `graph:`) when a root is not a tensor or does not
 *   require grad (it has no graph).
 */
export async function graphData(root: Tensor | readonly Tensor[], options: GraphOptions = {}): Promise<GraphData> {
  const roots = root instanceof Tensor ? [root] : [...root];
  if (roots.length === 0) throw new Error('graph: expected a tensor or a non-empty array of tensors');
  roots.forEach((t, i) => {
    const which = roots.length > 1 ? `root ${i}` : 'the tensor';
    if (!(t instanceof Tensor)) throw new Error(`graph: ${which} is not a Tensor (got ${t === null ? 'null' : typeof t})`);
    if (!t.requiresGrad) {
      throw new Error(
        `graph: ${which} (${fmtShape(t.shape)} ${t.dtype}) has no graph: requiresGrad is false, so no op that made it was recorded ` +
          '(set requiresGrad on the leaves, and do not compute it inside noGrad)',
      );
    }
  });
  const names = nameLookup(options.names);

  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  // Things found by the walk, keyed by the object itself so that each is drawn once.
  const opIds = new Map<Node, string>();
  const leafIds = new Map<Tensor, string>();
  const reads: Promise<void>[] = [];

  // Outputs: one per distinct root tensor.
  const distinct = [...new Set(roots)];
  type Item = { node: Node; leaf?: undefined } | { leaf: Tensor; node?: undefined };
  const pendingEdges: { from: Item; to: string; input: number }[] = [];
  const stack: Item[] = [];
  distinct.forEach((t, i) => {
    const id = `out${i}`;
    const name = names.get(t);
    nodes.push({ id, kind: 'output', label: `${name ?? 'output'} ${fmtShape(t.shape)}`, shape: [...t.shape], dtype: t.dtype, ...(name ? { name } : {}) });
    // A root that is itself a leaf (requiresGrad, made by no op) is fed by its leaf node.
    const from: Item = t.gradFn ? { node: t.gradFn } : { leaf: t.leafOrigin ?? t };
    pendingEdges.push({ from, to: id, input: 0 });
  });
  // Push in reverse so the first root is walked first.
  for (let i = pendingEdges.length - 1; i >= 0; i--) stack.push(pendingEdges[i]!.from);

  // Depth-first, with an explicit stack (graphs of long training loops are deep; recursion
  // would overflow). Inputs are pushed in reverse so that input 0 is explored first: leaves are
  // then numbered roughly in the order the forward pass used them (w1 before b1 before w2).
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (item.leaf) {
      const leaf = item.leaf;
      if (leafIds.has(leaf)) continue;
      const id = `leaf${leafIds.size}`;
      leafIds.set(leaf, id);
      const name = names.get(leaf);
      const g: GraphNode = { id, kind: 'leaf', label: `${name ?? 'leaf'} ${fmtShape(leaf.shape)}`, shape: [...leaf.shape], dtype: leaf.dtype, ...(name ? { name } : {}) };
      nodes.push(g);
      const grad = leaf.grad;
      if (grad && !grad.isDisposed) {
        reads.push(
          grad.data().then((v) => {
            g.gradNorm = norm(v);
          }),
        );
      }
      continue;
    }
    const node = item.node;
    if (opIds.has(node)) continue;
    const id = `op${node.id}`;
    opIds.set(node, id);
    const name = names.get(node);
    const g: GraphNode = {
      id,
      kind: 'op',
      label: `${node.name} ${fmtShape(node.output.shape)}`,
      op: node.name,
      shape: [...node.output.shape],
      dtype: node.output.dtype,
      freed: node.saved === null,
      ...(name ? { name } : {}),
    };
    nodes.push(g);
    const gn = node.gradNorm;
    if (gn && !gn.isDisposed) {
      reads.push(
        gn.item().then((v) => {
          g.gradNorm = v;
        }),
      );
    }
    node.edges.forEach((e, input) => {
      if (e) pendingEdges.push({ from: e.node ? { node: e.node } : { leaf: e.leaf }, to: id, input });
    });
    for (let i = node.edges.length - 1; i >= 0; i--) {
      const e = node.edges[i];
      if (e) stack.push(e.node ? { node: e.node } : { leaf: e.leaf });
    }
  }
  // Every producer has an id now.
  for (const p of pendingEdges) {
    const from = p.from.node ? opIds.get(p.from.node)! : leafIds.get(p.from.leaf!)!;
    edges.push({ from, to: p.to, input: p.input });
  }
  await Promise.all(reads);

  return { nodes, edges };
}

/** Tensor -> name, for leaves (and their saved handles) and for the nodes of non-leaf tensors. */
function nameLookup(given: Record<string, Tensor> | undefined): Map<Tensor | Node, string> {
  const m = new Map<Tensor | Node, string>();
  for (const [name, t] of Object.entries(given ?? {})) {
    if (!(t instanceof Tensor)) throw new Error(`graph: options.names.${name} is not a Tensor (got ${t === null ? 'null' : typeof t})`);
    // The first name given wins when one tensor is named twice.
    const key = t.gradFn ?? t.leafOrigin ?? t;
    if (!m.has(key)) m.set(key, name);
    if (!m.has(t)) m.set(t, name);
  }
  return m;
}

/** The 2-norm, accumulated in doubles (a float32 sum of squares loses digits quickly). */
function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}
