/**
 * Recurrent layers and cells (src/layers/recurrent.ts) and the fused step kernels
 * (src/kernels/recurrent/): hand-worked single steps, PyTorch-named state dicts, gradcheck in
 * float64 on cpu, variable lengths, and webgpu against cpu.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { cellStep, type CellKind } from '../src/nn/functional/recurrent.js';
import { DEVICES, NO_WEBGPU, relErr, rng, useDevices } from './helpers.js';

const { nn } = wg;
useDevices();

const sig = (v: number) => 1 / (1 + Math.exp(-v));
const randVals = (n: number, scale = 1) => Array.from({ length: n }, () => (rng() * 2 - 1) * scale);
const f32 = (shape: number[], vals: number[], device: DeviceName = 'cpu') => wg.tensor(Float32Array.from(vals), { shape, device });
const f64 = (shape: readonly number[], scale = 1) => wg.tensor(Float64Array.from(randVals(shape.reduce((a, b) => a * b, 1), scale)), { shape: [...shape], requiresGrad: true });
const data = async (t: Tensor) => Array.from(await t.data());
/** Row-vector times the transpose of a row-major [rows, cols] matrix. */
const matVec = (w: number[], rows: number, cols: number, v: number[]) => Array.from({ length: rows }, (_, r) => v.reduce((s, x, c) => s + w[r * cols + c]! * x, 0));
const addv = (...vs: number[][]) => vs[0]!.map((_, i) => vs.reduce((s, v) => s + v[i]!, 0));

type AnyRecurrent = wg.nn.RNN | wg.nn.LSTM | wg.nn.GRU;
/** Runs a layer with an optional initial state, returning output and the final states as a list. */
function runLayer(m: AnyRecurrent, x: Tensor, states: Tensor[] | null, lengths?: number[]): [Tensor, Tensor[]] {
  const opts = lengths ? { lengths } : undefined;
  if (m instanceof nn.LSTM) {
    const [y, [h, c]] = m.forward(x, states ? [states[0]!, states[1]!] : null, opts);
    return [y, [h, c]];
  }
  const [y, h] = (m as wg.nn.GRU).forward(x, states ? states[0]! : null, opts);
  return [y, [h]];
}

/** Replaces a module's parameters (by stateDict order) with `ps`, so gradcheck can vary them. */
function setParams(m: wg.nn.Module, ps: readonly Tensor[]): void {
  const names = [...m.namedParameters()].map(([n]) => n);
  names.forEach((n, i) => m.registerParameter(n, ps[i]!));
}

