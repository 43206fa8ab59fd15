import * as wg from '../../src/index.js';
import type { BadCall } from './types.js';

const lin = () => new wg.nn.Linear(2, 3);

export const cases: BadCall[] = [
  { what: 'loadStateDict(null)', kind: 'wrong type', op: 'Linear.loadStateDict', expect: ['expected a record or Map of tensors', 'got null'], call: () => lin().loadStateDict(null as never), cpuOnly: true },
  { what: 'loadStateDict of a tensor', kind: 'wrong type', op: 'Linear.loadStateDict', expect: ['got a Tensor'], call: () => lin().loadStateDict(wg.ones([2]) as never), cpuOnly: true },
  { what: 'loadStateDict with strict "yes"', kind: 'wrong type', op: 'Linear.loadStateDict', expect: ["strict must be true or false, got 'yes'"], call: () => lin().loadStateDict(lin().stateDict(), 'yes' as never), cpuOnly: true },
  { what: 'memory with a misspelt option', kind: 'unknown option', op: 'memory', expect: ["unknown option 'detailled'", "did you mean 'detailed'"], call: () => wg.memory({ detailled: true } as never), cpuOnly: true },
  { what: 'memory with trim 1', kind: 'wrong type', op: 'memory', expect: ['trim must be true or false, got 1'], call: () => wg.memory({ trim: 1 } as never), cpuOnly: true },
  { what: 'memory with a non-object', kind: 'wrong type', op: 'memory', expect: ['options must be a plain object'], call: () => wg.memory(true as never), cpuOnly: true },
  { what: 'configureMemory with a negative budget', kind: 'out of range', op: 'configureMemory', expect: ['collectEveryBytes must be a finite number > 0, got -5'], call: () => wg.configureMemory({ collectEveryBytes: -5 }), cpuOnly: true },
  { what: 'configureMemory with NaN fraction', kind: 'out of range', op: 'configureMemory', expect: ['collectLiveFraction must be a finite number >= 0, got NaN'], call: () => wg.configureMemory({ collectLiveFraction: NaN }), cpuOnly: true },
  { what: 'configureMemory with ballast 2', kind: 'out of range', op: 'configureMemory', expect: ['ballastFraction must be a finite number >= 0 and <= 1, got 2'], call: () => wg.configureMemory({ ballastFraction: 2 }), cpuOnly: true },
  { what: 'configureMemory with a snake_case key', kind: 'unknown option', op: 'configureMemory', expect: ["unknown option 'call_sites'", "did you mean 'callSites'"], call: () => wg.configureMemory({ call_sites: true } as never), cpuOnly: true },
  { what: 'configureMemory with forceCollection "no"', kind: 'wrong type', op: 'configureMemory', expect: ["forceCollection must be true or false, got 'no'"], call: () => wg.configureMemory({ forceCollection: 'no' as never }), cpuOnly: true },
  { what: 'tidy around an async function', kind: 'wrong type', op: 'tidy', expect: ['returned a Promise', 'synchronous'], call: () => wg.tidy((async () => wg.ones([1])) as never) },
  {
    what: 'a tensor used after tidy freed it',
    kind: 'state',
    op: 'exp',
    expect: ['was used after dispose()', 'tidy scope', 'keep() it'],
    call: (device) => {
      let inner: wg.Tensor | undefined;
      wg.tidy(() => {
        inner = wg.ones([4], { device });
      });
      return inner!.exp();
    },
  },
];
