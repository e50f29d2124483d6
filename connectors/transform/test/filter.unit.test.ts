import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prepareFilter } from '../filter.js';
import { transformFilterConfig } from '../schema.js';
import { applyParts } from './apply-parts.js';
import type { ColumnSchema } from '../../../src/kit/dataset.js';

const INPUT: ColumnSchema[] = [
  { name: 'id', type: 'int' },
  { name: 'status', type: 'text' },
  { name: 'amount', type: 'float' },
  { name: 'note', type: 'json' },
];

const ROWS = [
  { id: 1, status: 'paid', amount: 120, note: null },
  { id: 2, status: 'open', amount: 500, note: null },
  { id: 3, status: 'paid', amount: 80, note: null },
  { id: 4, status: null, amount: 300, note: null },
  { id: 5, status: 'paid', amount: 101.5, note: null },
];

const prepare = (config: unknown) => prepareFilter(transformFilterConfig.parse(config), INPUT);

test('filter keeps exactly the rows for which where is true, across parts, with the input schema', () => {
  const t = prepare({ where: 'status == "paid" && amount > 100' });
  assert.deepEqual(t.schema, INPUT);
  const out = applyParts(t, [ROWS.slice(0, 2), ROWS.slice(2)]);
  assert.deepEqual(out.rows.map((part) => part.map((r) => r.id)), [[1], [5]]);
  assert.deepEqual(out.bad, []);
});

test('a row where the expression fails is a bad record by default, and dropped with onError: drop', () => {
  const rows = [
    { id: 1, status: 'paid', amount: 1, note: { n: 2 } },
    { id: 2, status: 'paid', amount: 1, note: { m: 1 } },
    { id: 3, status: 'paid', amount: 1, note: { n: 0 } },
  ];
  const rejected = applyParts(prepare({ where: 'note.n > 1' }), [rows]);
  assert.deepEqual(rejected.rows, [[rows[0]]]);
  assert.deepEqual(rejected.bad, [{ reason: 'config.where: "note.n > 1" failed: No such key: n', position: 'part 0 row 2', record: rows[1] }]);

  const dropped = applyParts(prepare({ where: 'note.n > 1', onError: 'drop' }), [rows]);
  assert.deepEqual(dropped.rows, [[rows[0]]]);
  assert.deepEqual(dropped.bad, []);
});

test('a where that yields something other than a boolean rejects the row', () => {
  const out = applyParts(prepare({ where: 'note' }), [[{ id: 1, status: 'x', amount: 1, note: true }, { id: 2, status: 'x', amount: 1, note: 'yes' }, { id: 3, status: 'x', amount: 1, note: null }]]);
  assert.deepEqual(out.rows, [[{ id: 1, status: 'x', amount: 1, note: true }]]);
  assert.deepEqual(out.bad.map((b) => [b.position, b.reason]), [['part 0 row 2', 'config.where: "note" is the string "yes", not a boolean']]);
});

test('a where whose type is known not to be boolean fails prepare', () => {
  assert.throws(() => prepare({ where: 'amount * 2.0' }), /^ConfigError: config\.where: must be a boolean expression, but "amount \* 2\.0" is a double$/);
});

test('a where naming an unknown field fails prepare', () => {
  assert.throws(() => prepare({ where: 'stauts == "paid"' }), /config\.where: unknown field "stauts" \(did you mean "status"\?\)/);
});
