/**
 * IDX files, the format of MNIST and Fashion-MNIST: a 4-byte magic (0, 0, type, rank), rank
 * big-endian u32 dimension sizes, then the values big-endian. Plain or gzipped.
 */
import { tensor } from '../tensor/creation.js';
import type { DeviceName } from '../kernels/backend.js';
import type { Tensor } from '../tensor/tensor.js';
import { gunzip, isGzip, nodeFs } from './platform.js';
import { checkBoolean, checkChoice, checkNumber, checkOptions, describe } from '../core/options.js';
import { DEVICE_NAMES } from '../core/device.js';

export interface IdxData {
  shape: number[];
  /** The values as stored (u8 and i8 widened to Int32Array for int types; floats as Float32Array/Float64Array). */
  data: Uint8Array | Int32Array | Float32Array | Float64Array;
  type: 'u8' | 'i8' | 'i16' | 'i32' | 'f32' | 'f64';
}

const TYPES: Record<number, [IdxData['type'], number]> = { 0x08: ['u8', 1], 0x09: ['i8', 1], 0x0b: ['i16', 2], 0x0c: ['i32', 4], 0x0d: ['f32', 4], 0x0e: ['f64', 8] };

/** Parses IDX bytes (gunzip them first if gzipped: see readIdx). */
export function parseIdx(bytes: Uint8Array, name = 'IDX data'): IdxData {
  if (!(bytes instanceof Uint8Array)) throw new Error(`parseIdx: expected the file's bytes as a Uint8Array, got ${describe(bytes)}`);
  if (typeof name !== 'string') throw new Error(`parseIdx: name (used in messages) must be a string, got ${describe(name)}`);
  if (bytes.length < 4) throw new Error(`parseIdx: ${name} is ${bytes.length} bytes, too short for an IDX header`);
  if (bytes[0] !== 0 || bytes[1] !== 0 || !TYPES[bytes[2]!]) {
    throw new Error(`parseIdx: ${name} does not start with an IDX magic number (got ${[...bytes.slice(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')})`);
  }
  const [type, size] = TYPES[bytes[2]!]!;
  const rank = bytes[3]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 + 4 * rank) throw new Error(`parseIdx: ${name} is truncated inside its header (rank ${rank})`);
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const n = shape.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * rank;
  if (bytes.length < start + n * size) {
    throw new Error(`parseIdx: ${name} is truncated: shape [${shape.join(', ')}] needs ${start + n * size} bytes, the file has ${bytes.length}`);
  }
  let data: IdxData['data'];
  switch (type) {
    case 'u8': data = bytes.slice(start, start + n); break;
    case 'i8': data = Int32Array.from({ length: n }, (_, i) => view.getInt8(start + i)); break;
    case 'i16': data = Int32Array.from({ length: n }, (_, i) => view.getInt16(start + 2 * i, false)); break;
    case 'i32': data = Int32Array.from({ length: n }, (_, i) => view.getInt32(start + 4 * i, false)); break;
    case 'f32': data = Float32Array.from({ length: n }, (_, i) => view.getFloat32(start + 4 * i, false)); break;
    case 'f64': data = Float64Array.from({ length: n }, (_, i) => view.getFloat64(start + 8 * i, false)); break;
  }
  return { shape, data, type };
}

/** The bytes of an IDX file's header and its first `limit` items along dim 0, once `head` holds the header; else undefined. */
function idxPrefixBytes(head: Uint8Array, limit: number): number | undefined {
  if (head.length < 4) return undefined;
  const rank = head[3]!;
  const size = TYPES[head[2]!]?.[1];
  if (size === undefined || rank === 0) return Infinity; // not an IDX header, or a scalar: parseIdx says what is wrong
  if (head.length < 4 + 4 * rank) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let item = size;
  for (let i = 1; i < rank; i++) item *= view.getUint32(4 + 4 * i, false);
  return 4 + 4 * rank + Math.min(view.getUint32(4, false), limit) * item;
}

/**
 * Reads an IDX file (plain or .gz) from a path (Node) or bytes. `limit` keeps only the first
 * `limit` items along the first dim, and a gzipped file is then decompressed only that far
 * (Fashion-MNIST's 6,000 training images of the demo: about 40 ms instead of 600).
 */
export async function readIdx(source: string | Uint8Array, options: { limit?: number } = {}): Promise<IdxData> {
  let bytes: Uint8Array;
  let name = 'IDX data';
  if (typeof source !== 'string' && !(source instanceof Uint8Array)) throw new Error(`readIdx: expected a path or a Uint8Array of the file's bytes, got ${describe(source)}`);
  checkOptions('readIdx', options, ['limit']);
  const limit = options.limit;
  if (limit !== undefined) checkNumber('readIdx', 'limit', limit, { int: true, min: 0 });
  if (typeof source === 'string') {
    const fs = await nodeFs('readIdx');
    name = source;
    try {
      bytes = new Uint8Array(await fs.readFile(source));
    } catch (e) {
      throw new Error(`readIdx: cannot read '${source}': ${(e as Error).message}`);
    }
  } else bytes = source;
  if (isGzip(bytes)) {
    try {
      bytes = await gunzip(bytes, limit === undefined ? undefined : (head) => idxPrefixBytes(head, limit));
    } catch (e) {
      throw new Error(`readIdx: ${name} looks gzipped but does not decompress: ${(e as Error).message}`);
    }
  }
  if (limit === undefined) return parseIdx(bytes, name);
  // Parse the header and the first `limit` items only: the header's first dim says how many.
  const want = idxPrefixBytes(bytes, limit);
  if (want === undefined || want === Infinity || bytes.length < want) return parseIdx(bytes, name); // its own error
  const head = bytes.slice(0, want);
  const first = new DataView(bytes.buffer, bytes.byteOffset, 8).getUint32(4, false);
  new DataView(head.buffer).setUint32(4, Math.min(first, limit), false);
  return parseIdx(head, name);
}

/** An IDX file as a tensor: u8 images become float32 (scaled by 1/255 when `scale`), ints int32. */
export function idxToTensor(d: IdxData, options: { device?: DeviceName; scale?: boolean } = {}): Tensor {
  checkOptions('idxToTensor', options, ['device', 'scale']);
  if (options.scale !== undefined) checkBoolean('idxToTensor', 'scale', options.scale);
  if (options.device !== undefined) checkChoice('idxToTensor', 'device', options.device, DEVICE_NAMES);
  if (d === null || typeof d !== 'object' || !Array.isArray(d.shape) || !d.data) throw new Error(`idxToTensor: expected the { shape, data, type } of parseIdx or readIdx, got ${describe(d)}`);
  if (d.type === 'u8' && options.scale !== false) {
    const f = new Float32Array(d.data.length);
    for (let i = 0; i < f.length; i++) f[i] = d.data[i]! / 255;
    return tensor(f, { shape: d.shape, device: options.device });
  }
  const data = d.data instanceof Uint8Array ? Int32Array.from(d.data) : d.data;
  return tensor(data, { shape: d.shape, device: options.device });
}
