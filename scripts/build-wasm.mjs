#!/usr/bin/env node
// Compiles the wasm backend's C kernels (src/kernels/wasm/c/*.c) with clang (Debian: clang-14,
// lld-14), 128-bit SIMD, no libc, memory imported from JS, twice:
//   src/kernels/wasm/kernels.wasm         shared memory and atomics (worker threads)
//   src/kernels/wasm/kernels-single.wasm  a plain memory (browser pages without cross-origin isolation)
// The .wasm files are committed, so users and bundles need no compiler; tests/wasm.test.ts
// rebuilds them and checks the committed bytes match.
//
//   node scripts/build-wasm.mjs [--out DIR]
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'src/kernels/wasm/c');
const at = process.argv.indexOf('--out');
const out = at >= 0 ? process.argv[at + 1] : join(root, 'src/kernels/wasm');
if (at >= 0 && !out) throw new Error('build-wasm: --out needs a folder');
for (const a of process.argv.slice(2)) if (a !== '--out' && a !== out) throw new Error(`build-wasm: unknown argument '${a}' (expected --out DIR)`);

/** The first clang that can target wasm32 (clang-14 is Debian bookworm's). */
function findClang() {
  for (const c of ['clang-14', 'clang']) {
    try {
      execFileSync(c, ['--version'], { stdio: 'ignore' });
      return c;
    } catch {}
  }
  throw new Error('build-wasm: no clang found; install clang-14 and lld-14 (Debian: apt-get install clang-14 lld-14)');
}

const sources = readdirSync(dir).filter((f) => f.endsWith('.c')).sort().map((f) => join(dir, f));
const flags = [
  '--target=wasm32', '-O3', '-msimd128', '-nostdlib', '-ffreestanding',
  '-fno-builtin', '-Wall', '-Werror', '-ffp-contract=off',
  // Paths in the binary are relative, so the bytes do not depend on where the clone lives.
  `-ffile-prefix-map=${root}=.`,
  '-Wl,--no-entry', '-Wl,--export-dynamic', '-Wl,--import-memory',
  '-Wl,--max-memory=4294967296', '-Wl,--export=__heap_base', '-Wl,--strip-all', '-Wl,-z,stack-size=65536',
];
const clang = findClang();
const builds = [
  ['kernels.wasm', ['-matomics', '-mbulk-memory', '-Wl,--shared-memory']],
  ['kernels-single.wasm', []],
];
for (const [file, extra] of builds) {
  execFileSync(clang, [...flags, ...extra, ...sources, '-o', join(out, file)], { stdio: 'inherit', cwd: root });
}
console.log(`build-wasm: ${sources.length} sources -> ${builds.map(([f]) => join(out, f)).join(', ')}`);
