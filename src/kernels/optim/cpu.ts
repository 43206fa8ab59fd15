/**
 * Reference optimizer steps (the cpu side of shaders/optimizer.wgsl), written from PyTorch's
 * documented algorithms: loops over the elements, math in doubles, rounded on store.
 */
import type { OptimizerHyper, OptimizerKind, View } from '../backend.js';
import type { TypedArray } from '../../core/dtype.js';
import type { OptimKernels } from './types.js';

const arr = (v: View | null): TypedArray | null => (v ? (v.storage.handle as TypedArray) : null);

export function optimizerStep(kind: OptimizerKind, param: View, grad: View, state: readonly (View | null)[], h: OptimizerHyper): void {
  const P = arr(param)!;
  const G = arr(grad)!;
  const [S0, S1, S2] = [arr(state[0] ?? null), arr(state[1] ?? null), arr(state[2] ?? null)];
  const n = param.shape.reduce((a, b) => a * b, 1);
  const po = param.offset;
  const go = grad.offset;
  const so = state.map((s) => s?.offset ?? 0);
  for (let i = 0; i < n; i++) {
    let g = h.maximize ? -G[go + i]! : G[go + i]!;
    let w = P[po + i]!;
    switch (kind) {
      case 'sgd': {
        if (h.weightDecay !== 0) g += h.weightDecay * w;
        if (h.useMomentum) {
          const b = h.first ? g : h.momentum * S0![so[0]! + i]! + (1 - h.dampening) * g;
          S0![so[0]! + i] = b;
          g = h.nesterov ? g + h.momentum * b : b;
        }
        P[po + i] = w - h.lr * g;
        break;
      }
      case 'adam': {
        if (h.weightDecay !== 0) {
          if (h.decoupled) w *= 1 - h.lr * h.weightDecay;
          else g += h.weightDecay * w;
        }
        const m = h.beta1 * S0![so[0]! + i]! + (1 - h.beta1) * g;
        const v = h.beta2 * S1![so[1]! + i]! + (1 - h.beta2) * g * g;
        S0![so[0]! + i] = m;
        S1![so[1]! + i] = v;
        let vhat = v;
        if (h.amsgrad) {
          vhat = Math.max(S2![so[2]! + i]!, v);
          S2![so[2]! + i] = vhat;
        }
        P[po + i] = w - (h.lr / h.biasCorrection1) * (m / (Math.sqrt(vhat) / Math.sqrt(h.biasCorrection2) + h.eps));
        break;
      }
      case 'rmsprop': {
        if (h.weightDecay !== 0) g += h.weightDecay * w;
        const sq = h.alpha * S0![so[0]! + i]! + (1 - h.alpha) * g * g;
        S0![so[0]! + i] = sq;
        let avg = sq;
        if (h.centered) {
          const ga = h.alpha * S1![so[1]! + i]! + (1 - h.alpha) * g;
          S1![so[1]! + i] = ga;
          avg = sq - ga * ga;
        }
        const denom = Math.sqrt(avg) + h.eps;
        if (h.useMomentum) {
          const b = h.momentum * S2![so[2]! + i]! + g / denom;
          S2![so[2]! + i] = b;
          P[po + i] = w - h.lr * b;
        } else {
          P[po + i] = w - (h.lr * g) / denom;
        }
        break;
      }
      case 'adagrad': {
        // h.lr is already the decayed clr = lr / (1 + (t - 1) lrDecay).
        if (h.weightDecay !== 0) g += h.weightDecay * w;
        const sum = (h.first ? h.initialAccumulatorValue : S0![so[0]! + i]!) + g * g;
        S0![so[0]! + i] = sum;
        P[po + i] = w - (h.lr * g) / (Math.sqrt(sum) + h.eps);
        break;
      }
      case 'adadelta': {
        if (h.weightDecay !== 0) g += h.weightDecay * w;
        const v = h.rho * S0![so[0]! + i]! + (1 - h.rho) * g * g;
        S0![so[0]! + i] = v;
        const delta = (Math.sqrt(S1![so[1]! + i]! + h.eps) / Math.sqrt(v + h.eps)) * g;
        S1![so[1]! + i] = h.rho * S1![so[1]! + i]! + (1 - h.rho) * delta * delta;
        P[po + i] = w - h.lr * delta;
        break;
      }
    }
  }
}

/** The family's table on the cpu backend. */
export const cpuKernels: OptimKernels = {
  step: optimizerStep,
  stepGroup: (kind, items, h) => {
    for (const it of items) optimizerStep(kind, it.param, it.grad, it.state, h);
  },
};
