/**
 * safetensors as a specification: hostile and corrupt files are refused with a message naming
 * the function, the file, the tensor and what was expected; the valid edge cases (empty tensors
 * anywhere, F16/BF16/I64/U8... with known bytes, a tensor named __proto__) load exactly; saves
 * are crash-safe (a failed save, a fault injected into the file system, a process killed
 * mid-save: the old file stays loadable and no temporary file stays behind).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import { setFsForTesting, type Fs } from '../src/io/platform.js';
import { DEVICES, useDevices } from './helpers.js';

useDevices();

const tmp = () => mkdtempSync(join(tmpdir(), 'webgrad-st-'));
const enc = (s: string) => new TextEncoder().encode(s);

/** A file from raw header text (not padded) and data bytes; `len` overrides the header length field. */
function raw(header: string, data: Uint8Array | number = 0, len?: bigint): Uint8Array {
  const h = enc(header);
  const d = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + h.length + d.length);
  new DataView(out.buffer).setBigUint64(0, len ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(d, 8 + h.length);
  return out;
}
const file = (header: object, data: Uint8Array | number = 0) => raw(JSON.stringify(header), data);
const f32 = (n: number, begin = 0) => ({ dtype: 'F32', shape: [n], data_offsets: [begin, begin + 4 * n] });
const bytesOf = (...xs: number[]) => Uint8Array.from(xs);
const le = (arr: ArrayBufferView) => new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);

type Hostile = [cls: string, what: string, bytes: () => Uint8Array, fragment: string | RegExp];

