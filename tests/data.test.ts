/**
 * Data and checkpoints: IDX parsing (plain and gzip), the Fashion-MNIST loader on the subset
 * shipped in data/, TensorDataset and DataLoader, and safetensors: round trips, a file written
 * by webgrad read by an independent reader written here from the format's spec, corrupt files,
 * and saves that fail without touching the old checkpoint.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import { DEVICES, useDevices } from './helpers.js';

useDevices();
const SUBSET = join(import.meta.dirname, '..', 'data', 'fashion-mnist-subset');
const tmp = () => mkdtempSync(join(tmpdir(), 'webgrad-test-'));

/** An IDX file: magic (0, 0, type, rank), big-endian dims, big-endian values. */
function idxBytes(type: number, shape: number[], values: number[], size: number): Uint8Array {
  const b = new Uint8Array(4 + 4 * shape.length + values.length * size);
  const v = new DataView(b.buffer);
  b[2] = type;
  b[3] = shape.length;
  shape.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  const at = 4 + 4 * shape.length;
  values.forEach((x, i) => {
    if (type === 0x08) v.setUint8(at + i, x);
    else if (type === 0x0c) v.setInt32(at + 4 * i, x, false);
    else v.setFloat32(at + 4 * i, x, false);
  });
  return b;
}

describe('IDX files', () => {
  it('parses u8, i32 and f32 files, plain and gzipped', async () => {
    const u8 = idxBytes(0x08, [2, 3], [0, 1, 2, 253, 254, 255], 1);
    expect(await wg.io.readIdx(u8)).toMatchObject({ shape: [2, 3], type: 'u8' });
    const gz = new Uint8Array(gzipSync(u8));
    expect(Array.from((await wg.io.readIdx(gz)).data)).toEqual([0, 1, 2, 253, 254, 255]);
    expect(Array.from((await wg.io.readIdx(idxBytes(0x0c, [3], [-1, 0, 70000], 4))).data)).toEqual([-1, 0, 70000]);
    expect(Array.from((await wg.io.readIdx(idxBytes(0x0d, [2], [0.5, -2], 4))).data)).toEqual([0.5, -2]);
    const t = wg.io.idxToTensor(await wg.io.readIdx(u8));
    expect(t.dtype).toBe('float32');
    expect(await t.toArray()).toEqual([[0, 1 / 255, 2 / 255], [253 / 255, 254 / 255, 1]].map((r) => r.map(Math.fround)));
  });

  it('limit keeps the first items along dim 0, decompressing a gzipped file only that far', async () => {
    // 3000 rows of 400 bytes (1.2 MB, several of the stream's chunks); row r holds r % 251.
    const rows = 3000;
    const u8 = idxBytes(0x08, [rows, 20, 20], Array.from({ length: rows * 400 }, (_, i) => Math.floor(i / 400) % 251), 1);
    const gz = new Uint8Array(gzipSync(u8));
    for (const src of [u8, gz]) {
      const d = await wg.io.readIdx(src, { limit: 7 });
      expect(d.shape).toEqual([7, 20, 20]);
      expect(d.data.length).toBe(7 * 400);
      expect(d.data[6 * 400]).toBe(6);
      expect((await wg.io.readIdx(src, { limit: 0 })).shape).toEqual([0, 20, 20]);
      expect((await wg.io.readIdx(src, { limit: 5000 })).shape).toEqual([rows, 20, 20]); // past the end: all of it
      const last = (await wg.io.readIdx(src, { limit: rows - 1 })).data;
      expect([last.length, last[last.length - 1]]).toEqual([(rows - 1) * 400, (rows - 2) % 251]);
    }
    // The stream is cut short: the decompressed prefix is far less than the file.
    const { gunzip } = await import('../src/io/platform.js');
    let seen = 0;
    await gunzip(gz, (head) => ((seen = head.length), 4 + 12 + 400));
    expect(seen).toBeLessThan(u8.length);
    await expect(wg.io.readIdx(u8, { limit: -1 })).rejects.toThrow(/readIdx: limit must be an integer >= 0, got -1/);
    await expect(wg.io.readIdx(u8, { limit: 1.5 })).rejects.toThrow(/readIdx: limit/);
    await expect(wg.io.readIdx(u8, { limt: 2 } as never)).rejects.toThrow(/readIdx: unknown option 'limt'/);
    // A truncated gzipped file still says it is truncated.
    await expect(wg.io.readIdx(new Uint8Array(gzipSync(u8.slice(0, 2000))), { limit: 10 })).rejects.toThrow(/truncated/);
  });

  it('a bad magic number or a truncated file is a clear error', async () => {
    await expect(wg.io.readIdx(new Uint8Array([1, 2, 3, 4, 5]))).rejects.toThrow(/parseIdx: IDX data does not start with an IDX magic number \(got 01 02 03 04\)/);
    const u8 = idxBytes(0x08, [10, 10], new Array(100).fill(1), 1);
    await expect(wg.io.readIdx(u8.slice(0, 50))).rejects.toThrow(/parseIdx: IDX data is truncated: shape \[10, 10\] needs 112 bytes, the file has 50/);
    await expect(wg.io.readIdx('/nonexistent/file.idx')).rejects.toThrow(/readIdx: cannot read '\/nonexistent\/file.idx'/);
  });
});

