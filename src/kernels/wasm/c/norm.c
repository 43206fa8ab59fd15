/*
 * Batch normalization over x [N, C, S] (contiguous), float32 (src/kernels/norm/cpu.ts is the
 * reference): per-channel statistics and the two backward sums accumulated in doubles (f64x2
 * lanes), the per-element formulas in doubles in the reference's order, rounded once on store.
 * Threads split the channels (statistics, backward) or the [S] planes (apply).
 */
#include "common.h"

static inline v128_t lo2(v128_t v) { return wasm_f64x2_promote_low_f32x4(v); }
static inline v128_t hi2(v128_t v) { return wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 2, 3)); }
static inline v128_t demote4(v128_t a, v128_t b) {
  return wasm_i32x4_shuffle(wasm_f32x4_demote_f64x2_zero(a), wasm_f32x4_demote_f64x2_zero(b), 0, 1, 4, 5);
}
static inline double hsum2(v128_t v) { return wasm_f64x2_extract_lane(v, 0) + wasm_f64x2_extract_lane(v, 1); }

/* sqrt in double (f64x2.sqrt is correctly rounded, as Math.sqrt). */
static inline double sqrt_d(double x) { return wasm_f64x2_extract_lane(wasm_f64x2_sqrt(wasm_f64x2_splat(x)), 0); }

/* sum over the N planes of channel c of x[k], in doubles. */
static double channel_sum(const float *x, int N, int C, int S, int c) {
  v128_t a0 = wasm_f64x2_splat(0), a1 = wasm_f64x2_splat(0);
  double s = 0;
  for (int n = 0; n < N; n++) {
    const float *p = x + ((long)n * C + c) * S;
    int k = 0;
    for (; k + 4 <= S; k += 4) {
      v128_t v = wasm_v128_load(p + k);
      a0 = wasm_f64x2_add(a0, lo2(v));
      a1 = wasm_f64x2_add(a1, hi2(v));
    }
    for (; k < S; k++) s += (double)p[k];
  }
  return s + hsum2(a0) + hsum2(a1);
}

EXPORT void bn_stats_f32(const float *x, int N, int C, int S, float *mean, float *var, int tid, int nthreads) {
  SPLIT(C, tid, nthreads, c0, c1);
  double count = (double)N * S;
  for (int c = c0; c < c1; c++) {
    double m = channel_sum(x, N, C, S, c) / count;
    v128_t md = wasm_f64x2_splat(m);
    v128_t a0 = wasm_f64x2_splat(0), a1 = wasm_f64x2_splat(0);
    double q = 0;
    for (int n = 0; n < N; n++) {
      const float *p = x + ((long)n * C + c) * S;
      int k = 0;
      for (; k + 4 <= S; k += 4) {
        v128_t v = wasm_v128_load(p + k);
        v128_t d0 = wasm_f64x2_sub(lo2(v), md), d1 = wasm_f64x2_sub(hi2(v), md);
        a0 = wasm_f64x2_add(a0, wasm_f64x2_mul(d0, d0));
        a1 = wasm_f64x2_add(a1, wasm_f64x2_mul(d1, d1));
      }
      for (; k < S; k++) {
        double d = (double)p[k] - m;
        q += d * d;
      }
    }
    q += hsum2(a0) + hsum2(a1);
    mean[c] = (float)m;
    var[c] = (float)(q / count);
  }
}

