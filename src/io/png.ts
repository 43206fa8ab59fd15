/**
 * PNG images from tensors, and a grid of images (torchvision's make_grid and save_image).
 *
 * encodePNG writes 8-bit grayscale (colour type 0) or RGB (colour type 2) PNGs: the signature,
 * IHDR, one IDAT holding a zlib stream of the rows (filter byte 0 each), IEND, every chunk with
 * its CRC-32. The zlib stream is compressed with the standard CompressionStream('deflate')
 * (Node 18+ and current browsers) when it exists; otherwise, or with `{ compress: false }`, it
 * is made of stored (uncompressed) deflate blocks, which every PNG reader accepts.
 */
import { Tensor } from '../tensor/tensor.js';
import { full } from '../tensor/creation.js';
import { stack, cat } from '../tensor/ops/indexing.js';
import { tidy } from '../tensor/memory.js';
import { noGrad } from '../autograd/mode.js';
import { checkBoolean, checkNumber, checkOptions, describe } from '../core/options.js';
import { nodeFs } from './platform.js';

export interface PNGOptions {
  /** Deflate-compress the pixels (default true, where CompressionStream exists); false: stored blocks. */
  compress?: boolean;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO 3309, the one PNG and zlib's crc32 use) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < bytes.length; i += 5552) {
    const end = Math.min(i + 5552, bytes.length);
    for (let j = i; j < end; j++) {
      a += bytes[j]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** A zlib stream of stored deflate blocks (no compression): valid everywhere, needs no library. */
function zlibStored(data: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(data.length / 65535));
  const out = new Uint8Array(2 + blocks * 5 + data.length + 4);
  out[0] = 0x78; // deflate, 32 KiB window
  out[1] = 0x01; // no preset dictionary, fastest; (0x78 * 256 + 0x01) % 31 === 0
  let at = 2;
  for (let b = 0; b < blocks; b++) {
    const chunk = data.subarray(b * 65535, Math.min((b + 1) * 65535, data.length));
    out[at] = b === blocks - 1 ? 1 : 0; // BFINAL, BTYPE = 00 (stored)
    out[at + 1] = chunk.length & 0xff;
    out[at + 2] = chunk.length >>> 8;
    out[at + 3] = ~chunk.length & 0xff;
    out[at + 4] = (~chunk.length >>> 8) & 0xff;
    out.set(chunk, at + 5);
    at += 5 + chunk.length;
  }
  new DataView(out.buffer).setUint32(at, adler32(data));
  return out;
}

async function zlib(data: Uint8Array, compress: boolean): Promise<Uint8Array> {
  const CS = (globalThis as { CompressionStream?: new (format: string) => TransformStream<Uint8Array, Uint8Array> }).CompressionStream;
  if (!compress || !CS) return zlibStored(data);
  const stream = new Blob([data as BlobPart]).stream().pipeThrough(new CS('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  v.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * The bytes of a PNG of `image`: shape [H, W] or [1, H, W] (grayscale) or [3, H, W] (RGB,
 * channels first as torchvision). A float tensor holds values in [0, 1], stored as
 * floor(255 v + 0.5) clamped to [0, 255] (torchvision's save_image); a uint8 tensor is stored as
 * is. Async: it reads the tensor, which may be on webgpu.
 */
export async function encodePNG(image: Tensor, options?: PNGOptions): Promise<Uint8Array> {
  const op = 'encodePNG';
  if (!(image instanceof Tensor)) throw new Error(`${op}: expected a Tensor image, got ${describe(image)}`);
  checkOptions(op, options, ['compress']);
  const compress = options?.compress === undefined ? true : checkBoolean(op, 'compress', options.compress);
  const s = image.shape;
  const ok = s.length === 2 || (s.length === 3 && (s[0] === 1 || s[0] === 3));
  if (!ok) throw new Error(`${op}: expected an image of shape [H, W], [1, H, W] or [3, H, W], got [${s.join(', ')}]`);
  if (image.dtype !== 'float32' && image.dtype !== 'float64' && image.dtype !== 'uint8') {
    throw new Error(`${op}: expected a float tensor (values in [0, 1]) or a uint8 one, got ${image.dtype}`);
  }
  const [c, h, w] = s.length === 2 ? [1, s[0]!, s[1]!] : [s[0]!, s[1]!, s[2]!];
  if (h === 0 || w === 0) throw new Error(`${op}: a PNG needs at least one pixel, got shape [${s.join(', ')}]`);
  const v = await image.data();
  const isFloatImage = image.dtype !== 'uint8';
  const raw = new Uint8Array(h * (1 + w * c));
  for (let y = 0; y < h; y++) {
    const row = y * (1 + w * c); // raw[row] = 0: filter type None
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < c; k++) {
        const e = v[k * h * w + y * w + x]!;
        raw[row + 1 + x * c + k] = isFloatImage ? (e !== e ? 0 : Math.max(0, Math.min(255, Math.floor(e * 255 + 0.5)))) : e;
      }
    }
  }
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, w);
  dv.setUint32(4, h);
  ihdr[8] = 8; // bit depth
  ihdr[9] = c === 1 ? 0 : 2; // grayscale or RGB
  // compression 0 (deflate), filter method 0, no interlace: ihdr[10..12] = 0
  const parts = [new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', await zlib(raw, compress)), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Writes `image` as a PNG file (Node). See encodePNG for the shapes and values taken. */
export async function savePNG(path: string, image: Tensor, options?: PNGOptions): Promise<void> {
  const op = 'savePNG';
  if (typeof path !== 'string' || path === '') throw new Error(`${op}: path must be a non-empty string, got ${describe(path)}`);
  const bytes = await encodePNG(image, options);
  const fs = await nodeFs(op);
  await fs.writeFile(path, bytes);
}

export interface ImageGridOptions {
  /** Images per row (default 8). */
  nrow?: number;
  /** Pixels between and around the images (default 2). */
  padding?: number;
  /** Shift the values to [0, 1] by their min and max, or by `valueRange` (default false). */
  normalize?: boolean;
  /** [low, high] for `normalize`: values are clamped to it first (default: the images' own min and max). */
  valueRange?: readonly [number, number];
  /** With `normalize`, each image by its own min and max (default false). */
  scaleEach?: boolean;
  /** The value of the padding (default 0). */
  padValue?: number;
}

/**
 * A grid of images, as torchvision's make_grid: `images` is [B, C, H, W] (or a list of
 * [C, H, W]), C = 1 or 3; one-channel images are repeated into three channels; the result is
 * [3, rows * (H + padding) + padding, cols * (W + padding) + padding], on the images' device,
 * with cols = min(nrow, B). As torchvision: a [C, H, W] or [H, W] tensor is one image, and a
 * batch of one is returned without padding.
 */
export function imageGrid(images: Tensor | readonly Tensor[], options?: ImageGridOptions): Tensor {
  const op = 'imageGrid';
  checkOptions(op, options, ['nrow', 'padding', 'normalize', 'valueRange', 'scaleEach', 'padValue']);
  const o = options ?? {};
  const nrow = o.nrow === undefined ? 8 : checkNumber(op, 'nrow', o.nrow, { int: true, min: 1 });
  const padding = o.padding === undefined ? 2 : checkNumber(op, 'padding', o.padding, { int: true, min: 0 });
  const normalize = o.normalize === undefined ? false : checkBoolean(op, 'normalize', o.normalize);
  const scaleEach = o.scaleEach === undefined ? false : checkBoolean(op, 'scaleEach', o.scaleEach);
  const padValue = o.padValue === undefined ? 0 : checkNumber(op, 'padValue', o.padValue);
  let range: [number, number] | undefined;
  if (o.valueRange !== undefined) {
    const r = o.valueRange;
    if (!Array.isArray(r) || r.length !== 2 || !r.every((x) => typeof x === 'number' && Number.isFinite(x)) || !(r[0]! < r[1]!)) {
      throw new Error(`${op}: valueRange must be [low, high] with low < high, got ${describe(r)}`);
    }
    if (!normalize) throw new Error(`${op}: valueRange is used only with normalize: true`);
    range = [r[0]!, r[1]!];
  }
  if (!(images instanceof Tensor) && !(Array.isArray(images) && images.length > 0 && images.every((t) => t instanceof Tensor))) {
    throw new Error(`${op}: expected a Tensor [B, C, H, W] or a non-empty array of [C, H, W] tensors, got ${describe(images)}`);
  }
  return noGrad(() => tidy(() => {
    let x = images instanceof Tensor ? images : stack(images as Tensor[], 0);
    if (x.ndim === 2) x = x.unsqueeze(0);
    if (x.ndim === 3) x = x.unsqueeze(0);
    if (x.ndim !== 4 || (x.shape[1] !== 1 && x.shape[1] !== 3)) {
      throw new Error(`${op}: expected images of shape [B, C, H, W] with C = 1 or 3 (or [C, H, W], [H, W]), got [${(images instanceof Tensor ? images.shape : x.shape).join(', ')}]`);
    }
    if (x.dtype !== 'float32' && x.dtype !== 'float64') x = x.cast('float32');
    if (x.shape[1] === 1) x = cat([x, x, x], 1);
    if (normalize) {
      const dims = scaleEach ? [1, 2, 3] : [0, 1, 2, 3];
      const lo = range ? range[0] : x.amin(dims, true);
      const hi = range ? range[1] : x.amax(dims, true);
      x = x.clamp(lo, hi);
      const span = typeof hi === 'number' ? Math.max(hi - (lo as number), 1e-5) : hi.sub(lo).clamp(1e-5);
      x = x.sub(lo).div(span);
    }
    const [b, , h, w] = x.shape as [number, number, number, number];
    if (b === 1) return x.squeeze(0).contiguous();
    const cols = Math.min(nrow, b);
    const rows = Math.ceil(b / cols);
    const [H, W] = [h + padding, w + padding];
    const grid = full([3, rows * H + padding, cols * W + padding], padValue, { dtype: x.dtype, device: x.device });
    for (let k = 0; k < b; k++) {
      const [r, c] = [Math.floor(k / cols), k % cols];
      grid.narrow(1, r * H + padding, h).narrow(2, c * W + padding, w).copy_(x.select(0, k));
    }
    return grid;
  }));
}
