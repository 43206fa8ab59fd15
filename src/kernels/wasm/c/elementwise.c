/*
 * The wasm backend's elementwise kernels (float32): binary ops, comparisons (to bool bytes)
 * and unary ops with the activations, 128-bit SIMD, over runs.
 *
 * Runs. The binder walks the operands as runs (src/kernels/cpu/strided.ts: merged dims, an
 * inner length and one step per operand, and each operand's offset at the start of every
 * run); the kernels take those start tables (int32 element offsets from each operand's array
 * base) and split the n = runs x inner elements over the threads. Steps 1 and 0 (a broadcast
 * operand) load a vector or a splat; any other step gathers four lanes. The output's step
 * is 1.
 *
 * Results. The cpu reference computes each op in doubles and rounds once to float32.
 * add/sub/mul/div/sqrt/square/min/max/comparisons/rounding are then exactly float32's own
 * operations (double rounding is innocuous for + - x / sqrt), so these match bit for bit;
 * leakyRelu and rsqrt run in float64 lanes (rounded once, as the reference);
 * exp, expm1, log, log1p, tanh, sigmoid, silu, elu and softplus are float32 polynomial
 * approximations (range reduction + polynomial, a few ulp); gelu (exact, with erfc) and
 * geluTanh run in float64 lanes. The activations' backward passes (relu, sigmoid, tanh: from
 * y; silu, gelu: from x) run in float32 lanes, gelu's derivative in float64 lanes.
 * NaN propagates as in the reference (max/min and relu keep
 * it; wasm's f32x4.max/min propagate NaN and order -0 below +0, as Math.max/min).
 *
 * where(cond, a, b): bool bytes widened to lane masks, a bitselect.
 *
 * Tails (fewer than 4 elements left) run the same vector code on a splat and keep lane 0, so
 * they give the same results as the vector body. No locals have their address taken and
 * nothing is static data: the shadow stack is shared by every thread.
 */

#include "common.h"
#include "vmath.h"

/* Op codes: src/kernels/elementwise/wasm.ts has the same tables. */
enum {
  B_ADD, B_SUB, B_MUL, B_DIV, B_MAX, B_MIN,
  B_EQ, B_NE, B_LT, B_LE, B_GT, B_GE,
  B_RELU_GRAD, B_SIGMOID_GRAD, B_TANH_GRAD, B_SILU_GRAD, B_GELU_GRAD,
};
#define IS_COMPARISON(op) ((op) >= B_EQ && (op) <= B_GE)
enum {
  U_NEG, U_ABS, U_SQUARE, U_SIGN, U_RELU, U_EXP, U_LOG, U_LOG1P, U_EXPM1, U_SQRT, U_RSQRT,
  U_TANH, U_SIGMOID, U_ROUND, U_FLOOR, U_CEIL, U_TRUNC,
  U_LEAKY, U_ELU, U_GELU, U_GELU_TANH, U_SILU, U_SOFTPLUS, U_HARDTANH,
};

static inline v128_t ld(const float *p, int s) {
  if (s == 1) return wasm_v128_load(p);
  if (s == 0) return wasm_v128_load32_splat(p);
  return wasm_f32x4_make(p[0], p[s], p[2 * s], p[3 * s]);
}

/* ---------------------------------------------------------------- binary */