/* y = ((x - m) * r) * w + b per element, r = 1 / sqrt(var + eps); weight / bias may be null. */
EXPORT void bn_apply_f32(const float *x, int N, int C, int S, const float *mean, const float *var, const float *weight,
                         const float *bias, double eps, float *y, int tid, int nthreads) {
  long planes = (long)N * C;
  SPLIT(planes, tid, nthreads, p0, p1);
  for (int pl = p0; pl < p1; pl++) {
    int c = pl % C;
    double r = 1.0 / sqrt_d((double)var[c] + eps);
    double w = weight ? (double)weight[c] : 1.0;
    double b = bias ? (double)bias[c] : 0.0;
    double m = (double)mean[c];
    v128_t vr = wasm_f64x2_splat(r), vw = wasm_f64x2_splat(w), vb = wasm_f64x2_splat(b), vm = wasm_f64x2_splat(m);
    const float *p = x + (long)pl * S;
    float *o = y + (long)pl * S;
    int k = 0;
    for (; k + 4 <= S; k += 4) {
      v128_t v = wasm_v128_load(p + k);
      v128_t a = wasm_f64x2_add(wasm_f64x2_mul(wasm_f64x2_mul(wasm_f64x2_sub(lo2(v), vm), vr), vw), vb);
      v128_t d = wasm_f64x2_add(wasm_f64x2_mul(wasm_f64x2_mul(wasm_f64x2_sub(hi2(v), vm), vr), vw), vb);
      wasm_v128_store(o + k, demote4(a, d));
    }
    for (; k < S; k++) o[k] = (float)((((double)p[k] - m) * r) * w + b);
  }
}

/*
 * sums[c] = sum(g), sums[C + c] = sum(g * (x - m) * r) per channel, and dx: with batchStats
 * w r (g - sg / count - ((x - m) r sgx) / count), else (g w) r.
 */
EXPORT void bn_backward_f32(const float *g, const float *x, int N, int C, int S, const float *mean, const float *var,
                            const float *weight, double eps, int batchStats, float *sums, float *dx, int tid,
                            int nthreads) {
  SPLIT(C, tid, nthreads, c0, c1);
  double count = (double)N * S;
  for (int c = c0; c < c1; c++) {
    double m = (double)mean[c];
    double r = 1.0 / sqrt_d((double)var[c] + eps);
    double w = weight ? (double)weight[c] : 1.0;
    v128_t vm = wasm_f64x2_splat(m), vr = wasm_f64x2_splat(r);
    v128_t a0 = wasm_f64x2_splat(0), a1 = wasm_f64x2_splat(0), b0 = wasm_f64x2_splat(0), b1 = wasm_f64x2_splat(0);
    double sg = 0, sgx = 0;
    for (int n = 0; n < N; n++) {
      const float *gp = g + ((long)n * C + c) * S;
      const float *xp = x + ((long)n * C + c) * S;
      int k = 0;
      for (; k + 4 <= S; k += 4) {
        v128_t gv = wasm_v128_load(gp + k), xv = wasm_v128_load(xp + k);
        v128_t g0 = lo2(gv), g1 = hi2(gv);
        a0 = wasm_f64x2_add(a0, g0);
        a1 = wasm_f64x2_add(a1, g1);
        b0 = wasm_f64x2_add(b0, wasm_f64x2_mul(wasm_f64x2_mul(g0, wasm_f64x2_sub(lo2(xv), vm)), vr));
        b1 = wasm_f64x2_add(b1, wasm_f64x2_mul(wasm_f64x2_mul(g1, wasm_f64x2_sub(hi2(xv), vm)), vr));
      }
      for (; k < S; k++) {
        double gi = (double)gp[k];
        sg += gi;
        sgx += (gi * ((double)xp[k] - m)) * r;
      }
    }
    sg += hsum2(a0) + hsum2(a1);
    sgx += hsum2(b0) + hsum2(b1);
    sums[c] = (float)sg;
    sums[C + c] = (float)sgx;
    double wr = w * r, mg = sg / count;
    v128_t vwr = wasm_f64x2_splat(wr), vmg = wasm_f64x2_splat(mg), vsgx = wasm_f64x2_splat(sgx);
    v128_t vcount = wasm_f64x2_splat(count), vw = wasm_f64x2_splat(w);
    for (int n = 0; n < N; n++) {
      const float *gp = g + ((long)n * C + c) * S;
      const float *xp = x + ((long)n * C + c) * S;
      float *dp = dx + ((long)n * C + c) * S;
      int k = 0;
      if (batchStats) {
        for (; k + 4 <= S; k += 4) {
          v128_t gv = wasm_v128_load(gp + k), xv = wasm_v128_load(xp + k);
          v128_t t0 = wasm_f64x2_div(wasm_f64x2_mul(wasm_f64x2_mul(wasm_f64x2_sub(lo2(xv), vm), vr), vsgx), vcount);
          v128_t t1 = wasm_f64x2_div(wasm_f64x2_mul(wasm_f64x2_mul(wasm_f64x2_sub(hi2(xv), vm), vr), vsgx), vcount);
          v128_t d0 = wasm_f64x2_mul(vwr, wasm_f64x2_sub(wasm_f64x2_sub(lo2(gv), vmg), t0));
          v128_t d1 = wasm_f64x2_mul(vwr, wasm_f64x2_sub(wasm_f64x2_sub(hi2(gv), vmg), t1));
          wasm_v128_store(dp + k, demote4(d0, d1));
        }
        for (; k < S; k++) dp[k] = (float)(wr * (((double)gp[k] - mg) - ((((double)xp[k] - m) * r) * sgx) / count));
      } else {
        for (; k + 4 <= S; k += 4) {
          v128_t gv = wasm_v128_load(gp + k);
          v128_t d0 = wasm_f64x2_mul(wasm_f64x2_mul(lo2(gv), vw), vr);
          v128_t d1 = wasm_f64x2_mul(wasm_f64x2_mul(hi2(gv), vw), vr);
          wasm_v128_store(dp + k, demote4(d0, d1));
        }
        for (; k < S; k++) dp[k] = (float)(((double)gp[k] * w) * r);
      }
    }
  }
}

