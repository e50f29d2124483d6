// http.read's parts against the real JSON API mock over HTTP (no Temporal): Retry-After and
// backoff, Link headers, schema inference across pages, bad records, check(), and what the
// cursor may hold.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SourceBatch, SourceContext } from '../../../src/kit/contract.js';
import { ConfigError } from '../../../src/kit/errors.js';
import { backoffDelay, parseRetryAfter } from '../../../src/kit/http/backoff.js';
import { check } from '../check.js';
import { conformPage } from '../infer.js';
import { linkTarget } from '../link.js';
import { nextState } from '../pagination.js';
import { read } from '../read.js';
import { httpReadConfig, type HttpReadConfig } from '../schema.js';
import { item, startJsonApi, type JsonApi } from './json-api.js';
import { uniqueName } from '../../../test/helpers/env.js';
import { allBatches, rejection, sourceContext } from '../../../test/helpers/source.js';

const TOKEN = 'tok-connector-7f3a9c1e5b';
let api: JsonApi;

before(async () => {
  api = await startJsonApi({ token: TOKEN });
});
after(async () => {
  await api?.close();
});

function config(input: Record<string, unknown>): HttpReadConfig {
  return httpReadConfig.parse({ headers: { Authorization: `Bearer ${TOKEN}` }, ...input });
}

const collect = (cfg: HttpReadConfig, c: SourceContext = sourceContext()): Promise<SourceBatch[]> => allBatches(read(cfg, c));

describe('waiting between tries', () => {
  test('Retry-After is read as delay-seconds or as an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('3', now), 3000);
    assert.equal(parseRetryAfter(' 0 ', now), 0);
    assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:07 GMT', now), 7000);
    assert.equal(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now), 0, 'a date in the past means now');
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
  });

  test('backoff doubles from the initial delay up to the maximum, jittered within its upper half', () => {
    assert.equal(backoffDelay(1, 500, 60_000, () => 0), 250);
    assert.equal(backoffDelay(1, 500, 60_000, () => 1), 500);
    assert.equal(backoffDelay(3, 500, 60_000, () => 1), 2000);
    assert.equal(backoffDelay(20, 500, 60_000, () => 1), 60_000);
    assert.equal(backoffDelay(20, 500, 60_000, () => 0), 30_000);
  });
});

describe('pagination', () => {
  test('a Link header yields the rel="next" target among several links', () => {
    const h = '<https://api.test/x?page=1>; rel="first", <https://api.test/x?page=3&a=1,2>; rel="next", <https://api.test/x?page=9>; rel=last';
    assert.equal(linkTarget(h, 'next'), 'https://api.test/x?page=3&a=1,2');
    assert.equal(linkTarget(h, 'last'), 'https://api.test/x?page=9');
    assert.equal(linkTarget('<https://a/b>; rel="prev next"', 'next'), 'https://a/b');
    assert.equal(linkTarget(h, 'prev'), undefined);
    assert.equal(linkTarget(null, 'next'), undefined);
  });

  test('a next link to another origin is refused, so the request headers never leave config.url\'s host', () => {
    const cfg = config({ url: 'https://api.test/items', pagination: { type: 'link' } });
    const page = (link: string) => ({ body: [], records: [{}], headers: new Headers({ link }), url: 'https://api.test/items' });
    assert.deepEqual(nextState(cfg, {}, page('</items?page=2>; rel="next"')), { url: 'https://api.test/items?page=2' });
    assert.throws(() => nextState(cfg, {}, page('<https://evil.test/items?page=2>; rel="next"')), (err: Error) => err instanceof ConfigError && /evil\.test/.test(err.message));
  });

  test('a cursor API that returns the cursor it was sent fails instead of looping', () => {
    const cfg = config({ url: 'https://api.test/items', pagination: { type: 'cursor', param: 'c', cursorPath: 'next' } });
    assert.throws(() => nextState(cfg, { cursor: 'abc' }, { body: { next: 'abc' }, records: [{}], headers: new Headers(), url: '' }), /same cursor/);
  });

  test('query values of the config that the server echoes in next links stay out of the cursor, and are sent on every request', async () => {
    const key = uniqueName('k');
    const apiKey = 'query-secret-9d8e7f6a';
    const cfg = config({ url: `${api.url}/items/link`, query: { per_page: 10, total: 25, key, api_key: apiKey }, pagination: { type: 'link' } });
    const batches = await collect(cfg);
    assert.deepEqual(batches.map((b) => b.rows.length), [10, 10, 5]);
    assert.doesNotMatch(JSON.stringify(batches.map((b) => b.cursor)), new RegExp(apiKey));
    const sent = api.requestsFor(key);
    assert.deepEqual(sent.map((r) => [r.query.page ?? '1', r.query.api_key]), [['1', apiKey], ['2', apiKey], ['3', apiKey]]);
  });
});

