import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// WGSL sources are imported as text, the same way esbuild bundles them (loader: text).
const wgslAsText = {
  name: 'wgsl-as-text',
  transform(_code: string, id: string) {
    if (!id.endsWith('.wgsl')) return null;
    return { code: `export default ${JSON.stringify(readFileSync(id, 'utf8'))};`, map: null };
  },
};

// The wasm backend's compiled kernels are imported as bytes, as esbuild's loader: binary does.
const wasmAsBytes = {
  name: 'wasm-as-bytes',
  enforce: 'pre' as const,
  load(id: string) {
    if (!id.endsWith('.wasm')) return null;
    const b64 = readFileSync(id).toString('base64');
    return { code: `export default Uint8Array.from(atob(${JSON.stringify(b64)}), (c) => c.charCodeAt(0));`, map: null };
  },
};

// The suites the lavapipe project runs (see lavapipe() below).
const LAVAPIPE_FILES = ['reduce', 'softmax', 'losses', 'normalization', 'instance-norm', 'elementwise', 'ieee', 'optim', 'adapter-features', 'float16-kernels'];

export default defineConfig({
  plugins: [wgslAsText, wasmAsBytes],
  test: {
    // include: each project's own (an extending project would add to the root's list).
    // Dawn's Node addon is safest in child processes; --expose-gc lets the memory tests force collection.
    pool: 'forks',
    execArgv: ['--expose-gc'],
    maxWorkers: 2,
    // Ordinary tests take under 7 s even at load average ~12 on the 2-core machine, so 60 s is
    // ample; the few heavy ones (grid and loop limits, README training) set their own timeout,
    // 4x their measured time. Hooks: webgpu init and disposal, a few seconds at most.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    setupFiles: ['tests/setup.ts'],
    globalSetup: ['tests/global-setup.ts'],
    projects: [
      // Every test, on the default adapter (llvmpipe through OpenGL ES where there is no GPU).
      { extends: true, test: { name: 'default', include: ['tests/**/*.test.ts'] } },
      ...lavapipe(),
    ],
  },
});

/**
 * The `lavapipe` project: the kernel suites whose workgroup reductions, NaN handling and
 * adapter features depend on the device, run again on a second CPU adapter, Mesa 25's Vulkan
 * driver through Dawn's Vulkan backend, which has subgroups (of 8), shader-f16 and
 * timestamp-query where the OpenGL ES adapter has none (scripts/setup-lavapipe.sh unpacks it
 * into .cache/lavapipe; docs/ARCHITECTURE.md, "Adapters"). The matmul and conv suites are left
 * to the default project: lavapipe builds their many pipelines 5-10x slower.
 * Without the driver the project fails (tests/setup.ts says how to install it), unless the run
 * declares WEBGRAD_TEST_NO_LAVAPIPE=1 (or WEBGRAD_TEST_NO_WEBGPU=1), which leaves it out and says so.
 */
function lavapipe() {
  if (process.env.WEBGRAD_TEST_NO_LAVAPIPE === '1' || process.env.WEBGRAD_TEST_NO_WEBGPU === '1') {
    console.warn('WEBGRAD_TEST_NO_LAVAPIPE=1 (or NO_WEBGPU): the lavapipe project is not run');
    return [];
  }
  const icd = join(import.meta.dirname, '.cache', 'lavapipe', 'lvp_icd.json');
  return [{
    extends: true as const,
    test: {
      name: 'lavapipe',
      include: LAVAPIPE_FILES.map((f) => `tests/${f}.test.ts`),
      env: { WEBGRAD_DAWN_BACKEND: 'vulkan', VK_ICD_FILENAMES: icd, WEBGRAD_TEST_ADAPTER: 'lavapipe', WEBGRAD_TEST_LAVAPIPE_ICD: existsSync(icd) ? icd : '' },
    },
  }];
}
