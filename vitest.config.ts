import { readFileSync } from 'node:fs';
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

export default defineConfig({
  plugins: [wgslAsText, wasmAsBytes],
  test: {
    include: ['tests/**/*.test.ts'],
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
  },
});