#define BIN_LOOP(EXPR)                                                                   \
  do {                                                                                   \
    int i = 0;                                                                           \
    if (sa == 1 && sb == 1) {                                                            \
      for (; i + 4 <= n; i += 4) {                                                       \
        v128_t x = wasm_v128_load(a + i), y = wasm_v128_load(b + i);                     \
        wasm_v128_store(o + i, (EXPR));                                                  \
      }                                                                                  \
    } else if (sa == 1 && sb == 0) {                                                     \
      v128_t y = wasm_v128_load32_splat(b);                                              \
      for (; i + 4 <= n; i += 4) {                                                       \
        v128_t x = wasm_v128_load(a + i);                                                \
        wasm_v128_store(o + i, (EXPR));                                                  \
      }                                                                                  \
    } else if (sa == 0 && sb == 1) {                                                     \
      v128_t x = wasm_v128_load32_splat(a);                                              \
      for (; i + 4 <= n; i += 4) {                                                       \
        v128_t y = wasm_v128_load(b + i);                                                \
        wasm_v128_store(o + i, (EXPR));                                                  \
      }                                                                                  \
    } else {                                                                             \
      for (; i + 4 <= n; i += 4) {                                                       \
        v128_t x = ld(a + (long)i * sa, sa), y = ld(b + (long)i * sb, sb);               \
        wasm_v128_store(o + i, (EXPR));                                                  \
      }                                                                                  \
    }                                                                                    \
    for (; i < n; i++) {                                                                 \
      v128_t x = wasm_v128_load32_splat(a + (long)i * sa);                               \
      v128_t y = wasm_v128_load32_splat(b + (long)i * sb);                               \
      o[i] = wasm_f32x4_extract_lane((EXPR), 0);                                         \
    }                                                                                    \
  } while (0)

static void bin_run(int op, const float *a, int sa, const float *b, int sb, float *o, int n) {
  switch (op) {
    case B_ADD: BIN_LOOP(ADD(x, y)); break;
    case B_SUB: BIN_LOOP(SUB(x, y)); break;
    case B_MUL: BIN_LOOP(MUL(x, y)); break;
    case B_DIV: BIN_LOOP(DIV(x, y)); break;
    case B_MAX: BIN_LOOP(wasm_f32x4_max(x, y)); break;
    case B_MIN: BIN_LOOP(wasm_f32x4_min(x, y)); break;
    default: break;
  }
}

/* Lane masks (all ones / zeros) to bytes 1 / 0: four lanes to four bytes. */
static inline void store_mask4(unsigned char *o, v128_t m) {
  v128_t one = wasm_v128_and(m, I4(1));
  v128_t h = wasm_u16x8_narrow_i32x4(one, one);
  v128_t b = wasm_u8x16_narrow_i16x8(h, h);
  wasm_v128_store32_lane(o, b, 0);
}

#define CMP_LOOP(EXPR)                                                                   \
  do {                                                                                   \
    int i = 0;                                                                           \
    for (; i + 4 <= n; i += 4) {                                                         \
      v128_t x = ld(a + (long)i * sa, sa), y = ld(b + (long)i * sb, sb);                 \
      store_mask4(o + i, (EXPR));                                                        \
    }                                                                                    \
    for (; i < n; i++) {                                                                 \
      v128_t x = wasm_v128_load32_splat(a + (long)i * sa);                               \
      v128_t y = wasm_v128_load32_splat(b + (long)i * sb);                               \
      o[i] = (unsigned char)(wasm_i32x4_extract_lane((EXPR), 0) & 1);                    \
    }                                                                                    \
  } while (0)

static void cmp_run(int op, const float *a, int sa, const float *b, int sb, unsigned char *o, int n) {
  switch (op) {
    case B_EQ: CMP_LOOP(wasm_f32x4_eq(x, y)); break;
    case B_NE: CMP_LOOP(wasm_f32x4_ne(x, y)); break;
    case B_LT: CMP_LOOP(wasm_f32x4_lt(x, y)); break;
    case B_LE: CMP_LOOP(wasm_f32x4_le(x, y)); break;
    case B_GT: CMP_LOOP(wasm_f32x4_gt(x, y)); break;
    case B_GE: CMP_LOOP(wasm_f32x4_ge(x, y)); break;
    default: break;
  }
}

static void grad_run(int op, const float *a, int sa, const float *b, int sb, float *o, int n);

/*
 * out = op(a, b) over `runs` runs of `inner` elements: run r of operand k starts at element
 * startsK[r] of its array (or 0 when the tables are null: one run); steps sa, sb; the
 * output's step is 1. Comparisons (B_EQ to B_GE) write bytes. The activations' backward
 * passes take the gradient as a and the kept tensor (y or x) as b.
 */
