/** What every op does first: check its inputs, and allocate its output. */
import type { Backend, DeviceName } from '../../kernels/backend.js';
import { getBackend } from '../../runtime.js';
import { allocArray, type DType } from '../../core/dtype.js';
import { fmtShape, numel, type Shape } from '../../core/shape.js';
import { Tensor } from '../tensor.js';
import { withOp } from '../memory.js';

export function describe(t: Tensor): string {
  return `${fmtShape(t.shape)} ${t.dtype} on ${t.device}`;
}

/** Throws if any input was disposed or the inputs live on different devices. */
export function checkInputs(op: string, ...ts: Tensor[]): DeviceName {
  for (const t of ts) {
    if (!(t instanceof Tensor)) throw new Error(`${op}: expected a Tensor, got ${t === null ? 'null' : typeof t}`);
    if (t.isDisposed) {
      throw new Error(`${op}: a tensor of shape ${fmtShape(t.shape)} (${t.dtype}, ${t.device}) was used after dispose() (or after the tidy scope that made it ended: return it from the scope, or keep() it)`);
    }
  }
  const device = ts[0]!.device;
  const other = ts.find((t) => t.device !== device);
  if (other) {
    throw new Error(
      `${op}: all tensors must be on one device, got ${ts.map(describe).join(' and ')}; move one with await t.to('${device}')` +
        ' (only a 0-d cpu tensor may join a tensor of another device, in elementwise ops)',
    );
  }
  return device;
}

/**
 * Elementwise ops accept a 0-d cpu tensor next to webgpu (or wasm) tensors, as PyTorch accepts
 * a 0-d cpu tensor next to CUDA ones: its value is on the host, so it is uploaded as a 0-d
 * tensor of the other device (float64 becomes float32 and int8/uint8 int32, which both have). Returns the operands with such tensors replaced,
 * and the uploads, for the caller to dispose. Other device mixes are left for checkInputs to refuse.
 */
export function liftHostScalars<T>(op: string, operands: readonly T[]): { operands: T[]; temps: Tensor[] } {
  const tensors = operands.filter((v): v is T & Tensor => v instanceof Tensor && !v.isDisposed);
  const isHostScalar = (t: Tensor) => t.device === 'cpu' && t.ndim === 0;
  const target = tensors.find((t) => !isHostScalar(t))?.device;
  if (target === undefined || target === 'cpu') return { operands: [...operands], temps: [] };
  const temps: Tensor[] = [];
  const out = operands.map((v) => {
    if (!(v instanceof Tensor) || v.isDisposed || !isHostScalar(v)) return v;
    if (v.requiresGrad) {
      for (const t of temps) t.dispose();
      throw new Error(
        `${op}: a 0-d cpu tensor that requires grad cannot join ${target} tensors (its gradient would be on ${target}); move it first with await t.to('${target}')`,
      );
    }
    const value = (getBackend('cpu') as unknown as { readSync(x: Tensor): ArrayLike<number> }).readSync(v)[0]!;
    // int8/uint8 become int32 (exact): webgpu stores neither, and an int32 operand promotes the same way past bool.
    const dtype = v.dtype === 'float64' ? 'float32' : v.dtype === 'int8' || v.dtype === 'uint8' ? 'int32' : v.dtype;
    const a = allocArray(dtype, 1);
    a[0] = value;
    const lifted = new Tensor(getBackend(target).upload(dtype, a), []);
    temps.push(lifted);
    return lifted as unknown as T;
  });
  return { operands: out, temps };
}

/** Throws unless the backend stores `dtype`. */
export function checkDType(op: string, backend: Backend, dtype: DType): void {
  if (!backend.supports(dtype)) {
    if ((dtype === 'int8' || dtype === 'uint8') && backend.name === 'webgpu') {
      throw new Error(
        `${op}: dtype ${dtype} is not supported on ${backend.name} (WGSL has no 8-bit storage type, so int8 and uint8 are cpu-only; ` +
          `cast on cpu first, e.g. x.to('int32') or x.to('float32'), or keep the tensor on 'cpu')`,
      );
    }
    throw new Error(`${op}: dtype ${dtype} is not supported on ${backend.name} (float64 is cpu-only; use float32 or .to('cpu'))`);
  }
}

/** A new contiguous tensor with unspecified contents. */
export function empty(op: string, device: DeviceName, dtype: DType, shape: Shape): Tensor {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${op}: invalid shape ${fmtShape(shape)} (dimensions must be integers >= 0)`);
  }
  const backend = getBackend(device);
  checkDType(op, backend, dtype);
  const n = numel(shape);
  const tooLarge = (why: string) =>
    new Error(`${op}: a ${dtype} tensor of shape ${fmtShape(shape)} (${n} elements, ${n * BYTES[dtype]} bytes) is too large for ${device}: ${why}`);
  // A JS typed array holds at most 2^32 elements; beyond that the cpu backend would only say "Invalid typed array length".
  if (device === 'cpu' && n > MAX_CPU_ELEMENTS) throw tooLarge(`the limit is ${MAX_CPU_ELEMENTS} elements per tensor`);
  try {
    // Labelled for the leak report: an op traced around this call keeps its own name.
    return withOp(op, () => new Tensor(backend.allocate(dtype, n), shape));
  } catch (e) {
    if (e instanceof RangeError) throw tooLarge(`the allocation failed (${e.message})`);
    // The backend's refusal (over a buffer-size limit, a lost device) says what; name the op too.
    throw new Error(`${op}: ${(e as Error).message}`, { cause: e });
  }
}

/** The most elements a cpu tensor can hold (one TypedArray). */
export const MAX_CPU_ELEMENTS = 2 ** 32;
const BYTES: Record<DType, number> = { float32: 4, float16: 2, int32: 4, float64: 8, bool: 1, int8: 1, uint8: 1 };
