/**
 * matmul: PyTorch's rules (1-D operands, broadcast batch dims), sizes that are not multiples of
 * the webgpu kernel's 64 x 64 x 16 tiles, strided operands used in place, int32 exactness,
 * empty dims and shape errors. Random cases are checked against a naive float64 product written
 * here and, on webgpu, against cpu.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import type { WebGPUBackend } from '../src/kernels/webgpu/index.js';
import { DEVICES, expectClose, expectEqual, pair, reseed, useDevices } from './helpers.js';

useDevices();

const TOL = 1e-4;

async function values(t: Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

/**
 * Naive float64 matmul of row-major operands with at least 2 dims each, batch dims broadcast
 * as in NumPy. Returns the result's shape and values.
 */
function hostMatmul(a: ArrayLike<number>, aShape: number[], b: ArrayLike<number>, bShape: number[]): { shape: number[]; vals: number[] } {
  const [M, K] = aShape.slice(-2) as [number, number];
  const [K2, N] = bShape.slice(-2) as [number, number];
  if (K !== K2) throw new Error('hostMatmul: inner dims differ');
  const aB = aShape.slice(0, -2);
  const bB = bShape.slice(0, -2);
  const rank = Math.max(aB.length, bB.length);
  const pa = [...new Array<number>(rank - aB.length).fill(1), ...aB];
  const pb = [...new Array<number>(rank - bB.length).fill(1), ...bB];
  const batch = pa.map((d, i) => Math.max(d, pb[i]!));
  const nBatch = batch.reduce((x, y) => x * y, 1);
  const vals: number[] = [];
  for (let z = 0; z < nBatch; z++) {
    // Batch coordinates of z, then each operand's batch offset (size-1 dims broadcast).
    let rem = z;
    let ao = 0;
    let bo = 0;
    let aStride = M * K;
    let bStride = K * N;
    const coords = new Array<number>(rank);
    for (let d = rank - 1; d >= 0; d--) {
      coords[d] = rem % batch[d]!;
      rem = Math.floor(rem / batch[d]!);
    }
    for (let d = rank - 1; d >= 0; d--) {
      ao += (pa[d] === 1 ? 0 : coords[d]!) * aStride;
      bo += (pb[d] === 1 ? 0 : coords[d]!) * bStride;
      aStride *= pa[d]!;
      bStride *= pb[d]!;
    }
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[ao + m * K + k]! * b[bo + k * N + n]!;
        vals.push(s);
      }
    }
  }
  return { shape: [...batch, M, N], vals };
}

/**
 * Checks a.matmul(b) on `device` against the host product and, on webgpu, against cpu.
 * `view` turns the random base operands into the (possibly strided) operands; `expectShape`
 * is the result's shape, and `promote` maps the host result's 2-D-ified shape back to it.
 */
async function checkMatmul(
  device: DeviceName,
  aBase: number[],
  bBase: number[],
  opts: { aView?: (t: Tensor) => Tensor; bView?: (t: Tensor) => Tensor; expectShape: number[]; seed: number },
): Promise<void> {
  reseed(opts.seed);
  const [ca, a0] = pair(aBase, device);
  const [cb, b0] = pair(bBase, device);
  const a = opts.aView ? opts.aView(a0) : a0;
  const b = opts.bView ? opts.bView(b0) : b0;
  const cpuA = opts.aView ? opts.aView(ca) : ca;
  const cpuB = opts.bView ? opts.bView(cb) : cb;
  const out = a.matmul(b);
  expect(out.shape).toEqual(opts.expectShape);
  // The host product of the operands with 1-D ones made 2-D; its values are in the same order.
  const aShape = cpuA.ndim === 1 ? [1, cpuA.shape[0]!] : [...cpuA.shape];
  const bShape = cpuB.ndim === 1 ? [cpuB.shape[0]!, 1] : [...cpuB.shape];
  const host = hostMatmul(await cpuA.data(), aShape, await cpuB.data(), bShape);
  await expectClose(out, wg.tensor(Float32Array.from(host.vals), { shape: opts.expectShape, device: 'cpu' }), TOL);
  if (device !== 'cpu') await expectClose(out, cpuA.matmul(cpuB), TOL);
}

