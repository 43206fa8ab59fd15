/**
 * `graph(t)`: the autograd graph behind a tensor, as plain data, as Graphviz DOT and as a
 * self-contained HTML page. It is a teaching tool: it shows what `backward()` will walk.
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
import { fmtShape } from '../tensor/shape.js';
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

export interface Graph {
  /** Outputs first, then ops and leaves in the order the walk from the outputs found them. */
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** The graph in Graphviz DOT (`dot -Tsvg graph.dot > graph.svg`). */
  toDot(): string;
  /** One self-contained HTML page (inline SVG, no scripts, no network) that draws the graph. */
  toHTML(title?: string): string;
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
export async function graph(root: Tensor | readonly Tensor[], options: GraphOptions = {}): Promise<Graph> {
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

  return {
    nodes,
    edges,
    toDot: () => toDot(nodes, edges),
    toHTML: (title?: string) => toHTML(nodes, edges, title ?? 'webgrad autograd graph'),
  };
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

/** `1.23e-2`: short, and the exponent is what matters when looking for vanishing gradients. */
function fmtNorm(x: number): string {
  return Number.isFinite(x) ? x.toExponential(2).replace('e+', 'e') : String(x);
}

/** The lines a box shows: what it is, its shape and dtype, and the gradient norm when known. */
function lines(n: GraphNode): string[] {
  const head = n.kind === 'op' ? (n.name ? `${n.op} (${n.name})` : n.op!) : n.kind === 'leaf' ? (n.name ?? 'leaf') : (n.name ?? 'output');
  const out = [head, `${fmtShape(n.shape)} ${n.dtype}`];
  if (n.gradNorm !== undefined) out.push(`|grad| = ${fmtNorm(n.gradNorm)}`);
  if (n.freed) out.push('(saved tensors freed)');
  return out;
}

// ---- DOT -------------------------------------------------------------------------------------

/** A DOT double-quoted string: backslashes and quotes escaped, newlines as \n. */
function dotStr(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}

const COLORS = {
  leaf: { fill: '#d9ead3', stroke: '#38761d' },
  op: { fill: '#cfe2f3', stroke: '#1c4587' },
  output: { fill: '#fce5cd', stroke: '#b45f06' },
} as const;

function toDot(nodes: readonly GraphNode[], edges: readonly GraphEdge[]): string {
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

function countInputs(edges: readonly GraphEdge[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of edges) m.set(e.to, (m.get(e.to) ?? 0) + 1);
  return m;
}

// ---- layout ------------------------------------------------------------------------------------

interface Box {
  node: GraphNode;
  lines: string[];
  rank: number;
  w: number;
  h: number;
  x: number; // left
  y: number; // top
}

/** A slot in a row: a node's box, or a waypoint where a long edge crosses the row. */
interface Item {
  id: string;
  rank: number;
  w: number;
  x: number; // left
  box?: Box;
  /** Neighbours one row below / above, with where the link enters the upper slot (x from its center). */
  down: Link[];
  up: Link[];
}
interface Link {
  id: string;
  off: number;
}

const FONT = 12; // px
const CHAR_W = 7.3; // px per character of the monospace font at 12px (a safe overestimate)
const LINE_H = 16;
const PAD_X = 12;
const PAD_Y = 8;
const GAP_X = 28;
const GAP_Y = 56;
const MARGIN = 24;
const WAY_W = 10; // width a waypoint takes in its row

interface Layout {
  boxes: Map<string, Box>;
  /** For each edge (same order as `edges`), the x of each waypoint, from the producer up. */
  via: { x: number; top: number; bottom: number }[][];
  width: number;
  height: number;
}

/**
 * A layered ("Sugiyama") layout, computed here so that the page needs no script:
 *   1. rank: for ops, the longest path from the leaves (every input sits below its consumer);
 *      outputs all go in the top row; a leaf goes one rank below its lowest consumer, next to
 *      where it is used, rather than all leaves in one row with long edges across the picture;
 *   2. an edge that spans several rows gets a waypoint in each row it crosses, which takes a
 *      slot there, so that the edge goes around the boxes rather than through them;
 *   3. order within a row: by the mean position of the neighbours (the barycenter heuristic),
 *      sweeping up and down a few times, so that edges cross little;
 *   4. x: each slot moves towards the mean x of its neighbours, without overlapping, so that
 *      chains of ops stand in straight columns. Rank 0 is at the bottom, outputs at the top.
 */
function layout(nodes: readonly GraphNode[], edges: readonly GraphEdge[]): Layout {
  const inputs = new Map<string, string[]>();
  const consumers = new Map<string, string[]>();
  for (const n of nodes) {
    inputs.set(n.id, []);
    consumers.set(n.id, []);
  }
  for (const e of edges) {
    inputs.get(e.to)!.push(e.from);
    consumers.get(e.from)!.push(e.to);
  }

  // 1. Ranks, in topological order (Kahn's algorithm: iterative, and the graph is a DAG).
  const rank = new Map<string, number>();
  const waiting = new Map<string, number>();
  const ready: string[] = [];
  for (const n of nodes) {
    const k = inputs.get(n.id)!.length;
    waiting.set(n.id, k);
    if (k === 0) ready.push(n.id);
  }
  // `ready` is consumed as a queue through a read index (shift() would be quadratic).
  for (let next = 0; next < ready.length; next++) {
    const id = ready[next]!;
    let r = 0;
    for (const p of inputs.get(id)!) r = Math.max(r, rank.get(p)! + 1);
    rank.set(id, r);
    for (const c of consumers.get(id)!) {
      const k = waiting.get(c)! - 1;
      waiting.set(c, k);
      if (k === 0) ready.push(c);
    }
  }
  let top = 0;
  for (const n of nodes) if (n.kind !== 'output') top = Math.max(top, rank.get(n.id)! + 1);
  for (const n of nodes) {
    if (n.kind === 'output') rank.set(n.id, top);
    else if (n.kind === 'leaf' && consumers.get(n.id)!.length > 0) {
      let r = Infinity;
      for (const c of consumers.get(n.id)!) r = Math.min(r, rank.get(c)!);
      rank.set(n.id, r - 1);
    }
  }
  let maxRank = 0;
  for (const r of rank.values()) maxRank = Math.max(maxRank, r);

  // Box sizes from the text; one slot per box.
  const boxes = new Map<string, Box>();
  const items = new Map<string, Item>();
  const rows: Item[][] = Array.from({ length: maxRank + 1 }, () => []);
  const addItem = (it: Item) => {
    items.set(it.id, it);
    rows[it.rank]!.push(it);
  };
  for (const n of nodes) {
    const ls = lines(n);
    const w = Math.ceil(ls.reduce((m, l) => Math.max(m, l.length), 0) * CHAR_W + 2 * PAD_X);
    const box: Box = { node: n, lines: ls, rank: rank.get(n.id)!, w, h: ls.length * LINE_H + 2 * PAD_Y, x: 0, y: 0 };
    boxes.set(n.id, box);
    addItem({ id: n.id, rank: box.rank, w, x: 0, box, down: [], up: [] });
  }

  // 2. Waypoints: the chain producer -> w -> w -> ... -> consumer, one step per row.
  const ports = new Map<string, GraphEdge[]>(); // a consumer's incoming edges, in input order
  for (const e of edges) ports.set(e.to, [...(ports.get(e.to) ?? []), e]);
  for (const l of ports.values()) l.sort((a, b) => a.input - b.input);
  const chains = edges.map((e, i) => {
    const chain = [e.from];
    for (let r = rank.get(e.from)! + 1; r < rank.get(e.to)!; r++) {
      const id = `~${i}.${r}`;
      addItem({ id, rank: r, w: WAY_W, x: 0, down: [], up: [] });
      chain.push(id);
    }
    chain.push(e.to);
    // The last link enters the consumer at its input's port, not at its center.
    const list = ports.get(e.to)!;
    const w = boxes.get(e.to)!.w;
    const port = (w * (list.indexOf(e) + 1)) / (list.length + 1) - w / 2;
    for (let k = 1; k < chain.length; k++) {
      const off = k === chain.length - 1 ? port : 0;
      items.get(chain[k]!)!.down.push({ id: chain[k - 1]!, off });
      items.get(chain[k - 1]!)!.up.push({ id: chain[k]!, off });
    }
    return chain;
  });

  // 3. Order within rows.
  const order = new Map<string, number>(); // position within the row, 0..1
  const place = (row: Item[]) => row.forEach((it, i) => order.set(it.id, row.length > 1 ? i / (row.length - 1) : 0.5));
  const sortBy = (row: Item[], side: 'down' | 'up') => {
    const key = new Map<Item, number>();
    row.forEach((it) => {
      const ns = it[side];
      key.set(it, ns.length > 0 ? ns.reduce((s, p) => s + order.get(p.id)!, 0) / ns.length : order.get(it.id)!);
    });
    row.sort((a, b) => key.get(a)! - key.get(b)!); // stable: ties keep the current order
    place(row);
  };
  for (const row of rows) place(row);
  for (let sweep = 0; sweep < 4; sweep++) {
    for (let r = 1; r <= maxRank; r++) sortBy(rows[r]!, 'down');
    for (let r = maxRank - 1; r >= 0; r--) sortBy(rows[r]!, 'up');
  }

  // 4. x coordinates. Start packed; then pull each slot towards its neighbours' mean center.
  const gap = (a: Item, b: Item) => (a.box && b.box ? GAP_X : a.box || b.box ? GAP_X / 2 : WAY_W / 2);
  const center = (it: Item) => it.x + it.w / 2;
  for (const row of rows) {
    let x = 0;
    row.forEach((it, i) => {
      if (i > 0) x += gap(row[i - 1]!, it);
      it.x = x;
      x += it.w;
    });
  }
  // Where `it` wants its center: below the port it feeds, or with its port above what feeds it.
  const wish = (it: Item, side: 'down' | 'up' | 'both'): number => {
    const ws = [
      ...(side !== 'up' ? it.down.map((l) => center(items.get(l.id)!) - l.off) : []),
      ...(side !== 'down' ? it.up.map((l) => center(items.get(l.id)!) + l.off) : []),
    ];
    return ws.length > 0 ? ws.reduce((a, b) => a + b, 0) / ws.length : center(it);
  };
  const pull = (row: Item[], side: 'down' | 'up' | 'both') => {
    if (row.length === 0) return;
    const want = row.map((it) => wish(it, side));
    // Left to right, each as close to its wish as the previous slot allows...
    let right = -Infinity;
    row.forEach((it, i) => {
      it.x = Math.max(want[i]! - it.w / 2, i > 0 ? right + gap(row[i - 1]!, it) : -Infinity);
      right = it.x + it.w;
    });
    // ...then the whole row shifted so that, on average, slots sit where they want to be.
    const shift = row.reduce((s, it, i) => s + (want[i]! - center(it)), 0) / row.length;
    for (const it of row) it.x += shift;
  };
  for (let sweep = 0; sweep < 6; sweep++) {
    for (let r = 1; r <= maxRank; r++) pull(rows[r]!, 'down');
    for (let r = maxRank - 1; r >= 0; r--) pull(rows[r]!, 'up');
  }
  // Last, top-down: each slot under the port it feeds, so chains of ops stand straight.
  for (let r = maxRank - 1; r >= 0; r--) pull(rows[r]!, 'up');

  // Normalise to the margin, then rows top (outputs) to bottom (rank 0).
  let minX = Infinity;
  let maxX = -Infinity;
  for (const it of items.values()) {
    minX = Math.min(minX, it.x);
    maxX = Math.max(maxX, it.x + it.w);
  }
  const width = Math.max(320, maxX - minX + 2 * MARGIN);
  const dx = (width - (maxX - minX)) / 2 - minX;
  const rowTop: number[] = [];
  const rowH = rows.map((row) => row.reduce((m, it) => Math.max(m, it.box ? it.box.h : 0), 0));
  let y = MARGIN;
  for (let r = maxRank; r >= 0; r--) {
    rowTop[r] = y;
    y += rowH[r]! + GAP_Y;
  }
  for (const it of items.values()) {
    it.x += dx;
    if (it.box) {
      it.box.x = it.x;
      it.box.y = rowTop[it.rank]! + (rowH[it.rank]! - it.box.h) / 2;
    }
  }
  const via = chains.map((chain) =>
    chain.slice(1, -1).map((id) => {
      const it = items.get(id)!;
      return { x: center(it), top: rowTop[it.rank]!, bottom: rowTop[it.rank]! + rowH[it.rank]! };
    }),
  );
  return { boxes, via, width, height: y - GAP_Y + MARGIN };
}

// ---- HTML --------------------------------------------------------------------------------------

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const r1 = (x: number) => Math.round(x * 10) / 10;

function toHTML(nodes: readonly GraphNode[], edges: readonly GraphEdge[], title: string): string {
  const { boxes, via, width, height } = layout(nodes, edges);
  const inDegree = countInputs(edges);
  const svg: string[] = [];
  // No xmlns attribute: inline SVG in HTML does not need one, and the page has no URLs at all.
  svg.push(`<svg width="${r1(width)}" height="${r1(height)}" viewBox="0 0 ${r1(width)} ${r1(height)}" role="img" aria-label="${esc(title)}">`);
  svg.push(
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">' +
      '<path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
  );

  // Edges first, so that boxes are drawn over them. An edge leaves the top of the producer and
  // enters the bottom of the consumer; a consumer's inputs enter left to right in input order.
  const slots = new Map<string, GraphEdge[]>();
  for (const e of edges) {
    const l = slots.get(e.to) ?? [];
    l.push(e);
    slots.set(e.to, l);
  }
  for (const l of slots.values()) l.sort((a, b) => a.input - b.input);
  edges.forEach((e, i) => {
    const a = boxes.get(e.from)!;
    const b = boxes.get(e.to)!;
    const list = slots.get(e.to)!;
    const k = list.indexOf(e);
    const x2 = b.x + (b.w * (k + 1)) / (list.length + 1);
    const y2 = b.y + b.h;
    // From the producer's top, up through each row it crosses (vertically, at its waypoint,
    // between the boxes), to the consumer's bottom; S-curves between rows.
    let x = a.x + a.w / 2;
    let y = a.y;
    let d = `M ${r1(x)} ${r1(y)}`;
    const curveTo = (nx: number, ny: number) => {
      const dy = Math.max(12, (y - ny) / 2);
      d += ` C ${r1(x)} ${r1(y - dy)}, ${r1(nx)} ${r1(ny + dy)}, ${r1(nx)} ${r1(ny)}`;
      x = nx;
      y = ny;
    };
    for (const w of via[i]!) {
      curveTo(w.x, w.bottom);
      d += ` L ${r1(w.x)} ${r1(w.top)}`;
      y = w.top;
    }
    curveTo(x2, y2);
    svg.push(`<path class="edge" d="${d}" marker-end="url(#arrow)"/>`);
    if ((inDegree.get(e.to) ?? 0) > 1) svg.push(`<text class="port" x="${r1(x2 + 6)}" y="${r1(y2 + 18)}">${e.input}</text>`);
  });

  for (const b of boxes.values()) {
    const n = b.node;
    const c = COLORS[n.kind];
    const rx = n.kind === 'op' ? 10 : 2; // ops rounded, tensors square
    const dash = n.freed ? ' stroke-dasharray="5 3"' : '';
    const sw = n.kind === 'output' ? 2.5 : 1.5;
    const tip = `${n.id} (${n.kind})${n.gradNorm !== undefined ? `, |grad| = ${n.gradNorm}` : ''}${n.freed ? ', saved tensors freed by backward' : ''}`;
    svg.push(`<g class="node ${n.kind}"><title>${esc(tip)}</title>`);
    svg.push(`<rect x="${r1(b.x)}" y="${r1(b.y)}" width="${b.w}" height="${b.h}" rx="${rx}" fill="${c.fill}" stroke="${c.stroke}" stroke-width="${sw}"${dash}/>`);
    b.lines.forEach((line, i) => {
      const cls = i === 0 ? 'head' : line.startsWith('|grad|') ? 'grad' : 'meta';
      svg.push(`<text class="${cls}" x="${r1(b.x + b.w / 2)}" y="${r1(b.y + PAD_Y + LINE_H * i + FONT)}">${esc(line)}</text>`);
    });
    svg.push('</g>');
  }
  svg.push('</svg>');

  const swatch = (kind: GraphNode['kind'], rx: number, text: string, dashed = false) =>
    `<span class="item"><svg width="28" height="16"><rect x="1" y="1" width="26" height="14" rx="${rx}" fill="${COLORS[kind].fill}" stroke="${COLORS[kind].stroke}" stroke-width="1.5"${dashed ? ' stroke-dasharray="4 2"' : ''}/></svg>${esc(text)}</span>`;
  const legend = [
    swatch('leaf', 2, 'leaf tensor (requires grad; backward fills its .grad)'),
    swatch('op', 10, 'op recorded on the tape'),
    swatch('output', 2, 'output (where backward starts)'),
    swatch('op', 10, 'freed: saved tensors released by backward', true),
    '<span class="item">&#8593; forward: data flows up; backward sends gradients down the same arrows</span>',
    '<span class="item">|grad| = 2-norm of the gradient (backward with recordGradNorms)</span>',
  ].join('\n');

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(title)}</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 16px; color: #222; background: #fff; }
  h1 { font-size: 18px; margin: 0 0 8px; }
  .legend { display: flex; flex-wrap: wrap; gap: 6px 18px; font-size: 12px; margin-bottom: 12px; }
  .legend .item { display: inline-flex; align-items: center; gap: 6px; }
  .figure { overflow: auto; border: 1px solid #ddd; border-radius: 6px; }
  .figure text { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: ${FONT}px; text-anchor: middle; fill: #222; }
  .figure text.head { font-weight: bold; }
  .figure text.grad { fill: #990000; }
  .figure text.port { font-size: 9px; text-anchor: start; fill: #777; }
  .figure path.edge { fill: none; stroke: #555; stroke-width: 1.3; }
  .figure g.node:hover rect { stroke-width: 3; }
</style>
</head>
<body>
<h1>${esc(title)}</h1>
<div class="legend">
${legend}
</div>
<div class="figure">
${svg.join('\n')}
</div>
<p style="font-size:12px;color:#666">${nodes.filter((n) => n.kind === 'op').length} ops, ${nodes.filter((n) => n.kind === 'leaf').length} leaves, ${edges.length} edges.</p>
</body>
</html>
`;
}
