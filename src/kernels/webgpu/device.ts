/**
 * Finding a WebGPU device. Browsers and Deno have `navigator.gpu`. In Node, Dawn's addon
 * (npm `webgpu`) is loaded on demand: a GPU's Vulkan/Metal/D3D12 adapter at the core feature
 * level first; where there is none (a CPU-only machine), Dawn's OpenGL ES backend on Mesa's
 * llvmpipe at the compatibility feature level (see docs/ARCHITECTURE.md).
 */

import { envVar } from '../../core/env.js';
import { checkSubgroupLayout, type SubgroupReport } from './subgroups.js';

export interface WebGPUOptions {
  /** Dawn backend in Node ('vulkan', 'opengles', 'metal', 'd3d12'...); env WEBGRAD_DAWN_BACKEND. */
  dawnBackend?: string;
  powerPreference?: GPUPowerPreference;
  /**
   * Use subgroups where the adapter has the 'subgroups' feature (default true): workgroup-wide
   * reductions then combine within subgroups first (kernels/webgpu/subgroups.ts). false
   * creates the device without the feature.
   */
  subgroups?: boolean;
}

export interface AdapterReport {
  /** 'navigator.gpu' or 'dawn-node (<backend>)'. */
  source: string;
  featureLevel: 'core' | 'compatibility';
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  features: string[];
  limits: {
    maxStorageBufferBindingSize: number;
    maxBufferSize: number;
    maxComputeWorkgroupStorageSize: number;
    maxComputeInvocationsPerWorkgroup: number;
    maxComputeWorkgroupsPerDimension: number;
    maxStorageBuffersPerShaderStage: number;
  };
  /** Whether the adapter has subgroups and whether the kernels use them (kernels/webgpu/subgroups.ts). */
  subgroups: SubgroupReport;
  /**
   * The device has `shader-f16`: kernels that read float16 operands in place bind them as
   * `array<f16>` (kernels/webgpu/halfLoads.ts); without it they decode packed u32 words.
   */
  shaderF16: boolean;
}

interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}


const isNode = () => {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
};

let dawn: DawnModule | undefined;
const dawnInstances = new Map<string, GPU>();

