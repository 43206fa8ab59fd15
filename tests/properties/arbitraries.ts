/**
 * Shared pieces of the property-based tests (tests/properties/*.test.ts, fast-check).
 *
 * Seeds: every property of a run uses one seed, WEBGRAD_PROP_SEED (an integer, or `random`
 * for a fresh one), 20261201 when unset, so the suite is the same on every run unless asked;
 * each file prints the seed it uses. fast-check prints the seed and the counterexample's path
 * on failure: `WEBGRAD_PROP_SEED=<seed>` replays it (add `path` in `settings()` to go
 * straight to the shrunk case). WEBGRAD_PROP_RUNS sets the runs per property (default 30).
 *
 * Inputs: shapes of rank 0..4 with dims 0..6 (size-0 and size-1 dims included), built as
 * views of a larger base: a permutation of the axes (transposes), slices with steps and
 * offsets, and size-1 dims expanded (stride 0). Values come from a seeded host PRNG (the
 * seed is part of the case), so a case replays exactly.
 */
import fc from 'fast-check';
import * as wg from '../../src/index.js';
import { roundHalf } from '../../src/core/half.js';
import type { DeviceName, DType, Tensor } from '../../src/index.js';

function envInt(name: string, fallback: number | (() => number), min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return typeof fallback === 'function' ? fallback() : fallback;
  if (raw === 'random' && typeof fallback === 'function') return fallback();
  const v = Number(raw);
  if (!Number.isSafeInteger(v) || v < min) throw new Error(`${name}: expected an integer >= ${min}${typeof fallback === 'function' ? " or 'random'" : ''}, got '${raw}'`);
  return v;
}

/** The seed of every property in this run (see the header). */
export const SEED = envInt('WEBGRAD_PROP_SEED', () => (process.env.WEBGRAD_PROP_SEED === 'random' ? (Math.random() * 2 ** 31) | 0 : 20261201), -(2 ** 31));
/** Runs per property. */
export const RUNS = envInt('WEBGRAD_PROP_RUNS', 30, 1);

/** fast-check parameters: the run's seed and `numRuns` (fewer for costly properties); failures are shrunk. */
export function settings(numRuns = RUNS): fc.Parameters<unknown> {
  return { seed: SEED, numRuns };
}

/** Prints the seed at the top of a file's output, so a failing run can be replayed. */
export function announceSeed(file: string): void {
  console.log(`${file}: fast-check seed ${SEED} (WEBGRAD_PROP_SEED=${SEED} replays it), ${RUNS} runs per property`);
}

// ---- shapes -------------------------------------------------------------------------------

export const dim = (max = 6) => fc.integer({ min: 0, max });
/** A shape of rank minRank..maxRank with dims 0..maxDim. */
export const shapeArb = (o: { minRank?: number; maxRank?: number; maxDim?: number; minDim?: number } = {}) =>
  fc.array(fc.integer({ min: o.minDim ?? 0, max: o.maxDim ?? 6 }), { minLength: o.minRank ?? 0, maxLength: o.maxRank ?? 4 });

export const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

// ---- views --------------------------------------------------------------------------------

/** How one axis of a view is made from its base: as is, a slice [start::step], or a size-1 dim expanded. */
export type AxisSpec = { kind: 'plain' } | { kind: 'step'; start: number; step: number; tail: number } | { kind: 'expand' };

/** A strided view of the given shape over a base tensor (see `build`). */
export interface ViewSpec {
  shape: number[];
  /** perm[q] is the axis of the view stored as axis q of the base (a transpose when not the identity). */
  perm: number[];
  axes: AxisSpec[];
  /** Seed of the values. */
  seed: number;
}

const axisArb = (allowExpand: boolean): fc.Arbitrary<AxisSpec> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant<AxisSpec>({ kind: 'plain' }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('step' as const), start: fc.integer({ min: 0, max: 2 }), step: fc.integer({ min: 1, max: 3 }), tail: fc.integer({ min: 0, max: 2 }) }) },
    { weight: allowExpand ? 1 : 0, arbitrary: fc.constant<AxisSpec>({ kind: 'expand' }) },
  );

const permArb = (rank: number) => fc.shuffledSubarray(Array.from({ length: rank }, (_, i) => i), { minLength: rank, maxLength: rank });

/** A view spec of exactly this shape. `expand: false` keeps every element distinct (no stride-0 axes). */
export function viewOf(shape: readonly number[], o: { expand?: boolean } = {}): fc.Arbitrary<ViewSpec> {
  return fc.record({
    shape: fc.constant([...shape]),
    perm: permArb(shape.length),
    axes: fc.tuple(...shape.map(() => axisArb(o.expand ?? true))) as fc.Arbitrary<AxisSpec[]>,
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  });
}

/** A view spec of a random shape. */
export function viewArb(o: { minRank?: number; maxRank?: number; maxDim?: number; minDim?: number; expand?: boolean } = {}): fc.Arbitrary<ViewSpec> {
  return shapeArb(o).chain((s) => viewOf(s, o));
}

