/**
 * Survived faults on the webgpu backend: a kernel that does not compile, allocations over the
 * adapter's limits, and the device lost in the middle of training (GPUDevice.destroy()).
 *
 * This file destroys its WebGPU device, so it must run in a process of its own: vitest's forks
 * pool gives each test file one. Its tests run in order; the device-loss test comes last.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { WebGPUBackend } from '../src/kernels/webgpu/index.js';
import { NO_WEBGPU, useDevices } from './helpers.js';

useDevices();

const gpu = () => wg.getBackend('webgpu') as WebGPUBackend;

/** Rejects if `p` does not settle in `ms` (a hang is a failure, not a stuck run). */
async function settles<T>(p: Promise<T>, ms = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms (a hang)`)), ms)));
  try {
    return await Promise.race([p, hang]);
  } finally {
    clearTimeout(timer);
  }
}

async function messageOf(f: () => unknown): Promise<string> {
  try {
    await settles(Promise.resolve().then(f));
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected a refusal, the call succeeded');
}

// webgpu only (WebGPU faults (shader compile errors, adapter limits, device loss) exist only there): skipped only when the run declares no adapter (WEBGRAD_TEST_NO_WEBGPU=1; helpers.ts says so).
describe.skipIf(NO_WEBGPU)('a kernel that does not compile', () => {
  const broken = {
    shader: { file: 'broken.wgsl', source: '@group(0) @binding(0) var<storage, read_write> out: array<f32>;\n@compute @workgroup_size(1)\nfn main() {\n  out[0] = 1u;\n}\n' },
    entry: 'main',
    preamble: '',
  };

  it("is reported at the next sync with the compiler's messages, the line and the kernel name, without a hang", async () => {
    gpu().pipelines.get(broken);
    const msg = await messageOf(() => wg.sync());
    expect(msg).toContain('webgpu: kernel broken.wgsl:main failed to build');
    expect(msg).toMatch(/error at line 5:\d+: .*(u32|f32)/); // getCompilationInfo's message, at the line of `1u` (after the empty preamble)
    expect(msg).toContain('--- source ---');
    expect(msg).toContain('   5    out[0] = 1u;');
  });

  it('leaves the backend working: the next kernels run and read back', async () => {
    expect(await wg.tensor(new Float32Array([1, 2]), { device: 'webgpu' }).mul(3).toArray()).toEqual([3, 6]);
  });

  it('whose source the reflector cannot even parse is refused at once, naming the kernel', async () => {
    const msg = await messageOf(() => gpu().pipelines.get({ ...broken, shader: { file: 'garbled.wgsl', source: 'fn main( {' } }));
    expect(msg).toContain('webgpu: kernel garbled.wgsl:main could not be parsed');
  });
});

// webgpu only (WebGPU faults (shader compile errors, adapter limits, device loss) exist only there): skipped only when the run declares no adapter (WEBGRAD_TEST_NO_WEBGPU=1; helpers.ts says so).
describe.skipIf(NO_WEBGPU)('allocations over the adapter limits', () => {
  const limits = () => gpu().device.limits;

  it('a tensor over maxStorageBufferBindingSize is refused naming the op, the size and the limit', async () => {
    const n = limits().maxStorageBufferBindingSize / 4 + 1;
    const msg = await messageOf(() => wg.full([n], 0, { dtype: 'float32', device: 'webgpu' }));
    expect(msg).toMatch(new RegExp(`^full: webgpu: a float32 tensor of ${n} elements \\(${n * 4} bytes\\) exceeds .*maxStorageBufferBindingSize = ${limits().maxStorageBufferBindingSize} bytes`));
  });

  it("an op's output over the limit is refused naming that op", async () => {
    const side = Math.ceil(Math.sqrt(limits().maxStorageBufferBindingSize / 4)) + 1;
    const a = wg.zeros([side, 1], { dtype: 'float32', device: 'webgpu' });
    const b = wg.zeros([1, side], { dtype: 'float32', device: 'webgpu' });
    const msg = await messageOf(() => a.add(b));
    expect(msg).toMatch(new RegExp(`^add: webgpu: a float32 tensor of ${side * side} elements .*maxStorageBufferBindingSize`));
  });

  it("a buffer whose pooled size class is over maxBufferSize is refused before the device sees it", async () => {
    const be = gpu() as unknown as { maxBuffer: number };
    const real = be.maxBuffer;
    be.maxBuffer = 1000; // as on an adapter whose buffers are smaller than its bindings
    try {
      const msg = await messageOf(() => wg.arange(0, 300, 1, { dtype: 'int32', device: 'webgpu' }));
      expect(msg).toBe('arange: webgpu: a int32 tensor of 300 elements needs a 1280-byte buffer, over this adapter\'s maxBufferSize = 1000 bytes; split it, or use the cpu backend');
    } finally {
      be.maxBuffer = real;
    }
  });
});

/** A small regression MLP and its data, on `device`, from fixed seeds. */
function problem(device: wg.DeviceName) {
  wg.manualSeed(7);
  const x = wg.randn([64, 4], { device });
  const y = x.matmul(wg.tensor(new Float32Array([1, -2, 0.5, 3]), { shape: [4, 1], device })).tanh();
  const model = new wg.nn.Sequential(new wg.nn.Linear(4, 16, { device }), new wg.nn.ReLU(), new wg.nn.Linear(16, 1, { device }));
  const opt = new wg.optim.Adam(model.parameters(), { lr: 0.02 });
  return { x, y, model, opt };
}

async function train(p: ReturnType<typeof problem>, steps: number): Promise<number[]> {
  const losses: number[] = [];
  const lossFn = new wg.nn.MSELoss();
  for (let i = 0; i < steps; i++) {
    p.opt.zeroGrad();
    const loss = lossFn.forward(p.model.forward(p.x), p.y);
    loss.backward();
    p.opt.step();
    losses.push(await loss.item());
  }
  return losses;
}

/** Model and optimizer state in one safetensors file: tensors by name, step counts and options in the metadata. */
async function saveCheckpoint(path: string, p: ReturnType<typeof problem>): Promise<void> {
  const tensors: Record<string, wg.Tensor> = {};
  for (const [k, t] of Object.entries(p.model.stateDict())) tensors[`model.${k}`] = t;
  const sd = p.opt.stateDict();
  const steps: Record<string, number> = {};
  for (const [i, s] of Object.entries(sd.state)) {
    steps[i] = s.step;
    for (const [name, t] of Object.entries(s.tensors)) tensors[`optim.${i}.${name}`] = t;
  }
  await wg.io.saveSafetensors(tensors, path, { optim: JSON.stringify({ groups: sd.groups, steps }) });
}

async function loadCheckpoint(path: string, p: ReturnType<typeof problem>, device: wg.DeviceName): Promise<void> {
  const { tensors, metadata } = await wg.io.loadSafetensorsWithMetadata(path, { device });
  const model: Record<string, wg.Tensor> = {};
  for (const [k, t] of Object.entries(tensors)) if (k.startsWith('model.')) model[k.slice(6)] = t;
  p.model.loadStateDict(model);
  const { groups, steps } = JSON.parse(metadata.optim!) as { groups: wg.optim.OptimizerState<never>['groups']; steps: Record<string, number> };
  const state: wg.optim.OptimizerState<never>['state'] = {};
  for (const [i, step] of Object.entries(steps)) {
    const own: Record<string, wg.Tensor> = {};
    for (const [k, t] of Object.entries(tensors)) if (k.startsWith(`optim.${i}.`)) own[k.slice(`optim.${i}.`.length)] = t;
    state[Number(i)] = { step, tensors: own };
  }
  p.opt.loadStateDict({ groups, state });
}

// webgpu only (WebGPU faults (shader compile errors, adapter limits, device loss) exist only there): skipped only when the run declares no adapter (WEBGRAD_TEST_NO_WEBGPU=1; helpers.ts says so).
describe.skipIf(NO_WEBGPU)('the device lost in the middle of training', () => {
  it('ops and reads fail with a clear error, the checkpoint is intact, and training resumes on cpu and on a fresh webgpu device', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webgrad-faults-'));
    const ckpt = join(dir, 'ckpt.safetensors');
    const run = problem('webgpu');
    const before = await train(run, 6);
    expect(before.at(-1)!).toBeLessThan(before[0]!);
    await saveCheckpoint(ckpt, run);
    const saved = readFileSync(ckpt);
    const weights = await run.model.stateDict()['0.weight']!.toArray();

    // The loss: queued work in flight, then the device goes.
    const pending = run.model.forward(run.x).sum();
    gpu().device.destroy();

    const lost = /^webgpu: the WebGPU device was lost \(destroyed: .*\); the tensors on it are gone\. Call `await webgrad\.init\(\{ backend: 'webgpu' \}\)` for a new device and reload your last checkpoint \(io\.loadSafetensors\), or continue on the cpu backend$/;
    expect(await messageOf(() => pending.item())).toMatch(lost);
    expect(await messageOf(() => run.x.toArray())).toMatch(lost);
    expect(await messageOf(() => wg.sync())).toMatch(lost);
    expect(await messageOf(() => train(run, 1))).toMatch(/device was lost/);
    expect(await messageOf(() => wg.full([2], 1, { dtype: 'float32', device: 'webgpu' }))).toMatch(/^full: webgpu: the WebGPU device was lost/);
    expect(await messageOf(() => wg.tensor(new Float32Array([1]), { device: 'webgpu' }))).toMatch(/device was lost/);

    // The checkpoint written before the loss is untouched and loads on cpu.
    expect(readFileSync(ckpt).equals(saved)).toBe(true);
    const cpu = problem('cpu');
    await loadCheckpoint(ckpt, cpu, 'cpu');
    expect(await cpu.model.stateDict()['0.weight']!.toArray()).toEqual(weights);
    const onCpu = await train(cpu, 6);
    expect(onCpu[0]!).toBeLessThan(before.at(-1)!); // it carries on from the checkpoint, not from scratch
    expect(onCpu.at(-1)!).toBeLessThan(onCpu[0]!);

    // A fresh webgpu device: init again. Old tensors keep failing; the checkpoint loads onto it.
    await wg.init({ backend: 'webgpu' });
    await wg.init({ backend: 'cpu' });
    expect(gpu().lost).toBeUndefined();
    expect(await messageOf(() => run.x.add(1))).toMatch(/device was lost \(destroyed: .*; seen by a kernel given a tensor made on that device\)/);
    const again = problem('webgpu');
    await loadCheckpoint(ckpt, again, 'webgpu');
    const onGpu = await train(again, 6);
    expect(onGpu[0]!).toBeCloseTo(onCpu[0]!, 4); // the same step from the same state on either backend
    expect(onGpu.at(-1)!).toBeLessThan(onGpu[0]!);
    console.log(`device loss: webgpu losses ${before.map((l) => l.toFixed(4)).join(' ')}; resumed on cpu ${onCpu.map((l) => l.toFixed(4)).join(' ')}; on a fresh webgpu device ${onGpu.map((l) => l.toFixed(4)).join(' ')}`);
  });
});
