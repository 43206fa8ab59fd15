/// <reference types="vite/client" />
/** Runs the bad-call sweep (tests/sweep/*.ts): every case must be refused with a message naming the op. */
import type { DeviceName } from '../src/index.js';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEVICES, NO_WEBGPU, useDevices } from './helpers.js';
import type { BadCall } from './sweep/types.js';

useDevices();

const files = import.meta.glob<{ cases: BadCall[] }>('./sweep/*.ts', { eager: true });
const all = Object.entries(files).flatMap(([file, m]) => (m.cases ?? []).map((c) => ({ file: file.replace('./sweep/', ''), ...c })));

async function messageOf(c: BadCall, device: DeviceName): Promise<string | undefined> {
  try {
    await c.call(device);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  return undefined;
}

describe('the bad-call sweep', () => {
  it('covers at least 200 bad calls', () => {
    expect(all.length).toBeGreaterThanOrEqual(200);
  });
  // Two cross-device cases exist only where webgpu does: the documented counts are those of a full run.
  it.skipIf(NO_WEBGPU)('docs/robustness.md counts them by class as they are', () => {
    const counts = new Map<string, number>();
    for (const c of all) counts.set(c.kind, (counts.get(c.kind) ?? 0) + 1);
    const table = [...counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `| ${k} | ${n} |`);
    table.push(`| all | ${all.length} |`);
    const doc = readFileSync(new URL('../docs/robustness.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## Bad calls'));
    const rows = section.split('\n').filter((l) => /^\| [a-z ]+ \| \d+ \|$/.test(l));
    expect(rows, `docs/robustness.md's "## Bad calls" table should read:\n${table.join('\n')}`).toEqual(table);
  });
  for (const device of DEVICES) {
    describe(device, () => {
      for (const c of all) {
        if (c.cpuOnly && device !== 'cpu') continue;
        it(`${c.file}: ${c.what} is refused by ${c.op}`, async () => {
          const msg = await messageOf(c, device);
          expect(msg, 'the call was accepted').toBeDefined();
          expect(msg).toContain(c.op);
          for (const f of c.expect) {
            if (typeof f === 'string') expect(msg).toContain(f);
            else expect(msg).toMatch(f);
          }
        });
      }
    });
  }
});