/** mulberry32: deterministic values from a case's seed. */
export function prng(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Values {
  /** Uniform in [low, high) (default [-2, 2)). */
  low?: number;
  high?: number;
  /** Rounded to multiples of this (makes ties and equalities common: comparisons, max). */
  quantum?: number;
  /** Random sign on values drawn from [low, high) (for divisors kept away from 0). */
  signed?: boolean;
  dtype?: DType;
}

function fill(n: number, seed: number, v: Values): Float64Array {
  const r = prng(seed);
  const low = v.low ?? -2;
  const high = v.high ?? 2;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let x = low + (high - low) * r();
    if (v.quantum) x = Math.round(x / v.quantum) * v.quantum;
    if (v.signed && r() < 0.5) x = -x;
    out[i] = x;
  }
  return out;
}

function typed(values: Float64Array, dtype: DType) {
  switch (dtype) {
    case 'float32': return Float32Array.from(values);
    case 'float16': return Float32Array.from(values, roundHalf);
    case 'float64': return Float64Array.from(values);
    case 'int32': return Int32Array.from(values, Math.floor);
    case 'bool': return Uint8Array.from(values, (x) => (x > 0 ? 1 : 0));
    case 'int8': return Int8Array.from(values, Math.floor);
    case 'uint8': return Uint8Array.from(values, (x) => Math.floor(x) & 255);
  }
}

/** The shape of the contiguous base, axes in stored (`perm`) order. */
function storedShape(spec: ViewSpec): number[] {
  const base = spec.shape.map((s, d) => {
    const a = spec.axes[d]!;
    if (a.kind === 'expand') return 1;
    if (a.kind === 'step') return a.start + Math.max(s - 1, 0) * a.step + 1 + a.tail;
    return s;
  });
  return spec.perm.map((d) => base[d]!);
}

/** The number of values the base of this spec holds. */
export const baseSize = (spec: ViewSpec) => numel(storedShape(spec));

/** The contiguous base of a view on `device`; the same spec gives the same values on every device. */
export function baseOf(spec: ViewSpec, device: DeviceName, v: Values = {}): Tensor {
  const stored = storedShape(spec);
  const dtype = v.dtype ?? 'float32';
  return wg.tensor(typed(fill(numel(stored), spec.seed, v), dtype), { shape: stored, device, dtype });
}

/** The view of `spec` over its base: the axes permuted back, sliced and expanded to `spec.shape`. */
export function viewFrom(spec: ViewSpec, base: Tensor): Tensor {
  const inv = new Array<number>(spec.perm.length);
  spec.perm.forEach((d, q) => { inv[d] = q; });
  let x = spec.shape.length > 1 ? base.permute(inv) : base;
  if (spec.axes.some((a) => a.kind === 'step')) {
    x = x.slice(...spec.shape.map((s, d) => {
      const a = spec.axes[d]!;
      return a.kind === 'step' ? ([a.start, a.start + (s === 0 ? 0 : (s - 1) * a.step + 1), a.step] as const) : null;
    }));
  }
  if (spec.axes.some((a) => a.kind === 'expand')) x = x.expand(spec.shape);
  return x;
}

/** The view of `spec` on `device` (see `baseOf`, `viewFrom`). */
export const build = (spec: ViewSpec, device: DeviceName, v: Values = {}): Tensor => viewFrom(spec, baseOf(spec, device, v));

/** Describes a spec in a failure message. */
export const show = (spec: ViewSpec) => `[${spec.shape.join(', ')}] perm ${spec.perm.join('')} ${spec.axes.map((a) => (a.kind === 'step' ? `${a.start}::${a.step}` : a.kind[0])).join(' ')}`;

// ---- broadcasting -------------------------------------------------------------------------

/**
 * Operand shapes made from one shape by dropping leading dims and setting dims to 1, and
 * `out`, the shape they broadcast to (computed here independently of webgrad).
 */
export function broadcastShapes(count: number, o: { maxRank?: number; maxDim?: number } = {}): fc.Arbitrary<{ out: number[]; operands: number[][] }> {
  return shapeArb({ maxRank: o.maxRank ?? 4, maxDim: o.maxDim ?? 6 }).chain((full) =>
    (fc.tuple(...Array.from({ length: count }, () =>
      fc.record({ drop: fc.integer({ min: 0, max: full.length }), ones: fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }) })
        .map(({ drop, ones }) => full.slice(drop).map((s, i) => (ones[i + drop] ? 1 : s))),
    )) as fc.Arbitrary<number[][]>).map((operands) => {
      const rank = Math.max(0, ...operands.map((s) => s.length));
      const out = Array.from({ length: rank }, (_, i) => {
        const sizes = operands.map((s) => s[s.length - rank + i] ?? 1);
        return sizes.find((s) => s !== 1) ?? 1;
      });
      return { out, operands };
    }),
  );
}

/** Random subsets of the axes of a rank-r tensor, as a sorted list. */
export const axesOf = (rank: number) => fc.subarray(Array.from({ length: rank }, (_, i) => i));
