// The dataset schema of a JSON API: the union of the records' keys, each typed from the values of
// the page where it first appears (or by config.types). A column's type never changes afterwards,
// so the schema stays stable across pages and across a pause; values of a later page that do not
// fit their column's type make their record a bad record instead of changing the column.
import type { BadRecord, ColumnSchema, ColumnType, Row } from '../../src/kit/index.js';

type Kind = 'boolean' | 'integer' | 'number' | 'string' | 'object';

function kindOf(v: unknown): Kind {
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return Number.isSafeInteger(v) ? 'integer' : 'number';
  if (typeof v === 'string') return 'string';
  return 'object';
}

/** Logical type of a new column from the non-null values it has in one page. */
export function inferType(values: readonly unknown[]): ColumnType {
  const kinds = new Set(values.filter((v) => v !== null && v !== undefined).map(kindOf));
  // Only nulls so far: text holds whatever comes later.
  if (kinds.size === 0) return 'text';
  if (kinds.has('object')) return 'json';
  if (kinds.size === 1 && kinds.has('boolean')) return 'boolean';
  if (kinds.size === 1 && kinds.has('integer')) return 'bigint';
  if ([...kinds].every((k) => k === 'integer' || k === 'number')) return 'float';
  if (kinds.size === 1 && kinds.has('string')) return 'text';
  // Mixed scalars (numbers and strings, say): text keeps every one of them.
  return 'text';
}

const NUMERIC = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** `value` as column type `type`, or a string saying why it does not fit. */
function conformValue(value: unknown, type: ColumnType): { value: unknown } | string {
  if (value === null || value === undefined) return { value: null };
  const k = kindOf(value);
  switch (type) {
    case 'text':
      return { value: k === 'object' ? JSON.stringify(value) : String(value) };
    case 'json':
      return { value };
    case 'boolean':
      return k === 'boolean' ? { value } : `expected a boolean`;
    case 'int':
      return k === 'integer' && Math.abs(value as number) <= 2 ** 31 - 1 ? { value } : 'expected a whole number within 32 bits';
    case 'bigint':
      // Staged as decimal strings, like postgres.read's int8, so they stay exact beyond 2^53.
      if (k === 'integer') return { value: String(value) };
      return k === 'string' && /^(0|-?[1-9]\d*)$/.test(value as string) ? { value } : 'expected a whole number';
    case 'float':
      if (k === 'integer' || k === 'number') return { value };
      return k === 'string' && NUMERIC.test(value as string) ? { value: Number(value) } : 'expected a number';
    case 'numeric':
      // Numeric values are staged as text, which keeps every digit.
      if (k === 'integer' || k === 'number') return { value: String(value) };
      return k === 'string' && NUMERIC.test(value as string) ? { value } : 'expected a number';
    case 'timestamp': {
      if (k === 'integer') return { value: new Date(value as number).toISOString() };
      return k === 'string' && !Number.isNaN(Date.parse(value as string)) ? { value } : 'expected a timestamp';
    }
    case 'date':
      return k === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value as string) ? { value } : 'expected a date (YYYY-MM-DD)';
    default:
      return { value };
  }
}

export interface ConformedPage {
  rows: Row[];
  bad: BadRecord[];
  /** The columns so far: `known` followed by the keys first seen in this page. */
  columns: ColumnSchema[];
}

/** Checks one page's records against the columns known so far, adding new keys as new columns. */
export function conformPage(
  records: readonly unknown[],
  known: readonly ColumnSchema[],
  declared: Readonly<Record<string, ColumnType>> | undefined,
  position: (i: number) => string,
): ConformedPage {
  const objects: { i: number; record: Record<string, unknown> }[] = [];
  const bad: BadRecord[] = [];
  records.forEach((record, i) => {
    if (record !== null && typeof record === 'object' && !Array.isArray(record)) objects.push({ i, record: record as Record<string, unknown> });
    else bad.push({ reason: `expected a JSON object, got ${record === null ? 'null' : Array.isArray(record) ? 'an array' : `a ${typeof record}`}`, position: position(i), record });
  });

  const types = new Map(known.map((c) => [c.name, c.type]));
  const fresh: string[] = [];
  for (const { record } of objects) for (const key of Object.keys(record)) if (!types.has(key) && !fresh.includes(key)) fresh.push(key);
  // Declared columns join the schema with the first records even when those lack them, so a key
  // that only later pages carry has its column from the start.
  if (objects.length > 0) for (const key of Object.keys(declared ?? {})) if (!types.has(key) && !fresh.includes(key)) fresh.push(key);
  const columns = [...known];
  for (const key of fresh) {
    const type = declared?.[key] ?? inferType(objects.map((o) => o.record[key]));
    types.set(key, type);
    columns.push({ name: key, type });
  }

  const rows: Row[] = [];
  for (const { i, record } of objects) {
    const row: Row = {};
    let problem: string | undefined;
    for (const [key, raw] of Object.entries(record)) {
      const type = types.get(key)!;
      const out = conformValue(raw, type);
      if (typeof out === 'string') {
        problem = `field "${key}": ${out} for column type ${type}, got ${JSON.stringify(raw)}`;
        break;
      }
      row[key] = out.value;
    }
    if (problem) bad.push({ reason: problem, position: position(i), record });
    else rows.push(row);
  }
  return { rows, bad, columns };
}
