/*
 * The fused optimizer steps (src/kernels/optim/cpu.ts is the reference), float32 tensors,
 * computed in doubles (f64x2 lanes) with the reference's operations in the reference's order
 * and rounded once on store, so the results are the reference's bit for bit. Hyper-parameters
 * arrive as doubles; the constants the reference recomputes per element (1 - beta1, ...) are
 * the same doubles computed once. Threads split the elements.
 */
#include "common.h"

/* Two floats <-> one f64x2. */
static inline v128_t ld2(const float *p) { return wasm_f64x2_promote_low_f32x4(wasm_v128_load64_zero(p)); }
static inline void st2(float *p, v128_t v) { wasm_v128_store64_lane(p, wasm_f32x4_demote_f64x2_zero(v), 0); }
/* One float <-> lane 0 of an f64x2 (the tails). */
static inline v128_t ld1(const float *p) { return wasm_f64x2_make((double)p[0], 0.0); }
static inline void st1(float *p, v128_t v) { p[0] = (float)wasm_f64x2_extract_lane(v, 0); }

#define SPL wasm_f64x2_splat
#define ADD wasm_f64x2_add
#define SUB wasm_f64x2_sub
#define MUL wasm_f64x2_mul
#define DIV wasm_f64x2_div
#define SQRT wasm_f64x2_sqrt

/*
 * Runs BODY(at, LD, ST) over [begin, end) of this thread's share: two elements at a time,
 * then the odd one.
 */
#define OVER(n, BODY)                                        \
  SPLIT(((n) + 1) / 2, tid, nthreads, b0, b1);               \
  int i0 = b0 * 2, i1 = b1 * 2 < (n) ? b1 * 2 : (n);         \
  int i = i0;                                                \
  for (; i + 2 <= i1; i += 2) { BODY(i, ld2, st2) }          \
  for (; i < i1; i++) { BODY(i, ld1, st1) }

EXPORT void sgd_f32(float *param, const float *grad, float *buf, int n, double lr, double weightDecay,
                    int maximize, int useMomentum, double momentum, double dampening, int nesterov, int first,
                    int tid, int nthreads) {
  v128_t vlr = SPL(lr), vwd = SPL(weightDecay), vmom = SPL(momentum), vdamp = SPL(1 - dampening);
#define SGD(at, LD, ST)                                                        \
  v128_t g = LD(grad + at);                                                    \
  if (maximize) g = wasm_f64x2_neg(g);                                         \
  v128_t w = LD(param + at);                                                   \
  if (weightDecay != 0) g = ADD(g, MUL(vwd, w));                               \
  if (useMomentum) {                                                           \
    v128_t b = first ? g : ADD(MUL(vmom, LD(buf + at)), MUL(vdamp, g));        \
    ST(buf + at, b);                                                           \
    g = nesterov ? ADD(g, MUL(vmom, b)) : b;                                   \
  }                                                                            \
  ST(param + at, SUB(w, MUL(vlr, g)));
  OVER(n, SGD)
#undef SGD
}

/* stepSize = lr / biasCorrection1, sqrtBc2 = sqrt(biasCorrection2), decay = 1 - lr * weightDecay (all doubles, as the reference). */
EXPORT void adam_f32(float *param, const float *grad, float *m1, float *m2, float *vmax, int n, double stepSize,
                     double sqrtBc2, double weightDecay, double decay, int decoupled, int maximize, double beta1,
                     double beta2, double eps, int amsgrad, int tid, int nthreads) {
  v128_t vwd = SPL(weightDecay), vdecay = SPL(decay), vb1 = SPL(beta1), vb1c = SPL(1 - beta1);
  v128_t vb2 = SPL(beta2), vb2c = SPL(1 - beta2), veps = SPL(eps), vstep = SPL(stepSize), vsb2 = SPL(sqrtBc2);
#define ADAM(at, LD, ST)                                                              \
  v128_t g = LD(grad + at);                                                           \
  if (maximize) g = wasm_f64x2_neg(g);                                                \
  v128_t w = LD(param + at);                                                          \
  if (weightDecay != 0) {                                                             \
    if (decoupled) w = MUL(w, vdecay);                                                \
    else g = ADD(g, MUL(vwd, w));                                                     \
  }                                                                                   \
  v128_t m = ADD(MUL(vb1, LD(m1 + at)), MUL(vb1c, g));                                \
  v128_t v = ADD(MUL(vb2, LD(m2 + at)), MUL(MUL(vb2c, g), g));                        \
  ST(m1 + at, m);                                                                     \
  ST(m2 + at, v);                                                                     \
  v128_t vh = v;                                                                      \
  if (amsgrad) {                                                                      \
    vh = wasm_f64x2_max(LD(vmax + at), v);                                            \
    ST(vmax + at, vh);                                                                \
  }                                                                                   \
  ST(param + at, SUB(w, MUL(vstep, DIV(m, ADD(DIV(SQRT(vh), vsb2), veps)))));
  OVER(n, ADAM)
#undef ADAM
}

