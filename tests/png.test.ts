/** io.encodePNG / savePNG / imageGrid: PNGs decoded here with Node's zlib, CRCs checked independently. */
import { describe, expect, it } from 'vitest';
import { inflateSync, crc32 as nodeCrc32 } from 'node:zlib';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as wg from '../src/index.js';
import { DEVICES, useDevices } from './helpers.js';

useDevices();

/** Bitwise CRC-32 (no table), written independently of the encoder's. */
function crcBitwise(b: Uint8Array): number {
  let c = ~0 >>> 0;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

interface Decoded { width: number; height: number; colorType: number; bitDepth: number; pixels: number[]; chunks: string[] }

/** A minimal PNG reader for filter type 0 (what the encoder writes), checking every chunk's CRC. */
function decode(png: Uint8Array): Decoded {
  expect(Array.from(png.subarray(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let at = 8;
  const chunks: string[] = [];
  let ihdr: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  while (at < png.length) {
    const len = v.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + len);
    const crc = v.getUint32(at + 8 + len);
    expect(crc).toBe(crcBitwise(png.subarray(at + 4, at + 8 + len)));
    chunks.push(type);
    if (type === 'IHDR') ihdr = data;
    if (type === 'IDAT') idat.push(data);
    at += 12 + len;
  }
  const h = new DataView(ihdr!.buffer, ihdr!.byteOffset, 13);
  const [width, height, bitDepth, colorType] = [h.getUint32(0), h.getUint32(4), ihdr![8]!, ihdr![9]!];
  const raw = inflateSync(Buffer.concat(idat));
  const c = colorType === 2 ? 3 : 1;
  const pixels: number[] = [];
  for (let y = 0; y < height; y++) {
    expect(raw[y * (1 + width * c)]).toBe(0);
    pixels.push(...raw.subarray(y * (1 + width * c) + 1, (y + 1) * (1 + width * c)));
  }
  return { width, height, colorType, bitDepth, pixels, chunks };
}

describe('crc32', () => {
  it("matches Node's zlib.crc32 and the check value of '123456789'", () => {
    expect(wg.io.crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    const b = Uint8Array.from({ length: 1000 }, (_, i) => (i * 37) & 255);
    if (typeof nodeCrc32 === 'function') expect(wg.io.crc32(b)).toBe(nodeCrc32(b));
    expect(wg.io.crc32(b)).toBe(crcBitwise(b));
  });
});

describe.each(DEVICES)('encodePNG on %s', (device) => {
  it('a [H, W] float image is an 8-bit grayscale PNG with floor(255 v + 0.5) pixels', async () => {
    const img = wg.tensor([[0, 0.5, 1], [0.2, -1, 2]], { device });
    const d = decode(await wg.io.encodePNG(img));
    expect(d).toEqual({ width: 3, height: 2, colorType: 0, bitDepth: 8, pixels: [0, 128, 255, 51, 0, 255], chunks: ['IHDR', 'IDAT', 'IEND'] });
  });

  it('a [3, H, W] image is RGB, interleaved per pixel', async () => {
    const img = wg.tensor([[[1, 0]], [[0, 0.5]], [[0, 1]]], { device }); // 1 x 2 pixels
    const d = decode(await wg.io.encodePNG(img));
    expect([d.colorType, d.width, d.height, d.pixels]).toEqual([2, 2, 1, [255, 0, 0, 0, 128, 255]]);
  });

  it('stored deflate blocks ({ compress: false }) decode to the same pixels, past one 65535-byte block', async () => {
    wg.manualSeed(1);
    const img = wg.rand([3, 150, 200], { device }); // 90,150 bytes of rows: two stored blocks
    const a = decode(await wg.io.encodePNG(img, { compress: false }));
    const b = decode(await wg.io.encodePNG(img));
    expect(a.pixels.length).toBe(3 * 150 * 200);
    expect(a.pixels).toEqual(b.pixels);
  });
});

describe('encodePNG and savePNG', () => {
  it('a uint8 image is stored as is', async () => {
    const d = decode(await wg.io.encodePNG(wg.tensor([[7, 200]], { dtype: 'uint8', device: 'cpu' })));
    expect(d.pixels).toEqual([7, 200]);
  });

  it('savePNG writes the bytes encodePNG makes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wg-png-'));
    try {
      const img = wg.tensor([[0.25, 0.75]]);
      await wg.io.savePNG(join(dir, 'a.png'), img);
      expect(new Uint8Array(readFileSync(join(dir, 'a.png')))).toEqual(await wg.io.encodePNG(img));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a shape that is no image', async () => {
    await expect(wg.io.encodePNG(wg.zeros([2, 2, 2]))).rejects.toThrow(/^encodePNG: expected an image of shape \[H, W\], \[1, H, W\] or \[3, H, W\], got \[2, 2, 2\]/);
  });

  it('refuses an int32 image', async () => {
    await expect(wg.io.encodePNG(wg.zeros([2, 2], { dtype: 'int32' }))).rejects.toThrow(/^encodePNG: expected a float tensor .* or a uint8 one, got int32/);
  });
});

describe.each(DEVICES)('imageGrid on %s', (device) => {
  const batch = () => wg.tensor([[[[1, 2], [3, 4]]], [[[5, 6], [7, 8]]], [[[9, 10], [11, 12]]]], { device }); // [3, 1, 2, 2]

  it("lays out images as torchvision's make_grid: nrow per row, padding around, grayscale repeated to 3 channels", async () => {
    const g = wg.io.imageGrid(batch(), { nrow: 2, padding: 1, padValue: -1 });
    expect(g.shape).toEqual([3, 7, 7]); // 2 rows * (2 + 1) + 1, 2 cols * (2 + 1) + 1
    const ch = (await g.toArray() as number[][][]);
    expect(ch[0]).toEqual([
      [-1, -1, -1, -1, -1, -1, -1],
      [-1, 1, 2, -1, 5, 6, -1],
      [-1, 3, 4, -1, 7, 8, -1],
      [-1, -1, -1, -1, -1, -1, -1],
      [-1, 9, 10, -1, -1, -1, -1],
      [-1, 11, 12, -1, -1, -1, -1],
      [-1, -1, -1, -1, -1, -1, -1],
    ]);
    expect(ch[2]).toEqual(ch[0]);
  });

  it('normalize maps the min and max of the batch to 0 and 1', async () => {
    const g = wg.io.imageGrid(batch(), { nrow: 3, padding: 0, normalize: true });
    const row = (await g.toArray() as number[][][])[0]![0]!;
    row.forEach((v, i) => expect(v).toBeCloseTo([0, 1, 4, 5, 8, 9][i]! / 11, 5));
  });

  it('valueRange clamps before scaling', async () => {
    const g = wg.io.imageGrid(batch(), { nrow: 3, padding: 0, normalize: true, valueRange: [2, 4] });
    const row = (await g.toArray() as number[][][])[0]![0]!;
    row.forEach((v, i) => expect(v).toBeCloseTo([0, 0, 1, 1, 1, 1][i]!, 5));
  });

  it('scaleEach normalizes each image by its own min and max', async () => {
    const g = wg.io.imageGrid(batch(), { nrow: 3, padding: 0, normalize: true, scaleEach: true });
    const row = (await g.toArray() as number[][][])[0]![0]!;
    row.forEach((v, i) => expect(v).toBeCloseTo([0, 1 / 3, 0, 1 / 3, 0, 1 / 3][i]!, 5));
  });

  it('a batch of one is the image itself (three channels), without padding', () => {
    expect(wg.io.imageGrid(wg.zeros([1, 1, 4, 5], { device })).shape).toEqual([3, 4, 5]);
  });
});

describe('imageGrid: refusals', () => {
  it('refuses valueRange without normalize', () => {
    expect(() => wg.io.imageGrid(wg.zeros([2, 1, 2, 2]), { valueRange: [0, 1] })).toThrow(/^imageGrid: valueRange is used only with normalize: true/);
  });

  it('refuses images with 2 channels', () => {
    expect(() => wg.io.imageGrid(wg.zeros([2, 2, 2, 2]))).toThrow(/^imageGrid: expected images of shape \[B, C, H, W\] with C = 1 or 3/);
  });

  it('refuses nrow 0', () => {
    expect(() => wg.io.imageGrid(wg.zeros([2, 1, 2, 2]), { nrow: 0 })).toThrow(/^imageGrid: nrow must be/);
  });
});
