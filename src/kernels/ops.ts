/**
 * The elementwise and reduction primitives, each defined once: its dtype rule, its CPU
 * reference (plain JS math on doubles, rounded on store) and the WGSL expression that the
 * webgpu kernels in shaders/unary.wgsl and shaders/binary.wgsl splice in as `op(...)`.
 *
 * The tables are typed (`satisfies Record<...>`), so a missing CPU or WGSL definition is a
 * compile error, not a run-time string lookup failure.
 */
import { floatTypeFor, type DType } from '../core/dtype.js';

/**
 * How an op's result dtype follows from its (promoted) input dtype:
 * - `same`: keeps it (bool is computed as int32);
 * - `float`: int and bool inputs compute in float32 (exp of an int tensor is a float tensor);
 * - `bool`: comparisons, computed in the promoted type, return bool.
 */
export type ResultRule = 'same' | 'float' | 'bool';

export interface UnaryDef {
  rule: 'same' | 'float';
  /** Reference implementation on one element (float math in doubles); a0, a1: the op's parameters. */
  cpu: (x: number, a0: number, a1: number) => number;
  /** Integer version when it differs from `cpu` (wrapping int32 arithmetic). */
  cpuInt?: (x: number) => number;
  /** WGSL expression in `x` of the compute type `C` (parameters: the uniforms `p.a0`, `p.a1`). */
  wgsl: string;
}

/**
 * erf(x) in doubles: the Taylor series below |x| = 2 (terms shrink fast there, ~1e-16 error),
 * 1 - erfc(|x|) above it, with erfc's continued fraction (below).
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 2) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 100 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  return Math.sign(x) * (1 - erfc(ax));
}

/**
 * erfc(x) = 1 - erf(x) in doubles, accurate in relative terms where erf's 1 - erf cancels:
 * 1 - erf(x) below x = 2, and for x >= 2 the continued fraction
 * erfc(x) = exp(-x^2) / sqrt(pi) * 1 / (x + (1/2) / (x + 1 / (x + (3/2) / (x + 2 / (x + ...)))))
 * evaluated by Lentz's method to 1e-16 (it converges within ~60 terms at x = 2, fewer above).
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 2) return 1 - erf(x);
  if (x > 27) return 0; // below the smallest double
  const tiny = 1e-300;
  let f = x;
  let C = x;
  let D = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    D = x + a * D;
    D = D === 0 ? tiny : 1 / D;
    C = x + a / C;
    if (C === 0) C = tiny;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

const SQRT1_2 = Math.SQRT1_2;
const GELU_K = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const log1p = Math.log1p;
const expm1 = Math.expm1;

/** Rounds half to even, as torch.round (and IEEE roundTiesToEven): 0.5 -> 0, 1.5 -> 2, -2.5 -> -2. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x); // rounds half up
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

// Stable forms: tanh and sigmoid must not overflow to inf/NaN for large |x|.
export const UNARY = {
  neg: { rule: 'same', cpu: (x) => -x, cpuInt: (x) => -x | 0, wgsl: '-x' },
  abs: { rule: 'same', cpu: Math.abs, cpuInt: (x) => Math.abs(x) | 0, wgsl: 'abs(x)' },
  square: { rule: 'same', cpu: (x) => x * x, cpuInt: (x) => Math.imul(x, x), wgsl: 'x * x' },
  // sign(NaN) = 0, as PyTorch's (0 < x) - (x < 0) gives (numpy gives NaN; WGSL's sign leaves
  // NaN unspecified, so it is selected explicitly). sign(-0) = 0.
  sign: { rule: 'same', cpu: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0), wgsl: 'select(sign(x), 0, is_nan(x))' },
  // relu(NaN) = NaN, as PyTorch (max_c propagates it; WGSL's max may not).
  relu: { rule: 'same', cpu: (x) => (x > 0 || x !== x ? x : 0), wgsl: 'max_c(x, C(0))' },
  exp: { rule: 'float', cpu: Math.exp, wgsl: 'exp(x)' },
  log: { rule: 'float', cpu: Math.log, wgsl: 'log_c(x)' }, // WGSL's log is only absolutely accurate near 1
  // log(1 + x) and e^x - 1 without the cancellation of the naive forms near 0 (series there,
  // shaders/lib/math_f32.wgsl).
  log1p: { rule: 'float', cpu: log1p, wgsl: 'log1p_f32(x)' },
  expm1: { rule: 'float', cpu: expm1, wgsl: 'expm1_f32(x)' },
  sqrt: { rule: 'float', cpu: Math.sqrt, wgsl: 'sqrt(x)' },
  rsqrt: { rule: 'float', cpu: (x) => 1 / Math.sqrt(x), wgsl: 'inverseSqrt(x)' },
  sin: { rule: 'float', cpu: Math.sin, wgsl: 'sin(x)' },
  cos: { rule: 'float', cpu: Math.cos, wgsl: 'cos(x)' },
  tanh: { rule: 'float', cpu: Math.tanh, wgsl: 'tanh_stable(x)' },
  sigmoid: { rule: 'float', cpu: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))), wgsl: 'sigmoid_stable(x)' },
  erf: { rule: 'float', cpu: erf, wgsl: 'erf_f32(x)' },
  // Integer-valued results of floats; an int32 tensor comes back unchanged (as PyTorch's
  // floor/ceil/round/trunc of integer tensors): the *_c helpers are the identity on i32.
  round: { rule: 'same', cpu: roundHalfEven, cpuInt: (x) => x, wgsl: 'round_c(x)' },
  floor: { rule: 'same', cpu: Math.floor, cpuInt: (x) => x, wgsl: 'floor_c(x)' },
  ceil: { rule: 'same', cpu: Math.ceil, cpuInt: (x) => x, wgsl: 'ceil_c(x)' },
  trunc: { rule: 'same', cpu: Math.trunc, cpuInt: (x) => x, wgsl: 'trunc_c(x)' },
} as const satisfies Record<string, UnaryDef>;

/** The unary ops that are Tensor methods. */
export type CoreUnaryOp = keyof typeof UNARY;