describe.each(DEVICES)('matmul on %s: hand-checked values', (device) => {
  it('a 2x3 @ 3x2 product', async () => {
    const a = wg.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float32', device });
    const b = wg.tensor([[7, 8], [9, 10], [11, 12]], { dtype: 'float32', device });
    const c = a.matmul(b);
    expect(c.shape).toEqual([2, 2]);
    expect(c.dtype).toBe('float32');
    expect(await c.toArray()).toEqual([[58, 64], [139, 154]]);
  });

  it('the functional form wg.matmul equals the method', async () => {
    const a = wg.tensor([[1, 2], [3, 4]], { dtype: 'float32', device });
    expect(await wg.matmul(a, a).toArray()).toEqual([[7, 10], [15, 22]]);
  });

  it('1-D @ 1-D is a dot product: a 0-d tensor', async () => {
    const d = wg.tensor([1, 2, 3], { dtype: 'float32', device }).matmul(wg.tensor([4, -5, 6], { dtype: 'float32', device }));
    expect(d.shape).toEqual([]);
    expect(await d.item()).toBe(12);
  });

  it('2-D @ 1-D is a matrix-vector product (the vector dim is dropped)', async () => {
    const a = wg.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float32', device });
    const v = wg.tensor([1, 0, -1], { dtype: 'float32', device });
    const y = a.matmul(v);
    expect(y.shape).toEqual([2]);
    expect(await values(y)).toEqual([-2, -2]);
  });

  it('1-D @ 2-D is a vector-matrix product (the vector dim is dropped)', async () => {
    const v = wg.tensor([1, -1], { dtype: 'float32', device });
    const b = wg.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float32', device });
    const y = v.matmul(b);
    expect(y.shape).toEqual([3]);
    expect(await values(y)).toEqual([-3, -3, -3]);
  });

  it('int32 @ int32 is int32 and exact beyond float32 precision', async () => {
    // 4097² = 16785409 is odd and above 2^24: float32 cannot hold it.
    const a = wg.tensor([[4097, 1]], { dtype: 'int32', device });
    const b = wg.tensor([[4097], [0]], { dtype: 'int32', device });
    const c = a.matmul(b);
    expect(c.dtype).toBe('int32');
    expect(await c.item()).toBe(16785409);
  });

  it('int32 @ float32 promotes to float32', async () => {
    const a = wg.tensor([[1, 2]], { dtype: 'int32', device });
    const b = wg.tensor([[0.5], [0.25]], { dtype: 'float32', device });
    const c = a.matmul(b);
    expect(c.dtype).toBe('float32');
    expect(await c.item()).toBe(1);
  });

  it('a transposed operand is read in place: a @ a.T', async () => {
    const a = wg.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float32', device });
    expect(await a.matmul(a.T).toArray()).toEqual([[14, 32], [32, 77]]);
    expect(await a.T.matmul(a).toArray()).toEqual([[17, 22, 27], [22, 29, 36], [27, 36, 45]]);
  });
});

