/**
 * webgrad.nn.functional: padding, one-hot encoding and top-k (see index.ts).
 *
 * All three are compositions of existing ops, so they run on every backend and their
 * gradients come from the ops' own rules:
 *   - pad: constant mode writes x into a filled tensor (backward: a slice of the gradient);
 *     reflect and replicate are one indexSelect per padded dim with a host-built index (the
 *     same gather kernel; backward: its scatter-add);
 *   - oneHot: an index-range check kernel, then a comparison with arange;
 *   - topk: k rounds of argmax and masking on the device, then a differentiable gather.
 */
import { getBackend } from '../../runtime.js';
import { trace } from '../../autograd/node.js';
import { noGrad } from '../../autograd/mode.js';
import { arange, full, tensor, zeros } from '../../tensor/creation.js';
import { tidy } from '../../tensor/memory.js';
import { fmtShape, normAxis } from '../../core/shape.js';
import { Tensor, type SliceSpec } from '../../tensor/tensor.js';
import { checkBoolean, checkChoice, checkNumber, checkOptions } from '../../core/options.js';
import { checkInputs } from '../../tensor/ops/core.js';
import { binary, cast, where } from '../../tensor/ops/elementwise.js';
import { cat, gather, indexSelect } from '../../tensor/ops/indexing.js';
import { argmax } from '../../tensor/ops/reduce.js';
import { clone, reshape, slice, unsqueeze } from '../../tensor/ops/views.js';
import { noExtra } from './args.js';

// ---- pad ------------------------------------------------------------------------------------------

export type PadMode = 'constant' | 'reflect' | 'replicate';

export interface PadOptions {
  /** 'constant' (default) fills with `value`; 'reflect' mirrors without repeating the edge; 'replicate' repeats the edge. */
  mode?: PadMode;
  /** The fill value of constant mode (default 0). */
  value?: number;
}

/**
 * Pads x as `torch.nn.functional.pad`: `pad` lists (before, after) amounts from the last dim
 * backwards, [left, right, top, bottom, ...], at most two per dim. In constant mode negative
 * amounts crop. Reflect needs each amount below the dim's size; reflect and replicate take no
 * negative amounts.
 *
 * Gradient: constant mode passes the slice of the gradient where x landed (zeros to cropped
 * elements); reflect and replicate add up the gradients of every copy of an element (they are
 * indexSelects, whose backward is a scatter-add).
 */
export function pad(x: Tensor, pad: readonly number[], options: PadOptions = {}, ...extra: never[]): Tensor {
  noExtra('pad', extra, '(x, pad, options?)');
  const op = 'pad';
  const device = checkInputs(op, x);
  checkOptions(op, options, ['mode', 'value']);
  const mode = checkChoice(op, 'mode', options.mode ?? 'constant', ['constant', 'reflect', 'replicate']);
  if (options.value !== undefined) checkNumber(op, 'value', options.value, { infinite: true });
  if (!Array.isArray(pad) || !pad.every((v) => Number.isInteger(v))) {
    throw new Error(`${op}: pad must be an array of integers, got ${Array.isArray(pad) ? fmtShape(pad) : String(pad)}`);
  }
  if (pad.length % 2 !== 0 || pad.length > 2 * x.ndim) {
    throw new Error(
      `${op}: pad ${fmtShape(pad)} must have an even length of at most 2 * rank = ${2 * x.ndim} (pairs from the last dim backwards) for input ${fmtShape(x.shape)}`,
    );
  }
  if (mode !== 'constant' && options.value !== undefined) {
    throw new Error(`${op}: value is only used in constant mode (got mode '${mode}', value ${options.value})`);
  }
  // [dim, before, after] per padded dim.
  const dims: [number, number, number][] = [];
  for (let i = 0; i < pad.length / 2; i++) dims.push([x.ndim - 1 - i, pad[2 * i]!, pad[2 * i + 1]!]);
  for (const [d, a, b] of dims) {
    const size = x.shape[d]!;
    if (mode === 'constant') {
      if (size + a + b < 0) throw new Error(`${op}: padding (${a}, ${b}) of dim ${d} (size ${size}) gives a negative size ${size + a + b} (input ${fmtShape(x.shape)})`);
    } else if (a < 0 || b < 0) {
      throw new Error(`${op}: ${mode} padding takes no negative amounts, got (${a}, ${b}) for dim ${d} (input ${fmtShape(x.shape)})`);
    } else if (mode === 'reflect' && (a >= size || b >= size) && (a > 0 || b > 0)) {
      throw new Error(`${op}: reflect padding (${a}, ${b}) of dim ${d} must be less than that dim's size ${size} (input ${fmtShape(x.shape)})`);
    } else if (mode === 'replicate' && size === 0 && (a > 0 || b > 0)) {
      throw new Error(`${op}: replicate padding of dim ${d} needs a non-empty dim (input ${fmtShape(x.shape)})`);
    }
  }
  if (mode === 'constant') return constantPad(x, dims, options.value ?? 0);
  let y = x;
  for (const [d, a, b] of dims) {
    if (a === 0 && b === 0) continue;
    const size = x.shape[d]!;
    const src = new Int32Array(size + a + b);
    for (let o = 0; o < src.length; o++) {
      const i = o - a;
      src[o] = mode === 'replicate' ? Math.min(Math.max(i, 0), size - 1) : i < 0 ? -i : i >= size ? 2 * (size - 1) - i : i;
    }
    const idx = tensor(src, { device });
    const next = indexSelect(y, d, idx);
    idx.dispose();
    if (y !== x) y.dispose();
    y = next;
  }
  return y === x ? clone(x) : y;
}

