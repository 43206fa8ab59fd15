#!/usr/bin/env node
// npm run build: bundles src/index.ts for Node and for browsers (esbuild), then emits the
// type declarations (tsc -p tsconfig.build.json).
//
//   dist/webgrad.node.js     ESM for Node >= 20; loads Dawn's addon (npm `webgpu`) on demand
//   dist/webgrad.browser.js  ESM for browsers (navigator.gpu); no Node built-ins
//   dist/types/              .d.ts for the public API
//
// Both bundles hold the WGSL sources as text (loader: text), the wasm backend's compiled
// kernels as bytes (loader: binary; scripts/build-wasm.mjs makes them) and wgsl_reflect (imported by its
// ESM path, since its package `main` is CommonJS). `webgpu` stays external: it is a native
// addon, imported dynamically only in Node.
//
//   node scripts/build.mjs [--no-types]
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const withTypes = !process.argv.includes('--no-types');

const common = {
  entryPoints: [join(root, 'src/index.ts')],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  sourcemap: true,
  loader: { '.wgsl': 'text', '.wasm': 'binary' },
  external: ['webgpu'],
  legalComments: 'none',
  logLevel: 'warning',
  absWorkingDir: root,
};

const t0 = performance.now();
rmSync(join(dist, 'types'), { recursive: true, force: true });
await Promise.all([
  build({ ...common, platform: 'node', outfile: join(dist, 'webgrad.node.js') }),
  build({
    ...common,
    platform: 'browser',
    outfile: join(dist, 'webgrad.browser.js'),
    // Anything that reaches for a Node built-in in the browser bundle is a bug: fail the build.
    plugins: [
      {
        name: 'no-node-builtins',
        setup(b) {
          b.onResolve({ filter: /^node:/ }, (args) => ({
            errors: [{ text: `Node built-in '${args.path}' imported by ${relative(root, args.importer)} in the browser bundle` }],
          }));
        },
      },
    ],
  }),
]);

if (withTypes) {
  const require = createRequire(import.meta.url);
  const tsc = require.resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
}

const kib = (f) => `${(statSync(join(dist, f)).size / 1024).toFixed(1)} KiB`;
const files = ['webgrad.node.js', 'webgrad.browser.js'].map((f) => `dist/${f} (${kib(f)})`);
if (withTypes && existsSync(join(dist, 'types/index.d.ts'))) files.push('dist/types/');
console.log(`build: ${files.join(', ')} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
