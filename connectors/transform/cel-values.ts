// Conversion between dataset values (JSON: numbers, decimal strings for bigint and numeric, text
// timestamps) and CEL values (int is a BigInt, double a number, timestamp a Date, map an object).
// Inputs are converted by their column's declared type, so a float column's 3 is the double 3.0
// and an int column's 3 is the int 3; JSON values inside json columns by their own shape.
import { Optional } from '@marcbachmann/cel-js';
import { DataError, type ColumnType } from '../../src/kit/index.js';

const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** The CEL type a column of logical type `type` declares, for inferring the types of expressions. */
export function celTypeOf(type: string): string {
  switch (type) {
    case 'int':
    case 'bigint':
      return 'int';
    case 'float':
    case 'numeric':
      return 'double';
    case 'boolean':
      return 'bool';
    case 'text':
    case 'date':
      return 'string';
    case 'timestamp':
      return 'google.protobuf.Timestamp';
    default:
      return 'dyn';
  }
}

/** The logical column type of values of CEL type `cel` (text when it is not known before the rows are seen). */
export function columnTypeOf(cel: string | undefined): ColumnType {
  if (cel === 'int' || cel === 'uint') return 'bigint';
  if (cel === 'double') return 'float';
  if (cel === 'bool') return 'boolean';
  if (cel === 'google.protobuf.Timestamp') return 'timestamp';
  if (cel !== undefined && (cel.startsWith('list') || cel.startsWith('map'))) return 'json';
  return 'text';
}

/** A converter from a dataset value of a column of logical type `type` to a CEL value. */
export function toCelConverter(type: string): (value: unknown) => unknown {
  switch (type) {
    case 'int':
    case 'bigint':
      return (v) => (typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : typeof v === 'string' && INTEGER.test(v) ? BigInt(v) : toCel(v));
    case 'float':
    case 'numeric':
      return (v) => (typeof v === 'string' && DECIMAL.test(v.trim()) ? Number(v) : typeof v === 'number' ? v : toCel(v));
    case 'timestamp':
      return (v) => {
        if (typeof v !== 'string') return toCel(v);
        const d = new Date(v);
        return Number.isNaN(d.getTime()) ? v : d;
      };
    case 'text':
    case 'date':
    case 'boolean':
      return (v) => (typeof v === 'string' || typeof v === 'boolean' ? v : toCel(v));
    default:
      return toCel;
  }
}

/** A JSON value as CEL sees it: whole numbers are ints, other numbers doubles, objects maps. */
export function toCel(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'number':
      return Number.isSafeInteger(value) ? BigInt(value) : value;
    case 'string':
    case 'boolean':
    case 'bigint':
      return value;
    case 'object': {
      if (Array.isArray(value)) return value.map(toCel);
      // No prototype: a JSON key like "__proto__" or "constructor" is just a key.
      const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      for (const [k, v] of Object.entries(value)) out[k] = toCel(v);
      return out;
    }
    default:
      return null;
  }
}

/** A CEL result as a dataset (JSON) value; throws DataError for values JSON cannot hold. */
export function fromCel(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'bigint':
      // Beyond 2^53 a JSON number loses digits; keep such ints exact as decimal strings, like bigint columns.
      return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
    case 'number':
      if (!Number.isFinite(value)) throw new DataError(`the result is ${value}, which a dataset cannot hold`);
      return value;
    case 'string':
    case 'boolean':
      return value;
    case 'object':
      return fromCelObject(value);
    default:
      return String(value);
  }
}

function fromCelObject(value: object): unknown {
  if (Array.isArray(value)) return value.map(fromCel);
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof Optional) return value.hasValue() ? fromCel(value.value()) : null;
  const proto: unknown = Object.getPrototypeOf(value);
  // Durations, uints and type values are class instances: their text form ("90s", "7") is what a dataset can hold.
  if (!(value instanceof Map) && proto !== Object.prototype && proto !== null) return String(value);
  const entries = value instanceof Map ? [...(value as Map<unknown, unknown>).entries()] : Object.entries(value);
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(out, String(k), { value: fromCel(v), enumerable: true, writable: true, configurable: true });
  return out;
}
