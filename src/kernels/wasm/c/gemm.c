/*
 * The wasm backend's matrix product: C = A x B (float32, any strides for A and B, C with a
 * row stride), register-blocked.
 *
 * The loop nest (after Goto's): for each K block of KC terms and each N block of NC columns,
 * B's block is packed into panels of 8 columns (k-major, so a panel's row is two v128 loads),
 * and for each 4-row micro-panel of A (packed k-major too: four floats per k) the micro-kernel
 * keeps a 4 x 8 tile of C in eight v128 accumulators while it walks the KC terms: per term,
 * two loads of B, four splats of A, eight multiplies and eight adds. Rows and columns past
 * the matrix's edge are packed as zeros and the tile is written through a scratch tile.
 *
 * Threads share units of NC columns by a run of micro-panels (gemm_units), claimed in turn, each
 * packing the B block of its unit in its own scratch (kept while its next unit shares the N
 * block and K is one block).
 *
 * No function here takes the address of a local or has a local array: wasm's shadow stack
 * lives in the shared linear memory, and every thread's instance would share it.
 */

#include "common.h"

#define MR 4
#define NR 8
#define KC 256
#define NC 256

/* Scratch each thread needs (floats): B's packed block, A's packed micro-panel, one tile. */
EXPORT int gemm_scratch_floats(void) { return KC * NC + KC * MR + MR * NR; }

static void pack_b(const float *B, int sbk, int sbn, int k0, int kc, int n0, int nc, float *Bp) {
  for (int p = 0; p < nc; p += NR) {
    int w = nc - p < NR ? nc - p : NR;
    float *dst = Bp + p * kc;
    const float *src = B + (long)k0 * sbk + (long)(n0 + p) * sbn;
    if (w == NR && sbn == 1) {
      for (int k = 0; k < kc; k++) {
        const float *s = src + (long)k * sbk;
        wasm_v128_store(dst + k * NR, wasm_v128_load(s));
        wasm_v128_store(dst + k * NR + 4, wasm_v128_load(s + 4));
      }
    } else {
      for (int k = 0; k < kc; k++) {
        const float *s = src + (long)k * sbk;
        for (int j = 0; j < w; j++) dst[k * NR + j] = s[(long)j * sbn];
        for (int j = w; j < NR; j++) dst[k * NR + j] = 0.0f;
      }
    }
  }
}

static void pack_a(const float *A, int sam, int sak, int m0, int rows, int k0, int kc, float *Ap) {
  for (int r = 0; r < MR; r++) {
    if (r < rows) {
      const float *s = A + (long)(m0 + r) * sam + (long)k0 * sak;
      if (sak == 1) for (int k = 0; k < kc; k++) Ap[k * MR + r] = s[k];
      else for (int k = 0; k < kc; k++) Ap[k * MR + r] = s[(long)k * sak];
    } else {
      for (int k = 0; k < kc; k++) Ap[k * MR + r] = 0.0f;
    }
  }
}

