/**
 * The few Node-only things webgrad uses (reading and writing files), loaded on demand through
 * a variable module name so that browser bundles never include or resolve them. In a browser
 * these throw a clear error; pass bytes (from fetch) to the parse functions instead.
 */
/** The part of Node's fs/promises webgrad uses (declared here: the core carries no Node types). */
export interface Fs {
  readFile(path: string): Promise<Uint8Array>;
  writeFile(path: string, data: Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options?: { force?: boolean }): Promise<void>;
  access(path: string): Promise<void>;
}

const isNode = () => typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';

let fsMod: Fs | undefined;
export async function nodeFs(op: string): Promise<Fs> {
  if (!isNode()) throw new Error(`${op}: file paths need Node; in a browser, fetch the bytes and use the parse functions`);
  if (!fsMod) {
    const name = 'node:fs/promises';
    fsMod = (await import(/* @vite-ignore */ name)) as Fs;
  }
  return fsMod;
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

/** Decompresses gzip bytes with the standard DecompressionStream (Node 18+ and browsers). */
export async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export const isGzip = (b: Uint8Array) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
