/**
 * safetensors, the format PyTorch users share weights in: an 8-byte little-endian header
 * length N, N bytes of JSON ({ name: { dtype, shape, data_offsets: [begin, end] }, and an
 * optional "__metadata__" of strings }), then the tensors' bytes, little-endian, row-major,
 * packed without gaps in the order of their offsets.
 *
 * Reading is strict, because a checkpoint is often someone else's file: every header field is
 * checked against the data before any tensor is made, and anything the reference reader
 * (huggingface/safetensors) would refuse, or that JSON.parse would silently resolve (duplicate
 * keys keep the last), is an error naming `loadSafetensors`, the file, the tensor and what was
 * expected. Writing produces what that reader expects: dtype names F32/F16/I32/F64/BOOL/I8/U8, the
 * header padded with spaces to a multiple of 8 bytes, offsets packed from 0 in key order.
 */
import type { DeviceName } from '../kernels/backend.js';
import { checkChoice, checkOptions, describe as describeValue } from '../core/options.js';
import { getBackend, getDefaultDevice, isDeviceName } from '../runtime.js';
import { tensor } from '../tensor/creation.js';
import type { DType, TypedArray } from '../core/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { halfBits, widenHalf } from '../core/half.js';
import { currentPid, nodeFs, pidAlive, type Fs } from './platform.js';

const TO_ST: Record<DType, string> = { float32: 'F32', float16: 'F16', int32: 'I32', float64: 'F64', bool: 'BOOL', int8: 'I8', uint8: 'U8' };

/**
 * The dtypes read, their byte size and what they become. I8 and U8 stay int8 and uint8 where the
 * device stores them (cpu), else widen to int32 (exact); the other integer types widen to int32
 * (exact; I64/U32/U64 values outside int32 are an error naming the tensor). F16 loads as float16
 * (as in PyTorch), or as float32 with { float16: 'float32' }; BF16, which webgrad has no dtype
 * for, as float32 (exact: every bfloat16 value is a float32, as `.float()` gives in PyTorch).
 */
const FROM_ST: Record<string, { size: number; dtype: DType }> = {
  F32: { size: 4, dtype: 'float32' },
  F64: { size: 8, dtype: 'float64' },
  F16: { size: 2, dtype: 'float16' },
  BF16: { size: 2, dtype: 'float32' },
  I32: { size: 4, dtype: 'int32' },
  I64: { size: 8, dtype: 'int32' },
  U32: { size: 4, dtype: 'int32' },
  U64: { size: 8, dtype: 'int32' },
  I16: { size: 2, dtype: 'int32' },
  U16: { size: 2, dtype: 'int32' },
  I8: { size: 1, dtype: 'int8' },
  U8: { size: 1, dtype: 'uint8' },
  BOOL: { size: 1, dtype: 'bool' },
};
const READ_DTYPES = Object.keys(FROM_ST).join(', ');

/** The largest header read (the reference reader's limit too): a bigger one is refused unread. */
export const MAX_HEADER_BYTES = 100_000_000;
/** The deepest JSON nesting read; a valid header nests 3 deep ({ name: { shape: [...] } }). */
export const MAX_HEADER_DEPTH = 16;

type Named = Record<string, Tensor> | Map<string, Tensor>;

