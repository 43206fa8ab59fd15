/**
 * The host numerics behind webgrad.linalg: cyclic Jacobi methods in float64 on plain arrays.
 *
 * Why Jacobi: it is short, needs no pivoting or shifts to get right, and is accurate to working
 * precision on every symmetric input (small eigenvalues included, where QR-based solvers lose
 * relative accuracy). Its cost, about 6 n^3 flops per sweep and 6 to 10 sweeps, is fine for
 * the small and medium matrices (covariances of a few hundred features) it is meant for.
 *
 * Conventions (PyTorch leaves these to LAPACK; webgrad fixes them so results are
 * reproducible and continuous in the input, which gradcheck needs):
 *   - eigenvalues ascending, singular values descending;
 *   - each eigenvector, and each right singular vector (with its left one), is flipped so that
 *     its entry of largest magnitude (the first such on a tie) is positive.
 */

/** Flips column `j` of the n x n row-major `v` (and of `w`, m x n, if given) so that its largest-magnitude entry is positive. */
function fixSign(v: Float64Array, rows: number, cols: number, j: number, w?: Float64Array, wRows = 0): void {
  let best = 0;
  for (let i = 0; i < rows; i++) {
    const x = v[i * cols + j]!;
    if (Math.abs(x) > Math.abs(best)) best = x;
  }
  if (best >= 0) return;
  for (let i = 0; i < rows; i++) v[i * cols + j] = -v[i * cols + j]!;
  if (w) for (let i = 0; i < wRows; i++) w[i * cols + j] = -w[i * cols + j]!;
}

export interface EighResult {
  /** n eigenvalues, ascending. */
  values: Float64Array;
  /** n x n, row-major; column j is the eigenvector of values[j]. */
  vectors: Float64Array;
}

/**
 * Eigen-decomposition of the symmetric n x n row-major `a` (both triangles must hold the
 * matrix: the caller mirrors the triangle it reads). Two-sided cyclic Jacobi with the
 * threshold of Rutishauser's first three sweeps; `a` is overwritten.
 */
export function jacobiEigh(a: Float64Array, n: number): EighResult {
  const vt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) vt[i * n + i] = 1;
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale = Math.max(scale, Math.abs(a[i]!));
  const maxSweeps = 100;
  let sweep = 0;
  for (; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! * a[p * n + q]!;
    if (off === 0 || Math.sqrt(off) <= 1e-300 + Number.EPSILON * 1e-3 * scale) break;
    // Early sweeps skip rotations of elements already small compared to the mean off-diagonal size.
    const threshold = sweep < 3 ? (0.2 * Math.sqrt(off)) / (n * n) : 0;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        const app = a[p * n + p]!;
        const aqq = a[q * n + q]!;
        const small = 100 * Math.abs(apq);
        // Past the early sweeps an element negligible next to both diagonal entries is set to zero.
        if (sweep > 3 && Math.abs(app) + small === Math.abs(app) && Math.abs(aqq) + small === Math.abs(aqq)) {
          a[p * n + q] = 0;
          a[q * n + p] = 0;
          continue;
        }
        if (Math.abs(apq) <= threshold || apq === 0) continue;
        const theta = (aqq - app) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // A <- J^T A J with J the rotation in the (p, q) plane: rows p and q change (contiguous),
        // the two diagonal entries by the exact update, and the columns are their mirror.
        const rp = p * n;
        const rq = q * n;
        for (let k = 0; k < n; k++) {
          const x = a[rp + k]!;
          const y = a[rq + k]!;
          a[rp + k] = c * x - s * y;
          a[rq + k] = s * x + c * y;
        }
        a[rp + p] = app - t * apq;
        a[rq + q] = aqq + t * apq;
        a[rp + q] = 0;
        a[rq + p] = 0;
        for (let k = 0; k < n; k++) {
          a[k * n + p] = a[rp + k]!;
          a[k * n + q] = a[rq + k]!;
        }
        // The eigenvectors are kept as the rows of vt (V transposed), so this update is contiguous too.
        for (let k = 0; k < n; k++) {
          const x = vt[rp + k]!;
          const y = vt[rq + k]!;
          vt[rp + k] = c * x - s * y;
          vt[rq + k] = s * x + c * y;
        }
      }
    }
  }
  if (sweep === maxSweeps) throw new Error(`linalg.eigh: the Jacobi iteration did not converge in ${maxSweeps} sweeps (n = ${n})`);
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[i * n + i]! - a[j * n + j]! || i - j);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = a[src * n + src]!;
    for (let k = 0; k < n; k++) vectors[k * n + dst] = vt[src * n + k]!;
  });
  for (let j = 0; j < n; j++) fixSign(vectors, n, n, j);
  return { values, vectors };
}

export interface SvdResult {
  /** m x (full ? m : k), row-major. */
  u: Float64Array;
  /** k = min(m, n) singular values, descending. */
  s: Float64Array;
  /** (full ? n : k) x n, row-major: the rows are the right singular vectors. */
  vh: Float64Array;
}

/**
 * Completes the first `have` orthonormal columns of the rows x cols row-major `q` to `cols`
 * orthonormal columns, taking each time the unit vector e_i whose residual (after twice
 * removing the components along the columns so far) is largest.
 */
