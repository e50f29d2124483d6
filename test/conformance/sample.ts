// The dataset the suite loads into every sink (and feeds transforms by default): every column type,
// nulls, and text that trips writers (delimiters, quotes, line breaks, backslashes, empty vs null).
// A destination hands values back in its own forms (CSV text, Date objects), so rows are compared
// by what each value means for its column type, not by its JavaScript form.
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import type { ColumnSchema, ColumnType, Row } from '../../src/kit/index.js';

export const SAMPLE_SCHEMA: ColumnSchema[] = [
  { name: 'id', type: 'int' },
  { name: 'label', type: 'text' },
  { name: 'code', type: 'text' },
  { name: 'grp', type: 'int' },
  { name: 'qty', type: 'bigint' },
  { name: 'amount', type: 'numeric' },
  { name: 'ratio', type: 'float' },
  { name: 'ok', type: 'boolean' },
  { name: 'at', type: 'timestamp' },
  { name: 'day', type: 'date' },
  { name: 'meta', type: 'json' },
];

const LABELS = ['plain', 'with, comma', 'with "quotes"', 'line\nbreak', 'tab\there', 'back\\slash \\N', 'ünïcødé ✓', '', 'semi;colon', "it's"];

const pad = (n: number) => String(n).padStart(2, '0');

/** Row `i` (1-based) of the sample. `code` is the text of a number except in row 7 (`x7`) and row 11 (null). */
export function sampleRow(i: number): Row {
  return {
    id: i,
    label: i % 9 === 0 ? null : LABELS[i % LABELS.length]!,
    code: i === 7 ? 'x7' : i === 11 ? null : String(100 + i),
    grp: i % 4,
    qty: i % 6 === 0 ? null : String(5_000_000_000 + i),
    amount: `${i}.${pad((i * 7) % 100)}`,
    ratio: i / 8,
    ok: i % 7 === 0 ? null : i % 3 === 0,
    at: `2024-03-${pad((i % 28) + 1)}T10:11:${pad(i % 60)}.${String(i * 7).padStart(3, '0')}Z`,
    day: `2024-02-${pad((i % 29) + 1)}`,
    meta: i % 5 === 0 ? null : { n: i, tags: ['a', `t${i}`], nested: { ok: i % 2 === 0 } },
  };
}

export const SAMPLE_ROWS: Row[] = Array.from({ length: 20 }, (_, i) => sampleRow(i + 1));

/** `rows` cut into parts of `size` rows (the last may be shorter). */
export function partsOf<T>(rows: readonly T[], size: number): T[][] {
  const parts: T[][] = [];
  for (let i = 0; i < rows.length; i += size) parts.push(rows.slice(i, i + size));
  return parts;
}

/** A decimal's text without insignificant zeros: `12.50` and `12.5` are the same number. */
function canonicalDecimal(s: string): string {
  let t = s.trim();
  if (t.includes('.') && !/e/i.test(t)) t = t.replace(/0+$/, '').replace(/\.$/, '');
  return t === '-0' ? '0' : t;
}

function localDay(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Whether a destination's `actual` means the value `expected` of a column of `type`. */
export function sameValue(type: ColumnType, expected: unknown, actual: unknown): boolean {
  if (expected === null || expected === undefined) return actual === null || actual === undefined;
  if (actual === null || actual === undefined) return false;
  switch (type) {
    case 'int':
    case 'float':
      return (typeof actual === 'number' || typeof actual === 'string') && Number(actual) === expected;
    case 'bigint':
      return String(actual) === String(expected);
    case 'numeric':
      return canonicalDecimal(String(actual)) === canonicalDecimal(String(expected));
    case 'boolean':
      if (typeof actual === 'boolean') return actual === expected;
      return typeof actual === 'string' && (expected ? ['true', 't'] : ['false', 'f']).includes(actual);
    case 'timestamp': {
      const at = actual instanceof Date ? actual.getTime() : Date.parse(String(actual));
      return at === Date.parse(String(expected));
    }
    case 'date':
      return (actual instanceof Date ? localDay(actual) : String(actual).slice(0, 10)) === expected;
    case 'json': {
      let value: unknown = actual;
      if (typeof actual === 'string') {
        try {
          value = JSON.parse(actual) as unknown;
        } catch {
          return false;
        }
      }
      return isDeepStrictEqual(value, expected);
    }
    default:
      return actual === expected;
  }
}

/**
 * `actual` holds exactly the rows `expected` holds, each once, with the same values: rows are
 * matched by `id`, and a missing, extra or repeated id, or any differing value, fails with examples.
 */
export function assertSameRows(schema: readonly ColumnSchema[], expected: readonly Row[], actual: readonly Row[], what: string): void {
  const byId = new Map<string, Row[]>();
  for (const row of actual) {
    const id = String(row.id);
    byId.set(id, [...(byId.get(id) ?? []), row]);
  }
  const repeated = [...byId].filter(([, rows]) => rows.length > 1).map(([id, rows]) => `id ${id} ${rows.length} times`);
  assert.deepEqual(repeated, [], `${what}: rows held more than once`);
  const wanted = new Set(expected.map((r) => String(r.id)));
  const missing = [...wanted].filter((id) => !byId.has(id));
  const extra = [...byId.keys()].filter((id) => !wanted.has(id));
  assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, `${what}: ids missing or unexpected`);
  const differences: string[] = [];
  for (const row of expected) {
    const got = byId.get(String(row.id))![0]!;
    for (const c of schema) {
      if (!sameValue(c.type, row[c.name], got[c.name])) differences.push(`id ${String(row.id)} ${c.name}: expected ${JSON.stringify(row[c.name])}, found ${JSON.stringify(got[c.name])}`);
    }
  }
  assert.deepEqual(differences.slice(0, 5), [], `${what}: values differ (${differences.length} in all)`);
}
