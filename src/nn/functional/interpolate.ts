/**
 * webgrad.nn.functional.interpolate: resizing [N, C, L] and [N, C, H, W] inputs, as
 * `torch.nn.functional.interpolate`, by separable passes of the resample kernel family
 * (src/kernels/resample/): along W, then along H. The index formulas are PyTorch's, computed
 * here on the host once per axis, so cpu and webgpu read the same tables.
 */
import { getBackend } from '../../runtime.js';
import { trace } from '../../autograd/node.js';
import type { ResampleAxis } from '../../kernels/resample/types.js';
import { isFloat } from '../../core/dtype.js';
import { fmtShape } from '../../core/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { checkBoolean, checkChoice, checkOptions, describe } from '../../core/options.js';
import { checkInputs, empty } from '../../tensor/ops/core.js';
import { reshape } from '../../tensor/ops/views.js';
import { noExtra } from './args.js';
import { INTERPOLATE_MODES, refuseNotDone } from './interpolate-modes.js';

/** The modes interpolate has. */
export type InterpolateMode = (typeof INTERPOLATE_MODES)[number];

export interface InterpolateOptions {
  /** The output's spatial size: one number for every spatial dim, or one per dim. */
  size?: number | readonly number[] | null;
  /** The output size is floor(input size * scaleFactor): one factor for every spatial dim, or one per dim. */
  scaleFactor?: number | readonly number[] | null;
  /** 'nearest' (default), 'nearest-exact', 'linear' (3-D input), 'bilinear' (4-D input). */
  mode?: InterpolateMode;
  /**
   * linear / bilinear only: map the corner pixels' centres onto each other (source = dst *
   * (in - 1) / (out - 1)) instead of the pixel areas (source = (dst + 0.5) * scale - 0.5,
   * clamped at 0). Default false.
   */
  alignCorners?: boolean | null;
  /**
   * With scaleFactor: compute the index scale from the sizes (in / out) instead of 1 /
   * scaleFactor (default false, as PyTorch).
   */
  recomputeScaleFactor?: boolean | null;
}

/** The table of one axis (see ResampleAxis), from PyTorch's formulas. `factor`: the scale factor passed on, or null (in / out). */
function axisTable(mode: InterpolateMode, inLen: number, outLen: number, factor: number | null, alignCorners: boolean): ResampleAxis {
  const i0 = new Int32Array(outLen);
  const i1 = new Int32Array(outLen);
  const lambda = new Float64Array(outLen);
  const nearest = mode === 'nearest' || mode === 'nearest-exact';
  if (nearest) {
    // As PyTorch's nearest_idx: the scale and the product in float32.
    const scale = Math.fround(factor !== null && factor > 0 ? 1 / factor : inLen / outLen);
    for (let o = 0; o < outLen; o++) {
      let i: number;
      if (mode === 'nearest') i = outLen === inLen ? o : outLen === 2 * inLen ? o >> 1 : Math.floor(Math.fround(o * scale));
      else i = Math.floor(Math.fround((o + 0.5) * scale));
      i0[o] = i1[o] = Math.min(i, inLen - 1);
    }
  } else {
    const scale = alignCorners ? (outLen > 1 ? (inLen - 1) / (outLen - 1) : 0) : factor !== null && factor > 0 ? 1 / factor : inLen / outLen;
    for (let o = 0; o < outLen; o++) {
      if (outLen === inLen) {
        i0[o] = i1[o] = o;
        continue;
      }
      const src = alignCorners ? scale * o : Math.max(scale * (o + 0.5) - 0.5, 0);
      const i = Math.min(Math.floor(src), inLen - 1);
      i0[o] = i;
      i1[o] = i < inLen - 1 ? i + 1 : i;
      lambda[o] = Math.min(Math.max(src - i, 0), 1);
    }
  }
  // The outputs reading each input form one range (i0 and i1 are non-decreasing in o).
  const lo = new Int32Array(inLen);
  const hi = new Int32Array(inLen);
  const seen = new Uint8Array(inLen);
  for (let o = 0; o < outLen; o++) {
    for (const i of [i0[o]!, i1[o]!]) {
      if (!seen[i]) {
        seen[i] = 1;
        lo[i] = o;
      }
      hi[i] = o + 1;
    }
  }
  let maxRange = 0;
  for (let i = 0; i < inLen; i++) maxRange = Math.max(maxRange, hi[i]! - lo[i]!);
  return { inLen, outLen, nearest, i0, i1, lambda, lo, hi, maxRange };
}

