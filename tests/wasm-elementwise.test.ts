/**
 * The wasm backend's elementwise and reduction kernels (src/kernels/wasm/c/elementwise.c,
 * reduce.c) against the cpu reference: every op with a C version on odd sizes, broadcasts,
 * transposed and stepped views, empty tensors and NaN / inf / -0, with 1 and 3 threads.
 * Exact ops must match bit for bit (and in the sign of zero); the polynomial ones within a
 * few ulp. A spy on the runtime's `run` checks the C kernels really ran (and that the
 * fallbacks did not call them).
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as wg from '../src/index.js';
import type { Tensor } from '../src/index.js';
import type { WasmBackend } from '../src/kernels/wasm/index.js';
import { reseed, rng } from './helpers.js';

const F = wg.nn.functional;
const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 1e-45, -1e-45, 1e-38, 3e38, -3e38, 0.5, -0.5, 2.5, -2.5, 88.7, 89, -87.5, -104, -150];

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** A float32's position on the number line (so ulp distance is a difference). */
function ord(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  return b & 0x80000000 ? -(b & 0x7fffffff) : b;
}

/** Expects wasm's values to match the reference: NaN for NaN, non-finite and zeros (with sign) exact, others within `ulp`. */
async function expectUlp(actual: Tensor, expected: Tensor, ulp: number, what = ''): Promise<void> {
  expect(actual.shape).toEqual(expected.shape);
  expect(actual.dtype).toBe(expected.dtype);
  const [a, b] = [await actual.data(), await expected.data()];
  for (let i = 0; i < b.length; i++) {
    const [x, y] = [a[i]!, b[i]!];
    if (Number.isNaN(y) || Number.isNaN(x)) {
      if (!(Number.isNaN(x) && Number.isNaN(y))) throw new Error(`${what}[${i}]: ${x} vs reference ${y}`);
      continue;
    }
    const exact = ulp === 0 || !Number.isFinite(y) || y === 0 || Math.abs(y) < 1.2e-38;
    if (exact ? !Object.is(x, y) && !(ulp > 0 && Math.abs(x - y) < 1e-43) : Math.abs(ord(x) - ord(y)) > ulp) {
      throw new Error(`${what}[${i}]: ${x} vs reference ${y} (${Math.abs(ord(x) - ord(y))} ulp, allowed ${ulp})`);
    }
  }
}

function data(n: number, lo = -3, hi = 3, special = true): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = lo + (hi - lo) * rng();
  if (special) for (let i = 0; i < Math.min(n, SPECIAL.length); i++) v[(i * 7919) % n] = SPECIAL[i]!;
  return v;
}

/** The same float32 data on cpu and wasm. */
function both(shape: number[], lo = -3, hi = 3, special = true): [Tensor, Tensor] {
  const v = data(shape.reduce((a, b) => a * b, 1), lo, hi, special);
  return [wg.tensor(v, { shape, device: 'cpu' }), wg.tensor(v, { shape, device: 'wasm' })];
}

const SIZES = [1, 3, 7, 1023, 4099];

type Un = (t: Tensor) => Tensor;
/** Unary ops with a C version: [name, op, ulp allowed, input range]. */
const UNARY: [string, Un, number, number, number][] = [
  ['neg', (t) => t.neg(), 0, -3, 3],
  ['abs', (t) => t.abs(), 0, -3, 3],
  ['square', (t) => t.square(), 0, -3, 3],
  ['sign', (t) => t.sign(), 0, -3, 3],
  ['relu', (t) => t.relu(), 0, -3, 3],
  ['sqrt', (t) => t.sqrt(), 0, -1, 9],
  ['rsqrt', (t) => t.rsqrt(), 0, -1, 9],
  ['round', (t) => t.round(), 0, -9, 9],
  ['floor', (t) => t.floor(), 0, -9, 9],
  ['ceil', (t) => t.ceil(), 0, -9, 9],
  ['trunc', (t) => t.trunc(), 0, -9, 9],
  ['exp', (t) => t.exp(), 2, -100, 90],
  ['log', (t) => t.log(), 2, -1, 1e6],
  ['log1p', (t) => t.log1p(), 2, -1, 50],
  ['expm1', (t) => t.expm1(), 2, -20, 89],
  ['tanh', (t) => t.tanh(), 2, -12, 12],
  ['sigmoid', (t) => t.sigmoid(), 3, -100, 100],
  ['leakyRelu', (t) => F.leakyRelu(t, 0.01), 0, -3, 3],
  ['hardtanh', (t) => F.hardtanh(t, -0.3, 0.7), 0, -3, 3],
  ['elu', (t) => F.elu(t, 1.3), 3, -20, 5],
  ['silu', (t) => F.silu(t), 4, -100, 100],
  ['softplus', (t) => F.softplus(t), 3, -60, 30],
  ['softplus beta 2', (t) => F.softplus(t, { beta: 2, threshold: 5 }), 3, -40, 10],
  // The reference's erf loses accuracy past |x / sqrt 2| = 3 (its asymptotic series), and its
  // 1 + tanh cancels for large negative x: those ranges are checked by relative error below.
  ['gelu', (t) => F.gelu(t), 2, -4.2, 6],
  ['geluTanh', (t) => F.gelu(t, { approximate: 'tanh' }), 2, -5, 6],
];

