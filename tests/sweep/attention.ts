import * as wg from '../../src/index.js';
import type { DeviceName } from '../../src/index.js';
import type { BadCall } from './types.js';

const { F, nn } = wg;
const r = (shape: number[], device: DeviceName) => wg.randn(shape, { device });
const sdpa = (device: DeviceName, o: Record<string, unknown> = {}, q = [2, 3, 4], k = [2, 5, 4], v = [2, 5, 3]) =>
  F.scaledDotProductAttention(r(q, device), r(k, device), r(v, device), o as never);
const mha = (device: DeviceName, o: Record<string, unknown> = {}) => new nn.MultiheadAttention(4, 2, { device, ...o });

const all: BadCall[] = [
  { what: 'key of another feature size', kind: 'shape', op: 'scaledDotProductAttention', expect: ["key's last dim must equal query's (E = 4)"], call: (d) => sdpa(d, {}, [2, 3, 4], [2, 5, 3], [2, 5, 3]) },
  { what: 'value with fewer rows than key', kind: 'shape', op: 'scaledDotProductAttention', expect: ['value must have as many rows as key (S = 5)'], call: (d) => sdpa(d, {}, [2, 3, 4], [2, 5, 4], [2, 4, 3]) },
  { what: 'batch dims that do not broadcast', kind: 'shape', op: 'scaledDotProductAttention', expect: ['do not broadcast'], call: (d) => sdpa(d, {}, [2, 3, 4], [3, 5, 4], [3, 5, 3]) },
  { what: 'a 1-D query', kind: 'shape', op: 'scaledDotProductAttention', expect: ['query must have at least 2 dims', '[4]'], call: (d) => sdpa(d, {}, [4]) },
  { what: 'an int32 query', kind: 'dtype', op: 'scaledDotProductAttention', expect: ['expected floating-point tensors', 'int32'], call: (d) => F.scaledDotProductAttention(wg.zeros([3, 4], { device: d, dtype: 'int32' }), r([5, 4], d), r([5, 4], d)) },
  { what: 'attnMask together with isCausal', kind: 'state', op: 'scaledDotProductAttention', expect: ['attnMask and isCausal = true cannot both be given'], call: (d) => sdpa(d, { attnMask: wg.ones([3, 5], { device: d, dtype: 'bool' }), isCausal: true }) },
  { what: 'an attnMask that does not broadcast to [..., L, S]', kind: 'shape', op: 'scaledDotProductAttention', expect: ['attnMask of shape [3, 4]', '[2, 3, 5]'], call: (d) => sdpa(d, { attnMask: wg.ones([3, 4], { device: d, dtype: 'bool' }) }) },
  { what: 'an int32 attnMask', kind: 'dtype', op: 'scaledDotProductAttention', expect: ['attnMask must be bool', 'got int32'], call: (d) => sdpa(d, { attnMask: wg.ones([3, 5], { device: d, dtype: 'int32' }) }) },
  { what: 'dropoutP above 1', kind: 'out of range', op: 'scaledDotProductAttention', expect: ['dropoutP', '1.5'], call: (d) => sdpa(d, { dropoutP: 1.5 }) },
  { what: 'a misspelt option', kind: 'unknown option', op: 'scaledDotProductAttention', expect: ["unknown option 'isCasual'", "did you mean 'isCausal'"], call: (d) => sdpa(d, { isCasual: true }) },
  { what: 'enableGqa (not supported)', kind: 'unknown option', op: 'scaledDotProductAttention', expect: ["unknown option 'enableGqa'"], call: (d) => sdpa(d, { enableGqa: true }) },
  { what: 'embedDim not divisible by numHeads', kind: 'out of range', op: 'MultiheadAttention', expect: ['embedDim (6) must be divisible by numHeads (4)'], call: (d) => new nn.MultiheadAttention(6, 4, { device: d }) },
  { what: 'addBiasKv = true', kind: 'unknown option', op: 'MultiheadAttention', expect: ['addBiasKv = true is not supported'], call: (d) => mha(d, { addBiasKv: true }) },
  { what: 'addZeroAttn = true', kind: 'unknown option', op: 'MultiheadAttention', expect: ['addZeroAttn = true is not supported'], call: (d) => mha(d, { addZeroAttn: true }) },
  { what: 'an unknown constructor option', kind: 'unknown option', op: 'MultiheadAttention', expect: ["unknown option 'batch_first'"], call: (d) => mha(d, { batch_first: true }) },
  { what: 'a negative dropout', kind: 'out of range', op: 'MultiheadAttention', expect: ['dropout', '-0.1'], call: (d) => mha(d, { dropout: -0.1 }) },
  { what: 'a query of the wrong embedDim', kind: 'shape', op: 'MultiheadAttention.forward', expect: ['with 4 features', '[3, 2, 5]'], call: (d) => { const x = r([3, 2, 5], d); return mha(d).forward(x, x, x); } },
  { what: 'an attnMask of the wrong shape', kind: 'shape', op: 'MultiheadAttention.forward', expect: ['attnMask must be [L, S] = [3, 3]', 'got [3, 4]'], call: (d) => { const x = r([3, 2, 4], d); return mha(d).forward(x, x, x, { attnMask: wg.zeros([3, 4], { device: d, dtype: 'bool' }) }); } },
  { what: 'a keyPaddingMask of the wrong shape', kind: 'shape', op: 'MultiheadAttention.forward', expect: ['keyPaddingMask must be [N, S] = [2, 3]', 'got [3, 2]'], call: (d) => { const x = r([3, 2, 4], d); return mha(d).forward(x, x, x, { keyPaddingMask: wg.zeros([3, 2], { device: d, dtype: 'bool' }) }); } },
  { what: 'an int32 keyPaddingMask', kind: 'dtype', op: 'MultiheadAttention.forward', expect: ['keyPaddingMask must be bool', 'got int32'], call: (d) => { const x = r([3, 2, 4], d); return mha(d).forward(x, x, x, { keyPaddingMask: wg.zeros([2, 3], { device: d, dtype: 'int32' }) }); } },
  { what: 'an unknown forward option', kind: 'unknown option', op: 'MultiheadAttention.forward', expect: ["unknown option 'needWeight'", "did you mean 'needWeights'"], call: (d) => { const x = r([3, 2, 4], d); return mha(d).forward(x, x, x, { needWeight: false } as never); } },
  { what: 'key and query with different batch sizes', kind: 'shape', op: 'MultiheadAttention.forward', expect: ['must agree on the batch size'], call: (d) => mha(d).forward(r([3, 2, 4], d), r([5, 3, 4], d), r([5, 3, 4], d)) },
  { what: 'dModel not divisible by nhead', kind: 'out of range', op: 'TransformerEncoderLayer', expect: ['dModel (10) must be divisible by nhead (4)'], call: (d) => new nn.TransformerEncoderLayer(10, 4, { device: d }) },
  { what: 'an unknown activation', kind: 'out of range', op: 'TransformerEncoderLayer', expect: ['activation', 'tanh'], call: (d) => new nn.TransformerEncoderLayer(4, 2, { activation: 'tanh' as never, device: d }) },
  { what: 'a src of the wrong dModel', kind: 'shape', op: 'TransformerEncoderLayer.forward', expect: ['dModel = 4', '[3, 2, 6]'], call: (d) => new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, device: d }).forward(r([3, 2, 6], d)) },
  { what: 'a misspelt forward option', kind: 'unknown option', op: 'TransformerEncoderLayer.forward', expect: ["unknown option 'srcKeyPadingMask'"], call: (d) => new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, device: d }).forward(r([3, 2, 4], d), { srcKeyPadingMask: null } as never) },
  { what: 'numLayers 0', kind: 'out of range', op: 'TransformerEncoder', expect: ['numLayers', '0'], call: (d) => new nn.TransformerEncoder(new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, device: d }), 0) },
  { what: 'a layer that is not a TransformerEncoderLayer', kind: 'wrong type', op: 'TransformerEncoder', expect: ['encoderLayer must be a TransformerEncoderLayer'], call: (d) => new nn.TransformerEncoder(new nn.Linear(4, 4, { device: d }) as never, 2) },
  { what: 'enableNestedTensor = true', kind: 'unknown option', op: 'TransformerEncoder', expect: ['enableNestedTensor = true is not supported'], call: (d) => new nn.TransformerEncoder(new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, device: d }), 1, { enableNestedTensor: true }) },
  { what: 'apply with a non-function', kind: 'wrong type', op: 'Linear.apply', expect: ['expected a function'], call: (d) => new nn.Linear(2, 2, { device: d }).apply(null as never) },
];

// float64 exists on cpu only: a webgpu module's double() is refused (needs a webgpu device, so it runs once).
const webgpuOnly: BadCall[] = [
  { what: 'double() of a webgpu module', kind: 'device', op: 'Linear.double', expect: ['float64 exists on the cpu backend only', "'weight' is on webgpu"], cpuOnly: true, call: () => new nn.Linear(2, 2, { device: 'webgpu' }).double() },
];

export const cases: BadCall[] = process.env.WEBGRAD_TEST_NO_WEBGPU === '1' ? all : [...all, ...webgpuOnly];
