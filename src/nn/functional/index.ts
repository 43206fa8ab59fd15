/**
 * `webgrad.nn.functional` (also exported as `F`): the functional layer that layers and losses
 * are built from, with PyTorch's names. Tensors are positional; options come in a trailing
 * object: `F.conv2d(x, weight, bias, { stride, padding })`, `F.crossEntropy(logits, target, { reduction })`.
 */
export * from './activations.js';
export * from './conv.js';
export * from './linear.js';
export * from './pooling.js';
export * from './losses.js';
export * from './softmax.js';
export * from './normalization.js';
export * from './dropout.js';
export * from './embedding.js';
export * from './misc.js';
export * from './distance.js';
export * from './interpolate.js';
export { scaledDotProductAttention, type ScaledDotProductAttentionOptions } from './attention.js';
