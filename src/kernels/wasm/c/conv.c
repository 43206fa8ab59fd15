/*
 * Convolution by lowering to the matrix product (gemm.c), a batch of images at a time:
 * im2col gathers the taps of NB images of one group into a [Cin/groups * KH * KW, NB * P]
 * matrix (P = OH * OW; zeros where a tap falls in the padding), so the forward is one product
 * W_g x col and the weight gradient dY x col^T; col2im adds such a matrix (the input gradient
 * W_g^T x dY) back into the images, tap by tap. copy_rows moves rows of P floats between the
 * images' [N, C, P] layout and the products' [C, N * P].
 *
 * An image at a time (conv_images_f32, conv_images_wgrad_f32), the column matrix is not written
 * at all: the image is copied into a zero-padded block and the product reads each tap where it
 * lies, through two offset tables (gemm.c's gemm_taps_f32).
 *
 * x is addressed through element strides (sn, sc, sh, sw) from a base pointer at the group's
 * first channel, so any strided view works; dx is contiguous within an image plane.
 */
#include "common.h"

/* The j range [jlo, jhi) whose tap j * stw + xb lies in [0, W). */
#define TAP_RANGE(xb, stw, W, OW, jlo, jhi)                        \
  int jlo = (xb) >= 0 ? 0 : (-(xb) + (stw) - 1) / (stw);          \
  int jhi = (W) - 1 - (xb) < 0 ? 0 : ((W) - 1 - (xb)) / (stw) + 1; \
  if (jhi > (OW)) jhi = (OW);                                       \
  if (jlo > jhi) jlo = jhi

/*
 * col[((c * KH + a) * KW + b) * ldcol + n * P + i * OW + j] = x[n, c, i*sth - ph + a*dh, j*stw - pw + b*dw]
 * for n < NB, c < C; threads split the (n, c) pairs.
 */
EXPORT void im2col_f32(const float *x, int sn, int sc, int sh, int sw, int NB, int C, int H, int W, int KH, int KW,
                       int OH, int OW, int sth, int stw, int ph, int pw, int dh, int dw, float *col, int ldcol,
                       int tid, int nthreads) {
  SPLIT(NB * C, tid, nthreads, q0, q1);
  int P = OH * OW;
  for (int q = q0; q < q1; q++) {
    int n = q / C, c = q % C;
    const float *xc = x + (long)n * sn + (long)c * sc;
    for (int a = 0; a < KH; a++)
      for (int b = 0; b < KW; b++) {
        float *row = col + (long)((c * KH + a) * KW + b) * ldcol + (long)n * P;
        int xb = b * dw - pw;
        TAP_RANGE(xb, stw, W, OW, jlo, jhi);
        for (int i = 0; i < OH; i++) {
          int y = i * sth - ph + a * dh;
          float *out = row + i * OW;
          if (y < 0 || y >= H) {
            for (int j = 0; j < OW; j++) out[j] = 0.0f;
            continue;
          }
          const float *src = xc + (long)y * sh;
          for (int j = 0; j < jlo; j++) out[j] = 0.0f;
          if (stw == 1 && sw == 1) {
            const float *s = src + xb;
            for (int j = jlo; j < jhi; j++) out[j] = s[j];
          } else {
            for (int j = jlo; j < jhi; j++) out[j] = src[(long)(j * stw + xb) * sw];
          }
          for (int j = jhi; j < OW; j++) out[j] = 0.0f;
        }
      }
  }
}

/*
 * dx[n * dxn + c * H * W + y * W + x] += col[row * ldcol + n * P + (i, j)] for every tap of
 * image n < NB, channel c < C; threads split the (n, c) pairs (each owns its plane).
 */
