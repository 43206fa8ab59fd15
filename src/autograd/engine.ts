/**
 * Reverse mode: walk the graph from the outputs back to the leaves, once, in topological
 * order, calling each node's backward rule with the summed gradient of its output.
 *
 *   1. collect the nodes reachable from the outputs, and count how many edges point at each;
 *   2. start from the outputs' gradients; take a node when every consumer has passed its
 *      gradient down (its count reaches 0), run its hooks and its rule, and pass each input's
 *      gradient along its edge (summed back to the input's shape where it was broadcast);
 *   3. leaves collect their gradients; `backward` adds them into `.grad`, `grad` returns them.
 *
 * Rules are ordinary tensor ops, so gradients are computed on the device of the forward, and
 * with `createGraph` the backward pass is itself recorded (second derivatives).
 */
import { isFloat } from '../core/dtype.js';
import { keep, tidy } from '../tensor/memory.js';
import { fmtShape, shapeEq } from '../core/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { onesLike } from '../tensor/creation.js';
import { noGrad, setGradEnabled } from './mode.js';
import { alias, type Node } from './node.js';

export interface BackwardOptions {
  /** Keep the saved tensors so that backward can run through this graph again. */
  retainGraph?: boolean;
  /** Record the backward pass too, so gradients can be differentiated (implies retainGraph). */
  createGraph?: boolean;
  /** Keep, on each node, the norm of the gradient that reached it (shown by `graph()`). */
  recordGradNorms?: boolean;
}

export interface GradOptions extends BackwardOptions {
  /** Gradients of the outputs (required for non-scalar outputs), in the order of `outputs`. */
  gradOutputs?: readonly (Tensor | null | undefined)[];
  /** Return null for inputs the outputs do not depend on, instead of throwing. */
  allowUnused?: boolean;
}

function desc(t: Tensor): string {
  return `${fmtShape(t.shape)} ${t.dtype} on ${t.device}`;
}

/** Sums a broadcast gradient back to `shape` (leading dims, and dims that were 1). */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (shapeEq(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  if (lead < 0) throw new Error(`autograd: a gradient of shape ${fmtShape(g.shape)} cannot be summed to ${fmtShape(shape)}`);
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  }
  const s = dims.length > 0 ? g.sum(dims, true) : g;
  const r = s.reshape(shape);
  if (s !== g && s !== r) s.dispose();
  return r;
}

/** Adds `g` into `t.grad` (a new tensor replaces the old one, which is disposed). */
export function accumulateInto(t: Tensor, g: Tensor): void {
  const old = t.grad;
  const next = old ? old.add(g) : g.requiresGrad ? alias(g) : ownCopy(g);
  keep(next); // a .grad outlives any tidy scope it was computed in
  t.grad = next;
  if (old && old !== next) old.dispose();
}

/**
 * A `.grad` of its own: in-place ops on it (`p.grad.mul_(0.5)`, `zero_()`) must not reach
 * another tensor. g is taken as is when nothing else holds its buffer and it is contiguous;
 * a gradient shared by two inputs (add's rule returns one tensor for both) or broadcast with
 * stride 0 (sum's) is copied.
 */
function ownCopy(g: Tensor): Tensor {
  if (g.storage.refs === 1 && g.isContiguous()) return g.detach();
  return noGrad(() => g.clone());
}

interface Root {
  tensor: Tensor;
  grad: Tensor;
}

/** Leaves and non-leaf tensors whose gradients `grad()` returns. */
interface Targets {
  leaves: Map<Tensor, number>;
  nodes: Map<Node, number>;
}

/** Nodes reachable from the roots, and for each the number of edges that point at it. */
function collect(roots: readonly Root[]): { order: Node[]; deps: Map<Node, number> } {
  const deps = new Map<Node, number>();
  const order: Node[] = [];
  const stack: Node[] = [];
  for (const r of roots) {
    const n = r.tensor.gradFn;
    if (n && !deps.has(n)) {
      deps.set(n, 0);
      stack.push(n);
    }
  }
  while (stack.length > 0) {
    const n = stack.pop()!;
    order.push(n);
    for (const e of n.edges) {
      if (!e?.node) continue;
      const c = deps.get(e.node);
      if (c === undefined) {
        deps.set(e.node, 1);
        stack.push(e.node);
      } else deps.set(e.node, c + 1);
    }
  }
  return { order, deps };
}

/** The nodes that lead to a target (only those need their rules run, for `grad()`). */
function neededNodes(order: readonly Node[], targets: Targets): Set<Node> {
  const needed = new Set<Node>();
  // Iterate to a fixed point: the collection order is not topological in general.
  let changed = true;
  while (changed) {
    changed = false;
    for (const n of order) {
      if (needed.has(n)) continue;
      if (targets.nodes.has(n) || n.edges.some((e) => (e?.leaf && targets.leaves.has(e.leaf)) || (e?.node && needed.has(e.node)))) {
        needed.add(n);
        changed = true;
      }
    }
  }
  return needed;
}