function isPlainRecord(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

function entriesOf(op: string, tensors: unknown): [string, unknown][] {
  if (tensors instanceof Map) return [...tensors];
  if (isPlainRecord(tensors)) return Object.entries(tensors);
  throw new Error(`${op}: tensors must be a record or Map of name to Tensor (e.g. model.stateDict()), got ${describeValue(tensors)}`);
}

function checkMetadata(op: string, metadata: unknown): [string, string][] {
  if (metadata === undefined) return [];
  if (!isPlainRecord(metadata)) throw new Error(`${op}: metadata must be a record of strings, got ${describeValue(metadata)}`);
  const out = Object.entries(metadata);
  for (const [k, v] of out) if (typeof v !== 'string') throw new Error(`${op}: metadata value '${k}' must be a string, got ${describeValue(v)}`);
  return out as [string, string][];
}

/** The file's bytes for `tensors` (read back from their devices). */
export async function serializeSafetensors(tensors: Named, metadata?: Record<string, string>): Promise<Uint8Array> {
  return serialize('serializeSafetensors', tensors, metadata);
}

async function serialize(op: string, tensors: unknown, metadata: unknown): Promise<Uint8Array> {
  const entries = entriesOf(op, tensors);
  const meta = checkMetadata(op, metadata);
  // Built by hand, not through an object: a tensor named '__proto__' stays an ordinary key.
  const parts: string[] = [];
  if (meta.length) parts.push(`"__metadata__":{${meta.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  const seen = new Set<string>();
  for (const [name, t] of entries) {
    if (!(t instanceof Tensor)) throw new Error(`${op}: '${name}' is not a Tensor (got ${describeValue(t)})`);
    if (name === '__metadata__') throw new Error(`${op}: the name '__metadata__' is reserved by the format; rename the tensor`);
    if (seen.has(name)) throw new Error(`${op}: the name '${name}' appears twice`);
    seen.add(name);
  }
  const datas: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of entries as [string, Tensor][]) {
    const values = await t.data();
    // float16 reads as its values (a Float32Array); the file holds its 16-bit words.
    const stored = t.dtype === 'float16' ? Uint16Array.from(values as Float32Array, halfBits) : values;
    const bytes = new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength).slice();
    // TypedArrays are little-endian on every platform webgrad runs on (x86, ARM), as the format wants.
    parts.push(`${JSON.stringify(name)}:{"dtype":"${TO_ST[t.dtype]}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${offset + bytes.length}]}`);
    datas.push(bytes);
    offset += bytes.length;
  }
  const text = `{${parts.join(',')}}`;
  let json = new TextEncoder().encode(text);
  // The reference writer pads with spaces so the data starts 8-byte aligned; readers accept it.
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = new TextEncoder().encode(text + ' '.repeat(pad));
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
  /** The tensors by name, in a record without a prototype (a tensor may be named '__proto__'). */
  tensors: Record<string, Tensor>;
  /** The `__metadata__` strings (empty when the file has none), also prototype-free. */
  metadata: Record<string, string>;
}

export interface LoadOptions {
  /** Where the tensors go (default: the default device). */
  device?: DeviceName;
  /**
   * What F64 tensors become. 'keep' (default): float64, which only the cpu backend stores, so
   * loading one onto webgpu is an error that says to pass 'float32'. 'float32': converted
   * (rounded to the nearest float32), on any device.
   */
  float64?: 'keep' | 'float32';
  /** What F16 tensors become. 'keep' (default): float16. 'float32': widened (exact), as `.float()` gives. */
  float16?: 'keep' | 'float32';
}

export interface ParseOptions extends LoadOptions {
  /** How messages name the data (default 'safetensors data'). */
  name?: string;
}

const LOAD_KEYS = ['device', 'float64', 'float16'] as const;

function checkLoadOptions(op: string, options: unknown, extra: readonly string[] = []): ParseOptions {
  const o = checkOptions(op, options as ParseOptions | undefined, [...LOAD_KEYS, ...extra]) ?? {};
  if (o.device !== undefined && !isDeviceName(o.device)) throw new Error(`${op}: device must be one of 'cpu', 'webgpu', 'wasm', got ${describeValue(o.device)}`);
  if (o.float64 !== undefined) checkChoice(op, 'float64', o.float64, ['keep', 'float32']);
  if (o.float16 !== undefined) checkChoice(op, 'float16', o.float16, ['keep', 'float32']);
  if (o.name !== undefined && typeof o.name !== 'string') throw new Error(`${op}: name must be a string, got ${describeValue(o.name)}`);
  return o;
}

/**
 * Scans the header text once before JSON.parse: refuses nesting deeper than MAX_HEADER_DEPTH
 * (JSON.parse recurses, and a crafted header of brackets would exhaust the stack) and any
 * object with a key twice (JSON.parse silently keeps the last, so two readers could disagree
 * on what the file holds). Keys are compared decoded, so "a" and "\u0061" are the same key.
 */
function scanHeader(text: string, bad: (why: string) => Error): void {
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) return; // unterminated: JSON.parse reports it
      const top = stack[stack.length - 1];
      if (expectKey && top) {
        let key: string;
        try {
          key = JSON.parse(text.slice(i, j + 1)) as string;
        } catch {
          return; // a bad escape: JSON.parse reports it
        }
        if (top.has(key)) throw bad(`the key ${JSON.stringify(key)} appears twice in one object of the header (JSON.parse would keep the last silently)`);
        top.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      if (stack.length >= MAX_HEADER_DEPTH) throw bad(`the header nests deeper than ${MAX_HEADER_DEPTH} levels (a valid header nests 3)`);
      stack.push(c === '{' ? new Set() : null);
      expectKey = c === '{';
    } else if (c === '}' || c === ']') {
      stack.pop();
      expectKey = false;
    } else if (c === ',') {
      expectKey = stack[stack.length - 1] != null;
    }
  }
}


