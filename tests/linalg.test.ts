/**
 * webgrad.linalg: eigh, svd and svdvals against matrices worked by hand, reconstruction and
 * orthogonality on random matrices of odd sizes, rank-deficient and batched inputs, the
 * gradients (gradcheck in float64), and webgpu tensors (read to the host and put back) against cpu.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { DEVICES, NO_WEBGPU, expectClose, rng, useDevices } from './helpers.js';

useDevices();
const { linalg } = wg;

/** A random float64 cpu tensor (uniform in [-1, 1)), from the tests' host generator. */
function rand64(shape: number[], requiresGrad = false): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const t = wg.tensor(Float64Array.from({ length: n }, () => 2 * rng() - 1), { shape, dtype: 'float64' });
  if (requiresGrad) t.requiresGrad = true;
  return t;
}
const sym = (a: Tensor) => a.add(a.transpose(-2, -1));
const mT = (a: Tensor) => a.transpose(-2, -1);
/** max |a - b| over all elements. */
async function maxDiff(a: Tensor, b: Tensor): Promise<number> {
  expect(a.shape).toEqual(b.shape);
  return (await a.sub(b).abs().max().item());
}
const eyeLike = (n: number, batch: number[] = []) => wg.eye(n, { dtype: 'float64' }).expand([...batch, n, n]);

describe('linalg.eigh', () => {
  it('gives the eigenvalues 1 and 3 and the eigenvectors (1, -1)/sqrt 2 and (1, 1)/sqrt 2 of [[2, 1], [1, 2]]', async () => {
    const [L, V] = linalg.eigh(wg.tensor([[2, 1], [1, 2]]));
    const r = Math.SQRT1_2;
    await expectClose(L, wg.tensor([1, 3]), 1e-6);
    await expectClose(V, wg.tensor([[r, r], [-r, r]]), 1e-6);
  });

  it('sorts the eigenvalues of a diagonal matrix ascending and permutes the unit vectors with them', async () => {
    const { eigenvalues, eigenvectors } = linalg.eigh(wg.tensor([[3, 0, 0], [0, -1, 0], [0, 0, 2]]));
    await expectClose(eigenvalues, wg.tensor([-1, 2, 3]));
    await expectClose(eigenvectors, wg.tensor([[0, 0, 1], [1, 0, 0], [0, 1, 0]]));
  });

  it('reads only the lower triangle by default and only the upper one with UPLO U', async () => {
    const lower = wg.tensor([[4, 99], [1, 3]]);
    const upper = wg.tensor([[4, 1], [99, 3]]);
    const ref = linalg.eigh(wg.tensor([[4, 1], [1, 3]]));
    await expectClose(linalg.eigh(lower)[0], ref[0]);
    await expectClose(linalg.eigh(upper, { UPLO: 'U' })[0], ref[0]);
    await expectClose(linalg.eigh(upper, { UPLO: 'U' })[1], ref[1]);
  });

  it('reconstructs random symmetric matrices of odd sizes as V diag(L) V^T with orthonormal V (float64, to 1e-12)', async () => {
    for (const n of [1, 3, 7, 13]) {
      const A = sym(rand64([n, n]));
      const [L, V] = linalg.eigh(A);
      expect(L.dtype).toBe('float64');
      expect(await maxDiff(V.mul(L.unsqueeze(-2)).matmul(mT(V)), A)).toBeLessThan(1e-12);
      expect(await maxDiff(mT(V).matmul(V), eyeLike(n))).toBeLessThan(1e-12);
      const l = Array.from(await L.data());
      for (let i = 1; i < n; i++) expect(l[i]).toBeGreaterThanOrEqual(l[i - 1]!);
    }
  });

  it('decomposes a batch [2, 3, 5, 5] matrix by matrix', async () => {
    const A = sym(rand64([2, 3, 5, 5]));
    const [L, V] = linalg.eigh(A);
    expect(L.shape).toEqual([2, 3, 5]);
    expect(V.shape).toEqual([2, 3, 5, 5]);
    expect(await maxDiff(V.mul(L.unsqueeze(-2)).matmul(mT(V)), A)).toBeLessThan(1e-12);
    const [L1] = linalg.eigh(A.select(0, 1).select(0, 2).contiguous());
    await expectClose(L.select(0, 1).select(0, 2), L1, 1e-14);
  });

  it('finds the repeated zero eigenvalues of a rank-1 matrix x x^T', async () => {
    const x = rand64([6, 1]);
    const [L, V] = linalg.eigh(x.matmul(mT(x)));
    const l = Array.from(await L.data());
    const xx = Array.from(await x.data()).reduce((a, b) => a + b * b, 0);
    for (let i = 0; i < 5; i++) expect(Math.abs(l[i]!)).toBeLessThan(1e-14);
    expect(l[5]).toBeCloseTo(xx, 12);
    expect(await maxDiff(mT(V).matmul(V), eyeLike(6))).toBeLessThan(1e-12);
  });

  it('keeps float32 in float32 (computing in float64 inside)', async () => {
    const [L, V] = linalg.eigh(wg.tensor([[2, 1], [1, 2]]));
    expect(L.dtype).toBe('float32');
    expect(V.dtype).toBe('float32');
  });

  it('passes gradcheck in float64 for both outputs on a matrix with distinct eigenvalues', async () => {
    const A = rand64([4, 4], true);
    expect(await wg.gradcheck((a) => { const [L, V] = linalg.eigh(sym(a)); return [L, V]; }, [A])).toBe(true);
  });

  it('passes gradcheck in float64 for a batch, through the eigenvalues alone', async () => {
    const A = rand64([2, 3, 3], true);
    expect(await wg.gradcheck((a) => linalg.eigh(sym(a))[0], [A])).toBe(true);
  });

  it('gives the gradient of the eigenvalues alone even where they repeat (the identity): V diag(gL) V^T', async () => {
    const A = wg.eye(3, { dtype: 'float64' });
    A.requiresGrad = true;
    linalg.eigh(A)[0].mul(wg.tensor([1, 2, 3], 'float64')).sum().backward();
    const g = Array.from(await A.grad!.data());
    expect(g.every(Number.isFinite)).toBe(true);
    const trace = g[0]! + g[4]! + g[8]!;
    expect(trace).toBeCloseTo(6, 12);
  });

  it('refuses a webgpu tensor synchronously and names eighAsync', () => {
    if (NO_WEBGPU) return;
    expect(() => linalg.eigh(wg.eye(2, { device: 'webgpu' }))).toThrow('use await linalg.eighAsync(A)');
  });
});

