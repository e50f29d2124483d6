// The batch loop shared by file sources. The cursor is `{ file, byte, line }`: the file being
// read, the offset in its uncompressed content right after the last record handed to the engine,
// and the number of lines before that offset (so positions stay exact after a resume). A resumed
// read skips the files before `file`, opens `file` at `byte`, and goes on from there.
import { z } from 'zod';
import type { BadRecord, SourceBatch, SourceContext } from '../contract.js';
import { DataError } from '../errors.js';
import type { ColumnSchema, Row } from '../dataset.js';
import { isGzip, type GzipMode } from './content.js';
import type { SourceFile } from './list.js';

/** A place in a file's uncompressed content: byte offset, and lines (line endings) before it. */
export interface Position {
  byte: number;
  line: number;
}

export const fileCursorSchema = z.object({ file: z.string(), byte: z.number().int().min(0), line: z.number().int().min(0) });
export type FileCursor = z.infer<typeof fileCursorSchema>;

/** One record of a file, good or bad, with the position right after it. */
export type Parsed = { row: Row; end: Position } | { bad: BadRecord; end: Position };

export interface FileFormat {
  /** The records of `file` from `from`, which is a record boundary (0, or a cursor's position). */
  parse(file: SourceFile, gzip: boolean, from: Position): AsyncIterable<Parsed>;
  /** The dataset schema: every row `parse` yields has only its fields, with values of its types. */
  schema(): ColumnSchema[];
}

export interface FileSourceConfig {
  gzip: GzipMode;
  batchSize: number;
}

function startCursor(files: readonly SourceFile[], saved: unknown): { index: number; from: Position } {
  if (saved === undefined || saved === null) return { index: 0, from: { byte: 0, line: 0 } };
  const parsed = fileCursorSchema.safeParse(saved);
  if (!parsed.success) throw new Error(`cannot resume: the saved cursor ${JSON.stringify(saved)} is not a file cursor`);
  const index = files.findIndex((f) => f.name === parsed.data.file);
  if (index < 0) throw new DataError(`cannot resume: ${parsed.data.file}, which was being read when the node stopped, is no longer in config.path`);
  return { index, from: { byte: parsed.data.byte, line: parsed.data.line } };
}

/** Reads `files` in order through `format`, in batches of at most batchSize records (good and bad). */
export async function* readFiles(config: FileSourceConfig, ctx: SourceContext, files: readonly SourceFile[], format: FileFormat): AsyncGenerator<SourceBatch> {
  const start = startCursor(files, ctx.cursor);
  let rows: Row[] = [];
  let bad: BadRecord[] = [];
  let cursor: FileCursor | undefined = ctx.cursor === undefined ? undefined : (ctx.cursor as FileCursor);
  for (let i = start.index; i < files.length; i++) {
    const file = files[i]!;
    const from = i === start.index ? start.from : { byte: 0, line: 0 };
    const gzip = await isGzip(file, config.gzip);
    ctx.log.debug({ file: file.name, gzip, from }, 'reading file');
    for await (const item of format.parse(file, gzip, from)) {
      if ('row' in item) rows.push(item.row);
      else bad.push(item.bad);
      cursor = { file: file.name, byte: item.end.byte, line: item.end.line };
      if (rows.length + bad.length >= config.batchSize) {
        yield { rows, bad, cursor, schema: format.schema() };
        rows = [];
        bad = [];
      }
    }
  }
  // Always hand on a last batch, even an empty one, so an empty input still carries its columns.
  yield { rows, bad, cursor, schema: format.schema() };
}
