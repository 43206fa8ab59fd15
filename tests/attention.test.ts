/**
 * Attention: F.scaledDotProductAttention, nn.MultiheadAttention, nn.TransformerEncoderLayer and
 * nn.TransformerEncoder. Known values for a hand-computed case, gradcheck in float64 on cpu,
 * webgpu against cpu (forward and gradients), PyTorch's parameter names and init.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { DEVICES, NO_WEBGPU, expectClose, itOnWebgpu, pair, relErr, reseed, rng, useDevices } from './helpers.js';

useDevices();
const { F, nn } = wg;

const vals = (shape: number[], dtype: 'float32' | 'float64' = 'float32', device: DeviceName = 'cpu', requiresGrad = false): Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Array.from({ length: n }, () => rng() * 2 - 1);
  return wg.tensor(dtype === 'float64' ? Float64Array.from(v) : Float32Array.from(v), { shape, device, requiresGrad });
};
const boolMask = (rows: number[][], device: DeviceName = 'cpu') => wg.tensor(Uint8Array.from(rows.flat().map(Number)), { shape: [rows.length, rows[0]!.length], device });

/** Moves a cpu module's values into an identically built module (loadStateDict on another device). */
async function copyTo<M extends wg.nn.Module>(src: M, dst: M): Promise<M> {
  const state: Record<string, Tensor> = {};
  const dev = dst.parameters()[0]!.device;
  for (const [k, t] of Object.entries(src.stateDict())) state[k] = await t.to(dev);
  dst.loadStateDict(state);
  return dst;
}

async function gradsOf(ts: Tensor[]): Promise<number[][]> {
  return Promise.all(ts.map(async (t) => Array.from(await t.grad!.data())));
}

describe('scaledDotProductAttention: known values', () => {
  it('computes softmax(q k^T / sqrt(E)) v for a hand-worked 1 x 2 case', async () => {
    const q = wg.tensor([[1, 0]]);
    const k = wg.tensor([[1, 0], [0, 1]]);
    const v = wg.tensor([[1, 2], [3, 4]]);
    // scores [1/sqrt 2, 0]: weight of key 0 is 1 / (1 + e^(-1/sqrt 2)) = 0.66976...
    const w0 = 1 / (1 + Math.exp(-1 / Math.SQRT2));
    const out = await F.scaledDotProductAttention(q, k, v).data();
    expect(Array.from(out)[0]).toBeCloseTo(3 - 2 * w0, 6);
    expect(Array.from(out)[1]).toBeCloseTo(4 - 2 * w0, 6);
  });
  it('uses the given scale instead of 1 / sqrt(E)', async () => {
    const q = wg.tensor([[1, 0]]);
    const k = wg.tensor([[1, 0], [0, 1]]);
    const v = wg.tensor([[1, 2], [3, 4]]);
    const w0 = 1 / (1 + Math.exp(-2));
    expect(Array.from(await F.scaledDotProductAttention(q, k, v, { scale: 2 }).data())[0]).toBeCloseTo(3 - 2 * w0, 6);
  });
});