describe('linalg.svd', () => {
  it('gives the singular values 3 sqrt 5 and sqrt 5 of [[3, 0], [4, 5]] (A^T A = [[25, 20], [20, 25]])', async () => {
    const [U, S, Vh] = linalg.svd(wg.tensor([[3, 0], [4, 5]], 'float64'));
    await expectClose(S, wg.tensor([3 * Math.sqrt(5), Math.sqrt(5)], 'float64'), 1e-14);
    const r = Math.SQRT1_2;
    // V's columns are the eigenvectors of A^T A, (1, 1)/sqrt 2 for 45 and (1, -1)/sqrt 2 for 5;
    // u_i = A v_i / s_i: (3, 9)/(sqrt 2 3 sqrt 5) = (1, 3)/sqrt 10 and (3, -1)/(sqrt 2 sqrt 5) = (3, -1)/sqrt 10.
    await expectClose(Vh, wg.tensor([[r, r], [r, -r]], 'float64'), 1e-14);
    await expectClose(U, wg.tensor([[1, 3], [3, -1]], 'float64').div(Math.sqrt(10)), 1e-14);
  });

  it('gives the shapes of PyTorch: full U [.., m, m] and Vh [.., n, n], reduced [.., m, k] and [.., k, n]', () => {
    const A = rand64([2, 5, 3]);
    const full = linalg.svd(A);
    expect([full.U.shape, full.S.shape, full.Vh.shape]).toEqual([[2, 5, 5], [2, 3], [2, 3, 3]]);
    const red = linalg.svd(A, { fullMatrices: false });
    expect([red.U.shape, red.S.shape, red.Vh.shape]).toEqual([[2, 5, 3], [2, 3], [2, 3, 3]]);
    const wide = linalg.svd(rand64([3, 7]));
    expect([wide.U.shape, wide.S.shape, wide.Vh.shape]).toEqual([[3, 3], [3], [7, 7]]);
  });

  it('gives the shapes of PyTorch for empty inputs: svd of 2 x 0 has U = I_2, eigh of an empty batch is empty', async () => {
    const [U, S, Vh] = linalg.svd(wg.zeros([2, 0]));
    expect([U.shape, S.shape, Vh.shape]).toEqual([[2, 2], [0], [0, 0]]);
    expect(await U.toArray()).toEqual([[1, 0], [0, 1]]);
    const [L, V] = linalg.eigh(wg.zeros([0, 3, 3]));
    expect([L.shape, V.shape]).toEqual([[0, 3], [0, 3, 3]]);
  });

  for (const [m, n] of [[5, 5], [7, 3], [3, 7], [1, 4], [9, 1]] as const) {
    it(`reconstructs a random ${m} x ${n} matrix with orthonormal full U and Vh and descending S`, async () => {
      const A = rand64([m, n]);
      const [U, S, Vh] = linalg.svd(A);
      const k = Math.min(m, n);
      const Uk = U.narrow(-1, 0, k);
      const Vhk = Vh.narrow(-2, 0, k);
      expect(await maxDiff(Uk.mul(S.unsqueeze(-2)).matmul(Vhk), A)).toBeLessThan(1e-12);
      expect(await maxDiff(mT(U).matmul(U), eyeLike(m))).toBeLessThan(1e-12);
      expect(await maxDiff(Vh.matmul(mT(Vh)), eyeLike(n))).toBeLessThan(1e-12);
      const s = Array.from(await S.data());
      for (let i = 1; i < k; i++) expect(s[i]).toBeLessThanOrEqual(s[i - 1]!);
      expect(s[k - 1]).toBeGreaterThanOrEqual(0);
    });
  }

  it('handles a rank-deficient 6 x 4 matrix of rank 2: two zero singular values, U still orthonormal', async () => {
    const A = rand64([6, 2]).matmul(rand64([2, 4]));
    const [U, S, Vh] = linalg.svd(A);
    const s = Array.from(await S.data());
    expect(s[1]).toBeGreaterThan(1e-3);
    expect(Math.abs(s[2]!)).toBeLessThan(1e-14);
    expect(Math.abs(s[3]!)).toBeLessThan(1e-14);
    expect(await maxDiff(mT(U).matmul(U), eyeLike(6))).toBeLessThan(1e-12);
    expect(await maxDiff(U.narrow(-1, 0, 4).mul(S.unsqueeze(-2)).matmul(Vh), A)).toBeLessThan(1e-12);
  });

  it('gives S = [5, 0] for [[1, 2], [2, 4]] and the zero matrix S = 0 with U and Vh orthonormal', async () => {
    await expectClose(linalg.svdvals(wg.tensor([[1, 2], [2, 4]], 'float64')), wg.tensor([5, 0], 'float64'), 1e-14);
    const [U, S, Vh] = linalg.svd(wg.zeros([3, 2], { dtype: 'float64' }));
    expect(Array.from(await S.data())).toEqual([0, 0]);
    expect(await maxDiff(mT(U).matmul(U), eyeLike(3))).toBeLessThan(1e-14);
    expect(await maxDiff(Vh.matmul(mT(Vh)), eyeLike(2))).toBeLessThan(1e-14);
  });

  it('decomposes a batch [3, 2, 4, 5] matrix by matrix', async () => {
    const A = rand64([3, 2, 4, 5]);
    const [U, S, Vh] = linalg.svd(A, { fullMatrices: false });
    expect(await maxDiff(U.mul(S.unsqueeze(-2)).matmul(Vh), A)).toBeLessThan(1e-12);
    await expectClose(linalg.svdvals(A), S, 1e-14);
  });

  it('svdvals equals the square roots of the eigenvalues of A^T A', async () => {
    const A = rand64([6, 4]);
    const [L] = linalg.eigh(mT(A).matmul(A));
    const s = Array.from(await linalg.svdvals(A).data());
    const l = Array.from(await L.data()).reverse().map(Math.sqrt);
    for (let i = 0; i < 4; i++) expect(s[i]).toBeCloseTo(l[i]!, 10);
  });

  for (const [m, n] of [[3, 3], [4, 3], [3, 4]] as const) {
    it(`passes gradcheck in float64 for U, S and Vh of the reduced SVD of a ${m} x ${n} matrix`, async () => {
      const A = rand64([m, n], true);
      expect(await wg.gradcheck((a) => { const [U, S, Vh] = linalg.svd(a, { fullMatrices: false }); return [U, S, Vh]; }, [A])).toBe(true);
    });
  }

  it('passes gradcheck in float64 for svdvals of a batch', async () => {
    expect(await wg.gradcheck((a) => linalg.svdvals(a), [rand64([2, 4, 3], true)])).toBe(true);
  });

  it('refuses to record a full SVD of a non-square matrix (its extra columns are not unique) and says to use fullMatrices false', () => {
    expect(() => linalg.svd(rand64([4, 3], true))).toThrow('linalg.svd: the gradient with fullMatrices: true is not defined for a non-square A (4 x 3');
  });

  it('records a full SVD of a square matrix (it is the reduced one)', async () => {
    expect(await wg.gradcheck((a) => linalg.svd(a)[2], [rand64([3, 3], true)])).toBe(true);
  });
});