const HOSTILE: Hostile[] = [
  // truncated files and header lengths
  ['length', 'an empty file', () => new Uint8Array(0), 'it is 0 bytes, shorter than the 8-byte header length'],
  ['length', 'a 5-byte file', () => new Uint8Array(5), 'it is 5 bytes'],
  ['length', 'a header length beyond the file', () => raw('{}', 0, 1000000n), 'the header claims 1000000 bytes but only 2 follow'],
  ['length', 'a header length of 2^64 - 1', () => raw('{}', 0, 2n ** 64n - 1n), 'over the 100000000-byte limit'],
  ['length', 'a header length just over the 100 MB limit', () => raw('{}', 0, 100_000_001n), 'the header length is 100000001 bytes, over the 100000000-byte limit'],
  ['length', 'a header cut short', () => raw('{"a":{"dtype":"F32"', 0), 'the header is not JSON'],
  ['length', 'data cut short', () => file({ a: f32(3) }, 10), "'a' has data_offsets [0, 12] outside the 10 data bytes"],
  ['length', 'a header length of zero', () => raw('', 0), "the header must start with '{'"],
  // not JSON, not an object
  ['json', 'a header that is no JSON', () => raw('{!}'), 'the header is not JSON'],
  ['json', 'a header that is not UTF-8', () => { const b = raw('{"\u00e9":1}'); b[10] = 0xff; return b; }, 'the header is not valid UTF-8'],
  ['json', 'a header that is an array', () => raw('[]'), "the header must start with '{'"],
  ['json', 'a header starting with a space', () => raw(' {}'), "the header must start with '{'"],
  ['json', 'trailing text after the object', () => raw('{} x'), 'the header is not JSON'],
  ['json', 'a tensor entry that is a number', () => file({ a: 1 }), "'a' must be an object { dtype, shape, data_offsets }, got 1"],
  ['json', 'a tensor entry that is an array', () => file({ a: [] }), "'a' must be an object"],
  ['json', 'a tensor entry that is null', () => file({ a: null }), "'a' must be an object { dtype, shape, data_offsets }, got null"],
  // nesting
  ['nesting', '100000 nested arrays (would overflow JSON.parse)', () => raw(`{"a":${'['.repeat(100000)}${']'.repeat(100000)}}`), 'the header nests deeper than 16 levels'],
  ['nesting', 'deeply nested objects in __metadata__', () => raw(`{"__metadata__":${'{"x":'.repeat(20)}1${'}'.repeat(20)}}`), 'nests deeper than 16'],
  ['nesting', 'unbalanced brackets, 1 MB deep', () => raw(`{"a":${'['.repeat(1 << 20)}`), 'nests deeper than 16'],
  // duplicate keys
  ['duplicate', 'a tensor name twice', () => raw(`{"a":${JSON.stringify(f32(1))},"a":${JSON.stringify(f32(1, 4))}}`, 8), 'the key "a" appears twice'],
  ['duplicate', 'a name twice, once escaped', () => raw(`{"a":${JSON.stringify(f32(1))},"\\u0061":${JSON.stringify(f32(1, 4))}}`, 8), 'the key "a" appears twice'],
  ['duplicate', '__metadata__ twice', () => raw('{"__metadata__":{"a":"1"},"__metadata__":{"a":"2"}}'), 'the key "__metadata__" appears twice'],
  ['duplicate', 'a metadata key twice', () => raw('{"__metadata__":{"a":"1","a":"2"}}'), 'the key "a" appears twice'],
  ['duplicate', 'dtype twice in one entry', () => raw('{"a":{"dtype":"F32","dtype":"I32","shape":[1],"data_offsets":[0,4]}}', 4), 'the key "dtype" appears twice'],
  // metadata
  ['metadata', 'a number as a metadata value', () => file({ __metadata__: { epoch: 3 } }), "__metadata__ value 'epoch' must be a string, got 3"],
  ['metadata', 'an object as a metadata value', () => file({ __metadata__: { a: { b: 'c' } } }), "__metadata__ value 'a' must be a string, got an object"],
  ['metadata', 'null as a metadata value', () => file({ __metadata__: { a: null } }), "value 'a' must be a string, got null"],
  ['metadata', 'metadata that is a string', () => file({ __metadata__: 'hello' }), "__metadata__ must be an object of strings, got 'hello'"],
  ['metadata', 'metadata that is an array', () => file({ __metadata__: ['a'] }), '__metadata__ must be an object of strings'],
  // dtypes
  ['dtype', 'an unknown dtype', () => file({ a: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, 1), "'a' has dtype 'F8_E4M3'; webgrad reads F32, F64, F16, BF16"],
  ['dtype', 'a PyTorch dtype name instead of the format\'s', () => file({ a: { dtype: 'float32', shape: [1], data_offsets: [0, 4] } }, 4), "has dtype 'float32'"],
  ['dtype', 'a number as the dtype', () => file({ a: { dtype: 4, shape: [1], data_offsets: [0, 4] } }, 4), "'a' has dtype 4"],
  ['dtype', 'no dtype', () => file({ a: { shape: [1], data_offsets: [0, 4] } }, 4), "'a' has dtype undefined"],
  ['dtype', 'a dtype named after an Object method', () => file({ a: { dtype: 'toString', shape: [1], data_offsets: [0, 4] } }, 4), "has dtype 'toString'"],
  ['dtype', 'complex C64', () => file({ a: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, 8), "has dtype 'C64'"],
  // shapes
  ['shape', 'a negative dimension', () => file({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4), "'a' has shape [-1]; expected an array of integers >= 0"],
  ['shape', 'a fractional dimension', () => file({ a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, 4), "has shape [1.5]"],
  ['shape', 'a string dimension', () => file({ a: { dtype: 'F32', shape: ['2'], data_offsets: [0, 8] } }, 8), 'has shape ["2"]'],
  ['shape', 'a shape that is a number', () => file({ a: { dtype: 'F32', shape: 1, data_offsets: [0, 4] } }, 4), "'a' has shape 1"],
  ['shape', 'no shape', () => file({ a: { dtype: 'F32', data_offsets: [0, 4] } }, 4), "'a' has shape undefined"],
  ['shape', 'a dimension beyond 2^53', () => raw('{"a":{"dtype":"F32","shape":[1e300],"data_offsets":[0,4]}}', 4), 'has shape [1e+300]'],
  ['shape', 'dimensions whose product overflows', () => file({ a: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }, 4), /'a' spans 4 bytes, but shape \[1099511627776, 1099511627776\] of F32 needs/],
  // offsets
  ['offsets', 'no data_offsets', () => file({ a: { dtype: 'F32', shape: [1] } }, 4), "'a' has data_offsets undefined; expected [begin, end]"],
  ['offsets', 'one offset', () => file({ a: { dtype: 'F32', shape: [1], data_offsets: [0] } }, 4), 'has data_offsets [0]'],
  ['offsets', 'three offsets', () => file({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4, 8] } }, 8), 'has data_offsets [0,4,8]'],
  ['offsets', 'a negative offset', () => file({ a: { dtype: 'F32', shape: [1], data_offsets: [-4, 0] } }, 4), 'has data_offsets [-4,0]; expected [begin, end], integers >= 0'],
  ['offsets', 'a fractional offset', () => file({ a: { dtype: 'F32', shape: [1], data_offsets: [0.5, 4.5] } }, 5), 'has data_offsets [0.5,4.5]'],
  ['offsets', 'string offsets', () => file({ a: { dtype: 'F32', shape: [1], data_offsets: ['0', '4'] } }, 4), 'has data_offsets ["0","4"]'],
  ['offsets', 'the end before the begin', () => file({ a: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } }, 8), "'a' has data_offsets [8, 4]: the end is before the begin"],
  ['offsets', 'an end beyond the data', () => file({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 2), 'outside the 2 data bytes'],
  ['offsets', 'offsets beyond 2^53', () => raw('{"a":{"dtype":"F32","shape":[1],"data_offsets":[18446744073709551612,18446744073709551616]}}', 4), 'has data_offsets [18446744073709552000,18446744073709552000]'],
  ['offsets', 'an unknown field in an entry', () => file({ a: { ...f32(1), offsets: [0, 4] } }, 4), "'a' has the field 'offsets'; a tensor has only dtype, shape and data_offsets"],
  // byte counts
  ['bytes', 'a span shorter than the shape needs', () => file({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8), "'a' spans 8 bytes, but shape [3] of F32 needs 12"],
  ['bytes', 'a span longer than the shape needs', () => file({ a: { dtype: 'F16', shape: [2], data_offsets: [0, 8] } }, 8), "'a' spans 8 bytes, but shape [2] of F16 needs 4"],
  ['bytes', 'bytes after the last tensor', () => file({ a: f32(1) }, 12), '8 bytes after the last tensor are not described by the header'],
  ['bytes', 'data but no tensors', () => file({}, 4), '4 bytes after the last tensor'],
  // layout
  ['layout', 'a gap before the first tensor', () => file({ a: f32(1, 4) }, 8), "there is a gap of 4 bytes before 'a'"],
  ['layout', 'a gap between tensors', () => file({ a: f32(1), b: f32(1, 8) }, 12), "there is a gap of 4 bytes before 'b'"],
  ['layout', 'overlapping tensors', () => file({ a: f32(2), b: f32(2, 4) }, 12), "'b' (bytes 4-12) overlaps 'a' (bytes 0-8)"],
  ['layout', 'two tensors on the same bytes', () => file({ a: f32(2), b: f32(2) }, 8), "'b' (bytes 0-8) overlaps 'a' (bytes 0-8)"],
  ['layout', 'an empty tensor inside another one', () => file({ a: f32(2), e: { dtype: 'F32', shape: [0], data_offsets: [4, 4] } }, 8), "'e' (bytes 4-4) overlaps 'a' (bytes 0-8)"],
  // values
  ['values', 'a BOOL byte of 2', () => file({ m: { dtype: 'BOOL', shape: [3], data_offsets: [0, 3] } }, bytesOf(0, 1, 2)), "'m' (BOOL) holds the byte 2 at element 2; BOOL bytes must be 0 or 1"],
  ['values', 'a BOOL byte of 255 after a valid tensor', () => file({ a: f32(1), m: { dtype: 'BOOL', shape: [1], data_offsets: [4, 5] } }, bytesOf(0, 0, 128, 63, 255)), "'m' (BOOL) holds the byte 255 at element 0"],
  ['values', 'an I64 of 2^31', () => file({ i: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, le(BigInt64Array.from([1n, 2n ** 31n]))), "'i' (I64) holds 2147483648 at element 1, outside int32"],
  ['values', 'an I64 of -2^31 - 1', () => file({ i: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, le(BigInt64Array.from([-(2n ** 31n) - 1n]))), "'i' (I64) holds -2147483649 at element 0"],
  ['values', 'a U32 over int32', () => file({ u: { dtype: 'U32', shape: [1], data_offsets: [0, 4] } }, le(Uint32Array.from([4294967295]))), "'u' (U32) holds 4294967295 at element 0"],
  ['values', 'a U64 of 2^64 - 1', () => file({ u: { dtype: 'U64', shape: [1], data_offsets: [0, 8] } }, le(BigUint64Array.from([2n ** 64n - 1n]))), "'u' (U64) holds 18446744073709551615"],
];

describe('safetensors: a corpus of hostile and corrupt files', () => {
  it(`has at least 40 files in ${new Set(HOSTILE.map((h) => h[0])).size} classes`, () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(40);
  });

  it.each(HOSTILE)('%s: %s is refused with a clear message', (_cls, _what, make, fragment) => {
    const before = wg.memory().tensors;
    let msg = '';
    try {
      wg.io.parseSafetensors(make(), { device: 'cpu' });
    } catch (e) {
      expect(e).toBeInstanceOf(Error);
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/^parseSafetensors: safetensors data is not a valid safetensors file: /);
    if (typeof fragment === 'string') expect(msg).toContain(fragment);
    else expect(msg).toMatch(fragment);
    expect(wg.memory().tensors).toBe(before); // nothing was uploaded
  });

  it('a hostile file on disk is refused by loadSafetensors, naming the path', async () => {
    const path = join(tmp(), 'bad.safetensors');
    writeFileSync(path, HOSTILE.find((h) => h[1] === 'overlapping tensors')![2]());
    await expect(wg.io.loadSafetensors(path, { device: 'cpu' })).rejects.toThrow(`loadSafetensors: '${path}' is not a valid safetensors file: 'b' (bytes 4-12) overlaps`);
    await expect(wg.io.loadSafetensorsWithMetadata(path)).rejects.toThrow(`loadSafetensorsWithMetadata: '${path}' is not a valid`);
  });
});

describe('safetensors: valid edge cases', () => {
  const parse = (b: Uint8Array, o: { float64?: 'keep' | 'float32' } = {}) => wg.io.parseSafetensors(b, { device: 'cpu', ...o }).tensors;

  it('an empty tensor listed after a non-empty one loads', async () => {
    const t = parse(file({ a: f32(2), e: { dtype: 'F32', shape: [0, 3], data_offsets: [0, 0] } }, le(Float32Array.from([1, 2]))));
    expect(await t.a!.toArray()).toEqual([1, 2]);
    expect(t.e!.shape).toEqual([0, 3]);
  });

  it('empty tensors at the start, between and at the end of the data load', async () => {
    const e = (at: number) => ({ dtype: 'I32', shape: [2, 0], data_offsets: [at, at] });
    const t = parse(file({ z: e(8), a: f32(1), y: e(4), b: f32(1, 4), x: e(0) }, le(Float32Array.from([5, 6]))));
    expect(Object.keys(t)).toEqual(['z', 'a', 'y', 'b', 'x']);
    expect([await t.a!.item(), await t.b!.item()]).toEqual([5, 6]);
    for (const k of ['x', 'y', 'z']) expect([t[k]!.shape, t[k]!.dtype]).toEqual([[2, 0], 'int32']);
  });

  it('a file of only empty tensors, and a file of no tensors, load', () => {
    expect(Object.keys(parse(file({ e: { dtype: 'F16', shape: [0], data_offsets: [0, 0] } })))).toEqual(['e']);
    expect(Object.keys(parse(raw('{}      ')))).toEqual([]);
  });

  it('F16 loads as float16, exactly (normal, subnormal, extremes, infinities, NaN, -0), and as float32 when asked', async () => {
    const h = Uint16Array.from([0x3c00, 0xc000, 0x7bff, 0x0001, 0x3555, 0x7c00, 0xfc00, 0x7e00, 0x8000, 0x0400]);
    const values = [1, -2, 65504, 2 ** -24, 0.333251953125, Infinity, -Infinity, NaN, -0, 2 ** -14];
    const bytes = file({ h: { dtype: 'F16', shape: [10], data_offsets: [0, 20] } }, le(h));
    const t = parse(bytes).h!;
    expect(t.dtype).toBe('float16');
    expect(Array.from(await t.data())).toEqual(values);
    const w = wg.io.parseSafetensors(bytes, { float16: 'float32' }).tensors.h!;
    expect(w.dtype).toBe('float32');
    expect(Array.from(await w.data())).toEqual(values);
    // Saved again, the bytes are the file's (the float16 storage keeps them; NaN's payload too).
    const again = await wg.io.serializeSafetensors({ h: t });
    expect(Array.from(new Uint16Array(again.slice(again.length - 20).buffer))).toEqual(Array.from(h));
    expect(new TextDecoder().decode(again.subarray(8, 8 + 60))).toContain('"dtype":"F16"');
  });

  it('BF16 loads as float32, exactly', async () => {
    const b = Uint16Array.from([0x3f80, 0xc040, 0x7f80, 0x3eab, 0x0001, 0x7f7f]);
    const t = parse(file({ b: { dtype: 'BF16', shape: [2, 3], data_offsets: [0, 12] } }, le(b))).b!;
    expect(t.dtype).toBe('float32');
    expect(Array.from(await t.data())).toEqual([1, -3, Infinity, 0.333984375, 2 ** -133, 3.3895313892515355e38]);
  });

  it('I64 loads as int32 at the edges of its range', async () => {
    const t = parse(file({ i: { dtype: 'I64', shape: [4], data_offsets: [0, 32] } }, le(BigInt64Array.from([-(2n ** 31n), 2n ** 31n - 1n, 0n, -1n])))).i!;
    expect(t.dtype).toBe('int32');
    expect(await t.toArray()).toEqual([-2147483648, 2147483647, 0, -1]);
  });

  it('U8 and I8 load as uint8 and int8 on cpu, I16, U16, U32 and U64 as int32, with their values', async () => {
    const spec = (dtype: string, n: number, begin: number, size: number) => ({ dtype, shape: [n], data_offsets: [begin, begin + n * size] });
    const data = new Uint8Array([...bytesOf(0, 255, 7), ...bytesOf(128, 127), ...le(Int16Array.from([-32768, 32767])), ...le(Uint16Array.from([65535])), ...bytesOf(0), ...le(Uint32Array.from([2147483647])), ...le(BigUint64Array.from([12345n]))]);
    const t = parse(file({ u8: spec('U8', 3, 0, 1), i8: spec('I8', 2, 3, 1), i16: spec('I16', 2, 5, 2), u16: spec('U16', 1, 9, 2), pad: spec('U8', 1, 11, 1), u32: spec('U32', 1, 12, 4), u64: spec('U64', 1, 16, 8) }, data));
    const got: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(t)) got[k] = [v.dtype, await v.toArray()];
    expect(got).toEqual({ u8: ['uint8', [0, 255, 7]], i8: ['int8', [-128, 127]], i16: ['int32', [-32768, 32767]], u16: ['int32', [65535]], pad: ['uint8', [0]], u32: ['int32', [2147483647]], u64: ['int32', [12345]] });
  });

  it('BOOL bytes 0 and 1 load as bool', async () => {
    const t = parse(file({ m: { dtype: 'BOOL', shape: [3], data_offsets: [0, 3] } }, bytesOf(1, 0, 1))).m!;
    expect([t.dtype, await t.toArray()]).toEqual(['bool', [true, false, true]]);
  });

  it("F64 stays float64 on cpu, and becomes float32 with { float64: 'float32' }", async () => {
    const b = file({ d: { dtype: 'F64', shape: [2], data_offsets: [0, 16] } }, le(Float64Array.from([0.1, -1e300])));
    const kept = parse(b).d!;
    expect([kept.dtype, Array.from(await kept.data())]).toEqual(['float64', [0.1, -1e300]]);
    const conv = parse(b, { float64: 'float32' }).d!;
    expect([conv.dtype, Array.from(await conv.data())]).toEqual(['float32', [Math.fround(0.1), -Infinity]]);
  });

  it('a tensor and a metadata key named __proto__ are ordinary entries', async () => {
    const b = raw(`{"__metadata__":{"__proto__":"m"},"__proto__":${JSON.stringify(f32(1))},"constructor":${JSON.stringify(f32(1, 4))}}`, le(Float32Array.from([3, 4])));
    const { tensors, metadata } = wg.io.parseSafetensors(b, { device: 'cpu' });
    expect(Object.getPrototypeOf(tensors)).toBe(null);
    expect(Object.keys(tensors)).toEqual(['__proto__', 'constructor']);
    expect(await tensors['__proto__']!.item()).toBe(3);
    expect(await tensors['constructor']!.item()).toBe(4);
    expect(Object.getPrototypeOf(metadata)).toBe(null);
    expect(metadata['__proto__']).toBe('m');
    expect(({} as Record<string, unknown>).dtype).toBeUndefined(); // Object.prototype untouched
  });

  it('a tensor named __proto__ is written as an ordinary entry and reads back', async () => {
    const bytes = await wg.io.serializeSafetensors(new Map([['__proto__', wg.tensor(new Float32Array([7]))]]));
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(new TextDecoder().decode(bytes.subarray(8, 8 + n)).trim()).toBe('{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}');
    expect(await wg.io.parseSafetensors(bytes).tensors['__proto__']!.item()).toBe(7);
  });

  it("what webgrad writes is what the reference reader expects: padded header, packed offsets, the format's dtype names", async () => {
    const bytes = await wg.io.serializeSafetensors({ a: wg.tensor(new Float64Array([1])), b: wg.tensor(new Int32Array([2, 3])), c: wg.tensor([true]), d: wg.zeros([0]) }, { k: 'v' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(text).toMatch(/^\{.*\} *$/);
    expect(JSON.parse(text)).toEqual({
      __metadata__: { k: 'v' },
      a: { dtype: 'F64', shape: [1], data_offsets: [0, 8] },
      b: { dtype: 'I32', shape: [2], data_offsets: [8, 16] },
      c: { dtype: 'BOOL', shape: [1], data_offsets: [16, 17] },
      d: { dtype: 'F32', shape: [0], data_offsets: [17, 17] },
    });
    expect(bytes.length).toBe(8 + n + 17);
  });
});

describe.each(DEVICES)('safetensors: float64 files on %s', (device) => {
  const b = () => file({ d: { dtype: 'F64', shape: [1], data_offsets: [0, 8] } }, le(Float64Array.from([0.5])));
  it(device !== 'cpu' ? `an F64 tensor onto ${device} needs { float64: "float32" }, and the error says so` : 'an F64 tensor stays float64 on cpu, and the float64 option converts it', async () => {
    if (device === 'cpu') {
      const k = wg.io.parseSafetensors(b(), { device }).tensors.d!;
      expect([k.dtype, await k.item()]).toEqual(['float64', 0.5]);
      const c = wg.io.parseSafetensors(b(), { device, float64: 'float32' }).tensors.d!;
      expect([c.dtype, await c.item()]).toEqual(['float32', 0.5]);
      return;
    }
    expect(() => wg.io.parseSafetensors(b(), { device })).toThrow(`parseSafetensors: safetensors data: 'd' is F64, which ${device} does not store; pass { float64: 'float32' } to convert, or load it on 'cpu'`);
    const t = wg.io.parseSafetensors(b(), { device, float64: 'float32' }).tensors.d!;
    expect([t.device, t.dtype, await t.item()]).toEqual([device, 'float32', 0.5]);
  });
  it('F16 data lands on the device as float16 (or float32 when asked), and saves back to the same bytes', async () => {
    const h = Uint16Array.from([0x3c00, 0x8001, 0xfbff]);
    const bytes = file({ h: { dtype: 'F16', shape: [3], data_offsets: [0, 6] } }, le(h));
    const t = wg.io.parseSafetensors(bytes, { device }).tensors.h!;
    expect([t.device, t.dtype, Array.from(await t.data())]).toEqual([device, 'float16', [1, -(2 ** -24), -65504]]);
    const w = wg.io.parseSafetensors(bytes, { device, float16: 'float32' }).tensors.h!;
    expect([w.device, w.dtype, Array.from(await w.data())]).toEqual([device, 'float32', [1, -(2 ** -24), -65504]]);
    const again = await wg.io.serializeSafetensors({ h: t });
    expect(Array.from(new Uint16Array(again.slice(again.length - 6).buffer))).toEqual(Array.from(h));
  });
});

describe('safetensors: options', () => {
  it('an unknown load option is refused with a near miss', async () => {
    await expect(wg.io.loadSafetensors('x.safetensors', { devise: 'cpu' } as never)).rejects.toThrow("loadSafetensors: unknown option 'devise' (did you mean 'device'?)");
  });
  it('a bad float64 choice is refused', () => {
    expect(() => wg.io.parseSafetensors(new Uint8Array(8), { float64: 'f32' as never })).toThrow("parseSafetensors: float64 must be one of 'keep', 'float32', got 'f32'");
  });
  it('a bad float16 choice is refused', () => {
    expect(() => wg.io.parseSafetensors(new Uint8Array(8), { float16: 'half' as never })).toThrow("parseSafetensors: float16 must be one of 'keep', 'float32', got 'half'");
  });
});

/** A file system that forwards to Node's but fails the named step. */
function faulty(step: 'write' | 'sync' | 'rename'): Fs {
  const real = nodeFs as unknown as Fs;
  return {
    ...real,
    readFile: real.readFile, readdir: real.readdir, rm: real.rm, access: real.access, writeFile: real.writeFile,
    rename: async (a, b) => {
      if (step === 'rename') throw Object.assign(new Error('EXDEV: injected rename failure'), { code: 'EXDEV' });
      return real.rename(a, b);
    },
    open: async (path, flags) => {
      const h = await real.open(path, flags);
      return {
        write: async (data, offset, length, position) => {
          if (step !== 'write') return h.write(data, offset, length, position);
          await h.write(data, offset, Math.floor(length / 2), position); // half the file, then the disk fails
          throw Object.assign(new Error('EIO: injected write failure'), { code: 'EIO' });
        },
        sync: async () => {
          if (step === 'sync' && flags === 'wx') throw Object.assign(new Error('EIO: injected fsync failure'), { code: 'EIO' });
          return h.sync();
        },
        close: () => h.close(),
      };
    },
  };
}

describe('safetensors: crash-safe saves', () => {
  afterEach(() => setFsForTesting(undefined));
  const model = () => ({ w: wg.randn([64, 64]), b: wg.zeros([64]) });

  it.each(['write', 'sync', 'rename'] as const)('a %s failure leaves the old file byte-identical and no temporary file', async (step) => {
    const dir = tmp();
    const path = join(dir, 'ckpt.safetensors');
    await wg.io.saveSafetensors(model(), path);
    const before = readFileSync(path);
    setFsForTesting(faulty(step));
    await expect(wg.io.saveSafetensors(model(), path)).rejects.toThrow(new RegExp(`saveSafetensors: could not write '.*ckpt.safetensors': EIO|EXDEV.*\\(any previous file there is unchanged\\)`));
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(['ckpt.safetensors']);
  });

  it('a tensor that cannot be read fails the save before any file is touched', async () => {
    const dir = tmp();
    const path = join(dir, 'ckpt.safetensors');
    await wg.io.saveSafetensors(model(), path);
    const before = readFileSync(path);
    const gone = wg.ones([3]);
    gone.dispose();
    await expect(wg.io.saveSafetensors({ ...model(), gone }, path)).rejects.toThrow(/used after dispose/);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(['ckpt.safetensors']);
  });

  it('stale temporary files of killed saves to the same path are removed by the next save; others are kept', async () => {
    const dir = tmp();
    const path = join(dir, 'ckpt.safetensors');
    const dead = 'ckpt.safetensors.webgrad-tmp-999999999-abc'; // above Linux's pid_max: never a live process
    const mineStale = `ckpt.safetensors.webgrad-tmp-${process.pid}-old`; // this process, no save in flight
    const live = `ckpt.safetensors.webgrad-tmp-${process.ppid}-xyz`; // a running process: maybe saving now
    const other = 'other.safetensors.webgrad-tmp-999999999-abc';
    for (const f of [dead, mineStale, live, other, 'notes.txt']) writeFileSync(join(dir, f), 'x');
    await wg.io.saveSafetensors(model(), path);
    expect(readdirSync(dir).sort()).toEqual(['ckpt.safetensors', live, 'notes.txt', other].sort());
  });

  it('a path that names a directory, or no path, is refused', async () => {
    await expect(wg.io.saveSafetensors(model(), tmp() + '/')).rejects.toThrow("saveSafetensors: path '");
    await expect(wg.io.saveSafetensors(model(), '' as string)).rejects.toThrow("saveSafetensors: path must be a non-empty string, got ''");
  });
});

/**
 * A child process saves an 8 MB checkpoint in a loop and is SIGKILLed, KILLS times: half the
 * kills at a random moment, half the moment its temporary file appears (so some surely land
 * inside the write). After every kill the checkpoint must load and be self-consistent (every
 * value equals the number in its metadata); after one more save no temporary file remains.
 */
describe('safetensors: saves killed with SIGKILL', () => {
  const KILLS = 10;
  const child = `
    import * as wg from ${JSON.stringify(join(import.meta.dirname, '..', 'dist', 'webgrad.node.js'))};
    const path = process.argv[1];
    const base = (process.pid % 4096) * 1000; // values stay exact in float32
    const w = wg.zeros([2 ** 21], { dtype: 'float32' });
    for (let i = 0; ; i++) {
      await wg.io.saveSafetensors({ w: w.add(base + i) }, path, { v: String(base + i) });
      process.stdout.write('saved\\n');
    }`;

  it(`${KILLS} kills, at random moments and mid-write, leave a loadable checkpoint every time`, async () => {
    const dir = tmp();
    const path = join(dir, 'ckpt.safetensors');
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const hasTemp = () => readdirSync(dir).some((f) => f.includes('.webgrad-tmp-'));
    let midSave = 0;
    let saves = 0;
    for (let k = 0; k < KILLS; k++) {
      const p = spawn(process.execPath, ['--input-type=module', '-e', child, path], { stdio: ['ignore', 'pipe', 'inherit'] });
      let saved = 0;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the child never saved')), 30_000);
        p.stdout.on('data', (d: Buffer) => {
          saved += d.toString().split('saved').length - 1;
          if (saved >= 1) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      if (k % 2 === 0) await new Promise((r) => setTimeout(r, rand() * 1000));
      else {
        const until = Date.now() + 10_000;
        while (!hasTemp() && Date.now() < until) await new Promise((r) => setImmediate(r));
        await new Promise((r) => setTimeout(r, rand() * 5));
      }
      p.kill('SIGKILL');
      await new Promise((r) => p.once('exit', r));
      saves += saved;
      if (hasTemp()) midSave++;
      const { tensors, metadata } = await wg.io.loadSafetensorsWithMetadata(path, { device: 'cpu' });
      const w = (await tensors.w!.data()) as Float32Array;
      expect(w.length).toBe(2 ** 21);
      expect(w.every((x) => x === Number(metadata.v))).toBe(true);
    }
    console.log(`kill trials: ${KILLS} kills, ${saves} completed saves, ${midSave} kills left a temporary file (killed mid-save); the checkpoint loaded after every kill`);
    expect(midSave).toBeGreaterThan(0); // some kills did land inside a save
    await wg.io.saveSafetensors({ w: wg.zeros([1]) }, path);
    expect(readdirSync(dir)).toEqual(['ckpt.safetensors']);
  }, 120_000);
});
