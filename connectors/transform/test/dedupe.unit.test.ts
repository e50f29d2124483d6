import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prepareDedupe } from '../dedupe.js';
import { DigestSet, keyDigest } from '../key-set.js';
import { transformDedupeConfig } from '../schema.js';
import { applyParts } from './apply-parts.js';
import type { ColumnSchema } from '../../../src/kit/dataset.js';

const INPUT: ColumnSchema[] = [
  { name: 'customer', type: 'text' },
  { name: 'day', type: 'date' },
  { name: 'n', type: 'int' },
];

const prepare = (config: unknown) => prepareDedupe(transformDedupeConfig.parse(config), INPUT);

const PARTS = [
  [
    { customer: 'a', day: '2024-01-01', n: 1 },
    { customer: 'b', day: '2024-01-01', n: 2 },
    { customer: 'a', day: '2024-01-01', n: 3 },
  ],
  [
    { customer: 'a', day: '2024-01-02', n: 4 },
    { customer: 'b', day: '2024-01-01', n: 5 },
  ],
  [
    { customer: null, day: '2024-01-01', n: 6 },
    { customer: null, day: '2024-01-01', n: 7 },
    { customer: 'a', day: '2024-01-02', n: 8 },
  ],
];

test('dedupe keeps the first row of each key across parts, not just within one', () => {
  const out = applyParts(prepare({ key: ['customer', 'day'] }), PARTS);
  assert.deepEqual(out.rows.map((p) => p.map((r) => r.n)), [[1, 2], [4], [6]]);
  assert.deepEqual(out.bad, []);
});

test('restore from already-written output makes a resumed dedupe continue exactly where it stopped', () => {
  const first = prepare({ key: ['customer', 'day'] });
  const before = applyParts(first, PARTS.slice(0, 2));
  // A new execution: fresh state, rebuilt from the output parts written so far, then the remaining parts.
  const resumed = prepare({ key: ['customer', 'day'] });
  for (const part of before.rows) resumed.restore!(part);
  const after = resumed.apply(PARTS[2]!, (i) => `part 2 row ${i + 1}`);
  assert.deepEqual(after.rows.map((r) => r.n), [6]);
});

test('without restore a resumed dedupe would repeat keys (the test above depends on restore)', () => {
  const resumed = prepare({ key: ['customer', 'day'] });
  assert.deepEqual(resumed.apply(PARTS[2]!, (i) => `row ${i}`).rows.map((r) => r.n), [6, 8]);
});

test('keys compare by value and type: 1 and "1" differ, null equals null', () => {
  const t = prepareDedupe(transformDedupeConfig.parse({ key: ['k'] }), [{ name: 'k', type: 'json' }]);
  const rows = [{ k: 1 }, { k: '1' }, { k: 1 }, { k: null }, {}, { k: [1, 2] }, { k: [1, 2] }];
  assert.deepEqual(t.apply(rows, String).rows, [{ k: 1 }, { k: '1' }, { k: null }, { k: [1, 2] }]);
});

test('a key field that is not in the input fails prepare with its path', () => {
  assert.throws(() => prepare({ key: ['customer', 'dya'] }), /^ConfigError: config\.key\[1\]: no field "dya" in the input \(did you mean "day"\?\); the input has: customer, day, n$/);
});

test('keep: last is refused at validation with the reason and the workaround', () => {
  const result = transformDedupeConfig.safeParse({ key: ['id'], keep: 'last' });
  assert.equal(result.success, false);
  assert.match(result.error!.issues[0]!.message, /^last is not supported: .* order the input newest first .* and keep: first/);
  assert.equal(transformDedupeConfig.parse({ key: ['id'] }).keep, 'first');
});

test('the digest set holds 200k distinct keys in 16 bytes per slot and finds every one again', () => {
  const set = new DigestSet();
  const N = 200_000;
  let added = 0;
  for (let i = 0; i < N; i++) if (set.add(keyDigest(String(i)))) added++;
  assert.equal(added, N, 'every distinct key is new');
  let found = 0;
  for (let i = 0; i < N; i += 97) if (!set.add(keyDigest(String(i)))) found++;
  assert.equal(found, Math.ceil(N / 97), 'every key added is found again');
  assert.equal(set.size, N);
  // At most 70% full, doubling when needed: between 1/0.7 and 2/0.7 slots per key, 16 bytes each.
  const perKey = set.bytes / N;
  assert.ok(perKey >= 16 / 0.7 && perKey <= (2 * 16) / 0.7, `${perKey} bytes per key`);
});
