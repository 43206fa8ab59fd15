/** `webgrad.io`: safetensors checkpoints and IDX files. */
export { saveSafetensors, loadSafetensors, loadSafetensorsWithMetadata, serializeSafetensors, parseSafetensors, MAX_HEADER_BYTES, MAX_HEADER_DEPTH, type LoadedSafetensors, type LoadOptions, type ParseOptions } from './safetensors.js';
export { readIdx, parseIdx, idxToTensor, type IdxData } from './idx.js';
export { encodePNG, savePNG, imageGrid, crc32, type PNGOptions, type ImageGridOptions } from './png.js';
