/**
 * webgrad.linalg: symmetric eigen-decomposition and the singular value decomposition, with
 * PyTorch's names, shapes and (for the reduced cases) gradients.
 *
 * Where they run: on the host, in float64, by cyclic Jacobi (jacobi.ts). These are not
 * kernels: the methods are sequences of n^2 dependent rotations that a GPU runs no faster
 * than a CPU for the small matrices they are meant for (covariances, Gram matrices), and
 * writing them in WGSL would only add a second implementation to keep correct.
 *   - `eigh`, `svd`, `svdvals` are synchronous and take cpu tensors (whose values the host has).
 *   - `eighAsync`, `svdAsync`, `svdvalsAsync` take a tensor on any device: a webgpu tensor's
 *     values are read to the host (webgrad's one way there is the asynchronous read, hence the
 *     Promise), decomposed, and the factors uploaded back to the tensor's device.
 * Either way the factors are made as one traced op, so gradients flow back to A; the backward
 * rules are tensor ops (matmuls and elementwise), so on webgpu they run there.
 */
import { trace, recording } from '../autograd/node.js';
import type { TypedArray } from '../core/dtype.js';
import { isFloat } from '../core/dtype.js';
import { fmtShape } from '../core/shape.js';
import { checkBoolean, checkChoice, checkOptions, describe as describeValue, noExtra } from '../core/options.js';
import { eye, tensor } from '../tensor/creation.js';
import { tidy } from '../tensor/memory.js';
import { describe } from '../tensor/ops/core.js';
import { where } from '../tensor/ops/elementwise.js';
import { hostValues } from '../tensor/ops/transfer.js';
import { Tensor } from '../tensor/tensor.js';
import { jacobiEigh, jacobiSvd } from './jacobi.js';

export interface EighOptions {
  /** Which triangle of A is read: 'L' (lower, the default, as PyTorch) or 'U'. The other is ignored. */
  UPLO?: 'L' | 'U';
}

export interface SvdOptions {
  /** U is m x m and Vh n x n (true, the default, as PyTorch), or m x k and k x n with k = min(m, n) (false). */
  fullMatrices?: boolean;
}

/** [eigenvalues, eigenvectors], also by name as PyTorch's named tuple. */
export type EighResult = [eigenvalues: Tensor, eigenvectors: Tensor] & { eigenvalues: Tensor; eigenvectors: Tensor };
/** [U, S, Vh], also by name. */
export type SvdResult = [U: Tensor, S: Tensor, Vh: Tensor] & { U: Tensor; S: Tensor; Vh: Tensor };

function checkMatrix(op: string, A: unknown, square: boolean): asserts A is Tensor {
  if (!(A instanceof Tensor)) throw new Error(`${op}: A must be a Tensor, got ${describeValue(A)}`);
  if (A.isDisposed) throw new Error(`${op}: A was disposed`);
  if (!isFloat(A.dtype)) throw new Error(`${op}: A must be a floating-point tensor (float32 or float64), got ${describe(A)}`);
  if (A.ndim < 2) throw new Error(`${op}: A must have at least 2 dimensions ([..., m, n]), got shape ${fmtShape(A.shape)}`);
  if (square && A.shape[A.ndim - 1] !== A.shape[A.ndim - 2]) {
    throw new Error(`${op}: A must be square in its last two dims ([..., n, n]), got shape ${fmtShape(A.shape)}`);
  }
}

function syncValues(op: string, A: Tensor, asyncName: string): TypedArray {
  if (A.device !== 'cpu') {
    throw new Error(
      `${op}: A is a ${A.device} tensor; the decomposition runs on the host and reading a ${A.device} tensor is asynchronous: ` +
        `use await linalg.${asyncName}(A), which reads it, decomposes and puts the factors back on ${A.device}`,
    );
  }
  return hostValues(A);
}

function checkFinite(op: string, values: TypedArray): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) throw new Error(`${op}: A must hold finite values, got ${values[i]} at flat index ${i}`);
  }
}

const batchOf = (A: Tensor) => A.shape.slice(0, -2);
const count = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const mT = (t: Tensor) => t.transpose(-2, -1);

