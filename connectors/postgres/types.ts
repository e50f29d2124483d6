// Mapping between PostgreSQL types and the dataset's logical column types.
import pg from 'pg';
import type { ColumnType } from '../../src/kit/index.js';

const OID_TYPES: Record<number, ColumnType> = {
  16: 'boolean',
  20: 'bigint',
  21: 'int',
  23: 'int',
  26: 'bigint',
  700: 'float',
  701: 'float',
  1700: 'numeric',
  25: 'text',
  1042: 'text',
  1043: 'text',
  1082: 'date',
  1114: 'timestamp',
  1184: 'timestamp',
  114: 'json',
  3802: 'json',
  2950: 'text',
};

export function logicalType(oid: number): ColumnType {
  return OID_TYPES[oid] ?? 'text';
}

const PG_TYPES: Record<ColumnType, string> = {
  boolean: 'boolean',
  bigint: 'bigint',
  int: 'integer',
  float: 'double precision',
  numeric: 'numeric',
  text: 'text',
  date: 'date',
  timestamp: 'timestamptz',
  json: 'jsonb',
};

export function pgType(logical: ColumnType): string {
  return PG_TYPES[logical];
}

/** Quotes a possibly schema-qualified identifier (`dw.orders` -> "dw"."orders"). */
export function quoteTable(name: string): string {
  return name
    .split('.')
    .map((p) => pg.escapeIdentifier(p))
    .join('.');
}

export function splitTable(name: string): { schema: string; table: string } {
  const parts = name.split('.');
  return parts.length === 2 ? { schema: parts[0]!, table: parts[1]! } : { schema: 'public', table: parts[0]! };
}

/** date, time, timestamp, timestamptz, timetz: kept as PostgreSQL's text (microseconds intact). */
const TEXT_TIME_OIDS = new Set([1082, 1083, 1114, 1184, 1266]);

/** Type parsers for source reads: JavaScript Dates would cut timestamps to milliseconds. */
export const readTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    TEXT_TIME_OIDS.has(oid) ? (v: string) => v : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/**
 * bool, name, int8, int2, int4, text, json, float4, float8, bpchar, varchar, date, time,
 * timestamp, timestamptz, timetz, numeric, uuid, jsonb. Arrays, intervals, bytea and the like
 * are parsed into objects by the row reader (readTypes above), so they go row by row. Keep the
 * two in step: a type added here must read back from its COPY text as readTypes parses it.
 */
export const COPY_OIDS = new Set([16, 19, 20, 21, 23, 25, 114, 700, 701, 1042, 1043, 1082, 1083, 1114, 1184, 1266, 1700, 2950, 3802]);
