/**
 * The kernel tuning cache: which variant (kernels/variants.ts) the autotuner found fastest, per
 * adapter and per shape class, read synchronously by the families' plans. The measuring itself
 * is async (it waits on the GPU queue), so it is an explicit step: `await tuneKernels()`
 * (kernels/tuner.ts). Here: the shape classes, the store (a JSON file in Node, localStorage in
 * browsers, memory otherwise), the lookup a plan makes, and the shape classes a plan met untuned.
 *
 * Precedence in a plan: configureKernels (forced) > the tuned choice > the plan's heuristic.
 * Plans consult the cache only once tuning is on: after `tuneKernels()`, or
 * `configureKernelTuning({ mode: 'cached' | 'record' })`; until then nothing here is read.
 *
 * No Node built-in is imported: `fs`, `os` come through `process.getBuiltinModule` (as in
 * core/collect.ts), so the browser bundle has none.
 */
import { checkChoice, checkOptions, describe } from '../core/options.js';
import { envVar } from '../core/env.js';
import { KERNEL_VARIANTS, type VariantFamily, type VariantName } from './variants.js';
import type { AdapterReport } from './webgpu/device.js';

/** webgrad's version (package.json's; tests/tuner.test.ts checks they agree): part of the cache key. */
export const WEBGRAD_VERSION = '0.1.0';

// ---- shape classes ---------------------------------------------------------------------------------

/** A matmul to tune: out [batch, m, n] = a [batch, m, k] @ b [batch, k, n]. */
export interface MatmulShape {
  m: number;
  n: number;
  k: number;
  /** Batch size (default 1); any batch > 1 is one class. */
  batch?: number;
}

export type ConvMode = 'forward' | 'backwardInput' | 'backwardWeight';

/** A conv2d product to tune: x [N, Cin, H, W], w [Cout, Cin / groups, KH, KW] and the geometry. */
export interface ConvShape {
  /** Which of the three products (default 'forward'). */
  mode?: ConvMode;
  x: readonly [number, number, number, number];
  w: readonly [number, number, number, number];
  stride?: number | readonly [number, number];
  padding?: number | readonly [number, number];
  dilation?: number | readonly [number, number];
  groups?: number;
}

/** A reduction to tune: `rows` rows of `len` elements each, reduced along the row. */
export interface ReduceShape {
  rows: number;
  len: number;
}

/** The shape type of each family's tuning problems. */
export interface TuneShapes {
  matmul: MatmulShape;
  conv: ConvShape;
  reduce: ReduceShape;
}

/** The next power of two at or above n (0 and 1 stay). */
export const bucket = (n: number): number => (n <= 1 ? n : 2 ** Math.ceil(Math.log2(n)));

/** matmul's class: M, N, K rounded up to powers of two, and whether it is batched. */
export function matmulClass(M: number, N: number, K: number, batch: number): string {
  return `m${bucket(M)} n${bucket(N)} k${bucket(K)}${batch > 1 ? ' batched' : ''}`;
}

/**
 * conv's class: the product (forward, backwardInput, backwardWeight), its GEMM sizes (M rows,
 * N columns, K terms) rounded up to powers of two, stride 1 or more, and the grouping (one
 * group, depthwise: one input channel per group, or grouped).
 */
export function convClass(mode: ConvMode, m: number, n: number, kLen: number, stride: readonly [number, number], groups: number, cinG: number): string {
  const s = stride[0] === 1 && stride[1] === 1 ? 's1' : 'strided';
  const g = groups === 1 ? 'g1' : cinG === 1 ? 'depthwise' : 'grouped';
  return `${mode} m${bucket(m)} n${bucket(n)} k${bucket(kLen)} ${s} ${g}`;
}

/** reduce's class: the number of rows and their length, rounded up to powers of two. */
export function reduceClass(rows: number, len: number): string {
  return `rows${bucket(rows)} len${bucket(len)}`;
}

const pair = (v: number | readonly [number, number] | undefined, d: number): [number, number] =>
  v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[1]];

