/** What every op does first: check its inputs, and allocate its output. */
import type { Backend, DeviceName } from '../../kernels/backend.js';
import { getBackend } from '../../runtime.js';
import type { DType } from '../dtype.js';
import { fmtShape, numel, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';

export function describe(t: Tensor): string {
  return `${fmtShape(t.shape)} ${t.dtype} on ${t.device}`;
}

/** Throws if any input was disposed or the inputs live on different devices. */
export function checkInputs(op: string, ...ts: Tensor[]): DeviceName {
  for (const t of ts) {
    if (!(t instanceof Tensor)) throw new Error(`${op}: expected a Tensor, got ${t === null ? 'null' : typeof t}`);
    if (t.isDisposed) {
      throw new Error(`${op}: a tensor of shape ${fmtShape(t.shape)} (${t.dtype}, ${t.device}) was used after dispose()`);
    }
  }
  const device = ts[0]!.device;
  const other = ts.find((t) => t.device !== device);
  if (other) {
    throw new Error(
      `${op}: all tensors must be on one device, got ${ts.map(describe).join(' and ')}; move one with .to('${device}')`,
    );
  }
  return device;
}

/** Throws unless the backend stores `dtype`. */
export function checkDType(op: string, backend: Backend, dtype: DType): void {
  if (!backend.supports(dtype)) {
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
  try {
    return new Tensor(backend.allocate(dtype, numel(shape)), shape);
  } catch (e) {
    // The backend's refusal (over a buffer-size limit, a lost device) says what; name the op too.
    throw new Error(`${op}: ${(e as Error).message}`, { cause: e });
  }
}
