import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import { DEVICES, useDevices } from './helpers.js';

const { nn } = wg;
useDevices();

describe.each(DEVICES)('smoke on %s', (device) => {
  it('runs', async () => {
    const m = new nn.LSTM(3, 4, { numLayers: 2, bidirectional: true, device });
    const x = wg.randn([5, 2, 3], { device });
    const [y, [h, c]] = m.forward(x, null, { lengths: [5, 3] });
    expect(y.shape).toEqual([5, 2, 8]);
    expect(h.shape).toEqual([4, 2, 4]);
    y.sum().backward();
    console.log(Array.from(await y.data()).slice(0, 8), Array.from(await m.get('weight_hh_l0').grad!.data()).slice(0, 4));
  });
});