/* tile (MR x NR, row stride ldt) = or += Ap x Bp over kc terms. */
static void micro(const float *Ap, const float *Bp, int kc, float *T, int ldt, int add) {
  v128_t c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (int k = 0; k < kc; k++) {
    v128_t b0 = wasm_v128_load(Bp), b1 = wasm_v128_load(Bp + 4);
    v128_t a0 = wasm_v128_load32_splat(Ap), a1 = wasm_v128_load32_splat(Ap + 1);
    c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(a0, b0));
    c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(a0, b1));
    c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(a1, b0));
    c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(a1, b1));
    v128_t a2 = wasm_v128_load32_splat(Ap + 2), a3 = wasm_v128_load32_splat(Ap + 3);
    c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(a2, b0));
    c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(a2, b1));
    c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(a3, b0));
    c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(a3, b1));
    Ap += MR;
    Bp += NR;
  }
  if (add) {
    c00 = wasm_f32x4_add(c00, wasm_v128_load(T)); c01 = wasm_f32x4_add(c01, wasm_v128_load(T + 4));
    c10 = wasm_f32x4_add(c10, wasm_v128_load(T + ldt)); c11 = wasm_f32x4_add(c11, wasm_v128_load(T + ldt + 4));
    c20 = wasm_f32x4_add(c20, wasm_v128_load(T + 2 * ldt)); c21 = wasm_f32x4_add(c21, wasm_v128_load(T + 2 * ldt + 4));
    c30 = wasm_f32x4_add(c30, wasm_v128_load(T + 3 * ldt)); c31 = wasm_f32x4_add(c31, wasm_v128_load(T + 3 * ldt + 4));
  }
  wasm_v128_store(T, c00); wasm_v128_store(T + 4, c01);
  wasm_v128_store(T + ldt, c10); wasm_v128_store(T + ldt + 4, c11);
  wasm_v128_store(T + 2 * ldt, c20); wasm_v128_store(T + 2 * ldt + 4, c21);
  wasm_v128_store(T + 3 * ldt, c30); wasm_v128_store(T + 3 * ldt + 4, c31);
}

/*
 * B's block from offset tables, for the convolution (conv.c): B[k, n] = base[rk[k] + cn[n]].
 * A panel whose 8 columns lie at consecutive addresses (an output row's pixels, stride 1) is
 * two v128 loads a term; any other (a panel across two rows, a stride, the weight gradient's
 * taps) is gathered a float at a time.
 */
static void pack_b_taps(const float *base, const int *rk, const int *cn, int k0, int kc, int n0, int nc, float *Bp) {
  for (int p = 0; p < nc; p += NR) {
    int w = nc - p < NR ? nc - p : NR;
    float *dst = Bp + p * kc;
    const int *c = cn + n0 + p;
    int run = w == NR;
    for (int j = 1; run && j < NR; j++) run = c[j] == c[0] + j;
    if (run) {
      const float *s = base + c[0];
      for (int k = 0; k < kc; k++) {
        const float *r = s + rk[k0 + k];
        wasm_v128_store(dst + k * NR, wasm_v128_load(r));
        wasm_v128_store(dst + k * NR + 4, wasm_v128_load(r + 4));
      }
    } else {
      for (int k = 0; k < kc; k++) {
        const float *r = base + rk[k0 + k];
        for (int j = 0; j < w; j++) dst[k * NR + j] = r[c[j]];
        for (int j = w; j < NR; j++) dst[k * NR + j] = 0.0f;
      }
    }
  }
}

/* The tile of C at (m0, n0 + j), rows x cols, = or += Ap x Bp over kc terms (the scratch tile T at the edges). */
static void tile(const float *Ap, const float *Bp, int kc, float *Cb, int ldc, int rows, int cols, int add, float *T) {
  if (rows == MR && cols == NR) {
    micro(Ap, Bp, kc, Cb, ldc, add);
    return;
  }
  if (add)
    for (int r = 0; r < rows; r++)
      for (int c = 0; c < cols; c++) T[r * NR + c] = Cb[(long)r * ldc + c];
  micro(Ap, Bp, kc, T, NR, add);
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++) Cb[(long)r * ldc + c] = T[r * NR + c];
}

/*
 * The product as units of work: a unit is NC columns (one N block) by `chunk` micro-panels of
 * A's rows, with all of K, so each tile of C is one unit's, summed over K in the same order
 * whichever thread takes it (the bits do not depend on the threads). With a counter the threads
 * claim units in turn (common.h's claim: a thread the OS holds back takes fewer); without one,
 * thread tid of nthreads takes a fixed share. Units go N block by N block, so a thread whose
 * next unit is in the same N block, with K in one block, keeps its packed B. B is read through
 * (B, sbk, sbn), or, where rk is not null, through the offset tables of pack_b_taps.
 */
