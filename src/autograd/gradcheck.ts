/**
 * Gradient checks: the analytic gradient from the backward rules against central finite
 * differences, in float64 on the cpu backend, element by element (the whole Jacobian).
 *
 *   analytic:  row i of J from one backward pass with the one-hot gradient e_i on the outputs
 *   numeric:   column k of J from (f(x + eps e_k) - f(x - eps e_k)) / (2 eps)
 *
 * Both are exact up to rounding for a correct rule, so the tolerances can be tight. Keep the
 * inputs small: the cost is (number of output elements) backward passes plus twice (number of
 * input elements) forward passes.
 */
import { tensor, zerosLike, randn } from '../tensor/creation.js';
import { isFloat } from '../core/dtype.js';
import { fmtShape } from '../core/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { grad } from './engine.js';
import { noGrad } from './mode.js';

export interface GradcheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance (default 1e-3). */
  rtol?: number;
  /** Throw an error describing the first mismatch (default true); false: return false. */
  raiseException?: boolean;
}

type Fn = (...inputs: Tensor[]) => Tensor | readonly Tensor[];

const asList = (r: Tensor | readonly Tensor[]): Tensor[] => (r instanceof Tensor ? [r] : [...r]);

/** A float64 cpu copy of a float tensor (keeping requiresGrad); other tensors are moved to cpu as they are. */
async function toReference(t: Tensor): Promise<Tensor> {
  if (!(t instanceof Tensor)) throw new Error(`gradcheck: inputs must be tensors, got ${t === null ? 'null' : typeof t}`);
  const values = await t.data();
  if (!isFloat(t.dtype)) return tensor(values, { shape: t.shape, dtype: t.dtype, device: 'cpu' });
  const r = tensor(Float64Array.from(values), { shape: t.shape, dtype: 'float64', device: 'cpu' });
  if (t.requiresGrad) r.requiresGrad = true;
  return r;
}

/** t with other values; it requires grad if t does (fn may take gradients itself, as in gradgradcheck). */
function withValue(t: Tensor, values: Float64Array): Tensor {
  const r = tensor(values, { shape: t.shape, dtype: 'float64', device: 'cpu' });
  if (t.requiresGrad) r.requiresGrad = true;
  return r;
}

/**
 * Checks the gradients of `fn` with respect to those `inputs` that require grad, in float64 on
 * the cpu backend (inputs on any device and of any float dtype are copied there first).
 * Returns true, or throws (returns false with `raiseException: false`) naming the first element
 * where the analytic and numeric derivatives differ by more than atol + rtol * |numeric|.
 */
