// Encodes one dataset part as the body of one object: JSON lines or CSV, optionally gzipped.
// Values are written as the dataset holds them: exact text of numerics, bigints and timestamps,
// json as JSON. In CSV, null is an empty field and an empty string is "" (PostgreSQL's and
// csv.write's convention), and each object has its own header line so it reads on its own.
import zlib from 'node:zlib';
import { promisify } from 'node:util';
import { type ColumnSchema, csvField, jsonLine, type Row } from '../../src/kit/index.js';
import type { S3WriteConfig } from './schema.js';

const gzip = promisify(zlib.gzip);

export function encodeRows(rows: readonly Row[], schema: readonly ColumnSchema[], format: S3WriteConfig['format']): string {
  if (format === 'jsonl') return rows.map((r) => jsonLine(r, schema) + '\n').join('');
  const names = schema.map((c) => c.name);
  const line = (values: unknown[]) => values.map((v) => csvField(v)).join(',') + '\n';
  return line(names) + rows.map((r) => line(names.map((n) => r[n]))).join('');
}

export async function encodeObject(rows: readonly Row[], schema: readonly ColumnSchema[], config: Pick<S3WriteConfig, 'format' | 'gzip'>): Promise<Buffer> {
  const body = Buffer.from(encodeRows(rows, schema, config.format));
  return config.gzip ? gzip(body) : body;
}

export function extension(config: Pick<S3WriteConfig, 'format' | 'gzip'>): string {
  return config.gzip ? `${config.format}.gz` : config.format;
}

export function contentType(config: Pick<S3WriteConfig, 'format' | 'gzip'>): string {
  if (config.gzip) return 'application/gzip';
  return config.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson';
}