interface Entry {
  name: string;
  st: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

/** Decodes one tensor's bytes (validated to be count * size long) into the host array it loads as. */
function decode(e: Entry, raw: Uint8Array, toF32: boolean, keepBytes: boolean, bad: (why: string) => Error): TypedArray {
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const n = raw.length / FROM_ST[e.st]!.size;
  const outOfRange = (i: number, x: bigint | number) =>
    bad(`'${e.name}' (${e.st}) holds ${x} at element ${i}, outside int32 (webgrad's integer dtype): it cannot be loaded exactly`);
  switch (e.st) {
    case 'F32': return new Float32Array(raw.slice().buffer);
    case 'F64': return toF32 ? Float32Array.from(new Float64Array(raw.slice().buffer)) : new Float64Array(raw.slice().buffer);
    case 'I32': return new Int32Array(raw.slice().buffer);
    case 'F16': {
      const out = new Float32Array(n);
      widenHalf(new Uint16Array(raw.slice().buffer), out);
      return out;
    }
    case 'BF16': {
      const out = new Uint32Array(n);
      for (let i = 0; i < n; i++) out[i] = v.getUint16(2 * i, true) << 16;
      return new Float32Array(out.buffer);
    }
    case 'I64': case 'U64': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const x = e.st === 'I64' ? v.getBigInt64(8 * i, true) : v.getBigUint64(8 * i, true);
        if (x < -2147483648n || x > 2147483647n) throw outOfRange(i, x);
        out[i] = Number(x);
      }
      return out;
    }
    case 'U32': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const x = v.getUint32(4 * i, true);
        if (x > 2147483647) throw outOfRange(i, x);
        out[i] = x;
      }
      return out;
    }
    case 'I16': return Int32Array.from({ length: n }, (_, i) => v.getInt16(2 * i, true));
    case 'U16': return Int32Array.from({ length: n }, (_, i) => v.getUint16(2 * i, true));
    case 'I8': return keepBytes ? new Int8Array(raw.slice().buffer) : Int32Array.from({ length: n }, (_, i) => v.getInt8(i));
    case 'U8': return keepBytes ? raw.slice() : Int32Array.from(raw);
    case 'BOOL': {
      const i = raw.findIndex((b) => b > 1);
      if (i >= 0) throw bad(`'${e.name}' (BOOL) holds the byte ${raw[i]} at element ${i}; BOOL bytes must be 0 or 1`);
      return raw.slice();
    }
  }
  throw bad(`'${e.name}' has dtype ${e.st}`); // unreachable: FROM_ST was checked
}

/**
 * Parses safetensors bytes, checking the header against the data: a corrupt or hostile file is
 * a clear error, and nothing is uploaded unless the whole file is valid.
 */
export function parseSafetensors(bytes: Uint8Array, options?: ParseOptions): LoadedSafetensors {
  const o = checkLoadOptions('parseSafetensors', options, ['name']);
  if (!(bytes instanceof Uint8Array)) throw new Error(`parseSafetensors: bytes must be a Uint8Array, got ${describeValue(bytes)}`);
  return parse('parseSafetensors', bytes, o, o.name ?? 'safetensors data');
}

