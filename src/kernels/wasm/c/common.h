/* Shared by the wasm backend's C kernels (compiled by scripts/build-wasm.mjs). */
#pragma once
#include <wasm_simd128.h>

/* Exported to JS (linked with --export-dynamic). */
#define EXPORT __attribute__((used, visibility("default")))

/* [begin, end) of `n` items for thread `tid` of `nthreads`. */
#define SPLIT(n, tid, nthreads, begin, end)                    \
  int begin = (int)((long long)(n) * (tid) / (nthreads));      \
  int end = (int)((long long)(n) * ((tid) + 1) / (nthreads))
