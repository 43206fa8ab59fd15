/** The devices a tensor can live on: one backend each. */
export type DeviceName = 'cpu' | 'webgpu' | 'wasm';

/** Every device name, in the order errors list them. */
export const DEVICE_NAMES: readonly DeviceName[] = ['cpu', 'webgpu', 'wasm'];
