/** Unary, binary and ternary elementwise ops, with NumPy broadcasting and type promotion. */
import type { FusedAct } from '../../kernels/ops.js';
import { getBackend } from '../../runtime.js';
import { ALL_UNARY, BINARY, elementwiseTypes, type ActivationGradOp, type BinaryOp, type CoreUnaryOp, type UnaryOp } from '../../kernels/ops.js';
import { checkNumber, checkOptions, describe as describeValue, noExtra } from '../../core/options.js';
import { DTYPE_LIST, isDType, isFloat, promoteTypes, promoteWithScalar, type DType } from '../../core/dtype.js';
import { broadcastShapes, fmtShape, shapeEq } from '../../core/shape.js';
import { Tensor, type TensorOrScalar } from '../tensor.js';
import { checkDType, checkInputs, empty, liftHostScalars } from './core.js';
import { expand } from './views.js';
import { scalarTensor } from '../creation.js';
import { trace } from '../../autograd/node.js';

/** A copy of `x` converted to `dtype` (x itself when it already has it). */
export function cast(x: Tensor, dtype: DType): Tensor {
  // d(cast x)/dx = 1: the engine casts the gradient back to x's dtype.
  return trace('cast', [x], () => castKernel(x, dtype), (g) => [g]);
}

function castKernel(x: Tensor, dtype: DType): Tensor {
  const device = checkInputs('cast', x);
  if (!isDType(dtype)) throw new Error(`cast: unknown dtype '${String(dtype)}' (expected ${DTYPE_LIST})`);
  if (x.dtype === dtype) return x;
  checkDType('cast', getBackend(device), dtype);
  const out = empty('cast', device, dtype, x.shape);
  getBackend(device).copy(x, out);
  return out;
}

/**
 * Backward rules of the unary ops: the gradient of x from the output's gradient g, the input x
 * and the output y (`uses` says which of them the rule reads, so only those are kept for
 * backward). Each is the derivative written with tensor ops, so it runs on x's device and can
 * itself be differentiated.
 */
const UNARY_GRAD: Record<CoreUnaryOp, { uses: 'x' | 'y' | ''; rule: (g: Tensor, v: Tensor) => Tensor }> = {
  neg: { uses: '', rule: (g) => g.neg() },
  abs: { uses: 'x', rule: (g, x) => g.mul(x.sign()) }, // d|x| = sign(x): 0 at 0, as in PyTorch
  square: { uses: 'x', rule: (g, x) => g.mul(x).mul(2) },
  sign: { uses: '', rule: (g) => g.mul(0) }, // piecewise constant
  relu: { uses: 'y', rule: (g, y) => activationGrad('reluGrad', g, y) }, // g where y > 0 (exactly where x > 0); 0 at x = 0, as in PyTorch
  exp: { uses: 'y', rule: (g, y) => g.mul(y) }, // d e^x = e^x
  log: { uses: 'x', rule: (g, x) => g.div(x) },
  log1p: { uses: 'x', rule: (g, x) => g.div(x.add(1)) }, // 1 / (1 + x)
  expm1: { uses: 'y', rule: (g, y) => g.mul(y.add(1)) }, // e^x = y + 1
  sqrt: { uses: 'y', rule: (g, y) => g.div(y.mul(2)) }, // 1 / (2 sqrt x)
  rsqrt: { uses: 'y', rule: (g, y) => g.mul(y.pow(3)).mul(-0.5) }, // d x^-1/2 = -1/2 x^-3/2
  sin: { uses: 'x', rule: (g, x) => g.mul(x.cos()) },
  cos: { uses: 'x', rule: (g, x) => g.mul(x.sin()).neg() },
  tanh: { uses: 'y', rule: (g, y) => activationGrad('tanhGrad', g, y) }, // g (1 - tanh^2)
  sigmoid: { uses: 'y', rule: (g, y) => activationGrad('sigmoidGrad', g, y) }, // g s (1 - s)
  erf: { uses: 'x', rule: (g, x) => g.mul(x.square().neg().exp()).mul(2 / Math.sqrt(Math.PI)) }, // 2/sqrt(pi) e^(-x^2)
  // Piecewise constant: zero gradient everywhere, as PyTorch (not undefined at the steps).
  round: { uses: '', rule: (g) => g.mul(0) },
  floor: { uses: '', rule: (g) => g.mul(0) },
  ceil: { uses: '', rule: (g) => g.mul(0) },
  trunc: { uses: '', rule: (g) => g.mul(0) },
};