export async function gradcheck(fn: Fn, inputs: readonly Tensor[], options: GradcheckOptions = {}): Promise<boolean> {
  const eps = options.eps ?? 1e-6;
  const atol = options.atol ?? 1e-5;
  const rtol = options.rtol ?? 1e-3;
  const xs = await Promise.all(inputs.map(toReference));
  const wrt = xs.flatMap((x, i) => (x.requiresGrad ? [i] : []));
  if (wrt.length === 0) throw new Error('gradcheck: no input requires grad; set requiresGrad on the inputs to check');

  const outs = asList(fn(...xs)).filter((o) => isFloat(o.dtype));
  if (outs.length === 0) throw new Error('gradcheck: fn returned no floating-point output');
  for (const o of outs) {
    if (o.dtype !== 'float64') throw new Error(`gradcheck: an output is ${o.dtype}; with float64 inputs fn must compute in float64 (do not cast to float32 inside)`);
  }
  const outSizes = outs.map((o) => o.size);
  const total = outSizes.reduce((a, b) => a + b, 0);

  // analytic[j][r * n_j + k]: d out_r / d x_j[k], r over all output elements.
  const analytic = wrt.map((j) => new Float64Array(total * xs[j]!.size));
  let r = 0;
  for (let oi = 0; oi < outs.length; oi++) {
    for (let e = 0; e < outSizes[oi]!; e++, r++) {
      const gradOutputs = outs.map((o, k) => {
        const v = new Float64Array(o.size);
        if (k === oi) v[e] = 1;
        return tensor(v, { shape: o.shape, dtype: 'float64', device: 'cpu' });
      });
      const reachable = outs.some((o) => o.requiresGrad);
      const gs = reachable ? grad(outs.filter((o) => o.requiresGrad), wrt.map((j) => xs[j]!), {
        gradOutputs: outs.flatMap((o, k) => (o.requiresGrad ? [gradOutputs[k]!] : [])),
        retainGraph: true,
        allowUnused: true,
      }) : wrt.map(() => null);
      for (let w = 0; w < wrt.length; w++) {
        const g = gs[w];
        if (!g) continue;
        const vals = await g.data();
        analytic[w]!.set(vals, r * xs[wrt[w]!]!.size);
      }
    }
  }

  // numeric, column by column
  for (let w = 0; w < wrt.length; w++) {
    const j = wrt[w]!;
    const x = xs[j]!;
    const base = Float64Array.from(await x.data());
    const n = x.size;
    for (let k = 0; k < n; k++) {
      const plus = Float64Array.from(base);
      plus[k] = base[k]! + eps;
      const minus = Float64Array.from(base);
      minus[k] = base[k]! - eps;
      const fp = await outputsAt(fn, xs, j, plus);
      const fm = await outputsAt(fn, xs, j, minus);
      for (let rr = 0; rr < total; rr++) {
        const numeric = (fp[rr]! - fm[rr]!) / (2 * eps);
        const a = analytic[w]![rr * n + k]!;
        const ok = Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric) || (Number.isNaN(a) && Number.isNaN(numeric));
        if (!ok) {
          const msg =
            `gradcheck: the gradient of output element ${rr} with respect to input ${j} (shape ${fmtShape(x.shape)}) at element ${k} ` +
            `is ${a} from backward but ${numeric} by finite differences (eps ${eps}, atol ${atol}, rtol ${rtol})`;
          if (options.raiseException === false) return false;
          throw new Error(msg);
        }
      }
    }
  }
  return true;
}

/** All float output elements of fn with input j replaced by `values`, flattened in order. */
async function outputsAt(fn: Fn, xs: readonly Tensor[], j: number, values: Float64Array): Promise<Float64Array> {
  const outs = asList(fn(...xs.map((x, i) => (i === j ? withValue(x, values) : x)))).filter((o) => isFloat(o.dtype));
  const parts = await Promise.all(outs.map((o) => o.data()));
  const flat = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    flat.set(p, at);
    at += p.length;
  }
  return flat;
}

/**
 * Checks second derivatives: gradcheck of (inputs, v) -> grad(fn(inputs), inputs, v) with
 * `createGraph`, where v are random gradients for fn's outputs (also checked). Needs every
 * rule on the path to be differentiable.
 */
export async function gradgradcheck(fn: Fn, inputs: readonly Tensor[], options: GradcheckOptions & { seed?: number } = {}): Promise<boolean> {
  const xs = await Promise.all(inputs.map(toReference));
  const wrt = xs.flatMap((x, i) => (x.requiresGrad ? [i] : []));
  if (wrt.length === 0) throw new Error('gradgradcheck: no input requires grad; set requiresGrad on the inputs to check');
  const outs = noGrad(() => asList(fn(...xs)).filter((o) => isFloat(o.dtype)));
  const vs = outs.map((o) => randn(o.shape, { dtype: 'float64', device: 'cpu' }).requiresGrad_());
  const nx = xs.length;
  const second: Fn = (...args) => {
    const ins = args.slice(0, nx);
    const v = args.slice(nx);
    const ys = asList(fn(...ins)).filter((o) => isFloat(o.dtype));
    const gs = grad(ys, wrt.map((j) => ins[j]!), { gradOutputs: v, createGraph: true, allowUnused: true });
    // An input the outputs do not depend on has a zero gradient (and zero second derivatives).
    return gs.map((g, w) => g ?? zerosLike(ins[wrt[w]!]!));
  };
  return gradcheck(second, [...xs, ...vs], options);
}
