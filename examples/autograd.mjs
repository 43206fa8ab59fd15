#!/usr/bin/env node
// The walkthrough of docs/autograd.md: a two-layer network's forward pass, the tape it records,
// its backward pass, and a gradient check. Runs on the cpu backend by default (the printed
// numbers in the doc come from it); `--device webgpu` runs the same code on the GPU, `--device wasm` on the WebAssembly backend.
//
//   node examples/autograd.mjs [--device cpu|webgpu|wasm] [--dot graph.dot] [--html graph.html]
import { writeFileSync } from 'node:fs';
import * as wg from 'webgrad';

const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
for (let i = 2; i < process.argv.length; i += 2) {
  const a = process.argv[i];
  if (!['--device', '--dot', '--html'].includes(a)) throw new Error(`autograd: unknown argument ${a} (accepted: --device, --dot, --html)`);
  if (i + 1 >= process.argv.length) throw new Error(`autograd: ${a} needs a value`);
}
const device = arg('--device') ?? 'cpu';
if (!['cpu', 'webgpu', 'wasm'].includes(device)) throw new Error(`autograd: --device must be cpu, webgpu or wasm, got ${device}`);
if (device !== 'cpu') await wg.init({ backend: device });

// 1. Leaves: the data, and the parameters we want gradients for.
const x = wg.tensor([[1, 2], [3, -1]], { dtype: 'float32', device });
const target = wg.tensor([[1], [0]], { dtype: 'float32', device });
const W1 = wg.tensor([[0.5, -0.5, 1], [0.25, 1, -1]], { device, requiresGrad: true });
const b1 = wg.tensor([0, 0.1, -0.1], { device, requiresGrad: true });
const W2 = wg.tensor([[1], [-1], [0.5]], { device, requiresGrad: true });

// 2. Forward: every op records a node on the tape.
const h = x.matmul(W1).add(b1).relu();
const y = h.matmul(W2);
const loss = y.sub(target).square().mean();
console.log('loss:', await loss.format());

// 3. The tape, walked from the loss back to the leaves.
const names = new Map([[W1, 'W1'], [b1, 'b1'], [W2, 'W2']]);
function show(node, depth) {
  const pad = '  '.repeat(depth);
  console.log(`${pad}${node.name} -> [${node.output.shape.join(', ')}]`);
  for (const e of node.edges) {
    if (e?.node) show(e.node, depth + 1);
    else if (e?.leaf) console.log(`${pad}  leaf ${names.get(e.leaf) ?? '?'} [${e.leaf.shape.join(', ')}]`);
  }
}
console.log('tape:');
show(loss.gradFn, 1);

// 4. Backward: one walk of the tape in reverse fills .grad of every leaf.
loss.backward();
for (const [t, name] of names) console.log(`${name}.grad:`, await t.grad.format());

// 5. The same gradients, checked against finite differences in float64.
const x64 = (await x.to('cpu')).cast('float64');
const t64 = (await target.to('cpu')).cast('float64');
const ok = await wg.gradcheck(
  (w1, bias, w2) => x64.matmul(w1).add(bias).relu().matmul(w2).sub(t64).square().mean(),
  [W1, b1, W2],
);
console.log('gradcheck:', ok);

// 6. The graph as Graphviz DOT or a self-contained HTML page.
{
  const g = await wg.graph(loss, { names: { W1, b1, W2 } });
  console.log(`graph: ${g.nodes.length} nodes, ${g.edges.length} edges`);
  const dot = arg('--dot');
  if (dot) writeFileSync(dot, g.toDot());
  const html = arg('--html');
  if (html) writeFileSync(html, g.toHTML('webgrad: a two-layer network'));
}