/**
 * The gradient before an activation whose backward needs only its output (a product's fused
 * activation, FusedAct): the unary op's own rule, from the output y.
 */
export function gradFromOutput(act: FusedAct, g: Tensor, y: Tensor): Tensor {
  return UNARY_GRAD[act].rule(g, y);
}

export function unary(op: CoreUnaryOp, x: Tensor): Tensor {
  const { uses, rule } = UNARY_GRAD[op];
  return unaryWith(op, x, [], uses, rule);
}

/**
 * A unary kernel op with parameters and a given backward rule (the activations of
 * nn.functional use this): `uses` says whether the rule reads the input x or the output y.
 */
export function unaryWith(op: UnaryOp, x: Tensor, params: readonly number[], uses: 'x' | 'y' | '', rule: (g: Tensor, v: Tensor) => Tensor): Tensor {
  return trace(op, [x], () => unaryKernel(op, x, params), (g, [v]) => [rule(g, v!)], (y) => (uses === 'x' ? [x] : uses === 'y' ? [y] : []));
}

function unaryKernel(op: UnaryOp, x: Tensor, params: readonly number[] = []): Tensor {
  const device = checkInputs(op, x);
  if (op === 'neg' && x.dtype === 'bool') {
    // As PyTorch: -mask is almost always a mistaken mask inversion.
    throw new Error(`neg: negation of a bool tensor is not supported (shape ${fmtShape(x.shape)}); to invert a mask use mask.logicalNot()`);
  }
  const { compute, result } = elementwiseTypes(ALL_UNARY[op].rule, x.dtype);
  const xin = cast(x, compute);
  const out = empty(op, device, result, x.shape);
  getBackend(device).elementwise.unary(op, xin, out, params);
  if (xin !== x) xin.dispose();
  return out;
}

export interface RoundOptions {
  /** Digits after the point to round to (negative: to tens, hundreds...); default 0. */
  decimals?: number;
}

/**
 * torch.round: halves to even; with `decimals` d, round(x * 10^d) / 10^d (d < 0: round(x /
 * 10^-d) * 10^-d), so the halves are those of the scaled value, as in PyTorch.
 */
export function round(x: Tensor, options?: RoundOptions, ...extra: never[]): Tensor {
  noExtra('round', extra, '(options?)');
  checkOptions('round', options, ['decimals']);
  const d = options?.decimals ?? 0;
  checkNumber('round', 'decimals', d, { int: true });
  if (d === 0) return unary('round', x);
  checkInputs('round', x);
  if (!isFloat(x.dtype)) throw new Error(`round: decimals (${d}) needs a floating-point tensor, got ${x.dtype}`);
  const s = 10 ** Math.abs(d);
  const scaled = d > 0 ? x.mul(s) : x.div(s);
  const r = unary('round', scaled);
  const out = d > 0 ? r.div(s) : r.mul(s);
  scaled.dispose();
  r.dispose();
  return out;
}


/**
 * The second derivatives of the fused activation backward passes out = g f'(v): d/dg is the
 * same pass on the incoming gradient; d/dv = gg g f''(v), written with tensor ops.
 */
const ACTIVATION_GRAD_GRAD: Record<ActivationGradOp, ((gg: Tensor, g: Tensor, v: Tensor) => Tensor) | null> = {
  reluGrad: null, // f'' = 0 (away from 0, where PyTorch takes it as 0 too)
  sigmoidGrad: (gg, g, y) => gg.mul(g).mul(y.mul(-2).add(1)), // (s (1 - s))' in y: 1 - 2y
  tanhGrad: (gg, g, y) => gg.mul(g).mul(y.mul(-2)), // (1 - y^2)' in y: -2y
  siluGrad: (gg, g, x) => {
    // silu'' = s (1 - s) (2 + x (1 - 2s))
    const s = x.sigmoid();
    return gg.mul(g).mul(s.mul(s.neg().add(1)).mul(x.mul(s.mul(-2).add(1)).add(2)));
  },
  // gelu'' = phi(x) (2 - x^2)
  geluGrad: (gg, g, x) => gg.mul(g).mul(x.square().mul(-0.5).exp().mul(1 / Math.sqrt(2 * Math.PI)).mul(x.square().neg().add(2))),
};

