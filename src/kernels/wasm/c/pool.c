/*
 * 2-D max / average pooling over [N, C, H, W] and their adjoints, float32
 * (src/kernels/pool/cpu.ts is the reference, followed loop for loop: the same windows, the
 * same order of additions in doubles, one rounding on store, so the results are the
 * reference's bit for bit). x and g are read through element strides (plane offsets from the
 * (n, c) strides); outputs are contiguous. Threads split the N * C planes.
 *
 * An axis is 7 ints: size, out, kernel, stride, padding, dilation, adaptive.
 */
#include "common.h"

#define AXIS int size, int out, int kernel, int stride, int padding, int dilation, int adaptive
#define INF __builtin_inff()

/* Window o along an axis: first position, taps and the step between them. */
#define WINDOW(A, o, first, taps, step)                                                     \
  int first, taps, step;                                                                    \
  if (A##adaptive) {                                                                        \
    first = (int)(((long long)(o) * A##size) / A##out);                                     \
    taps = (int)(((long long)((o) + 1) * A##size + A##out - 1) / A##out) - first;           \
    step = 1;                                                                               \
  } else {                                                                                  \
    first = (o) * A##stride - A##padding;                                                   \
    taps = A##kernel;                                                                       \
    step = A##dilation;                                                                     \
  }

/* Average pooling's divisor along one axis (the reference's axisDivisor). */
#define DIVISOR(A, first, taps, cip)                                                        \
  (A##adaptive ? (taps)                                                                     \
   : (cip) ? imin((first) + (taps), A##size + A##padding) - (first)                          \
           : imin((first) + (taps), A##size) - imax((first), 0))

static inline int imin(int a, int b) { return a < b ? a : b; }
static inline int imax(int a, int b) { return a > b ? a : b; }

#define HAXIS int hsize, int hout, int hkernel, int hstride, int hpadding, int hdilation, int hadaptive
#define WAXIS int wsize, int wout, int wkernel, int wstride, int wpadding, int wdilation, int wadaptive

/*
 * Taps [t0, t1) of a window (first, taps, step) that fall inside [0, size), by stepping in
 * from both ends (a window sticks out by at most its padding, or not at all: a few steps, and
 * no integer division, which costs tens of cycles).
 */
#define INSIDE(first, taps, step, size, t0, t1)                              \
  int t0 = 0, t1 = (taps);                                                   \
  while (t0 < t1 && (first) + t0 * (step) < 0) t0++;                         \
  while (t1 > t0 && (first) + (t1 - 1) * (step) >= (size)) t1--

/*
 * Index h * W + w of each window's maximum (the first in row-major order; NaN beats every
 * number, the first NaN wins), -inf / -1 for a window with no tap inside the input. The taps
 * inside the input are found per row and column first, so the inner loop has no bounds test.
 */
EXPORT void max_pool2d_f32(const float *x, int C, int sn, int sc, int sh, int sw, int planes, HAXIS, WAXIS,
                           float *out, int *indices, int tid, int nthreads) {
  SPLIT(planes, tid, nthreads, p0, p1);
  int H = hsize, W = wsize;
  for (int p = p0; p < p1; p++) {
    const float *xp = x + (long)(p / C) * sn + (long)(p % C) * sc;
    long at = (long)p * hout * wout;
    for (int oh = 0; oh < hout; oh++) {
      WINDOW(h, oh, hf, ht, hs)
      INSIDE(hf, ht, hs, H, th0, th1);
      for (int ow = 0; ow < wout; ow++) {
        WINDOW(w, ow, wf, wt, ws)
        INSIDE(wf, wt, ws, W, tw0, tw1);
        /*
         * Four adjacent outputs whose windows lie inside the row (stride 1 or 2 along W, unit
         * element stride): one 128-bit lane per output, the taps in the same order, selects
         * in place of the branch. With stride 2 the two loads reach one element past the last
         * lane's tap, which must be inside the row too.
         */
        if (!wadaptive && sw == 1 && (wstride == 1 || wstride == 2) && ow + 3 < wout && wf >= 0 &&
            wf + 4 * wstride - 1 + (wkernel - 1) * wdilation < W && th0 < th1 && wkernel > 0) {
          v128_t best = wasm_f32x4_splat(-INF);
          v128_t bi = wasm_i32x4_splat(-1);
          v128_t lane = wasm_i32x4_make(0, wstride, 2 * wstride, 3 * wstride);
          v128_t first = wasm_i32x4_splat(1);
          for (int th = th0; th < th1; th++) {
            int h = hf + th * hs;
            const float *row = xp + (long)h * sh + wf;
            for (int tw = 0; tw < wkernel; tw++) {
              const float *q = row + tw * wdilation;
              v128_t v = wstride == 1 ? wasm_v128_load(q) : wasm_i32x4_shuffle(wasm_v128_load(q), wasm_v128_load(q + 4), 0, 2, 4, 6);
              /* the first tap, v > best, or v is the first NaN */
              v128_t upd = wasm_v128_or(first, wasm_v128_andnot(wasm_f32x4_eq(best, best), wasm_f32x4_le(v, best)));
              first = wasm_i32x4_splat(0);
              best = wasm_v128_bitselect(v, best, upd);
              bi = wasm_v128_bitselect(wasm_i32x4_add(wasm_i32x4_splat(h * W + wf + tw * wdilation), lane), bi, upd);
            }
          }
          wasm_v128_store(out + at, best);
          wasm_v128_store(indices + at, bi);
          at += 4;
          ow += 3;
          continue;
        }
        float best = -INF;
        int bestIdx = -1;
        if (th0 < th1 && tw0 < tw1) {
          int h = hf + th0 * hs, w = wf + tw0 * ws;
          best = xp[(long)h * sh + (long)w * sw];
          bestIdx = h * W + w;
          for (int th = th0; th < th1; th++) {
            h = hf + th * hs;
            const float *row = xp + (long)h * sh;
            for (int tw = tw0; tw < tw1; tw++) {
              w = wf + tw * ws;
              float v = row[(long)w * sw];
              /* v > best, or v is the first NaN; selects, not branches (random data mispredicts them) */
              if (!(v <= best) && best == best) { best = v; bestIdx = h * W + w; }
            }
          }
        }
        out[at] = best;
        indices[at] = bestIdx;
        at++;
      }
    }
  }
}

/*
 * out [planes, H, W] (contiguous) = g added at each output's argmax, in doubles (acc: H * W
 * doubles per thread, thread t's at acc + t * H * W), rounded once.
 */
EXPORT void max_pool2d_backward_f32(const float *g, int C, int gn, int gc, int gh, int gw, const int *idx, int in_,
                                    int ic, int ih, int iw, int planes, int H, int W, int OH, int OW, float *out,
                                    double *acc, int tid, int nthreads) {
  SPLIT(planes, tid, nthreads, p0, p1);
  int plane = H * W;
  double *a = acc + (long)tid * plane;
  for (int p = p0; p < p1; p++) {
    for (int j = 0; j < plane; j++) a[j] = 0;
    const float *gp = g + (long)(p / C) * gn + (long)(p % C) * gc;
    const int *ip = idx + (long)(p / C) * in_ + (long)(p % C) * ic;
    for (int oh = 0; oh < OH; oh++)
      for (int ow = 0; ow < OW; ow++) {
        int j = ip[(long)oh * ih + (long)ow * iw];
        if (j >= 0) a[j] += (double)gp[(long)oh * gh + (long)ow * gw];
      }
    float *o = out + (long)p * plane;
    for (int j = 0; j < plane; j++) o[j] = (float)a[j];
  }
}

EXPORT void avg_pool2d_f32(const float *x, int C, int sn, int sc, int sh, int sw, int planes, HAXIS, WAXIS,
                           int countIncludePad, double divisorOverride, float *out, int tid, int nthreads) {
  SPLIT(planes, tid, nthreads, p0, p1);
  int H = hsize, W = wsize;
  for (int p = p0; p < p1; p++) {
    const float *xp = x + (long)(p / C) * sn + (long)(p % C) * sc;
    long at = (long)p * hout * wout;
    for (int oh = 0; oh < hout; oh++) {
      WINDOW(h, oh, hf, ht, hs)
      (void)hs;
      int dh = DIVISOR(h, hf, ht, countIncludePad);
      int h0 = imax(hf, 0), h1 = imin(hf + ht, H);
      for (int ow = 0; ow < wout; ow++) {
        WINDOW(w, ow, wf, wt, ws)
        (void)ws;
        /*
         * Four adjacent outputs whose windows lie inside the row (W stride 1 or 2, unit element
         * stride): their sums in four f64 lanes, added in the reference's order; the divisor is
         * the same for all four (dh * kernel, or the override).
         */
        if (!wadaptive && sw == 1 && (wstride == 1 || wstride == 2) && ow + 3 < wout && wf >= 0 &&
            wf + 4 * wstride - 1 + (wt - 1) < W) {
          v128_t s0 = wasm_f64x2_splat(0), s1 = s0;
          for (int h = h0; h < h1; h++) {
            const float *q = xp + (long)h * sh + wf;
            for (int t = 0; t < wt; t++) {
              v128_t v = wstride == 1 ? wasm_v128_load(q + t) : wasm_i32x4_shuffle(wasm_v128_load(q + t), wasm_v128_load(q + t + 4), 0, 2, 4, 6);
              s0 = wasm_f64x2_add(s0, wasm_f64x2_promote_low_f32x4(v));
              s1 = wasm_f64x2_add(s1, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 2, 3)));
            }
          }
          v128_t d = wasm_f64x2_splat(divisorOverride != 0 ? divisorOverride : (double)dh * (double)wt);
          v128_t a = wasm_f32x4_demote_f64x2_zero(wasm_f64x2_div(s0, d)), b = wasm_f32x4_demote_f64x2_zero(wasm_f64x2_div(s1, d));
          wasm_v128_store(out + at, wasm_i32x4_shuffle(a, b, 0, 1, 4, 5));
          at += 4;
          ow += 3;
          continue;
        }
        int w0 = imax(wf, 0), w1 = imin(wf + wt, W);
        double s = 0;
        for (int h = h0; h < h1; h++) {
          const float *row = xp + (long)h * sh;
          for (int w = w0; w < w1; w++) s += (double)row[(long)w * sw];
        }
        double d = divisorOverride != 0 ? divisorOverride : (double)dh * (double)DIVISOR(w, wf, wt, countIncludePad);
        out[at++] = (float)(s / d);
      }
    }
  }
}

/* The adjoint: each g spread evenly over its window, in doubles (acc as max_pool2d_backward_f32). */
EXPORT void avg_pool2d_backward_f32(const float *g, int C, int gn, int gc, int gh, int gw, int planes, HAXIS, WAXIS,
                                    int countIncludePad, double divisorOverride, float *out, double *acc, int tid,
                                    int nthreads) {
  SPLIT(planes, tid, nthreads, p0, p1);
  int H = hsize, W = wsize;
  int plane = H * W;
  double *a = acc + (long)tid * plane;
  for (int p = p0; p < p1; p++) {
    for (int j = 0; j < plane; j++) a[j] = 0;
    const float *gp = g + (long)(p / C) * gn + (long)(p % C) * gc;
    for (int oh = 0; oh < hout; oh++) {
      WINDOW(h, oh, hf, ht, hs)
      (void)hs;
      int dh = DIVISOR(h, hf, ht, countIncludePad);
      int h0 = imax(hf, 0), h1 = imin(hf + ht, H);
      for (int ow = 0; ow < wout; ow++) {
        WINDOW(w, ow, wf, wt, ws)
        (void)ws;
        int w0 = imax(wf, 0), w1 = imin(wf + wt, W);
        double d = divisorOverride != 0 ? divisorOverride : (double)dh * (double)DIVISOR(w, wf, wt, countIncludePad);
        double v = (double)gp[(long)oh * gh + (long)ow * gw] / d;
        for (int h = h0; h < h1; h++) {
          double *ar = a + (long)h * W;
          for (int w = w0; w < w1; w++) ar[w] += v;
        }
      }
    }
    float *o = out + (long)p * plane;
    for (int j = 0; j < plane; j++) o[j] = (float)a[j];
  }
}
