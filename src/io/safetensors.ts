/**
 * safetensors, the format PyTorch users share weights in: an 8-byte little-endian header
 * length N, N bytes of JSON ({ name: { dtype, shape, data_offsets: [begin, end] }, and an
 * optional "__metadata__" of strings }), then the tensors' bytes, little-endian, row-major,
 * packed without gaps in the order of their offsets.
 */
import type { DeviceName } from '../kernels/backend.js';
import { tensor } from '../tensor/creation.js';
import type { DType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { nodeFs } from './platform.js';

const TO_ST: Record<DType, string> = { float32: 'F32', int32: 'I32', float64: 'F64', bool: 'BOOL' };
const FROM_ST: Record<string, [DType, number]> = { F32: ['float32', 4], I32: ['int32', 4], F64: ['float64', 8], BOOL: ['bool', 1] };

type Named = Record<string, Tensor> | Map<string, Tensor>;

/** The file's bytes for `tensors` (read back from their devices). */
export async function serializeSafetensors(tensors: Named, metadata?: Record<string, string>): Promise<Uint8Array> {
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  if (metadata) {
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') throw new Error(`saveSafetensors: metadata value '${k}' must be a string`);
    header.__metadata__ = metadata;
  }
  const datas: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of entries) {
    if (!(t instanceof Tensor)) throw new Error(`saveSafetensors: '${name}' is not a Tensor`);
    if (name === '__metadata__') throw new Error(`saveSafetensors: '__metadata__' is reserved`);
    const values = await t.data();
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice();
    // TypedArrays are little-endian on every platform webgrad runs on (x86, ARM), as the format wants.
    header[name] = { dtype: TO_ST[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + bytes.length] };
    datas.push(bytes);
    offset += bytes.length;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - (json.length % 8)) % 8; // the spec allows trailing spaces; aligned data is friendlier to readers
  if (pad) json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(pad));
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const d of datas) {
    out.set(d, at);
    at += d.length;
  }
  return out;
}

export interface LoadedSafetensors {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

/** Parses safetensors bytes, checking the header against the data: a corrupt file is a clear error. */
export function parseSafetensors(bytes: Uint8Array, options: { device?: DeviceName; name?: string } = {}): LoadedSafetensors {
  const name = options.name ?? 'safetensors data';
  const bad = (why: string) => new Error(`loadSafetensors: ${name} is not a valid safetensors file: ${why}`);
  if (bytes.length < 8) throw bad(`it is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) throw bad(`the header claims ${n} bytes but only ${bytes.length - 8} follow (truncated?)`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + Number(n))));
  } catch (e) {
    throw bad(`the header is not JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw bad('the header is not a JSON object');
  const dataStart = 8 + Number(n);
  const dataLen = bytes.length - dataStart;
  const tensors: Record<string, Tensor> = {};
  const spans: [number, number, string][] = [];
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  for (const [k, v] of Object.entries(header)) {
    if (k === '__metadata__') continue;
    const e = v as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const dt = FROM_ST[e?.dtype];
    if (!dt) throw bad(`'${k}' has dtype ${JSON.stringify(e?.dtype)}; webgrad reads F32, I32, F64 and BOOL`);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) throw bad(`'${k}' has shape ${JSON.stringify(e.shape)}`);
    const [b, end] = e.data_offsets ?? [];
    const count = e.shape.reduce((a, d) => a * d, 1);
    if (!Number.isInteger(b) || !Number.isInteger(end) || b! < 0 || end! < b! || end! > dataLen) {
      throw bad(`'${k}' has data_offsets ${JSON.stringify(e.data_offsets)} outside the ${dataLen} data bytes (truncated?)`);
    }
    if (end! - b! !== count * dt[1]) throw bad(`'${k}' spans ${end! - b!} bytes, but shape [${e.shape.join(', ')}] of ${e.dtype} needs ${count * dt[1]}`);
    spans.push([b!, end!, k]);
    const raw = bytes.slice(dataStart + b!, dataStart + end!);
    const data = dt[0] === 'float32' ? new Float32Array(raw.buffer) : dt[0] === 'int32' ? new Int32Array(raw.buffer) : dt[0] === 'float64' ? new Float64Array(raw.buffer) : raw;
    tensors[k] = tensor(data, { shape: e.shape, dtype: dt[0], device: options.device });
  }
  spans.sort((a, b) => a[0] - b[0]);
  let at = 0;
  for (const [b, end, k] of spans) {
    if (b !== at) {
      for (const t of Object.values(tensors)) t.dispose();
      throw bad(b < at ? `'${k}' overlaps the tensor before it` : `there is a gap of ${b - at} bytes before '${k}'`);
    }
    at = end;
  }
  if (at !== dataLen) {
    for (const t of Object.values(tensors)) t.dispose();
    throw bad(`${dataLen - at} bytes after the last tensor are not described by the header`);
  }
  return { tensors, metadata };
}

/**
 * Saves tensors (e.g. `model.stateDict()`) as a safetensors file (Node). The file is written
 * next to `path` under a temporary name and then renamed over it, so a failed save never
 * leaves a half-written file where the old checkpoint was.
 */
export async function saveSafetensors(tensors: Named, path: string, metadata?: Record<string, string>): Promise<void> {
  const bytes = await serializeSafetensors(tensors, metadata);
  const fs = await nodeFs('saveSafetensors');
  const tmp = `${path}.tmp-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw new Error(`saveSafetensors: could not write '${path}': ${(e as Error).message} (any previous file there is unchanged)`);
  }
}

/** Loads a safetensors file (Node) as a record of tensors on `device` (default: the default device). */
export async function loadSafetensors(path: string, options: { device?: DeviceName } = {}): Promise<Record<string, Tensor>> {
  return (await loadSafetensorsWithMetadata(path, options)).tensors;
}

export async function loadSafetensorsWithMetadata(path: string, options: { device?: DeviceName } = {}): Promise<LoadedSafetensors> {
  const fs = await nodeFs('loadSafetensors');
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await fs.readFile(path));
  } catch (e) {
    throw new Error(`loadSafetensors: cannot read '${path}': ${(e as Error).message}`);
  }
  return parseSafetensors(bytes, { ...options, name: `'${path}'` });
}