describe.each(DEVICES)('scaledDotProductAttention on %s', (device) => {
  it('a bool mask: true takes part, false is left out', async () => {
    const q = vals([1, 3], 'float32', device);
    const k = vals([2, 3], 'float32', device);
    const v = wg.tensor([[1, 2], [3, 4]], { device });
    const out = F.scaledDotProductAttention(q, k, v, { attnMask: boolMask([[true, false]].map((r) => r.map(Number)), device) });
    expect(Array.from(await out.data())).toEqual([1, 2]);
  });
  it('a float mask is added to the scores', async () => {
    reseed(11);
    const q = vals([2, 4, 3], 'float32', device);
    const k = vals([2, 5, 3], 'float32', device);
    const v = vals([2, 5, 2], 'float32', device);
    const m = vals([4, 5], 'float32', device);
    const scores = q.matmul(k.transpose(-2, -1)).mul(1 / Math.sqrt(3)).add(m);
    await expectClose(F.scaledDotProductAttention(q, k, v, { attnMask: m }), F.softmax(scores, -1).matmul(v), 1e-5);
  });
  it('isCausal is the top-left lower triangle, also when L differs from S', async () => {
    reseed(12);
    const q = vals([3, 4], 'float32', device);
    const k = vals([5, 4], 'float32', device);
    const v = vals([5, 2], 'float32', device);
    const tri = boolMask([[1, 0, 0, 0, 0], [1, 1, 0, 0, 0], [1, 1, 1, 0, 0]], device);
    await expectClose(F.scaledDotProductAttention(q, k, v, { isCausal: true }), F.scaledDotProductAttention(q, k, v, { attnMask: tri }), 1e-6);
  });
  it('partly masked rows have no NaN and a fully masked row gives 0, with finite gradients', async () => {
    const q = vals([3, 2], 'float32', device, true);
    const k = vals([3, 2], 'float32', device, true);
    const v = vals([3, 2], 'float32', device, true);
    const m = boolMask([[1, 0, 0], [0, 0, 0], [1, 1, 0]], device);
    const out = F.scaledDotProductAttention(q, k, v, { attnMask: m });
    const o = Array.from(await out.data());
    expect(o.every(Number.isFinite)).toBe(true);
    expect(o.slice(2, 4)).toEqual([0, 0]);
    out.sum().backward();
    for (const g of await gradsOf([q, k, v])) expect(g.every(Number.isFinite)).toBe(true);
  });
  it('a float mask of -inf on a whole row gives 0 too', async () => {
    const q = vals([2, 2], 'float32', device);
    const k = vals([2, 2], 'float32', device);
    const v = vals([2, 2], 'float32', device);
    const m = wg.tensor([[0, -Infinity], [-Infinity, -Infinity]], { device });
    expect(Array.from(await F.scaledDotProductAttention(q, k, v, { attnMask: m }).data()).slice(2)).toEqual([0, 0]);
  });
  it('dropout on the weights is seeded by manualSeed, and dropoutP = 1 zeroes the output', async () => {
    reseed(13);
    const q = vals([2, 4, 3], 'float32', device);
    const k = vals([2, 6, 3], 'float32', device);
    const v = vals([2, 6, 3], 'float32', device);
    wg.manualSeed(5);
    const a = Array.from(await F.scaledDotProductAttention(q, k, v, { dropoutP: 0.5 }).data());
    wg.manualSeed(5);
    const b = Array.from(await F.scaledDotProductAttention(q, k, v, { dropoutP: 0.5 }).data());
    const plain = Array.from(await F.scaledDotProductAttention(q, k, v).data());
    expect(a).toEqual(b);
    expect(relErr(a, plain)).toBeGreaterThan(1e-2);
    expect(Array.from(await F.scaledDotProductAttention(q, k, v, { dropoutP: 1 }).data()).every((x) => x === 0)).toBe(true);
  });
  it('broadcasts the batch dims of query, key, value and mask', async () => {
    reseed(14);
    const q = vals([2, 3, 4, 5], 'float32', device);
    const k = vals([3, 6, 5], 'float32', device);
    const v = vals([1, 1, 6, 2], 'float32', device);
    expect(F.scaledDotProductAttention(q, k, v, { attnMask: boolMask([[1, 1, 0, 1, 0, 1]], device) }).shape).toEqual([2, 3, 4, 2]);
  });
  itOnWebgpu(device)('matches cpu, forward and gradients, with causal and bool/float masks at odd sizes', async () => {
    for (const mode of ['causal', 'bool', 'float'] as const) {
      reseed(20);
      const [qc, qd] = pair([2, 3, 5, 7], device);
      const [kc, kd] = pair([2, 3, 9, 7], device);
      const [vc, vd] = pair([2, 3, 9, 3], device);
      const [mc, md] = pair([5, 9], device);
      const opts = (m: Tensor) => (mode === 'causal' ? { isCausal: true } : mode === 'bool' ? { attnMask: m.gt(-1) } : { attnMask: m });
      for (const t of [qc, qd, kc, kd, vc, vd]) t.requiresGrad = true;
      const [gc, gd] = pair([2, 3, 5, 3], device);
      const oc = F.scaledDotProductAttention(qc, kc, vc, opts(mc));
      const od = F.scaledDotProductAttention(qd, kd, vd, opts(md));
      await expectClose(await od.to('cpu'), oc, 1e-5);
      oc.mul(gc).sum().backward();
      od.mul(gd).sum().backward();
      const a = await gradsOf([qd, kd, vd]);
      const b = await gradsOf([qc, kc, vc]);
      for (let i = 0; i < 3; i++) expect(relErr(a[i]!, b[i]!), `${mode}: gradient ${i}`).toBeLessThan(1e-4);
    }
  });
});

