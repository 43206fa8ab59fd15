/**
 * Backend registry and selection. `cpu` is always there; `webgpu` exists after
 * `await init({ backend: 'webgpu' })` (or `init()` with WEBGRAD_BACKEND=webgpu) has found
 * an adapter, and `wasm` after `await init({ backend: 'wasm' })` has started its module and
 * threads. The default device for new tensors is the backend `init` chose.
 */
import type { Backend, DeviceName } from './kernels/backend.js';
import { envVar } from './core/env.js';

export { envVar };
import { CpuBackend } from './kernels/cpu/index.js';
import type { AdapterReport, WebGPUOptions } from './kernels/webgpu/device.js';
import type { WasmInfo, WasmOptions } from './kernels/wasm/runtime.js';
import { DEVICE_NAMES } from './core/device.js';
import { checkOptions } from './core/options.js';
import { withFloat16 } from './kernels/half.js';

// Each backend is wrapped once for float16 (src/kernels/half.ts): its kernels see float32.
const backends: Partial<Record<DeviceName, Backend>> = { cpu: withFloat16(new CpuBackend()) };
let defaultDevice: DeviceName = 'cpu';
let webgpuReport: AdapterReport | undefined;
/** The subgroups option the webgpu device was acquired with. */
let webgpuSubgroups = true;

export function isDeviceName(x: unknown): x is DeviceName {
  return x === 'cpu' || x === 'webgpu' || x === 'wasm';
}

/** The backend for `device`, with a clear error if it was never initialised. */
export function getBackend(device: DeviceName = defaultDevice): Backend {
  const b = backends[device];
  if (b) return b;
  if (!isDeviceName(device)) throw new Error(`device: unknown device '${String(device)}' (expected ${DEVICE_NAMES.map((d) => `'${d}'`).join(', ')})`);
  throw new Error(
    `device: the ${device} backend is not initialised; call \`await webgrad.init({ backend: '${device}' })\` before making ${device} tensors`,
  );
}

export function getDefaultDevice(): DeviceName {
  return defaultDevice;
}

export interface InitOptions extends WebGPUOptions, WasmOptions {
  /** 'webgpu', 'wasm' or 'cpu'; defaults to the WEBGRAD_BACKEND environment variable, else 'webgpu'. */
  backend?: DeviceName;
}


/**
 * Chooses the default backend. For 'webgpu' it acquires an adapter and device (throwing a
 * clear error if there is none). Safe to call more than once.
 */
export async function init(options: InitOptions = {}): Promise<DeviceName> {
  checkOptions('init', options, ['backend', 'dawnBackend', 'powerPreference', 'subgroups', 'threads', 'heapMiB']);
  const fromEnv = envVar('WEBGRAD_BACKEND');
  const want = options.backend ?? (fromEnv as DeviceName | undefined) ?? 'webgpu';
  if (!isDeviceName(want)) {
    throw new Error(`init: unknown backend '${want}' (from ${options.backend ? 'options' : 'WEBGRAD_BACKEND'}; expected ${DEVICE_NAMES.map((d) => `'${d}'`).join(', ')})`);
  }
  if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1 && options.threads <= 256)) {
    throw new Error(`init: threads must be an integer from 1 to 256, got ${String(options.threads)}`);
  }
  if (options.heapMiB !== undefined && !(Number.isInteger(options.heapMiB) && options.heapMiB >= 16 && options.heapMiB <= 4096)) {
    throw new Error(`init: heapMiB must be an integer from 16 to 4096, got ${String(options.heapMiB)}`);
  }
  if (want === 'webgpu' && options.threads !== undefined) {
    throw new Error(`init: threads is an option of the wasm and cpu backends, not of 'webgpu' (pass backend: 'wasm' or 'cpu')`);
  }
  if (options.subgroups !== undefined && typeof options.subgroups !== 'boolean') {
    throw new Error(`init: subgroups must be true or false, got ${String(options.subgroups)}`);
  }
  if (want !== 'webgpu' && options.subgroups !== undefined) {
    throw new Error(`init: subgroups is an option of the webgpu backend, not of '${want}' (pass backend: 'webgpu')`);
  }
  if (want === 'webgpu' && options.subgroups !== undefined && backends.webgpu && !(backends.webgpu as { lost?: string }).lost && options.subgroups !== webgpuSubgroups) {
    throw new Error(`init: the webgpu device has started with subgroups: ${webgpuSubgroups}; subgroups is fixed when it starts (got ${options.subgroups})`);
  }
  if (want !== 'wasm' && options.heapMiB !== undefined) {
    throw new Error(`init: heapMiB is an option of the wasm backend, not of '${want}' (pass backend: 'wasm')`);
  }
  // The cpu backend's threads run its large matmuls (worker_threads; 1 where there are none).
  if (want === 'cpu' && options.threads !== undefined) await (backends.cpu as CpuBackend).setThreads(options.threads);
  if (want === 'wasm') {
    // A second init may change the threads (starting workers as needed), not the heap.
    const wasm = backends.wasm as (Backend & { info(): WasmInfo; setThreads(n: number): Promise<void> }) | undefined;
    if (wasm) {
      if (options.heapMiB !== undefined) throw new Error(`init: the wasm backend has started; heapMiB is fixed when it starts (got ${options.heapMiB})`);
      if (options.threads !== undefined) await wasm.setThreads(options.threads);
    } else {
      const { WasmBackend } = await import('./kernels/wasm/index.js');
      backends.wasm = withFloat16(await WasmBackend.create({
        ...(options.threads !== undefined ? { threads: options.threads } : {}),
        ...(options.heapMiB !== undefined ? { heapMiB: options.heapMiB } : {}),
      }));
    }
  }
  // A lost device (destroyed, driver reset) is replaced by a fresh one; tensors made on the old
  // one keep failing with the lost-device error.
  if (want === 'webgpu' && (!backends.webgpu || (backends.webgpu as { lost?: string }).lost)) {
    const { acquireDevice } = await import('./kernels/webgpu/device.js');
    const { WebGPUBackend } = await import('./kernels/webgpu/index.js');
    const acquired = await acquireDevice(options);
    webgpuSubgroups = options.subgroups !== false;
    backends.webgpu = withFloat16(new WebGPUBackend(acquired.device, acquired.report));
    webgpuReport = acquired.report;
  }
  defaultDevice = want;
  return want;
}

export interface BackendInfo {
  /** The default device for new tensors. */
  defaultDevice: DeviceName;
  /** Initialised backends. */
  backends: DeviceName[];
  /** The WebGPU adapter in use, once initialised. */
  webgpu?: AdapterReport;
  /** The wasm backend's SIMD, threads and memory, once initialised. */
  wasm?: WasmInfo;
}

/** Which backends are up and which adapter WebGPU runs on. */
export function backendInfo(): BackendInfo {
  return {
    defaultDevice,
    backends: Object.keys(backends) as DeviceName[],
    ...(webgpuReport ? { webgpu: webgpuReport } : {}),
    ...(backends.wasm ? { wasm: (backends.wasm as unknown as { info(): WasmInfo }).info() } : {}),
  };
}

/** Waits for every backend's queued work (webgpu: the GPU queue) to finish. */
export async function sync(): Promise<void> {
  await Promise.all(Object.values(backends).map((b) => b!.sync()));
}
