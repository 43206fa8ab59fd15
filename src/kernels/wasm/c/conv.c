/*
 * Convolution by lowering to the matrix product (gemm.c), a batch of images at a time:
 * im2col gathers the taps of NB images of one group into a [Cin/groups * KH * KW, NB * P]
 * matrix (P = OH * OW; zeros where a tap falls in the padding), so the forward is one product
 * W_g x col and the weight gradient dY x col^T; col2im adds such a matrix (the input gradient
 * W_g^T x dY) back into the images, tap by tap. copy_rows moves rows of P floats between the
 * images' [N, C, P] layout and the products' [C, N * P].
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

void gemm_f32(const float *A, int sam, int sak, const float *B, int sbk, int sbn, float *C, int ldc, int M, int N, int K,
              int accumulate, char *scratch, int scratch_bytes, int tid, int nthreads);

/*
 * The forward a whole image at a time, the threads claiming (image, group) items in turn
 * (claim: a thread the OS holds back takes fewer): per item,
 * im2col into this thread's column block (cinG * KH * KW x P floats at cols + tid * col_floats,
 * small enough to stay in the core's cache, where a batch's columns would not) and the product
 * W_g x col straight into the image's rows of y (contiguous, image stride yn). im2col_f32 and
 * gemm_f32 run inside on this thread alone, gemm with this thread's scratch.
 */
EXPORT void conv_images_f32(const float *x, int sn, int sc, int sh, int sw, int N, int G, int cinG, int H, int W,
                            int KH, int KW, int OH, int OW, int sth, int stw, int ph, int pw, int dh, int dw,
                            const float *w, int ws, int coutG, float *y, int yn, float *cols, int col_floats,
                            char *scratch, int scratch_bytes, int *counter, int tid, int nthreads) {
  int P = OH * OW, KK = cinG * KH * KW;
  float *col = cols + (long)col_floats * tid;
  char *mine = scratch + (long)scratch_bytes * tid;
  for (int item = claim(counter); item < N * G; item = claim(counter)) {
    int n = item / G, g = item % G;
    im2col_f32(x + (long)n * sn + (long)g * cinG * sc, sn, sc, sh, sw, 1, cinG, H, W, KH, KW, OH, OW, sth, stw, ph, pw,
               dh, dw, col, P, 0, 1);
    gemm_f32(w + (long)g * coutG * ws, ws, 1, col, P, 1, y + (long)n * yn + (long)g * coutG * P, P, coutG, P, KK, 0,
             mine, scratch_bytes, 0, 1);
  }
}

/*
 * The weight gradient a whole image at a time: the images are cut into `slots` runs of
 * consecutive images, and the threads claim runs (claim): per image of a run and per group,
 * im2col into the thread's column block and dW_g += dy[n, g] x col^T into the run's partial
 * sums (Cout x cinG * KH * KW floats at part + slot * part_floats; the run's first image writes
 * them). The binder adds the runs' partials in order, so the sum's order, and its bits, do not
 * depend on which thread took which run, nor on the thread count.
 */
EXPORT void conv_images_wgrad_f32(const float *x, int sn, int sc, int sh, int sw, int N, int G, int cinG, int H, int W,
                                  int KH, int KW, int OH, int OW, int sth, int stw, int ph, int pw, int dh, int dw,
                                  const float *dy, int dyn, int dyc, int coutG, float *part, int part_floats, int slots,
                                  float *cols, int col_floats, char *scratch, int scratch_bytes, int *counter, int tid,
                                  int nthreads) {
  int P = OH * OW, KK = cinG * KH * KW;
  float *col = cols + (long)col_floats * tid;
  char *scr = scratch + (long)scratch_bytes * tid;
  for (int slot = claim(counter); slot < slots; slot = claim(counter)) {
    SPLIT(N, slot, slots, n0, n1);
    float *sums = part + (long)part_floats * slot;
    for (int n = n0; n < n1; n++)
      for (int g = 0; g < G; g++) {
        im2col_f32(x + (long)n * sn + (long)g * cinG * sc, sn, sc, sh, sw, 1, cinG, H, W, KH, KW, OH, OW, sth, stw, ph,
                   pw, dh, dw, col, P, 0, 1);
        gemm_f32(dy + (long)n * dyn + (long)g * coutG * dyc, dyc, 1, col, 1, P, sums + (long)g * coutG * KK, KK, coutG,
                 KK, P, n > n0, scr, scratch_bytes, 0, 1);
      }
  }
}
