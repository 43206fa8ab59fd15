/**
 * The autograd graph as a self-contained HTML page with an inline SVG drawing
 * (graph(t).toHTML()): a layered layout, leaves at the bottom and the outputs on top.
 */
import type { GraphEdge, GraphNode } from '../autograd/graph.js';
import { COLORS, countInputs, lines } from './style.js';

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

export function toHTML(nodes: readonly GraphNode[], edges: readonly GraphEdge[], title: string): string {
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
