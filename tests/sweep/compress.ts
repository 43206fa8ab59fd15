/** Refused calls of the int8/uint8 dtypes, webgrad.compress (pruning, quantization) and the PNG helpers. */
import * as wg from '../../src/index.js';
import type { BadCall } from './types.js';

const lin = (device: wg.DeviceName) => new wg.nn.Linear(3, 2, { device });

export const cases: BadCall[] = [
  { what: 'int8 tensor from a value past 127', kind: 'out of range', op: 'tensor', cpuOnly: true, expect: ['the value 200', 'cannot be converted to int8 without overflow', '[-128, 127]'], call: () => wg.tensor([200], 'int8') },
  { what: 'uint8 tensor from a negative value', kind: 'out of range', op: 'tensor', cpuOnly: true, expect: ['the value -1', 'uint8 holds integers in [0, 255]'], call: () => wg.tensor([-1], 'uint8') },
  { what: 'full of int8 with 1000', kind: 'out of range', op: 'full', cpuOnly: true, expect: ['the value 1000', 'int8'], call: () => wg.full([2], 1000, { dtype: 'int8' }) },
  { what: 'fill_ of uint8 with 256', kind: 'out of range', op: 'fill_', cpuOnly: true, expect: ['256', 'uint8 holds integers in [0, 255]'], call: () => wg.zeros([2], { dtype: 'uint8' }).fill_(256) },
  { what: 'prune a parameter that does not exist', kind: 'state', op: 'prune.l1Unstructured', expect: ["has no parameter 'w'", 'weight, bias'], call: (device) => wg.compress.prune.l1Unstructured(lin(device), 'w', { amount: 0.5 }) },
  { what: 'prune with amount 2', kind: 'out of range', op: 'prune.l1Unstructured', expect: ['amount'], call: (device) => wg.compress.prune.l1Unstructured(lin(device), 'weight', { amount: 2 }) },
  { what: 'prune with neither amount nor count', kind: 'out of range', op: 'prune.l1Unstructured', expect: ['give exactly one of amount', 'neither'], call: (device) => wg.compress.prune.l1Unstructured(lin(device), 'weight', {}) },
  { what: 'prune with a count past the entries', kind: 'out of range', op: 'prune.l1Unstructured', expect: ['count 7 is more than the 6 entries'], call: (device) => wg.compress.prune.l1Unstructured(lin(device), 'weight', { count: 7 }) },
  { what: 'prune with an unknown option', kind: 'unknown option', op: 'prune.l1Unstructured', expect: ['amout'], call: (device) => wg.compress.prune.l1Unstructured(lin(device), 'weight', { amout: 0.5 } as never) },
  { what: 'globalUnstructured with no parameters', kind: 'wrong type', op: 'prune.globalUnstructured', expect: ['non-empty array of [module, name] pairs'], call: () => wg.compress.prune.globalUnstructured([], { amount: 0.5 }) },
  { what: 'globalUnstructured naming one weight twice', kind: 'state', op: 'prune.globalUnstructured', expect: ["names 'weight' of the same module twice"], call: (device) => { const l = lin(device); return wg.compress.prune.globalUnstructured([[l, 'weight'], [l, 'weight']], { amount: 0.5 }); } },
  { what: 'remove of an unpruned parameter', kind: 'state', op: 'prune.remove', expect: ["'weight' of Linear is not pruned"], call: (device) => wg.compress.prune.remove(lin(device), 'weight') },
  { what: 'quantize an int32 tensor', kind: 'dtype', op: 'quantizePerChannel', expect: ['expected a float32 or float64 tensor, got int32'], call: (device) => wg.compress.quantizePerChannel(wg.zeros([2, 2], { dtype: 'int32', device })) },
  { what: 'quantize along an axis past the rank', kind: 'out of range', op: 'quantizePerChannel', expect: ['axis'], call: (device) => wg.compress.quantizePerChannel(wg.zeros([2, 2], { device }), { axis: 3 }) },
  { what: 'quantize to int4', kind: 'out of range', op: 'quantizePerChannel', expect: ["dtype must be one of 'int8', 'uint8'"], call: (device) => wg.compress.quantizePerChannel(wg.zeros([2, 2], { device }), { dtype: 'int4' as never }) },
  { what: 'quantize a 0-d tensor per channel', kind: 'shape', op: 'quantizePerChannel', expect: ['a 0-d tensor has no channels'], call: (device) => wg.compress.quantizePerChannel(wg.tensor(1, { device })) },
  { what: 'quantize a weight holding infinity', kind: 'out of range', op: 'quantizePerTensor', expect: ['holds Infinity at element 0'], call: (device) => wg.compress.quantizePerTensor(wg.tensor([Infinity], { device })) },
  { what: 'dequantize float values', kind: 'dtype', op: 'dequantize', cpuOnly: true, expect: ['values must be int8 or uint8, got float32'], call: () => wg.compress.dequantize({ values: wg.zeros([2]), scales: wg.ones([2]), zeroPoints: wg.zeros([2], { dtype: 'int32' }), axis: 0 }) },
  { what: 'dequantize with too few scales', kind: 'shape', op: 'dequantize', cpuOnly: true, expect: ['expected 3 scales and zero points'], call: () => wg.compress.dequantize({ values: wg.zeros([3, 2], { dtype: 'int8' }), scales: wg.ones([2]), zeroPoints: wg.zeros([2], { dtype: 'int32' }), axis: 0 }) },
  { what: 'load a plain safetensors file as quantized', kind: 'file', op: 'dequantizeStateDict', cpuOnly: true, expect: ["no 'webgrad.quantization' entry"], call: async () => wg.compress.parseQuantized(await wg.io.serializeSafetensors({ a: wg.zeros([1]) })) },
  { what: 'encodePNG of a [2, H, W] image', kind: 'shape', op: 'encodePNG', expect: ['[H, W], [1, H, W] or [3, H, W]', '[2, 2, 2]'], call: (device) => wg.io.encodePNG(wg.zeros([2, 2, 2], { device })) },
  { what: 'encodePNG of an int32 image', kind: 'dtype', op: 'encodePNG', expect: ['got int32'], call: (device) => wg.io.encodePNG(wg.zeros([2, 2], { dtype: 'int32', device })) },
  { what: 'encodePNG of an empty image', kind: 'shape', op: 'encodePNG', expect: ['at least one pixel'], call: (device) => wg.io.encodePNG(wg.zeros([0, 2], { device })) },
  { what: 'encodePNG with an unknown option', kind: 'unknown option', op: 'encodePNG', expect: ['compres'], call: (device) => wg.io.encodePNG(wg.zeros([2, 2], { device }), { compres: false } as never) },
  { what: 'imageGrid with padding -1', kind: 'out of range', op: 'imageGrid', expect: ['padding'], call: (device) => wg.io.imageGrid(wg.zeros([2, 1, 2, 2], { device }), { padding: -1 }) },
  { what: 'imageGrid with a reversed valueRange', kind: 'out of range', op: 'imageGrid', expect: ['valueRange must be [low, high] with low < high'], call: (device) => wg.io.imageGrid(wg.zeros([2, 1, 2, 2], { device }), { normalize: true, valueRange: [1, 0] }) },
  { what: 'imageGrid of an empty list', kind: 'wrong type', op: 'imageGrid', expect: ['non-empty array of [C, H, W] tensors'], call: () => wg.io.imageGrid([]) },
  { what: 'savePNG to an empty path', kind: 'file', op: 'savePNG', expect: ['path must be a non-empty string'], call: (device) => wg.io.savePNG('', wg.zeros([2, 2], { device })) },
];
