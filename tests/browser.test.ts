/**
 * The browser bundle in a real browser (headless Chromium, which scripts/setup.sh installs):
 * the wasm backend on a page's main thread and in a Web Worker, with its kernels split over
 * Web Workers where the page is cross-origin isolated (served with COOP and COEP, so its memory
 * can be shared), and on one thread where it is not. Each run checks matmul and conv2d against
 * the cpu backend and trains a small MLP for a few steps.
 *
 * A tiny HTTP server serves dist/webgrad.browser.js and tests/browser/ and takes the results
 * the pages POST back. Without Chromium the suite fails, saying how to install it; only
 * WEBGRAD_TEST_NO_BROWSER=1 (a run told there is no browser) leaves it out, and says so.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const NO_BROWSER = process.env.WEBGRAD_TEST_NO_BROWSER === '1';
if (NO_BROWSER) console.warn('WEBGRAD_TEST_NO_BROWSER=1: the browser suite is not run in this process');

/** The Chromium binary: $CHROMIUM, else Debian's. */
function chromium(): string {
  for (const c of [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean) as string[]) {
    if (existsSync(c)) return c;
  }
  throw new Error('browser tests: no Chromium found (set CHROMIUM, or run scripts/setup.sh, which installs Debian\'s chromium; WEBGRAD_TEST_NO_BROWSER=1 leaves these tests out)');
}