type Bin = (a: Tensor, b: Tensor) => Tensor;
const BINARY: [string, Bin][] = [
  ['add', (a, b) => a.add(b)],
  ['sub', (a, b) => a.sub(b)],
  ['mul', (a, b) => a.mul(b)],
  ['div', (a, b) => a.div(b)],
  ['maximum', (a, b) => a.maximum(b)],
  ['minimum', (a, b) => a.minimum(b)],
];
const COMPARE: [string, Bin][] = [
  ['eq', (a, b) => a.eq(b)],
  ['ne', (a, b) => a.ne(b)],
  ['lt', (a, b) => a.lt(b)],
  ['le', (a, b) => a.le(b)],
  ['gt', (a, b) => a.gt(b)],
  ['ge', (a, b) => a.ge(b)],
];

function backend(): WasmBackend {
  return wg.getBackend('wasm') as unknown as WasmBackend;
}
/** Names of the C kernels `f` runs on the wasm backend. */
async function kernelsRun(f: () => Tensor | Promise<unknown>): Promise<string[]> {
  const spy = vi.spyOn(backend().rt, 'run');
  try {
    const r = await f();
    if (r && typeof (r as Tensor).data === 'function') await (r as Tensor).data();
    return spy.mock.calls.map((c) => c[0]);
  } finally {
    spy.mockRestore();
  }
}

