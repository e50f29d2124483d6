// http.read -> postgres.write on a real Temporal server and a real PostgreSQL, reading the JSON API
// mock over HTTP: every pagination style loads exact rows, 429/503 answers are waited out and
// retried, a 401 fails the node at once without leaking the token, and a pause mid-pagination
// resumes at the next page without fetching any page twice.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowFailedError } from '@temporalio/client';
import { connectorTestEnv, historyText, type ConnectorTestEnv } from '../../../test/helpers/connector.js';
import { uniqueName, waitFor } from '../../../test/helpers/env.js';
import { progressOf, spec, startRun } from '../../../test/helpers/pipelines.js';
import { item, startJsonApi, type JsonApi } from './json-api.js';
import type { RunProgress } from '../../../src/workflows/messages.js';

const TOKEN = 'tok-pipeline-4b8c2d6e0f';
const WRONG = 'tok-wrong-a1b2c3d4e5';
let env: ConnectorTestEnv;
let api: JsonApi;

before(async () => {
  api = await startJsonApi({ token: TOKEN });
  env = await connectorTestEnv({
    queue: 'http',
    seed: async (db) => {
      await db.pool.query('CREATE SCHEMA dw');
    },
    workerEnv: (db) => ({ HTTP_TEST_AUTH: `Bearer ${TOKEN}`, HTTP_TEST_WRONG_AUTH: `Bearer ${WRONG}`, HTTP_TEST_DB: db.url }),
  });
});

after(async () => {
  await env?.close();
  await api?.close();
});

/** A run of http.read -> postgres.write into dw.<table>. */
function pipeline(table: string, source: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return spec({
    name: uniqueName(table.replace(/_/g, '-')),
    ...extra,
    nodes: [
      { id: 'extract', type: 'http.read', config: { headers: { Authorization: { $secret: 'HTTP_TEST_AUTH' } }, ...source } },
      { id: 'load', type: 'postgres.write', needs: ['extract'], config: { connection: { $secret: 'HTTP_TEST_DB' }, table: `dw.${table}`, mode: 'append' } },
    ],
  });
}

/** The items 1..n as PostgreSQL hands them back (bigint as a string, jsonb parsed). */
function expected(n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({ ...item(i + 1), id: String(i + 1) }));
}

async function loaded(table: string): Promise<Record<string, unknown>[]> {
  return (await env.db.pool.query(`SELECT id, name, price, active, tags, note FROM dw.${table} ORDER BY id`)).rows;
}

const styles: { style: string; source: (key: string) => Record<string, unknown> }[] = [
  {
    style: 'page',
    source: (key) => ({ url: `${api.url}/items/page`, query: { key, total: 45 }, records: 'data.items', pagination: { type: 'page', size: 10, sizeParam: 'per_page' } }),
  },
  {
    style: 'offset',
    source: (key) => ({ url: `${api.url}/items/offset`, query: { key, total: 45 }, records: 'results', pagination: { type: 'offset', limit: 10 } }),
  },
  {
    style: 'cursor',
    source: (key) => ({ url: `${api.url}/items/cursor`, query: { key, total: 45, size: 10 }, records: 'items', pagination: { type: 'cursor', param: 'cursor', cursorPath: 'meta.next_cursor' } }),
  },
  {
    style: 'link',
    source: (key) => ({ url: `${api.url}/items/link`, query: { key, total: 45, per_page: 10 }, pagination: { type: 'link' } }),
  },
];