function runHooks(hooks: readonly ((g: Tensor) => Tensor | void | undefined)[], g: Tensor): Tensor {
  let cur = g;
  for (const h of [...hooks]) {
    const r = h(cur);
    if (r !== undefined && r !== null) {
      if (!(r instanceof Tensor) || !shapeEq(r.shape, cur.shape)) {
        throw new Error(`hook: a gradient hook must return nothing or a tensor of shape ${fmtShape(cur.shape)}, got ${r instanceof Tensor ? fmtShape(r.shape) : typeof r}`);
      }
      cur = r;
    }
  }
  return cur;
}

/**
 * The engine. Returns the gradients of `targets` when given (grad), else accumulates into the
 * leaves' `.grad` (backward).
 */
function run(roots: readonly Root[], options: BackwardOptions, targets?: Targets): (Tensor | null)[] | undefined {
  const createGraph = options.createGraph ?? false;
  const retain = options.retainGraph ?? createGraph;
  const { order, deps } = collect(roots);
  const needed = targets ? neededNodes(order, targets) : undefined;
  const pending = new Map<Node, Tensor>();
  const leafGrads = new Map<Tensor, Tensor>();
  const captured: (Tensor | null)[] | undefined = targets ? new Array(targets.leaves.size + targets.nodes.size).fill(null) : undefined;

  const add = (prev: Tensor | undefined, g: Tensor): Tensor => {
    if (!prev) return g;
    const s = prev.add(g);
    prev.dispose();
    g.dispose();
    return s;
  };

  const prevMode = setGradEnabled(createGraph);
  try {
    for (const r of roots) {
      if (r.tensor.gradFn) pending.set(r.tensor.gradFn, add(pending.get(r.tensor.gradFn), r.grad));
      else leafGrads.set(r.tensor.leafOrigin ?? r.tensor, add(leafGrads.get(r.tensor.leafOrigin ?? r.tensor), r.grad));
    }
    const ready = [...deps].filter(([, c]) => c === 0).map(([n]) => n);
    while (ready.length > 0) {
      const node = ready.pop()!;
      let g = pending.get(node);
      pending.delete(node);
      const useful = g !== undefined && (!needed || needed.has(node));
      if (useful && g) {
        g = runHooks(node.hooks, g);
        if (options.recordGradNorms) {
          node.gradNorm?.dispose();
          node.gradNorm = keep(noGrad(() => g!.square().sum().sqrt()));
        }
        const ti = targets?.nodes.get(node);
        if (ti !== undefined) captured![ti] = g;
        if (!node.saved) {
          throw new Error(
            `backward: the graph through '${node.name}' (output ${fmtShape(node.output.shape)}) was already freed by an earlier backward(); ` +
              'pass { retainGraph: true } to the first backward() to run backward through it again',
          );
        }
        node.checkVersions();
        const needs = node.edges.map((e) => e !== null && (!needed || (e.node ? needed.has(e.node) : targets!.leaves.has(e.leaf!))));
        const gIn = g;
        const saved = node.saved;
        const grads = tidy(() => {
          const raw = node.rule(gIn, saved, needs);
          const seen = new Set<Tensor>([gIn, ...saved]);
          // Sum broadcast gradients back to each input's shape and cast them to its dtype.
          return node.edges.map((e, i) => {
            const gi = raw[i];
            if (!e || !needs[i] || !gi) return null;
            const meta = node.inputs[i]!;
            let r = sumToShape(gi, meta.shape);
            if (r.dtype !== meta.dtype && isFloat(meta.dtype)) r = r.cast(meta.dtype);
            // The engine disposes each gradient once it is passed on: a rule that hands back its
            // incoming gradient, a saved tensor or one result for two inputs gets separate handles.
            if (seen.has(r)) r = alias(r);
            seen.add(r);
            return r;
          });
        });
        // A hook may have kept the gradient it was shown: then the garbage collector frees it.
        if (ti === undefined && node.hooks.length === 0) gIn.dispose();
        node.edges.forEach((e, i) => {
          const gi = grads[i];
          if (!gi || !e) return;
          if (e.node) pending.set(e.node, add(pending.get(e.node), gi));
          else leafGrads.set(e.leaf, add(leafGrads.get(e.leaf), gi));
        });
      } else if (g) {
        g.dispose();
      }
      if (!retain && (!needed || needed.has(node))) node.release();
      for (const e of node.edges) {
        if (!e?.node) continue;
        const c = deps.get(e.node)! - 1;
        deps.set(e.node, c);
        if (c === 0) ready.push(e.node);
      }
    }
    for (const [leaf, g0] of leafGrads) {
      const g = runHooks(leaf.leafHooks, g0);
      if (targets) {
        const ti = targets.leaves.get(leaf);
        if (ti !== undefined) captured![ti] = g;
        else g.dispose();
      } else {
        accumulateInto(leaf, g);
        if (leaf.leafHooks.length === 0) g.dispose();
      }
    }
  } finally {
    setGradEnabled(prevMode);
  }
  return captured;
}