/**
 * An activation a product may apply in its store, after its bias (matmul.matmul and conv.conv2d
 * with a bias; F.linear and F.conv2d's `activation`): those whose backward needs only the output.
 */
export type FusedAct = 'relu' | 'sigmoid' | 'tanh';
export const FUSED_ACTS: readonly FusedAct[] = ['relu', 'sigmoid', 'tanh'];

/**
 * The activations of nn.functional (src/nn/functional/activations.ts), run by the same unary
 * kernel; a0 and a1 are their parameters (the uniforms p.a0, p.a1 in WGSL).
 */
export const ACTIVATIONS = {
  leakyRelu: { rule: 'float', cpu: (x, slope) => (x > 0 ? x : slope * x), wgsl: 'select(p.a0 * x, x, x > 0.0)' },
  elu: { rule: 'float', cpu: (x, alpha) => (x > 0 ? x : alpha * expm1(x)), wgsl: 'select(p.a0 * expm1_f32(x), x, x > 0.0)' },
  // Below zero 1 + erf(x / sqrt 2) cancels: erfc(-x / sqrt 2) keeps the digits.
  gelu: { rule: 'float', cpu: (x) => (x >= 0 ? 0.5 * x * (1 + erf(x * SQRT1_2)) : 0.5 * x * erfc(-x * SQRT1_2)), wgsl: '0.5 * x * (1.0 + erf_f32(x * 0.70710678118654752))' },
  geluTanh: {
    rule: 'float',
    // 1 + tanh(u) = 2 / (1 + exp(-2u)), which does not cancel for large negative u.
    cpu: (x) => x / (1 + Math.exp(-2 * GELU_K * (x + 0.044715 * x * x * x))),
    wgsl: '0.5 * x * (1.0 + tanh_stable(0.79788456080286536 * (x + 0.044715 * x * x * x)))',
  },
  silu: { rule: 'float', cpu: (x) => x / (1 + Math.exp(-x)), wgsl: 'x * sigmoid_stable(x)' },
  // softplus(x) = log(1 + e^(beta x)) / beta, linear above the threshold (as PyTorch); the
  // stable form max(z, 0) + log1p(e^-|z|) never overflows.
  softplus: {
    rule: 'float',
    cpu: (x, beta, threshold) => (beta * x > threshold ? x : (Math.max(beta * x, 0) + log1p(Math.exp(-Math.abs(beta * x)))) / beta),
    wgsl: 'select((max(p.a0 * x, 0.0) + log1p_f32(exp(-abs(p.a0 * x)))) / p.a0, x, p.a0 * x > p.a1)',
  },
  hardtanh: { rule: 'float', cpu: (x, lo, hi) => (x !== x ? x : Math.min(Math.max(x, lo), hi)), wgsl: 'select(min(max(x, p.a0), p.a1), x, is_nan(x))' },
} as const satisfies Record<string, UnaryDef>;

