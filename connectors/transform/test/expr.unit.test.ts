import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, DataError } from '../../../src/kit/errors.js';
import { fromCel, toCel } from '../cel-values.js';
import { compileExpression, expressionProblem } from '../expr.js';
import type { ColumnSchema } from '../../../src/kit/dataset.js';

const SCHEMA: ColumnSchema[] = [
  { name: 'id', type: 'bigint' },
  { name: 'amount', type: 'float' },
  { name: 'quantity', type: 'int' },
  { name: 'price', type: 'numeric' },
  { name: 'first', type: 'text' },
  { name: 'last', type: 'text' },
  { name: 'odd name', type: 'int' },
  { name: 'type', type: 'text' },
  { name: 'meta', type: 'json' },
  { name: 'created_at', type: 'timestamp' },
];

const ROW = {
  id: '9007199254740993',
  amount: 2.5,
  quantity: 3,
  price: '12.50',
  first: 'Ada',
  last: 'Lovelace',
  'odd name': 7,
  type: 'vip',
  meta: { n: 2, tags: ['a', 'b'] },
  created_at: '2024-01-15 14:30:45.123456+00',
};

const evaluate = (source: string, row: Record<string, unknown> = ROW) => compileExpression(source, SCHEMA, 'config.x').evaluate(row);

test('fields are CEL variables converted by column type: int columns are ints, float and numeric columns doubles', () => {
  assert.equal(evaluate('quantity + 1'), 4n);
  assert.equal(evaluate('amount * 2.0'), 5);
  assert.equal(evaluate('price * 2.0'), 25);
  assert.equal(evaluate('first + " " + last'), 'Ada Lovelace');
  // A bigint column keeps all its digits: 2^53 + 1 is not a JavaScript number.
  assert.equal(evaluate('id + 1'), 9007199254740994n);
});

test('int and double mix in arithmetic, so amount * quantity needs no conversion', () => {
  assert.equal(evaluate('amount * quantity'), 7.5);
  assert.equal(evaluate('quantity * amount'), 7.5);
  assert.equal(evaluate('quantity / 2.0'), 1.5);
  assert.equal(evaluate('quantity / 2'), 1n, 'int / int stays integer division, as CEL defines it');
});

test('every field is also in the map row, so names that are not identifiers can be used', () => {
  assert.equal(evaluate('row["odd name"] * 2'), 14n);
  assert.equal(evaluate('row.amount'), 2.5);
  assert.equal(evaluate('row["type"] == "vip"'), true);
});

test('json fields are maps and lists; timestamps are CEL timestamps', () => {
  assert.equal(evaluate('meta.n * 1.5'), 3);
  assert.equal(evaluate('meta.tags.size() == 2 && "b" in meta.tags'), true);
  assert.equal(evaluate('created_at > timestamp("2024-01-01T00:00:00Z")'), true);
  assert.equal(evaluate('created_at.getFullYear()'), 2024n);
});

test('null fields are null, and a missing field reads as null', () => {
  assert.equal(evaluate('first == null', { ...ROW, first: null }), true);
  const { last: _, ...withoutLast } = ROW;
  assert.equal(evaluate('last == null ? "?" : last', withoutLast), '?');
});

test('a failing row is a DataError naming the config path, the expression and the reason', () => {
  assert.throws(() => evaluate('quantity / 0'), (err: unknown) => {
    assert.ok(err instanceof DataError);
    assert.equal(err.message, 'config.x: "quantity / 0" failed: division by zero');
    return true;
  });
  assert.throws(() => evaluate('first + 1'), /config\.x: "first \+ 1" failed: no such overload/);
  assert.throws(() => evaluate('first + last', { ...ROW, first: null }), /failed: no such overload: dyn<null> \+/);
});

test('an unknown field is a ConfigError with the path, a suggestion and the fields there are', () => {
  assert.throws(
    () => compileExpression('amonut * 2', SCHEMA, 'config.compute.total'),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /^config\.compute\.total: unknown field "amonut" \(did you mean "amount"\?\); the input has: id, amount, quantity/);
      return true;
    },
  );
});

test('a field named like a CEL built-in is reached through row, and the error says so', () => {
  assert.throws(() => compileExpression('type == "vip"', SCHEMA, 'config.where'), /field "type" has a name CEL reserves: write row\["type"\]/);
});

test('bad syntax is a ConfigError with the position', () => {
  assert.throws(() => compileExpression('amount +* 2', SCHEMA, 'config.where'), /^ConfigError: config\.where: Unexpected token: MULTIPLY at character 9 in "amount \+\* 2"$/);
});

test('the type of an expression is inferred from the column types where it can be', () => {
  const type = (s: string) => compileExpression(s, SCHEMA, 'x').type;
  assert.equal(type('amount * quantity'), 'double');
  assert.equal(type('quantity + 1'), 'int');
  assert.equal(type('first + last'), 'string');
  assert.equal(type('amount > 1.0 && first != ""'), 'bool');
  assert.equal(type('meta.n'), undefined, 'a json field has no type before the rows are seen');
});

test('expressionProblem checks syntax and literal types before fields are known, and lets templates through', () => {
  assert.equal(expressionProblem('anything.goes > 3 && x == "y"'), undefined);
  assert.equal(expressionProblem('amount > {{ params.min }}'), undefined);
  assert.equal(expressionProblem('status == "{{ params.status }}"'), undefined);
  assert.equal(expressionProblem('amount +* 2'), 'Unexpected token: MULTIPLY at character 9 in "amount +* 2"');
  assert.match(expressionProblem('"a" + 1') ?? '', /^no such overload: string \+ int/);
});

test('CEL results become dataset values: small ints numbers, large ints decimal strings, timestamps ISO text', () => {
  assert.equal(fromCel(3n), 3);
  assert.equal(fromCel(2n ** 60n), '1152921504606846976');
  assert.equal(fromCel(new Date('2024-01-15T14:30:45.123Z')), '2024-01-15T14:30:45.123Z');
  assert.deepEqual(fromCel({ a: [1n, 2.5, null], b: new Map([['c', true]]) }), { a: [1, 2.5, null], b: { c: true } });
  assert.throws(() => fromCel(Infinity), /the result is Infinity/);
  assert.deepEqual(toCel({ n: 1, x: 1.5, l: [2] }), Object.assign(Object.create(null), { n: 1n, x: 1.5, l: [2n] }));
});

test('a JSON key like __proto__ is just a key, not a prototype', () => {
  const row = { ...ROW, meta: JSON.parse('{"__proto__": {"polluted": 1}, "n": 1}') as unknown };
  assert.equal(evaluate('has(meta.polluted)', row), false);
  assert.equal(evaluate('meta["__proto__"].polluted', row), 1n);
});