EXPORT void ew_binary_f32(int op, const float *A, const float *B, void *O, const int *ta, const int *tb, const int *to,
                          int runs, int inner, int sa, int sb, int tid, int nthreads) {
  long long total = (long long)runs * inner;
  long long begin = total * tid / nthreads, end = total * (tid + 1) / nthreads;
  long long pos = begin;
  while (pos < end) {
    int r = (int)(pos / inner), j = (int)(pos % inner);
    int len = inner - j;
    if (len > end - pos) len = (int)(end - pos);
    const float *a = A + (ta ? ta[r] : 0) + (long)j * sa;
    const float *b = B + (tb ? tb[r] : 0) + (long)j * sb;
    long oo = (long)(to ? to[r] : 0) + j;
    if (IS_COMPARISON(op)) cmp_run(op, a, sa, b, sb, (unsigned char *)O + oo, len);
    else if (op >= B_RELU_GRAD) grad_run(op, a, sa, b, sb, (float *)O + oo, len);
    else bin_run(op, a, sa, b, sb, (float *)O + oo, len);
    pos += len;
  }
}

/* x sigmoid(x): x / (1 + e^-x) for x >= 0, x e^x / (1 + e^x) below, with e^x scaled by 2^64 so x e^x is not rounded as a subnormal. */
static inline v128_t v_silu(v128_t x) {
  v128_t es = exp_scaled(wasm_f32x4_neg(v_abs(x)), 64);
  v128_t d = ADD(F4(1), MUL(es, F4(5.42101086e-20f))); /* 2^-64 */
  v128_t neg = MUL(DIV(MUL(x, es), d), F4(5.42101086e-20f));
  return SEL(DIV(x, d), neg, wasm_f32x4_ge(x, F4(0)));
}

/* ---------------------------------------------------------------- float64 lanes */

#define D2(v) wasm_f64x2_splat((double)(v))
#define DADD wasm_f64x2_add
#define DSUB wasm_f64x2_sub
#define DMUL wasm_f64x2_mul
#define DDIV wasm_f64x2_div

/* e^a for float64 lanes, a clamped to [-746, 709] (e^-746 rounds to 0): n ln2 + r, Taylor to degree 10 on |r| <= ln2/2
 * (truncation below 3e-13 relative: these results are rounded to float32). */
static inline v128_t d_exp(v128_t a) {
  v128_t ac = wasm_f64x2_min(wasm_f64x2_max(a, D2(-746.0)), D2(709.0));
  v128_t fn = wasm_f64x2_nearest(DMUL(ac, D2(1.4426950408889634)));
  v128_t r = DSUB(DSUB(ac, DMUL(fn, D2(6.93147180369123816490e-01))), DMUL(fn, D2(1.90821492927058770002e-10)));
  v128_t p = D2(1.0 / 3628800.0);
  p = DADD(DMUL(p, r), D2(1.0 / 362880.0));
  p = DADD(DMUL(p, r), D2(1.0 / 40320.0));
  p = DADD(DMUL(p, r), D2(1.0 / 5040.0));
  p = DADD(DMUL(p, r), D2(1.0 / 720.0));
  p = DADD(DMUL(p, r), D2(1.0 / 120.0));
  p = DADD(DMUL(p, r), D2(1.0 / 24.0));
  p = DADD(DMUL(p, r), D2(1.0 / 6.0));
  p = DADD(DMUL(p, r), D2(0.5));
  p = DADD(D2(1), DADD(r, DMUL(DMUL(r, r), p)));
  /* 2^n in two halves (n in [-1075, 1023]). */
  v128_t n = wasm_i64x2_extend_low_i32x4(wasm_i32x4_trunc_sat_f64x2_zero(fn));
  v128_t n1 = wasm_i64x2_shr(n, 1);
  v128_t n2 = wasm_i64x2_sub(n, n1);
  v128_t s1 = wasm_i64x2_shl(wasm_i64x2_add(n1, wasm_i64x2_splat(1023)), 52);
  v128_t s2 = wasm_i64x2_shl(wasm_i64x2_add(n2, wasm_i64x2_splat(1023)), 52);
  return DMUL(DMUL(p, s1), s2);
}