async function loadDawn(): Promise<DawnModule> {
  if (dawn) return dawn;
  const name = 'webgpu'; // a variable keeps browser bundlers from resolving the Node addon
  const mod = (await import(/* @vite-ignore */ name)) as DawnModule;
  // Dawn's adapter classes and usage flags (GPUBufferUsage...) as globals, as in a browser.
  for (const [k, v] of Object.entries(mod.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  dawn = mod;
  return mod;
}

function dawnGpu(mod: DawnModule, backend: string | undefined): GPU {
  const key = backend ?? 'default';
  let gpu = dawnInstances.get(key);
  if (!gpu) {
    if (backend === 'opengles') {
      // Mesa's EGL needs no display for off-screen GLES; these must be set before Dawn starts EGL.
      const p = (globalThis as unknown as { process: { env: Record<string, string | undefined> } }).process;
      p.env.EGL_PLATFORM ??= 'surfaceless';
    }
    gpu = mod.create(backend ? [`backend=${backend}`] : []);
    dawnInstances.set(key, gpu);
  }
  return gpu;
}

/**
 * Whether the adapter runs on the CPU (Mesa llvmpipe or lavapipe, SwiftShader, WARP): by its
 * isFallbackAdapter flag or its name. Kernels choose other layouts there (registers rather
 * than workgroup memory), and the demo points at the wasm backend.
 */
export function isCpuAdapter(a: AdapterReport): boolean {
  return a.isFallbackAdapter || /llvmpipe|lavapipe|swiftshader|software|warp/i.test(`${a.description} ${a.device} ${a.vendor} ${a.architecture}`);
}

function report(adapter: GPUAdapter, source: string, featureLevel: 'core' | 'compatibility', subgroups: SubgroupReport): AdapterReport {
  const info = adapter.info;
  const l = adapter.limits;
  return {
    source,
    featureLevel,
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallbackAdapter: Boolean((info as { isFallbackAdapter?: boolean }).isFallbackAdapter),
    features: [...adapter.features].sort(),
    limits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    },
    subgroups,
    shaderF16: adapter.features.has('shader-f16'), // requested whenever the adapter has it
  };
}

/** Invocations per workgroup of the 1-D kernels on a device with these limits (WebGPUBackend.wg). */
export function workgroupSize(limits: GPUSupportedLimits): number {
  return Math.min(256, limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
}

async function requestDevice(adapter: GPUAdapter, options: WebGPUOptions): Promise<{ device: GPUDevice; subgroups: SubgroupReport }> {
  const l = adapter.limits;
  const info = adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  const available = adapter.features.has('subgroups');
  const want = available && options.subgroups !== false;
  // Ask for the adapter's own limits where they beat the defaults: big tensors need them.
  const device = await adapter.requestDevice({
    // timestamp-query: the GPU timer (WebGPUBackend.startGpuTimer) where the adapter has it.
    // shader-f16: float16 operands read as f16 (kernels/webgpu/halfLoads.ts).
    requiredFeatures: [
      ...(want ? ['subgroups' as GPUFeatureName] : []),
      ...(['timestamp-query', 'shader-f16'] as GPUFeatureName[]).filter((f) => adapter.features.has(f)),
    ],
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupSizeY: l.maxComputeWorkgroupSizeY,
      maxComputeWorkgroupSizeZ: l.maxComputeWorkgroupSizeZ,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    },
  });
  const subgroups: SubgroupReport = { available, used: false };
  if (typeof info.subgroupMinSize === 'number' && typeof info.subgroupMaxSize === 'number') subgroups.sizes = [info.subgroupMinSize, info.subgroupMaxSize];
  if (!available) return { device, subgroups };
  if (!want) return { device, subgroups: { ...subgroups, reason: 'turned off (init option subgroups: false)' } };
  const failed = await checkSubgroupLayout(device, workgroupSize(device.limits));
  return { device, subgroups: failed ? { ...subgroups, reason: failed } : { ...subgroups, used: true } };
}

/** Acquires an adapter and a device, or throws an error that says what was tried. */
export async function acquireDevice(options: WebGPUOptions = {}): Promise<{ device: GPUDevice; report: AdapterReport }> {
  const tried: string[] = [];
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu && !isNode()) {
    const adapter = await nav.gpu.requestAdapter(options.powerPreference ? { powerPreference: options.powerPreference } : {});
    if (adapter) {
      const core = !(adapter as { featureLevel?: string }).featureLevel || (adapter as { featureLevel?: string }).featureLevel === 'core';
      const { device, subgroups } = await requestDevice(adapter, options);
      return { device, report: report(adapter, 'navigator.gpu', core ? 'core' : 'compatibility', subgroups) };
    }
    tried.push('navigator.gpu.requestAdapter() returned null');
  } else if (isNode()) {
    let mod: DawnModule;
    try {
      mod = await loadDawn();
    } catch (e) {
      throw new Error(`webgpu: could not load Dawn's Node addon (npm package 'webgpu'): ${(e as Error).message}`);
    }
    const forced = options.dawnBackend ?? envVar('WEBGRAD_DAWN_BACKEND');
    const attempts: { backend: string | undefined; featureLevel: 'core' | 'compatibility' }[] = forced
      ? [{ backend: forced, featureLevel: 'core' }, { backend: forced, featureLevel: 'compatibility' }]
      : [{ backend: undefined, featureLevel: 'core' }, { backend: 'opengles', featureLevel: 'compatibility' }];
    for (const a of attempts) {
      const gpu = dawnGpu(mod, a.backend);
      const adapter = await gpu.requestAdapter({
        featureLevel: a.featureLevel,
        ...(options.powerPreference ? { powerPreference: options.powerPreference } : {}),
      } as GPURequestAdapterOptions);
      if (adapter) {
        const { device, subgroups } = await requestDevice(adapter, options);
        return { device, report: report(adapter, `dawn-node (${a.backend ?? 'default'})`, a.featureLevel, subgroups) };
      }
      tried.push(`Dawn backend '${a.backend ?? 'default'}' at the ${a.featureLevel} feature level found no adapter`);
    }
  } else {
    tried.push('this runtime has no navigator.gpu');
  }
  throw new Error(
    `webgpu: no WebGPU adapter found (${tried.join('; ')}). On a machine without a GPU, install Mesa ` +
      `(apt-get install libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri) so Dawn can use llvmpipe, or use the cpu backend.`,
  );
}