function parse(op: string, bytes: Uint8Array, o: LoadOptions, name: string): LoadedSafetensors {
  const bad = (why: string) => new Error(`${op}: ${name} is not a valid safetensors file: ${why}`);
  if (bytes.length < 8) throw bad(`it is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) throw bad(`the header length is ${n} bytes, over the ${MAX_HEADER_BYTES}-byte limit`);
  if (n > BigInt(bytes.length - 8)) throw bad(`the header claims ${n} bytes but only ${bytes.length - 8} follow (truncated?)`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + Number(n)));
  } catch {
    throw bad('the header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw bad(`the header must start with '{', it starts with ${JSON.stringify(text.slice(0, 8))}`);
  scanHeader(text, bad);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw bad(`the header is not JSON (${(e as Error).message})`);
  }
  if (!isPlainRecord(header)) throw bad('the header is not a JSON object');
  const dataStart = 8 + Number(n);
  const dataLen = bytes.length - dataStart;
  const metadata = Object.create(null) as Record<string, string>;
  const entries: Entry[] = [];
  for (const [k, v] of Object.entries(header)) {
    if (k === '__metadata__') {
      if (!isPlainRecord(v)) throw bad(`__metadata__ must be an object of strings, got ${describeValue(v)}`);
      for (const [mk, mv] of Object.entries(v)) {
        if (typeof mv !== 'string') throw bad(`__metadata__ value '${mk}' must be a string, got ${describeValue(mv)}`);
        metadata[mk] = mv;
      }
      continue;
    }
    if (!isPlainRecord(v)) throw bad(`'${k}' must be an object { dtype, shape, data_offsets }, got ${describeValue(v)}`);
    const extra = Object.keys(v).find((f) => f !== 'dtype' && f !== 'shape' && f !== 'data_offsets');
    if (extra !== undefined) throw bad(`'${k}' has the field '${extra}'; a tensor has only dtype, shape and data_offsets`);
    const st = v.dtype;
    if (typeof st !== 'string' || !Object.hasOwn(FROM_ST, st)) throw bad(`'${k}' has dtype ${describeValue(st)}; webgrad reads ${READ_DTYPES}`);
    const shape = v.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw bad(`'${k}' has shape ${JSON.stringify(shape)}; expected an array of integers >= 0`);
    }
    const offs = v.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((x) => Number.isSafeInteger(x) && x >= 0)) {
      throw bad(`'${k}' has data_offsets ${JSON.stringify(offs)}; expected [begin, end], integers >= 0`);
    }
    const [begin, end] = offs as [number, number];
    if (end < begin) throw bad(`'${k}' has data_offsets [${begin}, ${end}]: the end is before the begin`);
    if (end > dataLen) throw bad(`'${k}' has data_offsets [${begin}, ${end}] outside the ${dataLen} data bytes (truncated?)`);
    const { size, dtype } = FROM_ST[st]!;
    const count = (shape as number[]).reduce((a, d) => a * d, 1);
    if (end - begin !== count * size) throw bad(`'${k}' spans ${end - begin} bytes, but shape [${shape.join(', ')}] of ${st} needs ${count * size}`);
    entries.push({ name: k, st, dtype, shape: shape as number[], begin, end });
  }
  // As the reference reader: sorted by (begin, end), each tensor starts where the one before
  // ended. Empty tensors sort before a non-empty one at the same offset, so they may sit at any
  // tensor boundary, whatever their place in the header.
  const spans = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let prev: Entry | undefined;
  for (const e of spans) {
    if (e.begin < at) throw bad(`'${e.name}' (bytes ${e.begin}-${e.end}) overlaps '${prev!.name}' (bytes ${prev!.begin}-${prev!.end})`);
    if (e.begin > at) throw bad(`there is a gap of ${e.begin - at} bytes before '${e.name}'`);
    at = e.end;
    prev = e;
  }
  if (at !== dataLen) throw bad(`${dataLen - at} bytes after the last tensor are not described by the header`);
  const device = o.device ?? getDefaultDevice();
  const toF32 = o.float64 === 'float32';
  if (!toF32 && !getBackend(device).supports('float64')) {
    const f64 = entries.find((e) => e.st === 'F64');
    if (f64) throw new Error(`${op}: ${name}: '${f64.name}' is F64, which ${device} does not store; pass { float64: 'float32' } to convert, or load it on 'cpu'`);
  }
  // Everything is decoded (and value-checked) before the first upload: a refusal leaks nothing.
  const keepBytes = getBackend(device).supports('int8');
  const decoded = entries.map((e) => decode(e, bytes.subarray(dataStart + e.begin, dataStart + e.end), toF32, keepBytes, bad));
  const tensors = Object.create(null) as Record<string, Tensor>;
  entries.forEach((e, i) => {
    const data = decoded[i]!;
    const dtype: DType = e.st === 'F16' && o.float16 !== 'float32' ? 'float16' : data instanceof Float32Array ? 'float32' : data instanceof Int32Array ? 'int32' : e.dtype;
    tensors[e.name] = tensor(data, { shape: e.shape, dtype, device });
  });
  return { tensors, metadata };
}

const TMP_MARK = '.webgrad-tmp-';

function splitPath(path: string): { dir: string; base: string } {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i < 0 ? { dir: '.', base: path } : { dir: path.slice(0, i) || '/', base: path.slice(i + 1) };
}

/** Temporary files of saves in flight in this process (not stale, whatever their pid says). */
const inFlight = new Set<string>();

/**
 * Removes `<base>.webgrad-tmp-<pid>-<random>` files next to `path` left by saves that were
 * killed: those of a process no longer running, or of this process but no save in flight.
 */
async function removeStale(fs: Fs, dir: string, base: string): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return; // the write below reports an unreadable directory
  }
  const me = currentPid();
  for (const f of names) {
    if (!f.startsWith(base + TMP_MARK)) continue;
    const pid = Number(f.slice(base.length + TMP_MARK.length).split('-')[0]);
    const full = `${dir}/${f}`;
    const stale = pid === me ? !inFlight.has(full) : !pidAlive(pid);
    if (stale) await fs.rm(full, { force: true }).catch(() => undefined);
  }
}

/** fsync of a directory, so a rename in it survives a power cut; some platforms refuse it. */
async function syncDir(fs: Fs, dir: string): Promise<void> {
  let h: Awaited<ReturnType<Fs['open']>> | undefined;
  try {
    h = await fs.open(dir, 'r');
    await h.sync();
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (!['EINVAL', 'EISDIR', 'EPERM', 'EACCES', 'EBADF', 'ENOTSUP', 'EOPNOTSUPP'].includes(code ?? '')) throw e;
  } finally {
    await h?.close().catch(() => undefined);
  }
}

/**
 * Saves tensors (e.g. `model.stateDict()`) as a safetensors file (Node). Crash-safe: the bytes
 * go to `<path>.webgrad-tmp-<pid>-<random>`, which is fsynced, then renamed over `path`, then
 * the directory is fsynced. A save that fails or is killed at any moment leaves the previous
 * file at `path` intact; temporary files of killed saves are removed by the next save to the
 * same path.
 */
export async function saveSafetensors(tensors: Named, path: string, metadata?: Record<string, string>): Promise<void> {
  const op = 'saveSafetensors';
  if (typeof path !== 'string' || path === '') throw new Error(`${op}: path must be a non-empty string, got ${describeValue(path)}`);
  const { dir, base } = splitPath(path);
  if (base === '' || base === '.' || base === '..') throw new Error(`${op}: path '${path}' names a directory; expected a file path`);
  const bytes = await serialize(op, tensors, metadata);
  const fs = await nodeFs(op);
  await removeStale(fs, dir, base);
  const tmp = `${dir}/${base}${TMP_MARK}${currentPid()}-${Math.random().toString(36).slice(2, 10)}`;
  inFlight.add(tmp);
  let h: Awaited<ReturnType<Fs['open']>> | undefined;
  try {
    h = await fs.open(tmp, 'wx');
    let at = 0;
    while (at < bytes.length) {
      const { bytesWritten } = await h.write(bytes, at, bytes.length - at, at);
      if (!(bytesWritten > 0)) throw new Error(`wrote ${bytesWritten} bytes at offset ${at}`);
      at += bytesWritten;
    }
    await h.sync();
    await h.close();
    h = undefined;
    await fs.rename(tmp, path);
  } catch (e) {
    await h?.close().catch(() => undefined);
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw new Error(`${op}: could not write '${path}': ${(e as Error).message} (any previous file there is unchanged)`);
  } finally {
    inFlight.delete(tmp);
  }
  try {
    await syncDir(fs, dir);
  } catch (e) {
    throw new Error(`${op}: wrote '${path}', but could not flush its directory to disk: ${(e as Error).message}`);
  }
}

function checkPath(op: string, path: unknown): string {
  if (typeof path !== 'string' || path === '') throw new Error(`${op}: path must be a non-empty string, got ${describeValue(path)}`);
  return path;
}

/** Loads a safetensors file (Node) as a record of tensors on `device` (default: the default device). */
export async function loadSafetensors(path: string, options?: LoadOptions): Promise<Record<string, Tensor>> {
  return (await load('loadSafetensors', path, options)).tensors;
}

/** As loadSafetensors, with the file's `__metadata__` strings. */
export async function loadSafetensorsWithMetadata(path: string, options?: LoadOptions): Promise<LoadedSafetensors> {
  return load('loadSafetensorsWithMetadata', path, options);
}

async function load(op: string, path: unknown, options: unknown): Promise<LoadedSafetensors> {
  const o = checkLoadOptions(op, options);
  checkPath(op, path);
  const fs = await nodeFs(op);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await fs.readFile(path as string));
  } catch (e) {
    throw new Error(`${op}: cannot read '${path as string}': ${(e as Error).message}`);
  }
  return parse(op, bytes, o, `'${path as string}'`);
}