/** A conv shape with every field filled in, its output size and its GEMM sizes. */
export function convProblem(s: ConvShape): {
  mode: ConvMode; x: [number, number, number, number]; w: [number, number, number, number]; y: [number, number, number, number];
  stride: [number, number]; padding: [number, number]; dilation: [number, number]; groups: number; m: number; n: number; kLen: number;
} {
  const mode = s.mode ?? 'forward';
  const [N, Cin, H, W] = s.x;
  const [Cout, cinG, KH, KW] = s.w;
  const stride = pair(s.stride, 1);
  const padding = pair(s.padding, 0);
  const dilation = pair(s.dilation, 1);
  const groups = s.groups ?? 1;
  const OH = Math.floor((H + 2 * padding[0] - dilation[0] * (KH - 1) - 1) / stride[0]) + 1;
  const OW = Math.floor((W + 2 * padding[1] - dilation[1] * (KW - 1) - 1) / stride[1]) + 1;
  const gemm = mode === 'forward' ? [N * OH * OW, Cout / groups, cinG * KH * KW]
    : mode === 'backwardInput' ? [N * H * W, cinG, (Cout / groups) * KH * KW]
    : [Cout / groups, cinG * KH * KW, N * OH * OW];
  return { mode, x: [N, Cin, H, W], w: [Cout, cinG, KH, KW], y: [N, Cout, OH, OW], stride, padding, dilation, groups, m: gemm[0]!, n: gemm[1]!, kLen: gemm[2]! };
}

/** The class of a tuning problem, computed as the family's plan computes it. */
export function shapeClassOf<F extends VariantFamily>(family: F, shape: TuneShapes[F]): string {
  if (family === 'matmul') {
    const s = shape as MatmulShape;
    return matmulClass(s.m, s.n, s.k, s.batch ?? 1);
  }
  if (family === 'reduce') {
    const s = shape as ReduceShape;
    return reduceClass(s.rows, s.len);
  }
  const p = convProblem(shape as ConvShape);
  return convClass(p.mode, p.m, p.n, p.kLen, p.stride, p.groups, p.w[1]);
}

// ---- the store -------------------------------------------------------------------------------------

/** One tuned shape class: the variant chosen and what was measured. */
export interface TunedChoice {
  variant: string;
  /** The problem it was measured on (a member of the class). */
  shape: unknown;
  /** Median milliseconds per run of each correct candidate. */
  ms: Record<string, number>;
  /** Candidates that threw or gave a wrong result, with the reason. */
  rejected: Record<string, string>;
  /** When it was measured (ISO time). */
  at: string;
}

interface FamilyEntry {
  /** The family's variant list when tuned: an entry for another list is stale and not read. */
  variants: string[];
  classes: Record<string, TunedChoice>;
}

interface AdapterEntry {
  adapter: { vendor: string; architecture: string; device: string; description: string };
  webgrad: string;
  families: Partial<Record<VariantFamily, FamilyEntry>>;
}

interface CacheData {
  format: 1;
  /** By adapterKey(): the adapter's vendor/architecture/device/description and webgrad's version. */
  entries: Record<string, AdapterEntry>;
}

export type TuningMode = 'off' | 'cached' | 'record';
export const TUNING_MODES: readonly TuningMode[] = ['off', 'cached', 'record'];

/** Where the cache lives. */
export type CacheLocation = { kind: 'file'; path: string } | { kind: 'localStorage'; key: string } | { kind: 'memory' };

interface NodeFs {
  readFileSync(path: string, encoding: 'utf8'): string;
  writeFileSync(path: string, data: string): void;
  renameSync(from: string, to: string): void;
  rmSync(path: string, options?: { force?: boolean }): void;
  mkdirSync(path: string, options?: { recursive?: boolean }): void;
}
interface NodeProcess {
  versions?: { node?: string };
  pid?: number;
  platform?: string;
  getBuiltinModule?: (name: string) => unknown;
}
interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const state: {
  mode: TuningMode;
  /** configureKernelTuning's `cache`: a path (Node) or key (localStorage), false for memory only, undefined for the default. */
  cache: string | false | undefined;
  location: CacheLocation | undefined;
  data: CacheData;
  /** The location `data` was loaded from (undefined: not loaded yet). */
  loadedFrom: string | undefined;
  /** Entries changed since the last save. */
  dirty: Set<string>;
  /** Shape classes plans met with no cached choice, in record mode. */
  untuned: Map<string, { adapter: string; family: VariantFamily; shapeClass: string; shape: unknown }>;
  /** Set while the tuner runs its trials: nothing is recorded then. */
  tuning: boolean;
  /** @internal tests: pretend not to be Node (the browser path). */
  noNode: boolean;
} = { mode: 'off', cache: undefined, location: undefined, data: empty(), loadedFrom: undefined, dirty: new Set(), untuned: new Map(), tuning: false, noNode: false };

function empty(): CacheData {
  return { format: 1, entries: {} };
}

const proc = () => (globalThis as { process?: NodeProcess }).process;

