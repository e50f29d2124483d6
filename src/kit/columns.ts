// How each logical column type is stored in an Avro part, and how a value that does not fit its
// declared type is still kept exactly. Every field is a ["null", T] union.
//
// Values are stored as the readers hand them over, so they read back identical: PostgreSQL
// hands timestamps, dates and numerics over as text (exact to the microsecond / last digit) and
// int8 as a decimal string; the first three stay Avro strings, bigint becomes an Avro long whose
// JavaScript face is that same decimal string. A value that does not fit its column's type (a
// pg array in a `text` column, a number in a `bigint` column) switches that column, in that part
// only, to the `json` encoding: a string holding the value's JSON text. The part's own metadata
// says which columns were switched, so nothing is lost and nothing crashes.
import avro from 'avsc';
import { DataError } from './errors.js';

/** `typed`: the column's Avro type; `json`: JSON text of any value (the fallback). */
export type ColumnEncoding = 'typed' | 'json';

export interface ColumnCodec {
  /** Avro type of non-null values (`long` is resolved to the bigint-as-string type below). */
  avro: 'string' | 'int' | 'long' | 'double' | 'boolean';
  /** True when `v` (not null) can be stored with the typed encoding and read back identical. */
  fits(v: unknown): boolean;
  /** Stored as JSON text in an Avro string (the json type, and every fallback column). */
  jsonText?: boolean;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** Canonical decimal integers only: "007" or "-0" would not read back as written. */
const CANONICAL_INTEGER = /^(0|-?[1-9]\d{0,18})$/;

function isInt64String(v: unknown): v is string {
  if (typeof v !== 'string' || !CANONICAL_INTEGER.test(v)) return false;
  // Up to 18 digits always fits; only 19-digit values need the exact comparison.
  if ((v.startsWith('-') ? v.length - 1 : v.length) < 19) return true;
  const n = BigInt(v);
  return n >= INT64_MIN && n <= INT64_MAX;
}

/** Values up to 14 digits fit 48 bits, where Buffer's integer methods avoid BigInt (4x faster). */
const FAST_DIGITS = 14;

function toLongBytes(s: string): Buffer {
  const buf = Buffer.allocUnsafe(8);
  if ((s.startsWith('-') ? s.length - 1 : s.length) <= FAST_DIGITS) {
    const n = Number(s);
    buf.writeIntLE(n, 0, 6);
    buf.fill(n < 0 ? 0xff : 0, 6);
  } else {
    buf.writeBigInt64LE(BigInt(s), 0);
  }
  return buf;
}

function fromLongBytes(buf: Buffer): string {
  const small = (buf[6] === 0 && buf[7] === 0 && buf[5]! < 0x80) || (buf[6] === 0xff && buf[7] === 0xff && buf[5]! >= 0x80);
  return small ? String(buf.readIntLE(0, 6)) : buf.readBigInt64LE(0).toString();
}

/** An Avro long whose JavaScript value is its decimal string: exact over the full int64 range. */
export const bigintLong = avro.types.LongType.__with({
  fromBuffer: fromLongBytes,
  toBuffer: toLongBytes,
  fromJSON: (v: unknown) => String(v),
  toJSON: (s: string) => s,
  isValid: isInt64String,
  compare: (a: string, b: string) => {
    const d = BigInt(a) - BigInt(b);
    return d < 0n ? -1 : d > 0n ? 1 : 0;
  },
});

/** JSON text of any value, plus NaN, ±Infinity and bigint, which JSON has no words for. */
export function toJsonText(v: unknown, where: () => string): string {
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (typeof v === 'bigint') return `${v}n`;
  let text: string | undefined;
  try {
    text = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  } catch (err) {
    throw new DataError(`${where()}: value cannot be staged: ${(err as Error).message}`);
  }
  if (text === undefined) throw new DataError(`${where()}: a ${typeof v} value cannot be staged`);
  return text;
}

/** Inverse of toJsonText. */
export function fromJsonText(text: string): unknown {
  if (text === 'NaN') return NaN;
  if (text === 'Infinity') return Infinity;
  if (text === '-Infinity') return -Infinity;
  if (/^-?\d+n$/.test(text)) return BigInt(text.slice(0, -1));
  return JSON.parse(text) as unknown;
}

const text: ColumnCodec = { avro: 'string', fits: (v) => typeof v === 'string' };

const CODECS: Record<string, ColumnCodec> = {
  text,
  // PostgreSQL text keeps what a JavaScript number or Date would lose (digits, microseconds, offsets, infinity).
  numeric: text,
  timestamp: text,
  date: text,
  int: { avro: 'int', fits: (v) => typeof v === 'number' && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647 && !Object.is(v, -0) },
  bigint: { avro: 'long', fits: isInt64String },
  float: { avro: 'double', fits: (v) => typeof v === 'number' },
  boolean: { avro: 'boolean', fits: (v) => typeof v === 'boolean' },
  // Stored as its JSON text; any JSON value (object, array, string, number, boolean) fits.
  json: { avro: 'string', fits: () => true, jsonText: true },
};

/** The codec of a logical type; an unknown type is stored like text (and falls back like it). */
export function columnCodec(type: string): ColumnCodec {
  return CODECS[type] ?? text;
}