EXPORT void rmsprop_f32(float *param, const float *grad, float *sq, float *gavg, float *buf, int n, double lr,
                        double weightDecay, int maximize, double alpha, int centered, int useMomentum,
                        double momentum, double eps, int tid, int nthreads) {
  v128_t vlr = SPL(lr), vwd = SPL(weightDecay), va = SPL(alpha), vac = SPL(1 - alpha), vmom = SPL(momentum), veps = SPL(eps);
#define RMS(at, LD, ST)                                                 \
  v128_t g = LD(grad + at);                                             \
  if (maximize) g = wasm_f64x2_neg(g);                                  \
  v128_t w = LD(param + at);                                            \
  if (weightDecay != 0) g = ADD(g, MUL(vwd, w));                        \
  v128_t s = ADD(MUL(va, LD(sq + at)), MUL(MUL(vac, g), g));            \
  ST(sq + at, s);                                                       \
  v128_t avg = s;                                                       \
  if (centered) {                                                       \
    v128_t ga = ADD(MUL(va, LD(gavg + at)), MUL(vac, g));               \
    ST(gavg + at, ga);                                                  \
    avg = SUB(s, MUL(ga, ga));                                          \
  }                                                                     \
  v128_t denom = ADD(SQRT(avg), veps);                                  \
  if (useMomentum) {                                                    \
    v128_t b = ADD(MUL(vmom, LD(buf + at)), DIV(g, denom));             \
    ST(buf + at, b);                                                    \
    ST(param + at, SUB(w, MUL(vlr, b)));                                \
  } else {                                                              \
    ST(param + at, SUB(w, DIV(MUL(vlr, g), denom)));                    \
  }
  OVER(n, RMS)
#undef RMS
}

EXPORT void adagrad_f32(float *param, const float *grad, float *sum, int n, double lr, double weightDecay,
                        int maximize, int first, double initial, double eps, int tid, int nthreads) {
  v128_t vlr = SPL(lr), vwd = SPL(weightDecay), vinit = SPL(initial), veps = SPL(eps);
#define ADAGRAD(at, LD, ST)                                       \
  v128_t g = LD(grad + at);                                       \
  if (maximize) g = wasm_f64x2_neg(g);                            \
  v128_t w = LD(param + at);                                      \
  if (weightDecay != 0) g = ADD(g, MUL(vwd, w));                  \
  v128_t s = ADD(first ? vinit : LD(sum + at), MUL(g, g));        \
  ST(sum + at, s);                                                \
  ST(param + at, SUB(w, DIV(MUL(vlr, g), ADD(SQRT(s), veps))));
  OVER(n, ADAGRAD)
#undef ADAGRAD
}

EXPORT void adadelta_f32(float *param, const float *grad, float *sq, float *acc, int n, double lr, double weightDecay,
                         int maximize, double rho, double eps, int tid, int nthreads) {
  v128_t vlr = SPL(lr), vwd = SPL(weightDecay), vr = SPL(rho), vrc = SPL(1 - rho), veps = SPL(eps);
#define ADADELTA(at, LD, ST)                                             \
  v128_t g = LD(grad + at);                                              \
  if (maximize) g = wasm_f64x2_neg(g);                                   \
  v128_t w = LD(param + at);                                             \
  if (weightDecay != 0) g = ADD(g, MUL(vwd, w));                         \
  v128_t v = ADD(MUL(vr, LD(sq + at)), MUL(MUL(vrc, g), g));             \
  ST(sq + at, v);                                                        \
  v128_t a = LD(acc + at);                                               \
  v128_t delta = MUL(DIV(SQRT(ADD(a, veps)), SQRT(ADD(v, veps))), g);    \
  ST(acc + at, ADD(MUL(vr, a), MUL(MUL(vrc, delta), delta)));            \
  ST(param + at, SUB(w, MUL(vlr, delta)));
  OVER(n, ADADELTA)
#undef ADADELTA
}