/*
 * Phi(x) = P(X <= x) for float64 lanes: erfc(z) = t e^(-z^2 + P(t)), z = |x| / sqrt 2,
 * t = 2 / (2 + z), P of degree 14 fitted to erfc over z >= 0 (error below 4e-10 relative);
 * Phi = erfc(z) / 2 below 0, 1 - erfc(z) / 2 above, so neither side cancels.
 */
static inline v128_t d_phi(v128_t x) {
  v128_t z = DMUL(wasm_f64x2_abs(x), D2(0.70710678118654752440));
  v128_t t = DDIV(D2(2), DADD(D2(2), z));
  v128_t p = D2(-0.13305864470513135);
  p = DADD(DMUL(p, t), D2(1.1011739102220435));
  p = DADD(DMUL(p, t), D2(-3.9593502569842944));
  p = DADD(DMUL(p, t), D2(8.02068862304024));
  p = DADD(DMUL(p, t), D2(-9.899900065879065));
  p = DADD(DMUL(p, t), D2(7.549808546036102));
  p = DADD(DMUL(p, t), D2(-3.619014471932052));
  p = DADD(DMUL(p, t), D2(1.3364798663946564));
  p = DADD(DMUL(p, t), D2(-0.40599899845207116));
  p = DADD(DMUL(p, t), D2(-0.09266238573236611));
  p = DADD(DMUL(p, t), D2(-0.09131572073794528));
  p = DADD(DMUL(p, t), D2(0.08367277045854243));
  p = DADD(DMUL(p, t), D2(0.3749888066488985));
  p = DADD(DMUL(p, t), D2(1.0000001455554515));
  p = DADD(DMUL(p, t), D2(-1.2655121237987217));
  v128_t half = DMUL(DMUL(t, d_exp(DSUB(p, DMUL(DMUL(x, x), D2(0.5))))), D2(0.5));
  return wasm_v128_bitselect(half, DSUB(D2(1), half), wasm_f64x2_lt(x, D2(0)));
}

/* 1 / (1 + e^-y) for float64 lanes, both sides stable. */
static inline v128_t d_sigmoid(v128_t y) {
  v128_t e = d_exp(wasm_f64x2_neg(wasm_f64x2_abs(y)));
  v128_t d = DADD(D2(1), e);
  return wasm_v128_bitselect(DDIV(D2(1), d), DDIV(e, d), wasm_f64x2_ge(y, D2(0)));
}

/* Runs f64 lane code F (on a v128_t named `d`) over the four lanes of x. */
#define IN_F64(x, F)                                                                      \
  ({                                                                                      \
    v128_t lo_, hi_;                                                                      \
    {                                                                                     \
      v128_t d = wasm_f64x2_promote_low_f32x4(x);                                         \
      lo_ = wasm_f32x4_demote_f64x2_zero(F);                                              \
    }                                                                                     \
    {                                                                                     \
      v128_t d = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(x, x, 2, 3, 0, 1));      \
      hi_ = wasm_f32x4_demote_f64x2_zero(F);                                              \
    }                                                                                     \
    wasm_i32x4_shuffle(lo_, hi_, 0, 1, 4, 5);                                             \
  })

static inline v128_t v_gelu(v128_t x) { return IN_F64(x, DMUL(d, d_phi(d))); }

/* 0.5 x (1 + tanh u) = x sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3): no cancellation for x < 0. */
static inline v128_t v_gelu_tanh(v128_t x) {
  return IN_F64(x, DMUL(d, d_sigmoid(DMUL(D2(2 * 0.79788456080286535588), DADD(d, DMUL(D2(0.044715), DMUL(DMUL(d, d), d)))))));
}

/* ---------------------------------------------------------------- the activations' backward passes */

/* gelu'(x) = Phi(x) + x phi(x) in float64 lanes, phi(x) = e^(-x^2 / 2) / sqrt(2 pi). */
static inline v128_t v_gelu_grad(v128_t x) {
  return IN_F64(x, DADD(d_phi(d), DMUL(DMUL(d, d_exp(DMUL(DMUL(d, d), D2(-0.5)))), D2(0.39894228040143267794))));
}

