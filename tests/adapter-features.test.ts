/**
 * The adapter's optional features webgrad uses. The GPU timer (timestamp-query): refused,
 * saying why, where the device lacks it; llvmpipe does, and SwiftShader in Chromium has it
 * (tests/browser.test.ts times a matmul there).
 *
 * Subgroups (kernels/webgpu/subgroups.ts): the init option, what backendInfo reports, the
 * layout check and the reducers' WGSL. This machine's adapter (llvmpipe) has no subgroups, so
 * here the trees run and the subgroup path is refused where it cannot work; the subgroup
 * reducers themselves run in headless Chromium on SwiftShader (tests/browser.test.ts), against
 * cpu, with and without subgroups.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import { F32_SUM_MAX, checkSubgroupLayout, groupLib, useSubgroups } from '../src/kernels/webgpu/subgroups.js';
import type { WebGPUBackend } from '../src/kernels/webgpu/index.js';
import { NO_WEBGPU } from './helpers.js';

describe('the subgroups option of init', () => {
  it('takes true or false, for webgpu only', async () => {
    await expect(wg.init({ backend: 'webgpu', subgroups: 'yes' as unknown as boolean })).rejects.toThrow('init: subgroups must be true or false, got yes');
    await expect(wg.init({ backend: 'cpu', subgroups: false })).rejects.toThrow("init: subgroups is an option of the webgpu backend, not of 'cpu' (pass backend: 'webgpu')");
    await expect(wg.init({ backend: 'wasm', subgroups: true })).rejects.toThrow("init: subgroups is an option of the webgpu backend, not of 'wasm'");
  });
});

describe('the reducers\' WGSL', () => {
  it('without subgroups: a tree in workgroup memory; with them: the directive first, the subgroup operations and one barrier before the partials are read', () => {
    const tree = groupLib(false, F32_SUM_MAX);
    expect(tree).not.toMatch(/subgroup/);
    expect(tree).toMatch(/struct GroupIds \{[^}]*local_invocation_index[^}]*\}/);
    expect(tree.match(/workgroupBarrier\(\)/g)!.length).toBe(2 * 3); // per reducer: after the store, in the loop, after the read
    const sg = groupLib(true, F32_SUM_MAX);
    expect(sg.startsWith('enable subgroups;\n')).toBe(true);
    expect(sg).toMatch(/@builtin\(subgroup_invocation_id\) lane: u32/);
    expect(sg).toMatch(/@builtin\(subgroup_size\) sg: u32/);
    expect(sg).toContain('subgroupAdd(v)');
    expect(sg).toContain('select(subgroupMax(v), f32_nan(), subgroupAny(is_nan(v)))');
    expect(sg.match(/workgroupBarrier\(\)/g)!.length).toBe(2 * 2);
  });

  it('useSubgroups: only on a device that passed the layout check, and not while SUBGROUPS.enabled is off', async () => {
    const { SUBGROUPS } = await import('../src/kernels/webgpu/subgroups.js');
    expect(useSubgroups({ subgroups: { available: true, used: true } })).toBe(true);
    expect(useSubgroups({ subgroups: { available: true, used: false, reason: 'x' } })).toBe(false);
    expect(useSubgroups({})).toBe(false);
    SUBGROUPS.enabled = false;
    try {
      expect(useSubgroups({ subgroups: { available: true, used: true } })).toBe(false);
    } finally {
      SUBGROUPS.enabled = true;
    }
  });
});

// Needs the webgpu backend (llvmpipe here): it says what it found.
// Skipped only when the run declares it has no WebGPU adapter (WEBGRAD_TEST_NO_WEBGPU=1, which helpers.ts warns about); a missing adapter otherwise fails the suite.
describe.skipIf(NO_WEBGPU)('on this machine\'s adapter', () => {
  it('backendInfo says whether the adapter has subgroups and whether the kernels use them; the option is fixed once the device has started', async () => {
    await wg.init({ backend: 'webgpu' });
    const info = wg.backendInfo().webgpu!;
    expect(info.subgroups.available).toBe(info.features.includes('subgroups'));
    if (!info.subgroups.available) expect(info.subgroups).toEqual({ available: false, used: false, ...(info.subgroups.sizes ? { sizes: info.subgroups.sizes } : {}) });
    await expect(wg.init({ backend: 'webgpu', subgroups: false })).rejects.toThrow('init: the webgpu device has started with subgroups: true; subgroups is fixed when it starts (got false)');
    await wg.init({ backend: 'webgpu', subgroups: true }); // the same value is fine
    await wg.init({ backend: 'cpu' });
  });

  it('the layout check refuses a device created without the feature, saying why', async () => {
    await wg.init({ backend: 'webgpu' });
    const b = wg.getBackend('webgpu') as unknown as WebGPUBackend;
    if (b.device.features.has('subgroups')) {
      expect(await checkSubgroupLayout(b.device, b.wg)).toBeUndefined();
    } else {
      expect(await checkSubgroupLayout(b.device, b.wg)).toMatch(/^the layout check did not compile: /);
    }
    await wg.init({ backend: 'cpu' });
  });
});

// Needs the webgpu backend: the timer is one of its methods.
// Skipped only when the run declares it has no WebGPU adapter (WEBGRAD_TEST_NO_WEBGPU=1, which helpers.ts warns about); a missing adapter otherwise fails the suite.
describe.skipIf(NO_WEBGPU)('the GPU timer (timestamp-query)', () => {
  it('times the passes recorded between start and stop where the device has the feature, and otherwise says it cannot', async () => {
    await wg.init({ backend: 'webgpu' });
    const b = wg.getBackend('webgpu') as unknown as WebGPUBackend;
    await expect(b.stopGpuTimer()).rejects.toThrow('webgpu stopGpuTimer: the GPU timer is not running (startGpuTimer first)');
    if (!b.device.features.has('timestamp-query')) {
      expect(() => b.startGpuTimer()).toThrow(/^webgpu startGpuTimer: this device has no 'timestamp-query' feature \(adapter: .+\); GPU time cannot be measured here$/);
    } else {
      const m = wg.randn([256, 256], { device: 'webgpu' });
      b.startGpuTimer();
      expect(() => b.startGpuTimer()).toThrow('the GPU timer is already running');
      m.matmul(m).dispose();
      expect(await b.stopGpuTimer()).toBeGreaterThan(0);
      m.dispose();
    }
    await wg.init({ backend: 'cpu' });
  });
});
