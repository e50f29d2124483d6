import assert from 'node:assert/strict';
import { test } from 'node:test';
import { transformValidateConfig } from '../schema.js';
import { prepareValidate } from '../validate.js';
import { applyParts } from './apply-parts.js';
import type { ColumnSchema } from '../../../src/kit/dataset.js';

const INPUT: ColumnSchema[] = [
  { name: 'email', type: 'text' },
  { name: 'amount', type: 'text' },
  { name: 'status', type: 'text' },
  { name: 'code', type: 'text' },
];

const CONFIG = {
  fields: {
    email: { type: 'string', required: true, pattern: '^[^@]+@[^@]+$' },
    amount: { type: 'float', min: 0, max: 1000 },
    status: { enum: ['paid', 'shipped'] },
    code: { minLength: 2, maxLength: 4 },
  },
};

const prepare = (config: unknown = CONFIG) => prepareValidate(transformValidateConfig.parse(config), INPUT);

test('valid rows pass unchanged with the input schema', () => {
  const t = prepare();
  assert.deepEqual(t.schema, INPUT);
  const rows = [
    { email: 'a@b.c', amount: '12.5', status: 'paid', code: 'AB' },
    { email: 'x@y', amount: null, status: null, code: null },
  ];
  assert.deepEqual(applyParts(t, [rows]), { rows: [rows], bad: [] });
});

test('a failing row is a bad record naming every rule it breaks', () => {
  const row = { email: 'nope', amount: '-3', status: 'x', code: 'ABCDE' };
  const out = applyParts(prepare(), [[], [row]]);
  assert.deepEqual(out.rows, [[], []]);
  assert.deepEqual(out.bad, [
    {
      reason: 'email: "nope" does not match ^[^@]+@[^@]+$; amount: "-3" is below min 0; status: "x" is not one of paid, shipped; code: "ABCDE" is longer than 4 characters',
      position: 'part 1 row 1',
      record: row,
    },
  ]);
});

test('required, type, max and minLength rules each say what is wrong', () => {
  const out = applyParts(prepare(), [
    [
      { email: null, amount: 'abc', status: 'paid', code: 'A' },
      { email: 'a@b', amount: 1001, status: 'shipped', code: 'AB' },
    ],
  ]);
  assert.deepEqual(out.bad.map((b) => b.reason), [
    'email: is required; amount: "abc" is not a float; code: "A" is shorter than 2 characters',
    'amount: 1001 is above max 1000',
  ]);
});

test('allowExtra: false rejects rows with fields the rules do not list, and an input that has them fails prepare', () => {
  const t = prepareValidate(transformValidateConfig.parse({ fields: { a: {} }, allowExtra: false }), [{ name: 'a', type: 'text' }]);
  const out = applyParts(t, [[{ a: 'x' }, { a: 'y', b: 1 }]]);
  assert.deepEqual(out.rows, [[{ a: 'x' }]]);
  assert.deepEqual(out.bad.map((b) => b.reason), ['b: not in config.fields (allowExtra is false)']);
  assert.throws(
    () => prepareValidate(transformValidateConfig.parse({ fields: { a: {} }, allowExtra: false }), [{ name: 'a', type: 'text' }, { name: 'b', type: 'int' }]),
    /^ConfigError: config\.allowExtra: false, but the input has fields that config\.fields does not list: b$/,
  );
});

test('a rule for a field the input does not have fails prepare with its path', () => {
  assert.throws(() => prepare({ fields: { emial: { required: true } } }), /^ConfigError: config\.fields\.emial: no field "emial" in the input \(did you mean "email"\?\)/);
});

test('rules that cannot hold are config errors at their path', () => {
  const issues = (config: unknown) => {
    const r = transformValidateConfig.safeParse(config);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  assert.deepEqual(issues({ fields: { a: { pattern: '(' } } }), ['fields.a.pattern: is not a valid regular expression']);
  assert.deepEqual(issues({ fields: { a: { min: 5, max: 1 } } }), ['fields.a.max: must be at least min (5)']);
  assert.deepEqual(issues({ fields: { a: { type: 'string', min: 1 } } }), ['fields.a.min: applies to numbers, not to type string; use minLength/maxLength for text']);
  assert.deepEqual(issues({ fields: { a: { enum: [] } } }).length, 1);
});