/** Constant padding: crop the negative amounts (a view), then write into a filled tensor. */
function constantPad(x: Tensor, dims: [number, number, number][], value: number): Tensor {
  const crop: SliceSpec[] = x.shape.map(() => null);
  const place: SliceSpec[] = x.shape.map(() => null);
  const outShape = [...x.shape];
  for (const [d, a, b] of dims) {
    const size = x.shape[d]!;
    crop[d] = [Math.max(0, -a), size - Math.max(0, -b)];
    outShape[d] = size + a + b;
    const kept = Math.max(0, size - Math.max(0, -a) - Math.max(0, -b));
    place[d] = [Math.max(0, a), Math.max(0, a) + kept];
  }
  const cropped = dims.some(([, a, b]) => a < 0 || b < 0);
  const xc = cropped ? slice(x, crop) : x;
  const out = trace(
    'pad',
    [xc],
    () => {
      const o = full(outShape, value, { dtype: xc.dtype, device: xc.device });
      const slot = slice(o, place);
      getBackend(xc.device).copy(xc, slot);
      slot.dispose();
      return o;
    },
    (g) => [slice(g, place)],
  );
  if (xc !== x) xc.dispose();
  return out;
}

// ---- oneHot -------------------------------------------------------------------------------------

/**
 * One-hot encoding: int32 [..., numClasses] with a 1 at each index, as
 * `torch.nn.functional.one_hot` (int32 rather than int64). `numClasses` is required: PyTorch's
 * default -1 (max + 1) needs the data's maximum, a read back that webgrad never does
 * implicitly; pass `(await indices.max().item()) + 1` for that. An index outside
 * [0, numClasses) is an error (thrown at once on cpu; reported at the next read on webgpu).
 */
export function oneHot(indices: Tensor, numClasses: number, ...extra: never[]): Tensor {
  noExtra('oneHot', extra, '(indices, numClasses)');
  const op = 'oneHot';
  const device = checkInputs(op, indices);
  if (indices.dtype !== 'int32') throw new Error(`${op}: indices must be an int32 tensor, got ${indices.dtype} (tensor() of plain numbers is float32: make indices with { dtype: 'int32' } or .cast('int32'))`);
  if (numClasses === -1 || numClasses === undefined) {
    throw new Error(
      `${op}: numClasses is required (inferring it from the data would need a read back, which webgrad never does implicitly); ` +
        'pass e.g. (await indices.max().item()) + 1',
    );
  }
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`${op}: numClasses must be a positive integer, got ${numClasses}`);
  getBackend(device).pooling.checkIndexRange(op, indices, numClasses);
  return tidy(() => cast(binary('eq', unsqueeze(indices, -1), arange(0, numClasses, 1, { dtype: 'int32', device })), 'int32'));
}

