/*
 * float32 math for the wasm backend's C kernels, 128-bit lanes: e^x, e^x - 1, log, log(1 + x),
 * tanh and sigmoid as range reduction plus polynomial (a few ulp; elementwise.c's header says
 * how they compare with the cpu reference), and the lane macros they use. Shared by
 * elementwise.c and recurrent.c; everything is static inline, so each file keeps what it uses.
 */
#pragma once
#include "common.h"

#define F4(v) wasm_f32x4_splat((float)(v))
#define I4(v) wasm_i32x4_splat(v)
#define ADD wasm_f32x4_add
#define SUB wasm_f32x4_sub
#define MUL wasm_f32x4_mul
#define DIV wasm_f32x4_div
/* c ? a : b, per lane (c a lane mask). */
#define SEL(a, b, c) wasm_v128_bitselect((a), (b), (c))

/* ---------------------------------------------------------------- float32 math */

#define LOG2E 1.44269504088896341f
/* ln 2 = LN2_HI + LN2_LO, LN2_HI with 9 significant bits (n x LN2_HI is exact for |n| < 2^15). */
#define LN2_HI 0.693359375f
#define LN2_LO -2.12194440e-4f

/* 2^n for lanes of integers n in [-126, 127]. */
static inline v128_t pow2i(v128_t n) { return wasm_i32x4_shl(wasm_i32x4_add(n, I4(127)), 23); }

/* e^r - 1 on |r| <= ln2/2 (+ rounding): Taylor to degree 9 (truncation below 1e-10 relative). */
static inline v128_t em1_poly(v128_t r) {
  v128_t p = F4(1.0 / 362880.0);
  p = ADD(MUL(p, r), F4(1.0 / 40320.0));
  p = ADD(MUL(p, r), F4(1.0 / 5040.0));
  p = ADD(MUL(p, r), F4(1.0 / 720.0));
  p = ADD(MUL(p, r), F4(1.0 / 120.0));
  p = ADD(MUL(p, r), F4(1.0 / 24.0));
  p = ADD(MUL(p, r), F4(1.0 / 6.0));
  p = ADD(MUL(p, r), F4(0.5));
  return ADD(r, MUL(MUL(r, r), p));
}

/* x = n ln2 + r, |r| <= ln2/2 (x already clamped to a finite range, or NaN). */
#define REDUCE(x, fn, r)                                                       \
  v128_t fn = wasm_f32x4_nearest(MUL((x), F4(LOG2E)));                         \
  v128_t r = SUB(SUB((x), MUL(fn, F4(LN2_HI))), MUL(fn, F4(LN2_LO)))

/* e^x * 2^k (k a small constant: silu scales its tiny results out of the subnormals). */
static inline v128_t exp_scaled(v128_t x, int k) {
  /* Below -105 - k ln2 the result is under half the least subnormal (it rounds to 0); above 89 it overflows. */
  v128_t xc = wasm_f32x4_min(wasm_f32x4_max(x, F4(-105.0f - 0.6931472f * (float)k)), F4(89.0f));
  REDUCE(xc, fn, r);
  v128_t p = ADD(F4(1), em1_poly(r));
  v128_t n = wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(fn), I4(k)); /* NaN -> 0: p is NaN anyway */
  /* Two scalings, so 2^n below 2^-126 still rounds once (into the subnormals). */
  v128_t n1 = wasm_i32x4_shr(n, 1);
  v128_t n2 = wasm_i32x4_sub(n, n1);
  return MUL(MUL(p, pow2i(n1)), pow2i(n2));
}

static inline v128_t v_exp(v128_t x) { return exp_scaled(x, 0); }

/* e^x - 1: 2^n (e^r - 1 + 1 - 2^-n), no cancellation near 0. */
static inline v128_t v_expm1(v128_t x) {
  v128_t xc = wasm_f32x4_min(wasm_f32x4_max(x, F4(-30.0f)), F4(89.0f));
  REDUCE(xc, fn, r);
  v128_t e = em1_poly(r);
  v128_t n = wasm_i32x4_trunc_sat_f32x4(fn);
  /* 2^-n: n in [-44, 128], so -n in [-128, 44]; -128 gives the bits of 0 (close enough: 1 - 0). */
  v128_t mn = wasm_i32x4_neg(n);
  v128_t inv = wasm_v128_andnot(pow2i(mn), wasm_i32x4_lt(mn, I4(-126)));
  v128_t s = ADD(e, SUB(F4(1), inv));
  v128_t n1 = wasm_i32x4_shr(n, 1);
  v128_t n2 = wasm_i32x4_sub(n, n1);
  v128_t y = MUL(MUL(s, pow2i(n1)), pow2i(n2));
  return SEL(x, y, wasm_f32x4_eq(x, F4(0))); /* keeps -0 */
}

#define SQRT2F 1.41421356237309505f