function upload(values: Float64Array, shape: readonly number[], like: Tensor): Tensor {
  const data = like.dtype === 'float64' ? values : Float32Array.from(values);
  return tensor(data, { shape, dtype: like.dtype, device: like.device });
}

/** diag(d) for the last dim of d ([..., n] -> [..., n, n]). */
function diagEmbed(d: Tensor): Tensor {
  const n = d.shape[d.ndim - 1]!;
  return eye(n, { dtype: d.dtype, device: d.device }).mul(d.unsqueeze(-2));
}

/** num / den where num != 0, 0 where num == 0 (so a zero gradient through a repeated value stays 0, not 0/0). */
function safeDiv(num: Tensor, den: Tensor): Tensor {
  return where(num.eq(0), 0, num.div(den));
}

// ---- eigh ---------------------------------------------------------------------------------

function eighOptions(op: string, options: EighOptions | undefined): 'L' | 'U' {
  checkOptions(op, options, ['UPLO']);
  return checkChoice(op, 'UPLO', options?.UPLO ?? 'L', ['L', 'U'] as const);
}

function eighFrom(op: string, A: Tensor, values: TypedArray, uplo: 'L' | 'U'): EighResult {
  checkFinite(op, values);
  const n = A.shape[A.ndim - 1]!;
  const batch = batchOf(A);
  const nb = count(batch);
  // One packed result per matrix, [n + 1, n]: the eigenvalues in row 0, the eigenvectors below,
  // so that the op is one traced node with one output (the named results are views of it).
  const packed = new Float64Array(nb * (n + 1) * n);
  const a = new Float64Array(n * n);
  for (let b = 0; b < nb; b++) {
    const base = b * n * n;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        const x = uplo === 'L' ? values[base + i * n + j]! : values[base + j * n + i]!;
        a[i * n + j] = x;
        a[j * n + i] = x;
      }
    }
    const r = jacobiEigh(a, n);
    const out = b * (n + 1) * n;
    packed.set(r.values, out);
    packed.set(r.vectors, out + n);
  }
  return tidy(() => {
    const P = trace(
      'linalg.eigh',
      [A],
      () => upload(packed, [...batch, n + 1, n], A),
      (g, [p]) => {
        const L = p!.select(-2, 0);
        const V = p!.narrow(-2, 1, n);
        const gL = g.select(-2, 0);
        const gV = g.narrow(-2, 1, n);
        // gA = V (diag(gL) + F o sym-part) V^T, F_ij = 1 / (L_j - L_i): the gradient for
        // symmetric perturbations of A (as PyTorch's), symmetric itself.
        const X = mT(V).matmul(gV);
        const skew = X.sub(mT(X)).mul(0.5);
        const E = L.unsqueeze(-2).sub(L.unsqueeze(-1));
        const inner = safeDiv(skew, E).add(diagEmbed(gL));
        return [V.matmul(inner).matmul(mT(V))];
      },
      (out) => [out],
    );
    const L = P.select(-2, 0);
    const V = P.narrow(-2, 1, n);
    return Object.assign([L, V], { eigenvalues: L, eigenvectors: V }) as EighResult;
  });
}

/**
 * torch.linalg.eigh: the eigenvalues (ascending, [..., n]) and eigenvectors (the columns of
 * [..., n, n]) of the symmetric matrices A [..., n, n], reading only the triangle `UPLO` says.
 * A cpu tensor (see eighAsync for any device). Each eigenvector's largest-magnitude entry is
 * positive. Differentiable; the gradient is that for symmetric perturbations (symmetric
 * itself, as PyTorch's), and it is infinite or NaN where eigenvalues repeat and the loss
 * depends on their eigenvectors (they are not unique there).
 */
export function eigh(A: Tensor, options?: EighOptions, ...extra: never[]): EighResult {
  const op = 'linalg.eigh';
  noExtra(op, extra, '(A, options?)');
  checkMatrix(op, A, true);
  const uplo = eighOptions(op, options);
  return eighFrom(op, A, syncValues(op, A, 'eighAsync'), uplo);
}