/*
 * Row normalization (layerNorm, groupNorm; src/kernels/norm/types.ts): x [R, L] contiguous, the
 * affine parameter of element i of row r at (r % groups) * (L / per) + i / per; weight and bias
 * may be null. In doubles in the reference's order (src/kernels/norm/cpu.ts), so the results
 * are its bits. stats [2R]: each row's mean, then its rstd (rounded to float32; the backward
 * reads them back). Threads split the rows.
 */
EXPORT void row_norm_forward_f32(const float *x, int R, int L, int groups, int per, const float *weight, const float *bias,
                                 double eps, float *y, float *stats, int tid, int nthreads) {
  SPLIT(R, tid, nthreads, r0, r1);
  int lp = L / per;
  for (int r = r0; r < r1; r++) {
    const float *xr = x + (long)r * L;
    float *yr = y + (long)r * L;
    double sum = 0;
    for (int i = 0; i < L; i++) sum += xr[i];
    double m = sum / L;
    double q = 0;
    for (int i = 0; i < L; i++) {
      double d = xr[i] - m;
      q += d * d;
    }
    double rstd = 1 / __builtin_sqrt(q / L + eps);
    const float *w = weight ? weight + (long)(r % groups) * lp : 0, *b = bias ? bias + (long)(r % groups) * lp : 0;
    for (int i = 0; i < L; i++) {
      double v = (xr[i] - m) * rstd;
      int k = i / per;
      yr[i] = (float)((w ? v * w[k] : v) + (b ? (double)b[k] : 0.0));
    }
    stats[r] = (float)m;
    stats[R + r] = (float)rstd;
  }
}

EXPORT void row_norm_backward_f32(const float *g, const float *x, int R, int L, int groups, int per, const float *weight,
                                  const float *stats, float *dx, int tid, int nthreads) {
  SPLIT(R, tid, nthreads, r0, r1);
  int lp = L / per;
  for (int r = r0; r < r1; r++) {
    const float *xr = x + (long)r * L, *gr = g + (long)r * L;
    float *dr = dx + (long)r * L;
    const float *w = weight ? weight + (long)(r % groups) * lp : 0;
    double m = stats[r], rstd = stats[R + r];
    double a = 0, b = 0;
    for (int i = 0; i < L; i++) {
      double dh = (double)gr[i] * (w ? (double)w[i / per] : 1.0);
      a += dh;
      b += dh * (xr[i] - m) * rstd;
    }
    for (int i = 0; i < L; i++) {
      double dh = (double)gr[i] * (w ? (double)w[i / per] : 1.0);
      double xh = (xr[i] - m) * rstd;
      dr[i] = (float)(rstd * (dh - a / L - (xh * b) / L));
    }
  }
}
