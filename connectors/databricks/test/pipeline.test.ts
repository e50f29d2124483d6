// databricks.read -> postgres.write on a real Temporal server and a real PostgreSQL, against the
// Statement Execution API mock over HTTP: a polled, multi-chunk result loads with exact types, a
// FAILED statement fails the node with Databricks' message, a pause resumes at the next chunk (or
// re-submits a statement that expired or was cancelled while running), and the token never shows.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowFailedError } from '@temporalio/client';
import { connectorTestEnv, historyText, type ConnectorTestEnv } from '../../../test/helpers/connector.js';
import { uniqueName, waitFor } from '../../../test/helpers/env.js';
import { progressOf, spec, startRun } from '../../../test/helpers/pipelines.js';
import { ALL_TYPE_COLUMNS, allTypesRaw, startDatabricksMock, type DatabricksMock, type StatementScript } from './mock.js';
import type { RunProgress } from '../../../src/workflows/messages.js';

const TOKEN = 'dapi-pipeline-5c6d7e8f9a0b';
const WRONG = 'dapi-wrong-1f2e3d4c5b';
let env: ConnectorTestEnv;
let mock: DatabricksMock;

before(async () => {
  mock = await startDatabricksMock({ token: TOKEN });
  env = await connectorTestEnv({
    queue: 'databricks',
    seed: async (db) => {
      await db.pool.query('CREATE SCHEMA dw');
    },
    workerEnv: (db) => ({ DBX_TEST_TOKEN: TOKEN, DBX_TEST_WRONG_TOKEN: WRONG, DBX_TEST_DB: db.url }),
  });
});

after(async () => {
  await env?.close();
  await mock?.close();
});

const COLUMNS = ALL_TYPE_COLUMNS;

/** Row i (1-based) as Databricks sends it. */
const raw = (i: number): (string | null)[] => allTypesRaw(i, i % 7 === 0 ? null : `row ${i}`);

/** Row i as read back from PostgreSQL by `loaded`. */
function expectedRow(i: number): Record<string, unknown> {
  const r = raw(i);
  return { id: r[0], qty: i, amount: r[2], ratio: i / 8, ok: i % 2 === 0, day: r[5], at: r[6], label: r[7], tags: [`t${i}`, 'x'] };
}

function script(chunks: number, perChunk: number, extra: Partial<StatementScript> = {}): StatementScript {
  let i = 0;
  return { columns: COLUMNS, chunks: Array.from({ length: chunks }, () => Array.from({ length: perChunk }, () => raw(++i))), ...extra };
}

function scripted(s: StatementScript): string {
  const sql = `SELECT * FROM main.sales.orders ORDER BY id /* ${uniqueName('q')} */`;
  mock.scripts.set(sql, s);
  return sql;
}

function pipeline(table: string, query: string, extra: Record<string, unknown> = {}) {
  return spec({
    name: uniqueName(table.replace(/_/g, '-')),
    nodes: [
      {
        id: 'extract',
        type: 'databricks.read',
        config: { host: mock.url, token: { $secret: 'DBX_TEST_TOKEN' }, warehouseId: mock.warehouseId, query, maxPollInterval: '200ms', ...extra },
      },
      { id: 'load', type: 'postgres.write', needs: ['extract'], config: { connection: { $secret: 'DBX_TEST_DB' }, table: `dw.${table}`, mode: 'append' } },
    ],
  });
}

