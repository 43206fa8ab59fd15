/**
 * webgrad: tensors on a CPU reference backend and on WebGPU (hand-written WGSL kernels).
 *
 *   import * as wg from 'webgrad';
 *   await wg.init({ backend: 'webgpu' });
 *   const y = wg.randn([64, 32]).matmul(wg.randn([32, 10])).relu();
 *   console.log(await y.format());
 */
export { Tensor, isTensor } from './tensor/tensor.js';
export type { Scalar, TensorOrScalar, ReduceOptions, VarOptions, SliceSpec } from './tensor/tensor.js';
export type { DType, TypedArray } from './core/dtype.js';
export type { DeviceName, Backend, BackendMemory } from './kernels/backend.js';
export {
  tensor, zeros, ones, full, zerosLike, onesLike, fullLike, arange, linspace, eye, rand, randn, randint, emptyTensor as empty,
} from './tensor/creation.js';
export type { TensorOptions, ShapeArgs, RandOptions, RandnOptions } from './tensor/creation.js';
export { manualSeed } from './core/random.js';
export { randperm } from './tensor/ops/random.js';
export type { RandpermOptions } from './tensor/ops/random.js';
export { tidy, keep } from './tensor/memory.js';
export { memory, configureMemory } from './tensor/stats.js';
export { configureKernels, kernelVariants } from './kernels/variants.js';
export type { KernelConfig } from './kernels/variants.js';
export { tuneKernels, kernelTuning, configureKernelTuning, resetKernelTuning } from './kernels/tuner.js';
export type { TuneOptions, TuneReport, TuneResult, KernelTuningInfo, KernelTuningConfig, TuningMode, MatmulShape, ConvShape, ReduceShape } from './kernels/tuner.js';
export type { MemoryInfo, MemoryOptions, MemoryConfig } from './tensor/stats.js';
export type { LiveGroup } from './tensor/memory.js';
export { init, backendInfo, sync, getBackend } from './runtime.js';
export type { InitOptions, BackendInfo } from './runtime.js';
export type { AdapterReport } from './kernels/webgpu/device.js';
export { isCpuAdapter } from './kernels/webgpu/device.js';
export { cat, stack, gather, indexSelect, scatterAdd } from './tensor/ops/indexing.js';
export { noGrad, enableGrad, isGradEnabled, setGradEnabled } from './autograd/mode.js';
export { grad, zeroGrad } from './autograd/engine.js';
export { graph } from './viz/graph.js';
export type { Graph } from './viz/graph.js';
export type { GraphData, GraphNode, GraphEdge, GraphOptions } from './autograd/graph.js';
export { gradcheck, gradgradcheck } from './autograd/gradcheck.js';
export type { GradcheckOptions } from './autograd/gradcheck.js';
export type { BackwardOptions, GradOptions } from './autograd/engine.js';
export type { Node, GradHook } from './autograd/node.js';
export { where } from './tensor/ops/elementwise.js';
export { matmul } from './tensor/ops/matmul.js';
export { cumsum, cumprod } from './tensor/ops/scan.js';
export { split, chunk, tril, triu } from './tensor/ops/split.js';
export { cdist } from './nn/functional/distance.js';
export { sort, argsort, kthvalue, median, nanmedian, quantile, nanquantile } from './tensor/ops/sort.js';
export type { SortOptions, KthvalueOptions, QuantileOptions, QuantileInterpolation } from './tensor/ops/sort.js';
export { scatterReduce, scatter } from './tensor/ops/scatter.js';
export type { ScatterReduceMode, ScatterReduceOptions } from './tensor/ops/scatter.js';
export { multinomial } from './nn/functional/sampling.js';
export type { MultinomialOptions } from './nn/functional/sampling.js';
export * as nn from './nn/index.js';
export * as F from './nn/functional/index.js';
export * as optim from './optim/index.js';
export * as data from './data/index.js';
export * as io from './io/index.js';
export * as train from './train/index.js';
export * as linalg from './linalg/index.js';
export * as preprocessing from './mining/preprocessing.js';
export * as mining from './mining/index.js';
export * as compress from './compress/index.js';
