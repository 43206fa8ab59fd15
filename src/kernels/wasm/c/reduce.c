/*
 * The wasm backend's reductions (float32): sum, max, min, argmax, argmin, 128-bit SIMD.
 *
 * Layouts (src/kernels/reduce/wasm.ts picks them; anything else runs the cpu reference):
 *   rows     each output reduces `segs` segments of `len` contiguous floats, segment stride
 *            `ss` (one segment: a contiguous row), outputs at `rs` apart or at a table's
 *            offsets. Sums accumulate in float64 lanes (four f64x2 accumulators), close to
 *            the reference's sequential double sum (both round once to float32).
 *   columns  `cols` neighbouring outputs (stride 1 in x) reduce `k` elements `cs` apart
 *            each; the SIMD lanes are outputs, and each lane walks its elements in the
 *            reference's order, so results are the reference's bit for bit. Column sums
 *            stream instead (reduce_cols_sum_f32: row after row added into a float64 row),
 *            one double per output, in order: bit for bit too.
 *   one row  a single long contiguous row (x.sum()) split in chunks over the threads
 *            (reduce_all_f32); the binder combines the chunks' results in order.
 * max/min propagate NaN; argmax/argmin return the first NaN's index if any, else the first
 * index of the extreme (ties and -0 / +0 compare equal), as PyTorch and the cpu reference.
 * max/min of rows: the first zero met, when the extreme is zero (the reference keeps the
 * first of -0 / +0).
 *
 * Threads split the outputs. No locals have their address taken, and no static data.
 */

#include "common.h"

enum { R_SUM, R_MAX, R_MIN, R_ARGMAX, R_ARGMIN };

#define F4(v) wasm_f32x4_splat((float)(v))
#define I4(v) wasm_i32x4_splat(v)
#define SEL(a, b, c) wasm_v128_bitselect((a), (b), (c))
#define NONE 0x7fffffff

static double row_sum(const float *x, int segs, int len, int ss) {
  v128_t a0 = wasm_f64x2_splat(0), a1 = a0, a2 = a0, a3 = a0;
  double tail = 0;
  for (int s = 0; s < segs; s++) {
    const float *p = x + (long)s * ss;
    int i = 0;
    for (; i + 8 <= len; i += 8) {
      v128_t v = wasm_v128_load(p + i), w = wasm_v128_load(p + i + 4);
      a0 = wasm_f64x2_add(a0, wasm_f64x2_promote_low_f32x4(v));
      a1 = wasm_f64x2_add(a1, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1)));
      a2 = wasm_f64x2_add(a2, wasm_f64x2_promote_low_f32x4(w));
      a3 = wasm_f64x2_add(a3, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(w, w, 2, 3, 0, 1)));
    }
    for (; i < len; i++) tail += (double)p[i];
  }
  v128_t a = wasm_f64x2_add(wasm_f64x2_add(a0, a1), wasm_f64x2_add(a2, a3));
  return wasm_f64x2_extract_lane(a, 0) + wasm_f64x2_extract_lane(a, 1) + tail;
}

