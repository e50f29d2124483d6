// A file's content from a byte offset of its uncompressed data. Plain files are read from the
// offset directly. A gzip stream cannot be entered in the middle, so a gzip file is decompressed
// from its start and everything before the offset is discarded unparsed: resuming costs the time
// to decompress what was already read, and nothing is staged twice.
import fs from 'node:fs';
import { pipeline } from 'node:stream';
import zlib from 'node:zlib';
import { DataError } from '../errors.js';
import type { SourceFile } from './list.js';

/** Read size; also bounds what one chunk adds to memory. */
export const CHUNK_BYTES = 64 * 1024;

export type GzipMode = 'auto' | boolean;

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Whether `file` is read through gunzip: as configured, or (auto) when it starts with the gzip magic bytes. */
export async function isGzip(file: SourceFile, mode: GzipMode): Promise<boolean> {
  if (mode !== 'auto') return mode;
  const fh = await fs.promises.open(file.path, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

function changed(file: SourceFile, from: number, why: string): DataError {
  return new DataError(`${file.name} changed since the read stopped at byte ${from}: ${why}`);
}

/** A resumed read must start right after a line ending (or at the end of the file). */
function atBoundary(prev: number | undefined): boolean {
  return prev === 0x0a || prev === 0x0d;
}

async function* plainChunks(file: SourceFile, from: number): AsyncGenerator<Buffer> {
  if (from > 0) {
    const fh = await fs.promises.open(file.path, 'r');
    try {
      const { size } = await fh.stat();
      if (size < from) throw changed(file, from, `it is now only ${size} bytes long`);
      const prev = Buffer.alloc(1);
      await fh.read(prev, 0, 1, from - 1);
      if (size > from && !atBoundary(prev[0])) throw changed(file, from, 'that byte is no longer at the end of a line');
    } finally {
      await fh.close();
    }
  }
  const stream = fs.createReadStream(file.path, { start: from, highWaterMark: CHUNK_BYTES });
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } finally {
    stream.destroy();
  }
}

function isZlibError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('Z_');
}

async function* gzipChunks(file: SourceFile, from: number): AsyncGenerator<Buffer> {
  const out = pipeline(fs.createReadStream(file.path, { highWaterMark: CHUNK_BYTES }), zlib.createGunzip({ chunkSize: CHUNK_BYTES }), () => {
    // Errors surface through the iterator below.
  });
  let skip = from;
  let prev: number | undefined;
  let checked = from === 0;
  try {
    for await (const raw of out) {
      let chunk = raw as Buffer;
      if (skip > 0) {
        const n = Math.min(skip, chunk.length);
        prev = chunk[n - 1];
        skip -= n;
        chunk = chunk.subarray(n);
      }
      if (chunk.length === 0) continue;
      if (!checked) {
        if (!atBoundary(prev)) throw changed(file, from, 'that byte is no longer at the end of a line');
        checked = true;
      }
      yield chunk;
    }
    if (skip > 0) throw changed(file, from, `its uncompressed content is now only ${from - skip} bytes long`);
  } catch (err) {
    if (isZlibError(err)) throw new DataError(`${file.name}: not readable as gzip (${(err as Error).message})`);
    throw err;
  } finally {
    out.destroy();
  }
}

export interface Content {
  /** Offset of the first byte `chunks` yields: `from`, or past a UTF-8 byte order mark at the start. */
  start: number;
  /** The bytes; call `chunks.return()` when stopping early so the file is closed. */
  chunks: AsyncGenerator<Buffer>;
}

async function* prepend(head: Buffer, rest: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  try {
    if (head.length > 0) yield head;
    yield* rest;
  } finally {
    await rest.return(undefined);
  }
}

/** Opens `file`'s uncompressed content at byte `from`, skipping a byte order mark at the very start. */
export async function openContent(file: SourceFile, gzip: boolean, from: number): Promise<Content> {
  const chunks = gzip ? gzipChunks(file, from) : plainChunks(file, from);
  if (from > 0) return { start: from, chunks };
  // The mark is not data (it would end up in the first column name), but it counts in offsets.
  let head = Buffer.alloc(0);
  try {
    while (head.length < BOM.length) {
      const next = await chunks.next();
      if (next.done) break;
      head = Buffer.concat([head, next.value]);
    }
  } catch (err) {
    await chunks.return(undefined);
    throw err;
  }
  const skip = head.subarray(0, BOM.length).equals(BOM) ? BOM.length : 0;
  return { start: skip, chunks: prepend(head.subarray(skip), chunks) };
}
