// Runs once before all test files: builds dist/ (the bundles the examples import as 'webgrad'),
// so that test files running in parallel never build it at the same time.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export default function setup(): void {
  const root = join(import.meta.dirname, '..');
  execFileSync(process.execPath, ['scripts/build.mjs', '--no-types'], { cwd: root, stdio: 'inherit', timeout: 120_000 });
}
