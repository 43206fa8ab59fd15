/*
 * The wasm backend's recurrent steps (float32): one time step's gates and state update of an
 * RNN (tanh or relu), LSTM or GRU cell, and its adjoint, as src/kernels/recurrent/cpu.ts (the
 * reference, in doubles) defines them; src/kernels/recurrent/types.ts gives the layout.
 *
 * Every input is a row-major block from its pointer: xg, hg [B, G*H] (gate k of row b at
 * b*G*H + k*H), bias [G*H] or null, hPrev, cPrev [B, H], mask [B] (0: the row's sequence has
 * ended, its state is carried over) or null. Four hidden units at a time in 128-bit lanes
 * (sigmoid and tanh are vmath.h's float32 approximations, a few ulp); a row's last H % 4
 * units run the same vector code on a splat and keep lane 0. Threads split the rows.
 */
#include "common.h"
#include "vmath.h"

enum { CELL_RNN_TANH, CELL_RNN_RELU, CELL_LSTM, CELL_GRU };

/* Units j .. j + n of a row (n is 4, or 1 for the tail: a splat, lane 0 kept). */
static inline v128_t ldn(const float *p, int j, int n) { return n == 4 ? wasm_v128_load(p + j) : wasm_f32x4_splat(p[j]); }
static inline void stn(float *p, int j, int n, v128_t v) {
  if (n == 4) wasm_v128_store(p + j, v);
  else p[j] = wasm_f32x4_extract_lane(v, 0);
}
/* The hidden side of gate k: hg plus b_hh where there is a bias. */
static inline v128_t hside(const float *hr, const float *bias, int k, int H, int j, int n) {
  v128_t h = ldn(hr + k * H, j, n);
  return bias ? ADD(h, ldn(bias + k * H, j, n)) : h;
}

static void copy_row(const float *src, float *dst, int H) {
  for (int j = 0; j < H; j++) dst[j] = src[j];
}

EXPORT void cell_step_f32(int cell, int B, int H, const float *xg, const float *hg, const float *bias,
                          const float *hPrev, const float *cPrev, const float *mask, float *out, int tid, int nthreads) {
  SPLIT(B, tid, nthreads, b0, b1);
  int G = cell == CELL_LSTM ? 4 : cell == CELL_GRU ? 3 : 1;
  for (int b = b0; b < b1; b++) {
    const float *xr = xg + (long)b * G * H, *hr = hg + (long)b * G * H, *hp = hPrev + (long)b * H;
    float *o = out + (long)b * H;
    if (mask && mask[b] == 0) {
      copy_row(hp, o, H);
      if (cell == CELL_LSTM) copy_row(cPrev + (long)b * H, out + (long)B * H + (long)b * H, H);
      continue;
    }
    for (int j = 0; j < H;) {
      int n = H - j >= 4 ? 4 : 1;
      if (cell == CELL_LSTM) {
        v128_t i = v_sigmoid(ADD(ldn(xr, j, n), hside(hr, bias, 0, H, j, n)));
        v128_t f = v_sigmoid(ADD(ldn(xr + H, j, n), hside(hr, bias, 1, H, j, n)));
        v128_t g = v_tanh(ADD(ldn(xr + 2 * H, j, n), hside(hr, bias, 2, H, j, n)));
        v128_t og = v_sigmoid(ADD(ldn(xr + 3 * H, j, n), hside(hr, bias, 3, H, j, n)));
        v128_t c = ADD(MUL(f, ldn(cPrev + (long)b * H, j, n)), MUL(i, g));
        stn(o, j, n, MUL(og, v_tanh(c)));
        stn(out + (long)B * H + (long)b * H, j, n, c);
      } else if (cell == CELL_GRU) {
        v128_t r = v_sigmoid(ADD(ldn(xr, j, n), hside(hr, bias, 0, H, j, n)));
        v128_t z = v_sigmoid(ADD(ldn(xr + H, j, n), hside(hr, bias, 1, H, j, n)));
        v128_t nn = v_tanh(ADD(ldn(xr + 2 * H, j, n), MUL(r, hside(hr, bias, 2, H, j, n))));
        stn(o, j, n, ADD(MUL(SUB(F4(1), z), nn), MUL(z, ldn(hp, j, n))));
      } else {
        v128_t s = ADD(ldn(xr, j, n), hside(hr, bias, 0, H, j, n));
        stn(o, j, n, cell == CELL_RNN_TANH ? v_tanh(s) : wasm_f32x4_max(F4(0), s));
      }
      j += n;
    }
  }
}

