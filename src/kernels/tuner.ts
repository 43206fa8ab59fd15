/**
 * The autotuner: for each shape class given (or recorded by the plans, or a standard set), runs
 * every variant of the family (kernels/variants.ts) on one member of the class on webgpu,
 * checks its output against the cpu backend on the same inputs (a candidate that throws or is
 * wrong is rejected, never chosen), times the correct ones (a few runs after the checked one,
 * each waiting for the GPU queue), and keeps the fastest in the cache (kernels/tuning.ts) under
 * the adapter's key. Plans read that cache synchronously; this is the async step that fills it.
 *
 *   await wg.tuneKernels();                                  // the standard shapes, once per adapter
 *   await wg.tuneKernels({ shapes: { matmul: [{ m: 512, n: 512, k: 512 }] } });
 *   wg.configureKernelTuning({ mode: 'record' }); ...run the model...; await wg.tuneKernels();
 */
import { checkBoolean, checkChoice, checkNumber, checkOptions, describe } from '../core/options.js';
import { getBackend } from '../runtime.js';
import { tensor } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Backend } from './backend.js';
import type { AdapterReport } from './webgpu/device.js';
import { KERNEL_VARIANTS, kernelVariants, setTrialVariant, type VariantFamily } from './variants.js';
import {
  adapterKey, cacheLocation, cachedChoice, cachedChoices, configureKernelTuning, convProblem, enableTuning, resetKernelTuning, saveCache,
  setTuningInProgress, shapeClassOf, storeChoice, tuningMode, untunedClasses,
  type CacheLocation, type ConvShape, type KernelTuningConfig, type MatmulShape, type ReduceShape, type TuneShapes, type TuningMode,
} from './tuning.js';

export { configureKernelTuning, resetKernelTuning };
export type { CacheLocation, ConvShape, KernelTuningConfig, MatmulShape, ReduceShape, TuneShapes, TuningMode };

const FAMILIES = Object.keys(KERNEL_VARIANTS) as VariantFamily[];

/**
 * The standard set: the shapes of `npm run bench` and of the demo (examples/train.mjs: the CNN
 * at batch 64 and its classifier; the MLP 784-256-128-10 at batch 64).
 */
export const STANDARD_SHAPES: { [F in VariantFamily]: TuneShapes[F][] } = {
  matmul: [
    { m: 128, n: 128, k: 128 }, { m: 256, n: 256, k: 256 }, { m: 1024, n: 1024, k: 1024 },
    { m: 64, n: 128, k: 3136 }, { m: 64, n: 256, k: 784 }, { m: 64, n: 10, k: 128 }, { m: 8, n: 128, k: 128, batch: 8 },
  ],
  conv: [
    { x: [64, 1, 28, 28], w: [32, 1, 3, 3], padding: 1 },
    { x: [64, 32, 14, 14], w: [64, 32, 3, 3], padding: 1 },
    { mode: 'backwardWeight', x: [64, 32, 14, 14], w: [64, 32, 3, 3], padding: 1 },
    { x: [16, 32, 14, 14], w: [64, 32, 3, 3], padding: 1 },
  ],
  reduce: [{ rows: 256, len: 1024 }, { rows: 64, len: 128 }, { rows: 1, len: 262144 }],
};

export interface TuneOptions {
  /** The families to tune (default all three: matmul, conv, reduce). */
  families?: VariantFamily[];
  /**
   * The problems to tune, per family (each stands for its shape class); 'recorded': the classes
   * the plans met untuned in record mode (kernelTuning().untuned); 'standard': STANDARD_SHAPES.
   * Default: 'recorded' in record mode, else 'standard'.
   */
  shapes?: { [F in VariantFamily]?: TuneShapes[F][] } | 'recorded' | 'standard';
  /** Timed runs per correct candidate, after the checked run (default 3, fewer where the checked run took over 2000 / runs ms; the median counts). */
  runs?: number;
  /** Measure again classes already in the cache (default false: a cached class is not measured). */
  retune?: boolean;
  /** The largest relative error (||out - cpu|| / ||cpu||) a correct candidate may have (default 1e-3). */
  tolerance?: number;
}

