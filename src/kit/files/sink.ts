// The directory sink shared by file connectors. Input part N becomes `part-0000N.<ext>[.gz]`: the
// name depends only on N, so a retried or resumed batch rewrites the same file and never adds a
// second copy. Each file is written to a hidden temp name, flushed to disk and renamed, so a part
// file is either complete or absent. `finish` removes part files this run did not write (left by
// an earlier, larger run) and then writes `_SUCCESS`, a small JSON manifest: its presence means
// the directory holds exactly this run's output.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import type { SinkContext, SinkWriter } from '../contract.js';
import { ConfigError } from '../errors.js';
import { partFileName, type ColumnSchema, type Row } from '../dataset.js';
import { fsCode, fsReason } from './fs-errors.js';

export const MANIFEST = '_SUCCESS';

export interface FileEncoder {
  /** File extension without the dot: `csv`, `jsonl`. */
  extension: string;
  /** The text of one part file, in pieces. */
  encode(rows: readonly Row[], schema: readonly ColumnSchema[]): Iterable<string>;
}

export interface DirectorySinkConfig {
  path: string;
  gzip: boolean;
}



function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Writes `pieces` to `target` through a temp file in the same directory, renamed once flushed. */
async function writeAtomically(target: string, pieces: Iterable<string>, gzip: boolean): Promise<number> {
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${crypto.randomBytes(4).toString('hex')}.tmp`);
  try {
    const source = Readable.from((function* () {
      for (const piece of pieces) yield Buffer.from(piece);
    })());
    const out = fs.createWriteStream(tmp);
    // Node's gzip header carries no timestamp, so the same rows always give the same bytes.
    if (gzip) await pipeline(source, zlib.createGzip(), out);
    else await pipeline(source, out);
    const fh = await fs.promises.open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.promises.rename(tmp, target);
    return (await fs.promises.stat(target)).size;
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await fs.promises.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function prepareDir(dir: string, configured: string): Promise<void> {
  try {
    await fs.promises.mkdir(dir, { recursive: true });
  } catch (err) {
    throw new ConfigError(`config.path: cannot create directory ${configured}: ${fsReason(err)}`);
  }
  // A directory being rewritten must not look complete to a reader.
  await fs.promises.rm(path.join(dir, MANIFEST), { force: true });
}

/** Opens a writer of `ctx`'s dataset into the directory config.path, one file per part. */
export async function openDirectorySink(config: DirectorySinkConfig, ctx: SinkContext, encoder: FileEncoder): Promise<SinkWriter> {
  // The site's policy decides where nodes may write; the real path is used from here on.
  const dir = await ctx.access.writePath(config.path, 'config.path');
  await prepareDir(dir, config.path);
  const name = (index: number) => partFileName(index, config.gzip ? `${encoder.extension}.gz` : encoder.extension);
  return {
    async write(index, rows) {
      try {
        await writeAtomically(path.join(dir, name(index)), encoder.encode(rows, ctx.schema), config.gzip);
      } catch (err) {
        const code = fsCode(err);
        if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOTDIR') {
          throw new ConfigError(`config.path: cannot write ${name(index)} in ${config.path}: ${fsReason(err)}`);
        }
        throw err;
      }
      return { skipped: false };
    },
    async finish(summary) {
      const files = Array.from({ length: summary.batches }, (_, i) => name(i));
      const ours = new Set(files);
      const ext = escapeRegExp(encoder.extension);
      const partPattern = new RegExp(`^part-\\d+\\.${ext}(\\.gz)?$`);
      const tempPattern = new RegExp(`^\\.part-\\d+\\.${ext}(\\.gz)?\\.[0-9a-f]+\\.tmp$`);
      for (const entry of await fs.promises.readdir(dir)) {
        if ((partPattern.test(entry) && !ours.has(entry)) || tempPattern.test(entry)) await fs.promises.rm(path.join(dir, entry), { force: true });
      }
      const manifest = {
        format: encoder.extension,
        gzip: config.gzip,
        rows: summary.rows,
        files,
        schema: ctx.schema,
        runId: ctx.runId,
        nodeId: ctx.nodeId,
      };
      await writeAtomically(path.join(dir, MANIFEST), [JSON.stringify(manifest, null, 2) + '\n'], false);
      await syncDir(dir);
      return { path: dir, files: files.length };
    },
    async close() {
      // Nothing stays open between batches.
    },
  };
}
