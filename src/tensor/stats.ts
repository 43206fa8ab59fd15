/** `memory()`: live tensors and buffer use, per backend and in total. */
import type { BackendMemory, DeviceName } from '../kernels/backend.js';
import { backendInfo, getBackend } from '../runtime.js';
import { liveTensors } from './memory.js';

export interface MemoryInfo {
  /** Live tensors on all devices (views count separately). */
  tensors: number;
  /** Bytes held by live storages on all devices. */
  bytes: number;
  /** Per device: live tensors, storages, bytes, and the webgpu pool. */
  devices: Partial<Record<DeviceName, BackendMemory & { tensors: number }>>;
}

export function memory(): MemoryInfo {
  const devices: MemoryInfo['devices'] = {};
  let tensors = 0;
  let bytes = 0;
  for (const d of backendInfo().backends) {
    const m = getBackend(d).memory();
    const t = liveTensors[d] ?? 0;
    devices[d] = { ...m, tensors: t };
    tensors += t;
    bytes += m.bytes;
  }
  return { tensors, bytes, devices };
}
