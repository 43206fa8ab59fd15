// math_f32.wgsl: helpers for float expressions in src/kernels/ops.ts (prepended when C = f32).

// tanh without overflow: built from exp(-2|x|), which only underflows.
fn tanh_stable(x: f32) -> f32 {
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

// a ** b with PyTorch's float semantics: x ** 0 = 1, negative bases with integer exponents.
fn pow_c(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (a == 0.0) { return select(f32_inf(), 0.0, b > 0.0); }
  let m = exp2(b * log2(abs(a)));
  if (a > 0.0) { return m; }
  if (fract(b) != 0.0) { return f32_nan(); }
  return select(m, -m, fract(b * 0.5) != 0.0);
}