/** Every op the unary kernel runs. */
export const ALL_UNARY: Record<UnaryOp, UnaryDef> = { ...UNARY, ...ACTIVATIONS };
export type UnaryOp = CoreUnaryOp | keyof typeof ACTIVATIONS;

export interface BinaryDef {
  rule: ResultRule;
  cpu: (a: number, b: number) => number;
  cpuInt?: (a: number, b: number) => number;
  /** WGSL expression in `a`, `b` of the compute type `C`. */
  wgsl: string;
  /** The expression where C is f32, when it differs (a NaN test on the bits, which no compiler folds). */
  wgslF32?: string;
}

/** a ** b as PyTorch defines it for floats: negative bases with integer exponents are fine. */
function powInt(a: number, b: number): number {
  // Integer powers by squaring, wrapping like int32 arithmetic does on the GPU.
  if (b < 0) return a === 1 ? 1 : a === -1 ? (b % 2 === 0 ? 1 : -1) : 0;
  let r = 1;
  let base = a | 0;
  let e = b;
  while (e > 0) {
    if (e & 1) r = Math.imul(r, base);
    base = Math.imul(base, base);
    e >>>= 1;
  }
  return r;
}

export const BINARY = {
  add: { rule: 'same', cpu: (a, b) => a + b, cpuInt: (a, b) => (a + b) | 0, wgsl: 'a + b' },
  sub: { rule: 'same', cpu: (a, b) => a - b, cpuInt: (a, b) => (a - b) | 0, wgsl: 'a - b' },
  mul: { rule: 'same', cpu: (a, b) => a * b, cpuInt: (a, b) => Math.imul(a, b), wgsl: 'a * b' },
  div: { rule: 'float', cpu: (a, b) => a / b, wgsl: 'a / b' },
  pow: { rule: 'same', cpu: Math.pow, cpuInt: powInt, wgsl: 'pow_c(a, b)' },
  // NaN propagates (as in PyTorch); WGSL's max/min leave NaN to the implementation, so the
  // kernels use max_c/min_c from shaders/lib.
  maximum: { rule: 'same', cpu: (a, b) => (a !== a || b !== b ? NaN : Math.max(a, b)), wgsl: 'max_c(a, b)' },
  minimum: { rule: 'same', cpu: (a, b) => (a !== a || b !== b ? NaN : Math.min(a, b)), wgsl: 'min_c(a, b)' },
  eq: { rule: 'bool', cpu: (a, b) => +(a === b), wgsl: 'a == b' },
  // NaN != anything is true; lavapipe (Mesa 25, through Dawn's Vulkan backend) folds a != b to
  // false for a NaN, so f32 tests the bits as well.
  ne: { rule: 'bool', cpu: (a, b) => +(a !== b), wgsl: 'a != b', wgslF32: 'a != b || is_nan(a) || is_nan(b)' },
  lt: { rule: 'bool', cpu: (a, b) => +(a < b), wgsl: 'a < b' },
  le: { rule: 'bool', cpu: (a, b) => +(a <= b), wgsl: 'a <= b' },
  gt: { rule: 'bool', cpu: (a, b) => +(a > b), wgsl: 'a > b' },
  ge: { rule: 'bool', cpu: (a, b) => +(a >= b), wgsl: 'a >= b' },
} as const satisfies Record<string, BinaryDef>;

