// jsonl.write: one JSON-lines file per input part (see src/kit/files/sink.ts for naming,
// atomicity and _SUCCESS). Each row is an object of the dataset's columns in schema order, in the
// kit's one JSON form (jsonLine): bigints, numerics, timestamps and dates as exact strings.
import { jsonLine, type ColumnSchema, type Row, type SinkContext, type SinkWriter } from '../../src/kit/index.js';
import { openDirectorySink, type FileEncoder } from '../../src/kit/files/sink.js';
import type { JsonlWriteConfig } from './schema.js';

const ROWS_PER_PIECE = 1000;

export const jsonlEncoder: FileEncoder = {
  extension: 'jsonl',
  *encode(rows: readonly Row[], schema: readonly ColumnSchema[]) {
    for (let i = 0; i < rows.length; i += ROWS_PER_PIECE) {
      let piece = '';
      for (const row of rows.slice(i, i + ROWS_PER_PIECE)) piece += jsonLine(row, schema) + '\n';
      yield piece;
    }
  },
};

export function open(config: JsonlWriteConfig, ctx: SinkContext): Promise<SinkWriter> {
  return openDirectorySink(config, ctx, jsonlEncoder);
}
