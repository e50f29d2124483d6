// jsonl.write: one JSON-lines file per input part (see files/sink.ts for naming, atomicity and
// _SUCCESS). Each row is an object of the dataset's columns in schema order. A bigint column
// (held as exact decimal text) is written as a JSON number with all its digits, as PostgreSQL's
// row_to_json does; numerics, timestamps and dates stay strings so no reader rounds them.
import { bigintReplacer, type ColumnSchema, type Row, type SinkContext, type SinkWriter } from '../../src/kit/index.js';
import { openDirectorySink, type FileEncoder } from '../../src/kit/files/sink.js';
import type { JsonlWriteConfig } from './schema.js';

const ROWS_PER_PIECE = 1000;
const INTEGER = /^-?\d+$/;

function jsonValue(value: unknown, bigint: boolean): string {
  if (value === undefined || value === null) return 'null';
  if (bigint && ((typeof value === 'string' && INTEGER.test(value)) || typeof value === 'bigint')) return String(value);
  // JSON has no NaN or Infinity; PostgreSQL's to_json writes them as strings too.
  if (typeof value === 'number' && !Number.isFinite(value)) return `"${value}"`;
  return JSON.stringify(value, bigintReplacer);
}

/** One row as a JSON object, keys in schema order. */
export function jsonLine(row: Row, schema: readonly ColumnSchema[], keys: readonly string[]): string {
  let out = '{';
  for (let i = 0; i < schema.length; i++) {
    if (i > 0) out += ',';
    out += keys[i]! + ':' + jsonValue(row[schema[i]!.name], schema[i]!.type === 'bigint');
  }
  return out + '}';
}

export const jsonlEncoder: FileEncoder = {
  extension: 'jsonl',
  *encode(rows: readonly Row[], schema: readonly ColumnSchema[]) {
    const keys = schema.map((c) => JSON.stringify(c.name));
    for (let i = 0; i < rows.length; i += ROWS_PER_PIECE) {
      let piece = '';
      for (const row of rows.slice(i, i + ROWS_PER_PIECE)) piece += jsonLine(row, schema, keys) + '\n';
      yield piece;
    }
  },
};

export function open(config: JsonlWriteConfig, ctx: SinkContext): Promise<SinkWriter> {
  return openDirectorySink(config, ctx, jsonlEncoder);
}