EXPORT void col2im_f32(const float *col, int ldcol, int NB, int C, int H, int W, int KH, int KW, int OH, int OW,
                       int sth, int stw, int ph, int pw, int dh, int dw, float *dx, int dxn, int tid, int nthreads) {
  SPLIT(NB * C, tid, nthreads, q0, q1);
  int P = OH * OW;
  for (int q = q0; q < q1; q++) {
    int n = q / C, c = q % C;
    float *plane = dx + (long)n * dxn + (long)c * H * W;
    for (int a = 0; a < KH; a++)
      for (int b = 0; b < KW; b++) {
        const float *row = col + (long)((c * KH + a) * KW + b) * ldcol + (long)n * P;
        int xb = b * dw - pw;
        TAP_RANGE(xb, stw, W, OW, jlo, jhi);
        for (int i = 0; i < OH; i++) {
          int y = i * sth - ph + a * dh;
          if (y < 0 || y >= H) continue;
          float *dst = plane + (long)y * W;
          const float *in = row + i * OW;
          if (stw == 1) {
            float *d = dst + xb;
            for (int j = jlo; j < jhi; j++) d[j] += in[j];
          } else {
            for (int j = jlo; j < jhi; j++) dst[j * stw + xb] += in[j];
          }
        }
      }
  }
}

/*
 * dst[o * d_outer + i * d_inner + k] = src[o * s_outer + i * s_inner + k] for o < n_outer,
 * i < n_inner, k < len (rows of len contiguous floats); threads split the rows.
 */
EXPORT void copy_rows_f32(const float *src, int s_outer, int s_inner, float *dst, int d_outer, int d_inner,
                          int n_outer, int n_inner, int len, int tid, int nthreads) {
  SPLIT(n_outer * n_inner, tid, nthreads, r0, r1);
  for (int r = r0; r < r1; r++) {
    int o = r / n_inner, i = r % n_inner;
    const float *s = src + (long)o * s_outer + (long)i * s_inner;
    float *d = dst + (long)o * d_outer + (long)i * d_inner;
    int k = 0;
    for (; k + 4 <= len; k += 4) wasm_v128_store(d + k, wasm_v128_load(s + k));
    for (; k < len; k++) d[k] = s[k];
  }
}

void gemm_taps_f32(const float *A, int sam, int sak, const float *base, const int *rk, const int *cn, float *C, int ldc,
                   int M, int N, int K, int accumulate, char *scratch);

/*
 * An image's C channels copied into a zero-padded block [C, Hp, Wp] (Hp = H + 2 ph,
 * Wp = W + 2 pw), from element strides (sc, sh, sw): every tap of the convolution then lies
 * inside it, so the product reads the taps with no bounds checks.
 */
static void pad_image(const float *x, int sc, int sh, int sw, int C, int H, int W, int ph, int pw, float *xp) {
  int Hp = H + 2 * ph, Wp = W + 2 * pw;
  for (int c = 0; c < C; c++) {
    float *plane = xp + (long)c * Hp * Wp;
    const float *src = x + (long)c * sc;
    for (int i = 0; i < ph * Wp; i++) plane[i] = 0.0f;
    for (int y = 0; y < H; y++) {
      float *row = plane + (long)(y + ph) * Wp;
      const float *s = src + (long)y * sh;
      for (int j = 0; j < pw; j++) row[j] = 0.0f;
      if (sw == 1) {
        int j = 0;
        for (; j + 4 <= W; j += 4) wasm_v128_store(row + pw + j, wasm_v128_load(s + j));
        for (; j < W; j++) row[pw + j] = s[j];
      } else {
        for (int j = 0; j < W; j++) row[pw + j] = s[(long)j * sw];
      }
      for (int j = pw + W; j < Wp; j++) row[j] = 0.0f;
    }
    for (int i = (ph + H) * Wp; i < Hp * Wp; i++) plane[i] = 0.0f;
  }
}

/*
 * The offset tables of an image-at-a-time product over a padded block [C, Hp, Wp]:
 * tap[(c * KH + a) * KW + b] = c * Hp * Wp + a * dh * Wp + b * dw (where a tap's row starts) and
 * pix[i * OW + j] = i * sth * Wp + j * stw (where an output pixel's window starts), so the column
 * matrix's element [k, q] is xp[tap[k] + pix[q]]. Both increase strictly.
 */
static void tap_tables(int C, int Hp, int Wp, int KH, int KW, int OH, int OW, int sth, int stw, int dh, int dw, int *tap,
                       int *pix) {
  for (int c = 0; c < C; c++)
    for (int a = 0; a < KH; a++)
      for (int b = 0; b < KW; b++) tap[(c * KH + a) * KW + b] = c * Hp * Wp + a * dh * Wp + b * dw;
  for (int i = 0; i < OH; i++)
    for (int j = 0; j < OW; j++) pix[i * OW + j] = i * sth * Wp + j * stw;
}