describe.each(DEVICES)('matmul on %s: random operands against a float64 reference', (device) => {
  const SIZES: [number, number, number][] = [
    [1, 1, 1],
    [3, 5, 7],
    [17, 65, 33],
    [65, 1, 129],
    [64, 64, 64],
    [130, 70, 200],
    [1, 300, 1],
    [200, 17, 3],
  ];
  it.each(SIZES)('2-D: M=%i, K=%i, N=%i (not multiples of the 64 x 64 x 16 tiles)', async (M, K, N) => {
    await checkMatmul(device, [M, K], [K, N], { expectShape: [M, N], seed: M * 1000 + K * 10 + N });
  });

  it('1-D @ 1-D of length 1000 (dot product)', async () => {
    await checkMatmul(device, [1000], [1000], { expectShape: [], seed: 1 });
  });

  it('2-D @ 1-D: [65, 33] @ [33]', async () => {
    await checkMatmul(device, [65, 33], [33], { expectShape: [65], seed: 2 });
  });

  it('1-D @ 2-D: [33] @ [33, 70]', async () => {
    await checkMatmul(device, [33], [33, 70], { expectShape: [70], seed: 3 });
  });

  it('batched 3-D: [4, 17, 33] @ [4, 33, 9]', async () => {
    await checkMatmul(device, [4, 17, 33], [4, 33, 9], { expectShape: [4, 17, 9], seed: 4 });
  });

  it('3-D @ 2-D broadcasts the matrix over the batch: [3, 17, 33] @ [33, 65]', async () => {
    await checkMatmul(device, [3, 17, 33], [33, 65], { expectShape: [3, 17, 65], seed: 5 });
  });

  it('2-D @ 3-D broadcasts the matrix over the batch: [5, 7] @ [3, 7, 2]', async () => {
    await checkMatmul(device, [5, 7], [3, 7, 2], { expectShape: [3, 5, 2], seed: 6 });
  });

  it('3-D @ 1-D: [3, 5, 7] @ [7] -> [3, 5]', async () => {
    await checkMatmul(device, [3, 5, 7], [7], { expectShape: [3, 5], seed: 7 });
  });

  it('1-D @ 3-D: [7] @ [3, 7, 5] -> [3, 5]', async () => {
    await checkMatmul(device, [7], [3, 7, 5], { expectShape: [3, 5], seed: 8 });
  });

  it('batch dims broadcast: [2, 1, 4, 5] @ [3, 5, 6] -> [2, 3, 4, 6]', async () => {
    await checkMatmul(device, [2, 1, 4, 5], [3, 5, 6], { expectShape: [2, 3, 4, 6], seed: 9 });
  });

  it('batch dims broadcast both ways: [2, 1, 3, 4] @ [1, 5, 4, 2] -> [2, 5, 3, 2]', async () => {
    await checkMatmul(device, [2, 1, 3, 4], [1, 5, 4, 2], { expectShape: [2, 5, 3, 2], seed: 10 });
  });

  it('transposed operands: [70, 65].T @ [33, 70].T', async () => {
    await checkMatmul(device, [70, 65], [33, 70], { aView: (t) => t.T, bView: (t) => t.T, expectShape: [65, 33], seed: 11 });
  });

  it('sliced operands with steps: [40, 90][1::2, ::3] @ [60, 20][::2, 3:]', async () => {
    await checkMatmul(device, [40, 90], [60, 20], {
      aView: (t) => t.slice([1, null, 2], [null, null, 3]),
      bView: (t) => t.slice([null, null, 2], [3, null]),
      expectShape: [20, 17],
      seed: 12,
    });
  });

  it('a narrowed operand with an offset: [100, 50].narrow(0, 7, 65) @ [50, 3]', async () => {
    await checkMatmul(device, [100, 50], [50, 3], { aView: (t) => t.narrow(0, 7, 65), expectShape: [65, 3], seed: 13 });
  });

  it('batched transposed operands: [4, 33, 17].transpose(1, 2) @ [4, 9, 33].transpose(-1, -2)', async () => {
    await checkMatmul(device, [4, 33, 17], [4, 9, 33], {
      aView: (t) => t.transpose(1, 2),
      bView: (t) => t.transpose(-1, -2),
      expectShape: [4, 17, 9],
      seed: 14,
    });
  });

  it('a batch-permuted operand: [5, 3, 7].permute(1, 0, 2) @ [3, 7, 4]', async () => {
    await checkMatmul(device, [5, 3, 7], [3, 7, 4], { aView: (t) => t.permute(1, 0, 2), expectShape: [3, 5, 4], seed: 15 });
  });

  it('an expanded operand: [1, 7].expand([65, 7]) @ [7, 9]', async () => {
    await checkMatmul(device, [1, 7], [7, 9], { aView: (t) => t.expand([65, 7]), expectShape: [65, 9], seed: 16 });
  });

  it('a strided 1-D operand: [7, 5] @ [20][::3]', async () => {
    await checkMatmul(device, [5, 7], [20], { bView: (t) => t.slice([null, null, 3]), expectShape: [5], seed: 17 });
  });

  // 70,000 batch matrices: the fewest past maxComputeWorkgroupsPerDimension (65,535) with some
  // margin; a workgroup per matrix whatever its size, so it cannot be made cheaper. Time: 41 s
  // alone (--maxWorkers=1) on the 2-core machine at load average ~12; the timeout is 4x that.
  it('more than 65535 batch matrices (the batch grid is split)', async () => {
    await checkMatmul(device, [70000, 1, 2], [70000, 2, 1], { expectShape: [70000, 1, 1], seed: 18 });
  }, 180_000);

  // llvmpipe ends a shader invocation's loops silently after 65535 iterations in all; the webgpu
  // kernel walks K in steps of 16, so a long K is split into slabs added into the result.
  it('a long K (70,001) past a single kernel loop: [2, 70001] @ [70001, 3]', async () => {
    await checkMatmul(device, [2, 70001], [70001, 3], { expectShape: [2, 3], seed: 20 });
  });

  it('a long K with transposed, batched operands: [2, 5000, 3].transpose(1, 2) @ [2, 4, 5000].transpose(1, 2)', async () => {
    await checkMatmul(device, [2, 5000, 3], [2, 4, 5000], {
      aView: (t) => t.transpose(1, 2),
      bView: (t) => t.transpose(1, 2),
      expectShape: [2, 3, 4],
      seed: 21,
    });
  });

  it('ones([2, 100000]) @ ones([100000, 3]) is 100000 everywhere', async () => {
    const c = wg.ones([2, 100000], { device }).matmul(wg.ones([100000, 3], { device }));
    expect(await values(c)).toEqual(new Array(6).fill(100000));
  });

  it('int32 operands give exact int32 products', async () => {
    reseed(19);
    const [ca, a] = pair([17, 65], device, { dtype: 'int32', low: -50, high: 50 });
    const [cb, b] = pair([65, 33], device, { dtype: 'int32', low: -50, high: 50 });
    const host = hostMatmul(await ca.data(), [17, 65], await cb.data(), [65, 33]);
    const expected = wg.tensor(Int32Array.from(host.vals), { shape: [17, 33], device: 'cpu' });
    await expectEqual(a.matmul(b), expected);
    await expectEqual(a.T.T.matmul(b.T.contiguous().T), expected);
    if (device !== 'cpu') await expectEqual(a.matmul(b), ca.matmul(cb));
  });

  it('int32 products over a long K (5000) stay exact', async () => {
    reseed(22);
    const [ca, a] = pair([3, 5000], device, { dtype: 'int32', low: -1000, high: 1000 });
    const [cb, b] = pair([5000, 2], device, { dtype: 'int32', low: -1000, high: 1000 });
    const host = hostMatmul(await ca.data(), [3, 5000], await cb.data(), [5000, 2]);
    await expectEqual(a.matmul(b), wg.tensor(Int32Array.from(host.vals), { shape: [3, 2], device: 'cpu' }));
  });
});