describe('scaledDotProductAttention: gradcheck (float64, cpu)', () => {
  const qkv = () => {
    reseed(30);
    return [vals([2, 3, 4], 'float64', 'cpu', true), vals([2, 5, 4], 'float64', 'cpu', true), vals([2, 5, 3], 'float64', 'cpu', true)];
  };
  it('without a mask', async () => {
    expect(await wg.gradcheck((q, k, v) => F.scaledDotProductAttention(q!, k!, v!), qkv())).toBe(true);
  });
  it('with isCausal', async () => {
    expect(await wg.gradcheck((q, k, v) => F.scaledDotProductAttention(q!, k!, v!, { isCausal: true }), qkv())).toBe(true);
  });
  it('with a bool mask that leaves one row fully masked', async () => {
    const m = boolMask([[1, 0, 1, 0, 0], [0, 0, 0, 0, 0], [0, 1, 1, 1, 1]]);
    expect(await wg.gradcheck((q, k, v) => F.scaledDotProductAttention(q!, k!, v!, { attnMask: m }), qkv())).toBe(true);
  });
  it('with a float mask, and through the mask', async () => {
    reseed(31);
    const m = vals([3, 5], 'float64', 'cpu', true);
    expect(await wg.gradcheck((q, k, v, mm) => F.scaledDotProductAttention(q!, k!, v!, { attnMask: mm!, scale: 0.7 }), [...qkv(), m])).toBe(true);
  });
  it('second derivatives (gradgradcheck)', async () => {
    expect(await wg.gradgradcheck((q, k, v) => F.scaledDotProductAttention(q!, k!, v!, { isCausal: true }), qkv())).toBe(true);
  });
});

describe('MultiheadAttention: parameters', () => {
  it("names and shapes its parameters as PyTorch's", () => {
    const m = new nn.MultiheadAttention(6, 2);
    const names = Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, t.shape]));
    expect(names).toEqual({ in_proj_weight: [18, 6], in_proj_bias: [18], 'out_proj.weight': [6, 6], 'out_proj.bias': [6] });
  });
  it('has q_proj_weight, k_proj_weight and v_proj_weight when kdim or vdim differ', () => {
    const m = new nn.MultiheadAttention(4, 2, { kdim: 3, vdim: 5 });
    const names = Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, t.shape]));
    expect(names).toEqual({ q_proj_weight: [4, 4], k_proj_weight: [4, 3], v_proj_weight: [4, 5], in_proj_bias: [12], 'out_proj.weight': [4, 4], 'out_proj.bias': [4] });
  });
  it('bias = false leaves out every bias', () => {
    expect(Object.keys(new nn.MultiheadAttention(4, 2, { bias: false }).stateDict())).toEqual(['in_proj_weight', 'out_proj.weight']);
  });
  it("takes PyTorch's positional arguments (dropout, bias, addBiasKv, addZeroAttn, kdim, vdim, batchFirst)", () => {
    const m = new nn.MultiheadAttention(4, 2, 0.25, false, false, false, 3, null, true);
    expect([m.dropout, m.kdim, m.vdim, m.batchFirst]).toEqual([0.25, 3, 4, true]);
    expect(Object.keys(m.stateDict())).toEqual(['q_proj_weight', 'k_proj_weight', 'v_proj_weight', 'out_proj.weight']);
  });
  it('initialises as PyTorch: xavier_uniform in_proj_weight, zero biases', async () => {
    wg.manualSeed(1);
    const m = new nn.MultiheadAttention(8, 2);
    const w = Array.from(await m.stateDict().in_proj_weight!.data());
    const bound = Math.sqrt(6 / (8 + 24));
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(bound * 0.9);
    expect(Array.from(await m.stateDict().in_proj_bias!.data()).every((x) => x === 0)).toBe(true);
    expect(Array.from(await m.stateDict()['out_proj.bias']!.data()).every((x) => x === 0)).toBe(true);
  });
});

