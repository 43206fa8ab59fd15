/// <reference types="vite/client" />
/** Runs the bad-call sweep (tests/sweep/*.ts): every case must be refused with a message naming the op. */
import { describe, expect, it } from 'vitest';
import { DEVICES, useDevices } from './helpers.js';
import type { BadCall } from './sweep/types.js';

useDevices();

const files = import.meta.glob<{ cases: BadCall[] }>('./sweep/*.ts', { eager: true });
const all = Object.entries(files).flatMap(([file, m]) => (m.cases ?? []).map((c) => ({ file: file.replace('./sweep/', ''), ...c })));

async function messageOf(c: BadCall, device: 'cpu' | 'webgpu'): Promise<string | undefined> {
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