describe.skipIf(!DEVICES.includes('webgpu'))('matmul on webgpu reads strided operands in place', () => {
  const backend = () => wg.getBackend('webgpu') as WebGPUBackend;

  it('transposed, sliced and batch-broadcast operands take one kernel dispatch, no copies', async () => {
    const a = wg.rand([70, 65], { device: 'webgpu' });
    const b = wg.rand([2, 40, 70], { device: 'webgpu' });
    const before = backend().dispatchCount;
    const c = a.T.matmul(b.slice(null, [null, null, 2]).transpose(1, 2)); // [65, 70] @ [2, 70, 20]
    expect(backend().dispatchCount - before).toBe(1);
    expect(c.shape).toEqual([2, 65, 20]);
    const host = hostMatmul(await a.T.data(), [65, 70], await b.slice(null, [null, null, 2]).transpose(1, 2).data(), [2, 70, 20]);
    await expectClose(c, wg.tensor(Float32Array.from(host.vals), { shape: [2, 65, 20], device: 'cpu' }), TOL);
  });
});

describe.each(DEVICES)('matmul on %s: empty dims', (device) => {
  it('K = 0 gives zeros (even in a reused, dirty buffer)', async () => {
    wg.full([3, 4], 7, { device }).dispose(); // leaves a dirty buffer of the result's size in the pool
    const c = wg.ones([3, 0], { device }).matmul(wg.ones([0, 4], { device }));
    expect(c.shape).toEqual([3, 4]);
    expect(await values(c)).toEqual(new Array(12).fill(0));
  });

  it('K = 0 in a dot product gives 0', async () => {
    const d = wg.ones([0], { device }).matmul(wg.ones([0], { device }));
    expect(d.shape).toEqual([]);
    expect(await d.item()).toBe(0);
  });

  it('M = 0 gives an empty [0, N] result', async () => {
    const c = wg.ones([0, 5], { device }).matmul(wg.ones([5, 4], { device }));
    expect(c.shape).toEqual([0, 4]);
    expect(await values(c)).toEqual([]);
  });

  it('N = 0 gives an empty [M, 0] result', async () => {
    const c = wg.ones([3, 5], { device }).matmul(wg.ones([5, 0], { device }));
    expect(c.shape).toEqual([3, 0]);
    expect(await values(c)).toEqual([]);
  });

  it('an empty batch gives an empty batched result', async () => {
    const c = wg.ones([0, 3, 4], { device }).matmul(wg.ones([4, 2], { device }));
    expect(c.shape).toEqual([0, 3, 2]);
    expect(await values(c)).toEqual([]);
  });
});