describe('http.read -> postgres.write', () => {
  for (const { style, source } of styles) {
    test(`${style} pagination loads exactly the API's 45 items, one request per page`, async () => {
      const key = uniqueName(style);
      const table = `${style}_items`;
      const handle = await startRun(env.client, env.taskQueue, pipeline(table, source(key)));
      const result = (await handle.result()) as RunProgress;
      assert.equal(result.status, 'completed');
      assert.equal(result.nodes.extract!.outputs!.rows, 45);
      assert.deepEqual(await loaded(table), expected(45));
      const sent = api.requestsFor(key);
      assert.equal(sent.length, 5, 'five pages of at most 10');
      assert.ok(sent.every((r) => r.status === 200 && r.headers.authorization === `Bearer ${TOKEN}`), 'every request authenticated');
      const columns = await env.db.pool.query(`SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'dw' AND table_name = $1 ORDER BY ordinal_position`, [table]);
      assert.deepEqual(
        columns.rows.map((c) => `${c.column_name} ${c.data_type}`),
        ['id bigint', 'name text', 'price double precision', 'active boolean', 'tags jsonb', 'note text'],
        'column types inferred from the values',
      );
    });
  }

  test('a key that only later pages carry loads into its own column when declared in types', async () => {
    const key = uniqueName('extra');
    const source = { url: `${api.url}/items/extra`, query: { key, total: 12 }, records: 'data.items', pagination: { type: 'page', size: 5, sizeParam: 'per_page' }, types: { discount: 'numeric' } };
    const result = (await (await startRun(env.client, env.taskQueue, pipeline('extra', source))).result()) as RunProgress;
    assert.equal(result.status, 'completed');
    const rows = await env.db.pool.query(`SELECT id::int AS id, discount::text AS discount FROM dw.extra ORDER BY id`);
    assert.deepEqual(
      rows.rows.map((r) => [r.id, r.discount]),
      Array.from({ length: 12 }, (_, i) => [i + 1, i < 5 ? null : i < 10 ? '0.2' : '0.3']),
    );
  });

  test('a 429 with Retry-After (seconds, then an HTTP date) is waited out before the page is asked again', async () => {
    for (const [fail, minGap] of [['429:1:2', 2000], ['429date:1:2', 1000]] as const) {
      const key = uniqueName('rl');
      const table = uniqueName('rl').replace('-', '_');
      // A backoff of its own would wait at least 5s: a shorter gap proves Retry-After was used.
      const source = { url: `${api.url}/items/page`, query: { key, total: 15, fail }, records: 'data.items', pagination: { type: 'page', size: 10, sizeParam: 'per_page' }, retry: { initialDelay: '10s' } };
      const result = (await (await startRun(env.client, env.taskQueue, pipeline(table, source))).result()) as RunProgress;
      assert.equal(result.status, 'completed');
      assert.deepEqual(await loaded(table), expected(15));
      const sent = api.requestsFor(key);
      assert.deepEqual(sent.map((r) => [r.query.page, r.status]), [['1', 429], ['1', 200], ['2', 200]]);
      const gap = sent[1]!.at - sent[0]!.at;
      assert.ok(gap >= minGap && gap < 4500, `${fail}: waited ${gap}ms`);
      assert.equal(result.nodes.extract!.attempt, 1, 'waited inside the activity, no activity retry');
    }
  });

  test('503 answers are retried with backoff inside the node until the API recovers', async () => {
    const key = uniqueName('u');
    const source = { url: `${api.url}/items/page`, query: { key, total: 25, fail: '503:3' }, records: 'data.items', pagination: { type: 'page', size: 10, sizeParam: 'per_page' }, retry: { initialDelay: '100ms' } };
    const result = (await (await startRun(env.client, env.taskQueue, pipeline('unavailable', source))).result()) as RunProgress;
    assert.equal(result.status, 'completed');
    assert.equal(result.nodes.extract!.attempt, 1);
    assert.deepEqual(await loaded('unavailable'), expected(25));
    assert.deepEqual(api.requestsFor(key).map((r) => `${r.query.page}:${r.status}`), ['1:503', '1:503', '1:503', '1:200', '2:200', '3:200']);
  });

  test('when the tries run out the node fails retryably, and the activity retry resumes at the failing page', async () => {
    const key = uniqueName('x');
    // Page 3 fails 4 times; each attempt tries twice (with a wait long enough for a heartbeat to carry the checkpoint).
    const source = {
      url: `${api.url}/items/page`,
      query: { key, total: 45, fail: '503:4', failAt: 3 },
      records: 'data.items',
      pagination: { type: 'page', size: 10, sizeParam: 'per_page' },
      retry: { maxAttempts: 2, initialDelay: '3s' },
    };
    const s = pipeline('exhausted', source, { defaults: { retry: { maximumAttempts: 5, initialInterval: '200ms', backoffCoefficient: 1 } } });
    const result = (await (await startRun(env.client, env.taskQueue, s)).result()) as RunProgress;
    assert.equal(result.status, 'completed');
    assert.equal(result.nodes.extract!.attempt, 3);
    assert.deepEqual(await loaded('exhausted'), expected(45));
    assert.deepEqual(
      api.requestsFor(key).map((r) => `${r.query.page}:${r.status}`),
      ['1:200', '2:200', '3:503', '3:503', '3:503', '3:503', '3:200', '4:200', '5:200'],
      'pages 1 and 2 were not fetched again',
    );
  });

  test('a 401 fails the node without retrying, with the status, and the token appears nowhere in the run', async () => {
    const key = uniqueName('auth');
    const s = spec({
      name: uniqueName('unauthorized'),
      defaults: { retry: { maximumAttempts: 5, initialInterval: '100ms' } },
      nodes: [
        { id: 'extract', type: 'http.read', config: { url: `${api.url}/items/page`, query: { key }, headers: { Authorization: { $secret: 'HTTP_TEST_WRONG_AUTH' } }, records: 'data.items' } },
        { id: 'load', type: 'postgres.write', needs: ['extract'], config: { connection: { $secret: 'HTTP_TEST_DB' }, table: 'dw.never', mode: 'append' } },
      ],
    });
    const handle = await startRun(env.client, env.taskQueue, s);
    await assert.rejects(handle.result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      assert.match(String(err.cause?.message), /node "extract" failed: GET http:\/\/127\.0\.0\.1:\d+\/items\/page answered 401 Unauthorized/);
      assert.doesNotMatch(String(err.cause?.message), new RegExp(WRONG));
      return true;
    });
    const p = await progressOf(handle);
    assert.equal(p.nodes.extract!.state, 'failed');
    assert.equal(p.nodes.extract!.attempt, 1, 'not retried');
    assert.match(p.nodes.extract!.error!, /authentication failed: check config\.headers/);
    assert.doesNotMatch(p.nodes.extract!.error!, new RegExp(WRONG));
    assert.equal(api.requestsFor(key).length, 1, 'one request, no retries');
    assert.equal(api.requestsFor(key)[0]!.headers.authorization, `Bearer ${WRONG}`, 'the mock did get (and echo) the token');
    const history = await historyText(handle);
    assert.match(history, /HTTP_TEST_WRONG_AUTH/, 'the secret is referenced by name');
    assert.doesNotMatch(history, new RegExp(WRONG));
  });

  test('pausing mid-pagination and resuming fetches every page exactly once and loads exact rows; the token never enters history', async () => {
    const key = uniqueName('p');
    const source = { url: `${api.url}/items/page`, query: { key, total: 100, delay: 300 }, records: 'data.items', pagination: { type: 'page', size: 10, sizeParam: 'per_page' } };
    const handle = await startRun(env.client, env.taskQueue, pipeline('paused', source));
    await waitFor(async () => api.requestsFor(key).filter((r) => r.status === 200).length >= 3, 'three pages fetched');
    await handle.signal('pause');
    await waitFor(async () => (await progressOf(handle)).nodes.extract!.state === 'paused', 'the read to stop at a page boundary');
    const atPause = api.requestsFor(key).length;
    assert.ok(atPause < 11, `paused mid-pagination (${atPause} pages fetched)`);
    const paused = await progressOf(handle);
    assert.equal(paused.nodes.extract!.stats.rowsOut, atPause * 10, 'every fetched page was staged');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(api.requestsFor(key).length, atPause, 'no request while paused');

    await handle.signal('resume');
    const result = (await handle.result()) as RunProgress;
    assert.equal(result.status, 'completed');
    assert.deepEqual(await loaded('paused'), expected(100));
    const pages = api.requestsFor(key).map((r) => Number(r.query.page));
    assert.deepEqual(pages, Array.from({ length: 11 }, (_, i) => i + 1), 'pages 1..11 once each, in order (the 11th is the empty last page)');
    assert.ok(api.requestsFor(key).every((r) => r.headers.authorization === `Bearer ${TOKEN}`));

    const history = await historyText(handle);
    assert.match(history, /HTTP_TEST_AUTH/);
    assert.match(history, /"next":\{"page":\d+\}/, 'the checkpoint (next page) is in history');
    assert.doesNotMatch(history, new RegExp(TOKEN));
  });
});