/* x: the gradient g, y: the kept tensor (relu, sigmoid, tanh: the output; silu, gelu: the input). */
static void grad_run(int op, const float *a, int sa, const float *b, int sb, float *o, int n) {
  v128_t zero = F4(0), one = F4(1);
  switch (op) {
    case B_RELU_GRAD: BIN_LOOP(wasm_v128_and(x, wasm_f32x4_gt(y, zero))); break;
    case B_SIGMOID_GRAD: BIN_LOOP(MUL(x, MUL(y, SUB(one, y)))); break;
    case B_TANH_GRAD: BIN_LOOP(MUL(x, SUB(one, MUL(y, y)))); break;
    case B_SILU_GRAD: BIN_LOOP(({
      v128_t s_ = v_sigmoid(y);
      MUL(x, MUL(s_, ADD(one, MUL(y, SUB(one, s_)))));
    })); break;
    case B_GELU_GRAD: BIN_LOOP(MUL(x, v_gelu_grad(y))); break;
    default: break;
  }
}

/* ---------------------------------------------------------------- unary */

#define UN_LOOP(EXPR)                                                                    \
  do {                                                                                   \
    int i = 0;                                                                           \
    if (sx == 1) {                                                                       \
      for (; i + 4 <= n; i += 4) {                                                       \
        v128_t x = wasm_v128_load(src + i);                                              \
        wasm_v128_store(o + i, (EXPR));                                                  \
      }                                                                                  \
    } else {                                                                             \
      for (; i + 4 <= n; i += 4) {                                                       \
        v128_t x = ld(src + (long)i * sx, sx);                                           \
        wasm_v128_store(o + i, (EXPR));                                                  \
      }                                                                                  \
    }                                                                                    \
    for (; i < n; i++) {                                                                 \
      v128_t x = wasm_v128_load32_splat(src + (long)i * sx);                             \
      o[i] = wasm_f32x4_extract_lane((EXPR), 0);                                         \
    }                                                                                    \
  } while (0)

static void un_run(int op, const float *src, int sx, float *o, int n, double a0, double a1) {
  v128_t zero = F4(0), one = F4(1);
  v128_t p0 = F4(a0), p1 = F4(a1);
  switch (op) {
    case U_NEG: UN_LOOP(wasm_f32x4_neg(x)); break;
    case U_ABS: UN_LOOP(wasm_f32x4_abs(x)); break;
    case U_SQUARE: UN_LOOP(MUL(x, x)); break;
    case U_SIGN: UN_LOOP(SEL(one, SEL(wasm_f32x4_neg(one), zero, wasm_f32x4_lt(x, zero)), wasm_f32x4_gt(x, zero))); break;
    case U_RELU: UN_LOOP(wasm_f32x4_max(x, zero)); break;
    case U_EXP: UN_LOOP(v_exp(x)); break;
    case U_LOG: UN_LOOP(v_log(x)); break;
    case U_LOG1P: UN_LOOP(v_log1p(x)); break;
    case U_EXPM1: UN_LOOP(v_expm1(x)); break;
    case U_SQRT: UN_LOOP(wasm_f32x4_sqrt(x)); break;
    case U_RSQRT: UN_LOOP(IN_F64(x, DDIV(D2(1), wasm_f64x2_sqrt(d)))); break;
    case U_TANH: UN_LOOP(v_tanh(x)); break;
    case U_SIGMOID: UN_LOOP(v_sigmoid(x)); break;
    case U_ROUND: UN_LOOP(wasm_f32x4_nearest(x)); break;
    case U_FLOOR: UN_LOOP(wasm_f32x4_floor(x)); break;
    case U_CEIL: UN_LOOP(wasm_f32x4_ceil(x)); break;
    case U_TRUNC: UN_LOOP(wasm_f32x4_trunc(x)); break;
    case U_LEAKY: {
      /* slope x in float64, rounded once, as the reference. */
      v128_t s = D2(a0);
      UN_LOOP(SEL(x, IN_F64(x, DMUL(d, s)), wasm_f32x4_gt(x, zero)));
      break;
    }
    case U_ELU: UN_LOOP(SEL(x, MUL(p0, v_expm1(x)), wasm_f32x4_gt(x, zero))); break;
    case U_GELU: UN_LOOP(v_gelu(x)); break;
    case U_GELU_TANH: UN_LOOP(v_gelu_tanh(x)); break;
    case U_SILU: UN_LOOP(v_silu(x)); break;
    case U_SOFTPLUS: {
      /* (max(z, 0) + log1p(e^-|z|)) / beta, z = beta x; x itself above the threshold. */
      UN_LOOP(({
        v128_t z_ = MUL(p0, x);
        v128_t s_ = DIV(ADD(wasm_f32x4_max(z_, zero), v_log1p(v_exp(wasm_f32x4_neg(v_abs(z_))))), p0);
        SEL(x, s_, wasm_f32x4_gt(z_, p1));
      }));
      break;
    }
    case U_HARDTANH: UN_LOOP(wasm_f32x4_min(wasm_f32x4_max(x, p0), p1)); break;
    default: break;
  }
}