/**
 * An activation's backward pass in one kernel: g f'(v), v the output y (reluGrad, sigmoidGrad,
 * tanhGrad) or the input x (siluGrad, geluGrad), same shape or broadcast. Differentiable again.
 */
export function activationGrad(op: ActivationGradOp, g: Tensor, v: Tensor): Tensor {
  return trace(
    op,
    [g, v],
    () => activationGradKernel(op, g, v),
    (gg, [gs, vs], needs) => {
      const second = ACTIVATION_GRAD_GRAD[op];
      return [needs[0] ? activationGrad(op, gg, vs!) : null, needs[1] && second ? second(gg, gs!, vs!) : null];
    },
    () => [g, v],
  );
}

function activationGradKernel(op: ActivationGradOp, g: Tensor, v: Tensor): Tensor {
  const device = checkInputs(op, g, v);
  const { compute, result } = elementwiseTypes('float', promoteTypes(g.dtype, v.dtype));
  const { inputs, shape, temps } = prepare(op, [g, v], [compute, compute]);
  const out = empty(op, device, result, shape);
  getBackend(device).elementwise.binary(op, inputs[0]!, inputs[1]!, out);
  for (const t of temps) t.dispose();
  return out;
}

/** Turns a JS scalar operand into a 0-d tensor next to `like`. */
function operand(op: string, v: TensorOrScalar, like: Tensor): Tensor {
  if (v instanceof Tensor) return v;
  if (typeof v !== 'number' && typeof v !== 'boolean') {
    throw new Error(`${op}: expected a Tensor or a number, got ${v === null ? 'null' : typeof v}`);
  }
  return scalarTensor(v, promoteWithScalar(like.dtype, v), like.device);
}

/**
 * Broadcasts inputs to one shape and converts input i to dtypes[i] (views where possible).
 * `temps` are the intermediates the caller disposes once the kernel is enqueued.
 */
export function prepare(op: string, ts: Tensor[], dtypes: DType[]): { inputs: Tensor[]; shape: number[]; temps: Tensor[] } {
  const shape = broadcastShapes(op, ...ts.map((t) => t.shape));
  const temps: Tensor[] = [];
  const inputs = ts.map((t, i) => {
    let u = cast(t, dtypes[i]!);
    if (u !== t) temps.push(u);
    if (!shapeEq(u.shape, shape)) {
      u = expand(u, shape);
      temps.push(u);
    }
    return u;
  });
  return { inputs, shape, temps };
}

type Grad2 = (g: Tensor, a: Tensor, b: Tensor, y: Tensor, needs: readonly boolean[]) => (Tensor | null)[];
/** Where a == b, maximum and minimum split the gradient evenly between a and b (as PyTorch). */
const pick = (g: Tensor, a: Tensor, b: Tensor, first: 'gt' | 'lt'): [Tensor, Tensor] => {
  const half = g.mul(0.5);
  const tie = a.eq(b);
  return [where(a[first](b), g, where(tie, half, 0)), where(b[first](a), g, where(tie, half, 0))];
};

/**
 * Backward rules of the differentiable binary ops, as (gradient of a, gradient of b) in the
 * broadcast shape; the engine sums them back to each operand's shape. `uses` names what the
 * rule reads (a, b, the output y), so only that is kept. Comparisons return bool: no rule.
 */
