// Reading CSV text and JSON values into logical column types: exact forms, and refusals that say why.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromJson, fromText, inferType } from '../../src/kit/files/types.js';

const value = (c: { value: unknown } | { error: string }) => {
  assert.ok('value' in c, `expected a value, got ${JSON.stringify(c)}`);
  return c.value;
};
const error = (c: { value: unknown } | { error: string }) => {
  assert.ok('error' in c, `expected an error, got ${JSON.stringify(c)}`);
  return c.error;
};

test('text keeps every character; other types read empty text as null', () => {
  assert.equal(value(fromText(' a ', 'text')), ' a ');
  assert.equal(value(fromText('', 'text')), '');
  for (const t of ['int', 'bigint', 'float', 'numeric', 'boolean', 'timestamp', 'date', 'json'] as const) assert.equal(value(fromText('  ', t)), null, t);
});

test('int, bigint, float and numeric keep the forms the staging store holds exactly', () => {
  assert.equal(value(fromText(' 42 ', 'int')), 42);
  assert.ok(Object.is(value(fromText('-0', 'int')), 0));
  assert.match(error(fromText('2147483648', 'int')), /out of the 32-bit range; use bigint/);
  assert.equal(value(fromText('-9223372036854775808', 'bigint')), '-9223372036854775808');
  assert.equal(value(fromText('+007', 'bigint')), '7');
  assert.match(error(fromText('9223372036854775808', 'bigint')), /out of the 64-bit range/);
  assert.equal(value(fromText('1.5e3', 'float')), 1500);
  assert.match(error(fromText('0x10', 'float')), /cannot read "0x10" as float/);
  assert.equal(value(fromText('12345678901234567890.000100', 'numeric')), '12345678901234567890.000100');
  assert.match(error(fromText('1,5', 'numeric')), /as numeric/);
});

test('timestamps and dates are checked but kept as written, microseconds and offset included', () => {
  assert.equal(value(fromText('2024-01-02 03:04:05.123456+05:30', 'timestamp')), '2024-01-02 03:04:05.123456+05:30');
  assert.equal(value(fromText('2024-02-29T23:59:60Z', 'timestamp')), '2024-02-29T23:59:60Z');
  assert.match(error(fromText('2023-02-29', 'timestamp')), /expected ISO 8601/);
  assert.match(error(fromText('2024-01-02 25:00', 'timestamp')), /expected ISO 8601/);
  assert.match(error(fromText('yesterday', 'timestamp')), /cannot read "yesterday" as timestamp/);
  assert.equal(value(fromText('2024-12-31', 'date')), '2024-12-31');
  assert.match(error(fromText('2024-13-01', 'date')), /expected YYYY-MM-DD/);
});

test('booleans and json', () => {
  assert.equal(value(fromText('Yes', 'boolean')), true);
  assert.equal(value(fromText('f', 'boolean')), false);
  assert.match(error(fromText('maybe', 'boolean')), /expected true\/false/);
  assert.deepEqual(value(fromText('{"a":[1,null]}', 'json')), { a: [1, null] });
  assert.match(error(fromText('{a:1}', 'json')), /not valid JSON/);
});

test('JSON values: bigint refuses numbers JSON.parse already rounded; strings are read like text', () => {
  assert.equal(value(fromJson(12, 'bigint')), '12');
  assert.match(error(fromJson(2 ** 53 + 2, 'bigint')), /past 2\^53 a JSON number loses digits; write it as a string/);
  assert.equal(value(fromJson('9007199254740993', 'bigint')), '9007199254740993');
  assert.equal(value(fromJson(1.25, 'numeric')), '1.25');
  assert.equal(value(fromJson({ a: 1 }, 'text')), '{"a":1}');
  assert.deepEqual(value(fromJson('x', 'json')), 'x');
  assert.match(error(fromJson(true, 'int')), /cannot read true as int/);
});

test('inferred types: integers are bigint, with decimals float, mixed kinds text, nulls ignored', () => {
  assert.equal(inferType([1, null, 2]), 'bigint');
  assert.equal(inferType([1, 2.5]), 'float');
  assert.equal(inferType([true, false]), 'boolean');
  assert.equal(inferType([{ a: 1 }, [1]]), 'json');
  assert.equal(inferType(['a', 1]), 'text');
  assert.equal(inferType([null]), 'text');
});
