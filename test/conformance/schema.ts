// Check 4's common part: what every source and transform reports looks the same. A schema of
// named, typed, distinct columns; rows keyed by those columns, holding values in the forms the
// staging store keeps exactly; bad records with a reason, a position a person can find, and the record.
import assert from 'node:assert/strict';
import { COLUMN_TYPES, type BadRecord, type ColumnSchema, type Row } from '../../src/kit/index.js';
import { columnCodec } from '../../src/kit/columns.js';

export function assertValidSchema(schema: readonly ColumnSchema[] | undefined, what: string): asserts schema is ColumnSchema[] {
  assert.ok(Array.isArray(schema), `${what}: a schema is reported`);
  const names = new Set<string>();
  for (const c of schema) {
    assert.ok(typeof c.name === 'string' && c.name.length > 0, `${what}: every column has a name (${JSON.stringify(c)})`);
    assert.ok((COLUMN_TYPES as readonly string[]).includes(c.type), `${what}: column "${c.name}" has type ${String(c.type)}, which is not one of ${COLUMN_TYPES.join(', ')}`);
    assert.ok(!names.has(c.name), `${what}: column "${c.name}" appears twice`);
    names.add(c.name);
  }
}

/** Every key of every row is a column; every non-null value is in the form its column type is staged in. */
export function assertRowsFit(schema: readonly ColumnSchema[], rows: readonly Row[], what: string): void {
  const types = new Map(schema.map((c) => [c.name, c.type]));
  const problems: string[] = [];
  rows.forEach((row, i) => {
    for (const [key, value] of Object.entries(row)) {
      const type = types.get(key);
      if (type === undefined) problems.push(`row ${i + 1}: "${key}" is not a column of the schema`);
      else if (value !== null && value !== undefined && !columnCodec(type).fits(value)) {
        problems.push(`row ${i + 1}: "${key}" holds ${JSON.stringify(value)} (${typeof value}), not the form a ${type} column is staged in`);
      }
    }
  });
  assert.deepEqual(problems.slice(0, 5), [], `${what}: rows fit the schema (${problems.length} problems)`);
}

export function assertBadRecordShape(bad: readonly BadRecord[], what: string): void {
  for (const b of bad) {
    assert.ok(typeof b.reason === 'string' && b.reason.trim().length > 0, `${what}: a bad record says why (${JSON.stringify(b)})`);
    assert.ok(typeof b.position === 'string' && b.position.trim().length > 0, `${what}: a bad record says where (${JSON.stringify(b)})`);
    assert.ok(b.record !== undefined, `${what}: a bad record carries the record (at ${b.position})`);
  }
  const positions = bad.map((b) => b.position);
  assert.equal(new Set(positions).size, positions.length, `${what}: each bad record has its own position (${positions.join(', ')})`);
}