describe.each(DEVICES)('matmul on %s: errors', (device) => {
  it('mismatched inner dims name both shapes and the sizes', () => {
    const a = wg.zeros([2, 3], { device });
    const b = wg.zeros([4, 5], { device });
    expect(() => a.matmul(b)).toThrow(
      "matmul: shapes [2, 3] and [4, 5] cannot be multiplied (3 vs 4: the first's last dim must equal the second's second-to-last dim)",
    );
  });

  it('a mismatched vector names its only dim', () => {
    expect(() => wg.zeros([2, 3], { device }).matmul(wg.zeros([4], { device }))).toThrow(
      /matmul: shapes \[2, 3\] and \[4\] cannot be multiplied \(3 vs 4: .* the second's only dim\)/,
    );
  });

  it('batch dims that do not broadcast are refused', () => {
    expect(() => wg.zeros([2, 3, 4], { device }).matmul(wg.zeros([3, 4, 5], { device }))).toThrow(
      /matmul \(batch dims\): shapes \[2\] and \[3\] cannot be broadcast/,
    );
  });

  it('a 0-d operand is refused', () => {
    expect(() => wg.tensor(2, { device, dtype: 'float32' }).matmul(wg.zeros([2], { device }))).toThrow(
      /matmul: both operands need at least 1 dimension, got \[\] and \[2\]/,
    );
  });

  it('bool operands are refused', () => {
    const b = wg.tensor([[true]], { device });
    expect(() => b.matmul(b)).toThrow(/matmul: bool tensors are not supported/);
  });
});

describe.each(DEVICES)('matmul gradients on %s take their operand layout', (device) => {
  it("x @ W^T (Linear's product): W gets a contiguous gradient, equal to dy^T x, with no copy kernel", async () => {
    reseed(77);
    const [x, xd] = pair([6, 9], device);
    const [w, wd] = pair([5, 9], device);
    const [g, gd] = pair([6, 5], device);
    const W = wd.detach().requiresGrad_();
    const X = xd.detach().requiresGrad_();
    const y = X.matmul(W.T);
    const backend = wg.getBackend(device);
    const copy = backend.copy.bind(backend);
    let copies = 0;
    backend.copy = (a, b) => {
      copies++;
      copy(a, b);
    };
    try {
      y.backward(gd);
    } finally {
      backend.copy = copy;
    }
    expect(copies).toBe(0);
    expect(W.grad!.strides).toEqual([9, 1]);
    await expectClose(W.grad!, g.T.matmul(x), 1e-5);
    await expectClose(X.grad!, g.matmul(w), 1e-5);
  });

  it('a column-major first operand (A^T @ B) gets its gradient through the other product, and it is right', async () => {
    reseed(78);
    const [, ad] = pair([7, 4], device);
    const [b, bd] = pair([7, 3], device);
    const A = ad.detach().requiresGrad_();
    const y = A.T.matmul(bd); // [4, 3]
    const [g, gd] = pair([4, 3], device);
    y.backward(gd);
    // d(A^T B)/dA = B G^T: [7, 3] @ [3, 4]
    await expectClose(A.grad!, b.matmul(g.T), 1e-5);
  });
});