describe('hand-worked single steps (PyTorch-named state dicts)', () => {
  const I = 2;
  const H = 2;
  const x = [0.5, -1.0];
  const h0 = [0.2, -0.3];
  const c0 = [0.1, 0.4];

  it('nn.LSTM loads weight_ih_l0 ... bias_hh_l0 by name and computes i, f, g, o in that order', async () => {
    const w = { wih: randVals(4 * H * I), whh: randVals(4 * H * H), bih: randVals(4 * H), bhh: randVals(4 * H) };
    const m = new nn.LSTM(I, H);
    const res = m.loadStateDict({
      weight_ih_l0: f32([4 * H, I], w.wih), weight_hh_l0: f32([4 * H, H], w.whh), bias_ih_l0: f32([4 * H], w.bih), bias_hh_l0: f32([4 * H], w.bhh),
    });
    expect(res).toEqual({ missingKeys: [], unexpectedKeys: [] });
    const [y, [hN, cN]] = m.forward(f32([1, 1, I], x), [f32([1, 1, H], h0), f32([1, 1, H], c0)]);
    const pre = addv(matVec(w.wih, 4 * H, I, x), w.bih, matVec(w.whh, 4 * H, H, h0), w.bhh);
    const gate = (k: number) => pre.slice(k * H, (k + 1) * H);
    const i = gate(0).map(sig);
    const f = gate(1).map(sig);
    const g = gate(2).map(Math.tanh);
    const o = gate(3).map(sig);
    const c = c0.map((cp, j) => f[j]! * cp + i[j]! * g[j]!);
    const h = c.map((cj, j) => o[j]! * Math.tanh(cj));
    expect(y.shape).toEqual([1, 1, H]);
    expect(relErr(await data(y), h)).toBeLessThan(1e-6);
    expect(relErr(await data(hN), h)).toBeLessThan(1e-6);
    expect(relErr(await data(cN), c)).toBeLessThan(1e-6);
  });

  it('nn.GRU loads by name and computes r, z, n with n = tanh(W_in x + b_in + r * (W_hn h + b_hn))', async () => {
    const w = { wih: randVals(3 * H * I), whh: randVals(3 * H * H), bih: randVals(3 * H), bhh: randVals(3 * H) };
    const m = new nn.GRU(I, H);
    m.loadStateDict({ weight_ih_l0: f32([3 * H, I], w.wih), weight_hh_l0: f32([3 * H, H], w.whh), bias_ih_l0: f32([3 * H], w.bih), bias_hh_l0: f32([3 * H], w.bhh) });
    const [y, hN] = m.forward(f32([1, 1, I], x), f32([1, 1, H], h0));
    const xi = addv(matVec(w.wih, 3 * H, I, x), w.bih);
    const hh = addv(matVec(w.whh, 3 * H, H, h0), w.bhh);
    const part = (v: number[], k: number) => v.slice(k * H, (k + 1) * H);
    const r = addv(part(xi, 0), part(hh, 0)).map(sig);
    const z = addv(part(xi, 1), part(hh, 1)).map(sig);
    const n = part(xi, 2).map((v, j) => Math.tanh(v + r[j]! * part(hh, 2)[j]!));
    const h = n.map((nj, j) => (1 - z[j]!) * nj + z[j]! * h0[j]!);
    expect(relErr(await data(y), h)).toBeLessThan(1e-6);
    expect(relErr(await data(hN), h)).toBeLessThan(1e-6);
  });

  it("nn.RNN with nonlinearity 'relu' computes relu(W_ih x + b_ih + W_hh h + b_hh)", async () => {
    const w = { wih: randVals(H * I), whh: randVals(H * H), bih: randVals(H), bhh: randVals(H) };
    const m = new nn.RNN(I, H, 1, 'relu');
    m.loadStateDict({ weight_ih_l0: f32([H, I], w.wih), weight_hh_l0: f32([H, H], w.whh), bias_ih_l0: f32([H], w.bih), bias_hh_l0: f32([H], w.bhh) });
    const [y] = m.forward(f32([1, 1, I], x), f32([1, 1, H], h0));
    const h = addv(matVec(w.wih, H, I, x), w.bih, matVec(w.whh, H, H, h0), w.bhh).map((v) => Math.max(0, v));
    expect(relErr(await data(y), h)).toBeLessThan(1e-6);
  });

  it('a 2-layer bidirectional LSTM has PyTorch\'s parameter names and shapes, and a PyTorch-shaped state dict loads strictly', () => {
    const m = new nn.LSTM(3, 5, { numLayers: 2, bidirectional: true });
    const shapes = Object.fromEntries([...m.namedParameters()].map(([n, t]) => [n, t.shape]));
    expect(shapes).toEqual({
      weight_ih_l0: [20, 3], weight_hh_l0: [20, 5], bias_ih_l0: [20], bias_hh_l0: [20],
      weight_ih_l0_reverse: [20, 3], weight_hh_l0_reverse: [20, 5], bias_ih_l0_reverse: [20], bias_hh_l0_reverse: [20],
      weight_ih_l1: [20, 10], weight_hh_l1: [20, 5], bias_ih_l1: [20], bias_hh_l1: [20],
      weight_ih_l1_reverse: [20, 10], weight_hh_l1_reverse: [20, 5], bias_ih_l1_reverse: [20], bias_hh_l1_reverse: [20],
    });
    const state = Object.fromEntries(Object.entries(shapes).map(([n, s]) => [n, wg.randn(s)]));
    expect(m.loadStateDict(state, true)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    const g = new nn.GRU(4, 3, { bias: false });
    expect([...g.namedParameters()].map(([n, t]) => `${n} ${t.shape.join('x')}`)).toEqual(['weight_ih_l0 9x4', 'weight_hh_l0 9x3']);
  });

  it('initialises every weight and bias uniformly in ±1/sqrt(hiddenSize)', async () => {
    const m = new nn.GRU(6, 16, { numLayers: 2 });
    for (const [, p] of m.namedParameters()) {
      const v = await data(p);
      expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(0.25);
      expect(Math.max(...v.map(Math.abs))).toBeGreaterThan(0.2);
    }
  });

  it('cells name their parameters weight_ih, weight_hh, bias_ih, bias_hh, and LSTMCell matches one LSTM step', async () => {
    const cell = new nn.LSTMCell(I, H);
    expect([...cell.namedParameters()].map(([n]) => n)).toEqual(['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh']);
    const layer = new nn.LSTM(I, H);
    layer.loadStateDict(Object.fromEntries([...cell.namedParameters()].map(([n, t]) => [`${n}_l0`, t])));
    const [hc, cc] = cell.forward(f32([1, I], x), [f32([1, H], h0), f32([1, H], c0)]);
    const [, [hl, cl]] = layer.forward(f32([1, 1, I], x), [f32([1, 1, H], h0), f32([1, 1, H], c0)]);
    expect(relErr(await data(hc), await data(hl))).toBeLessThan(1e-7);
    expect(relErr(await data(cc), await data(cl))).toBeLessThan(1e-7);
  });
});

describe('gradcheck (float64, cpu)', () => {
  const B = 2;
  const I = 3;
  const H = 2;
  const cells: [string, () => wg.nn.Module][] = [
    ['RNNCell tanh', () => new nn.RNNCell(I, H, { dtype: 'float64' })],
    ['RNNCell relu', () => new nn.RNNCell(I, H, true, 'relu', { dtype: 'float64' })],
    ['LSTMCell', () => new nn.LSTMCell(I, H, { dtype: 'float64' })],
    ['GRUCell', () => new nn.GRUCell(I, H, { dtype: 'float64' })],
    ['GRUCell without bias', () => new nn.GRUCell(I, H, false, { dtype: 'float64' })],
  ];
  it.each(cells)('%s: input, state and every parameter', async (_, make) => {
    const m = make();
    const lstm = m instanceof nn.LSTMCell;
    const ps = [...m.parameters()].map((p) => f64(p.shape, 0.8));
    const state = lstm ? [f64([B, H]), f64([B, H])] : [f64([B, H])];
    const fn = (xx: Tensor, ...rest: Tensor[]) => {
      const st = rest.slice(0, state.length);
      setParams(m, rest.slice(state.length));
      if (m instanceof nn.LSTMCell) return m.forward(xx, [st[0]!, st[1]!]);
      return (m as wg.nn.GRUCell).forward(xx, st[0]!);
    };
    expect(await wg.gradcheck(fn, [f64([B, I]), ...state, ...ps])).toBe(true);
  });

  const layers: [string, () => AnyRecurrent][] = [
    ['LSTM, 2 layers, bidirectional, batchFirst', () => new nn.LSTM(I, H, { numLayers: 2, bidirectional: true, batchFirst: true, dtype: 'float64' })],
    ['GRU, 2 layers, bidirectional', () => new nn.GRU(I, H, { numLayers: 2, bidirectional: true, dtype: 'float64' })],
    ['RNN tanh, bidirectional', () => new nn.RNN(I, H, { bidirectional: true, dtype: 'float64' })],
    ['RNN relu, 2 layers', () => new nn.RNN(I, H, 2, 'relu', { dtype: 'float64' })],
  ];
  it.each(layers)('%s, with lengths: output and final states against input, initial states and parameters', async (_, make) => {
    const m = make();
    const T = 2;
    const LD = m.numLayers * m.numDirections;
    const nStates = m instanceof nn.LSTM ? 2 : 1;
    const ps = [...m.parameters()].map((p) => f64(p.shape, 0.8));
    const states = Array.from({ length: nStates }, () => f64([LD, B, H]));
    const x = f64(m.batchFirst ? [B, T, I] : [T, B, I]);
    const fn = (xx: Tensor, ...rest: Tensor[]) => {
      setParams(m, rest.slice(nStates));
      const [y, st] = runLayer(m, xx, rest.slice(0, nStates), [2, 1]);
      return [y, ...st];
    };
    expect(await wg.gradcheck(fn, [x, ...states, ...ps])).toBe(true);
  });
});

describe('variable lengths', () => {
  it.each(['lstm', 'gru', 'rnn'])('%s: a row masked by lengths matches that row run alone on its own steps, in both directions', async (kind) => {
    const opts = { numLayers: 2, bidirectional: true };
    const m = kind === 'lstm' ? new nn.LSTM(3, 4, opts) : kind === 'gru' ? new nn.GRU(3, 4, opts) : new nn.RNN(3, 4, opts);
    const T = 5;
    const x = wg.randn([T, 3, 3]);
    const lengths = [5, 2, 4];
    const [y, st] = runLayer(m, x, null, lengths);
    expect(y.shape).toEqual([T, 3, 8]);
    for (let b = 0; b < 3; b++) {
      const len = lengths[b]!;
      const xb = x.narrow(0, 0, len).narrow(1, b, 1);
      const [yb, stb] = runLayer(m, xb, null);
      const rows = await data(y.narrow(1, b, 1));
      expect(relErr(rows.slice(0, len * 8), await data(yb))).toBeLessThan(1e-6);
      // Past the row's end: zeros, as pad_packed_sequence gives.
      expect(rows.slice(len * 8).every((v) => v === 0)).toBe(true);
      for (let k = 0; k < st.length; k++) {
        expect(relErr(await data(st[k]!.narrow(1, b, 1)), await data(stb[k]!))).toBeLessThan(1e-6);
      }
    }
  });

  it('takes lengths as an int32 cpu tensor the same as a number[]', async () => {
    const m = new nn.GRU(2, 3);
    const x = wg.randn([4, 2, 2]);
    const [a] = m.forward(x, null, { lengths: [4, 1] });
    const [b] = m.forward(x, null, { lengths: wg.tensor([4, 1], 'int32') });
    expect(await data(a)).toEqual(await data(b));
  });

  it.skipIf(NO_WEBGPU)('refuses a lengths tensor on webgpu, saying lengths are read on the host', () => {
    const m = new nn.GRU(2, 3, { device: 'webgpu' });
    const x = wg.randn([4, 2, 2], { device: 'webgpu' });
    expect(() => m.forward(x, null, { lengths: wg.tensor([4, 1], { dtype: 'int32', device: 'webgpu' }) })).toThrow('GRU.forward: lengths must be a cpu tensor or a number[]');
  });
});

describe('layouts, states and dropout', () => {
  it('batchFirst takes and gives [batch, seq, feature] and leaves the states [layers * directions, batch, hidden]', async () => {
    const a = new nn.LSTM(3, 4, { bidirectional: true });
    const b = new nn.LSTM(3, 4, { bidirectional: true, batchFirst: true });
    b.loadStateDict(a.stateDict());
    const x = wg.randn([5, 2, 3]);
    const [ya, [ha]] = a.forward(x);
    const [yb, [hb]] = b.forward(x.transpose(0, 1));
    expect(yb.shape).toEqual([2, 5, 8]);
    expect(hb.shape).toEqual([2, 2, 4]);
    expect(relErr(await data(yb.transpose(0, 1).contiguous()), await data(ya))).toBeLessThan(1e-7);
    expect(await data(hb)).toEqual(await data(ha));
  });

  it('an unbatched [seq, feature] input gives [seq, D*hidden] and states [L*D, hidden], as the batch of one', async () => {
    const m = new nn.GRU(3, 4, { numLayers: 2 });
    const x = wg.randn([6, 3]);
    const h0 = wg.randn([2, 4]);
    const [y, h] = m.forward(x, h0);
    const [y1, h1] = m.forward(x.unsqueeze(1), h0.unsqueeze(1));
    expect(y.shape).toEqual([6, 4]);
    expect(h.shape).toEqual([2, 4]);
    expect(await data(y)).toEqual(await data(y1));
    expect(await data(h)).toEqual(await data(h1));
  });

  it('a cell given an unbatched [inputSize] input and state gives [hidden], as the batch of one', async () => {
    const cell = new nn.LSTMCell(3, 4);
    const x = wg.randn([3]);
    const h = wg.randn([4]);
    const c = wg.randn([4]);
    const [h1, c1] = cell.forward(x, [h, c]);
    const [hb, cb] = cell.forward(x.unsqueeze(0), [h.unsqueeze(0), c.unsqueeze(0)]);
    expect(h1.shape).toEqual([4]);
    expect(await data(h1)).toEqual(await data(hb));
    expect(await data(c1)).toEqual(await data(cb));
  });

  it('the final hidden state of the last layer is the last output step (forward direction)', async () => {
    const m = new nn.RNN(2, 3, { numLayers: 3 });
    const [y, h] = m.forward(wg.randn([4, 2, 2]));
    expect(await data(h.select(0, 2))).toEqual(await data(y.select(0, 3)));
  });

  it('dropout applies between layers in training mode only, never after the last layer', async () => {
    const m = new nn.GRU(3, 4, { numLayers: 2, dropout: 1 });
    const x = wg.randn([3, 2, 3]);
    const [yTrain] = m.forward(x);
    // p = 1 zeroes the first layer's output: the second sees zeros, so both rows agree (and are not zero).
    const v = await data(yTrain);
    for (let t = 0; t < 3; t++) expect(v.slice(t * 8, t * 8 + 4)).toEqual(v.slice(t * 8 + 4, t * 8 + 8));
    expect(v.some((e) => e !== 0)).toBe(true);
    m.eval();
    const [yEval] = m.forward(x);
    const e = await data(yEval);
    expect(e.slice(0, 4)).not.toEqual(e.slice(4, 8));
  });
});

/** Gradients of sum(output * r) + sum(state * r) with respect to input, states and parameters. */
async function gradsOf(m: AnyRecurrent, x: Tensor, states: Tensor[], lengths?: number[]): Promise<{ values: number[][]; grads: number[][] }> {
  const [y, st] = runLayer(m, x, states, lengths);
  const weights = (t: Tensor) => wg.tensor(Float32Array.from({ length: t.size }, (_, i) => Math.sin(i + 1)), { shape: t.shape, device: t.device });
  let loss = y.mul(weights(y)).sum();
  for (const s of st) loss = loss.add(s.mul(weights(s)).sum());
  const wrt = [x, ...states, ...m.parameters()];
  const gs = wg.grad([loss], wrt);
  return { values: await Promise.all([y, ...st].map(data)), grads: await Promise.all(gs.map((g) => data(g!))) };
}

describe.each(DEVICES.filter((d) => d !== 'cpu'))('%s against cpu', (device) => {
  type Case = { kind: 'lstm' | 'gru' | 'rnnTanh' | 'rnnRelu'; T: number; B: number; layers: number; bi: boolean; bf: boolean; lengths?: number[] };
  const cases: Case[] = [
    { kind: 'lstm', T: 1, B: 1, layers: 1, bi: false, bf: false },
    { kind: 'lstm', T: 7, B: 3, layers: 2, bi: true, bf: true, lengths: [7, 3, 5] },
    { kind: 'gru', T: 5, B: 4, layers: 1, bi: true, bf: false, lengths: [1, 5, 2, 4] },
    { kind: 'gru', T: 9, B: 2, layers: 2, bi: false, bf: true },
    { kind: 'rnnTanh', T: 4, B: 3, layers: 2, bi: true, bf: false },
    { kind: 'rnnRelu', T: 6, B: 2, layers: 1, bi: true, bf: true, lengths: [6, 3] },
  ];
  it.each(cases)('$kind T=$T B=$B layers=$layers bidirectional=$bi batchFirst=$bf lengths=$lengths: outputs, states and gradients', async (c) => {
    const I = 5;
    const H = 7;
    const opts = { numLayers: c.layers, bidirectional: c.bi, batchFirst: c.bf };
    const make = () =>
      c.kind === 'lstm' ? new nn.LSTM(I, H, opts) : c.kind === 'gru' ? new nn.GRU(I, H, opts) : new nn.RNN(I, H, { ...opts, nonlinearity: c.kind === 'rnnTanh' ? 'tanh' : 'relu' });
    const ref = make();
    const dev = make();
    dev.loadStateDict(ref.stateDict());
    await dev.to(device);
    const LD = c.layers * (c.bi ? 2 : 1);
    const xs = wg.randn(c.bf ? [c.B, c.T, I] : [c.T, c.B, I]);
    const ss = Array.from({ length: c.kind === 'lstm' ? 2 : 1 }, () => wg.randn([LD, c.B, H]));
    const leaf = async (t: Tensor, d: DeviceName) => {
      const r = d === 'cpu' ? t.clone() : await t.to(d);
      r.requiresGrad = true;
      return r;
    };
    const a = await gradsOf(ref, await leaf(xs, 'cpu'), await Promise.all(ss.map((s) => leaf(s, 'cpu'))), c.lengths);
    const b = await gradsOf(dev, await leaf(xs, device), await Promise.all(ss.map((s) => leaf(s, device))), c.lengths);
    a.values.forEach((v, i) => expect(relErr(b.values[i]!, v), `value ${i}`).toBeLessThan(1e-5));
    a.grads.forEach((g, i) => expect(relErr(b.grads[i]!, g), `gradient ${i}`).toBeLessThan(1e-4));
  });

  const kinds: CellKind[] = ['rnnTanh', 'rnnRelu', 'lstm', 'gru'];
  it.each(kinds)('the fused %s step and its backward on odd sizes, offset views, a mask, with and without bias', async (cell) => {
    const G = { rnnTanh: 1, rnnRelu: 1, lstm: 4, gru: 3 }[cell];
    for (const [B, H, withBias, withMask] of [[5, 37, true, true], [1, 3, false, false], [3, 129, true, false]] as const) {
      // xg is a step's slice of a [3, B, G*H] projection: an offset view.
      const host = {
        xp: wg.randn([3, B, G * H]), hg: wg.randn([B, G * H]), bias: wg.randn([G * H]), h: wg.randn([B, H]), c: wg.randn([B, H]),
        mask: wg.tensor(Float32Array.from({ length: B }, (_, i) => (i % 2 === 0 ? 1 : 0)), { shape: [B] }), g: wg.randn(cell === 'lstm' ? [2, B, H] : [B, H]),
      };
      const run = async (d: DeviceName) => {
        const t = Object.fromEntries(await Promise.all(Object.entries(host).map(async ([k, v]) => {
          const r = d === 'cpu' ? v.clone() : await v.to(d);
          if (k !== 'mask' && k !== 'g') r.requiresGrad = true;
          return [k, r] as const;
        }))) as Record<keyof typeof host, Tensor>;
        const out = cellStep(cell, t.xp.select(0, 1), t.hg, withBias ? t.bias : null, t.h, cell === 'lstm' ? t.c : null, withMask ? t.mask : null);
        const wrt = [t.xp, t.hg, ...(withBias ? [t.bias] : []), t.h, ...(cell === 'lstm' ? [t.c] : [])];
        const gs = wg.grad([out], wrt, { gradOutputs: [t.g], allowUnused: true });
        return [await data(out), ...(await Promise.all(gs.map((g) => (g ? data(g) : Promise.resolve([])))))];
      };
      const [ref, got] = [await run('cpu'), await run(device)];
      ref.forEach((v, i) => expect(relErr(got[i]!, v), `B=${B} H=${H} result ${i}`).toBeLessThan(1e-5));
    }
  });
});

describe('the fused step', () => {
  it('refuses second derivatives through it, by name', async () => {
    const cell = new nn.GRUCell(2, 2, { dtype: 'float64' });
    const x = f64([1, 2]);
    const h = cell.forward(x);
    expect(() => wg.grad([h.sum()], [x], { createGraph: true })).toThrow('gruCellStep: second derivatives (createGraph: true) through the fused recurrent step are not supported');
  });
});