describe('Fashion-MNIST', () => {
  it('loads the shipped subset: images [N, 1, 28, 28] in [0, 1], labels 0-9', async () => {
    const train = await wg.data.fashionMnist({ root: SUBSET });
    const test = await wg.data.fashionMnist({ root: SUBSET, split: 'test', limit: 100 });
    expect(train.length).toBe(2000);
    expect(test.length).toBe(100);
    const [x, y] = train.tensors;
    expect(x!.shape).toEqual([2000, 1, 28, 28]);
    expect(y!.dtype).toBe('int32');
    const labels = Array.from(await y!.data());
    expect(new Set(labels)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    const px = Array.from(await x!.data());
    expect(Math.min(...px.slice(0, 5000))).toBe(0);
    expect(Math.max(...px.slice(0, 5000))).toBeLessThanOrEqual(1);
  });

  it('a directory that does not exist, or one without the files, is a clear error saying how to get the data', async () => {
    await expect(wg.data.fashionMnist({ root: '/no/such/dir' })).rejects.toThrow(/fashionMnist: the directory '\/no\/such\/dir' does not exist/);
    const empty = tmp();
    await expect(wg.data.fashionMnist({ root: empty })).rejects.toThrow(/fashionMnist: no train-images-idx3-ubyte\[\.gz\] and train-labels-idx1-ubyte\[\.gz\] found in .*apt-get install dataset-fashion-mnist/);
    await expect(wg.data.fashionMnist({ root: SUBSET, split: 'val' as never })).rejects.toThrow(/split must be one of 'train', 'test', got 'val'/);
  });
});

describe.each(DEVICES)('DataLoader on %s', (device) => {
  const ds = () => new wg.data.TensorDataset(wg.arange(10).reshape(10, 1).float(), wg.arange(10));

  it('batches every example once, the last batch short unless dropLast', async () => {
    const loader = new wg.data.DataLoader(ds(), { batchSize: 4, device });
    const batches = [...loader];
    expect(loader.length).toBe(3);
    expect(batches.map((b) => b[0]!.shape[0])).toEqual([4, 4, 2]);
    expect(batches.every((b) => b.every((t) => t.device === device))).toBe(true);
    const ys = (await Promise.all(batches.map((b) => b[1]!.toArray()))).flat();
    expect(ys).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const dropped = new wg.data.DataLoader(ds(), { batchSize: 4, dropLast: true, device });
    expect(dropped.length).toBe(2);
    expect([...dropped].length).toBe(2);
  });

  it('shuffles with a seed: the same seed repeats, each epoch differs, nothing is lost', async () => {
    const order = async (l: InstanceType<typeof wg.data.DataLoader>) => (await Promise.all([...l].map((b) => b[1]!.toArray()))).flat() as number[];
    const a = new wg.data.DataLoader(ds(), { batchSize: 3, shuffle: true, seed: 5, device });
    const b = new wg.data.DataLoader(ds(), { batchSize: 3, shuffle: true, seed: 5, device });
    const [e1, f1] = [await order(a), await order(b)];
    expect(e1).toEqual(f1);
    expect([...e1].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(e1).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await order(a)).not.toEqual(e1);
  });

  it('features and labels stay paired after shuffling', async () => {
    const loader = new wg.data.DataLoader(ds(), { batchSize: 4, shuffle: true, seed: 1, device });
    for (const [x, y] of loader) expect((await x!.toArray() as number[][]).map((r) => r[0])).toEqual(await y!.toArray());
  });

  it('bad arguments', () => {
    expect(() => new wg.data.DataLoader(ds(), { batchSize: 0 })).toThrow(/DataLoader: batchSize must be an integer >= 1, got 0/);
    expect(() => new wg.data.TensorDataset(wg.zeros([3]), wg.zeros([4]))).toThrow(/TensorDataset: every tensor needs the same first dim; got \[3\], \[4\]/);
    expect(() => ds().get(10)).toThrow(/TensorDataset: index 10 is out of range for 10 examples/);
  });
});

/** A reader written from the safetensors spec, independent of webgrad's parser. */
function readSpec(bytes: Uint8Array): Record<string, { dtype: string; shape: number[]; values: number[] }> {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8'));
  const out: Record<string, { dtype: string; shape: number[]; values: number[] }> = {};
  for (const [k, e] of Object.entries(header) as [string, { dtype: string; shape: number[]; data_offsets: [number, number] }][]) {
    if (k === '__metadata__') continue;
    const raw = Buffer.from(bytes.subarray(8 + n + e.data_offsets[0], 8 + n + e.data_offsets[1]));
    const values: number[] = [];
    const size = { F32: 4, I32: 4, F64: 8, BOOL: 1 }[e.dtype]!;
    for (let i = 0; i < raw.length / size; i++) {
      values.push(e.dtype === 'F32' ? raw.readFloatLE(4 * i) : e.dtype === 'I32' ? raw.readInt32LE(4 * i) : e.dtype === 'F64' ? raw.readDoubleLE(8 * i) : raw[i]!);
    }
    out[k] = { dtype: e.dtype, shape: e.shape, values };
  }
  return out;
}

describe.each(DEVICES)('safetensors on %s', (device) => {
  it('a file written by webgrad is read correctly by a reader written from the spec', async () => {
    const dir = tmp();
    const path = join(dir, 'w.safetensors');
    const t = {
      weight: wg.tensor([[1.5, -2], [3, 4.25]], { dtype: 'float32', device }),
      ids: wg.tensor([7, -1, 2147483647], { device, dtype: 'int32' }),
      mask: wg.tensor([true, false], { device }),
      empty: wg.zeros([0, 3], { device }),
    };
    await wg.io.saveSafetensors(t, path, { note: 'hello' });
    const bytes = new Uint8Array(readFileSync(path));
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString());
    expect(header.__metadata__).toEqual({ note: 'hello' });
    const r = readSpec(bytes);
    expect(r.weight).toEqual({ dtype: 'F32', shape: [2, 2], values: [1.5, -2, 3, 4.25] });
    expect(r.ids).toEqual({ dtype: 'I32', shape: [3], values: [7, -1, 2147483647] });
    expect(r.mask).toEqual({ dtype: 'BOOL', shape: [2], values: [1, 0] });
    expect(r.empty).toEqual({ dtype: 'F32', shape: [0, 3], values: [] });
    // and back
    const back = await wg.io.loadSafetensors(path, { device });
    for (const [k, v] of Object.entries(t)) {
      expect(back[k]!.dtype).toBe(v.dtype);
      expect(back[k]!.device).toBe(device);
      expect(await back[k]!.toArray()).toEqual(await v.toArray());
    }
  });

  it("a model's stateDict round-trips through a file", async () => {
    const dir = tmp();
    const path = join(dir, 'model.safetensors');
    const make = () => new wg.nn.Sequential(new wg.nn.Linear(3, 4, { device }), new wg.nn.BatchNorm1d(4, { device }));
    const a = make();
    await wg.io.saveSafetensors(a.stateDict(), path);
    const b = make();
    b.loadStateDict(await wg.io.loadSafetensors(path, { device }));
    for (const [[, p], [, q]] of [...a.namedParameters()].map((x, i) => [x, [...b.namedParameters()][i]!] as const)) {
      expect(await q.toArray()).toEqual(await p.toArray());
    }
  });
});

