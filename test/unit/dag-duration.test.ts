import assert from 'node:assert/strict';
import { test } from 'node:test';
import { durationSchema, parseDuration } from '../../src/dag/duration.js';

test('parseDuration turns every unit into milliseconds', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('1s'), 1_000);
  assert.equal(parseDuration('10m'), 600_000);
  assert.equal(parseDuration('2h'), 7_200_000);
  assert.equal(parseDuration('1d'), 86_400_000);
});

test('parseDuration accepts fractions of a unit and integer milliseconds', () => {
  assert.equal(parseDuration('1.5s'), 1_500);
  assert.equal(parseDuration('0.5m'), 30_000);
  assert.equal(parseDuration(250), 250);
  assert.equal(parseDuration(0), 0);
});

test('parseDuration rejects unknown units, spaces, signs and non-integer numbers', () => {
  for (const bad of ['10x', '', '1 s', '-1s', 's', '1.s', '10', ' 1s', '1e3ms']) {
    assert.throws(() => parseDuration(bad), /invalid duration/, `accepted ${JSON.stringify(bad)}`);
  }
  for (const bad of [1.5, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => parseDuration(bad), /invalid duration/, `accepted ${bad}`);
  }
});

test('durationSchema normalises to milliseconds and explains a bad value', () => {
  assert.equal(durationSchema.parse('30s'), 30_000);
  assert.equal(durationSchema.parse(42), 42);
  const bad = durationSchema.safeParse('10x');
  assert.equal(bad.success, false);
  assert.equal(
    bad.error?.issues[0]?.message,
    'invalid duration "10x": use a number of milliseconds or a string like 500ms, 30s, 10m, 2h',
  );
  assert.match(durationSchema.safeParse(true).error?.issues[0]?.message ?? '', /^invalid duration true: /);
});