function completeBasis(q: Float64Array, rows: number, cols: number, have: number): void {
  const r = new Float64Array(rows);
  for (let j = have; j < cols; j++) {
    let bestNorm = -1;
    let best: Float64Array | null = null;
    for (let i = 0; i < rows; i++) {
      r.fill(0);
      r[i] = 1;
      for (let pass = 0; pass < 2; pass++) {
        for (let c = 0; c < j; c++) {
          let dot = 0;
          for (let k = 0; k < rows; k++) dot += q[k * cols + c]! * r[k]!;
          for (let k = 0; k < rows; k++) r[k] = r[k]! - dot * q[k * cols + c]!;
        }
      }
      let norm = 0;
      for (let k = 0; k < rows; k++) norm += r[k]! * r[k]!;
      if (norm > bestNorm + 1e-12) {
        bestNorm = norm;
        best = r.slice();
      }
    }
    const inv = 1 / Math.sqrt(bestNorm);
    for (let k = 0; k < rows; k++) q[k * cols + j] = best![k]! * inv;
  }
}

/**
 * Singular value decomposition of the m x n row-major `a`: one-sided (Hestenes) cyclic Jacobi
 * on the columns of A (of A^T when m < n), which orthogonalizes them without forming A^T A (so
 * no squaring of the condition number). Left singular vectors of zero singular values, and the
 * extra columns of a full U or rows of a full Vh, complete the others to an orthonormal basis.
 */
export function jacobiSvd(a: Float64Array, m: number, n: number, full: boolean): SvdResult {
  if (m < n) {
    const at = new Float64Array(n * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) at[j * m + i] = a[i * n + j]!;
    const r = jacobiSvd(at, n, m, full);
    // A^T = U' S V'^T  =>  A = V' S U'^T: U = V' (= Vh'^T), Vh = U'^T.
    const k = m;
    const uCols = full ? m : k;
    const vhRows = full ? n : k;
    const u = new Float64Array(m * uCols);
    for (let i = 0; i < uCols; i++) for (let j = 0; j < m; j++) u[j * uCols + i] = r.vh[i * m + j]!;
    const uPrimeCols = full ? n : k;
    const vh = new Float64Array(vhRows * n);
    for (let i = 0; i < vhRows; i++) for (let j = 0; j < n; j++) vh[i * n + j] = r.u[j * uPrimeCols + i]!;
    return { u, s: r.s, vh };
  }
  // m >= n: W = A V with orthogonal columns; s_j = |w_j|, u_j = w_j / s_j.
  const w = a;
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const maxSweeps = 100;
  let sweep = 0;
  for (; sweep < maxSweeps; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let k = 0; k < m; k++) {
          const x = w[k * n + p]!;
          const y = w[k * n + q]!;
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= Number.EPSILON * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let k = 0; k < m; k++) {
          const x = w[k * n + p]!;
          const y = w[k * n + q]!;
          w[k * n + p] = c * x - s * y;
          w[k * n + q] = s * x + c * y;
        }
        for (let k = 0; k < n; k++) {
          const x = v[k * n + p]!;
          const y = v[k * n + q]!;
          v[k * n + p] = c * x - s * y;
          v[k * n + q] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  if (sweep === maxSweeps) throw new Error(`linalg.svd: the Jacobi iteration did not converge in ${maxSweeps} sweeps (${m} x ${n})`);
  const norms = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let t = 0;
    for (let k = 0; k < m; k++) t += w[k * n + j]! * w[k * n + j]!;
    norms[j] = Math.sqrt(t);
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => norms[j]! - norms[i]! || i - j);
  const k = n;
  const uCols = full ? m : k;
  const u = new Float64Array(m * uCols);
  const s = new Float64Array(k);
  const vSorted = new Float64Array(n * n);
  // Singular values below this are zero to working precision: their u columns come from the completion.
  const tiny = Math.max(m, n) * Number.EPSILON * (norms[order[0]!] ?? 0);
  let nonzero = 0;
  order.forEach((src, dst) => {
    s[dst] = norms[src]!;
    for (let r = 0; r < n; r++) vSorted[r * n + dst] = v[r * n + src]!;
    if (norms[src]! > tiny && norms[src]! > 0) {
      nonzero = dst + 1;
      for (let r = 0; r < m; r++) u[r * uCols + dst] = w[r * n + src]! / norms[src]!;
    }
  });
  completeBasis(u, m, uCols, nonzero);
  // Sign: the largest entry of each right singular vector positive, flipping u_j with it.
  for (let j = 0; j < k; j++) {
    let best = 0;
    for (let r = 0; r < n; r++) if (Math.abs(vSorted[r * n + j]!) > Math.abs(best)) best = vSorted[r * n + j]!;
    if (best < 0) {
      for (let r = 0; r < n; r++) vSorted[r * n + j] = -vSorted[r * n + j]!;
      for (let r = 0; r < m; r++) u[r * uCols + j] = -u[r * uCols + j]!;
    }
  }
  for (let j = k; j < uCols; j++) fixSign(u, m, uCols, j);
  const vh = new Float64Array(k * n);
  for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) vh[i * n + j] = vSorted[j * n + i]!;
  return { u, s, vh };
}