async function loaded(table: string): Promise<Record<string, unknown>[]> {
  const res = await env.db.pool.query(
    `SELECT id::text AS id, qty, amount::text AS amount, ratio, ok, day::text AS day,
            to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at, label, tags
       FROM dw.${table} ORDER BY id`,
  );
  return res.rows;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

const statementOf = (sql: string) => [...mock.statements.values()].filter((s) => s.sql === sql);
const submits = (sql: string) => mock.requestsFor(sql).filter((r) => r.method === 'POST' && r.path === '/api/2.0/sql/statements');
const chunkFetches = (sql: string) => mock.requestsFor(sql).filter((r) => r.path.includes('/result/chunks/')).map((r) => Number(r.path.split('/').pop()));

describe('databricks.read -> postgres.write', () => {
  test('a polled multi-chunk result loads with exact bigint, decimal, timestamp and other types; the token stays out of history', async () => {
    const sql = scripted(script(4, 25, { pendingPolls: 2, runningPolls: 2 }));
    const handle = await startRun(env.client, env.taskQueue, pipeline('typed', sql));
    const result = (await handle.result()) as RunProgress;
    assert.equal(result.status, 'completed');
    assert.equal(result.nodes.extract!.outputs!.rows, 100);
    assert.deepEqual(await loaded('typed'), range(100).map(expectedRow));
    const [s] = statementOf(sql);
    assert.deepEqual(s!.seen, ['PENDING', 'PENDING', 'RUNNING', 'RUNNING', 'SUCCEEDED'], 'polled while PENDING and RUNNING');
    assert.deepEqual(chunkFetches(sql), [1, 2, 3], 'chunk 0 came with the statement, the rest by next_chunk_index');
    const types = await env.db.pool.query(`SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'dw' AND table_name = 'typed' ORDER BY ordinal_position`);
    const typeOf = Object.fromEntries(types.rows.map((r) => [r.column_name, r.data_type]));
    assert.equal(typeOf.id, 'bigint');
    assert.equal(typeOf.amount, 'numeric');
    assert.equal(typeOf.at, 'timestamp with time zone');
    assert.ok(mock.requestsFor(sql).every((r) => r.authorization === `Bearer ${TOKEN}`));
    const history = await historyText(handle);
    assert.match(history, /DBX_TEST_TOKEN/, 'the secret is referenced by name');
    assert.doesNotMatch(history, new RegExp(TOKEN));
  });

  test("a FAILED statement fails the node with Databricks' error message, without retries", async () => {
    const sql = scripted(script(0, 0, { runningPolls: 1, error: { error_code: 'BAD_REQUEST', message: '[UNRESOLVED_COLUMN] A column `amout` cannot be resolved.', sql_state: '42703' } }));
    const handle = await startRun(env.client, env.taskQueue, pipeline('failed', sql));
    await assert.rejects(handle.result(), (err: unknown) => err instanceof WorkflowFailedError);
    const p = await progressOf(handle);
    assert.equal(p.nodes.extract!.state, 'failed');
    assert.equal(p.nodes.extract!.attempt, 1);
    assert.equal(p.nodes.extract!.error, 'Databricks statement failed: [UNRESOLVED_COLUMN] A column `amout` cannot be resolved. [BAD_REQUEST, SQLSTATE 42703]');
    assert.equal(submits(sql).length, 1);
  });

  test('a wrong token fails the node non-retryably with a 401, and the token appears in no message or history', async () => {
    const sql = scripted(script(1, 5));
    const s = spec({
      name: uniqueName('dbx-unauthorized'),
      defaults: { retry: { maximumAttempts: 5, initialInterval: '100ms' } },
      nodes: [{ id: 'extract', type: 'databricks.read', config: { host: mock.url, token: { $secret: 'DBX_TEST_WRONG_TOKEN' }, warehouseId: mock.warehouseId, query: sql } }],
    });
    const handle = await startRun(env.client, env.taskQueue, s);
    await assert.rejects(handle.result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      assert.match(String(err.cause?.message), /POST http:\/\/127\.0\.0\.1:\d+\/api\/2\.0\/sql\/statements answered 401 Unauthorized/);
      assert.doesNotMatch(String(err.cause?.message), new RegExp(WRONG));
      return true;
    });
    const p = await progressOf(handle);
    assert.equal(p.nodes.extract!.attempt, 1);
    assert.match(p.nodes.extract!.error!, /authentication failed: check config\.token/);
    const history = await historyText(handle);
    assert.match(history, /DBX_TEST_WRONG_TOKEN/);
    assert.doesNotMatch(history, new RegExp(WRONG));
  });

  test('pausing mid-result and resuming continues at the next chunk of the same statement, fetching no chunk twice', async () => {
    const sql = scripted(script(8, 10, { chunkDelayMs: 300 }));
    const handle = await startRun(env.client, env.taskQueue, pipeline('paused', sql));
    await waitFor(async () => chunkFetches(sql).length >= 2, 'two chunks fetched');
    await handle.signal('pause');
    await waitFor(async () => (await progressOf(handle)).nodes.extract!.state === 'paused', 'the read to stop at a chunk boundary');
    const atPause = chunkFetches(sql).length;
    assert.ok(atPause < 7, `paused mid-result (${atPause} chunk requests)`);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(chunkFetches(sql).length, atPause, 'nothing fetched while paused');
    await handle.signal('resume');
    const result = (await handle.result()) as RunProgress;
    assert.equal(result.status, 'completed');
    assert.deepEqual(await loaded('paused'), range(80).map(expectedRow));
    assert.equal(submits(sql).length, 1, 'the same statement, not submitted again');
    assert.deepEqual(chunkFetches(sql), [1, 2, 3, 4, 5, 6, 7]);
  });

  test('a statement that expired during the pause is submitted again and the staged rows are skipped', async () => {
    const sql = scripted(script(6, 10, { chunkDelayMs: 300 }));
    const handle = await startRun(env.client, env.taskQueue, pipeline('expired', sql));
    await waitFor(async () => chunkFetches(sql).length >= 2, 'two chunks fetched');
    await handle.signal('pause');
    await waitFor(async () => (await progressOf(handle)).nodes.extract!.state === 'paused', 'the read to stop');
    const staged = (await progressOf(handle)).nodes.extract!.stats.rowsOut;
    const [first] = statementOf(sql);
    mock.expire(first!.id);
    await handle.signal('resume');
    const result = (await handle.result()) as RunProgress;
    assert.equal(result.status, 'completed');
    assert.deepEqual(await loaded('expired'), range(60).map(expectedRow), 'no row lost or duplicated');
    assert.equal(submits(sql).length, 2);
    const second = statementOf(sql).find((s) => s.id !== first!.id)!;
    const secondChunks = mock.requests.filter((r) => r.path.includes(`${second.id}/result/chunks/`)).map((r) => Number(r.path.split('/').pop()));
    assert.deepEqual(secondChunks, range(5).filter((c) => c >= staged / 10), `the new statement is read from the chunk after the ${staged} staged rows`);
  });

  test('pausing while the statement runs cancels it on the warehouse; resuming submits it again and loads every row once', async () => {
    const sql = scripted(script(3, 10, { runningPolls: 40 }));
    const handle = await startRun(env.client, env.taskQueue, pipeline('cancelled', sql));
    await waitFor(async () => statementOf(sql)[0]?.seen.includes('RUNNING'), 'the statement to run');
    await handle.signal('pause');
    await waitFor(async () => (await progressOf(handle)).nodes.extract!.state === 'paused', 'the read to stop');
    const [first] = statementOf(sql);
    assert.equal(first!.state, 'CANCELED');
    assert.equal(mock.requests.filter((r) => r.path === `/api/2.0/sql/statements/${first!.id}/cancel`).length, 1);
    mock.scripts.set(sql, script(3, 10, { runningPolls: 1 }));
    await handle.signal('resume');
    const result = (await handle.result()) as RunProgress;
    assert.equal(result.status, 'completed');
    assert.deepEqual(await loaded('cancelled'), range(30).map(expectedRow));
    assert.equal(submits(sql).length, 2);
  });
});
