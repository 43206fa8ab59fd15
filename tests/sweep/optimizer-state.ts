import * as wg from '../../src/index.js';
import type { BadCall } from './types.js';

export const cases: BadCall[] = [
  {
    what: 'stepping with state disposed by hand',
    kind: 'state',
    op: 'Adam.step',
    expect: ["state 'expAvg'", 'was disposed'],
    call: (device) => {
      const p = wg.randn([3], { device, requiresGrad: true });
      const a = new wg.optim.Adam([p], { lr: 0.1 });
      p.grad = wg.ones([3], { device });
      a.step();
      (a as unknown as { state: Map<unknown, { tensors: Record<string, wg.Tensor> }> }).state.get(p)!.tensors.expAvg!.dispose();
      a.step();
    },
  },
];
