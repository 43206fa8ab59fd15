/** Refused calls of wg.io: bad options, bad paths, bad arguments, and hostile bytes in memory. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as wg from '../../src/index.js';
import type { BadCall } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'webgrad-sweep-io-'));
const good = join(dir, 'good.safetensors');
writeFileSync(good, new Uint8Array([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32])); // '{}' padded: a valid empty file

/** Header text and data as safetensors bytes. */
function bytes(header: string, data: number[] = []): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}
const t = (device: wg.DeviceName) => wg.tensor(new Float32Array([1, 2]), { device });

export const cases: BadCall[] = [
  // loading: options and paths
  { what: 'a misspelt load option', kind: 'unknown option', op: 'loadSafetensors', expect: ["unknown option 'devise'", "did you mean 'device'"], call: (device) => wg.io.loadSafetensors(good, { devise: device } as never) },
  { what: 'load options that are a string', kind: 'wrong type', op: 'loadSafetensors', expect: ['options must be a plain object', "got 'cpu'"], call: () => wg.io.loadSafetensors(good, 'cpu' as never) },
  { what: 'an unknown float64 conversion', kind: 'out of range', op: 'loadSafetensors', expect: ["float64 must be one of 'keep', 'float32', got 'half'"], call: (device) => wg.io.loadSafetensors(good, { device, float64: 'half' as never }) },
  { what: 'an unknown device', kind: 'device', op: 'loadSafetensors', expect: ["device must be one of 'cpu', 'webgpu', 'wasm', got 'gpu'"], call: () => wg.io.loadSafetensors(good, { device: 'gpu' as never }) },
  { what: 'an empty path', kind: 'wrong type', op: 'loadSafetensors', expect: ["path must be a non-empty string, got ''"], call: (device) => wg.io.loadSafetensors('', { device }) },
  { what: 'a number as the path', kind: 'wrong type', op: 'loadSafetensors', expect: ['path must be a non-empty string, got 42'], call: (device) => wg.io.loadSafetensors(42 as never, { device }) },
  { what: 'a file that does not exist', kind: 'file', op: 'loadSafetensors', expect: ['cannot read', 'nope.safetensors', 'ENOENT'], call: (device) => wg.io.loadSafetensors(join(dir, 'nope.safetensors'), { device }) },
  { what: 'a directory as the file', kind: 'file', op: 'loadSafetensors', expect: [`cannot read '${dir}'`, 'EISDIR'], call: (device) => wg.io.loadSafetensors(dir, { device }) },
  { what: 'a misspelt option of loadSafetensorsWithMetadata', kind: 'unknown option', op: 'loadSafetensorsWithMetadata', expect: ["unknown option 'float_64'", "did you mean 'float64'"], call: (device) => wg.io.loadSafetensorsWithMetadata(good, { device, float_64: 'float32' } as never) },
  // parsing bytes in memory
  { what: 'an ArrayBuffer instead of a Uint8Array', kind: 'wrong type', op: 'parseSafetensors', expect: ['bytes must be a Uint8Array, got a ArrayBuffer'], call: (device) => wg.io.parseSafetensors(new ArrayBuffer(16) as never, { device }) },
  { what: 'a misspelt parse option', kind: 'unknown option', op: 'parseSafetensors', expect: ["unknown option 'nam'", "did you mean 'name'"], call: (device) => wg.io.parseSafetensors(new Uint8Array(16), { device, nam: 'x' } as never) },
  { what: 'a number as the name', kind: 'wrong type', op: 'parseSafetensors', expect: ['name must be a string, got 5'], call: (device) => wg.io.parseSafetensors(new Uint8Array(16), { device, name: 5 as never }) },
  { what: 'bytes shorter than the header length', kind: 'file', op: 'parseSafetensors', expect: ['it is 3 bytes, shorter than the 8-byte header length'], call: (device) => wg.io.parseSafetensors(new Uint8Array(3), { device }) },
  { what: 'a header length over 100 MB', kind: 'file', op: 'parseSafetensors', expect: ['over the 100000000-byte limit'], call: (device) => wg.io.parseSafetensors(new Uint8Array([0, 0, 0, 0, 0, 1, 0, 0]), { device }) },
  { what: 'a duplicate tensor name', kind: 'file', op: 'parseSafetensors', expect: ['the key "w" appears twice'], call: (device) => wg.io.parseSafetensors(bytes('{"w":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"w":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}'), { device }) },
  { what: 'a header nested 1000 deep', kind: 'file', op: 'parseSafetensors', expect: ['nests deeper than 16 levels'], call: (device) => wg.io.parseSafetensors(bytes(`{"a":${'['.repeat(1000)}${']'.repeat(1000)}}`), { device }) },
  { what: 'a BOOL byte of 7', kind: 'dtype', op: 'parseSafetensors', expect: ["'m' (BOOL) holds the byte 7 at element 1; BOOL bytes must be 0 or 1"], call: (device) => wg.io.parseSafetensors(bytes('{"m":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}}', [1, 7]), { device }) },
  { what: 'an I64 value outside int32', kind: 'out of range', op: 'parseSafetensors', expect: ["'i' (I64) holds 4294967296 at element 0, outside int32"], call: (device) => wg.io.parseSafetensors(bytes('{"i":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}', [0, 0, 0, 0, 1, 0, 0, 0]), { device }) },
  { what: 'an unknown dtype name', kind: 'dtype', op: 'parseSafetensors', expect: ["'x' has dtype 'F8_E5M2'; webgrad reads F32"], call: (device) => wg.io.parseSafetensors(bytes('{"x":{"dtype":"F8_E5M2","shape":[1],"data_offsets":[0,1]}}', [0]), { device }) },
  { what: 'a metadata value that is a number', kind: 'file', op: 'parseSafetensors', expect: ["__metadata__ value 'epoch' must be a string, got 3"], call: (device) => wg.io.parseSafetensors(bytes('{"__metadata__":{"epoch":3}}'), { device }) },
  { what: 'a span that does not fit the shape', kind: 'shape', op: 'parseSafetensors', expect: ["'x' spans 4 bytes, but shape [2] of F32 needs 8"], call: (device) => wg.io.parseSafetensors(bytes('{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', [0, 0, 0, 0]), { device }) },
  { what: 'overlapping tensors', kind: 'file', op: 'parseSafetensors', expect: ["'b' (bytes 0-4) overlaps 'a' (bytes 0-4)"], call: (device) => wg.io.parseSafetensors(bytes('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0]), { device }) },
  // saving and serializing
  { what: 'an array of tensors instead of a record', kind: 'wrong type', op: 'saveSafetensors', expect: ['tensors must be a record or Map of name to Tensor', 'got [a Tensor]'], call: (device) => wg.io.saveSafetensors([t(device)] as never, join(dir, 'a.safetensors')) },
  { what: 'null as the tensors', kind: 'wrong type', op: 'saveSafetensors', expect: ['tensors must be a record or Map', 'got null'], call: () => wg.io.saveSafetensors(null as never, join(dir, 'a.safetensors')) },
  { what: 'a number among the tensors', kind: 'wrong type', op: 'saveSafetensors', expect: ["'lr' is not a Tensor (got 0.1)"], call: (device) => wg.io.saveSafetensors({ w: t(device), lr: 0.1 } as never, join(dir, 'a.safetensors')) },
  { what: "a tensor named '__metadata__'", kind: 'state', op: 'saveSafetensors', expect: ["the name '__metadata__' is reserved by the format"], call: (device) => wg.io.saveSafetensors({ __metadata__: t(device) }, join(dir, 'a.safetensors')) },
  { what: 'a number as a metadata value', kind: 'wrong type', op: 'saveSafetensors', expect: ["metadata value 'epoch' must be a string, got 3"], call: (device) => wg.io.saveSafetensors({ w: t(device) }, join(dir, 'a.safetensors'), { epoch: 3 } as never) },
  { what: 'metadata that is a string', kind: 'wrong type', op: 'saveSafetensors', expect: ["metadata must be a record of strings, got 'v1'"], call: (device) => wg.io.saveSafetensors({ w: t(device) }, join(dir, 'a.safetensors'), 'v1' as never) },
  { what: 'an empty path', kind: 'wrong type', op: 'saveSafetensors', expect: ["path must be a non-empty string, got ''"], call: (device) => wg.io.saveSafetensors({ w: t(device) }, '') },
  { what: 'a path ending in a slash', kind: 'file', op: 'saveSafetensors', expect: [`path '${dir}/' names a directory; expected a file path`], call: (device) => wg.io.saveSafetensors({ w: t(device) }, `${dir}/`) },
  { what: 'a path in a missing directory', kind: 'file', op: 'saveSafetensors', expect: ['could not write', 'missing', '(any previous file there is unchanged)'], call: (device) => wg.io.saveSafetensors({ w: t(device) }, join(dir, 'missing', 'a.safetensors')) },
  { what: 'a non-tensor in a Map', kind: 'wrong type', op: 'serializeSafetensors', expect: ["'x' is not a Tensor (got 'x')"], call: () => wg.io.serializeSafetensors(new Map([['x', 'x' as never]])) },
  { what: 'an array as the metadata', kind: 'wrong type', op: 'serializeSafetensors', expect: ["metadata must be a record of strings, got ['a']"], call: (device) => wg.io.serializeSafetensors({ w: t(device) }, ['a'] as never) },
  // IDX files
  { what: 'IDX bytes too short for a header', kind: 'file', op: 'parseIdx', expect: ['is 2 bytes, too short for an IDX header'], call: () => wg.io.parseIdx(new Uint8Array(2)), cpuOnly: true },
  { what: 'IDX bytes without the magic number', kind: 'file', op: 'parseIdx', expect: ['does not start with an IDX magic number (got 01 02 03 04)'], call: () => wg.io.parseIdx(new Uint8Array([1, 2, 3, 4])), cpuOnly: true },
  { what: 'a misspelt idxToTensor option', kind: 'unknown option', op: 'idxToTensor', expect: ["unknown option 'scaled'", "did you mean 'scale'"], call: (device) => wg.io.idxToTensor({ shape: [1], data: new Uint8Array(1), type: 'u8' }, { device, scaled: false } as never) },
  { what: 'a string as idxToTensor scale', kind: 'wrong type', op: 'idxToTensor', expect: ["scale must be true or false, got 'no'"], call: (device) => wg.io.idxToTensor({ shape: [1], data: new Uint8Array(1), type: 'u8' }, { device, scale: 'no' as never }) },
  { what: 'an IDX file that does not exist', kind: 'file', op: 'readIdx', expect: ['cannot read', 'ENOENT'], call: () => wg.io.readIdx(join(dir, 'nope.idx')), cpuOnly: true },
];