describe.each(DEVICES)('MultiheadAttention on %s', (device) => {
  it('equals the projections, per-head scaledDotProductAttention and out_proj composed by hand', async () => {
    reseed(39);
    const m = new nn.MultiheadAttention(6, 2, { device });
    const [L, N, S, E, H, D] = [3, 2, 4, 6, 2, 3];
    const q = vals([L, N, E], 'float32', device);
    const kv = vals([S, N, E], 'float32', device);
    const W = m.stateDict().in_proj_weight!;
    const b = m.stateDict().in_proj_bias!;
    const proj = (x: Tensor, i: number) => x.transpose(0, 1).matmul(W.narrow(0, i * E, E).T).add(b.narrow(0, i * E, E));
    const heads = (x: Tensor, len: number) => x.reshape([N, len, H, D]).permute([0, 2, 1, 3]);
    const o = F.scaledDotProductAttention(heads(proj(q, 0), L), heads(proj(kv, 1), S), heads(proj(kv, 2), S));
    const want = m.out_proj.forward(o.permute([0, 2, 1, 3]).reshape([N, L, E])).transpose(0, 1);
    await expectClose(m.forward(q, kv, kv)[0], want.contiguous(), 1e-5);
  });
  it('returns [output, weights]: output like query, weights averaged over heads [N, L, S]', () => {
    const m = new nn.MultiheadAttention(6, 3, { device });
    const q = vals([4, 2, 6], 'float32', device);
    const kv = vals([5, 2, 6], 'float32', device);
    const [y, w] = m.forward(q, kv, kv);
    expect(y.shape).toEqual([4, 2, 6]);
    expect(w!.shape).toEqual([2, 4, 5]);
    const [, wh] = m.forward(q, kv, kv, { averageAttnWeights: false });
    expect(wh!.shape).toEqual([2, 3, 4, 5]);
    expect(m.forward(q, kv, kv, { needWeights: false })[1]).toBeNull();
  });
  it('takes batchFirst inputs [N, L, E] and unbatched [L, E]', async () => {
    reseed(40);
    const m = new nn.MultiheadAttention(4, 2, { batchFirst: true, device });
    const x = vals([3, 5, 4], 'float32', device);
    const [y, w] = m.forward(x, x, x);
    expect(y.shape).toEqual([3, 5, 4]);
    expect(w!.shape).toEqual([3, 5, 5]);
    const x1 = x.select(0, 1);
    const [y1, w1] = m.forward(x1, x1, x1);
    expect(y1.shape).toEqual([5, 4]);
    expect(w1!.shape).toEqual([5, 5]);
    await expectClose(y1, y.select(0, 1), 1e-5);
  });
  it("a bool attnMask means true = may not attend (PyTorch's convention for this module)", async () => {
    reseed(41);
    const m = new nn.MultiheadAttention(4, 2, { device });
    const x = vals([3, 1, 4], 'float32', device);
    const banned = boolMask([[0, 1, 1], [0, 0, 1], [0, 0, 0]], device);
    const [, w] = m.forward(x, x, x, { attnMask: banned });
    const ww = Array.from(await w!.data());
    expect([ww[1], ww[2], ww[5]]).toEqual([0, 0, 0]);
    const [, wc] = m.forward(x, x, x, { isCausal: true });
    await expectClose(wc!, w!, 1e-6);
  });
  it('a keyPaddingMask leaves the padded keys out', async () => {
    reseed(42);
    const m = new nn.MultiheadAttention(4, 1, { batchFirst: true, device });
    const x = vals([2, 3, 4], 'float32', device);
    const pad = wg.tensor(Uint8Array.from([0, 0, 1, 0, 1, 1]), { shape: [2, 3], device });
    const [y, w] = m.forward(x, x, x, { keyPaddingMask: pad });
    const ww = Array.from(await w!.data());
    for (const i of [2, 5, 8, 10, 11, 13, 14, 16, 17]) expect(ww[i]).toBe(0);
    // The unpadded part of sequence 1 is attention over its first key alone.
    const [y1] = m.forward(x.narrow(1, 0, 1), x.narrow(1, 0, 1), x.narrow(1, 0, 1));
    await expectClose(y.select(0, 1).narrow(0, 0, 1), y1.select(0, 1), 1e-5);
  });
  itOnWebgpu(device)('matches cpu, forward and gradients, with causal and padding masks, batchFirst or not, kdim/vdim, odd sizes', async () => {
    for (const batchFirst of [false, true]) {
      for (const kv of [null, [3, 5]] as const) {
        wg.manualSeed(7);
        const opts = { batchFirst, ...(kv ? { kdim: kv[0], vdim: kv[1] } : {}) };
        const mc = new nn.MultiheadAttention(6, 3, { ...opts, device: 'cpu' });
        const md = await copyTo(mc, new nn.MultiheadAttention(6, 3, { ...opts, device }));
        const [N, L, S] = [3, 5, 7];
        const shp = (len: number, f: number) => (batchFirst ? [N, len, f] : [len, N, f]);
        reseed(43);
        const [qc, qd] = pair(shp(L, 6), device);
        const [kc, kd] = pair(shp(S, kv ? kv[0] : 6), device);
        const [vc, vd] = pair(shp(S, kv ? kv[1] : 6), device);
        for (const t of [qc, qd, kc, kd, vc, vd]) t.requiresGrad = true;
        const padRows = [0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 1, 1];
        const pad = (d: DeviceName) => wg.tensor(Uint8Array.from(padRows), { shape: [N, S], device: d });
        const run = (m: wg.nn.MultiheadAttention, q: Tensor, k: Tensor, v: Tensor, d: DeviceName) => m.forward(q, k, v, { isCausal: true, keyPaddingMask: pad(d), averageAttnWeights: false });
        const [yc, wc] = run(mc, qc, kc, vc, 'cpu');
        const [yd, wd] = run(md, qd, kd, vd, device);
        await expectClose(await yd.to('cpu'), yc, 1e-5);
        await expectClose(await wd!.to('cpu'), wc!, 1e-5);
        const [gc, gd] = pair([...yc.shape], device);
        yc.mul(gc).sum().add(wc!.sum()).backward();
        yd.mul(gd).sum().add(wd!.sum()).backward();
        const a = await gradsOf([qd, kd, vd, ...md.parameters()]);
        const b = await gradsOf([qc, kc, vc, ...mc.parameters()]);
        a.forEach((g, i) => expect(relErr(g, b[i]!), `batchFirst ${batchFirst}, kv ${String(kv)}: gradient ${i}`).toBeLessThan(1e-4));
      }
    }
  });
});

