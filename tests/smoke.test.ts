import { it, expect } from 'vitest';
import * as wg from '../src/index.js';

it('smoke', async () => {
  await wg.init({ backend: 'webgpu' });
  console.log(wg.backendInfo().webgpu?.description);
  for (const device of ['cpu', 'webgpu'] as const) {
    const a = wg.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float32', device });
    const b = wg.arange(3, undefined, 1, { device }).float();
    const c = a.add(b).mul(2).exp().log();
    console.log(device, await c.toArray(), await a.sum(1).toArray(), await a.matmul(a.T).toArray());
    console.log(await a.argmax(1).toArray(), await a.max().item(), await a.T.contiguous().toArray());
    console.log(await wg.randn([5], { device }).toArray());
    console.log((await a.gt(2).toArray()), await wg.cat([a, a], 1).toArray());
    console.log(await a.var(1).toArray(), await a.logsumexp(1).toArray());
    console.log(await wg.eye(3, 3, { device }).format());
  }
  expect(1).toBe(1);
});
