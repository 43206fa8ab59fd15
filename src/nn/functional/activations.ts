/**
 * Activations. Each is one elementwise kernel (the unary kernel, shaders/unary.wgsl, with the
 * op's expression from ACTIVATIONS in src/kernels/ops.ts and a cpu reference next to it) and a
 * backward rule written with tensor ops, so second derivatives work too.
 */
import { activationGrad, unaryWith, where } from '../../tensor/ops/elementwise.js';
import { checkInputs } from '../../tensor/ops/core.js';
import type { Tensor } from '../../tensor/tensor.js';
import { checkChoice, checkNumber, checkOptions } from '../../core/options.js';
import { noExtra } from './args.js';

function checkFinite(op: string, name: string, v: number): void {
  checkNumber(op, name, v);
}

/** max(x, 0). */
export function relu(x: Tensor, ...extra: never[]): Tensor {
  noExtra('relu', extra, '(x)');
  return x.relu();
}

/** x for x > 0, negativeSlope * x otherwise (default slope 0.01). */
export function leakyRelu(x: Tensor, negativeSlope = 0.01, ...extra: never[]): Tensor {
  noExtra('leakyRelu', extra, '(x, negativeSlope = 0.01)');
  checkInputs('leakyRelu', x);
  checkFinite('leakyRelu', 'negativeSlope', negativeSlope);
  // d/dx = 1 for x > 0, slope elsewhere (at 0 too, as PyTorch).
  return unaryWith('leakyRelu', x, [negativeSlope], 'x', (g, xs) => where(xs.gt(0), g, g.mul(negativeSlope)));
}

/** x for x > 0, alpha * (e^x - 1) otherwise (default alpha 1). */
export function elu(x: Tensor, alpha = 1, ...extra: never[]): Tensor {
  noExtra('elu', extra, '(x, alpha = 1)');
  checkInputs('elu', x);
  checkFinite('elu', 'alpha', alpha);
  // For x <= 0, d/dx alpha (e^x - 1) = alpha e^x.
  return unaryWith('elu', x, [alpha], 'x', (g, xs) => where(xs.gt(0), g, g.mul(xs.exp().mul(alpha))));
}

export interface GeluOptions {
  /** 'none' (exact, with erf; default) or 'tanh' (the tanh approximation). */
  approximate?: 'none' | 'tanh';
}

const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

/** x * Phi(x), Phi the standard normal CDF; `approximate: 'tanh'` uses 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
export function gelu(x: Tensor, options: GeluOptions = {}, ...extra: never[]): Tensor {
  noExtra('gelu', extra, '(x, options?)');
  checkInputs('gelu', x);
  checkOptions('gelu', options, ['approximate']);
  const approx = checkChoice('gelu', 'approximate', options.approximate ?? 'none', ['none', 'tanh']);
  if (approx === 'none') {
    // d/dx x Phi(x) = Phi(x) + x phi(x), phi(x) = e^(-x^2/2) / sqrt(2 pi)
    return unaryWith('gelu', x, [], 'x', (g, xs) => activationGrad('geluGrad', g, xs));
  }
  if (approx === 'tanh') {
    // u = k (x + c x^3), t = tanh u: d/dx 0.5 x (1 + t) = 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 c x^2)
    return unaryWith('geluTanh', x, [], 'x', (g, xs) => {
      const t = xs.pow(3).mul(GELU_C).add(xs).mul(GELU_K).tanh();
      const du = xs.square().mul(3 * GELU_C).add(1).mul(GELU_K);
      const d = t.add(1).mul(0.5).add(xs.mul(0.5).mul(t.square().neg().add(1)).mul(du));
      return g.mul(d);
    });
  }
  throw new Error(`gelu: approximate must be 'none' or 'tanh', got '${String(approx)}'`);
}

/** x * sigmoid(x) (also called swish). */
export function silu(x: Tensor, ...extra: never[]): Tensor {
  noExtra('silu', extra, '(x)');
  checkInputs('silu', x);
  // d/dx x s(x) = s (1 + x (1 - s))
  return unaryWith('silu', x, [], 'x', (g, xs) => activationGrad('siluGrad', g, xs));
}

export function sigmoid(x: Tensor, ...extra: never[]): Tensor {
  noExtra('sigmoid', extra, '(x)');
  return x.sigmoid();
}

export function tanh(x: Tensor, ...extra: never[]): Tensor {
  noExtra('tanh', extra, '(x)');
  return x.tanh();
}

export interface SoftplusOptions {
  /** Default 1. */
  beta?: number;
  /** Above beta * x > threshold the function is x (default 20), as in PyTorch. */
  threshold?: number;
}

/** log(1 + e^(beta x)) / beta, computed without overflow; linear above the threshold. */
export function softplus(x: Tensor, options: SoftplusOptions = {}, ...extra: never[]): Tensor {
  noExtra('softplus', extra, '(x, options?)');
  checkInputs('softplus', x);
  checkOptions('softplus', options, ['beta', 'threshold']);
  const beta = options.beta ?? 1;
  const threshold = options.threshold ?? 20;
  checkFinite('softplus', 'beta', beta);
  checkFinite('softplus', 'threshold', threshold);
  if (beta === 0) throw new Error('softplus: beta must be nonzero');
  // d/dx = sigmoid(beta x) below the threshold, 1 above it.
  return unaryWith('softplus', x, [beta, threshold], 'x', (g, xs) => {
    const z = xs.mul(beta);
    return where(z.gt(threshold), g, g.mul(z.sigmoid()));
  });
}

/** Clamps to [minVal, maxVal] (default [-1, 1]). */
export function hardtanh(x: Tensor, minVal = -1, maxVal = 1, ...extra: never[]): Tensor {
  noExtra('hardtanh', extra, '(x, minVal = -1, maxVal = 1)');
  checkInputs('hardtanh', x);
  checkFinite('hardtanh', 'minVal', minVal);
  checkFinite('hardtanh', 'maxVal', maxVal);
  if (minVal > maxVal) throw new Error(`hardtanh: minVal (${minVal}) must not exceed maxVal (${maxVal})`);
  // The gradient passes strictly inside (minVal, maxVal), as PyTorch's hardtanh_backward.
  return unaryWith('hardtanh', x, [minVal, maxVal], 'x', (g, xs) => where(xs.gt(minVal), where(xs.lt(maxVal), g, 0), 0));
}
