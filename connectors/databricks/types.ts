// Databricks result columns as dataset columns. JSON_ARRAY results carry every non-null value
// as a string: integers that fit a double become numbers, while BIGINT and DECIMAL stay strings
// so they are exact (the same representation postgres.read uses), and dates and timestamps keep
// Databricks' text so no precision is lost.
import type { ColumnSchema, ColumnType, Row } from '../../src/kit/index.js';

export interface ColumnInfo {
  name: string;
  type_name?: string;
  type_text?: string;
  position?: number;
}

type Convert = (raw: string) => unknown;

export interface Column extends ColumnSchema {
  typeName: string;
  convert: Convert;
}

const INTEGER = /^-?\d+$/;
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

class ValueError extends Error {}

const fail = (raw: string, what: string): never => {
  throw new ValueError(`${JSON.stringify(raw)} is not ${what}`);
};

const asInt: Convert = (raw) => (INTEGER.test(raw) && Number.isSafeInteger(Number(raw)) ? Number(raw) : fail(raw, 'an integer'));
const asBigint: Convert = (raw) => (INTEGER.test(raw) ? raw : fail(raw, 'an integer'));
const asDecimal: Convert = (raw) => (DECIMAL.test(raw) ? raw : fail(raw, 'a decimal'));
const SPECIAL_FLOATS: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };
const asFloat: Convert = (raw) => (DECIMAL.test(raw) ? Number(raw) : SPECIAL_FLOATS[raw] ?? fail(raw, 'a number'));
const asBoolean: Convert = (raw) => (raw === 'true' ? true : raw === 'false' ? false : fail(raw, 'a boolean'));
const asDate: Convert = (raw) => (/^-?\d{4,}-\d{2}-\d{2}$/.test(raw) ? raw : fail(raw, 'a date'));
const asTimestamp: Convert = (raw) => (Number.isNaN(Date.parse(raw)) ? fail(raw, 'a timestamp') : raw);
const asJson: Convert = (raw) => {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return fail(raw, 'JSON');
  }
};
const asText: Convert = (raw) => raw;

/** type_name -> logical column type and conversion. Names of the API (LONG, SHORT, BYTE) and of SQL (BIGINT, ...) alike. */
const TYPES: Record<string, [ColumnType, Convert]> = {
  BOOLEAN: ['boolean', asBoolean],
  BYTE: ['int', asInt],
  TINYINT: ['int', asInt],
  SHORT: ['int', asInt],
  SMALLINT: ['int', asInt],
  INT: ['int', asInt],
  INTEGER: ['int', asInt],
  LONG: ['bigint', asBigint],
  BIGINT: ['bigint', asBigint],
  FLOAT: ['float', asFloat],
  REAL: ['float', asFloat],
  DOUBLE: ['float', asFloat],
  DECIMAL: ['numeric', asDecimal],
  NUMERIC: ['numeric', asDecimal],
  DATE: ['date', asDate],
  TIMESTAMP: ['timestamp', asTimestamp],
  TIMESTAMP_NTZ: ['timestamp', asTimestamp],
  ARRAY: ['json', asJson],
  MAP: ['json', asJson],
  STRUCT: ['json', asJson],
  VARIANT: ['json', asJson],
};

/** The dataset column of a result column; unknown types (STRING, BINARY, INTERVAL, ...) are text. */
export function columnOf(info: ColumnInfo): Column {
  const typeName = (info.type_name ?? 'STRING').toUpperCase();
  const [type, convert] = TYPES[typeName] ?? ['text', asText];
  return { name: info.name, type, typeName, convert };
}

/** A JSON_ARRAY row as a record, or why it cannot be one. */
export function convertRow(raw: unknown, columns: readonly Column[]): { row: Row } | { reason: string } {
  if (!Array.isArray(raw) || raw.length !== columns.length) {
    return { reason: `expected an array of ${columns.length} values, got ${Array.isArray(raw) ? `${raw.length}` : typeof raw}` };
  }
  const row: Row = {};
  for (const [i, col] of columns.entries()) {
    const v: unknown = raw[i];
    if (v === null || v === undefined) {
      row[col.name] = null;
      continue;
    }
    if (typeof v !== 'string') return { reason: `column "${col.name}": expected a string in JSON_ARRAY, got ${typeof v}` };
    try {
      row[col.name] = col.convert(v);
    } catch (err) {
      if (!(err instanceof ValueError)) throw err;
      return { reason: `column "${col.name}" (${col.typeName}): ${err.message}` };
    }
  }
  return { row };
}