describe('linalg memory', () => {
  it('leaves no tensor behind once the factors are disposed (eigh, svd, svdvals, and a backward through eigh)', async () => {
    const A = sym(rand64([4, 4]));
    const before = wg.memory().tensors;
    for (const t of linalg.eigh(A)) t.dispose();
    for (const t of linalg.svd(A)) t.dispose();
    linalg.svdvals(A).dispose();
    expect(wg.memory().tensors).toBeLessThanOrEqual(before);
    const B = rand64([3, 3], true);
    const [L, V] = linalg.eigh(B);
    const loss = wg.tidy(() => L.sum().add(V.sum()));
    loss.backward();
    for (const t of [L, V, loss, B.grad!]) t.dispose();
    B.grad = null;
    B.dispose();
    expect(wg.memory().tensors).toBeLessThanOrEqual(before);
  });
});

describe.each(DEVICES)('linalg on %s tensors (the async forms)', (device: DeviceName) => {
  it('eighAsync agrees with cpu eigh and puts the factors on the device', async () => {
    const A = sym(wg.tensor(Float32Array.from({ length: 25 }, () => 2 * rng() - 1), { shape: [5, 5] }));
    const [L, V] = await linalg.eighAsync(await A.to(device));
    expect(L.device).toBe(device);
    expect(V.device).toBe(device);
    const [Lc, Vc] = linalg.eigh(A);
    await expectClose(await L.to('cpu'), Lc, 1e-6);
    await expectClose(await V.to('cpu'), Vc, 1e-6);
  });

  it('svdAsync and svdvalsAsync agree with cpu on a batch of 2 x 5 x 3', async () => {
    const A = wg.tensor(Float32Array.from({ length: 30 }, () => 2 * rng() - 1), { shape: [2, 5, 3] });
    const [U, S, Vh] = await linalg.svdAsync(await A.to(device), { fullMatrices: false });
    expect([U.device, S.device, Vh.device]).toEqual([device, device, device]);
    const ref = linalg.svd(A, { fullMatrices: false });
    await expectClose(await U.to('cpu'), ref.U, 1e-6);
    await expectClose(await S.to('cpu'), ref.S, 1e-6);
    await expectClose(await Vh.to('cpu'), ref.Vh, 1e-6);
    await expectClose(await (await linalg.svdvalsAsync(await A.to(device))).to('cpu'), ref.S, 1e-6);
  });

  it('the gradient through eighAsync reaches A on the device and matches cpu', async () => {
    const vals = Float32Array.from({ length: 9 }, () => 2 * rng() - 1);
    const grads: Float32Array[] = [];
    for (const d of ['cpu', device] as const) {
      const A = wg.tensor(vals, { shape: [3, 3], device: d, requiresGrad: true });
      const [L, V] = await linalg.eighAsync(sym(A));
      L.square().sum().add(V.select(1, 2).sum()).backward();
      expect(A.grad!.device).toBe(d);
      grads.push((await A.grad!.data()) as Float32Array);
    }
    for (let i = 0; i < 9; i++) expect(grads[1]![i]).toBeCloseTo(grads[0]![i]!, 4);
  });
});