export type BinaryOp = keyof typeof BINARY;

/**
 * The activations' backward passes as binary kernels: out = g f'(v), g the output's gradient
 * and v the tensor the rule keeps (the output y for relu, sigmoid and tanh; the input x for
 * silu and gelu). Each is one pass over g and v where the rule written with tensor ops takes
 * two to six kernels and their temporaries (relu: gt then where). Not Tensor methods: the
 * backward rules of src/tensor/ops/elementwise.ts and nn/functional/activations.ts call them
 * (`activationGrad`), with backward rules of their own for second derivatives.
 */
export const ACTIVATION_GRADS = {
  // 0 where y <= 0 (and where y is NaN), as where(y > 0, g, 0) and PyTorch's threshold_backward.
  reluGrad: { rule: 'float', cpu: (g, y) => (y > 0 ? g : 0), wgsl: 'select(C(0), a, b > C(0))' },
  sigmoidGrad: { rule: 'float', cpu: (g, y) => g * (y * (1 - y)), wgsl: 'a * (b * (C(1) - b))' },
  tanhGrad: { rule: 'float', cpu: (g, y) => g * (1 - y * y), wgsl: 'a * (C(1) - b * b)' },
  // d/dx x s(x) = s (1 + x (1 - s)), s = sigmoid(x)
  siluGrad: {
    rule: 'float',
    cpu: (g, x) => {
      const s = UNARY.sigmoid.cpu(x);
      return g * (s * (1 + x * (1 - s)));
    },
    wgsl: 'a * silu_grad_c(b)',
  },
  // d/dx x Phi(x) = Phi(x) + x phi(x); Phi from erfc below zero, where 1 + erf cancels.
  geluGrad: {
    rule: 'float',
    cpu: (g, x) => {
      const cdf = x >= 0 ? 0.5 * (1 + erf(x * SQRT1_2)) : 0.5 * erfc(-x * SQRT1_2);
      return g * (cdf + x * Math.exp(-0.5 * x * x) * INV_SQRT_2PI);
    },
    wgsl: 'a * gelu_grad_c(b)',
  },
} as const satisfies Record<string, BinaryDef>;

export type ActivationGradOp = keyof typeof ACTIVATION_GRADS;
/** Every op the binary kernel runs: the Tensor methods' and the activations' backward passes. */
export type BinaryKernelOp = BinaryOp | ActivationGradOp;
export const ALL_BINARY: Record<BinaryKernelOp, BinaryDef> = { ...BINARY, ...ACTIVATION_GRADS };

/** Reductions with a kernel; mean/var/std/logsumexp are compositions of these. */
export const REDUCE_OPS = ['sum', 'prod', 'max', 'min', 'argmax', 'argmin'] as const;
export type ReduceOp = (typeof REDUCE_OPS)[number];

/** The dtype an elementwise op computes in and returns, given its promoted input dtype. */
export function elementwiseTypes(rule: ResultRule, input: DType): { compute: DType; result: DType } {
  const compute = input === 'bool' ? 'int32' : input;
  switch (rule) {
    case 'same': return { compute, result: compute };
    // float16 computes in float32 like every float16 op (src/kernels/half.ts) and returns float16.
    case 'float': return { compute: floatTypeFor(compute), result: floatTypeFor(compute) };
    case 'bool': return { compute, result: 'bool' };
  }
}

/** The dtype a reduction returns for input `d`. */
export function reduceResultType(op: ReduceOp, d: DType): DType {
  if (op === 'argmax' || op === 'argmin') return 'int32';
  if (d === 'bool') return op === 'max' || op === 'min' ? 'bool' : 'int32';
  // Sums and products of int8/uint8 widen, as PyTorch's go to int64 (int32 is webgrad's widest int).
  if ((d === 'int8' || d === 'uint8') && (op === 'sum' || op === 'prod')) return 'int32';
  return d;
}
