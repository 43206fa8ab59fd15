/**
 * The few Node-only things webgrad uses (reading and writing files), loaded on demand through
 * a variable module name so that browser bundles never include or resolve them. In a browser
 * these throw a clear error; pass bytes (from fetch) to the parse functions instead.
 */
/** An open file, as Node's fs/promises FileHandle (the part webgrad uses). */
export interface FileHandle {
  write(data: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** The part of Node's fs/promises webgrad uses (declared here: the core carries no Node types). */
export interface Fs {
  readFile(path: string): Promise<Uint8Array>;
  writeFile(path: string, data: Uint8Array): Promise<void>;
  open(path: string, flags: string): Promise<FileHandle>;
  readdir(path: string): Promise<string[]>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options?: { force?: boolean }): Promise<void>;
  access(path: string): Promise<void>;
}

interface NodeProcess {
  versions?: { node?: string };
  pid?: number;
  kill?: (pid: number, signal: number) => void;
}
const proc = () => (globalThis as { process?: NodeProcess }).process;
const isNode = () => typeof proc()?.versions?.node === 'string';

let fsMod: Fs | undefined;
let fsOverride: Fs | undefined;
export async function nodeFs(op: string): Promise<Fs> {
  if (fsOverride) return fsOverride;
  if (!isNode()) throw new Error(`${op}: file paths need Node; in a browser, fetch the bytes and use the parse functions`);
  if (!fsMod) {
    const name = 'node:fs/promises';
    fsMod = (await import(/* @vite-ignore */ name)) as Fs;
  }
  return fsMod;
}

/**
 * @internal Replaces the file system webgrad uses (undefined: back to Node's), so tests can
 * inject faults (a write that fails half way) into the save path.
 */
export function setFsForTesting(fs: Fs | undefined): void {
  fsOverride = fs;
}

/** This process's id (0 where there is none). */
export function currentPid(): number {
  return proc()?.pid ?? 0;
}

/** Whether a process with this id is running (signal 0 probes without sending; EPERM means it exists). */
export function pidAlive(pid: number): boolean {
  const kill = proc()?.kill;
  if (!kill || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
}

/** Whether a file or directory exists (Node only). */
export async function exists(path: string): Promise<boolean> {
  const fs = await nodeFs('exists');
  try {
    await fs.access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Decompresses gzip bytes with the standard DecompressionStream (Node 18+ and browsers). With
 * `enough`, stops once the output so far satisfies it (called with the bytes decompressed so
 * far, it returns how many are wanted in all, or undefined while that is not known yet) and
 * returns at least those bytes, or all of them if the stream ends first.
 */
export async function gunzip(bytes: Uint8Array, enough?: (head: Uint8Array) => number | undefined): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
  if (!enough) return new Uint8Array(await new Response(stream).arrayBuffer());
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let want: number | undefined;
  const joined = () => {
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    chunks.splice(0, chunks.length, out);
    return out;
  };
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.length;
    if (want === undefined) want = enough(chunks.length === 1 ? chunks[0]! : joined());
    if (want !== undefined && total >= want) {
      await reader.cancel();
      break;
    }
  }
  return chunks.length === 1 ? chunks[0]! : joined();
}

export const isGzip = (b: Uint8Array) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