for (const threads of [1, 3]) {
  describe(`wasm elementwise kernels (${threads} threads)`, () => {
    beforeAll(async () => {
      await wg.init({ backend: 'wasm', threads });
      await wg.init({ backend: 'cpu' });
      reseed(1234 + threads);
    });
    afterEach(() => vi.restoreAllMocks());

    for (const [name, f, ulp, lo, hi] of UNARY) {
      it(`${name} matches the reference (sizes ${SIZES.join(', ')}, NaN/inf/-0)`, async () => {
        for (const n of [...SIZES, 200_003]) {
          const [c, w] = both([n], lo, hi, !name.startsWith('gelu'));
          await expectUlp(f(w), f(c), ulp, `${name} n=${n}`);
        }
      });
    }

    it('gelu and geluTanh over their whole range and special values (relative error)', async () => {
      const [c, w] = both([20011], -12, 12);
      for (const f of [(t: Tensor) => F.gelu(t), (t: Tensor) => F.gelu(t, { approximate: 'tanh' })]) {
        const [a, b] = [await f(w).data(), await f(c).data()];
        for (let i = 0; i < a.length; i++) {
          const [x, y] = [a[i]!, b[i]!];
          if (Number.isNaN(y)) expect(x).toBeNaN();
          else if (!Number.isFinite(y)) expect(x).toBe(y);
          else expect(Math.abs(x - y)).toBeLessThanOrEqual(2e-4 * Math.abs(y) + 1e-9);
        }
      }
    });

    it('unary ops on transposed, stepped and empty views', async () => {
      const [c, w] = both([37, 41]);
      const views: [string, (t: Tensor) => Tensor][] = [
        ['transpose', (t) => t.transpose(0, 1)],
        ['steps', (t) => t.slice([1, null, 2], [null, null, 3])],
        ['narrow', (t) => t.narrow(1, 2, 30)],
        ['expand', (t) => t.slice([0, 1]).expand([5, 41])],
      ];
      for (const [vn, v] of views) {
        for (const [name, f, ulp] of UNARY) await expectUlp(f(v(w)), f(v(c)), Math.max(ulp, name.startsWith('gelu') ? 1e9 : 0), `${name} ${vn}`);
      }
      for (const [name, f, ulp] of UNARY) await expectUlp(f(wg.zeros([0, 3], { device: 'wasm' })), f(wg.zeros([0, 3])), ulp, `${name} empty`);
    });

    for (const [name, f] of [...BINARY, ...COMPARE]) {
      it(`${name} matches the reference: same shape, broadcasts, views, specials`, async () => {
        const cmp = COMPARE.some(([n]) => n === name);
        const check = async (x: Tensor, y: Tensor, what: string) => expectUlp(x, y, 0, `${name} ${what}`);
        for (const n of SIZES) {
          const [a, A] = both([n]);
          const [b, B] = both([n]);
          await check(f(A, B), f(a, b), `n=${n}`);
          await check(f(A, A), f(a, a), `n=${n} self`); // equal operands: ties for max/min, eq
        }
        // Every special value against every special value.
        const s = Float32Array.from(SPECIAL);
        const sa = Float32Array.from(SPECIAL.flatMap((v) => SPECIAL.map(() => v)));
        const sb = Float32Array.from(SPECIAL.flatMap(() => SPECIAL));
        await check(f(wg.tensor(sa, { device: 'wasm' }), wg.tensor(sb, { device: 'wasm' })), f(wg.tensor(sa), wg.tensor(sb)), 'specials');
        expect(s.length).toBeGreaterThan(10);
        // Broadcasts: row, column, scalar, 0-d and size-1, both sides.
        const shapes: [number[], number[]][] = [[[5, 1027], [1027]], [[5, 1027], [5, 1]], [[1], [4099]], [[3, 1, 7], [1, 5, 1]], [[], [1023]], [[1023], []], [[2, 3, 0], [3, 1]]];
        for (const [sa_, sb_] of shapes) {
          const [a, A] = both(sa_);
          const [b, B] = both(sb_);
          await check(f(A, B), f(a, b), `${JSON.stringify(sa_)} with ${JSON.stringify(sb_)}`);
          await check(f(B, A), f(b, a), `${JSON.stringify(sb_)} with ${JSON.stringify(sa_)}`);
        }
        // Views: a transposed, stepped and narrowed operand against a contiguous one.
        const [a, A] = both([33, 65]);
        const [b, B] = both([65, 33]);
        await check(f(A, B.transpose(0, 1)), f(a, b.transpose(0, 1)), 'transposed');
        await check(f(A.slice([null, null, 2]), B.transpose(0, 1).slice([null, null, 2])), f(a.slice([null, null, 2]), b.transpose(0, 1).slice([null, null, 2])), 'stepped');
        await check(f(A.narrow(1, 3, 50), A.narrow(1, 1, 50)), f(a.narrow(1, 3, 50), a.narrow(1, 1, 50)), 'narrowed');
        // Large: split over the threads.
        const [l, L] = both([300_007]);
        const [m, M] = both([300_007]);
        await check(f(L, M), f(l, m), 'large');
        await check(f(L, M.narrow(0, 0, 1).expand([300_007])), f(l, m.narrow(0, 0, 1).expand([300_007])), 'large, broadcast');
        const r = f(A, B.transpose(0, 1));
        expect(r.dtype).toBe(cmp ? 'bool' : 'float32');
      });
    }

    it('where matches the reference: same shape, broadcasts, views, scalars, specials', async () => {
      const cases: [string, number[], number[], number[]][] = [
        ['same shape', [4099], [4099], [4099]],
        ['row broadcast', [7, 1027], [1027], [7, 1027]],
        ['column broadcast', [7, 1], [7, 1027], [1027]],
        ['scalar values', [1023], [], []],
        ['scalar condition', [], [5, 7], [5, 7]],
        ['3-d broadcast', [3, 1, 7], [1, 5, 1], [3, 5, 7]],
        ['empty', [0, 3], [3], [0, 3]],
        ['large', [300_007], [300_007], []],
      ];
      for (const [name, sc, sa, sb] of cases) {
        const [cc, cw] = both(sc);
        const [ac, aw] = both(sa);
        const [bc, bw] = both(sb);
        await expectUlp(wg.where(cw.gt(0), aw, bw), wg.where(cc.gt(0), ac, bc), 0, `where ${name}`);
      }
      const [c, w] = both([33, 65]);
      const [d, v] = both([65, 33]);
      await expectUlp(wg.where(v.transpose(0, 1).lt(0.5), w, v.transpose(0, 1)), wg.where(d.transpose(0, 1).lt(0.5), c, d.transpose(0, 1)), 0, 'where transposed');
      await expectUlp(
        wg.where(w.slice(null, [null, null, 2]).ge(0).transpose(0, 1), v.transpose(0, 1).slice(null, [null, null, 2]), 0),
        wg.where(c.slice(null, [null, null, 2]).ge(0).transpose(0, 1), d.transpose(0, 1).slice(null, [null, null, 2]), 0),
        0, 'where stepped',
      );
      // A mask that is a stepped view of a bool tensor (the condition's own step is not 1).
      const m = w.gt(0);
      await expectUlp(wg.where(m.slice(null, [null, null, 2]), w.slice(null, [null, null, 2]), -0), wg.where(c.gt(0).slice(null, [null, null, 2]), c.slice(null, [null, null, 2]), -0), 0, 'where stepped mask');
    });

    it('the C kernels run for float32 and the cpu kernels for the rest', async () => {
      const [, w] = both([1000]);
      expect(await kernelsRun(() => w.add(w))).toEqual(['ew_binary_f32']);
      expect(await kernelsRun(() => w.add(1))).toEqual(['ew_binary_f32']);
      expect(await kernelsRun(() => w.gt(0))).toEqual(['ew_binary_f32']);
      expect(await kernelsRun(() => F.gelu(w))).toEqual(['ew_unary_f32']);
      expect(await kernelsRun(() => w.reshape([10, 100]).transpose(0, 1).exp())).toEqual(['ew_unary_f32']);
      expect(await kernelsRun(() => w.sin())).toEqual([]);
      const mask = w.gt(0);
      expect(await kernelsRun(() => wg.where(mask, w, 0))).toEqual(['ew_where_f32']);
      expect(await kernelsRun(() => w.pow(2))).toEqual([]);
      expect(await kernelsRun(() => F.softplus(w, { beta: 0.7 }))).toEqual([]);
      const i = wg.tensor(Int32Array.from([1, 2, 3]), { device: 'wasm' });
      expect(await kernelsRun(() => i.add(i))).toEqual([]);
      const m3 = wg.tensor([true, false, true], { device: 'wasm' });
      expect(await kernelsRun(() => wg.where(m3, i, i.neg()))).toEqual([]);
      expect(await kernelsRun(() => i.neg())).toEqual([]);
    });

    it('fallbacks give the reference too (int32, pow, sin)', async () => {
      const v = data(257);
      for (const dtype of ['int32'] as const) {
        const c = wg.tensor(v, { dtype });
        const w = wg.tensor(v, { dtype, device: 'wasm' });
        const [c2, w2] = [c.neg().add(1), w.neg().add(1)];
        for (const [name, f] of [...BINARY, ...COMPARE]) await expectUlp(f(w, w2), f(c, c2), 0, `${name} ${dtype}`);
        await expectUlp(w.neg(), c.neg(), 0, `neg ${dtype}`);
      }
      const [c, w] = both([257]);
      await expectUlp(w.pow(w), c.pow(c), 0, 'pow');
      await expectUlp(w.sin(), c.sin(), 0, 'sin');
      const wi = wg.tensor(Int32Array.from(v, Math.floor), { device: 'wasm' });
      const ci = wg.tensor(Int32Array.from(v, Math.floor));
      await expectUlp(wg.where(wi.gt(0), wi, wi.neg()), wg.where(ci.gt(0), ci, ci.neg()), 0, 'where int32');
    });

    it('activation gradients match the reference', async () => {
      const [c, w] = both([513], -4, 4, false);
      for (const [name, f] of UNARY.filter(([n]) => !['sign', 'round', 'floor', 'ceil', 'trunc', 'sqrt', 'rsqrt', 'log', 'log1p'].includes(n))) {
        const grads: Float32Array[] = [];
        for (const x of [c, w]) {
          const p = x.clone().requiresGrad_();
          f(p).mul(x.cos()).sum().backward();
          grads.push((await p.grad!.data()) as Float32Array);
        }
        let num = 0;
        let den = 0;
        for (let i = 0; i < grads[0]!.length; i++) {
          num += (grads[0]![i]! - grads[1]![i]!) ** 2;
          den += grads[0]![i]! ** 2;
        }
        expect(Math.sqrt(num / Math.max(den, 1e-30)), name).toBeLessThan(1e-5);
      }
    });
  });

  describe(`wasm reduce kernels (${threads} threads)`, () => {
    beforeAll(async () => {
      await wg.init({ backend: 'wasm', threads });
      await wg.init({ backend: 'cpu' });
      reseed(99 + threads);
    });
    afterEach(() => vi.restoreAllMocks());

    const OPS = ['sum', 'max', 'min', 'argmax', 'argmin'] as const;
    const METHOD = { sum: 'sum', max: 'amax', min: 'amin', argmax: 'argmax', argmin: 'argmin' } as const;
    const run = (op: (typeof OPS)[number], t: Tensor, dim?: number | number[], keepdim = false): Tensor =>
      (t[METHOD[op]] as (d?: number | number[], k?: boolean) => Tensor).call(t, dim, keepdim);
    const arg = (op: string) => op.startsWith('arg');
    /** sums within 1e-6 relative of the reference (both are double sums rounded once), the others exact. */
    const check = async (op: (typeof OPS)[number], w: Tensor, c: Tensor, what: string) => {
      if (op !== 'sum') return expectUlp(w, c, 0, `${op} ${what}`);
      const [a, b] = [await w.data(), await c.data()];
      expect(w.shape).toEqual(c.shape);
      for (let i = 0; i < b.length; i++) {
        const [x, y] = [a[i]!, b[i]!];
        if (!Number.isFinite(y)) expect(Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y)), `${what}[${i}] ${x} vs ${y}`).toBe(true);
        else expect(Math.abs(x - y), `${what}[${i}] ${x} vs ${y}`).toBeLessThanOrEqual(1e-6 * Math.abs(y) + 1e-30);
      }
    };

    for (const op of OPS) {
      it(`${op}: rows, columns, segments, strided and whole tensors match the reference`, async () => {
        for (const n of SIZES) {
          const [c, w] = both([3, n], -3, 3, false);
          await check(op, run(op, w, 1), run(op, c, 1), `rows n=${n}`);
          await check(op, run(op, w, 0), run(op, c, 0), `columns n=${n}`);
          await check(op, run(op, w), run(op, c), `all n=${n}`);
        }
        const [c, w] = both([5, 7, 33], -3, 3, false);
        for (const dim of arg(op) ? [0, 1, 2] : [[0, 2], [0, 1], [1], [2], [0], [1, 2], [0, 1, 2]]) {
          await check(op, run(op, w, dim), run(op, c, dim), `dims ${dim}`);
          await check(op, run(op, w, dim, true), run(op, c, dim, true), `dims ${dim} keepdim`);
        }
        await check(op, run(op, w.transpose(1, 2), 2), run(op, c.transpose(1, 2), 2), 'transposed');
        await check(op, run(op, w.slice(null, [null, null, 2], [1, null, 3]), 2), run(op, c.slice(null, [null, null, 2], [1, null, 3]), 2), 'stepped');
        await check(op, run(op, w.slice(null, [null, null, 2], [1, null, 3]), 1), run(op, c.slice(null, [null, null, 2], [1, null, 3]), 1), 'stepped columns');
        // Large: rows and columns split over the threads.
        const [lc, lw] = both([64, 4099], -3, 3, false);
        await check(op, run(op, lw, 1), run(op, lc, 1), 'large rows');
        await check(op, run(op, lw, 0), run(op, lc, 0), 'large columns');
      });
    }

    it('NaN, inf, -0 and ties: max/min propagate NaN, argmax/argmin take the first NaN or first extreme', async () => {
      const rows = [
        [1, NaN, 3, NaN, 5, 6, 7, 8, 9],
        [-Infinity, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity],
        [Infinity, Infinity, Infinity, Infinity, Infinity, Infinity, Infinity, Infinity, Infinity],
        [-0, 0, -0, 0, -0, 0, -0, 0, -0],
        [0, -0, 0, -0, 0, -0, 0, -0, 1],
        [-1, -2, -0, -3, 0, -4, -5, -6, -7],
        [2, 5, 5, 1, 5, 0, 5, 2, 5],
        [1, 2, 3, 4, 5, 6, 7, 8, NaN],
        [-5, 2, -5, 7, -5, 7, 1, 1, -5],
      ];
      const v = Float32Array.from(rows.flat());
      const c = wg.tensor(v, { shape: [rows.length, 9] });
      const w = wg.tensor(v, { shape: [rows.length, 9], device: 'wasm' });
      for (const op of OPS) {
        await check(op, run(op, w, 1), run(op, c, 1), 'special rows');
        await check(op, run(op, w.transpose(0, 1), 0), run(op, c.transpose(0, 1), 0), 'special rows, as columns');
        await check(op, run(op, w, 0), run(op, c, 0), 'special columns');
        await check(op, run(op, w), run(op, c), 'special all');
      }
      // Many ties (four values, and -0 with +0) in every layout.
      const t = Float32Array.from({ length: 37 * 41 }, () => [0, -0, 1, 2, 3][Math.floor(rng() * 5)]!);
      const tc = wg.tensor(t, { shape: [37, 41] });
      const tw = wg.tensor(t, { shape: [37, 41], device: 'wasm' });
      for (const op of OPS) {
        for (const dim of [0, 1]) {
          await check(op, run(op, tw, dim), run(op, tc, dim), `ties dim ${dim}`);
          await check(op, run(op, tw.transpose(0, 1), dim), run(op, tc.transpose(0, 1), dim), `ties transposed dim ${dim}`);
        }
        await check(op, run(op, tw.neg()), run(op, tc.neg()), 'ties all');
      }
      // The reference keeps the first of -0 / +0.
      expect(Object.is((await w.amax(1).data())[3], -0)).toBe(true);
      expect(Object.is((await w.amin(1).data())[4], 0)).toBe(true);
    });

    it('whole reductions of long rows (chunks over the threads, combined in order)', async () => {
      const n = 300_001;
      const cases: [string, (v: Float32Array) => void][] = [
        ['random', () => undefined],
        ['late NaNs, in two chunks', (v) => { v[150_000] = NaN; v[280_000] = NaN; }],
        ['ties across chunks', (v) => { v.fill(1); v[200_000] = 2; v[290_000] = 2; v[150_000] = -3; v[299_999] = -3; }],
        ['zeros across chunks', (v) => { v.fill(-1); v[150_000] = -0; v[160_000] = 0; v[250_000] = 0; }],
        ['all -inf', (v) => v.fill(-Infinity)],
      ];
      for (const [name, edit] of cases) {
        const v = data(n, -3, 3, false);
        edit(v);
        const [c, w] = [wg.tensor(v), wg.tensor(v, { device: 'wasm' })];
        for (const op of OPS) await check(op, run(op, w), run(op, c), `long row, ${name}`);
      }
      expect(await kernelsRun(() => wg.tensor(data(n), { device: 'wasm' }).sum())).toEqual([threads > 1 ? 'reduce_all_f32' : 'reduce_rows_f32']);
      expect(await kernelsRun(() => wg.tensor(data(42857 * 7), { shape: [42857, 7], device: 'wasm' }).sum(0))).toEqual(['reduce_cols_sum_f32']);
    });

    it('empty reductions: sums of nothing are 0, empty outputs are empty', async () => {
      const e = wg.zeros([4, 0], { device: 'wasm' });
      expect(Array.from(await e.sum(1).data())).toEqual([0, 0, 0, 0]);
      expect((await e.sum(0).data()).length).toBe(0);
      expect(() => e.amax(1)).toThrow();
    });

    it('the C kernels run for float32 sums and extremes, the reference for the rest', async () => {
      const [, w] = both([8, 9]);
      expect(await kernelsRun(() => w.sum(1))).toEqual(['reduce_rows_f32']);
      expect(await kernelsRun(() => w.argmax(1))).toEqual(['reduce_rows_f32']);
      expect(await kernelsRun(() => w.amax(0))).toEqual(['reduce_cols_f32']);
      expect(await kernelsRun(() => w.sum(0))).toEqual(['reduce_cols_sum_f32']);
      expect(await kernelsRun(() => w.reshape([2, 4, 9]).sum([0, 2]))).toEqual(['reduce_rows_f32']);
      expect(await kernelsRun(() => w.prod(1))).toEqual([]);
      const i = wg.tensor(Int32Array.from([1, 2, 3]), { device: 'wasm' });
      expect(await kernelsRun(() => i.sum())).toEqual([]);
    });
  });
}