/** What tuneKernels did for one shape class. */
export interface TuneResult {
  family: VariantFamily;
  shapeClass: string;
  /** The problem measured (or, for a cache hit, the one measured when it was tuned). */
  shape: unknown;
  /** The variant chosen (undefined when no candidate was correct: the plan's heuristic stays). */
  variant?: string;
  /** True when the choice came from the cache and nothing was measured. */
  cached: boolean;
  /** Median ms per run of each correct candidate. */
  ms: Record<string, number>;
  /** Candidates that threw or gave a wrong result, with the reason. */
  rejected: Record<string, string>;
  /** Candidates the plan does not run on this shape (it ran another variant when this one was asked for). */
  notApplicable: string[];
  /** Timed runs made for this class. */
  measurements: number;
}

export interface TuneReport {
  /** The adapter's cache key. */
  adapter: string;
  cache: CacheLocation;
  results: TuneResult[];
  /** Timed runs in all (0 when every class was a cache hit). */
  measurements: number;
}

/** @internal Test hooks: count or fake measurements, break a candidate. */
export interface TunerHooks {
  /** Called before each run of a candidate (throwing there rejects it). */
  beforeRun?: (family: VariantFamily, variant: string) => void;
  /** May change a candidate's output (read back to the host) before it is compared with cpu. */
  corrupt?: (family: VariantFamily, variant: string, out: Float32Array) => void;
  /** May replace a measured time (ms). */
  time?: (family: VariantFamily, variant: string, ms: number) => number;
  /** Called for each timed run. */
  onMeasure?: (m: { family: VariantFamily; shapeClass: string; variant: string; ms: number }) => void;
}
let hooks: TunerHooks = {};
/** @internal */
export function setTunerHooksForTesting(h: TunerHooks | undefined): void {
  hooks = h ?? {};
}

// A small PRNG (mulberry32) for the inputs, so tuning leaves manualSeed's stream alone.
function randomData(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296 * 2 - 1;
  }
  return out;
}

function relErr(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]!) || !Number.isFinite(b[i]!)) {
      if (!Object.is(a[i], b[i])) return Infinity;
      continue;
    }
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}