/*
 * The forward a whole image at a time, the threads claiming (image, group) items in turn
 * (claim: a thread the OS holds back takes fewer). Thread tid's work block (work_floats floats
 * at work + tid * work_floats) holds the padded image [cinG, Hp, Wp] and then the two offset
 * tables (tap_tables: cinG * KH * KW and OH * OW ints). Per item: the image's group into the
 * padded block, and the product W_g x col straight into the image's rows of y (contiguous,
 * image stride yn), its B operand packed from the padded block through the tables (gemm.c's
 * gemm_taps_f32): the column matrix is never written out. The sums are the batched product's,
 * in the same order, so the bits are too.
 */
EXPORT void conv_images_f32(const float *x, int sn, int sc, int sh, int sw, int N, int G, int cinG, int H, int W,
                            int KH, int KW, int OH, int OW, int sth, int stw, int ph, int pw, int dh, int dw,
                            const float *w, int ws, int coutG, float *y, int yn, float *work, int work_floats,
                            char *scratch, int scratch_bytes, int *counter, int tid, int nthreads) {
  int P = OH * OW, KK = cinG * KH * KW, Hp = H + 2 * ph, Wp = W + 2 * pw;
  float *xp = work + (long)work_floats * tid;
  int *tap = (int *)(xp + (long)cinG * Hp * Wp), *pix = tap + KK;
  char *mine = scratch + (long)scratch_bytes * tid;
  tap_tables(cinG, Hp, Wp, KH, KW, OH, OW, sth, stw, dh, dw, tap, pix);
  for (int item = claim(counter); item < N * G; item = claim(counter)) {
    int n = item / G, g = item % G;
    pad_image(x + (long)n * sn + (long)g * cinG * sc, sc, sh, sw, cinG, H, W, ph, pw, xp);
    gemm_taps_f32(w + (long)g * coutG * ws, ws, 1, xp, tap, pix, y + (long)n * yn + (long)g * coutG * P, P, coutG, P,
                  KK, 0, mine);
  }
}

/*
 * The weight gradient a whole image at a time: the images are cut into `slots` runs of
 * consecutive images, and the threads claim runs (claim): per image of a run and per group,
 * the padded image into the thread's work block (as conv_images_f32) and
 * dW_g += dy[n, g] x col^T into the run's partial sums (Cout x cinG * KH * KW floats at
 * part + slot * part_floats; the run's first image writes them), col^T's element [q, k] read as
 * xp[pix[q] + tap[k]]. The binder adds the runs' partials in order, so the sum's order, and its
 * bits, do not depend on which thread took which run, nor on the thread count.
 */
EXPORT void conv_images_wgrad_f32(const float *x, int sn, int sc, int sh, int sw, int N, int G, int cinG, int H, int W,
                                  int KH, int KW, int OH, int OW, int sth, int stw, int ph, int pw, int dh, int dw,
                                  const float *dy, int dyn, int dyc, int coutG, float *part, int part_floats, int slots,
                                  float *work, int work_floats, char *scratch, int scratch_bytes, int *counter, int tid,
                                  int nthreads) {
  int P = OH * OW, KK = cinG * KH * KW, Hp = H + 2 * ph, Wp = W + 2 * pw;
  float *xp = work + (long)work_floats * tid;
  int *tap = (int *)(xp + (long)cinG * Hp * Wp), *pix = tap + KK;
  char *scr = scratch + (long)scratch_bytes * tid;
  tap_tables(cinG, Hp, Wp, KH, KW, OH, OW, sth, stw, dh, dw, tap, pix);
  for (int slot = claim(counter); slot < slots; slot = claim(counter)) {
    SPLIT(N, slot, slots, n0, n1);
    float *sums = part + (long)part_floats * slot;
    for (int n = n0; n < n1; n++)
      for (int g = 0; g < G; g++) {
        pad_image(x + (long)n * sn + (long)g * cinG * sc, sc, sh, sw, cinG, H, W, ph, pw, xp);
        gemm_taps_f32(dy + (long)n * dyn + (long)g * coutG * dyc, dyc, 1, xp, pix, tap, sums + (long)g * coutG * KK, KK,
                      coutG, KK, P, n > n0, scr);
      }
  }
}
