/** `memory()`: live tensors and buffer use, per backend and in total; trimming and the leak report. */
import type { BackendMemory, DeviceName } from '../kernels/backend.js';
import { checkBoolean, checkOptions } from '../core/options.js';
import { backendInfo, getBackend } from '../runtime.js';
import { envVar } from '../core/env.js';
import { leakOptions, liveGroups, liveTensors, type LiveGroup } from './memory.js';
import { collectOptions, collectStats, setLiveBytesSource, type CollectStats } from '../core/collect.js';
import { checkNumber } from '../core/options.js';

export interface MemoryInfo {
  /** Live tensors on all devices (views count separately). */
  tensors: number;
  /** Bytes held by live storages on all devices. */
  bytes: number;
  /** Per device: live tensors, storages, bytes, and the webgpu pool. */
  devices: Partial<Record<DeviceName, BackendMemory & { tensors: number }>>;
  /** Forced garbage collections (see docs/memory.md). */
  collector: CollectStats;
  /** With `trim: true`: the pooled bytes freed by this call. */
  trimmedBytes?: number;
  /** With `detailed: true`: live tensors grouped by device and the op that made them, largest first. */
  live?: LiveGroup[];
}

export interface MemoryOptions {
  /** Free every pooled (unused) GPU buffer first. */
  trim?: boolean;
  /** Add the leak report: live tensors grouped by the op that made them (and call site, with `setMemoryDebug(true)`). */
  detailed?: boolean;
}

function totalLiveBytes(): number {
  let bytes = 0;
  for (const d of backendInfo().backends) bytes += getBackend(d).memory().bytes;
  return bytes;
}
setLiveBytesSource(totalLiveBytes);
if (envVar('WEBGRAD_DEBUG_MEMORY') === '1') leakOptions.callSites = true;

export interface MemoryConfig {
  /** Force a garbage collection when this many bytes were allocated since the last one (default 64 MiB)... */
  collectEveryBytes?: number;
  /** ...or when this fraction of the live bytes was, if larger (default 0.5). */
  collectLiveFraction?: number;
  /** Whether webgrad forces collections at all (default true). */
  forceCollection?: boolean;
  /** Record each tensor's call site for the leak report (slow; default false, or WEBGRAD_DEBUG_MEMORY=1). */
  callSites?: boolean;
  /** Untouched host bytes per GPU byte, visible to the JS engine's collector ('auto': 0.25 where collections cannot be forced, else 0). */
  ballastFraction?: number | 'auto';
}

/** Sets how dropped tensors are collected and what the leak report records; returns the settings now in force. */
export function configureMemory(config: MemoryConfig = {}): Required<MemoryConfig> {
  checkOptions('configureMemory', config, ['collectEveryBytes', 'collectLiveFraction', 'forceCollection', 'callSites', 'ballastFraction']);
  if (config.ballastFraction !== undefined) {
    collectOptions.ballastFraction = config.ballastFraction === 'auto' ? 'auto' : checkNumber('configureMemory', 'ballastFraction', config.ballastFraction, { min: 0, max: 1 });
  }
  if (config.collectEveryBytes !== undefined) collectOptions.minBudgetBytes = checkNumber('configureMemory', 'collectEveryBytes', config.collectEveryBytes, { gt: 0 });
  if (config.collectLiveFraction !== undefined) collectOptions.liveFraction = checkNumber('configureMemory', 'collectLiveFraction', config.collectLiveFraction, { min: 0 });
  if (config.forceCollection !== undefined) collectOptions.enabled = checkBoolean('configureMemory', 'forceCollection', config.forceCollection);
  if (config.callSites !== undefined) leakOptions.callSites = checkBoolean('configureMemory', 'callSites', config.callSites);
  return {
    collectEveryBytes: collectOptions.minBudgetBytes, collectLiveFraction: collectOptions.liveFraction,
    forceCollection: collectOptions.enabled, callSites: leakOptions.callSites, ballastFraction: collectOptions.ballastFraction,
  };
}

/** Live tensors and bytes per device, the pool, and the collector; optionally trims the pool and lists live tensors by op. */
export function memory(options?: MemoryOptions): MemoryInfo {
  checkOptions('memory', options, ['trim', 'detailed']);
  if (options?.trim !== undefined) checkBoolean('memory', 'trim', options.trim);
  if (options?.detailed !== undefined) checkBoolean('memory', 'detailed', options.detailed);
  let trimmedBytes = 0;
  if (options?.trim) for (const d of backendInfo().backends) trimmedBytes += getBackend(d).trimPool();
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
  return {
    tensors, bytes, devices, collector: collectStats(),
    ...(options?.trim ? { trimmedBytes } : {}),
    ...(options?.detailed ? { live: liveGroups() } : {}),
  };
}
