// Logical column types of file sources and how values are read into them. Values keep the form
// the rest of Sluice stages them in: int and float as numbers; bigint, numeric, timestamp and date
// as their exact text (no rounding through a JavaScript number or Date); json as the parsed value.
import type { ColumnType } from '../dataset.js';

/** A converted value, or why the value does not fit the type. */
export type Converted = { value: unknown } | { error: string };

const INT = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// ISO 8601 and PostgreSQL's own output (`2024-01-02 03:04:05.123456+00`); the offset is optional.
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?)?\s*(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?$/;
const INT32_MAX = 2147483647;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const TRUE = new Set(['true', 't', '1', 'yes', 'y']);
const FALSE = new Set(['false', 'f', '0', 'no', 'n']);

function fail(value: unknown, type: ColumnType, hint = ''): Converted {
  return { error: `cannot read ${JSON.stringify(value)} as ${type}${hint}` };
}

function validDate(y: string, m: string, d: string): boolean {
  const month = Number(m);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(Number(y), month, 0)).getUTCDate();
}

function validTime(h: string | undefined, mi: string | undefined, s: string | undefined): boolean {
  return (h === undefined || Number(h) <= 23) && (mi === undefined || Number(mi) <= 59) && (s === undefined || Number(s) <= 60);
}

/** Reads text (a CSV field) as `type`; empty text is null for every type but text. */
export function fromText(text: string | null, type: ColumnType): Converted {
  if (text === null) return { value: null };
  if (type === 'text') return { value: text };
  const t = text.trim();
  if (t === '') return { value: null };
  switch (type) {
    case 'int': {
      // + 0 turns -0 into 0, which the int column type stores.
      const n = Number(t) + 0;
      return INT.test(t) && Math.abs(n) <= INT32_MAX ? { value: n } : fail(text, type, INT.test(t) ? ' (out of the 32-bit range; use bigint)' : '');
    }
    case 'bigint': {
      if (!INT.test(t)) return fail(text, type);
      const n = BigInt(t);
      return n >= INT64_MIN && n <= INT64_MAX ? { value: n.toString() } : fail(text, type, ' (out of the 64-bit range; use numeric)');
    }
    case 'float': {
      const n = Number(t);
      return DECIMAL.test(t) && Number.isFinite(n) ? { value: n } : fail(text, type);
    }
    case 'numeric':
      return DECIMAL.test(t) ? { value: t } : fail(text, type);
    case 'boolean': {
      const l = t.toLowerCase();
      if (TRUE.has(l)) return { value: true };
      if (FALSE.has(l)) return { value: false };
      return fail(text, type, ' (expected true/false, t/f, 1/0, yes/no)');
    }
    case 'timestamp': {
      const m = TIMESTAMP.exec(t);
      return m && validDate(m[1]!, m[2]!, m[3]!) && validTime(m[4], m[5], m[6]) ? { value: t } : fail(text, type, ' (expected ISO 8601, like 2024-05-01T12:30:00Z)');
    }
    case 'date': {
      const m = DATE.exec(t);
      return m && validDate(m[1]!, m[2]!, m[3]!) ? { value: t } : fail(text, type, ' (expected YYYY-MM-DD)');
    }
    case 'json':
      try {
        return { value: JSON.parse(t) as unknown };
      } catch {
        return fail(text, type, ' (not valid JSON)');
      }
  }
}

/** Reads a parsed JSON value (a JSON-lines field) as `type`; strings are read as text would be. */
export function fromJson(value: unknown, type: ColumnType): Converted {
  if (value === null || value === undefined) return { value: null };
  if (type === 'json') return { value };
  if (typeof value === 'string') return fromText(value, type);
  if (type === 'text') return { value: typeof value === 'object' ? JSON.stringify(value) : String(value) };
  if (typeof value === 'number') {
    switch (type) {
      case 'int':
        return Number.isInteger(value) && Math.abs(value) <= INT32_MAX ? { value: value + 0 } : fail(value, type);
      case 'bigint':
        // JSON.parse already rounded integers past 2^53; refuse rather than load a wrong id.
        return Number.isSafeInteger(value) ? { value: String(value) } : fail(value, type, ' (past 2^53 a JSON number loses digits; write it as a string)');
      case 'float':
        return { value };
      case 'numeric':
        return { value: String(value) };
      case 'boolean':
        return value === 1 || value === 0 ? { value: value === 1 } : fail(value, type);
      default:
        return fail(value, type);
    }
  }
  if (typeof value === 'boolean') return type === 'boolean' ? { value } : fail(value, type);
  return fail(value, type);
}

/** The logical type of a JSON value as it stands, for schemas inferred from data. */
function typeOfJson(value: unknown): ColumnType | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'bigint' : 'float';
  if (typeof value === 'string') return 'text';
  return 'json';
}

/** One type for all `values`: integers with decimals are float; anything else mixed is text. */
export function inferType(values: Iterable<unknown>): ColumnType {
  let found: ColumnType | null = null;
  for (const v of values) {
    const t = typeOfJson(v);
    if (t === null || t === found) continue;
    if (found === null) found = t;
    else if ((found === 'bigint' && t === 'float') || (found === 'float' && t === 'bigint')) found = 'float';
    else return 'text';
  }
  return found ?? 'text';
}