describe('safetensors: corrupt files and failed saves', () => {
  const good = async () => wg.io.serializeSafetensors({ a: wg.tensor([1, 2, 3], { dtype: 'float32' }), b: wg.tensor([4], { dtype: 'float32' }) });

  it('truncated data, a header longer than the file, bad JSON, unknown dtypes and gaps are clear errors', async () => {
    const bytes = await good();
    expect(() => wg.io.parseSafetensors(bytes.slice(0, bytes.length - 2))).toThrow(/not a valid safetensors file: .*(outside the|bytes after)/);
    expect(() => wg.io.parseSafetensors(bytes.slice(0, 5))).toThrow(/it is 5 bytes, shorter than the 8-byte header length/);
    const long = bytes.slice();
    new DataView(long.buffer).setBigUint64(0, 1000000n, true);
    expect(() => wg.io.parseSafetensors(long)).toThrow(/the header claims 1000000 bytes but only .* follow \(truncated\?\)/);
    const json = (h: object) => { const s = new TextEncoder().encode(JSON.stringify(h)); const b = new Uint8Array(8 + s.length + 8); new DataView(b.buffer).setBigUint64(0, BigInt(s.length), true); b.set(s, 8); return b; };
    expect(() => wg.io.parseSafetensors(json({ x: { dtype: 'F8_E4M3', shape: [8], data_offsets: [0, 8] } }))).toThrow(/'x' has dtype 'F8_E4M3'; webgrad reads F32, F64, F16, BF16, I32, I64/);
    expect(() => wg.io.parseSafetensors(json({ x: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }))).toThrow(/there is a gap of 4 bytes before 'x'/);
    expect(() => wg.io.parseSafetensors(json({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }))).toThrow(/'x' spans 8 bytes, but shape \[3\] of F32 needs 12/);
    const broken = json({});
    broken.set(new TextEncoder().encode('!'), 9); // '{!' is no JSON
    expect(() => wg.io.parseSafetensors(broken)).toThrow(/the header is not JSON/);
  });

  it('a failed save leaves the old file intact and no temporary file behind', async () => {
    const dir = tmp();
    const path = join(dir, 'ckpt.safetensors');
    writeFileSync(path, await good());
    const before = readFileSync(path);
    const gone = wg.tensor([1], { dtype: 'float32' });
    gone.dispose();
    await expect(wg.io.saveSafetensors({ w: gone }, path)).rejects.toThrow(/used after dispose/);
    expect(readFileSync(path)).toEqual(before);
    await expect(wg.io.saveSafetensors({ w: wg.ones([2]) }, join(dir, 'missing-dir', 'x.safetensors'))).rejects.toThrow(/saveSafetensors: could not write .*any previous file there is unchanged/);
    expect(readdirSync(dir)).toEqual(['ckpt.safetensors']);
    await expect(wg.io.loadSafetensors(join(dir, 'nope.safetensors'))).rejects.toThrow(/loadSafetensors: cannot read/);
  });
});
