/** The devices a tensor can live on: one backend each. */
export type DeviceName = 'cpu' | 'webgpu';