describe('MultiheadAttention: gradcheck (float64, cpu)', () => {
  const check = async (m: wg.nn.MultiheadAttention, q: Tensor, k: Tensor, v: Tensor, fwd: Parameters<wg.nn.MultiheadAttention['forward']>[3]) => {
    const names = Object.keys(m.stateDict());
    const params = Object.values(m.stateDict()).map((t) => { const c = t.clone(); c.requiresGrad = true; return c; });
    const fn = (...xs: Tensor[]) => {
      const [qq, kk, vv, ...ps] = xs;
      names.forEach((n, i) => {
        const [a, b] = n.split('.');
        if (b) (m as unknown as Record<string, Record<string, Tensor>>)[a!]![b] = ps[i]!;
        else (m as unknown as Record<string, Tensor>)[n] = ps[i]!;
      });
      const [y, w] = m.forward(qq!, kk!, vv!, fwd);
      return w ? [y, w] : [y];
    };
    // The parameters given are those the forward uses: each gets a gradient that is not all 0.
    const outs = fn(q, k, v, ...params);
    const gs = wg.grad(outs.map((o) => o.mul(o).sum()).reduce((a, b) => a.add(b)), params);
    for (let i = 0; i < gs.length; i++) expect(Array.from(await gs[i]!.data()).some((x) => x !== 0), names[i]).toBe(true);
    return wg.gradcheck(fn, [q, k, v, ...params]);
  };
  it('self-attention with a padding mask and a float attnMask, inputs and every parameter', async () => {
    wg.manualSeed(2);
    const m = new nn.MultiheadAttention(4, 2).double();
    reseed(50);
    const x = vals([3, 2, 4], 'float64', 'cpu', true);
    const pad = wg.tensor(Uint8Array.from([0, 0, 1, 0, 1, 1]), { shape: [2, 3] });
    const am = vals([3, 3], 'float64');
    expect(await check(m, x, x, x, { keyPaddingMask: pad, attnMask: am })).toBe(true);
  });
  it('kdim and vdim apart from embedDim, batchFirst, causal, per-head weights', async () => {
    wg.manualSeed(3);
    const m = new nn.MultiheadAttention(4, 2, { kdim: 3, vdim: 2, batchFirst: true }).double();
    reseed(51);
    const q = vals([2, 3, 4], 'float64', 'cpu', true);
    const k = vals([2, 4, 3], 'float64', 'cpu', true);
    const v = vals([2, 4, 2], 'float64', 'cpu', true);
    expect(await check(m, q, k, v, { isCausal: true, averageAttnWeights: false })).toBe(true);
  });
});