describe('schema and records', () => {
  test('columns are the union of keys, typed from their values, and a key first seen on a later page is appended to the schema', async () => {
    const cfg = config({ url: `${api.url}/items/extra`, query: { per_page: 5, total: 12 }, records: 'data.items', pagination: { type: 'page', size: 5, sizeParam: 'per_page' } });
    const batches = await collect(cfg);
    assert.deepEqual(batches.map((b) => b.rows.length), [5, 5, 2]);
    const base = [
      { name: 'id', type: 'bigint' },
      { name: 'name', type: 'text' },
      { name: 'price', type: 'float' },
      { name: 'active', type: 'boolean' },
      { name: 'tags', type: 'json' },
      { name: 'note', type: 'text' },
    ];
    assert.deepEqual(batches[0]!.schema, base);
    assert.deepEqual(batches[1]!.schema, [...base, { name: 'discount', type: 'float' }], 'the new key is appended; earlier columns keep their types');
    assert.deepEqual(batches[2]!.schema, batches[1]!.schema);
    assert.deepEqual(batches[0]!.rows[0], { ...item(1), id: '1' }, 'bigint values are staged as exact decimal strings');
    assert.equal(batches[1]!.rows[0]!.discount, 0.2);
  });

  test('records that are not JSON objects become bad records with their position', async () => {
    const batches = await collect(config({ url: `${api.url}/items/mixed`, records: 'data.items' }));
    assert.equal(batches.length, 1);
    assert.deepEqual(batches[0]!.rows.map((r) => r.id), ['1', '2']);
    assert.deepEqual(
      batches[0]!.bad!.map((b) => [b.position, b.record]),
      [['page 1 record 2', 42], ['page 1 record 3', 'not an object'], ['page 1 record 5', null]],
    );
    assert.match(batches[0]!.bad![0]!.reason, /expected a JSON object, got a number/);
  });

  test('a later value that does not fit its column type makes its record bad instead of changing the column', () => {
    const first = conformPage([{ n: 1, s: 'a' }], [], undefined, (i) => `page 1 record ${i + 1}`);
    assert.deepEqual(first.columns, [{ name: 'n', type: 'bigint' }, { name: 's', type: 'text' }]);
    const second = conformPage([{ n: 2.5, s: 7 }, { n: 3, s: { x: 1 } }], first.columns, undefined, (i) => `page 2 record ${i + 1}`);
    assert.deepEqual(second.columns, first.columns);
    assert.deepEqual(second.rows, [{ n: '3', s: '{"x":1}' }], 'text columns take any scalar or object as text');
    assert.equal(second.bad.length, 1);
    assert.match(second.bad[0]!.reason, /field "n": expected a whole number for column type bigint, got 2\.5/);
    const declared = conformPage([{ n: 1 }, { n: 2.5 }], [], { n: 'float', later: 'numeric' }, String);
    assert.deepEqual(declared.columns, [{ name: 'n', type: 'float' }, { name: 'later', type: 'numeric' }], 'a declared column joins the schema before any record has it');
    assert.equal(declared.bad.length, 0);
  });

  test('a records path that does not lead to an array fails with config.records and what was found', async () => {
    const err = await rejection(collect(config({ url: `${api.url}/items/page`, records: 'data.rows' })));
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /config\.records: no array at "data\.rows".*found nothing/);
  });
});

describe('check', () => {
  test('passes with the right token and a records path that leads to an array', async () => {
    await check(config({ url: `${api.url}/items/page`, records: 'data.items' }), sourceContext());
  });

  test('a wrong token fails with the status, names config.headers, and never echoes the token', async () => {
    const wrong = 'wrong-token-55aa66bb77';
    const err = await rejection(check(httpReadConfig.parse({ url: `${api.url}/items/page`, headers: { Authorization: `Bearer ${wrong}` } }), sourceContext()));
    assert.ok(err instanceof ConfigError, 'not retryable');
    assert.match(err.message, /answered 401 Unauthorized/);
    assert.match(err.message, /authentication failed: check config\.headers/);
    assert.match(err.message, /invalid credentials/, 'quotes the body');
    assert.doesNotMatch(err.message, new RegExp(wrong));
  });

  test('an unreachable host fails with a clear network message', async () => {
    const closed = await startJsonApi();
    await closed.close();
    const err = await rejection(check(config({ url: `${closed.url}/items/page` }), sourceContext()));
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /^config\.url: GET http:\/\/127\.0\.0\.1:\d+\/items\/page cannot connect \(ECONNREFUSED\)/);
  });
});

describe('stopping', () => {
  test('a pause during a backoff wait hands back the unchanged cursor instead of failing', async () => {
    const key = uniqueName('k');
    const stop = new AbortController();
    const cfg = config({ url: `${api.url}/items/page`, query: { key, fail: '503:10' }, records: 'data.items', pagination: { type: 'page' }, retry: { initialDelay: '10s' } });
    const it = read(cfg, sourceContext(undefined, stop.signal))[Symbol.asyncIterator]();
    setTimeout(() => stop.abort(), 300);
    const started = Date.now();
    const first = await it.next();
    assert.ok(Date.now() - started < 5000, 'the wait ended early');
    assert.deepEqual(first.value, { rows: [], cursor: { next: { page: 1 }, pages: 0, columns: [] } });
    await it.return?.();
    assert.equal(api.requestsFor(key).length, 1, 'no request after the stop');
  });
});
