/**
 * The adapter's optional features webgrad uses. The GPU timer (timestamp-query): refused,
 * saying why, where the device lacks it; llvmpipe does, and SwiftShader in Chromium has it
 * (tests/browser.test.ts times a matmul there).
 *
 * Subgroups (kernels/webgpu/subgroups.ts): the init option, what backendInfo reports, the
 * layout check and the reducers' WGSL. The default adapter here (llvmpipe through OpenGL ES)
 * has no subgroups, so there the trees run and the subgroup path is refused where it cannot
 * work. The lavapipe project (vitest.config.ts: Mesa 25's Vulkan driver) has subgroups of 8:
 * there every workgroup reducer runs with them, against cpu, and again without them. The
 * reducers also run in headless Chromium on SwiftShader (tests/browser.test.ts).
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import { F32_SUM_MAX, checkSubgroupLayout, groupLib, useSubgroups } from '../src/kernels/webgpu/subgroups.js';
import type { WebGPUBackend } from '../src/kernels/webgpu/index.js';
import { NO_WEBGPU, relErr } from './helpers.js';
import { ROW_NORM_LAYOUT } from '../src/kernels/norm/webgpu.js';
import { SUBGROUPS } from '../src/kernels/webgpu/subgroups.js';

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

const LAVAPIPE = process.env.WEBGRAD_TEST_ADAPTER === 'lavapipe';

// Needs lavapipe (subgroups, shader-f16, timestamp-query): skipped in the default project, whose
// adapter has none of them (the tests above cover that), and run by the lavapipe project
// (vitest.config.ts), which fails where lavapipe is missing unless WEBGRAD_TEST_NO_LAVAPIPE=1 is declared.
describe.skipIf(!LAVAPIPE)('on lavapipe (Vulkan): subgroups in every workgroup reducer, and the GPU timer', () => {
  /** Each workgroup-reducing kernel once (values and gradients): the relative difference to cpu of each. */
  async function runReducers(): Promise<Record<string, number>> {
    const diffs: Record<string, number> = {};
    const diff = async (name: string, a: wg.Tensor, b: wg.Tensor) => {
      diffs[name] = relErr(Array.from(await a.to('cpu').then((t) => t.data())), Array.from(await b.data()));
    };
    const both = (t: wg.Tensor) => [t, t.to('webgpu')] as const;
    ROW_NORM_LAYOUT.perInvocation = false; // a workgroup per row (a CPU adapter takes one invocation per row for many rows)
    wg.configureKernels({ reduce: 'rowPerWorkgroup' });
    try {
      const x = wg.randn([5, 301]);
      const [xc, xg] = await Promise.all(both(x));
      for (const [name, f] of [
        ['sum', (t: wg.Tensor) => t.sum(1)],
        ['amax', (t: wg.Tensor) => t.amax(1)],
        ['softmax', (t: wg.Tensor) => wg.F.softmax(t, 1)],
      ] as const) await diff(name, f(xg), f(xc));
      // layerNorm, groupNorm and batchNorm (training), forward and backward.
      const x4 = wg.randn([4, 6, 5, 7]);
      const g4 = wg.randn([4, 6, 5, 7]);
      for (const [name, f] of [
        ['layerNorm', (t: wg.Tensor) => wg.F.layerNorm(t, [5, 7])],
        ['groupNorm', (t: wg.Tensor) => wg.F.groupNorm(t, 3)],
        ['batchNorm', (t: wg.Tensor) => wg.F.batchNorm(t, null, null, null, null, { training: true })],
        ['batchNorm S%4', (t: wg.Tensor) => wg.F.batchNorm(t.reshape([4, 6, 35]).narrow(2, 0, 32).contiguous(), null, null, null, null, { training: true })],
      ] as const) {
        const out: wg.Tensor[] = [];
        const grads: wg.Tensor[] = [];
        for (const dev of ['cpu', 'webgpu'] as const) {
          const xi = (dev === 'cpu' ? x4 : await x4.to('webgpu')).detach().requiresGrad_();
          const y = f(xi);
          const gi = dev === 'cpu' ? g4 : await g4.to('webgpu');
          y.mul(y.shape.length === 3 ? gi.reshape([4, 6, 35]).narrow(2, 0, 32).contiguous() : gi).sum().backward();
          out.push(y);
          grads.push(xi.grad!);
        }
        await diff(name, out[1]!, out[0]!);
        await diff(`${name} grad`, grads[1]!, grads[0]!);
      }
      // crossEntropy with class indices and label smoothing: the loss and its gradient.
      const logits = wg.randn([9, 37]).mul(4);
      const target = wg.randint(0, 37, [9]);
      const loss: wg.Tensor[] = [];
      const grads: wg.Tensor[] = [];
      for (const dev of ['cpu', 'webgpu'] as const) {
        const l = (dev === 'cpu' ? logits : await logits.to('webgpu')).detach().requiresGrad_();
        const v = wg.F.crossEntropy(l, dev === 'cpu' ? target : await target.to('webgpu'), { labelSmoothing: 0.1 });
        v.backward();
        loss.push(v);
        grads.push(l.grad!);
      }
      await diff('crossEntropy', loss[1]!, loss[0]!);
      await diff('crossEntropy grad', grads[1]!, grads[0]!);
    } finally {
      ROW_NORM_LAYOUT.perInvocation = null;
      wg.configureKernels({ reduce: null });
    }
    return diffs;
  }

  const REDUCING = [
    'reduce.wgsl:reduce_workgroup', 'softmax.wgsl:row', 'row_norm.wgsl:forward', 'row_norm.wgsl:backward',
    'batch_norm_stats.wgsl:main', 'batch_norm_stats.wgsl:main4', 'batch_norm.wgsl:backward_sums', 'batch_norm.wgsl:backward_sums4', 'cross_entropy.wgsl:main',
  ];
  const usesSubgroups = (code: string) => /subgroupAdd\(|subgroupMax\(/.test(code);

  it('the adapter has subgroups (used, after the layout check), shader-f16 and timestamp-query', async () => {
    await wg.init({ backend: 'webgpu' });
    const info = wg.backendInfo().webgpu!;
    expect(info.source).toBe('dawn-node (vulkan)');
    expect(info.features).toEqual(expect.arrayContaining(['subgroups', 'shader-f16', 'timestamp-query']));
    expect(info.subgroups.used).toBe(true);
    const b = wg.getBackend('webgpu') as unknown as WebGPUBackend;
    expect(await checkSubgroupLayout(b.device, b.wg)).toBeUndefined();
    await wg.init({ backend: 'cpu' });
  });

  it('every workgroup reducer runs with subgroups and matches cpu; with SUBGROUPS off, the trees run and match too', async () => {
    await wg.init({ backend: 'webgpu' });
    for (const enabled of [true, false]) {
      SUBGROUPS.enabled = enabled;
      try {
        const b = wg.getBackend('webgpu') as unknown as WebGPUBackend;
        const before = new Set(b.pipelines.all());
        const diffs = await runReducers();
        for (const [name, d] of Object.entries(diffs)) expect(d, `${name} (subgroups ${enabled})`).toBeLessThan(2e-5);
        // The kernels built in this round: each reducing one with (or without) subgroup operations.
        const built: Record<string, string> = {};
        for (const k of b.pipelines.all()) if (!before.has(k)) built[k.label] = (built[k.label] ?? '') + k.code;
        for (const label of REDUCING) {
          expect(built[label], `${label} was built (subgroups ${enabled})`).toBeDefined();
          expect(usesSubgroups(built[label]!), `${label} uses subgroups: ${enabled}`).toBe(enabled);
        }
      } finally {
        SUBGROUPS.enabled = true;
      }
    }
    await wg.init({ backend: 'cpu' });
  });

  it('the GPU timer measures a matmul\'s passes on a Node adapter', async () => {
    await wg.init({ backend: 'webgpu' });
    const b = wg.getBackend('webgpu') as unknown as WebGPUBackend;
    const m = wg.randn([128, 128], { device: 'webgpu' });
    await wg.sync();
    const t0 = performance.now();
    b.startGpuTimer();
    m.matmul(m).dispose();
    const gpuMs = await b.stopGpuTimer();
    const wall = performance.now() - t0;
    expect(gpuMs).toBeGreaterThan(0);
    expect(gpuMs).toBeLessThanOrEqual(wall + 1); // the passes lie inside the wall time
    m.dispose();
    await wg.init({ backend: 'cpu' });
  });
});
