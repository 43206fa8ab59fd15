/*
 * The benchmark's calibration kernels (bench/calibrate.mjs): what one core can do in 128-bit
 * SIMD, so each row can say which fraction of it a kernel reaches.
 *
 * peak_f32: twelve independent f32x4 multiply-add chains in registers (x = x * m + c: two
 * operations per lane; twelve, so the multiply's and the add's latencies are covered and the
 * units' throughput is what is measured), `iters` rounds per thread: 96 flops a round, no
 * memory traffic.
 * stream_copy_f32: dst = src over n floats in v128s, split over the threads (each moves its
 * share once: 8 bytes per float, read and write).
 */
#include "common.h"

#define CHAIN(x) x = wasm_f32x4_add(wasm_f32x4_mul(x, vm), vc)

EXPORT void peak_f32(float *out, int iters, float m, float c, int tid, int nthreads) {
  v128_t x0 = wasm_f32x4_splat(0.5f + tid), x1 = wasm_f32x4_splat(0.25f), x2 = wasm_f32x4_splat(0.125f),
         x3 = wasm_f32x4_splat(0.0625f), x4 = wasm_f32x4_splat(1.5f), x5 = wasm_f32x4_splat(1.25f),
         x6 = wasm_f32x4_splat(1.125f), x7 = wasm_f32x4_splat(1.0625f), x8 = wasm_f32x4_splat(2.5f),
         x9 = wasm_f32x4_splat(2.25f), x10 = wasm_f32x4_splat(2.125f), x11 = wasm_f32x4_splat(2.0625f);
  v128_t vm = wasm_f32x4_splat(m), vc = wasm_f32x4_splat(c);
  for (int i = 0; i < iters; i++) {
    CHAIN(x0); CHAIN(x1); CHAIN(x2); CHAIN(x3); CHAIN(x4); CHAIN(x5);
    CHAIN(x6); CHAIN(x7); CHAIN(x8); CHAIN(x9); CHAIN(x10); CHAIN(x11);
  }
  v128_t s = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_add(x0, x1), wasm_f32x4_add(x2, x3)),
                            wasm_f32x4_add(wasm_f32x4_add(x4, x5), wasm_f32x4_add(x6, x7)));
  s = wasm_f32x4_add(s, wasm_f32x4_add(wasm_f32x4_add(x8, x9), wasm_f32x4_add(x10, x11)));
  out[tid] = wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 1) + wasm_f32x4_extract_lane(s, 2) +
             wasm_f32x4_extract_lane(s, 3);
}

EXPORT void stream_copy_f32(const float *src, float *dst, int n, int tid, int nthreads) {
  SPLIT(n / 4, tid, nthreads, q0, q1);
  for (int q = q0; q < q1; q++) wasm_v128_store(dst + 4 * q, wasm_v128_load(src + 4 * q));
  if (tid == nthreads - 1)
    for (int i = n / 4 * 4; i < n; i++) dst[i] = src[i];
}