/** linalg.eigh for a tensor on any device: the values are read to the host, decomposed there and the factors put back on A's device. */
export async function eighAsync(A: Tensor, options?: EighOptions, ...extra: never[]): Promise<EighResult> {
  const op = 'linalg.eighAsync';
  noExtra(op, extra, '(A, options?)');
  checkMatrix(op, A, true);
  const uplo = eighOptions(op, options);
  return eighFrom(op, A, await A.data(), uplo);
}

// ---- svd ----------------------------------------------------------------------------------

function svdOptions(op: string, options: SvdOptions | undefined): boolean {
  checkOptions(op, options, ['fullMatrices']);
  return checkBoolean(op, 'fullMatrices', options?.fullMatrices ?? true);
}

function decomposeAll(A: Tensor, values: TypedArray, full: boolean) {
  const m = A.shape[A.ndim - 2]!;
  const n = A.shape[A.ndim - 1]!;
  const k = Math.min(m, n);
  const ku = full ? m : k;
  const kv = full ? n : k;
  const nb = count(batchOf(A));
  const sizes = [m * ku, k, kv * n];
  const per = sizes[0]! + sizes[1]! + sizes[2]!;
  const packed = new Float64Array(nb * per);
  for (let b = 0; b < nb; b++) {
    const a = Float64Array.from(values.subarray(b * m * n, (b + 1) * m * n));
    const r = jacobiSvd(a, m, n, full);
    packed.set(r.u, b * per);
    packed.set(r.s, b * per + sizes[0]!);
    packed.set(r.vh, b * per + sizes[0]! + sizes[1]!);
  }
  return { m, n, k, ku, kv, sizes, per, packed };
}

function svdFrom(op: string, A: Tensor, values: TypedArray, full: boolean): SvdResult {
  checkFinite(op, values);
  const batch = batchOf(A);
  const { m, n, k, ku, kv, sizes, per, packed } = decomposeAll(A, values, full);
  if (full && m !== n && recording([A])) {
    throw new Error(
      `${op}: the gradient with fullMatrices: true is not defined for a non-square A (${m} x ${n}: the extra ${m > n ? 'columns of U' : 'rows of Vh'} are not unique); ` +
        'use { fullMatrices: false }, or compute under noGrad',
    );
  }
  // Packed as [U (m * ku) | S (k) | Vh (kv * n)] per matrix: one traced node, three views.
  const unpack = (p: Tensor): [Tensor, Tensor, Tensor] => [
    p.narrow(-1, 0, sizes[0]!).reshape([...batch, m, ku]),
    p.narrow(-1, sizes[0]!, k),
    p.narrow(-1, sizes[0]! + k, sizes[2]!).reshape([...batch, kv, n]),
  ];
  return tidy(() => {
    const P = trace(
      'linalg.svd',
      [A],
      () => upload(packed, [...batch, per], A),
      (g, [p]) => {
        const [U, S, Vh] = unpack(p!);
        const [gU, gS, gVh] = unpack(g.contiguous());
        const V = mT(Vh);
        const gV = mT(gVh);
        // Townsend's rule for the reduced SVD (as PyTorch's svd_backward), with
        // E_ij = s_j^2 - s_i^2 and skew(X) = X - X^T:
        //   gA = U [(skew(U^T gU) S + S skew(V^T gV)) / E + diag(gS)] Vh
        //        + (I - U U^T) gU S^-1 Vh + U S^-1 gV^T (I - V V^T)
        const UtgU = mT(U).matmul(gU);
        const VtgV = Vh.matmul(gV);
        const sRow = S.unsqueeze(-2);
        const sCol = S.unsqueeze(-1);
        const S2 = S.square();
        const E = S2.unsqueeze(-2).sub(S2.unsqueeze(-1));
        const num = UtgU.sub(mT(UtgU)).mul(sRow).add(sCol.mul(VtgV.sub(mT(VtgV))));
        const inner = safeDiv(num, E).add(diagEmbed(gS));
        if (m > k) {
          const gUSinv = gU.div(sRow);
          return [U.matmul(inner).add(gUSinv).sub(U.matmul(mT(U).matmul(gUSinv))).matmul(Vh)];
        }
        if (n > k) {
          const gVSinv = gV.div(sRow);
          return [U.matmul(inner.matmul(Vh).add(mT(gVSinv.sub(V.matmul(Vh.matmul(gVSinv))))))];
        }
        return [U.matmul(inner).matmul(Vh)];
      },
      (out) => [out],
    );
    const [U, S, Vh] = unpack(P);
    return Object.assign([U, S, Vh], { U, S, Vh }) as SvdResult;
  });
}

