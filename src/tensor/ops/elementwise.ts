/** Unary, binary and ternary elementwise ops, with NumPy broadcasting and type promotion. */
import { getBackend } from '../../runtime.js';
import { BINARY, UNARY, elementwiseTypes, type BinaryOp, type UnaryOp } from '../../kernels/ops.js';
import { isDType, promoteTypes, promoteWithScalar, type DType } from '../dtype.js';
import { broadcastShapes, fmtShape, shapeEq } from '../shape.js';
import { Tensor, type TensorOrScalar } from '../tensor.js';
import { checkDType, checkInputs, empty } from './core.js';
import { expand } from './views.js';
import { scalarTensor } from '../creation.js';

/** A copy of `x` converted to `dtype` (x itself when it already has it). */
export function cast(x: Tensor, dtype: DType): Tensor {
  const device = checkInputs('cast', x);
  if (!isDType(dtype)) throw new Error(`cast: unknown dtype '${String(dtype)}' (expected float32, int32, float64 or bool)`);
  if (x.dtype === dtype) return x;
  checkDType('cast', getBackend(device), dtype);
  const out = empty('cast', device, dtype, x.shape);
  getBackend(device).copy(x, out);
  return out;
}

export function unary(op: UnaryOp, x: Tensor): Tensor {
  const device = checkInputs(op, x);
  const { compute, result } = elementwiseTypes(UNARY[op].rule, x.dtype);
  const xin = cast(x, compute);
  const out = empty(op, device, result, x.shape);
  getBackend(device).unary(op, xin, out);
  if (xin !== x) xin.dispose();
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

export function binary(op: BinaryOp, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) throw new Error(`${op}: at least one operand must be a Tensor`);
  checkInputs(op, ...[a, b].filter((v): v is Tensor => v instanceof Tensor)); // before any scalar becomes a tensor
  const A = operand(op, a, (a instanceof Tensor ? a : b) as Tensor);
  const B = operand(op, b, A);
  const device = checkInputs(op, A, B);
  const { compute, result } = elementwiseTypes(BINARY[op].rule, promoteTypes(A.dtype, B.dtype));
  const { inputs, shape, temps } = prepare(op, [A, B], [compute, compute]);
  const out = empty(op, device, result, shape);
  getBackend(device).binary(op, inputs[0]!, inputs[1]!, out);
  for (const t of temps) t.dispose();
  if (A !== a) A.dispose();
  if (B !== b) B.dispose();
  return out;
}

/** Elementwise `cond ? a : b`; cond is a mask (any nonzero value counts as true). */
export function where(cond: Tensor, a: TensorOrScalar, b: TensorOrScalar): Tensor {
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
  getBackend(device).where(inputs[0]!, inputs[1]!, inputs[2]!, out);
  for (const t of temps) t.dispose();
  if (A !== a) A.dispose();
  if (B !== b) B.dispose();
  return out;
}

/** Limits `x` to [min, max]. */
export function clamp(x: Tensor, min?: TensorOrScalar | null, max?: TensorOrScalar | null): Tensor {
  // Tensor bounds are checked up front: a failure in the second step would leak the first's result.
  const bounds = [min, max].filter((v): v is Tensor => v instanceof Tensor);
  checkInputs('clamp', x, ...bounds);
  broadcastShapes('clamp', x.shape, ...bounds.map((t) => t.shape));
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