/*
 * The step's adjoint (the gates recomputed from the same inputs): gOut [B, H] (lstm: [2, B, H],
 * dh then dc), dxg [B, G*H], dhg [B, G*H] (gru only, else null), dhPrev [B, H], dcPrev [B, H]
 * (lstm only, else null).
 */
EXPORT void cell_backward_f32(int cell, int B, int H, const float *xg, const float *hg, const float *bias,
                              const float *hPrev, const float *cPrev, const float *mask, const float *gOut, float *dxg,
                              float *dhg, float *dhPrev, float *dcPrev, int tid, int nthreads) {
  SPLIT(B, tid, nthreads, b0, b1);
  int G = cell == CELL_LSTM ? 4 : cell == CELL_GRU ? 3 : 1;
  const v128_t one = F4(1);
  for (int b = b0; b < b1; b++) {
    long gb = (long)b * G * H, hb = (long)b * H;
    const float *xr = xg + gb, *hr = hg + gb, *gh = gOut + hb;
    float *dx = dxg + gb, *dh = dhg ? dhg + gb : 0, *dp = dhPrev + hb;
    if (mask && mask[b] == 0) {
      /* The state passed through unchanged: its gradient goes straight back, the gates get none. */
      for (int k = 0; k < G * H; k++) {
        dx[k] = 0;
        if (dh) dh[k] = 0;
      }
      copy_row(gh, dp, H);
      if (dcPrev) copy_row(gOut + (long)B * H + hb, dcPrev + hb, H);
      continue;
    }
    for (int j = 0; j < H;) {
      int n = H - j >= 4 ? 4 : 1;
      v128_t g = ldn(gh, j, n);
      if (cell == CELL_LSTM) {
        v128_t i = v_sigmoid(ADD(ldn(xr, j, n), hside(hr, bias, 0, H, j, n)));
        v128_t f = v_sigmoid(ADD(ldn(xr + H, j, n), hside(hr, bias, 1, H, j, n)));
        v128_t gg = v_tanh(ADD(ldn(xr + 2 * H, j, n), hside(hr, bias, 2, H, j, n)));
        v128_t og = v_sigmoid(ADD(ldn(xr + 3 * H, j, n), hside(hr, bias, 3, H, j, n)));
        v128_t cp = ldn(cPrev + hb, j, n);
        v128_t c = ADD(MUL(f, cp), MUL(i, gg));
        v128_t tc = v_tanh(c);
        v128_t dc = ADD(ldn(gOut + (long)B * H + hb, j, n), MUL(MUL(g, og), SUB(one, MUL(tc, tc))));
        stn(dx, j, n, MUL(MUL(MUL(dc, gg), i), SUB(one, i)));
        stn(dx + H, j, n, MUL(MUL(MUL(dc, cp), f), SUB(one, f)));
        stn(dx + 2 * H, j, n, MUL(MUL(dc, i), SUB(one, MUL(gg, gg))));
        stn(dx + 3 * H, j, n, MUL(MUL(MUL(g, tc), og), SUB(one, og)));
        stn(dp, j, n, F4(0));
        stn(dcPrev + hb, j, n, MUL(dc, f));
      } else if (cell == CELL_GRU) {
        v128_t hn = hside(hr, bias, 2, H, j, n);
        v128_t r = v_sigmoid(ADD(ldn(xr, j, n), hside(hr, bias, 0, H, j, n)));
        v128_t z = v_sigmoid(ADD(ldn(xr + H, j, n), hside(hr, bias, 1, H, j, n)));
        v128_t nn = v_tanh(ADD(ldn(xr + 2 * H, j, n), MUL(r, hn)));
        v128_t dn = MUL(MUL(g, SUB(one, z)), SUB(one, MUL(nn, nn)));
        v128_t dr = MUL(MUL(MUL(dn, hn), r), SUB(one, r));
        v128_t dz = MUL(MUL(MUL(g, SUB(ldn(hPrev + hb, j, n), nn)), z), SUB(one, z));
        stn(dx, j, n, dr);
        stn(dx + H, j, n, dz);
        stn(dx + 2 * H, j, n, dn);
        stn(dh, j, n, dr);
        stn(dh + H, j, n, dz);
        stn(dh + 2 * H, j, n, MUL(dn, r));
        stn(dp, j, n, MUL(g, z));
      } else {
        v128_t s = ADD(ldn(xr, j, n), hside(hr, bias, 0, H, j, n));
        if (cell == CELL_RNN_TANH) {
          v128_t t = v_tanh(s);
          stn(dx, j, n, MUL(g, SUB(one, MUL(t, t))));
        } else {
          stn(dx, j, n, wasm_v128_and(g, wasm_f32x4_gt(s, F4(0))));
        }
        stn(dp, j, n, F4(0));
      }
      j += n;
    }
  }
}
