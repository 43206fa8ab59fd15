/*
 * Convolution by lowering to the matrix product (gemm.c): im2col gathers the taps of one
 * image's group into a [Cin/groups * KH * KW, OH * OW] matrix (zeros where a tap falls in the
 * padding), so the forward is W_g x col and the weight gradient dY x col^T; col2im adds a
 * column matrix (the input gradient W_g^T x dY) back into the image, tap by tap.
 *
 * x and dx are addressed through element strides (sc, sh, sw) from a base pointer at the
 * image's first channel of the group, so any strided view works.
 */
#include "common.h"

/* col[((c * KH + a) * KW + b), (i * OW + j)] = x[c, i*sth - ph + a*dh, j*stw - pw + b*dw]; threads split c. */
EXPORT void im2col_f32(const float *x, int sc, int sh, int sw, int C, int H, int W, int KH, int KW,
                       int OH, int OW, int sth, int stw, int ph, int pw, int dh, int dw, float *col,
                       int tid, int nthreads) {
  SPLIT(C, tid, nthreads, c0, c1);
  int P = OH * OW;
  for (int c = c0; c < c1; c++)
    for (int a = 0; a < KH; a++)
      for (int b = 0; b < KW; b++) {
        float *row = col + (long)((c * KH + a) * KW + b) * P;
        for (int i = 0; i < OH; i++) {
          int y = i * sth - ph + a * dh;
          float *out = row + i * OW;
          if (y < 0 || y >= H) {
            for (int j = 0; j < OW; j++) out[j] = 0.0f;
            continue;
          }
          const float *src = x + (long)c * sc + (long)y * sh;
          int xb = b * dw - pw;
          /* j range whose tap x = j*stw + xb is inside [0, W). */
          int jlo = xb >= 0 ? 0 : (-xb + stw - 1) / stw;
          int jhi = W - 1 - xb < 0 ? 0 : (W - 1 - xb) / stw + 1;
          if (jhi > OW) jhi = OW;
          if (jlo > jhi) jlo = jhi;
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

/* dx[c, y, x] += col[row, (i, j)] for every tap; dx contiguous [C, H, W] at dx; threads split c. */
EXPORT void col2im_f32(const float *col, int C, int H, int W, int KH, int KW, int OH, int OW,
                       int sth, int stw, int ph, int pw, int dh, int dw, float *dx, int tid, int nthreads) {
  SPLIT(C, tid, nthreads, c0, c1);
  int P = OH * OW;
  for (int c = c0; c < c1; c++)
    for (int a = 0; a < KH; a++)
      for (int b = 0; b < KW; b++) {
        const float *row = col + (long)((c * KH + a) * KW + b) * P;
        for (int i = 0; i < OH; i++) {
          int y = i * sth - ph + a * dh;
          if (y < 0 || y >= H) continue;
          float *dst = dx + ((long)c * H + y) * W;
          const float *in = row + i * OW;
          int xb = b * dw - pw;
          int jlo = xb >= 0 ? 0 : (-xb + stw - 1) / stw;
          int jhi = W - 1 - xb < 0 ? 0 : (W - 1 - xb) / stw + 1;
          if (jhi > OW) jhi = OW;
          for (int j = jlo; j < jhi; j++) dst[j * stw + xb] += in[j];
        }
      }
}
