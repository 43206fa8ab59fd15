/*
 * Softmax / log-softmax along one dim and the fused class-index losses (cross-entropy with its
 * gradient, nll), float32, as src/kernels/softmax/cpu.ts (the reference) defines them.
 *
 * Layout: x is read as [A, C, I] (A: the dims before the class dim, coalesced; C: the classes;
 * I: the dims after it, coalesced) through element strides (sa, sc, si); out / grad are
 * contiguous [A, C, I]. Rows of stride 1 (I == 1, sc == 1) and blocks of 4 adjacent columns
 * (si == 1) are read with 128-bit loads; any other row is read lane by lane.
 *
 * Math: the row max is subtracted first; exp is exp4 below (f32x4, ~1 ulp; exp4_nonpos where the
 * argument is x - max); the exponentials of a row are summed in float32 lanes 64 at a time and
 * those blocks in doubles (row_sum_exp), and the sum's log is log_d (double). Log-softmax is then
 * (x - max) - log(sum) in doubles, rounded once, as in the reference.
 */
#include "common.h"

#define INF __builtin_inff()

/* ---- exp (f32x4) ---- */

/*
 * e^x for 4 floats: x = n ln2 + r (|r| <= ln2 / 2, Cody-Waite split of ln2), e^r by Cephes'
 * expf polynomial, times 2^n applied in two halves so that results in the subnormal range
 * round once. n comes from the 1.5 * 2^23 rounding trick (round to nearest, no float-to-int
 * conversion); the clamp uses pmin / pmax (one instruction each on x86), so NaN is put back
 * at the end. NaN gives NaN, above 88.72 +inf, below -103.97 zero.
 */
#define EXP_LO -103.97283935546875f
#define EXP_HI 88.72283935546875f