function nodeModule<T>(name: string): T | undefined {
  if (state.noNode) return undefined;
  const p = proc();
  if (typeof p?.versions?.node !== 'string') return undefined;
  try {
    return p.getBuiltinModule?.(name) as T | undefined;
  } catch {
    return undefined;
  }
}

function localStore(): StorageLike | undefined {
  try {
    const ls = (globalThis as { localStorage?: StorageLike }).localStorage;
    return ls && typeof ls.getItem === 'function' && typeof ls.setItem === 'function' ? ls : undefined;
  } catch {
    return undefined; // a page that forbids storage throws on access
  }
}

/** The default cache file: $XDG_CACHE_HOME/webgrad/kernel-tuning.json, else ~/.cache/... (%LOCALAPPDATA% on Windows). */
export function defaultCachePath(): string | undefined {
  const os = nodeModule<{ homedir(): string }>('node:os');
  const win = proc()?.platform === 'win32';
  const base = envVar('XDG_CACHE_HOME') || (win ? envVar('LOCALAPPDATA') : undefined) || (os ? `${os.homedir()}${win ? '\\' : '/'}.cache` : undefined);
  if (!base) return undefined;
  const sep = win ? '\\' : '/';
  return `${base}${sep}webgrad${sep}kernel-tuning.json`;
}

/** Where the cache lives now: configureKernelTuning's `cache`, else WEBGRAD_TUNING_CACHE, else the default. */
export function cacheLocation(): CacheLocation {
  if (state.location) return state.location;
  let loc: CacheLocation = { kind: 'memory' };
  if (state.cache !== false) {
    const fs = nodeModule<NodeFs>('node:fs');
    const explicit = typeof state.cache === 'string' ? state.cache : undefined;
    const path = fs ? explicit ?? (envVar('WEBGRAD_TUNING_CACHE') || undefined) ?? defaultCachePath() : undefined;
    if (path) loc = { kind: 'file', path };
    else if (localStore()) loc = { kind: 'localStorage', key: explicit ?? 'webgrad.kernel-tuning' };
  }
  return (state.location = loc);
}

const locationId = (l: CacheLocation) => (l.kind === 'file' ? `file:${l.path}` : l.kind === 'localStorage' ? `localStorage:${l.key}` : 'memory');
const locationName = (l: CacheLocation) => (l.kind === 'file' ? l.path : l.kind === 'localStorage' ? `localStorage['${l.key}']` : 'memory');

const reasonOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Checks a parsed cache; returns the reason it is not one, or undefined. */
function invalid(d: unknown): string | undefined {
  if (d === null || typeof d !== 'object' || Array.isArray(d)) return `expected a JSON object, got ${describe(d)}`;
  const c = d as Partial<CacheData>;
  if (c.format !== 1) return `expected format 1, got ${describe(c.format)}`;
  if (c.entries === null || typeof c.entries !== 'object' || Array.isArray(c.entries)) return `expected an 'entries' object, got ${describe(c.entries)}`;
  for (const [key, e] of Object.entries(c.entries)) {
    if (e === null || typeof e !== 'object' || typeof e.families !== 'object' || e.families === null) return `entry '${key}' has no 'families' object`;
    for (const [f, fe] of Object.entries(e.families)) {
      if (!fe || !Array.isArray(fe.variants) || typeof fe.classes !== 'object' || fe.classes === null) return `entry '${key}', family '${f}': expected { variants, classes }`;
      for (const [cls, ch] of Object.entries(fe.classes)) {
        if (!ch || typeof ch.variant !== 'string' || !fe.variants.includes(ch.variant)) return `entry '${key}', ${f} '${cls}': the variant ${describe(ch?.variant)} is not in its list`;
      }
    }
  }
  return undefined;
}

/** Reads the cache at `loc`: the data, or a reason it was ignored (undefined when simply absent). */
function readAt(loc: CacheLocation): { data: CacheData; problem?: string } {
  let text: string | null = null;
  try {
    if (loc.kind === 'file') {
      try {
        text = nodeModule<NodeFs>('node:fs')!.readFileSync(loc.path, 'utf8');
      } catch (e) {
        if ((e as { code?: string }).code === 'ENOENT') return { data: empty() };
        throw e;
      }
    } else if (loc.kind === 'localStorage') text = localStore()?.getItem(loc.key) ?? null;
  } catch (e) {
    return { data: empty(), problem: `it could not be read (${reasonOf(e)})` };
  }
  if (text === null) return { data: empty() };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { data: empty(), problem: `it is not valid JSON (${reasonOf(e)})` };
  }
  const why = invalid(parsed);
  return why ? { data: empty(), problem: `it is not a webgrad kernel tuning cache (${why})` } : { data: parsed as CacheData };
}