/**
 * torch.linalg.svd: A [..., m, n] = U diag(S) Vh, S descending ([..., k], k = min(m, n)); U is
 * [..., m, m] and Vh [..., n, n] (fullMatrices, the default), or [..., m, k] and [..., k, n].
 * A cpu tensor (see svdAsync for any device). The sign of each singular pair is fixed: the
 * largest-magnitude entry of each right singular vector is positive when m >= n, of each left
 * one when m < n. Differentiable when the result is reduced (fullMatrices: false, or A square),
 * for distinct nonzero singular values (Townsend's formula; infinite or NaN where they repeat
 * or vanish and the loss depends on their vectors).
 */
export function svd(A: Tensor, options?: SvdOptions, ...extra: never[]): SvdResult {
  const op = 'linalg.svd';
  noExtra(op, extra, '(A, options?)');
  checkMatrix(op, A, false);
  const full = svdOptions(op, options);
  return svdFrom(op, A, syncValues(op, A, 'svdAsync'), full);
}

/** linalg.svd for a tensor on any device: read to the host, decomposed there, the factors put back on A's device. */
export async function svdAsync(A: Tensor, options?: SvdOptions, ...extra: never[]): Promise<SvdResult> {
  const op = 'linalg.svdAsync';
  noExtra(op, extra, '(A, options?)');
  checkMatrix(op, A, false);
  const full = svdOptions(op, options);
  return svdFrom(op, A, await A.data(), full);
}

function svdvalsFrom(op: string, A: Tensor, values: TypedArray): Tensor {
  checkFinite(op, values);
  const batch = batchOf(A);
  const { m, n, k, sizes, per, packed } = decomposeAll(A, values, false);
  const pick = (start: number, len: number) => {
    const out = new Float64Array(count(batch) * len);
    for (let b = 0; b < count(batch); b++) out.set(packed.subarray(b * per + start, b * per + start + len), b * len);
    return out;
  };
  return trace(
    'linalg.svdvals',
    [A],
    () => upload(pick(sizes[0]!, k), [...batch, k], A),
    // Only S: gA = U diag(gS) Vh, defined even where singular values repeat.
    (g, [U, Vh]) => [U!.mul(g.unsqueeze(-2)).matmul(Vh!)],
    () => [upload(pick(0, sizes[0]!), [...batch, m, k], A), upload(pick(sizes[0]! + k, sizes[2]!), [...batch, k, n], A)],
  );
}

/**
 * torch.linalg.svdvals: the singular values of A [..., m, n], descending ([..., min(m, n)]); a
 * cpu tensor (svdvalsAsync: any device). Differentiable: gA = U diag(gS) Vh, the gradient
 * wherever the singular values are distinct and nonzero, and one subgradient elsewhere (as PyTorch's).
 */
export function svdvals(A: Tensor, ...extra: never[]): Tensor {
  const op = 'linalg.svdvals';
  noExtra(op, extra, '(A)');
  checkMatrix(op, A, false);
  return svdvalsFrom(op, A, syncValues(op, A, 'svdvalsAsync'));
}

/** linalg.svdvals for a tensor on any device (read to the host, the values put back on A's device). */
export async function svdvalsAsync(A: Tensor, ...extra: never[]): Promise<Tensor> {
  const op = 'linalg.svdvalsAsync';
  noExtra(op, extra, '(A)');
  checkMatrix(op, A, false);
  return svdvalsFrom(op, A, await A.data());
}