const layerOpts = (normFirst: boolean, activation: 'relu' | 'gelu') => ({ dimFeedforward: 10, dropout: 0, activation, normFirst });

describe('TransformerEncoderLayer', () => {
  it("has PyTorch's submodule and parameter names", () => {
    const l = new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8 });
    expect(Object.keys(l.stateDict())).toEqual([
      'self_attn.in_proj_weight', 'self_attn.in_proj_bias', 'self_attn.out_proj.weight', 'self_attn.out_proj.bias',
      'linear1.weight', 'linear1.bias', 'linear2.weight', 'linear2.bias', 'norm1.weight', 'norm1.bias', 'norm2.weight', 'norm2.bias',
    ]);
    expect([...l.namedChildren()].map(([n]) => n)).toEqual(['self_attn', 'linear1', 'dropout', 'linear2', 'norm1', 'norm2', 'dropout1', 'dropout2']);
    expect(l.linear1.weight.shape).toEqual([8, 4]);
  });
  for (const normFirst of [false, true]) {
    it(`${normFirst ? 'pre' : 'post'}-norm equals the composition of its parts`, async () => {
      wg.manualSeed(4);
      const l = new nn.TransformerEncoderLayer(6, 2, layerOpts(normFirst, 'gelu'));
      reseed(60);
      const x = vals([5, 2, 6]);
      const mask = nn.generateSquareSubsequentMask(5);
      const sa = (h: Tensor) => l.self_attn.forward(h, h, h, { attnMask: mask })[0];
      const ff = (h: Tensor) => l.linear2.forward(F.gelu(l.linear1.forward(h)));
      let want: Tensor;
      if (normFirst) {
        const h = x.add(sa(l.norm1.forward(x)));
        want = h.add(ff(l.norm2.forward(h)));
      } else {
        const h = l.norm1.forward(x.add(sa(x)));
        want = l.norm2.forward(h.add(ff(h)));
      }
      await expectClose(l.forward(x, { srcMask: mask }), want, 1e-6);
    });
  }
  it("takes PyTorch's positional arguments (dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, bias)", () => {
    const l = new nn.TransformerEncoderLayer(4, 2, 8, 0, 'gelu', 1e-6, true, true, false);
    expect([l.linear1.weight.shape, l.activation, l.norm1.eps, l.batchFirst, l.normFirst, l.linear1.bias]).toEqual([[8, 4], 'gelu', 1e-6, true, true, null]);
  });
  it('bias = false leaves the biases out of every part', () => {
    const l = new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, bias: false });
    expect(Object.keys(l.stateDict())).toEqual(['self_attn.in_proj_weight', 'self_attn.out_proj.weight', 'linear1.weight', 'linear2.weight', 'norm1.weight', 'norm2.weight']);
  });
  it('dropout is active in training and off in eval', async () => {
    const l = new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, dropout: 0.5 });
    const x = vals([3, 2, 4]);
    const a = Array.from(await l.forward(x).data());
    const b = Array.from(await l.forward(x).data());
    expect(relErr(a, b)).toBeGreaterThan(1e-3);
    l.eval();
    expect(Array.from(await l.forward(x).data())).toEqual(Array.from(await l.forward(x).data()));
  });
});