/** `n` positive sizes or factors from one value or a list of n. */
function perDim(op: string, name: string, v: unknown, n: number, ok: (x: number) => boolean, what: string): number[] {
  const list = typeof v === 'number' ? Array.from({ length: n }, () => v) : Array.isArray(v) ? v : null;
  if (!list || list.length !== n || !list.every((x) => typeof x === 'number' && ok(x))) {
    throw new Error(`${op}: ${name} must be ${what} or a list of ${n} of them (one per spatial dim), got ${describe(v)}`);
  }
  return list as number[];
}

/** Resamples t along `dim` (a view [outer, len, inner] of its contiguous data) by table a. */
function pass(t: Tensor, dim: number, a: ResampleAxis, backward: boolean): Tensor {
  const tc = t.contiguous();
  const outer = t.shape.slice(0, dim).reduce((x, y) => x * y, 1);
  const inner = t.shape.slice(dim + 1).reduce((x, y) => x * y, 1);
  const shape = [...t.shape];
  shape[dim] = backward ? a.inLen : a.outLen;
  const out = empty('interpolate', t.device, t.dtype, shape);
  const src = reshape(tc, [outer, t.shape[dim]!, inner]);
  const dst = reshape(out, [outer, shape[dim]!, inner]);
  try {
    const k = getBackend(t.device).resample;
    if (backward) k.resampleAxisBackward(src, a, dst);
    else k.resampleAxis(src, a, dst);
  } catch (e) {
    out.dispose();
    throw e;
  } finally {
    src.dispose();
    dst.dispose();
    if (tc !== t) tc.dispose();
  }
  return out;
}

/** The forward over every spatial axis (last first), traced; its backward is the adjoint passes, traced with this as their adjoint. */
function resample(x: Tensor, axes: ResampleAxis[]): Tensor {
  return trace(
    'interpolate',
    [x],
    () => {
      let t = x;
      for (let k = axes.length - 1; k >= 0; k--) {
        const next = pass(t, 2 + k, axes[k]!, false);
        if (t !== x) t.dispose();
        t = next;
      }
      return t;
    },
    (g) => [resampleBackward(g, axes)],
  );
}

function resampleBackward(g: Tensor, axes: ResampleAxis[]): Tensor {
  return trace(
    'interpolateBackward',
    [g],
    () => {
      let t = g;
      for (let k = 0; k < axes.length; k++) {
        const next = pass(t, 2 + k, axes[k]!, true);
        if (t !== g) t.dispose();
        t = next;
      }
      return t;
    },
    (gg) => [resample(gg, axes)],
  );
}

/**
 * Resizes x [N, C, L] or [N, C, H, W] to `size` or by `scaleFactor` (exactly one of them), as
 * `torch.nn.functional.interpolate`, with PyTorch's index formulas:
 * - 'nearest': source index floor(dst * scale), scale = in / out (or 1 / scaleFactor, unless
 *   recomputeScaleFactor), clamped to in - 1 (PyTorch's legacy formula, its default);
 * - 'nearest-exact': floor((dst + 0.5) * scale), clamped (what PIL and scikit-image do);
 * - 'linear' (3-D) and 'bilinear' (4-D): the two neighbours of source = (dst + 0.5) * scale -
 *   0.5 (clamped at 0), or dst * (in - 1) / (out - 1) with alignCorners, weighted linearly.
 * float32 (float64 on cpu). Gradient: the adjoint passes, each input position gathering the
 * weighted gradients of the outputs that read it, in a fixed order (deterministic, no atomics);
 * traced, so second derivatives work. Modes 'bicubic', 'trilinear' and 'area' are refused.
 */