/* out = op(x) over runs (as ew_binary_f32; x's step sx, the output's 1); a0, a1: the op's parameters. */
EXPORT void ew_unary_f32(int op, const float *X, float *O, const int *tx, const int *to, int runs, int inner, int sx,
                         double a0, double a1, int tid, int nthreads) {
  long long total = (long long)runs * inner;
  long long begin = total * tid / nthreads, end = total * (tid + 1) / nthreads;
  long long pos = begin;
  while (pos < end) {
    int r = (int)(pos / inner), j = (int)(pos % inner);
    int len = inner - j;
    if (len > end - pos) len = (int)(end - pos);
    un_run(op, X + (tx ? tx[r] : 0) + (long)j * sx, sx, O + (long)(to ? to[r] : 0) + j, len, a0, a1);
    pos += len;
  }
}

/* ---------------------------------------------------------------- where */

/* Four bool bytes (step s) as lane masks: any nonzero byte is true. */
static inline v128_t ld_mask(const unsigned char *p, int s) {
  v128_t b;
  if (s == 1) b = wasm_v128_load32_zero(p);
  else if (s == 0) b = wasm_i8x16_splat((signed char)p[0]);
  else b = wasm_u8x16_make(p[0], p[s], p[2 * s], p[3 * s], 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  return wasm_i32x4_ne(wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_low_u8x16(b)), I4(0));
}

static void where_run(const unsigned char *c, int sc, const float *a, int sa, const float *b, int sb, float *o, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t m = ld_mask(c + (long)i * sc, sc);
    wasm_v128_store(o + i, SEL(ld(a + (long)i * sa, sa), ld(b + (long)i * sb, sb), m));
  }
  for (; i < n; i++) o[i] = c[(long)i * sc] ? a[(long)i * sa] : b[(long)i * sb];
}

/* out = cond ? a : b over runs (as ew_binary_f32): cond bytes (bool), a, b and out float32. */
EXPORT void ew_where_f32(const unsigned char *C, const float *A, const float *B, float *O, const int *tc, const int *ta,
                         const int *tb, const int *to, int runs, int inner, int sc, int sa, int sb, int tid, int nthreads) {
  long long total = (long long)runs * inner;
  long long begin = total * tid / nthreads, end = total * (tid + 1) / nthreads;
  long long pos = begin;
  while (pos < end) {
    int r = (int)(pos / inner), j = (int)(pos % inner);
    int len = inner - j;
    if (len > end - pos) len = (int)(end - pos);
    where_run(C + (tc ? tc[r] : 0) + (long)j * sc, sc, A + (ta ? ta[r] : 0) + (long)j * sa, sa,
              B + (tb ? tb[r] : 0) + (long)j * sb, sb, O + (long)(to ? to[r] : 0) + j, len);
    pos += len;
  }
}
