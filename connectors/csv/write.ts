// csv.write: one CSV file per input part (see files/sink.ts for naming, atomicity and _SUCCESS).
// Values are written as the dataset holds them: text, numbers and the exact text of numerics and
// timestamps unchanged, json as JSON text. Null is an empty field and an empty string is "", the
// same convention csv.read and PostgreSQL's CSV format read back.
import type { SinkContext, SinkWriter } from '../../src/activities/connector.js';
import type { ColumnSchema, Row } from '../../src/activities/staging.js';
import { bigintReplacer, openDirectorySink, type FileEncoder } from '../files/sink.js';
import type { CsvWriteConfig } from './schema.js';

const ROWS_PER_PIECE = 1000;

/** One CSV field: quoted when it holds the delimiter, a quote or a line break, or is empty text. */
export function csvField(value: unknown, delimiter: string): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'object' ? JSON.stringify(value, bigintReplacer) : String(value);
  if (s === '') return '""';
  if (s.includes(delimiter) || s.includes('"') || s.includes('\n') || s.includes('\r')) return `"${s.replace(/"/g, '""')}"`;
  return s;
}

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