interface Result {
  where: string;
  crossOriginIsolated: boolean;
  threads?: number;
  sharedMemory?: boolean;
  matmulDiff?: number;
  convDiff?: number;
  lossFirst?: number;
  lossLast?: number;
  error?: string;
  /** The webgpu page's: the adapter, its subgroups, the kernels' differences from cpu, which kernels ran. */
  adapter?: string;
  subgroups?: { available: boolean; used: boolean; sizes?: [number, number]; reason?: string };
  diffs?: Record<string, number>;
  nanMax?: string[];
  nanMin?: string[];
  nanSum?: string[];
  kernels?: Record<string, { built: number; withSubgroups: number }>;
  timestampQuery?: boolean;
  gpuTimer?: { gpuMs: number; wallMs: number };
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript' };

/** Serves the page and the bundle, isolated (COOP + COEP) or not, and collects the POSTed results. */
function serve(isolated: boolean, results: Result[], onResult: () => void): Promise<Server> {
  const files: Record<string, string> = {
    '/page.html': join(root, 'tests/browser/page.html'),
    '/checks.js': join(root, 'tests/browser/checks.js'),
    '/worker.js': join(root, 'tests/browser/worker.js'),
    '/webgpu.html': join(root, 'tests/browser/webgpu.html'),
    '/webgpu-checks.js': join(root, 'tests/browser/webgpu-checks.js'),
    '/webgrad.browser.js': join(root, 'dist/webgrad.browser.js'),
  };
  const server = createServer((req, res) => {
    const headers: Record<string, string> = isolated ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {};
    if (req.method === 'POST' && req.url === '/result') {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        results.push(JSON.parse(body) as Result);
        res.writeHead(204, headers).end();
        onResult();
      });
      return;
    }
    const file = files[(req.url ?? '').split('?')[0]!];
    if (!file) return void res.writeHead(404, headers).end();
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[file.slice(file.lastIndexOf('.'))]! }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/**
 * Opens a page in headless Chromium and returns its results: page.html's two (main thread,
 * worker), or webgpu.html's one, with Chromium's WebGPU on SwiftShader's Vulkan.
 */
async function runPage(isolated: boolean, page = '/page.html', count = 2): Promise<Result[]> {
  const results: Result[] = [];
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const server = await serve(isolated, results, () => results.length >= count && done());
  const profile = mkdtempSync(join(tmpdir(), 'webgrad-chromium-'));
  let browser: ChildProcess | undefined;
  let log = '';
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${page}`;
    const gpu = page.startsWith('/webgpu.html')
      ? ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan'] // WebGPU on the CPU
      : ['--disable-gpu'];
    browser = spawn(chromium(), [
      '--headless=new', '--no-sandbox', ...gpu, '--disable-dev-shm-usage', '--no-first-run',
      '--no-default-browser-check', `--user-data-dir=${profile}`, url,
    ], { stdio: ['ignore', 'pipe', 'pipe'], detached: true }); // its own process group, so its helpers go with it
    browser.stderr!.on('data', (c) => (log = (log + c).slice(-4000)));
    const exited = new Promise<never>((_, reject) => browser!.once('exit', (code) => reject(new Error(`Chromium exited (${code}) before the page reported:\n${log}`))));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the page reported ${results.length} of ${count} results in 90 s; Chromium said:\n${log}`)), 90_000)));
    try {
      await Promise.race([finished, exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
    return results.sort((a, b) => a.where.localeCompare(b.where));
  } finally {
    if (browser?.pid !== undefined) {
      const gone = browser.exitCode === null && browser.signalCode === null ? new Promise((resolve) => browser!.once('exit', resolve)) : undefined;
      try {
        process.kill(-browser.pid, 'SIGKILL'); // the whole group: the renderers, the GPU and zygote processes
      } catch {
        // already gone
      }
      await gone;
    }
    server.close();
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}

function expectTrained(r: Result): void {
  expect(r.error).toBeUndefined();
  expect(r.matmulDiff).toBeLessThan(1e-3);
  expect(r.convDiff).toBeLessThan(1e-3);
  expect(r.lossLast!).toBeLessThan(r.lossFirst! * 0.7);
}

// Needs a browser: skipped only when the run declares it has none (WEBGRAD_TEST_NO_BROWSER=1, warned above); a missing Chromium otherwise fails the suite.
describe.skipIf(NO_BROWSER)('the wasm backend in headless Chromium', () => {
  beforeAll(() => {
    chromium(); // fails the suite, saying how to install it, where there is none
  });

  describe('a cross-origin-isolated page: the kernels run on Web Workers', () => {
    let results: Result[] = [];
    beforeAll(async () => {
      results = await runPage(true);
    }, 120_000);

    it('on the main thread: two threads (the page polls while its workers run), matmul and conv2d as on cpu, an MLP trains', () => {
      const main = results.find((r) => r.where === 'main')!;
      expect(main).toMatchObject({ crossOriginIsolated: true, sharedMemory: true, threads: 2 });
      expectTrained(main);
    });

    it('in a Web Worker (which starts its own workers and sleeps on them): the same', () => {
      const worker = results.find((r) => r.where === 'worker')!;
      expect(worker).toMatchObject({ crossOriginIsolated: true, sharedMemory: true, threads: 2 });
      expectTrained(worker);
    });
  });

  describe('a page that is not isolated: one thread, the same results', () => {
    let results: Result[] = [];
    beforeAll(async () => {
      results = await runPage(false);
    }, 120_000);

    it('no shared memory, so one thread, on the main thread and in a worker; both train', () => {
      expect(results.map((r) => r.where)).toEqual(['main', 'worker']);
      for (const r of results) {
        expect(r).toMatchObject({ crossOriginIsolated: false, sharedMemory: false, threads: 1 });
        expectTrained(r);
      }
    });
  });
});

// SwiftShader's Vulkan adapter in Debian's Chromium has subgroups (of 4 invocations), so the
// subgroup reducers run there; with subgroups: false, the trees.
// Skipped only when the run declares it has no browser (WEBGRAD_TEST_NO_BROWSER=1, warned above); a missing Chromium otherwise fails the suite.
describe.skipIf(NO_BROWSER)('the webgpu backend in headless Chromium (SwiftShader): workgroup reductions with and without subgroups, the GPU timer', () => {
  const LABELS = ['reduce.wgsl:reduce_workgroup', 'softmax.wgsl:row', 'softmax.wgsl:chunk_stats'];
  const expectMatches = (r: Result) => {
    expect(r.error).toBeUndefined();
    expect(r.adapter).toMatch(/swiftshader/i);
    expect(Object.keys(r.diffs!).length).toBe(37);
    for (const [what, d] of Object.entries(r.diffs!)) expect(d, what).toBeLessThan(5e-5);
    expect(r.nanMax).toEqual(['NaN', '2']);
    expect(r.nanMin).toEqual(['NaN', '2']);
    expect(r.nanSum).toEqual(['NaN', '1006']);
    // The GPU timer: SwiftShader's adapter has timestamp-query; three matmuls took some GPU time, within the wall time around them.
    expect(r.timestampQuery).toBe(true);
    expect(r.gpuTimer!.gpuMs).toBeGreaterThan(0);
    expect(r.gpuTimer!.gpuMs).toBeLessThanOrEqual(r.gpuTimer!.wallMs);
  };

  it('with subgroups (the default where the adapter has them): the device passed the layout check, and the reducers that ran use them', async () => {
    const [r] = await runPage(false, '/webgpu.html?subgroups=1', 1);
    expectMatches(r!);
    expect(r!.subgroups, 'Chromium\'s SwiftShader adapter should offer subgroups').toMatchObject({ available: true, used: true });
    for (const label of LABELS) {
      expect(r!.kernels![label]!.built, label).toBeGreaterThan(0); // reduce_workgroup: one for each of sum, prod, max, min
      expect(r!.kernels![label]!.withSubgroups, label).toBe(r!.kernels![label]!.built);
    }
  }, 120_000);

  it('with subgroups: false, the device starts without them and the same checks pass on the trees', async () => {
    const [r] = await runPage(false, '/webgpu.html?subgroups=0', 1);
    expectMatches(r!);
    expect(r!.subgroups).toMatchObject({ available: true, used: false, reason: 'turned off (init option subgroups: false)' });
    for (const label of LABELS) {
      expect(r!.kernels![label]!.built, label).toBeGreaterThan(0);
      expect(r!.kernels![label]!.withSubgroups, label).toBe(0);
    }
  }, 120_000);
});
