/**
 * Training end to end: a small MLP learns the shipped Fashion-MNIST subset on every device
 * within a bounded number of steps; a long loop keeps memory flat; the progress bar, the
 * history chart, and the training example (run as a user would).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import { DEVICES, NO_WEBGPU, useDevices } from './helpers.js';

useDevices();
const root = join(import.meta.dirname, '..');
const SUBSET = join(root, 'data', 'fashion-mnist-subset');
const { nn } = wg;

describe.each(DEVICES)('training on %s', (device) => {
  it('an MLP reaches 70% test accuracy on the 2,000-image Fashion-MNIST subset in 80 steps', async () => {
    wg.manualSeed(0);
    const train = await wg.data.fashionMnist({ root: SUBSET });
    const test = await wg.data.fashionMnist({ root: SUBSET, split: 'test' });
    const model = new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 128, { device }), new nn.ReLU(), new nn.Linear(128, 10, { device }));
    const optimizer = new wg.optim.Adam(model.parameters(), { lr: 2e-3 });
    const history = await wg.train.fit({
      model, optimizer, loss: new nn.CrossEntropyLoss(), epochs: 2, progress: false,
      train: new wg.data.DataLoader(train, { batchSize: 50, shuffle: true, seed: 1, device }),
      val: new wg.data.DataLoader(test, { batchSize: 250, device }),
    });
    expect(history.length).toBe(2);
    const [e1, e2] = history;
    expect(e2!.trainLoss).toBeLessThan(e1!.trainLoss);
    expect(e2!.valAccuracy).toBeGreaterThan(0.7);
    expect(e2!.examplesPerSecond).toBeGreaterThan(0);
  });

  it('memory stays flat over many training steps (parameters, optimizer state and the pool)', async () => {
    wg.manualSeed(1);
    const x = wg.randn([64, 1, 8, 8], { device });
    const y = wg.randint(0, 4, [64], { device });
    const ds = new wg.data.TensorDataset(x, y);
    const model = new nn.Sequential(
      new nn.Conv2d(1, 4, 3, { device, padding: 1 }), new nn.BatchNorm2d(4, { device }), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Flatten(), new nn.Dropout(0.1), new nn.Linear(64, 4, { device }),
    );
    const optimizer = new wg.optim.AdamW(model.parameters(), { lr: 1e-3 });
    const run = (epochs: number) => wg.train.fit({
      model, optimizer, loss: new nn.CrossEntropyLoss(), epochs, progress: false,
      train: new wg.data.DataLoader(ds, { batchSize: 16, device }),
    });
    // Collect what earlier tests dropped, so that only this loop's tensors count.
    const settle = async () => {
      await wg.sync();
      for (let i = 0; i < 3; i++) {
        (globalThis as { gc?: () => void }).gc?.();
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    await run(1);
    await settle();
    const mem = () => wg.memory().devices[device]!;
    const before = mem();
    await run(10); // 40 more steps
    await settle();
    const after = mem();
    expect(after.tensors).toBe(before.tensors);
    expect(after.buffers).toBe(before.buffers);
    expect(after.bytes).toBe(before.bytes);
    if (device === 'webgpu') expect(after.pooledBytes).toBeLessThanOrEqual(before.pooledBytes * 1.01 + 1);
  });
});

describe('progress bar and chart', () => {
  it('prints steps, rate, elapsed and ETA, and live values', () => {
    const lines: string[] = [];
    const bar = new wg.train.ProgressBar(4, 'epoch 1/1', { write: (s) => lines.push(s), logEvery: 2 });
    bar.tick(1, { loss: 0.5 });
    bar.tick(1, { loss: 0.25 });
    bar.finish({ loss: 0.2 });
    expect(lines.length).toBe(2);
    expect(lines[0]).toMatch(/^epoch 1\/1 \[#{12}\.{12}\] 2\/4 [\d.]+ it\/s {2}\d\d:\d\d<\d\d:\d\d {2}loss 0.2500\n$/);
    expect(lines[1]).toMatch(/\] 2\/4 .*loss 0.2000/);
    expect(wg.train.formatDuration(3725)).toBe('1:02:05');
  });

  it('draws a self-contained SVG of loss and accuracy', () => {
    const svg = wg.train.historySvg([
      { epoch: 1, trainLoss: 1, trainAccuracy: 0.6, valLoss: 0.9, valAccuracy: 0.65, seconds: 1, examplesPerSecond: 1, lr: 1 },
      { epoch: 2, trainLoss: 0.5, trainAccuracy: 0.8, valLoss: 0.6, valAccuracy: 0.78, seconds: 1, examplesPerSecond: 1, lr: 1 },
    ], 'a <test>');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect((svg.match(/<polyline/g) ?? []).length).toBe(4);
    expect(svg).toContain('a &lt;test&gt;');
    expect(svg).not.toMatch(/<script|href=/);
  });
});

describe('examples/train.mjs', () => {
  it('trains, reports test accuracy and time per epoch, saves a checkpoint that reloads, and writes the chart', () => {
    const out = mkdtempSync(join(tmpdir(), 'webgrad-train-'));
    const log = execFileSync(process.execPath, [
      'examples/train.mjs', '--model', 'mlp', '--epochs', '2', '--train-limit', '1000', '--test-limit', '300',
      '--data', SUBSET, '--out', out, ...(NO_WEBGPU ? ['--backend', 'cpu'] : []),
    ], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
    expect(log).toMatch(/data: 1000 training and 300 test images/);
    expect(log).toMatch(/epoch 2: train loss [\d.]+, train acc [\d.]+%, test loss [\d.]+, test acc [\d.]+%/);
    const acc = Number(/test accuracy: ([\d.]+)% after 2 epoch\(s\)/.exec(log)![1]);
    expect(acc).toBeGreaterThan(60);
    expect(log).toMatch(/s per epoch/);
    const reloaded = Number(/reloaded checkpoint: test accuracy ([\d.]+)%/.exec(log)![1]);
    expect(reloaded).toBe(acc);
    expect(existsSync(join(out, 'fashion-mnist-mlp.safetensors'))).toBe(true);
    expect(readFileSync(join(out, 'fashion-mnist-mlp.svg'), 'utf8')).toContain('<polyline');
  });

  it('rejects an unknown model', () => {
    expect(() => execFileSync(process.execPath, ['examples/train.mjs', '--model', 'rnn'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))
      .toThrow(/train: --model must be cnn or mlp, got rnn/);
  });

  it('--device wasm trains the CNN on the WebAssembly backend; --device and --backend are not both taken', () => {
    const out = mkdtempSync(join(tmpdir(), 'webgrad-train-'));
    const log = execFileSync(process.execPath, [
      'examples/train.mjs', '--device', 'wasm', '--train-limit', '512', '--test-limit', '256', '--data', SUBSET, '--out', out,
    ], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
    expect(log).toMatch(/device: wasm \(WebAssembly SIMD, \d+ threads?\)/);
    expect(log).not.toMatch(/NOTICE: this WebGPU adapter runs on the CPU/);
    const acc = Number(/test accuracy: ([\d.]+)% after 1 epoch\(s\)/.exec(log)![1]);
    expect(acc).toBeGreaterThan(40);
    expect(() => execFileSync(process.execPath, ['examples/train.mjs', '--device', 'wasm', '--backend', 'cpu'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))
      .toThrow(/train: give --device or --backend \(its older name\), not both/);
    expect(() => execFileSync(process.execPath, ['examples/train.mjs', '--device', 'tpu'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))
      .toThrow(/train: --device must be webgpu, wasm or cpu, got tpu/);
  });

  // webgpu only (the notice is about a CPU WebGPU adapter): skipped only when the run declares no adapter (WEBGRAD_TEST_NO_WEBGPU=1)
  it.skipIf(NO_WEBGPU)('on a CPU WebGPU adapter (llvmpipe) the demo says how much faster wasm is and how to run it', () => {
    const log = execFileSync(process.execPath, [
      'examples/train.mjs', '--model', 'mlp', '--epochs', '1', '--train-limit', '64', '--test-limit', '64', '--data', SUBSET, '--out', mkdtempSync(join(tmpdir(), 'webgrad-train-')),
    ], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
    const a = wg.backendInfo().webgpu!;
    if (a.isFallbackAdapter || /llvmpipe|swiftshader|lavapipe|software|warp/i.test(`${a.description} ${a.device} ${a.vendor} ${a.architecture}`)) {
      expect(log).toMatch(/NOTICE: this WebGPU adapter runs on the CPU .* the wasm backend ran this demo about 4 times faster \(docs\/wasm\.md\); run: node examples\/train\.mjs --device wasm/);
    } else {
      expect(log).not.toMatch(/NOTICE: this WebGPU adapter runs on the CPU/);
    }
  });
});
