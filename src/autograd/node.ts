/**
 * The tape: one Node per recorded op. A node knows
 *   - where the gradient of each of its inputs goes (`edges`: the node that made the input,
 *     or the leaf tensor that accumulates it, or null for inputs that need no gradient),
 *   - the tensors its backward rule needs (`saved`), held by handles of its own,
 *   - the rule: given the gradient of its output, the gradient of each input.
 *
 * Ops record themselves through `trace`. A node is made only when grad mode is on, some input
 * requires grad and the output is floating point; otherwise `trace` just runs the forward.
 */
import type { DType } from '../core/dtype.js';
import { isFloat } from '../core/dtype.js';
import { keep, withOp } from '../tensor/memory.js';
import { Tensor } from '../tensor/tensor.js';
import { isGradEnabled, setGradEnabled } from './mode.js';

/**
 * A backward rule: the gradient of the op's output (`g`, with the output's shape and dtype),
 * the tensors saved at forward time, and which inputs need a gradient. Returns one gradient per
 * input (null or undefined where none is needed). A gradient may have the broadcast shape
 * of the output; the engine sums it back to the input's shape and casts it to its dtype.
 */
export type BackwardRule = (g: Tensor, saved: readonly Tensor[], needs: readonly boolean[]) => readonly (Tensor | null | undefined)[];

export type Edge = { readonly node: Node; readonly leaf?: undefined } | { readonly leaf: Tensor; readonly node?: undefined } | null;

export interface TensorMeta {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/** Runs before a node's rule with its output's gradient; may return a replacement. */
export type GradHook = (grad: Tensor) => Tensor | void | undefined;

let nextId = 1;

export class Node {
  readonly id = nextId++;
  /** Tensors the rule needs; null once the graph is freed by a backward without retainGraph. */
  saved: Tensor[] | null;
  /** Hooks on the output's gradient (registerHook / retainGrad on a non-leaf tensor). */
  readonly hooks: GradHook[] = [];
  /** After a backward with `recordGradNorms`: the 2-norm of the gradient that reached this node's output. */
  gradNorm: Tensor | null = null;
  /**
   * The storage version of each saved tensor when it was saved. In-place ops (add_, copy_...),
   * optimizer steps and loadStateDict write into existing buffers: a rule must not run on
   * values changed since.
   */
  readonly savedVersions: number[];

  constructor(
    /** The op's name, as the graph shows it ('matmul', 'add', 'sum'...). */
    readonly name: string,
    readonly edges: readonly Edge[],
    /** Shape and dtype of each input, to sum broadcast gradients back and cast them. */
    readonly inputs: readonly TensorMeta[],
    readonly output: TensorMeta,
    readonly rule: BackwardRule,
    saved: Tensor[],
  ) {
    this.saved = saved;
    this.savedVersions = saved.map((t) => t.storage.version);
  }

  /** Throws if a saved tensor's buffer was written in place after it was saved. */
  checkVersions(): void {
    this.saved?.forEach((t, i) => {
      if (t.storage.version !== this.savedVersions[i]) {
        throw new Error(
          `backward: a tensor of shape [${t.shape.join(', ')}] saved by '${this.name}' was modified in place after the forward pass ` +
            `(saved at version ${this.savedVersions[i]}, now at version ${t.storage.version}: an in-place op such as mul_ or copy_, an optimizer step or loadStateDict wrote into it); ` +
            'run the forward pass again after changing it, or change a clone() instead',
        );
      }
    });
  }

  get isFreed(): boolean {
    return this.saved === null;
  }

  /** Frees the saved tensors (their buffers go back to the pool unless someone else holds them). */
  release(): void {
    if (!this.saved) return;
    for (const t of this.saved) t.dispose();
    this.saved = null;
  }
}

/** The edge along which a gradient for `t` flows, or null if `t` needs none. */
export function edgeOf(t: Tensor): Edge {
  if (t.gradFn) return { node: t.gradFn };
  if (t.requiresGrad) return { leaf: t.leafOrigin ?? t };
  return null;
}

/**
 * A handle on `t` for a node to keep: the same storage (no copy), its own reference count, and
 * the same place in the graph (so a second-order backward through a saved tensor reaches the
 * right node or leaf). It is outside every `tidy` scope: only the node disposes it.
 */
export function saveHandle(t: Tensor): Tensor {
  return keep(alias(t));
}

/** A second handle on `t`: same storage, same place in the graph, its own reference. */
export function alias(t: Tensor): Tensor {
  const h = new Tensor(t.storage, t.shape, t.strides, t.offset);
  if (t.gradFn) h.setGradFn(t.gradFn);
  else if (t.requiresGrad) h.setLeafOrigin(t.leafOrigin ?? t);
  return h;
}

/** Whether an op on these inputs would be recorded now. */
export function recording(inputs: readonly unknown[]): boolean {
  if (!isGradEnabled()) return false;
  for (const t of inputs) if (t instanceof Tensor && t.requiresGrad) return true;
  return false;
}

/**
 * Runs an op's forward and, when it should be recorded, attaches a node to its output.
 *
 * - `inputs`: the op's operands in the order the rule returns gradients for them (non-tensor
 *   operands, such as a scalar, are allowed and get no gradient).
 * - `forward`: computes the output. It runs with recording off, so the ops it is built from
 *   make no nodes of their own.
 * - `save`: the tensors the rule needs, given the output (inputs, output or intermediates).
 */
export function trace(
  name: string,
  inputs: readonly unknown[],
  forward: () => Tensor,
  rule: BackwardRule,
  save?: (out: Tensor) => readonly Tensor[],
): Tensor {
  if (!recording(inputs)) return withOp(name, forward);
  const prev = setGradEnabled(false);
  let out: Tensor;
  try {
    out = withOp(name, forward);
  } finally {
    setGradEnabled(prev);
  }
  // Integer and bool results (comparisons, argmax, casts to int) carry no gradient; an op that
  // hands back an input unchanged (a cast to its own dtype) records nothing either.
  if (!isFloat(out.dtype) || inputs.includes(out)) return out;
  const tensors = inputs.map((t) => (t instanceof Tensor ? t : null));
  const toSave = save ? save(out) : [];
  const node = new Node(
    name,
    tensors.map((t) => (t ? edgeOf(t) : null)),
    tensors.map((t) => (t ? { shape: t.shape, dtype: t.dtype } : { shape: [], dtype: 'float32' })),
    { shape: out.shape, dtype: out.dtype },
    rule,
    toSave.map(saveHandle),
  );
  // What `save` made for the node (a scalar operand as a tensor, an intermediate) now lives
  // on in the node's handle only.
  for (const t of toSave) if (t !== out && !inputs.includes(t)) t.dispose();
  out.setGradFn(node);
  // A saved output is part of the graph too (second derivatives flow through it): its handle,
  // made before the node existed, points at the node now.
  toSave.forEach((t, i) => {
    if (t === out) node.saved![i]!.setGradFn(node);
  });
  return out;
}
