/** `webgrad.io`: safetensors checkpoints and IDX files. */
export { saveSafetensors, loadSafetensors, loadSafetensorsWithMetadata, serializeSafetensors, parseSafetensors, type LoadedSafetensors } from './safetensors.js';
export { readIdx, parseIdx, idxToTensor, type IdxData } from './idx.js';