/* log(2^e (1 + f)) for f in [sqrt(1/2) - 1, sqrt(2) - 1]: f - f^2/2 + f^3 P(f) (Cephes' logf polynomial). */
static inline v128_t log_core(v128_t f, v128_t fe) {
  v128_t z = MUL(f, f);
  v128_t p = F4(7.0376836292E-2f);
  p = ADD(MUL(p, f), F4(-1.1514610310E-1f));
  p = ADD(MUL(p, f), F4(1.1676998740E-1f));
  p = ADD(MUL(p, f), F4(-1.2420140846E-1f));
  p = ADD(MUL(p, f), F4(1.4249322787E-1f));
  p = ADD(MUL(p, f), F4(-1.6668057665E-1f));
  p = ADD(MUL(p, f), F4(2.0000714765E-1f));
  p = ADD(MUL(p, f), F4(-2.4999993993E-1f));
  p = ADD(MUL(p, f), F4(3.3333331174E-1f));
  v128_t y = MUL(MUL(p, f), z);
  y = ADD(y, MUL(fe, F4(LN2_LO)));
  y = SUB(y, MUL(z, F4(0.5f)));
  y = ADD(f, y);
  y = ADD(y, MUL(fe, F4(LN2_HI)));
  return y;
}

/* log(x): x = 2^e m, m in [sqrt(1/2), sqrt(2)), log(m) = f - f^2/2 + f^3 P(f), f = m - 1 (Cephes' logf polynomial). */
static inline v128_t v_log(v128_t x) {
  v128_t tiny = wasm_f32x4_lt(x, F4(1.17549435e-38f));
  v128_t xs = SEL(MUL(x, F4(8388608.0f)), x, tiny);
  v128_t bits = xs;
  v128_t e = wasm_i32x4_sub(wasm_i32x4_shr(bits, 23), SEL(I4(127 + 23), I4(127), tiny));
  v128_t m = wasm_v128_or(wasm_v128_and(bits, I4(0x007fffff)), I4(0x3f800000));
  v128_t big = wasm_f32x4_gt(m, F4(SQRT2F));
  m = SEL(MUL(m, F4(0.5f)), m, big);
  e = wasm_i32x4_sub(e, big); /* big lanes are -1 */
  v128_t y = log_core(SUB(m, F4(1)), wasm_f32x4_convert_i32x4(e));
  /* log(0) = -inf, log(x < 0) = NaN, log(inf) = inf, log(NaN) = NaN. */
  y = SEL(F4(-__builtin_inff()), y, wasm_f32x4_eq(x, F4(0)));
  y = SEL(F4(__builtin_nanf("")), y, wasm_f32x4_lt(x, F4(0)));
  y = SEL(x, y, wasm_v128_or(wasm_f32x4_ne(x, x), wasm_f32x4_eq(x, F4(__builtin_inff()))));
  return y;
}

/*
 * log(1 + x): the log polynomial on x itself where 1 + x is in log's reduced range (no
 * rounding of 1 + x at all), else log(u) - ((u - 1) - x) / u, u = 1 + x rounded (the
 * correction is u's rounding error).
 */
static inline v128_t v_log1p(v128_t x) {
  v128_t u = ADD(F4(1), x);
  v128_t near = wasm_v128_and(wasm_f32x4_ge(x, F4(SQRT2F * 0.5f - 1.0f)), wasm_f32x4_le(x, F4(SQRT2F - 1.0f)));
  v128_t y = SEL(log_core(x, F4(0)), SUB(v_log(u), DIV(SUB(SUB(u, F4(1)), x), u)), near);
  y = SEL(x, y, wasm_v128_or(wasm_f32x4_eq(x, F4(0)), wasm_f32x4_eq(x, F4(__builtin_inff()))));
  y = SEL(F4(-__builtin_inff()), y, wasm_f32x4_eq(u, F4(0)));
  return y;
}

static inline v128_t v_abs(v128_t x) { return wasm_f32x4_abs(x); }
/* |t| with x's sign. */
static inline v128_t copysign4(v128_t t, v128_t x) { return SEL(x, t, I4((int)0x80000000)); }

/* tanh: x + x^3 P(x^2) below 0.625 (Cephes' tanhf), 1 - 2 / (e^(2|x|) + 1) above, with x's sign. */
static inline v128_t v_tanh(v128_t x) {
  v128_t ax = v_abs(x);
  v128_t z = MUL(x, x);
  v128_t p = F4(-5.70498872745E-3f);
  p = ADD(MUL(p, z), F4(2.06390887954E-2f));
  p = ADD(MUL(p, z), F4(-5.37397155531E-2f));
  p = ADD(MUL(p, z), F4(1.33314422036E-1f));
  p = ADD(MUL(p, z), F4(-3.33332819422E-1f));
  v128_t small = ADD(MUL(MUL(p, z), x), x);
  v128_t e = v_exp(ADD(ax, ax));
  v128_t large = SUB(F4(1), DIV(F4(2), ADD(e, F4(1))));
  /* Both sides keep x's sign (tanh(-0) = -0). */
  return copysign4(SEL(small, large, wasm_f32x4_lt(ax, F4(0.625f))), x);
}

/* 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) below (NaN goes the second way and stays NaN). */
static inline v128_t v_sigmoid(v128_t x) {
  v128_t e = v_exp(wasm_f32x4_neg(v_abs(x)));
  v128_t d = ADD(F4(1), e);
  return SEL(DIV(F4(1), d), DIV(e, d), wasm_f32x4_ge(x, F4(0)));
}

