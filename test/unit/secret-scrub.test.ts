// Secret values a node resolved never leave the worker inside its outputs, dead letters or logs:
// scrubDeep blanks them in every string of a value, keys included, and in a URL's password.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { scrubbingLogger, scrubDeep } from '../../src/activities/errors.js';

const SECRETS = ['tok-5ecret', 'postgres://etl:pw%2Fhunter@db/shop'];

test('every string of a value, at any depth and in keys, loses the secret values and a URL secret\'s password', () => {
  const out = scrubDeep(
    { path: '/out/tok-5ecret/x', list: ['a', { 'key-tok-5ecret': 'Bearer tok-5ecret' }], reply: 'login pw/hunter failed', n: 3, ok: true, none: null },
    SECRETS,
  );
  assert.deepEqual(out, { path: '/out/***/x', list: ['a', { 'key-***': 'Bearer ***' }], reply: 'login *** failed', n: 3, ok: true, none: null });
  assert.equal(scrubDeep('untouched', []), 'untouched');
});

test('the logger a node gets writes no secret value', () => {
  const lines: string[] = [];
  const log = pino({}, { write: (line: string) => void lines.push(line) });
  const nodeLog = scrubbingLogger(log, SECRETS);
  nodeLog.info({ request: 'GET https://api/items?token=tok-5ecret', nested: { cursor: 'tok-5ecret' } }, 'page');
  assert.equal(lines.length, 1);
  assert.ok(!lines[0]!.includes('tok-5ecret'), lines[0]);
  assert.match(lines[0]!, /"request":"GET https:\/\/api\/items\?token=\*\*\*"/);
});
