// csv.write: one CSV file per input part (see files/sink.ts for naming, atomicity and _SUCCESS).
// Values are written as the dataset holds them: text, numbers and the exact text of numerics and
// timestamps unchanged, json as JSON text. Null is an empty field and an empty string is "", the
// same convention csv.read and PostgreSQL's CSV format read back.
import { type ColumnSchema, csvField, type Row, type SinkContext, type SinkWriter } from '../../src/kit/index.js';
import { openDirectorySink, type FileEncoder } from '../../src/kit/files/sink.js';
import type { CsvWriteConfig } from './schema.js';

const ROWS_PER_PIECE = 1000;

export function csvEncoder(config: Pick<CsvWriteConfig, 'header' | 'delimiter'>): FileEncoder {
  return {
    extension: 'csv',
    *encode(rows: readonly Row[], schema: readonly ColumnSchema[]) {
      const names = schema.map((c) => c.name);
      const line = (values: unknown[]) => values.map((v) => csvField(v, config.delimiter)).join(config.delimiter) + '\n';
      if (config.header) yield line(names);
      for (let i = 0; i < rows.length; i += ROWS_PER_PIECE) {
        let piece = '';
        for (const row of rows.slice(i, i + ROWS_PER_PIECE)) piece += line(names.map((n) => row[n]));
        yield piece;
      }
    },
  };
}

export function open(config: CsvWriteConfig, ctx: SinkContext): Promise<SinkWriter> {
  return openDirectorySink(config, ctx, csvEncoder(config));
}