const BINARY_GRAD: Partial<Record<BinaryOp, { uses: string; rule: Grad2 }>> = {
  add: { uses: '', rule: (g) => [g, g] },
  sub: { uses: '', rule: (g) => [g, g.neg()] },
  mul: { uses: 'ab', rule: (g, a, b, _y, n) => [n[0] ? g.mul(b) : null, n[1] ? g.mul(a) : null] },
  // d(a/b)/db = -a/b^2
  div: { uses: 'ab', rule: (g, a, b, _y, n) => [n[0] ? g.div(b) : null, n[1] ? g.mul(a).div(b.square()).neg() : null] },
  pow: {
    uses: 'aby',
    rule: (g, a, b, y, n) => [
      // d a^b / da = b a^(b-1), taken as 0 where b = 0 (so 0^0 has gradient 0, not NaN)
      n[0] ? where(b.eq(0), 0, g.mul(b).mul(a.pow(b.sub(1)))) : null,
      // d a^b / db = a^b log a, taken as 0 where a = 0 and b >= 0 (the limit), as PyTorch does
      n[1] ? where(a.eq(0), where(b.ge(0), 0, g.mul(y).mul(a.log())), g.mul(y).mul(a.log())) : null,
    ],
  },
  maximum: { uses: 'ab', rule: (g, a, b) => pick(g, a, b, 'gt') },
  minimum: { uses: 'ab', rule: (g, a, b) => pick(g, a, b, 'lt') },
};

export function binary(op: BinaryOp, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  const { operands: [la, lb], temps } = liftHostScalars(op, [a, b]);
  if (temps.length === 0) return binaryTraced(op, a, b);
  try {
    return binaryTraced(op, la!, lb!);
  } finally {
    for (const t of temps) t.dispose();
  }
}

function binaryTraced(op: BinaryOp, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  const def = BINARY_GRAD[op];
  if (!def) return binaryKernel(op, a, b);
  const { uses, rule } = def;
  return trace(
    op,
    [a, b],
    () => binaryKernel(op, a, b),
    (g, saved, needs) => {
      const get = (k: string) => saved[uses.indexOf(k)]!;
      return rule(g, get('a'), get('b'), get('y'), needs);
    },
    (y) => [...uses].map((k) => (k === 'y' ? y : asTensor(k === 'a' ? a : b, y))),
  );
}

/** A scalar operand as a tensor (for rules that need the value of both operands). */
function asTensor(v: TensorOrScalar, like: Tensor): Tensor {
  return v instanceof Tensor ? v : scalarTensor(v, like.dtype, like.device);
}

function binaryKernel(op: BinaryOp, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) throw new Error(`${op}: at least one operand must be a Tensor`);
  checkInputs(op, ...[a, b].filter((v): v is Tensor => v instanceof Tensor)); // before any scalar becomes a tensor
  const A = operand(op, a, (a instanceof Tensor ? a : b) as Tensor);
  const B = operand(op, b, A);
  const device = checkInputs(op, A, B);
  if (op === 'sub' && A.dtype === 'bool' && B.dtype === 'bool') {
    if (A !== a) A.dispose();
    if (B !== b) B.dispose();
    throw new Error('sub: subtraction of two bool tensors is not supported; for the elements where exactly one is true use a.ne(b)');
  }
  const { compute, result } = elementwiseTypes(BINARY[op].rule, promoteTypes(A.dtype, B.dtype));
  const { inputs, shape, temps } = prepare(op, [A, B], [compute, compute]);
  const out = empty(op, device, result, shape);
  getBackend(device).elementwise.binary(op, inputs[0]!, inputs[1]!, out);
  for (const t of temps) t.dispose();
  if (A !== a) A.dispose();
  if (B !== b) B.dispose();
  return out;
}

/** Elementwise `cond ? a : b`; cond is a mask (any nonzero value counts as true). */
export function where(cond: Tensor, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  const { operands: [lc, la, lb], temps } = liftHostScalars('where', [cond, a, b]);
  try {
    return whereTraced(lc as Tensor, la!, lb!);
  } finally {
    for (const t of temps) t.dispose();
  }
}

function whereTraced(cond: Tensor, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  // The gradient goes to a where cond holds, to b elsewhere; cond gets none.
  return trace('where', [cond, a, b], () => whereKernel(cond, a, b), (g, [c], n) => [null, n[1] ? where(c!, g, 0) : null, n[2] ? where(c!, 0, g) : null], () => [cond]);
}

