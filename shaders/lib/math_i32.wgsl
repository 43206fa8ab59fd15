// math_i32.wgsl: helpers for integer expressions in src/kernels/ops.ts (prepended when C = i32).

// Integer power by squaring, wrapping like int32 arithmetic; negative exponents give 0
// except for bases 1 and -1 (as the CPU reference does).
fn pow_c(a: i32, b: i32) -> i32 {
  if (b < 0) {
    if (a == 1) { return 1; }
    if (a == -1) { return select(-1, 1, (b & 1) == 0); }
    return 0;
  }
  var r = 1;
  var base = a;
  var e = u32(b);
  while (e > 0u) {
    if ((e & 1u) == 1u) { r = r * base; }
    base = base * base;
    e = e >> 1u;
  }
  return r;
}

// Integers have no NaN: the builtins (the f32 versions propagate NaN).
fn is_nan(x: i32) -> bool { return false; }
fn max_c(a: i32, b: i32) -> i32 { return max(a, b); }
fn min_c(a: i32, b: i32) -> i32 { return min(a, b); }

// Integers are already integral: round/floor/ceil/trunc leave them as they are.
fn round_c(x: i32) -> i32 { return x; }
fn floor_c(x: i32) -> i32 { return x; }
fn ceil_c(x: i32) -> i32 { return x; }
fn trunc_c(x: i32) -> i32 { return x; }
