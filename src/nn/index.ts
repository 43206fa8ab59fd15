/** `webgrad.nn`: the functional ops (`nn.functional`, also `F`); layers and modules come next. */
export * as functional from './functional/index.js';
