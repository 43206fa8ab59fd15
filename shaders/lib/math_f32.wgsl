// math_f32.wgsl: helpers for float expressions in src/kernels/ops.ts (prepended when C = f32).

// tanh without overflow: built from exp(-2|x|), which only underflows. Near 0 that form
// cancels (1 - e with e ~ 1: relative error ~1e-3 at |x| = 1e-5), so |x| < 0.25 takes the
// odd Taylor series, whose first omitted term is under 1e-8 relative there.
fn tanh_stable(x: f32) -> f32 {
  if (abs(x) < 0.25) {
    let x2 = x * x;
    return x * (1.0 + x2 * (-1.0 / 3.0 + x2 * (2.0 / 15.0 + x2 * (-17.0 / 315.0 + x2 * (62.0 / 2835.0)))));
  }
  let e = exp(-2.0 * abs(x));
  return sign(x) * (1.0 - e) / (1.0 + e);
}

// sigmoid without overflow for large |x|.
fn sigmoid_stable(x: f32) -> f32 {
  let e = exp(-abs(x));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
}

// inf and NaN from bit patterns; through a `var` because constant expressions may not be inf/NaN.
fn f32_inf() -> f32 {
  var bits = 0x7f800000u;
  return bitcast<f32>(bits);
}
fn f32_nan() -> f32 {
  var bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}

// NaN test on the bits (a compiler may fold x != x to false).
fn is_nan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

// max/min that propagate NaN as PyTorch and the cpu reference do (WGSL's max/min may return
// the other operand: llvmpipe does).
fn max_c(a: f32, b: f32) -> f32 {
  return select(select(max(a, b), b, is_nan(b)), a, is_nan(a));
}
fn min_c(a: f32, b: f32) -> f32 {
  return select(select(min(a, b), b, is_nan(b)), a, is_nan(a));
}

// a ** b with PyTorch's float semantics: x ** 0 = 1, negative bases with integer exponents.
fn pow_c(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (a == 0.0) { return select(f32_inf(), 0.0, b > 0.0); }
  let m = exp2(b * log2(abs(a)));
  if (a > 0.0) { return m; }
  if (fract(b) != 0.0) { return f32_nan(); }
  return select(m, -m, fract(b * 0.5) != 0.0);
}

// erf: the odd Taylor series near 0 (the rational form below loses relative accuracy there to
// cancellation), Abramowitz & Stegun 7.1.26 elsewhere (absolute error under 1.5e-7).
fn erf_f32(x: f32) -> f32 {
  let a = abs(x);
  if (a < 0.5) {
    let x2 = x * x;
    return x * 1.1283791670955126 * (1.0 + x2 * (-1.0 / 3.0 + x2 * (1.0 / 10.0 + x2 * (-1.0 / 42.0 + x2 * (1.0 / 216.0 + x2 * (-1.0 / 1320.0))))));
  }
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign(x) * (1.0 - poly * exp(-a * a));
}

// log(1 + x) and exp(x) - 1 accurate near 0, without WGSL's log there: on [0.5, 2] WGSL
// allows log an absolute error of 2^-21, and llvmpipe's is ~5e-8 below 1 (log(0.9999) came out
// 3e-4 off, relatively; expm1(-1e-6) by Kahan's log-ratio trick 7% off).
// log1p: 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...), s = x / (2 + x), |s| <= 1/3 for x in
// [-0.5, 1]; eight terms leave a relative error under 2e-9. Outside, log is good to 3 ULP.
fn log1p_f32(x: f32) -> f32 {
  if (x < -0.5 || x > 1.0) { return log(1.0 + x); }
  let s = x / (2.0 + x);
  let s2 = s * s;
  return 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0 + s2 * (1.0 / 11.0 + s2 * (1.0 / 13.0 + s2 * (1.0 / 15.0))))))));
}
// log(x), as accurate near 1 as elsewhere (x - 1 is exact on [0.5, 2]).
fn log_c(x: f32) -> f32 {
  if (x >= 0.5 && x <= 2.0) { return log1p_f32(x - 1.0); }
  return log(x);
}
// expm1: the Taylor series to x^10 / 10! for |x| <= 0.5 (remainder under 3e-11, relative);
// beyond, exp(x) - 1 does not cancel.
fn expm1_f32(x: f32) -> f32 {
  if (abs(x) > 0.5) { return exp(x) - 1.0; }
  return x * (1.0 + x / 2.0 * (1.0 + x / 3.0 * (1.0 + x / 4.0 * (1.0 + x / 5.0 * (1.0 + x / 6.0 * (1.0 + x / 7.0 * (1.0 + x / 8.0 * (1.0 + x / 9.0 * (1.0 + x / 10.0)))))))));
}

// round/floor/ceil/trunc, named as the i32 versions (identities) so one expression serves both.
// WGSL's round rounds half to even, as torch.round.
fn round_c(x: f32) -> f32 { return round(x); }
fn floor_c(x: f32) -> f32 { return floor(x); }
fn ceil_c(x: f32) -> f32 { return ceil(x); }
fn trunc_c(x: f32) -> f32 { return trunc(x); }

// The activations' derivatives for their fused backward kernels (ACTIVATION_GRADS in
// src/kernels/ops.ts): silu' = s (1 + x (1 - s)), s = sigmoid(x); gelu' = Phi(x) + x phi(x).
fn silu_grad_c(x: f32) -> f32 {
  let s = sigmoid_stable(x);
  return s * (1.0 + x * (1.0 - s));
}
fn gelu_grad_c(x: f32) -> f32 {
  return 0.5 * (1.0 + erf_f32(x * 0.70710678118654752)) + x * exp(-0.5 * x * x) * 0.39894228040143268;
}
