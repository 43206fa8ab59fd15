/* Shared by the wasm backend's C kernels (compiled by scripts/build-wasm.mjs). */
#pragma once
#include <wasm_simd128.h>

/* Exported to JS (linked with --export-dynamic). */
#define EXPORT __attribute__((used, visibility("default")))

/* [begin, end) of `n` items for thread `tid` of `nthreads`. */
#define SPLIT(n, tid, nthreads, begin, end)                    \
  int begin = (int)((long long)(n) * (tid) / (nthreads));      \
  int end = (int)((long long)(n) * ((tid) + 1) / (nthreads))

/*
 * Dynamic split: the next unclaimed item of a shared counter (a word the binder zeroes before
 * the call, WasmRuntime.counter()). Threads claim items until none is left, so one the OS
 * holds back takes fewer, where SPLIT's fixed shares would make the others wait for it.
 * (Without the atomics feature, the single-thread build, this is a plain increment.)
 */
static inline int claim(int *counter) { return __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED); }
