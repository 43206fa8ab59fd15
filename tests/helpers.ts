/**
 * Shared test conventions.
 *
 * Devices: every suite runs on `cpu`, `webgpu` and `wasm`. The webgpu backend must find a real
 * adapter (llvmpipe on a machine without a GPU): if it cannot, the suites fail. Only an explicit
 * WEBGRAD_TEST_NO_WEBGPU=1 (a run told there is no adapter) drops webgpu, and it says so. The
 * wasm backend needs only WebAssembly SIMD, which every Node >= 20 has.
 */
import { beforeAll, expect, it, vi } from 'vitest';
import { WebGPUBackend } from '../src/kernels/webgpu/index.js';
import * as wg from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';

export const NO_WEBGPU = process.env.WEBGRAD_TEST_NO_WEBGPU === '1';
export const DEVICES: DeviceName[] = NO_WEBGPU ? ['cpu', 'wasm'] : ['cpu', 'webgpu', 'wasm'];
if (NO_WEBGPU) console.warn('WEBGRAD_TEST_NO_WEBGPU=1: webgpu suites are not run in this process');

/** Initialises webgpu (throws, failing the suite, when no adapter is found). */
export function useDevices(): void {
  beforeAll(async () => {
    if (!NO_WEBGPU) await wg.init({ backend: 'webgpu' });
    await wg.init({ backend: 'wasm' });
    await wg.init({ backend: 'cpu' }); // keep cpu the default device; tests pass `device` explicitly
  });
}

/** ||a - b|| / ||b|| (0 when both are zero); NaN/inf positions must match exactly. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`relErr: lengths differ (${a.length} vs ${b.length})`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      if (!(Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y)))) return Infinity;
      continue;
    }
    num += (x - y) ** 2;
    den += y * y;
  }
  if (den === 0) return Math.sqrt(num);
  return Math.sqrt(num / den);
}

/** Expects equal shape and dtype, and relative error under `tol`. */
export async function expectClose(actual: Tensor, expected: Tensor, tol = 1e-5): Promise<void> {
  expect(actual.shape).toEqual(expected.shape);
  expect(actual.dtype).toBe(expected.dtype);
  const [a, b] = await Promise.all([actual.data(), expected.data()]);
  const err = relErr(Array.from(a), Array.from(b));
  if (!(err <= tol)) {
    throw new Error(`relative error ${err} > ${tol}\n  actual:   ${Array.from(a.slice(0, 8))}\n  expected: ${Array.from(b.slice(0, 8))}`);
  }
}

/**
 * Expects `actual` to be `x` summed over its last dim, within float32's error bound for a sum
 * in any order: |actual - exact| <= n * 2^-24 * sum(|x|) per row, with the exact sum taken in
 * float64. A relative tolerance on the sum itself fails by chance where a row's terms cancel.
 */
export async function expectSumClose(actual: Tensor, x: Tensor): Promise<void> {
  const n = x.shape[x.shape.length - 1]!;
  expect(actual.shape).toEqual(x.shape.slice(0, -1));
  const [a, v] = [await actual.data(), await x.data()];
  for (let r = 0; r < a.length; r++) {
    let exact = 0;
    let abs = 0;
    for (let i = r * n; i < (r + 1) * n; i++) {
      exact += v[i]!;
      abs += Math.abs(v[i]!);
    }
    const bound = n * 2 ** -24 * abs;
    if (!(Math.abs(a[r]! - exact) <= bound)) {
      throw new Error(`row ${r}: sum ${a[r]} is ${Math.abs(a[r]! - exact)} from the exact ${exact}, over the bound ${bound}`);
    }
  }
}

/** Expects exact equality of values (ints, bools, indices). */
export async function expectEqual(actual: Tensor, expected: Tensor): Promise<void> {
  expect(actual.shape).toEqual(expected.shape);
  expect(actual.dtype).toBe(expected.dtype);
  expect(Array.from(await actual.data())).toEqual(Array.from(await expected.data()));
}

/**
 * The same random data as a cpu tensor and as a tensor on `device`: the reference and the
 * subject of a comparison. Values are uniform in [low, high).
 */
export function pair(shape: number[], device: DeviceName, opts: { low?: number; high?: number; dtype?: 'float32' | 'int32' } = {}): [Tensor, Tensor] {
  const low = opts.low ?? -2;
  const high = opts.high ?? 2;
  const n = shape.reduce((a, b) => a * b, 1);
  const vals = new Float64Array(n);
  for (let i = 0; i < n; i++) vals[i] = low + (high - low) * rng();
  const data = opts.dtype === 'int32' ? Int32Array.from(vals, Math.floor) : Float32Array.from(vals);
  return [wg.tensor(data, { shape, device: 'cpu' }), wg.tensor(data, { shape, device })];
}

// A small deterministic host PRNG for test data (mulberry32), independent of webgrad's.
let state = 0x9e3779b9;
export function rng(): number {
  state = (state + 0x6d2b79f5) | 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
export function reseed(s: number): void {
  state = s | 0;
}

/**
 * `it` for the webgpu pass of a `describe.each(DEVICES)` suite, registering nothing on the cpu
 * pass: for tests that compare webgpu against cpu, which mean nothing when the device under test
 * is cpu itself. (A registered-but-skipped test would show as skipped in every run.)
 */
export function itOnWebgpu(device: DeviceName): typeof it {
  return (device === 'webgpu' ? it : () => undefined) as unknown as typeof it;
}

/**
 * The webgpu kernels `run` dispatches, as 'file:entry' (e.g. 'binary_rows4.wgsl:main'), each
 * with its variant string and its uniform's values: for tests that check which layout a case took, not only its values.
 */
export async function traceDispatchParams(run: () => Promise<void>): Promise<{ kernel: string; variant: string; params: Record<string, unknown> }[]> {
  const backend = wg.getBackend('webgpu') as WebGPUBackend;
  const seen: { kernel: string; variant: string; params: Record<string, unknown> }[] = [];
  const spy = vi.spyOn(backend, 'dispatch').mockImplementation(function (this: WebGPUBackend, ...args) {
    seen.push({ kernel: `${args[0].shader.file}:${args[0].entry}`, variant: args[0].variant ?? '', params: { ...args[2] } });
    return WebGPUBackend.prototype.dispatch.apply(this, args);
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return seen;
}

/** traceDispatchParams' kernels only. */
export async function traceDispatches(run: () => Promise<void>): Promise<string[]> {
  return (await traceDispatchParams(run)).map((d) => d.kernel);
}
