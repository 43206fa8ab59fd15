/**
 * `graph(t)`: the autograd graph as data (nodes, edges), as Graphviz DOT and as a
 * self-contained HTML page, on both devices.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { DeviceName, Graph, GraphNode, Tensor } from '../src/index.js';
import { DEVICES, useDevices } from './helpers.js';

useDevices();

/** x [2, 3] (plain data) -> matmul w1 [3, 4] -> add b1 [4] -> relu -> matmul w2 [4, 2] -> sum. */
function mlp(device: DeviceName): { x: Tensor; w1: Tensor; b1: Tensor; w2: Tensor; loss: Tensor } {
  wg.manualSeed(7);
  const x = wg.randn([2, 3], { device });
  const w1 = wg.randn([3, 4], { device, requiresGrad: true });
  const b1 = wg.randn([4], { device, requiresGrad: true });
  const w2 = wg.randn([4, 2], { device, requiresGrad: true });
  const loss = x.matmul(w1).add(b1).relu().matmul(w2).sum();
  return { x, w1, b1, w2, loss };
}

function byId(g: Graph, id: string): GraphNode {
  const n = g.nodes.find((m) => m.id === id);
  if (!n) throw new Error(`no node ${id}`);
  return n;
}
/** The producers feeding `id`, by input index. */
function inputsOf(g: Graph, id: string): Map<number, GraphNode> {
  return new Map(g.edges.filter((e) => e.to === id).map((e) => [e.input, byId(g, e.from)]));
}
function only<T>(xs: T[]): T {
  expect(xs).toHaveLength(1);
  return xs[0]!;
}
async function norm(t: Tensor): Promise<number> {
  let s = 0;
  for (const v of await t.data()) s += v * v;
  return Math.sqrt(s);
}