static void gemm_units(const float *A, int sam, int sak, const float *B, int sbk, int sbn, const int *rk, const int *cn,
                       float *C, int ldc, int M, int N, int K, int accumulate, float *Bp, int *counter, int tid,
                       int nthreads) {
  float *Ap = Bp + KC * NC, *T = Ap + KC * MR;
  int panels = (M + MR - 1) / MR;
  if (K == 0) {
    if (accumulate) return;
    SPLIT(M, tid, nthreads, m0, m1);
    for (int m = m0; m < m1; m++)
      for (int n = 0; n < N; n++) C[(long)m * ldc + n] = 0.0f;
    return;
  }
  /* Enough units for the threads to balance (about 4 each), each at least 8 panels where there are that many. */
  int want = (panels * ((N + NC - 1) / NC) + 4 * nthreads - 1) / (4 * nthreads);
  int chunk = panels < 8 ? panels : want < 8 ? 8 : want > panels ? panels : want;
  int chunks = (panels + chunk - 1) / chunk;
  int units = chunks * ((N + NC - 1) / NC);
  int packed = -1; /* the N block whose B (K in one block) this thread holds */
  SPLIT(units, tid, nthreads, u0, u1);
  for (int u = counter ? claim(counter) : u0; u < (counter ? units : u1); u = counter ? claim(counter) : u + 1) {
    int n0 = (u / chunks) * NC, p0 = (u % chunks) * chunk;
    int p1 = p0 + chunk < panels ? p0 + chunk : panels;
    int nc = N - n0 < NC ? N - n0 : NC;
    for (int k0 = 0; k0 < K; k0 += KC) {
      int kc = K - k0 < KC ? K - k0 : KC;
      int add = accumulate || k0 > 0;
      if (K > KC || packed != n0) {
        if (rk) pack_b_taps(B, rk, cn, k0, kc, n0, nc, Bp);
        else pack_b(B, sbk, sbn, k0, kc, n0, nc, Bp);
        packed = K > KC ? -1 : n0;
      }
      for (int p = p0; p < p1; p++) {
        int m0 = p * MR;
        int rows = M - m0 < MR ? M - m0 : MR;
        pack_a(A, sam, sak, m0, rows, k0, kc, Ap);
        for (int j = 0; j < nc; j += NR)
          tile(Ap, Bp + j * kc, kc, C + (long)m0 * ldc + n0 + j, ldc, rows, nc - j < NR ? nc - j : NR, add, T);
      }
    }
  }
}

/*
 * C[m, n] (row stride ldc; columns contiguous) = (accumulate ? C[m, n] : 0) + sum_k A[m, k] B[k, n],
 * its units shared by the threads (claimed through `counter`, rt.counter(), or fixed shares where
 * it is 0). Pointers are byte offsets into the shared memory; thread t's scratch is the
 * gemm_scratch_floats() floats at scratch + t * scratch_bytes.
 */
EXPORT void gemm_f32(const float *A, int sam, int sak, const float *B, int sbk, int sbn, float *C, int ldc,
                     int M, int N, int K, int accumulate, char *scratch, int scratch_bytes, int *counter, int tid,
                     int nthreads) {
  gemm_units(A, sam, sak, B, sbk, sbn, 0, 0, C, ldc, M, N, K, accumulate, (float *)(scratch + (long)scratch_bytes * tid),
             counter, tid, nthreads);
}

/*
 * The same product on one thread, all of A's rows, with B[k, n] = base[rk[k] + cn[n]] (conv.c:
 * the taps of a padded image, read where they lie instead of copied out first). scratch holds
 * gemm_scratch_floats() floats.
 */
void gemm_taps_f32(const float *A, int sam, int sak, const float *base, const int *rk, const int *cn, float *C, int ldc,
                   int M, int N, int K, int accumulate, char *scratch) {
  gemm_units(A, sam, sak, base, 0, 0, rk, cn, C, ldc, M, N, K, accumulate, (float *)scratch, 0, 0, 1);
}