/** The cache data, loaded from the current location on first use (a bad cache: one warning, then empty). */
function loaded(): CacheData {
  const loc = cacheLocation();
  const id = locationId(loc);
  if (state.loadedFrom === id) return state.data;
  const { data, problem } = readAt(loc);
  if (problem) console.warn(`webgrad: ignoring the kernel tuning cache ${locationName(loc)}: ${problem}; it is rewritten at the next tuneKernels()`);
  state.data = data;
  state.loadedFrom = id;
  state.dirty.clear();
  return data;
}

/** Writes the changed entries, merged into what the location holds now; a file is replaced atomically. */
export function saveCache(): void {
  const loc = cacheLocation();
  if (loc.kind === 'memory' || state.dirty.size === 0) return;
  const onDisk = readAt(loc);
  const out: CacheData = onDisk.problem ? empty() : onDisk.data;
  for (const key of state.dirty) {
    const e = state.data.entries[key];
    if (e) out.entries[key] = e;
  }
  const text = `${JSON.stringify(out, null, 1)}\n`;
  if (loc.kind === 'localStorage') {
    try {
      localStore()!.setItem(loc.key, text);
      state.dirty.clear();
    } catch (e) {
      console.warn(`webgrad: could not write the kernel tuning cache ${locationName(loc)}: ${reasonOf(e)}; the choices stay in memory`);
    }
    return;
  }
  const fs = nodeModule<NodeFs>('node:fs')!;
  const slash = Math.max(loc.path.lastIndexOf('/'), loc.path.lastIndexOf('\\'));
  // A temporary file next to the cache, renamed over it: a reader sees the old file or the new one, never half.
  const tmp = `${loc.path}.${proc()?.pid ?? 0}.${Math.random().toString(36).slice(2, 10)}.tmp`;
  try {
    if (slash > 0) fs.mkdirSync(loc.path.slice(0, slash), { recursive: true });
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, loc.path);
    state.dirty.clear();
  } catch (e) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // nothing left to clean
    }
    console.warn(`webgrad: could not write the kernel tuning cache ${loc.path}: ${reasonOf(e)}; the choices stay in memory`);
  }
}

const keys = new WeakMap<AdapterReport, string>();

/** Whether a stored variant list is the family's current one. */
const current = (family: VariantFamily, list: readonly string[]) => {
  const now = KERNEL_VARIANTS[family] as readonly string[];
  return list.length === now.length && list.every((v, i) => v === now[i]);
};

/** The cache key of an adapter: its vendor, architecture, device and description, and webgrad's version. */
export function adapterKey(a: AdapterReport): string {
  let k = keys.get(a);
  if (k === undefined) keys.set(a, (k = `${a.vendor}/${a.architecture}/${a.device}/${a.description} webgrad ${WEBGRAD_VERSION}`));
  return k;
}

/** The tuned choice of a class (undefined: none, or stale for this variant list). */
export function cachedChoice(adapter: string, family: VariantFamily, shapeClass: string): TunedChoice | undefined {
  const fe = loaded().entries[adapter]?.families[family];
  if (!fe || !current(family, fe.variants)) return undefined;
  return Object.hasOwn(fe.classes, shapeClass) ? fe.classes[shapeClass] : undefined;
}

/** Every current choice for an adapter, family -> class -> variant. */
export function cachedChoices(adapter: string): { [F in VariantFamily]: Record<string, VariantName<F>> } {
  const out = { matmul: {}, conv: {}, reduce: {} } as { [F in VariantFamily]: Record<string, string> };
  for (const f of Object.keys(KERNEL_VARIANTS) as VariantFamily[]) {
    const fe = loaded().entries[adapter]?.families[f];
    if (!fe || !current(f, fe.variants)) continue;
    for (const [cls, ch] of Object.entries(fe.classes)) out[f][cls] = ch.variant;
  }
  return out as { [F in VariantFamily]: Record<string, VariantName<F>> };
}

/** Stores a choice in memory (saveCache() writes it). */
export function storeChoice(a: AdapterReport, family: VariantFamily, shapeClass: string, choice: TunedChoice): void {
  const key = adapterKey(a);
  const data = loaded();
  const entry = (data.entries[key] ??= {
    adapter: { vendor: a.vendor, architecture: a.architecture, device: a.device, description: a.description }, webgrad: WEBGRAD_VERSION, families: {},
  });
  let fe = entry.families[family];
  if (!fe || !current(family, fe.variants)) fe = entry.families[family] = { variants: [...KERNEL_VARIANTS[family]], classes: {} };
  fe.classes[shapeClass] = choice;
  state.dirty.add(key);
  state.untuned.delete(`${key}|${family}|${shapeClass}`);
}