describe.each(DEVICES)('graph() on %s', (device) => {
  it('an MLP expression gives its ops, named leaves, shapes and edges', async () => {
    const { w1, b1, w2, loss } = mlp(device);
    const g = await wg.graph(loss, { names: { w1, b1, w2 } });

    const ops = g.nodes.filter((n) => n.kind === 'op');
    expect(ops.map((n) => n.op).sort()).toEqual(['add', 'matmul', 'matmul', 'relu', 'sum']);
    const leaves = g.nodes.filter((n) => n.kind === 'leaf');
    // Numbered in order of discovery, depth first from the output, input 0 first.
    expect(leaves.map((n) => [n.id, n.name, n.shape])).toEqual([
      ['leaf0', 'w1', [3, 4]],
      ['leaf1', 'b1', [4]],
      ['leaf2', 'w2', [4, 2]],
    ]);
    expect(leaves[0]!.label).toBe('w1 [3, 4]');
    const out = only(g.nodes.filter((n) => n.kind === 'output'));
    expect(out).toMatchObject({ id: 'out0', shape: [], dtype: 'float32' });
    expect(g.nodes).toHaveLength(5 + 3 + 1);
    // Ids are unique and stable: ops are named after the tape node.
    expect(new Set(g.nodes.map((n) => n.id)).size).toBe(g.nodes.length);
    expect(byId(g, `op${loss.gradFn!.id}`).op).toBe('sum');
    for (const n of g.nodes) expect(n.dtype).toBe('float32');
    // Nothing ran backward yet.
    for (const n of g.nodes) expect(n.gradNorm).toBeUndefined();
    for (const n of ops) expect(n.freed).toBe(false);

    // Follow the chain down from the output.
    const sum = only([...inputsOf(g, 'out0').values()]);
    expect(sum).toMatchObject({ op: 'sum', shape: [], label: 'sum []' });
    const mm2 = inputsOf(g, sum.id).get(0)!;
    expect(mm2).toMatchObject({ op: 'matmul', shape: [2, 2] });
    const mm2In = inputsOf(g, mm2.id);
    expect(mm2In.get(0)).toMatchObject({ op: 'relu', shape: [2, 4] });
    expect(mm2In.get(1)).toMatchObject({ kind: 'leaf', name: 'w2' });
    const relu = mm2In.get(0)!;
    const add = only([...inputsOf(g, relu.id).values()]);
    expect(add).toMatchObject({ op: 'add', shape: [2, 4] });
    const addIn = inputsOf(g, add.id);
    expect(addIn.get(0)).toMatchObject({ op: 'matmul', shape: [2, 4] });
    expect(addIn.get(1)).toMatchObject({ kind: 'leaf', name: 'b1', shape: [4] });
    // x needs no gradient: the first matmul has one drawn input, w1 at index 1.
    const mm1In = inputsOf(g, addIn.get(0)!.id);
    expect([...mm1In.keys()]).toEqual([1]);
    expect(mm1In.get(1)).toMatchObject({ kind: 'leaf', name: 'w1' });
    expect(g.edges).toHaveLength(1 + 1 + 2 + 1 + 2 + 1);
  });

  it('shows gradient norms after backward({ recordGradNorms: true }), and freed nodes', async () => {
    const { w1, b1, w2, loss } = mlp(device);
    loss.backward({ recordGradNorms: true });
    const g = await wg.graph(loss, { names: { w1, b1, w2 } });

    for (const n of g.nodes.filter((m) => m.kind !== 'output')) {
      expect(typeof n.gradNorm, n.label).toBe('number');
      expect(Number.isFinite(n.gradNorm)).toBe(true);
    }
    // The gradient reaching the loss is 1.
    expect(byId(g, `op${loss.gradFn!.id}`).gradNorm).toBeCloseTo(1, 6);
    const leaf = (name: string) => g.nodes.find((n) => n.name === name)!;
    expect(leaf('w1').gradNorm).toBeCloseTo(await norm(w1.grad!), 5);
    expect(leaf('b1').gradNorm).toBeCloseTo(await norm(b1.grad!), 5);
    expect(leaf('w2').gradNorm).toBeCloseTo(await norm(w2.grad!), 5);
    expect(leaf('w1').label).toBe('w1 [3, 4]');
    // A backward without retainGraph freed the saved tensors of every op.
    for (const n of g.nodes.filter((m) => m.kind === 'op')) expect(n.freed, n.label).toBe(true);
    expect(g.toDot()).toContain('|grad| = ');
  });

  it('with retainGraph the nodes are not freed', async () => {
    const { loss } = mlp(device);
    loss.backward({ retainGraph: true });
    const g = await wg.graph(loss);
    const ops = g.nodes.filter((n) => n.kind === 'op');
    for (const n of ops) {
      expect(n.freed).toBe(false);
      // Without recordGradNorms ops have no norm.
      expect(n.gradNorm).toBeUndefined();
    }
    // Leaves do: their .grad is set.
    for (const n of g.nodes.filter((m) => m.kind === 'leaf')) expect(n.gradNorm).toBeGreaterThan(0);
  });

  it('draws each shared node and leaf once (a diamond, a tensor used twice, two roots)', async () => {
    const a = wg.tensor([1, 2, 3], { dtype: 'float32', device, requiresGrad: true });
    const h = a.mul(a); // a used twice by one op
    const y = h.exp().add(h.sin()); // h used by two ops
    const z = h.sum();
    const g = await wg.graph([y, z], { names: { a } });
    expect(g.nodes.filter((n) => n.kind === 'leaf')).toHaveLength(1);
    expect(g.nodes.filter((n) => n.kind === 'output').map((n) => n.id)).toEqual(['out0', 'out1']);
    expect(g.nodes.filter((n) => n.op === 'mul')).toHaveLength(1);
    const mul = g.nodes.find((n) => n.op === 'mul')!;
    expect(g.edges.filter((e) => e.to === mul.id).map((e) => [e.from, e.input])).toEqual([
      ['leaf0', 0],
      ['leaf0', 1],
    ]);
    expect(g.edges.filter((e) => e.from === mul.id).length).toBe(3); // exp, sin, sum
  });

  it('a leaf root is a graph of one leaf and its output', async () => {
    const w = wg.ones([2], { device, requiresGrad: true });
    const g = await wg.graph(w, { names: { w } });
    expect(g.nodes.map((n) => [n.id, n.kind, n.label])).toEqual([
      ['out0', 'output', 'w [2]'],
      ['leaf0', 'leaf', 'w [2]'],
    ]);
    expect(g.edges).toEqual([{ from: 'leaf0', to: 'out0', input: 0 }]);
    expect(g.toHTML()).toContain('<svg');
  });

  it('walks a long chain without recursion', async () => {
    let t = wg.ones([2], { device, requiresGrad: true });
    for (let i = 0; i < 3000; i++) t = t.mul(1);
    const g = await wg.graph(t);
    expect(g.nodes).toHaveLength(3000 + 2);
    expect(g.edges).toHaveLength(3000 + 1);
    expect(g.toHTML()).toContain('<svg');
  });

  it('toDot() is Graphviz DOT with every node and one -> per edge', async () => {
    const { w1, b1, w2, loss } = mlp(device);
    const g = await wg.graph(loss, { names: { w1, b1, w2 } });
    const dot = g.toDot();
    expect(dot).toMatch(/^digraph webgrad \{/);
    expect(dot.trimEnd().endsWith('}')).toBe(true);
    for (const n of g.nodes) expect(dot).toContain(`"${n.id}" [`);
    expect(dot.split('->').length - 1).toBe(g.edges.length);
    for (const e of g.edges) expect(dot).toContain(`"${e.from}" -> "${e.to}"`);
    expect(dot).toContain('[2, 4]');
    expect(dot).toContain('matmul');
    // Braces and quotes balance (labels are escaped).
    expect(dot.split('{').length).toBe(dot.split('}').length);
    expect((dot.replace(/\\"/g, '').match(/"/g) ?? []).length % 2).toBe(0);
  });

  it('toDot() escapes quotes in names', async () => {
    const w = wg.ones([2], { device, requiresGrad: true });
    const g = await wg.graph(w.mul(2), { names: { 'the "weights"': w } });
    const dot = g.toDot();
    expect(dot).toContain('the \\"weights\\"');
    expect((dot.replace(/\\"/g, '').match(/"/g) ?? []).length % 2).toBe(0);
    const html = g.toHTML('a <title> & "quotes"');
    expect(html).toContain('the &quot;weights&quot;');
    expect(html).toContain('a &lt;title&gt; &amp; &quot;quotes&quot;');
    expect(html).not.toContain('<title> &');
  });

  it('toHTML() is one self-contained page with an inline SVG', async () => {
    const { w1, b1, w2, loss } = mlp(device);
    loss.backward({ recordGradNorms: true });
    const g = await wg.graph(loss, { names: { w1, b1, w2 } });
    const html = g.toHTML('two-layer MLP');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<svg');
    expect(html).toContain('</svg>');
    expect(html).toContain('two-layer MLP');
    for (const op of ['matmul', 'add', 'relu', 'sum']) expect(html).toContain(op);
    for (const name of ['w1', 'b1', 'w2']) expect(html).toContain(name);
    expect(html).toContain('|grad| = ');
    expect(html).not.toMatch(/<script[^>]*\ssrc=/i);
    expect(html).not.toMatch(/http/i);
    expect(html).not.toMatch(/<link/i);
    expect(html).not.toMatch(/@import|url\((?!#)/i);
    // One box per node, one arrow per edge.
    expect(html.match(/<rect /g)!.length).toBeGreaterThanOrEqual(g.nodes.length);
    expect(html.match(/class="edge"/g)!.length).toBe(g.edges.length);
    // The layout puts every input below its consumer (forward flows up the page).
    const ys = new Map<string, number>();
    for (const m of html.matchAll(/<g class="node [a-z]+"><title>([a-z0-9]+) [^<]*<\/title>\s*<rect x="[-\d.]+" y="([-\d.]+)"/g)) ys.set(m[1]!, Number(m[2]));
    expect(ys.size).toBe(g.nodes.length);
    for (const e of g.edges) expect(ys.get(e.from)!).toBeGreaterThan(ys.get(e.to)!);
  });

  it('throws for a tensor that does not require grad', async () => {
    const t = wg.ones([2, 3], { device });
    await expect(wg.graph(t)).rejects.toThrow(/^graph: .*no graph.*requiresGrad is false/);
    const u = wg.noGrad(() => wg.ones([2], { device, requiresGrad: true }).mul(2));
    await expect(wg.graph(u)).rejects.toThrow(/^graph:/);
    await expect(wg.graph([])).rejects.toThrow(/^graph:/);
  });
});