// ---- topk ---------------------------------------------------------------------------------------

export interface TopkOptions {
  /** The dim to select along (default -1). */
  dim?: number;
  /** The largest (default) or the smallest values. */
  largest?: boolean;
  /** Whether the result is sorted; it always is (best first), so this changes nothing. */
  sorted?: boolean;
}

/**
 * The k largest (or smallest) entries along `dim` and their int32 indices, as `torch.topk`:
 * [values, indices], each of x's shape with `dim` of size k, best first; ties go to the lower
 * index. NaN counts as larger than every number (tied with +inf, broken by index).
 *
 * Runs on the device without reading back: k rounds of argmax over a masked copy of the keys
 * (each round an argmax, a comparison and a where: O(k * n) work per row of n, 3k small
 * kernels in all, so it suits small k). The values are a gather of x, so they carry gradients
 * (a scatter-add to the selected positions).
 */
export function topk(x: Tensor, k: number, options: TopkOptions = {}, ...extra: never[]): [Tensor, Tensor] {
  noExtra('topk', extra, '(x, k, options?)');
  const op = 'topk';
  const device = checkInputs(op, x);
  checkOptions(op, options, ['dim', 'largest', 'sorted']);
  if (options.largest !== undefined) checkBoolean(op, 'largest', options.largest);
  if (options.sorted !== undefined) checkBoolean(op, 'sorted', options.sorted);
  if (x.dtype === 'bool') throw new Error(`${op}: bool tensors are not supported (cast to int32 or float32 first)`);
  const xs = x.ndim === 0 ? reshape(x, [1]) : x;
  const d = normAxis(op, options.dim ?? -1, xs.ndim);
  const n = xs.shape[d]!;
  if (!Number.isInteger(k) || k < 0 || k > n) {
    if (xs !== x) xs.dispose();
    throw new Error(`${op}: k = ${k} is out of range for dim ${d} of size ${n} (input ${fmtShape(x.shape)}; expected 0 to ${n})`);
  }
  const largest = options.largest ?? true;
  const indices = tidy(() =>
    noGrad(() => {
      if (k === 0) return zeros(xs.shape.map((s, i) => (i === d ? 0 : s)), { dtype: 'int32', device });
      // Keys: larger is better; every live key above `taken`, which marks the picked entries.
      const isInt = xs.dtype === 'int32';
      const lowest = isInt ? -2147483647 : xs.dtype === 'float64' ? -Number.MAX_VALUE : xs.dtype === 'float16' ? -65504 : -3.4028234663852886e38;
      const taken = isInt ? -2147483648 : -Infinity;
      let key: Tensor;
      if (isInt) {
        key = binary('maximum', largest ? xs : binary('sub', -1, xs), lowest); // -1 - x reverses the order without overflow
      } else {
        const k0 = largest ? xs : binary('mul', xs, -1);
        key = where(binary('ne', k0, k0), largest ? Infinity : lowest, binary('maximum', k0, lowest));
      }
      const pos = reshape(arange(0, n, 1, { dtype: 'int32', device }), xs.shape.map((s, i) => (i === d ? n : 1)));
      const picks: Tensor[] = [];
      for (let j = 0; j < k; j++) {
        const best = argmax(key, d, true);
        picks.push(best);
        if (j + 1 < k) {
          const hit = binary('eq', pos, best);
          const next = where(hit, taken, key);
          hit.dispose();
          key.dispose();
          key = next;
        }
      }
      return picks.length === 1 ? picks[0]! : cat(picks, d);
    }),
  );
  const values = gather(xs, d, indices);
  if (xs !== x) {
    xs.dispose();
    if (k === 1) {
      const v = reshape(values, []);
      const i = reshape(indices, []);
      values.dispose();
      indices.dispose();
      return [v, i];
    }
  }
  return [values, indices];
}
