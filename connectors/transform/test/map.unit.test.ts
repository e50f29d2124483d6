import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../../src/kit/errors.js';
import { prepareMap } from '../map.js';
import { transformMapConfig } from '../schema.js';
import { applyParts } from './apply-parts.js';
import type { ColumnSchema } from '../../../src/kit/dataset.js';

const INPUT: ColumnSchema[] = [
  { name: 'id', type: 'int' },
  { name: 'first', type: 'text' },
  { name: 'last', type: 'text' },
  { name: 'amount', type: 'text' },
  { name: 'quantity', type: 'int' },
];

const prepare = (config: unknown) => prepareMap(transformMapConfig.parse(config), INPUT);

test('compute adds fields from expressions over the cast row, then rename and drop apply', () => {
  const t = prepare({
    cast: { amount: 'float' },
    compute: { total: { expr: 'amount * quantity', type: 'float' }, full_name: "first + ' ' + last" },
    rename: { full_name: 'name', id: 'order_id' },
    drop: ['first', 'last'],
  });
  assert.deepEqual(t.schema, [
    { name: 'order_id', type: 'int' },
    { name: 'amount', type: 'float' },
    { name: 'quantity', type: 'int' },
    { name: 'total', type: 'float' },
    { name: 'name', type: 'text' },
  ]);
  const out = applyParts(t, [[{ id: 1, first: 'Ada', last: 'Lovelace', amount: '2.50', quantity: 4 }]]);
  assert.deepEqual(out.rows, [[{ order_id: 1, amount: 2.5, quantity: 4, total: 10, name: 'Ada Lovelace' }]]);
  assert.deepEqual(out.bad, []);
});

test('a computed field without a type gets the type its expression has, and values of that type', () => {
  const t = prepare({ compute: { doubled: 'quantity * 2', big: 'quantity > 1', label: 'first + "!"', anything: 'row["amount"]' } });
  assert.deepEqual(t.schema.slice(5), [
    { name: 'doubled', type: 'bigint' },
    { name: 'big', type: 'boolean' },
    { name: 'label', type: 'text' },
    { name: 'anything', type: 'text' },
  ]);
  const out = applyParts(t, [[{ id: 1, first: 'a', last: 'b', amount: '3', quantity: 5 }]]);
  // A CEL int may pass 2^53, so it is kept as bigint text, as PostgreSQL hands bigint over.
  assert.deepEqual(out.rows[0]![0], { id: 1, first: 'a', last: 'b', amount: '3', quantity: 5, doubled: '10', big: true, label: 'a!', anything: '3' });
});

test('a computed field may replace an input field in place', () => {
  const t = prepare({ compute: { quantity: { expr: 'quantity * 10', type: 'int' } } });
  assert.deepEqual(t.schema.map((c) => c.name), ['id', 'first', 'last', 'amount', 'quantity']);
  assert.equal(applyParts(t, [[{ id: 1, first: 'a', last: 'b', amount: '1', quantity: 2 }]]).rows[0]![0]!.quantity, 20);
});

test('computed fields see the input row, not each other', () => {
  assert.throws(() => prepare({ compute: { a: 'quantity + 1', b: 'a + 1' } }), /config\.compute\.b: unknown field "a"/);
});

test('rows whose expression or cast fails are bad records with the expression, reason and position', () => {
  const t = prepare({ cast: { amount: 'float' }, compute: { ratio: { expr: 'quantity / (quantity - 2)', type: 'int' }, fee: { expr: 'amount * 0.1', type: 'int' } } });
  const out = applyParts(t, [
    [{ id: 1, first: 'a', last: 'b', amount: '10', quantity: 3 }],
    [
      { id: 2, first: 'a', last: 'b', amount: 'oops', quantity: 3 },
      { id: 3, first: 'a', last: 'b', amount: '10', quantity: 2 },
      { id: 4, first: 'a', last: 'b', amount: '15', quantity: 4 },
    ],
  ]);
  assert.deepEqual(out.rows, [[{ id: 1, first: 'a', last: 'b', amount: 10, quantity: 3, ratio: 3, fee: 1 }], []]);
  assert.deepEqual(
    out.bad.map((b) => [b.position, b.reason]),
    [
      ['part 1 row 2', 'field "amount": cannot cast "oops" to float'],
      ['part 1 row 3', 'config.compute.ratio.expr: "quantity / (quantity - 2)" failed: division by zero'],
      ['part 1 row 4', 'computed field "fee": cannot cast 1.5 to int'],
    ],
  );
  assert.deepEqual(out.bad[1]!.record, { id: 3, first: 'a', last: 'b', amount: '10', quantity: 2 });
});

test('a compute expression that names an unknown field fails prepare with its path', () => {
  assert.throws(
    () => prepare({ compute: { total: { expr: 'amount * qty', type: 'float' } } }),
    (err: unknown) => err instanceof ConfigError && /^config\.compute\.total\.expr: unknown field "qty"/.test(err.message),
  );
});

test('without compute, map still renames, drops and casts as before', () => {
  const t = prepare({ rename: { id: 'order_id' }, drop: ['last'], cast: { amount: 'numeric', id: 'bigint' } });
  assert.deepEqual(applyParts(t, [[{ id: 7, first: 'a', last: 'b', amount: ' 1.50', quantity: 1 }]]).rows, [
    [{ order_id: '7', first: 'a', amount: '1.50', quantity: 1 }],
  ]);
});

test('a rename onto a field that stays is a ConfigError rather than a schema with two fields of one name', () => {
  assert.throws(() => prepare({ rename: { first: 'last' } }), /^ConfigError: config\.rename\.first: the output would have two fields named "last"; drop or rename the other one$/);
  assert.deepEqual(prepare({ rename: { first: 'last' }, drop: ['last'] }).schema.map((c) => c.name), ['id', 'last', 'amount', 'quantity']);
});