/** One problem, ready to run: inputs on both devices, a kernel call writing `out`. */
interface Problem {
  inputs: Tensor[];
  outShape: number[];
  run(be: Backend, inputs: readonly Tensor[], out: Tensor): void;
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

function problem(family: VariantFamily, shape: unknown): Problem {
  const make = (s: number[], seed: number) => tensor(randomData(size(s), seed), { shape: s, device: 'cpu' });
  if (family === 'matmul') {
    const { m, n, k, batch = 1 } = shape as MatmulShape;
    const lead = batch > 1 ? [batch] : [];
    return {
      inputs: [make([...lead, m, k], 1), make([...lead, k, n], 2)], outShape: [...lead, m, n],
      run: (be, [a, b], out) => be.matmul.matmul(a!, b!, out),
    };
  }
  if (family === 'reduce') {
    const { rows, len } = shape as ReduceShape;
    return { inputs: [make([rows, len], 3)], outShape: [rows], run: (be, [x], out) => be.reduce.reduce('sum', x!, 1, out) };
  }
  const p = convProblem(shape as ConvShape);
  const params = { stride: p.stride, padding: p.padding, dilation: p.dilation, groups: p.groups } as const;
  if (p.mode === 'forward') return { inputs: [make(p.x, 4), make(p.w, 5)], outShape: p.y, run: (be, [x, w], y) => be.conv.conv2d(x!, w!, y, params) };
  if (p.mode === 'backwardInput') return { inputs: [make(p.y, 6), make(p.w, 5)], outShape: p.x, run: (be, [dy, w], dx) => be.conv.conv2dBackwardInput(dy!, w!, dx, params) };
  return { inputs: [make(p.y, 6), make(p.x, 4)], outShape: p.w, run: (be, [dy, x], dw) => be.conv.conv2dBackwardWeight(dy!, x!, dw, params) };
}

const OP = 'tuneKernels';

function checkInt(name: string, v: unknown, min: number): number {
  return checkNumber(OP, name, v, { int: true, min });
}

/** Checks one problem of `family`; returns it with its defaults filled. */
function checkShape(family: VariantFamily, s: unknown, where: string): unknown {
  if (s === null || typeof s !== 'object' || Array.isArray(s)) throw new Error(`${OP}: ${where} must be an object, got ${describe(s)}`);
  if (family === 'matmul') {
    checkOptions(`${OP} (${where})`, s, ['m', 'n', 'k', 'batch']);
    const m = s as MatmulShape;
    for (const d of ['m', 'n', 'k'] as const) checkInt(`${where}.${d}`, m[d], 1);
    if (m.batch !== undefined) checkInt(`${where}.batch`, m.batch, 1);
    return { ...m };
  }
  if (family === 'reduce') {
    checkOptions(`${OP} (${where})`, s, ['rows', 'len']);
    const r = s as ReduceShape;
    checkInt(`${where}.rows`, r.rows, 1);
    checkInt(`${where}.len`, r.len, 1);
    return { ...r };
  }
  checkOptions(`${OP} (${where})`, s, ['mode', 'x', 'w', 'stride', 'padding', 'dilation', 'groups']);
  const c = s as ConvShape;
  if (c.mode !== undefined) checkChoice(OP, `${where}.mode`, c.mode, ['forward', 'backwardInput', 'backwardWeight']);
  for (const k of ['x', 'w'] as const) {
    const v = c[k] as unknown;
    if (!Array.isArray(v) || v.length !== 4 || !v.every((d) => Number.isInteger(d) && d >= 1)) {
      throw new Error(`${OP}: ${where}.${k} must be 4 positive integers (${k === 'x' ? '[N, Cin, H, W]' : '[Cout, Cin / groups, KH, KW]'}), got ${describe(v)}`);
    }
  }
  for (const [k, min] of [['stride', 1], ['padding', 0], ['dilation', 1]] as const) {
    const v = c[k] as unknown;
    if (v === undefined) continue;
    const ok = (d: unknown) => Number.isInteger(d) && (d as number) >= min;
    if (!(ok(v) || (Array.isArray(v) && v.length === 2 && v.every(ok)))) throw new Error(`${OP}: ${where}.${k} must be an integer >= ${min} or two of them, got ${describe(v)}`);
  }
  const groups = c.groups === undefined ? 1 : checkInt(`${where}.groups`, c.groups, 1);
  const p = convProblem(c);
  if (p.x[1] !== p.w[1] * groups || p.w[0] % groups !== 0) {
    throw new Error(`${OP}: ${where}: x's ${p.x[1]} channels must be w's ${p.w[1]} times groups (${groups}), and w's ${p.w[0]} output channels a multiple of groups`);
  }
  if (p.y[2] < 1 || p.y[3] < 1) throw new Error(`${OP}: ${where}: the output would be ${p.y[2]} x ${p.y[3]} (the kernel is larger than the padded input)`);
  return { ...c };
}

function webgpuAdapter(): { be: Backend; adapter: AdapterReport } {
  let be: Backend;
  try {
    be = getBackend('webgpu');
  } catch {
    throw new Error(`${OP}: the webgpu backend is not initialised; call \`await webgrad.init({ backend: 'webgpu' })\` first (the variants tuned are webgpu kernels)`);
  }
  return { be, adapter: (be as unknown as { adapter: AdapterReport }).adapter };
}

/** Runs the candidates of one class; the result (with the choice stored when one was correct). */
async function tuneOne(be: Backend, adapter: AdapterReport, family: VariantFamily, shapeClass: string, shape: unknown, runs: number, tolerance: number): Promise<TuneResult> {
  const result: TuneResult = { family, shapeClass, shape, cached: false, ms: {}, rejected: {}, notApplicable: [], measurements: 0 };
  const pr = problem(family, shape);
  const cpu = getBackend('cpu');
  const refOut = tensor(new Float32Array(size(pr.outShape)), { shape: pr.outShape, device: 'cpu' });
  pr.run(cpu, pr.inputs, refOut);
  const ref = (await refOut.data()) as Float32Array;
  const gpuInputs: Tensor[] = [];
  try {
    for (const t of pr.inputs) gpuInputs.push(await t.to('webgpu'));
    for (const name of KERNEL_VARIANTS[family]) {
      let out: Tensor | undefined;
      setTrialVariant(family, name);
      try {
        out = tensor(new Float32Array(size(pr.outShape)), { shape: pr.outShape, device: 'webgpu' });
        const once = () => {
          hooks.beforeRun?.(family, name);
          pr.run(be, gpuInputs, out!);
        };
        // The checked run (also the warm-up: pipelines compile here).
        await be.sync();
        const c0 = performance.now();
        once();
        const ran = kernelVariants()[family].last;
        const got = Float32Array.from((await out.data()) as Float32Array);
        const checkedMs = performance.now() - c0;
        if (ran !== name) {
          result.notApplicable.push(name);
          continue;
        }
        hooks.corrupt?.(family, name, got);
        const err = relErr(got, ref);
        if (!(err <= tolerance)) {
          result.rejected[name] = `wrong result (relative error ${err.toPrecision(3)} against cpu, more than ${tolerance})`;
          continue;
        }
        const best = Math.min(Infinity, ...Object.values(result.ms));
        if (checkedMs > 5 * best + 1000) {
          // Far behind already in its checked run (a second spared for compiling): not timed further.
          result.ms[name] = hooks.time ? hooks.time(family, name, checkedMs) : checkedMs;
          continue;
        }
        // Long kernels get fewer runs (about 2 s of timed runs each, at least one): their noise is small.
        const n = Math.max(1, Math.min(runs, Math.floor(2000 / checkedMs)));
        const times: number[] = [];
        for (let i = 0; i < n; i++) {
          await be.sync();
          const t0 = performance.now();
          once();
          await be.sync();
          let ms = performance.now() - t0;
          if (hooks.time) ms = hooks.time(family, name, ms);
          times.push(ms);
          result.measurements++;
          hooks.onMeasure?.({ family, shapeClass, variant: name, ms });
          if (ms > 4 * best) break; // far behind the best so far: not worth more runs
        }
        times.sort((a, b) => a - b);
        result.ms[name] = times[(times.length - 1) >> 1]!;
      } catch (e) {
        result.rejected[name] = e instanceof Error ? e.message : String(e);
      } finally {
        setTrialVariant(family, undefined);
        out?.dispose();
      }
    }
  } finally {
    for (const t of [...gpuInputs, ...pr.inputs, refOut]) t.dispose();
  }
  const correct = Object.entries(result.ms).sort((a, b) => a[1] - b[1]);
  if (correct.length > 0) {
    result.variant = correct[0]![0];
    storeChoice(adapter, family, shapeClass, { variant: result.variant, shape, ms: result.ms, rejected: result.rejected, at: new Date().toISOString() });
  }
  return result;
}

/**
 * Tunes the webgpu kernel variants for the shape classes given (see TuneOptions): each class
 * not in the cache (or every class, with `retune`) is measured, and the fastest correct
 * variant is cached for this adapter and written to the cache (a file in Node). Turns tuning
 * on ('off' becomes 'cached'), so plans use the choices from now on.
 */
export function tuneKernels(options: TuneOptions = {}): Promise<TuneReport> {
  // One tuning at a time: a second call waits for the first (the trials force variants globally).
  const run = queue.then(() => tune(options));
  queue = run.catch(() => undefined);
  return run;
}
let queue: Promise<unknown> = Promise.resolve();

async function tune(options: TuneOptions): Promise<TuneReport> {
  checkOptions(OP, options, ['families', 'shapes', 'runs', 'retune', 'tolerance']);
  const families = options.families === undefined ? FAMILIES : options.families;
  if (!Array.isArray(families)) throw new Error(`${OP}: families must be an array of ${FAMILIES.map((f) => `'${f}'`).join(', ')}, got ${describe(families)}`);
  for (const f of families) checkChoice(OP, 'families', f, FAMILIES);
  const runs = options.runs === undefined ? 3 : checkNumber(OP, 'runs', options.runs, { int: true, min: 1, max: 100 });
  const retune = options.retune === undefined ? false : checkBoolean(OP, 'retune', options.retune);
  const tolerance = options.tolerance === undefined ? 1e-3 : checkNumber(OP, 'tolerance', options.tolerance, { gt: 0 });
  const shapes = options.shapes ?? (tuningMode() === 'record' ? 'recorded' : 'standard');
  const { be, adapter } = webgpuAdapter();
  const key = adapterKey(adapter);
  const todo: { family: VariantFamily; shape: unknown }[] = [];
  if (shapes === 'recorded') {
    for (const u of untunedClasses(key)) if (families.includes(u.family)) todo.push({ family: u.family, shape: u.shape });
  } else if (shapes === 'standard') {
    for (const f of families) for (const s of STANDARD_SHAPES[f]) todo.push({ family: f, shape: s });
  } else if (shapes !== null && typeof shapes === 'object' && !Array.isArray(shapes)) {
    checkOptions(`${OP} (shapes)`, shapes, FAMILIES);
    for (const f of FAMILIES) {
      const list = (shapes as Record<string, unknown>)[f];
      if (list === undefined) continue;
      if (!Array.isArray(list)) throw new Error(`${OP}: shapes.${f} must be an array of problems, got ${describe(list)}`);
      if (!families.includes(f)) continue;
      list.forEach((s, i) => todo.push({ family: f, shape: checkShape(f, s, `shapes.${f}[${i}]`) }));
    }
  } else {
    throw new Error(`${OP}: shapes must be an object ({ matmul, conv, reduce }: arrays of problems), 'recorded' or 'standard', got ${describe(shapes)}`);
  }
  enableTuning();
  const report: TuneReport = { adapter: key, cache: cacheLocation(), results: [], measurements: 0 };
  const seen = new Set<string>();
  setTuningInProgress(true);
  try {
    for (const { family, shape } of todo) {
      const shapeClass = shapeClassOf(family, shape as never);
      if (seen.has(`${family}|${shapeClass}`)) continue;
      seen.add(`${family}|${shapeClass}`);
      const hit = retune ? undefined : cachedChoice(key, family, shapeClass);
      if (hit) {
        report.results.push({ family, shapeClass, shape: hit.shape, variant: hit.variant, cached: true, ms: hit.ms, rejected: hit.rejected, notApplicable: [], measurements: 0 });
        continue;
      }
      const r = await tuneOne(be, adapter, family, shapeClass, shape, runs, tolerance);
      report.results.push(r);
      report.measurements += r.measurements;
    }
  } finally {
    setTuningInProgress(false);
    saveCache();
  }
  return report;
}

export interface KernelTuningInfo {
  mode: TuningMode;
  cache: CacheLocation;
  /** The webgpu adapter's cache key, once webgpu is initialised. */
  adapter?: string;
  /** The cached choices for that adapter: family -> shape class -> variant. */
  choices: { [F in VariantFamily]: Record<string, string> };
  /** The shape classes plans met untuned (record mode), which tuneKernels() tunes next. */
  untuned: { family: VariantFamily; shapeClass: string; shape: unknown }[];
}

/** The tuning mode, where the cache lives, the choices cached for this adapter and the classes met untuned. */
export function kernelTuning(): KernelTuningInfo {
  let adapter: AdapterReport | undefined;
  try {
    adapter = (getBackend('webgpu') as unknown as { adapter: AdapterReport }).adapter;
  } catch {
    adapter = undefined;
  }
  const key = adapter ? adapterKey(adapter) : undefined;
  return {
    mode: tuningMode(),
    cache: cacheLocation(),
    ...(key ? { adapter: key } : {}),
    choices: key ? cachedChoices(key) : { matmul: {}, conv: {}, reduce: {} },
    untuned: untunedClasses(key),
  };
}