function whereKernel(cond: Tensor, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  // Check the tensor operands before any scalar becomes a tensor, so that an error leaves nothing behind.
  const given = [cond, a, b].filter((v): v is Tensor => v instanceof Tensor);
  checkInputs('where', ...given);
  broadcastShapes('where', ...given.map((t) => t.shape));
  // With two scalar branches, their own values choose the dtype (as torch.where does).
  const both = !(a instanceof Tensor) && !(b instanceof Tensor);
  const like =
    a instanceof Tensor ? a : b instanceof Tensor ? b
      : scalarTensor(0, [a, b].every((v) => typeof v === 'boolean') ? 'bool' : [a, b].some((v) => !Number.isInteger(v)) ? 'float32' : 'int32', cond.device);
  const A = operand('where', a, like);
  const B = operand('where', b, A);
  if (both) like.dispose();
  const device = checkInputs('where', cond, A, B);
  const dtype = promoteTypes(A.dtype, B.dtype);
  const { inputs, shape, temps } = prepare('where', [cond, A, B], ['bool', dtype, dtype]);
  const out = empty('where', device, dtype, shape);
  getBackend(device).elementwise.where(inputs[0]!, inputs[1]!, inputs[2]!, out);
  for (const t of temps) t.dispose();
  if (A !== a) A.dispose();
  if (B !== b) B.dispose();
  return out;
}

/**
 * Limits `x` to [min, max]. Gradient: to x where min <= x <= max (bounds included, as in
 * PyTorch), to a tensor bound where x is beyond it.
 */
export function clamp(x: Tensor, min?: TensorOrScalar | null, max?: TensorOrScalar | null): Tensor {
  const { operands: [lx, lmin, lmax], temps } = liftHostScalars('clamp', [x, min, max]);
  try {
    return clampTraced(lx as Tensor, lmin, lmax);
  } finally {
    for (const t of temps) t.dispose();
  }
}

function clampTraced(x: Tensor, min?: TensorOrScalar | null, max?: TensorOrScalar | null): Tensor {
  const lo = min ?? null;
  const hi = max ?? null;
  const hasLo = lo !== null; // the rule keeps flags, not the bounds themselves (see views.ts)
  const hasHi = hi !== null;
  return trace(
    'clamp',
    [x, lo, hi],
    () => clampKernel(x, min, max),
    (g, [xs, l, h], n) => {
      const below = hasLo ? xs!.lt(l!) : null;
      const above = hasHi ? xs!.gt(h!) : null;
      let gx = g;
      if (below) gx = where(below, 0, gx);
      if (above) gx = where(above, 0, gx);
      return [n[0] ? gx : null, n[1] && below ? where(below, g, 0) : null, n[2] && above ? where(above, g, 0) : null];
    },
    () => [x, lo === null ? x : asTensor(lo, x), hi === null ? x : asTensor(hi, x)],
  );
}

function clampKernel(x: Tensor, min?: TensorOrScalar | null, max?: TensorOrScalar | null): Tensor {
  // Tensor bounds are checked up front: a failure in the second step would leak the first's result.
  const bounds = [min, max].filter((v): v is Tensor => v instanceof Tensor);
  checkInputs('clamp', x, ...bounds);
  broadcastShapes('clamp', x.shape, ...bounds.map((t) => t.shape));
  for (const [name, v] of [['min', min], ['max', max]] as const) {
    if (v !== undefined && v !== null && !(v instanceof Tensor) && typeof v !== 'number') {
      throw new Error(`clamp: ${name} must be a Tensor, a number, or null, got ${typeof v === 'string' ? `'${v}'` : typeof v}`);
    }
  }
  if ((min === undefined || min === null) && (max === undefined || max === null)) {
    throw new Error(`clamp: at least one of min and max must be given (tensor ${fmtShape(x.shape)})`);
  }
  if (typeof min === 'number' && typeof max === 'number' && min > max) {
    throw new Error(`clamp: min (${min}) must not exceed max (${max})`);
  }
  let y = x;
  if (min !== undefined && min !== null) y = binary('maximum', y, min);
  if (max !== undefined && max !== null) {
    const z = binary('minimum', y, max);
    if (y !== x) y.dispose();
    y = z;
  }
  return y;
}
