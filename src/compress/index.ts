/**
 * `webgrad.compress`: model compression. `prune` (magnitude pruning with PyTorch's
 * `_orig` / `_mask` parameters, after torch.nn.utils.prune) and post-training int8 weight
 * quantization with per-channel or per-tensor symmetric scales, saved as safetensors.
 */
export * as prune from './prune.js';
export type { PruneOptions } from './prune.js';
export {
  quantizePerChannel, quantizePerTensor, dequantize, quantizeStateDict, dequantizeStateDict, saveQuantized, loadQuantized, parseQuantized,
  QUANT_METADATA_KEY, type Quantized, type QuantizeOptions, type QuantDType, type QuantizedStateDict,
} from './quantize.js';