export function interpolate(x: Tensor, options: InterpolateOptions = {}, ...extra: never[]): Tensor {
  const op = 'interpolate';
  noExtra(op, extra, '(x, { size, scaleFactor, mode, alignCorners, recomputeScaleFactor })');
  checkOptions(op, options, ['size', 'scaleFactor', 'mode', 'alignCorners', 'recomputeScaleFactor']);
  checkInputs(op, x);
  const rawMode = options.mode ?? 'nearest';
  refuseNotDone(op, rawMode);
  const mode = checkChoice(op, 'mode', rawMode, INTERPOLATE_MODES);
  if (!isFloat(x.dtype)) throw new Error(`${op}: expected a floating-point input, got ${x.dtype}`);
  if (x.ndim !== 3 && x.ndim !== 4) {
    throw new Error(`${op}: expected a 3-D [N, C, L] or 4-D [N, C, H, W] input, got shape ${fmtShape(x.shape)}${x.ndim === 5 ? ' (5-D inputs are not resampled yet)' : ''}`);
  }
  if (mode === 'linear' && x.ndim !== 3) throw new Error(`${op}: mode 'linear' needs a 3-D [N, C, L] input, got ${x.ndim}-D ${fmtShape(x.shape)} (use 'bilinear' for 4-D)`);
  if (mode === 'bilinear' && x.ndim !== 4) throw new Error(`${op}: mode 'bilinear' needs a 4-D [N, C, H, W] input, got ${x.ndim}-D ${fmtShape(x.shape)} (use 'linear' for 3-D)`);
  const ac = options.alignCorners ?? null;
  if (ac !== null) {
    checkBoolean(op, 'alignCorners', ac);
    if (mode === 'nearest' || mode === 'nearest-exact') {
      throw new Error(`${op}: alignCorners can only be set with the interpolating modes 'linear' and 'bilinear', got mode '${mode}'`);
    }
  }
  const size = options.size ?? null;
  const factor = options.scaleFactor ?? null;
  if ((size === null) === (factor === null)) {
    throw new Error(`${op}: give exactly one of size and scaleFactor, got ${size === null ? 'neither' : 'both'}`);
  }
  const rsf = options.recomputeScaleFactor ?? null;
  if (rsf !== null) {
    checkBoolean(op, 'recomputeScaleFactor', rsf);
    if (size !== null && rsf) throw new Error(`${op}: recomputeScaleFactor is not meaningful with an explicit size`);
  }
  const spatial = x.shape.slice(2);
  let outSizes: number[];
  let factors: (number | null)[];
  if (size !== null) {
    outSizes = perDim(op, 'size', size, spatial.length, (v) => Number.isInteger(v) && v >= 1, 'a positive integer');
    factors = spatial.map(() => null);
  } else {
    const f = perDim(op, 'scaleFactor', factor, spatial.length, (v) => Number.isFinite(v) && v > 0, 'a finite number > 0');
    outSizes = spatial.map((s, i) => Math.floor(s * f[i]!));
    const zero = outSizes.findIndex((o) => o < 1);
    if (zero >= 0) throw new Error(`${op}: scaleFactor ${f[zero]} gives an empty output along spatial dim ${zero} (input ${fmtShape(x.shape)}, floor(${spatial[zero]} * ${f[zero]}) = ${outSizes[zero]})`);
    factors = rsf ? spatial.map(() => null) : f;
  }
  if (spatial.some((s) => s === 0)) throw new Error(`${op}: the spatial dims must be non-empty, got shape ${fmtShape(x.shape)}`);
  const axes = spatial.map((s, i) => axisTable(mode, s, outSizes[i]!, factors[i]!, ac === true));
  return resample(x, axes);
}