// webgpu only (webgpu against cpu: nothing to compare without webgpu): skipped only when the run declares no adapter (WEBGRAD_TEST_NO_WEBGPU=1)
describe.skipIf(NO_WEBGPU)('TransformerEncoderLayer on webgpu', () => {
  const device = 'webgpu' as const;
  it('matches cpu (pre- and post-norm, relu and gelu, padding and causal), forward and gradients', async () => {
    for (const [normFirst, act, batchFirst] of [[false, 'relu', false], [true, 'gelu', true]] as const) {
      wg.manualSeed(8);
      const o = { ...layerOpts(normFirst, act), batchFirst };
      const lc = new nn.TransformerEncoderLayer(6, 3, { ...o, device: 'cpu' });
      const ld = await copyTo(lc, new nn.TransformerEncoderLayer(6, 3, { ...o, device }));
      reseed(61);
      const shape = batchFirst ? [2, 5, 6] : [5, 2, 6];
      const [xc, xd] = pair(shape, device);
      xc.requiresGrad = true;
      xd.requiresGrad = true;
      const pad = (d: DeviceName) => wg.tensor(Uint8Array.from([0, 0, 0, 1, 1, 0, 0, 0, 0, 0]), { shape: [2, 5], device: d });
      const yc = lc.forward(xc, { srcKeyPaddingMask: pad('cpu'), isCausal: true });
      const yd = ld.forward(xd, { srcKeyPaddingMask: pad(device), isCausal: true });
      await expectClose(await yd.to('cpu'), yc, 1e-5);
      const [gc, gd] = pair(shape, device);
      yc.mul(gc).sum().backward();
      yd.mul(gd).sum().backward();
      const a = await gradsOf([xd, ...ld.parameters()]);
      const b = await gradsOf([xc, ...lc.parameters()]);
      a.forEach((g, i) => expect(relErr(g, b[i]!), `normFirst ${normFirst}: gradient ${i}`).toBeLessThan(1e-4));
    }
  });
});

describe('TransformerEncoder', () => {
  it('names layers.0..., and norm, as PyTorch', () => {
    const enc = new nn.TransformerEncoder(new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8 }), 2, { norm: new nn.LayerNorm(4) });
    const keys = Object.keys(enc.stateDict());
    expect(keys[0]).toBe('layers.0.self_attn.in_proj_weight');
    expect(keys).toContain('layers.1.norm2.bias');
    expect(keys.slice(-2)).toEqual(['norm.weight', 'norm.bias']);
    expect(keys.length).toBe(2 * 12 + 2);
  });
  it('holds copies of the layer: equal values, separate tensors, the layer given not among them', async () => {
    const layer = new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8 });
    const enc = new nn.TransformerEncoder(layer, 2);
    const w0 = enc.stateDict()['layers.0.linear1.weight']!;
    const w1 = enc.stateDict()['layers.1.linear1.weight']!;
    expect(Array.from(await w0.data())).toEqual(Array.from(await layer.linear1.weight.data()));
    expect(Array.from(await w1.data())).toEqual(Array.from(await w0.data()));
    expect(w0.storage).not.toBe(w1.storage);
    expect(enc.modules()).not.toContain(layer);
  });
  it('copies a layer cast after it was made with its current dtype', () => {
    const enc = new nn.TransformerEncoder(new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8 }).double(), 2);
    expect(new Set(enc.parameters().map((p) => p.dtype))).toEqual(new Set(['float64']));
  });
  it('runs each layer in turn, then norm', async () => {
    const enc = new nn.TransformerEncoder(new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, dropout: 0 }), 2, new nn.LayerNorm(4));
    const x = vals([3, 2, 4]);
    const mask = nn.generateSquareSubsequentMask(3);
    const [l0, l1] = [...enc.layers] as wg.nn.TransformerEncoderLayer[];
    const want = enc.norm!.forward(l1!.forward(l0!.forward(x, { srcMask: mask }), { srcMask: mask }));
    await expectClose(enc.forward(x, { mask }), want, 1e-6);
  });
  it('generateSquareSubsequentMask is 0 on and below the diagonal, -inf above', async () => {
    expect(Array.from(await nn.generateSquareSubsequentMask(3).data())).toEqual([0, -Infinity, -Infinity, 0, 0, -Infinity, 0, 0, 0]);
  });
});