/* max (is_max) or min of a row; NaN if any; the first zero met if the extreme is zero. */
static float row_extreme(const float *x, int segs, int len, int ss, int is_max) {
  v128_t acc = F4(is_max ? -__builtin_inff() : __builtin_inff());
  float tail = is_max ? -__builtin_inff() : __builtin_inff();
  int nan = 0;
  for (int s = 0; s < segs; s++) {
    const float *p = x + (long)s * ss;
    int i = 0;
    /* Four independent pmax / pmin chains (one instruction each on x86, where max / min with
       wasm's NaN rule take several and one chain waits on its own latency); NaNs, which
       pmax / pmin pass over, are noted in a mask instead. */
    v128_t a1 = acc, a2 = acc, a3 = acc, bad = I4(0);
#define EXTREME_LOOP(P, EXACT)                                                                                          \
  for (; i + 16 <= len; i += 16) {                                                                                      \
    v128_t v0 = wasm_v128_load(p + i), v1 = wasm_v128_load(p + i + 4), v2 = wasm_v128_load(p + i + 8), v3 = wasm_v128_load(p + i + 12); \
    acc = P(acc, v0), a1 = P(a1, v1), a2 = P(a2, v2), a3 = P(a3, v3);                                                  \
    bad = wasm_v128_or(bad, wasm_v128_or(wasm_v128_or(wasm_f32x4_ne(v0, v0), wasm_f32x4_ne(v1, v1)),                    \
                                         wasm_v128_or(wasm_f32x4_ne(v2, v2), wasm_f32x4_ne(v3, v3))));                   \
  }                                                                                                                     \
  acc = P(P(acc, a1), P(a2, a3));                                                                                       \
  for (; i + 4 <= len; i += 4) acc = EXACT(acc, wasm_v128_load(p + i))
    if (is_max) {
      EXTREME_LOOP(wasm_f32x4_pmax, wasm_f32x4_max);
    } else {
      EXTREME_LOOP(wasm_f32x4_pmin, wasm_f32x4_min);
    }
#undef EXTREME_LOOP
    if (wasm_v128_any_true(bad)) nan = 1;
    for (; i < len; i++) {
      float v = p[i];
      if (v != v) nan = 1;
      else if (is_max ? v > tail : v < tail) tail = v;
    }
  }
  float r = tail;
  for (int l = 0; l < 4; l++) {
    float v = wasm_f32x4_extract_lane(wasm_i32x4_shuffle(acc, acc, 0, 1, 2, 3), 0);
    acc = wasm_i32x4_shuffle(acc, acc, 1, 2, 3, 0);
    if (v != v) nan = 1;
    else if (is_max ? v > r : v < r) r = v;
  }
  if (nan) return __builtin_nanf("");
  if (r == 0) {
    for (int s = 0; s < segs; s++) {
      const float *p = x + (long)s * ss;
      for (int i = 0; i < len; i++) if (p[i] == 0) return p[i];
    }
  }
  return r;
}

/* Flat index (s * len + i) of the first NaN, else of the first extreme. */
static int row_arg(const float *x, int segs, int len, int ss, int is_max) {
  float inf = is_max ? -__builtin_inff() : __builtin_inff();
  v128_t best = F4(inf), idx = I4(NONE), anynan = I4(0);
  float sbest = inf;
  int sidx = NONE;
  for (int s = 0; s < segs; s++) {
    const float *p = x + (long)s * ss;
    int i = 0;
    v128_t at = wasm_i32x4_add(I4(s * len), wasm_i32x4_make(0, 1, 2, 3));
    for (; i + 4 <= len; i += 4) {
      v128_t v = wasm_v128_load(p + i);
      v128_t up = is_max ? wasm_f32x4_gt(v, best) : wasm_f32x4_lt(v, best);
      best = SEL(v, best, up);
      idx = SEL(at, idx, up);
      anynan = wasm_v128_or(anynan, wasm_f32x4_ne(v, v));
      at = wasm_i32x4_add(at, I4(4));
    }
    for (; i < len; i++) {
      float v = p[i];
      if (v != v) anynan = I4(-1);
      else if (is_max ? v > sbest : v < sbest) { sbest = v; sidx = s * len + i; }
    }
  }
  if (wasm_v128_any_true(anynan)) {
    for (int s = 0; s < segs; s++) {
      const float *p = x + (long)s * ss;
      for (int i = 0; i < len; i++) if (p[i] != p[i]) return s * len + i;
    }
  }
  float rb = sbest;
  int ri = sidx;
  for (int l = 0; l < 4; l++) {
    float v = wasm_f32x4_extract_lane(best, 0);
    int j = wasm_i32x4_extract_lane(idx, 0);
    best = wasm_i32x4_shuffle(best, best, 1, 2, 3, 0);
    idx = wasm_i32x4_shuffle(idx, idx, 1, 2, 3, 0);
    if (j == NONE) continue;
    if ((is_max ? v > rb : v < rb) || (v == rb && j < ri)) { rb = v; ri = j; }
  }
  return ri == NONE ? 0 : ri;
}