/**
 * Read by a family's plan (after forcedVariant): the tuned variant of this shape class on this
 * adapter, if tuning is on and the class was tuned. In record mode an untuned class is noted,
 * with `shape()` (a member of it) for the next tuneKernels().
 */
export function tunedVariant<F extends VariantFamily>(adapter: AdapterReport | undefined, family: F, shapeClass: string, shape: () => TuneShapes[F]): VariantName<F> | undefined {
  if (state.mode === 'off' || !adapter || state.tuning) return undefined;
  const key = adapterKey(adapter);
  const choice = cachedChoice(key, family, shapeClass);
  if (choice) return choice.variant as VariantName<F>;
  if (state.mode === 'record') {
    const id = `${key}|${family}|${shapeClass}`;
    if (!state.untuned.has(id)) state.untuned.set(id, { adapter: key, family, shapeClass, shape: shape() });
  }
  return undefined;
}

/** The untuned shape classes recorded for an adapter (all adapters when undefined). */
export function untunedClasses(adapter?: string): { family: VariantFamily; shapeClass: string; shape: unknown }[] {
  return [...state.untuned.values()].filter((u) => adapter === undefined || u.adapter === adapter).map(({ family, shapeClass, shape }) => ({ family, shapeClass, shape }));
}

export function tuningMode(): TuningMode {
  return state.mode;
}

/** @internal The tuner's own trials run with the cache and the recording out of the way. */
export function setTuningInProgress(on: boolean): void {
  state.tuning = on;
}

/** @internal Tests: behave as outside Node (localStorage, else memory). */
export function setNoNodeForTesting(on: boolean): void {
  state.noNode = on;
  state.location = undefined;
}

export interface KernelTuningConfig {
  /**
   * 'off' (the default until tuneKernels() runs): plans ignore the cache; 'cached': plans take
   * the tuned choice of a shape class where there is one; 'record': as 'cached', and plans note
   * the classes they meet untuned, which the next tuneKernels() tunes (kernelTuning().untuned).
   */
  mode?: TuningMode;
  /**
   * Where the cache lives: a file path in Node (a localStorage key in a browser), false for
   * memory only, null for the default (WEBGRAD_TUNING_CACHE, else
   * $XDG_CACHE_HOME/webgrad/kernel-tuning.json or ~/.cache/webgrad/kernel-tuning.json; in a
   * browser localStorage['webgrad.kernel-tuning']).
   */
  cache?: string | false | null;
}

/** Sets the tuning mode and where the cache lives; returns the settings now in force. */
export function configureKernelTuning(config: KernelTuningConfig = {}): { mode: TuningMode; cache: CacheLocation } {
  checkOptions('configureKernelTuning', config, ['mode', 'cache']);
  if (config.mode !== undefined) state.mode = checkChoice('configureKernelTuning', 'mode', config.mode, TUNING_MODES);
  if (config.cache !== undefined) {
    const c = config.cache;
    if (!(c === null || c === false || (typeof c === 'string' && c.length > 0))) {
      throw new Error(`configureKernelTuning: cache must be a file path (a non-empty string), false (memory only) or null (the default), got ${describe(c)}`);
    }
    state.cache = c ?? undefined;
    state.loadedFrom = undefined; // read again from there at the next use
  }
  state.location = undefined; // re-resolved (WEBGRAD_TUNING_CACHE is read again)
  return { mode: state.mode, cache: cacheLocation() };
}

/** Turns 'off' into 'cached' (what tuneKernels does: its choices are then used). */
export function enableTuning(): void {
  if (state.mode === 'off') state.mode = 'cached';
}

/**
 * Forgets every tuned choice and recorded class: in memory, and the cache file (or localStorage
 * entry) is removed. The mode and the cache location stay.
 */
export function resetKernelTuning(): void {
  state.location = undefined;
  const loc = cacheLocation();
  state.data = empty();
  state.loadedFrom = locationId(loc);
  state.dirty.clear();
  state.untuned.clear();
  try {
    if (loc.kind === 'file') nodeModule<NodeFs>('node:fs')!.rmSync(loc.path, { force: true });
    else if (loc.kind === 'localStorage') localStore()!.removeItem(loc.key);
  } catch (e) {
    console.warn(`webgrad: could not remove the kernel tuning cache ${locationName(loc)}: ${reasonOf(e)}`);
  }
}
