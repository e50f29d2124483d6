// Casts between the dataset's value representations, shared by transform.map (cast, compute types)
// and transform.validate (type rules). bigint and numeric stay decimal strings so no digit is lost.
import { DataError, type ColumnType } from '../../src/kit/index.js';
import type { CAST_TYPES } from './schema.js';

export type CastType = (typeof CAST_TYPES)[number];

/** The logical column type each cast produces. */
export const CAST_COLUMN_TYPE: Record<CastType, ColumnType> = {
  string: 'text', int: 'int', bigint: 'bigint', float: 'float', numeric: 'numeric', boolean: 'boolean', json: 'json', timestamp: 'timestamp',
};

const TRUE = new Set(['true', 't', '1', 'yes', 'y']);
const FALSE = new Set(['false', 'f', '0', 'no', 'n']);
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
// PostgreSQL's numeric also holds NaN and ±Infinity.
const NUMERIC = /^(-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|NaN|-?Infinity)$/;

/** Converts `value` to type `to`; null stays null; throws DataError naming `where()` when it cannot. */
export function castValue(value: unknown, to: CastType, where: () => string): unknown {
  if (value === null || value === undefined) return null;
  switch (to) {
    case 'string':
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
    case 'int': {
      const n = typeof value === 'number' ? value : Number(String(value).trim());
      if (!Number.isInteger(n) || Math.abs(n) > 2147483647) failure(value, to, where);
      return n;
    }
    case 'bigint': {
      if (typeof value === 'number' && !Number.isSafeInteger(value)) failure(value, to, where);
      const s = String(value).trim();
      if (!/^-?\d+$/.test(s)) failure(value, to, where);
      // Canonical digits ("007" is 7), within PostgreSQL's bigint (int64).
      const n = BigInt(s);
      if (n < INT64_MIN || n > INT64_MAX) failure(value, to, where);
      return n.toString();
    }
    case 'float': {
      const n = typeof value === 'number' ? value : Number(String(value).trim());
      if (String(value).trim() === '' || Number.isNaN(n) || typeof value === 'boolean') failure(value, to, where);
      return n;
    }
    case 'numeric': {
      const s = String(value).trim();
      if (!NUMERIC.test(s)) failure(value, to, where);
      return s;
    }
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      const s = String(value).trim().toLowerCase();
      if (TRUE.has(s)) return true;
      if (FALSE.has(s)) return false;
      return failure(value, to, where);
    }
    case 'json':
      if (typeof value !== 'string') return value;
      try {
        return JSON.parse(value) as unknown;
      } catch {
        return failure(value, to, where);
      }
    case 'timestamp': {
      if (typeof value !== 'string' && typeof value !== 'number') failure(value, to, where);
      const d = new Date(value as string | number);
      if (Number.isNaN(d.getTime())) failure(value, to, where);
      return d.toISOString();
    }
  }
}

function failure(value: unknown, to: CastType, where: () => string): never {
  throw new DataError(`${where()}: cannot cast ${JSON.stringify(value)} to ${to}`);
}