/*
 * Row reductions: output o reduces `segs` segments of `len` floats `ss` apart, starting at
 * X + tbl[o] (or X + o * rs when tbl is null); out is float32 (sum/max/min) or int32 (arg*).
 */
EXPORT void reduce_rows_f32(int op, const float *X, const int *tbl, int rs, int rows, int segs, int len, int ss, void *out,
                            int tid, int nthreads) {
  SPLIT(rows, tid, nthreads, begin, end);
  for (int o = begin; o < end; o++) {
    const float *x = X + (tbl ? (long)tbl[o] : (long)o * rs);
    switch (op) {
      case R_SUM: ((float *)out)[o] = (float)row_sum(x, segs, len, ss); break;
      case R_MAX: ((float *)out)[o] = row_extreme(x, segs, len, ss, 1); break;
      case R_MIN: ((float *)out)[o] = row_extreme(x, segs, len, ss, 0); break;
      case R_ARGMAX: ((int *)out)[o] = row_arg(x, segs, len, ss, 1); break;
      case R_ARGMIN: ((int *)out)[o] = row_arg(x, segs, len, ss, 0); break;
      default: break;
    }
  }
}

/* Four neighbouring columns (lanes) at p, `w` of them real (w < 4: a tail, loaded lane by lane). */
static inline v128_t ld_cols(const float *p, int w) {
  if (w == 4) return wasm_v128_load(p);
  return wasm_f32x4_make(p[0], w > 1 ? p[1] : 0.0f, w > 2 ? p[2] : 0.0f, 0.0f);
}

static void col_block(int op, const float *x, int w, int k, int cs, void *out) {
  if (op == R_SUM) {
    v128_t lo = wasm_f64x2_splat(0), hi = lo;
    for (int i = 0; i < k; i++) {
      v128_t v = ld_cols(x + (long)i * cs, w);
      lo = wasm_f64x2_add(lo, wasm_f64x2_promote_low_f32x4(v));
      hi = wasm_f64x2_add(hi, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1)));
    }
    v128_t r = wasm_i32x4_shuffle(wasm_f32x4_demote_f64x2_zero(lo), wasm_f32x4_demote_f64x2_zero(hi), 0, 1, 4, 5);
    float *o = (float *)out;
    if (w == 4) wasm_v128_store(o, r);
    else for (int l = 0; l < w; l++) { o[l] = wasm_f32x4_extract_lane(r, 0); r = wasm_i32x4_shuffle(r, r, 1, 2, 3, 0); }
    return;
  }
  int is_max = op == R_MAX || op == R_ARGMAX;
  v128_t best = F4(is_max ? -__builtin_inff() : __builtin_inff());
  v128_t idx = I4(0), nanidx = I4(0), found = I4(0), at = I4(0);
  for (int i = 0; i < k; i++) {
    v128_t v = ld_cols(x + (long)i * cs, w);
    v128_t up = is_max ? wasm_f32x4_gt(v, best) : wasm_f32x4_lt(v, best);
    best = SEL(v, best, up);
    idx = SEL(at, idx, up);
    v128_t fresh = wasm_v128_andnot(wasm_f32x4_ne(v, v), found);
    nanidx = SEL(at, nanidx, fresh);
    found = wasm_v128_or(found, fresh);
    at = wasm_i32x4_add(at, I4(1));
  }
  v128_t r = op == R_MAX || op == R_MIN ? SEL(F4(__builtin_nanf("")), best, found) : SEL(nanidx, idx, found);
  if (w == 4) wasm_v128_store(out, r);
  else for (int l = 0; l < w; l++) { ((int *)out)[l] = wasm_i32x4_extract_lane(r, 0); r = wasm_i32x4_shuffle(r, r, 1, 2, 3, 0); }
}