/* e^xc for xc already clamped to [EXP_LO, EXP_HI] (or NaN): the reduction, polynomial and scaling. */
static inline v128_t exp4_core(v128_t xc) {
  const v128_t magic = wasm_f32x4_splat(12582912.0f); /* 1.5 * 2^23 */
  v128_t t = wasm_f32x4_add(wasm_f32x4_mul(xc, wasm_f32x4_splat(1.44269504088896341f)), magic);
  v128_t n = wasm_f32x4_sub(t, magic);
  v128_t ni = wasm_i32x4_sub(t, magic); /* the integer n, in [-150, 128], from the low mantissa bits */
  v128_t r = wasm_f32x4_sub(xc, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t p = wasm_f32x4_splat(1.9875691500e-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.3981999507e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(8.3334519073e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(4.1665795894e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.6666665459e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(5.0000001201e-1f));
  v128_t y = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, r), r), r), wasm_f32x4_splat(1.0f));
  v128_t n1 = wasm_i32x4_shr(ni, 1);
  v128_t n2 = wasm_i32x4_sub(ni, n1);
  v128_t s1 = wasm_i32x4_shl(wasm_i32x4_add(n1, wasm_i32x4_splat(127)), 23);
  v128_t s2 = wasm_i32x4_shl(wasm_i32x4_add(n2, wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(wasm_f32x4_mul(y, s1), s2);
}

static inline v128_t exp4(v128_t x) {
  const v128_t hi = wasm_f32x4_splat(EXP_HI), lo = wasm_f32x4_splat(EXP_LO);
  v128_t y = exp4_core(wasm_f32x4_pmin(wasm_f32x4_pmax(x, lo), hi));
  y = wasm_v128_bitselect(wasm_f32x4_splat(INF), y, wasm_f32x4_gt(x, hi));
  y = wasm_v128_andnot(y, wasm_f32x4_lt(x, lo));
  return wasm_v128_bitselect(x, y, wasm_f32x4_ne(x, x)); /* NaN stays NaN */
}

/*
 * exp4 for x <= 0 or NaN, as softmax's x - max always is: no overflow to handle, and a NaN
 * already comes out of the arithmetic as NaN, so only the flush below EXP_LO remains.
 */
static inline v128_t exp4_nonpos(v128_t x) {
  const v128_t lo = wasm_f32x4_splat(EXP_LO);
  return wasm_v128_andnot(exp4_core(wasm_f32x4_pmax(x, lo)), wasm_f32x4_lt(x, lo));
}

static inline float exp1(float v) { return wasm_f32x4_extract_lane(exp4(wasm_f32x4_splat(v)), 0); }

/* ---- log, exp (double, scalar: once per row) ---- */

static double log_d(double x) {
  if (x != x) return x;
  if (x < 0) return (x - x) / (x - x); /* NaN */
  if (x == 0) return -INF;
  if (x == INF) return x;
  int k = 0;
  if (x < 2.2250738585072014e-308) { x *= 18014398509481984.0; k = -54; } /* subnormal: times 2^54 */
  unsigned long long b = __builtin_bit_cast(unsigned long long, x);
  k += (int)(b >> 52) - 1023;
  double m = __builtin_bit_cast(double, (b & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull);
  if (m > 1.4142135623730951) { m *= 0.5; k++; }
  /* log(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716 */
  double s = (m - 1.0) / (m + 1.0);
  double z = s * s;
  double p = 1.0 / 21;
  p = p * z + 1.0 / 19;
  p = p * z + 1.0 / 17;
  p = p * z + 1.0 / 15;
  p = p * z + 1.0 / 13;
  p = p * z + 1.0 / 11;
  p = p * z + 1.0 / 9;
  p = p * z + 1.0 / 7;
  p = p * z + 1.0 / 5;
  p = p * z + 1.0 / 3;
  double lm = 2.0 * s + 2.0 * s * z * p;
  double dk = (double)k;
  return dk * 6.93147180369123816490e-01 + (lm + dk * 1.90821492927058770002e-10);
}

static double exp_d(double x) {
  if (x != x) return x;
  if (x > 709.782712893384) return INF;
  if (x < -745.2) return 0.0;
  double t = x * 1.4426950408889634;
  int n = (int)(t < 0 ? t - 0.5 : t + 0.5);
  double dn = (double)n;
  double r = (x - dn * 6.93147180369123816490e-01) - dn * 1.90821492927058770002e-10;
  /* Taylor to r^13 (|r| <= 0.35: truncation below 1e-17). */
  double p = 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  double y = 1.0 + (r + r * r * p);
  int n1 = n / 2;
  int n2 = n - n1;
  y *= __builtin_bit_cast(double, (unsigned long long)(n1 + 1023) << 52);
  return y * __builtin_bit_cast(double, (unsigned long long)(n2 + 1023) << 52);
}

/* ---- helpers ---- */

/* 4 floats at p, p + s, p + 2s, p + 3s (a plain load when s == 1). */
static inline v128_t ld4(const float *p, int s) {
  if (s == 1) return wasm_v128_load(p);
  return wasm_f32x4_make(p[0], p[s], p[2 * s], p[3 * s]);
}

static inline void st4(float *p, int s, v128_t v) {
  if (s == 1) {
    wasm_v128_store(p, v);
    return;
  }
  p[0] = wasm_f32x4_extract_lane(v, 0);
  p[s] = wasm_f32x4_extract_lane(v, 1);
  p[2 * s] = wasm_f32x4_extract_lane(v, 2);
  p[3 * s] = wasm_f32x4_extract_lane(v, 3);
}

/* max with NaN propagating and +0 above -0 (Math.max). */
static inline float max1(float a, float b) {
  return wasm_f32x4_extract_lane(wasm_f32x4_max(wasm_f32x4_splat(a), wasm_f32x4_splat(b)), 0);
}

static inline float hmax(v128_t v) {
  v = wasm_f32x4_max(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  v = wasm_f32x4_max(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
  return wasm_f32x4_extract_lane(v, 0);
}

static inline v128_t lo2(v128_t v) { return wasm_f64x2_promote_low_f32x4(v); }
static inline v128_t hi2(v128_t v) { return wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 2, 3)); }
static inline v128_t demote4(v128_t a, v128_t b) {
  return wasm_i32x4_shuffle(wasm_f32x4_demote_f64x2_zero(a), wasm_f32x4_demote_f64x2_zero(b), 0, 1, 4, 5);
}
static inline double hsum2(v128_t v) { return wasm_f64x2_extract_lane(v, 0) + wasm_f64x2_extract_lane(v, 1); }

/*
 * Max of a row of C floats at stride xs, as Math.max: NaN if any is NaN, +0 above -0. The
 * vector loop uses pmax (one instruction on x86, where max with wasm's NaN rule takes several)
 * on two accumulators and notes NaNs in a mask; a max of zero is taken again with the exact
 * rule (the order of pmax decides the sign of a zero).
 */
static inline __attribute__((always_inline)) float row_max_i(const float *x, int xs, int C) {
  v128_t m0 = wasm_f32x4_splat(-INF), m1 = m0;
  v128_t nan = wasm_i32x4_splat(0);
  int c = 0;
  for (; c + 8 <= C; c += 8) {
    v128_t a = ld4(x + (long)c * xs, xs), b = ld4(x + (long)(c + 4) * xs, xs);
    m0 = wasm_f32x4_pmax(m0, a);
    m1 = wasm_f32x4_pmax(m1, b);
    nan = wasm_v128_or(nan, wasm_v128_or(wasm_f32x4_ne(a, a), wasm_f32x4_ne(b, b)));
  }
  for (; c + 4 <= C; c += 4) {
    v128_t a = ld4(x + (long)c * xs, xs);
    m0 = wasm_f32x4_pmax(m0, a);
    nan = wasm_v128_or(nan, wasm_f32x4_ne(a, a));
  }
  if (wasm_v128_any_true(nan)) return __builtin_nanf("");
  float m = hmax(wasm_f32x4_pmax(m0, m1));
  for (; c < C; c++) m = max1(m, x[(long)c * xs]);
  if (m == 0) {
    m = -INF;
    for (c = 0; c < C; c++) m = max1(m, x[(long)c * xs]);
  }
  return m;
}

/*
 * sum_c exp(x[c] - m); stores the exponentials at e (stride es) unless e is null. Blocks of 64
 * are summed in two float32x4 accumulators (16 terms a lane), each block's sum is added in
 * doubles: the float work of a plain vector sum, and an error that does not grow with the row.
 */
static inline __attribute__((always_inline)) double row_sum_exp_i(const float *x, int xs, int C, float m, float *e, int es) {
  v128_t vm = wasm_f32x4_splat(m);
  v128_t sd = wasm_f64x2_splat(0);
  int c = 0;
  while (c + 8 <= C) {
    v128_t s0 = wasm_f32x4_splat(0), s1 = s0;
    int end = c + 64 <= C ? c + 64 : C;
    for (; c + 16 <= end; c += 16) {
      v128_t v0 = exp4_nonpos(wasm_f32x4_sub(ld4(x + (long)c * xs, xs), vm));
      v128_t v1 = exp4_nonpos(wasm_f32x4_sub(ld4(x + (long)(c + 4) * xs, xs), vm));
      v128_t v2 = exp4_nonpos(wasm_f32x4_sub(ld4(x + (long)(c + 8) * xs, xs), vm));
      v128_t v3 = exp4_nonpos(wasm_f32x4_sub(ld4(x + (long)(c + 12) * xs, xs), vm));
      s0 = wasm_f32x4_add(s0, wasm_f32x4_add(v0, v2));
      s1 = wasm_f32x4_add(s1, wasm_f32x4_add(v1, v3));
      if (e) {
        st4(e + (long)c * es, es, v0);
        st4(e + (long)(c + 4) * es, es, v1);
        st4(e + (long)(c + 8) * es, es, v2);
        st4(e + (long)(c + 12) * es, es, v3);
      }
    }
    for (; c + 8 <= end; c += 8) {
      v128_t v0 = exp4_nonpos(wasm_f32x4_sub(ld4(x + (long)c * xs, xs), vm));
      v128_t v1 = exp4_nonpos(wasm_f32x4_sub(ld4(x + (long)(c + 4) * xs, xs), vm));
      s0 = wasm_f32x4_add(s0, v0);
      s1 = wasm_f32x4_add(s1, v1);
      if (e) {
        st4(e + (long)c * es, es, v0);
        st4(e + (long)(c + 4) * es, es, v1);
      }
    }
    sd = wasm_f64x2_add(sd, wasm_f64x2_add(lo2(s0), hi2(s0)));
    sd = wasm_f64x2_add(sd, wasm_f64x2_add(lo2(s1), hi2(s1)));
  }
  if (c + 4 <= C) {
    v128_t v = exp4_nonpos(wasm_f32x4_sub(ld4(x + (long)c * xs, xs), vm));
    sd = wasm_f64x2_add(sd, wasm_f64x2_add(lo2(v), hi2(v)));
    if (e) st4(e + (long)c * es, es, v);
    c += 4;
  }
  double sum = hsum2(sd);
  for (; c < C; c++) {
    float v = exp1(x[(long)c * xs] - m);
    sum += v;
    if (e) e[(long)c * es] = v;
  }
  return sum;
}

/* o[c] = (x[c] - m) - ls in doubles, rounded once. */
static inline __attribute__((always_inline)) void row_log_out_i(const float *x, int xs, int C, float m, double ls, float *o, int os) {
  v128_t md = wasm_f64x2_splat((double)m), lsd = wasm_f64x2_splat(ls);
  int c = 0;
  for (; c + 4 <= C; c += 4) {
    v128_t v = ld4(x + (long)c * xs, xs);
    v128_t a = wasm_f64x2_sub(wasm_f64x2_sub(lo2(v), md), lsd);
    v128_t b = wasm_f64x2_sub(wasm_f64x2_sub(hi2(v), md), lsd);
    st4(o + (long)c * os, os, demote4(a, b));
  }
  for (; c < C; c++) o[(long)c * os] = (float)(((double)x[(long)c * xs] - (double)m) - ls);
}

static inline __attribute__((always_inline)) void row_scale_i(float *o, int os, int C, float s) {
  v128_t vs = wasm_f32x4_splat(s);
  int c = 0;
  for (; c + 4 <= C; c += 4) st4(o + (long)c * os, os, wasm_f32x4_mul(ld4(o + (long)c * os, os), vs));
  for (; c < C; c++) o[(long)c * os] *= s;
}

/* The row helpers above, with the unit-stride case compiled on its own (plain 128-bit loads, no per-iteration test). */
static float row_max(const float *x, int xs, int C) { return xs == 1 ? row_max_i(x, 1, C) : row_max_i(x, xs, C); }
static double row_sum_exp(const float *x, int xs, int C, float m, float *e, int es) {
  if (xs == 1 && es == 1) return e ? row_sum_exp_i(x, 1, C, m, e, 1) : row_sum_exp_i(x, 1, C, m, 0, 1);
  return row_sum_exp_i(x, xs, C, m, e, es);
}
static void row_log_out(const float *x, int xs, int C, float m, double ls, float *o, int os) {
  if (xs == 1 && os == 1) row_log_out_i(x, 1, C, m, ls, o, 1);
  else row_log_out_i(x, xs, C, m, ls, o, os);
}
static void row_scale(float *o, int os, int C, float s) {
  if (os == 1) row_scale_i(o, 1, C, s);
  else row_scale_i(o, os, C, s);
}

static void softmax_row(const float *x, int xs, int C, int log, float *o, int os) {
  float m = row_max(x, xs, C);
  double sum = row_sum_exp(x, xs, C, m, log ? 0 : o, os);
  if (log) row_log_out(x, xs, C, m, log_d(sum), o, os);
  else row_scale(o, os, C, (float)(1.0 / sum));
}

/*
 * Softmax (log-softmax when `log`) of x [A, C, I] (strides sa, sc, si) into contiguous out.
 * With si == 1 and I >= 4, blocks of 4 adjacent columns go through 128-bit lanes (the classes
 * at stride sc); otherwise row by row. Threads split the rows (or column blocks).
 */
EXPORT void softmax_f32(const float *x, int A, int C, int I, int sa, int sc, int si, int log, float *out,
                        int tid, int nthreads) {
  if (si == 1 && I >= 4) {
    int nb = (I + 3) / 4;
    long units = (long)A * nb;
    SPLIT(units, tid, nthreads, u0, u1);
    for (int u = u0; u < u1; u++) {
      int a = u / nb;
      int i = (u % nb) * 4;
      const float *xc = x + (long)a * sa + i;
      float *oc = out + (long)a * C * I + i;
      if (i + 4 > I) {
        for (; i < I; i++, xc++, oc++) softmax_row(xc, sc, C, log, oc, I);
        continue;
      }
      v128_t vm = wasm_f32x4_splat(-INF);
      for (int c = 0; c < C; c++) vm = wasm_f32x4_max(vm, wasm_v128_load(xc + (long)c * sc));
      v128_t s0 = wasm_f64x2_splat(0), s1 = wasm_f64x2_splat(0);
      for (int c = 0; c < C; c++) {
        v128_t v = exp4(wasm_f32x4_sub(wasm_v128_load(xc + (long)c * sc), vm));
        s0 = wasm_f64x2_add(s0, lo2(v));
        s1 = wasm_f64x2_add(s1, hi2(v));
        if (!log) wasm_v128_store(oc + (long)c * I, v);
      }
      if (log) {
        v128_t m0 = lo2(vm), m1 = hi2(vm);
        v128_t l0 = wasm_f64x2_make(log_d(wasm_f64x2_extract_lane(s0, 0)), log_d(wasm_f64x2_extract_lane(s0, 1)));
        v128_t l1 = wasm_f64x2_make(log_d(wasm_f64x2_extract_lane(s1, 0)), log_d(wasm_f64x2_extract_lane(s1, 1)));
        for (int c = 0; c < C; c++) {
          v128_t v = wasm_v128_load(xc + (long)c * sc);
          v128_t r0 = wasm_f64x2_sub(wasm_f64x2_sub(lo2(v), m0), l0);
          v128_t r1 = wasm_f64x2_sub(wasm_f64x2_sub(hi2(v), m1), l1);
          wasm_v128_store(oc + (long)c * I, demote4(r0, r1));
        }
      } else {
        v128_t one = wasm_f64x2_splat(1.0);
        v128_t inv = demote4(wasm_f64x2_div(one, s0), wasm_f64x2_div(one, s1));
        for (int c = 0; c < C; c++) {
          float *p = oc + (long)c * I;
          wasm_v128_store(p, wasm_f32x4_mul(wasm_v128_load(p), inv));
        }
      }
    }
    return;
  }
  long rows = (long)A * I;
  SPLIT(rows, tid, nthreads, r0, r1);
  for (int r = r0; r < r1; r++) {
    int a = r / I, i = r % I;
    softmax_row(x + (long)a * sa + (long)i * si, sc, C, log, out + (long)a * C * I + i, I);
  }
}

/*
 * Cross-entropy with class indices (the reference's formulas, see crossEntropyCpu): x [A, C, I]
 * by strides, target int32 [A * I] (validated by the caller), weight f32 [C] contiguous or null
 * (all 1) with wTotal its sum, loss / rowWeight f32 [A * I], grad f32 [A, C, I] contiguous or
 * null. Threads split the rows.
 */
EXPORT void cross_entropy_f32(const float *x, int A, int C, int I, int sa, int sc, int si, const int *target,
                              const float *weight, double wTotal, int ignoreIndex, double e, float *loss,
                              float *rowWeight, float *grad, int tid, int nthreads) {
  long rows = (long)A * I;
  SPLIT(rows, tid, nthreads, r0, r1);
  double eC = e / C;
  for (int r = r0; r < r1; r++) {
    int a = r / I, i = r % I;
    int k = target[r];
    float *g = grad ? grad + (long)a * C * I + i : 0;
    if (k == ignoreIndex) {
      loss[r] = 0;
      rowWeight[r] = 0;
      if (g)
        for (int c = 0; c < C; c++) g[(long)c * I] = 0;
      continue;
    }
    const float *xr = x + (long)a * sa + (long)i * si;
    float m = row_max(xr, sc, C);
    /* The exponentials go into the gradient row, to be scaled below. */
    double sum = row_sum_exp(xr, sc, C, m, g, I);
    double ls = log_d(sum);
    /* acc = sum_c w[c] logp[c], logp[c] = (x[c] - m) - ls in doubles. */
    v128_t md = wasm_f64x2_splat((double)m), lsd = wasm_f64x2_splat(ls);
    v128_t acc0 = wasm_f64x2_splat(0), acc1 = wasm_f64x2_splat(0);
    int c = 0;
    for (; c + 4 <= C; c += 4) {
      v128_t v = ld4(xr + (long)c * sc, sc);
      v128_t l0 = wasm_f64x2_sub(wasm_f64x2_sub(lo2(v), md), lsd);
      v128_t l1 = wasm_f64x2_sub(wasm_f64x2_sub(hi2(v), md), lsd);
      if (weight) {
        v128_t w = wasm_v128_load(weight + c);
        l0 = wasm_f64x2_mul(lo2(w), l0);
        l1 = wasm_f64x2_mul(hi2(w), l1);
      }
      acc0 = wasm_f64x2_add(acc0, l0);
      acc1 = wasm_f64x2_add(acc1, l1);
    }
    double acc = hsum2(acc0) + hsum2(acc1);
    for (; c < C; c++) {
      double l = ((double)xr[(long)c * sc] - (double)m) - ls;
      acc += weight ? (double)weight[c] * l : l;
    }
    double wk = weight ? (double)weight[k] : 1.0;
    double logpk = ((double)xr[(long)k * sc] - (double)m) - ls;
    /* Without smoothing the smoothing sum is left out: a -inf logit makes it -inf, and 0 * inf is NaN. */
    loss[r] = (float)(-(1 - e) * wk * logpk + (e > 0 ? eC * -acc : 0.0));
    rowWeight[r] = (float)wk;
    if (g) {
      /* g[c] = p[c] * Aw - (e / C) w[c], p = exp / sum; then g[k] again in doubles. */
      double Aw = (1 - e) * wk + eC * wTotal;
      v128_t sA = wasm_f32x4_splat((float)(Aw / sum));
      v128_t ec = wasm_f32x4_splat((float)eC);
      c = 0;
      for (; c + 4 <= C; c += 4) {
        float *p = g + (long)c * I;
        v128_t t = weight ? wasm_f32x4_mul(ec, wasm_v128_load(weight + c)) : ec;
        st4(p, I, wasm_f32x4_sub(wasm_f32x4_mul(ld4(p, I), sA), t));
      }
      float fA = (float)(Aw / sum), fe = (float)eC;
      for (; c < C; c++) g[(long)c * I] = g[(long)c * I] * fA - (weight ? fe * weight[c] : fe);
      double pk = exp_d(logpk);
      g[(long)k * I] = (float)(pk * Aw - ((1 - e) * wk + eC * wk));
    }
  }
}

/* nll: loss = -w[t] x[t] per row (0 where ignored), rowWeight = w[t]; as cross_entropy_f32's layout. */
EXPORT void nll_loss_f32(const float *x, int A, int C, int I, int sa, int sc, int si, const int *target,
                         const float *weight, int ignoreIndex, float *loss, float *rowWeight, int tid, int nthreads) {
  (void)C;
  long rows = (long)A * I;
  SPLIT(rows, tid, nthreads, r0, r1);
  for (int r = r0; r < r1; r++) {
    int k = target[r];
    if (k == ignoreIndex) {
      loss[r] = 0;
      rowWeight[r] = 0;
      continue;
    }
    int a = r / I, i = r % I;
    float w = weight ? weight[k] : 1.0f;
    loss[r] = -w * x[(long)a * sa + (long)k * sc + (long)i * si];
    rowWeight[r] = w;
  }
}
