/**
 * `webgrad.nn`: modules (layers, containers, losses), `nn.init`, and the functional ops
 * (`nn.functional`, also exported at the top level as `F`).
 */
export * as functional from './functional/index.js';
export * as init from '../layers/init.js';
export { Module, type LoadResult } from '../layers/module.js';
export * from '../layers/layers.js';
export * from '../layers/losses.js';
export * from '../layers/attention.js';
export * from '../layers/recurrent.js';