/** The gradient to start from for `t`: the one given (checked), or 1 for a scalar. */
function rootGrad(op: string, t: Tensor, given: Tensor | null | undefined, which: string): Tensor {
  if (!(t instanceof Tensor)) throw new Error(`${op}: expected a Tensor, got ${t === null ? 'null' : typeof t}`);
  if (t.isDisposed) throw new Error(`${op}: ${which} (${desc(t)}) was used after dispose()`);
  if (!t.requiresGrad) {
    throw new Error(
      `${op}: ${which} (${desc(t)}) does not require grad and has no gradFn: no input of the ops that made it requires grad ` +
        '(set requiresGrad on the leaves, and do not compute it inside noGrad)',
    );
  }
  if (given === null || given === undefined) {
    if (t.size !== 1) {
      throw new Error(`${op}: a gradient can be created implicitly only for a scalar output; ${which} has shape ${fmtShape(t.shape)}, so pass a gradient of that shape`);
    }
    return noGrad(() => onesLike(t));
  }
  if (!(given instanceof Tensor)) throw new Error(`${op}: the gradient for ${which} must be a Tensor, got ${typeof given}`);
  if (!shapeEq(given.shape, t.shape)) {
    throw new Error(`${op}: the gradient has shape ${fmtShape(given.shape)} but ${which} has shape ${fmtShape(t.shape)}; they must match`);
  }
  if (given.device !== t.device) throw new Error(`${op}: the gradient is on ${given.device} but ${which} is on ${t.device}`);
  // The engine disposes gradient tensors as it consumes them: start from our own handle.
  return alias(given);
}

/** `t.backward(gradient?, options)`: accumulates d(t)/d(leaf) into every leaf's `.grad`. */
export function backward(t: Tensor, gradient?: Tensor, options: BackwardOptions = {}): void {
  const g = rootGrad('backward', t, gradient, 'the tensor');
  run([{ tensor: t, grad: g }], options);
}

/**
 * The gradients of `outputs` with respect to `inputs` (leaf or not), returned rather than
 * accumulated into `.grad`. Like `torch.autograd.grad`.
 */
export function grad(outputs: Tensor | readonly Tensor[], inputs: Tensor | readonly Tensor[], options: GradOptions = {}): (Tensor | null)[] {
  const outs = outputs instanceof Tensor ? [outputs] : [...outputs];
  const ins = inputs instanceof Tensor ? [inputs] : [...inputs];
  if (outs.length === 0) throw new Error('grad: expected at least one output tensor');
  if (options.gradOutputs && options.gradOutputs.length !== outs.length) {
    throw new Error(`grad: got ${options.gradOutputs.length} gradOutputs for ${outs.length} outputs`);
  }
  const targets: Targets = { leaves: new Map(), nodes: new Map() };
  ins.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new Error(`grad: input ${i} is not a Tensor (got ${t === null ? 'null' : typeof t})`);
    if (!t.requiresGrad) throw new Error(`grad: input ${i} (${desc(t)}) does not require grad`);
    if (t.gradFn) targets.nodes.set(t.gradFn, i);
    else targets.leaves.set(t.leafOrigin ?? t, i);
  });
  const roots = outs.map((o, i) => ({ tensor: o, grad: rootGrad('grad', o, options.gradOutputs?.[i], `output ${i}`) }));
  // Gradients of an output with respect to itself (an output that is also an input).
  const result = run(roots, options, targets)!;
  if (!options.allowUnused) {
    const unused = result.flatMap((r, i) => (r === null ? [i] : []));
    if (unused.length > 0) {
      for (const r of result) r?.dispose();
      throw new Error(
        `grad: input${unused.length > 1 ? 's' : ''} ${unused.join(', ')} (${unused.map((i) => desc(ins[i]!)).join('; ')}) ` +
          `${unused.length > 1 ? 'are' : 'is'} not reachable from the outputs; pass { allowUnused: true } to get null for ${unused.length > 1 ? 'them' : 'it'}`,
      );
    }
  }
  return result;
}

/**
 * Resets the gradients of `tensors` (parameters) to null, disposing the old `.grad` tensors
 * at once, as an optimizer's `zeroGrad()` does.
 */
export function zeroGrad(tensors: Iterable<Tensor>): void {
  for (const t of tensors) {
    t.grad?.dispose();
    t.grad = null;
  }
}