/*
 * Column reductions: group g's `cols` outputs (out + g * cols + j) start at X + tbl[g] (or
 * X + g * gs) + j and each reduces k elements cs apart.
 */
EXPORT void reduce_cols_f32(int op, const float *X, const int *tbl, int gs, int groups, int cols, int k, int cs, void *out,
                            int tid, int nthreads) {
  int blocks = (cols + 3) / 4;
  SPLIT(groups * blocks, tid, nthreads, begin, end);
  for (int b = begin; b < end; b++) {
    int g = b / blocks, j = (b % blocks) * 4;
    int w = cols - j < 4 ? cols - j : 4;
    const float *x = X + (tbl ? (long)tbl[g] : (long)g * gs) + j;
    col_block(op, x, w, k, cs, (char *)out + 4 * ((long)g * cols + j));
  }
}

/*
 * Column sums, streaming: thread t keeps float64 sums of its share of the columns in `acc`
 * (a row of cols doubles, reused group by group) and adds row after row of x into them, so
 * x is read in order, whole cache lines at a time. Each column's sum is the reference's
 * sequential double sum, bit for bit.
 */
EXPORT void reduce_cols_sum_f32(const float *X, const int *tbl, int gs, int groups, int cols, int k, int cs, float *out,
                                double *acc, int tid, int nthreads) {
  int blocks = (cols + 3) / 4;
  SPLIT(blocks, tid, nthreads, b0, b1);
  int c0 = b0 * 4, c1 = b1 * 4 < cols ? b1 * 4 : cols;
  int cv = c0 + ((c1 - c0) & ~3);
  for (int g = 0; g < groups; g++) {
    const float *x = X + (tbl ? (long)tbl[g] : (long)g * gs);
    for (int j = c0; j < c1; j++) acc[j] = 0;
    for (int i = 0; i < k; i++) {
      const float *row = x + (long)i * cs;
      int j = c0;
      for (; j < cv; j += 4) {
        v128_t v = wasm_v128_load(row + j);
        wasm_v128_store(acc + j, wasm_f64x2_add(wasm_v128_load(acc + j), wasm_f64x2_promote_low_f32x4(v)));
        wasm_v128_store(acc + j + 2, wasm_f64x2_add(wasm_v128_load(acc + j + 2), wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1))));
      }
      for (; j < c1; j++) acc[j] += (double)row[j];
    }
    float *o = out + (long)g * cols;
    int j = c0;
    for (; j < cv; j += 4) {
      v128_t lo = wasm_f32x4_demote_f64x2_zero(wasm_v128_load(acc + j));
      v128_t hi = wasm_f32x4_demote_f64x2_zero(wasm_v128_load(acc + j + 2));
      wasm_v128_store(o + j, wasm_i32x4_shuffle(lo, hi, 0, 1, 4, 5));
    }
    for (; j < c1; j++) o[j] = (float)acc[j];
  }
}

/*
 * One contiguous row of n split over the threads: thread t reduces its chunk and writes
 * (value as a double, index) at part + 16 t; the binder combines the chunks in order.
 */
EXPORT void reduce_all_f32(int op, const float *X, int n, char *part, int tid, int nthreads) {
  SPLIT(n, tid, nthreads, begin, end);
  const float *x = X + begin;
  int len = end - begin;
  double *v = (double *)(part + 16 * tid);
  int *at = (int *)(part + 16 * tid + 8);
  *at = -1;
  if (len == 0) { *v = 0; return; }
  switch (op) {
    case R_SUM: *v = row_sum(x, 1, len, 0); break;
    case R_MAX: *v = row_extreme(x, 1, len, 0, 1); break;
    case R_MIN: *v = row_extreme(x, 1, len, 0, 0); break;
    case R_ARGMAX:
    case R_ARGMIN: {
      int i = row_arg(x, 1, len, 0, op == R_ARGMAX);
      *v = x[i];
      *at = begin + i;
      break;
    }
    default: break;
  }
}
