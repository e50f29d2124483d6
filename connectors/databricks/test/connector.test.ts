// databricks.read's parts against the real Statement Execution API mock over HTTP (no Temporal):
// value conversion by type_name, polling, FAILED statements, cancelling on stop, re-submitting an
// expired statement, and check().
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SourceBatch, SourceContext } from '../../../src/kit/contract.js';
import { ConfigError } from '../../../src/kit/errors.js';
import { check } from '../check.js';
import { read } from '../read.js';
import { databricksReadConfig, type DatabricksReadConfig } from '../schema.js';
import { columnOf, convertRow } from '../types.js';
import { startDatabricksMock, type DatabricksMock, type StatementScript } from './mock.js';
import { uniqueName } from '../../../test/helpers/env.js';
import { allBatches, rejection, sourceContext } from '../../../test/helpers/source.js';

const TOKEN = 'dapi-connector-0a1b2c3d4e5f';
let mock: DatabricksMock;

before(async () => {
  mock = await startDatabricksMock({ token: TOKEN });
});
after(async () => {
  await mock?.close();
});

function config(query: string, extra: Record<string, unknown> = {}): DatabricksReadConfig {
  return databricksReadConfig.parse({ host: mock.url, token: TOKEN, warehouseId: mock.warehouseId, query, maxPollInterval: 100, ...extra });
}

/** A script of `chunks` chunks of 3 rows (id, name), ids counting from 1. */
function script(chunks: number, extra: Partial<StatementScript> = {}): StatementScript {
  let id = 0;
  return {
    columns: [
      { name: 'id', type_name: 'INT', type_text: 'INT' },
      { name: 'name', type_name: 'STRING', type_text: 'STRING' },
    ],
    chunks: Array.from({ length: chunks }, () => Array.from({ length: 3 }, () => [String(++id), `n${id}`])),
    ...extra,
  };
}

function scripted(s: StatementScript): string {
  const sql = `SELECT id, name FROM t /* ${uniqueName('q')} */`;
  mock.scripts.set(sql, s);
  return sql;
}

const collect = (cfg: DatabricksReadConfig, c: SourceContext = sourceContext()): Promise<SourceBatch[]> => allBatches(read(cfg, c));

const ids = (batches: SourceBatch[]): unknown[] => batches.flatMap((b) => b.rows.map((r) => r.id));
const seq = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('values', () => {
  test('JSON_ARRAY strings become exact values of the logical type their type_name maps to', () => {
    const cols = [
      ['b', 'LONG'], ['b2', 'BIGINT'], ['i', 'INT'], ['s', 'SHORT'], ['d', 'DECIMAL'], ['f', 'DOUBLE'], ['nan', 'DOUBLE'], ['ok', 'BOOLEAN'],
      ['day', 'DATE'], ['at', 'TIMESTAMP'], ['t', 'STRING'], ['arr', 'ARRAY'], ['m', 'MAP'], ['bin', 'BINARY'], ['nul', 'INT'],
    ].map(([name, type_name]) => columnOf({ name: name!, type_name }));
    assert.deepEqual(
      cols.map((c) => c.type),
      ['bigint', 'bigint', 'int', 'int', 'numeric', 'float', 'float', 'boolean', 'date', 'timestamp', 'text', 'json', 'json', 'text', 'int'],
    );
    const out = convertRow(
      ['9007199254740993', '-9223372036854775808', '42', '-7', '12345678901234567890.123456789', '0.1', 'NaN', 'true', '2024-02-29', '2024-02-29T23:59:59.123456Z', 'x', '["a",1]', '{"k":"v"}', 'AAE=', null],
      cols,
    );
    assert.ok('row' in out);
    assert.deepEqual(out.row, {
      b: '9007199254740993', b2: '-9223372036854775808', i: 42, s: -7, d: '12345678901234567890.123456789', f: 0.1, nan: NaN, ok: true,
      day: '2024-02-29', at: '2024-02-29T23:59:59.123456Z', t: 'x', arr: ['a', 1], m: { k: 'v' }, bin: 'AAE=', nul: null,
    });
  });

  test('a value that does not parse as its type, or a row of the wrong width, is rejected with the column named', () => {
    const cols = [columnOf({ name: 'n', type_name: 'INT' }), columnOf({ name: 'ok', type_name: 'BOOLEAN' })];
    assert.deepEqual(convertRow(['12x', 'true'], cols), { reason: 'column "n" (INT): "12x" is not an integer' });
    assert.deepEqual(convertRow(['1', 'yes'], cols), { reason: 'column "ok" (BOOLEAN): "yes" is not a boolean' });
    assert.deepEqual(convertRow(['1'], cols), { reason: 'expected an array of 2 values, got 1' });
  });
});

describe('reading a statement', () => {
  test('polls a PENDING then RUNNING statement with growing intervals, then stages every chunk in order', async () => {
    const sql = scripted(script(3, { pendingPolls: 2, runningPolls: 2 }));
    const batches = await collect(config(sql, { maxPollInterval: '1s' }));
    assert.deepEqual(ids(batches), seq(1, 9));
    const [s] = [...mock.statements.values()].filter((x) => x.sql === sql);
    assert.deepEqual(batches.map((b) => b.cursor), [
      { statementId: s!.id, nextChunk: 1, rowOffset: 3 },
      { statementId: s!.id, nextChunk: 2, rowOffset: 6 },
      { statementId: s!.id, nextChunk: null, rowOffset: 9 },
    ]);
    assert.deepEqual(s!.seen, ['PENDING', 'PENDING', 'RUNNING', 'RUNNING', 'SUCCEEDED']);
    const calls = mock.requestsFor(sql);
    assert.deepEqual(calls.filter((r) => r.path.includes('/result/chunks/')).map((r) => r.path.split('/').pop()), ['1', '2'], 'chunk 0 came with the statement');
    const polls = calls.filter((r) => r.method === 'GET' && !r.path.includes('/result/'));
    const gaps = polls.slice(1).map((r, i) => r.at - polls[i]!.at);
    assert.equal(gaps.length, 4);
    assert.ok(gaps.every((g, i) => i === 0 || g >= gaps[i - 1]! - 20), `polling slows down: ${gaps.join(', ')}ms`);
    // 1.5x, not 2x: on a loaded machine the first gap stretches too.
    assert.ok(gaps[3]! >= 1.5 * gaps[0]! && gaps[3]! <= 1100, `from about 250ms up to maxPollInterval: ${gaps.join(', ')}ms`);
    const submit = calls[0]!;
    assert.deepEqual(submit.body, { statement: sql, warehouse_id: mock.warehouseId, wait_timeout: '10s', on_wait_timeout: 'CONTINUE', disposition: 'INLINE', format: 'JSON_ARRAY' });
    assert.ok(calls.every((r) => r.authorization === `Bearer ${TOKEN}`));
  });

  test('sends catalog, schema and typed parameters in the shape the API takes', async () => {
    const sql = scripted(script(1));
    await collect(config(sql, { catalog: 'main', schema: 'sales', parameters: [{ name: 'since', value: '2024-01-01', type: 'DATE' }, { name: 'n', value: 5 }, { name: 'none', value: null }] }));
    assert.deepEqual((mock.requestsFor(sql)[0]!.body as Record<string, unknown>).parameters, [
      { name: 'since', value: '2024-01-01', type: 'DATE' },
      { name: 'n', value: '5' },
      { name: 'none' },
    ]);
    assert.equal((mock.requestsFor(sql)[0]!.body as Record<string, unknown>).catalog, 'main');
  });

  test("a FAILED statement fails with Databricks' message, non-retryably for a SQL error and retryably for a transient one", async () => {
    const sql = scripted(script(0, { runningPolls: 1, error: { error_code: 'BAD_REQUEST', message: '[TABLE_OR_VIEW_NOT_FOUND] The table `sales` cannot be found.', sql_state: '42P01' } }));
    const err = await rejection(collect(config(sql)));
    assert.ok(err instanceof ConfigError);
    assert.equal(err.message, 'Databricks statement failed: [TABLE_OR_VIEW_NOT_FOUND] The table `sales` cannot be found. [BAD_REQUEST, SQLSTATE 42P01]');
    const transient = scripted(script(0, { error: { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'warehouse is restarting' } }));
    const err2 = await rejection(collect(config(transient)));
    assert.ok(!(err2 instanceof ConfigError));
    assert.match(err2.message, /warehouse is restarting/);
  });

  test('a stop while the statement runs cancels it on the warehouse and hands back a cursor that re-submits on resume', async () => {
    const sql = scripted(script(2, { runningPolls: 50 }));
    const stop = new AbortController();
    const it = read(config(sql), sourceContext(undefined, stop.signal))[Symbol.asyncIterator]();
    const first = it.next();
    await new Promise((r) => setTimeout(r, 400));
    stop.abort();
    const batch = (await first).value as SourceBatch;
    await it.return?.();
    const [s] = [...mock.statements.values()].filter((x) => x.sql === sql);
    assert.deepEqual(batch, { rows: [], cursor: { statementId: s!.id, nextChunk: 0, rowOffset: 0 } });
    assert.equal(s!.state, 'CANCELED');
    assert.equal(mock.requestsFor(sql).filter((r) => r.path.endsWith('/cancel')).length, 1);

    mock.scripts.set(sql, script(2));
    const resumed = await collect(config(sql), sourceContext(batch.cursor));
    assert.deepEqual(ids(resumed), seq(1, 6));
    assert.equal(mock.requestsFor(sql).filter((r) => r.method === 'POST' && r.path === '/api/2.0/sql/statements').length, 2, 'submitted again');
  });

  test('resuming continues at the next chunk of the same statement', async () => {
    const sql = scripted(script(4));
    const all = await collect(config(sql));
    const cursor = all[1]!.cursor;
    const before = mock.requestsFor(sql).length;
    const resumed = await collect(config(sql), sourceContext(cursor));
    assert.deepEqual(ids(resumed), seq(7, 12));
    const calls = mock.requestsFor(sql).slice(before).map((r) => `${r.method} ${r.path.replace(/[0-9a-f-]{36}/, 'ID')}`);
    assert.deepEqual(calls, ['GET /api/2.0/sql/statements/ID', 'GET /api/2.0/sql/statements/ID/result/chunks/2', 'GET /api/2.0/sql/statements/ID/result/chunks/3']);
  });

  test('resuming after the statement expired re-submits it and skips the rows already staged', async () => {
    const sql = scripted(script(4));
    const all = await collect(config(sql));
    const cursor = all[1]!.cursor as { statementId: string };
    mock.expire(cursor.statementId);
    const resumed = await collect(config(sql), sourceContext(cursor));
    assert.deepEqual(ids(resumed), seq(7, 12));
    const submits = mock.requestsFor(sql).filter((r) => r.method === 'POST');
    assert.equal(submits.length, 2);
    assert.ok(resumed.every((b) => (b.cursor as { statementId: string }).statementId !== cursor.statementId), 'the cursor follows the new statement');
  });

  test('an empty result still hands on its columns', async () => {
    const sql = scripted(script(0));
    const batches = await collect(config(sql));
    const [s] = [...mock.statements.values()].filter((x) => x.sql === sql);
    assert.deepEqual(batches, [{ rows: [], cursor: { statementId: s!.id, nextChunk: null, rowOffset: 0 }, schema: [{ name: 'id', type: 'int' }, { name: 'name', type: 'text' }] }]);
  });
});

describe('check', () => {
  test('passes when the token can see the warehouse, without running SQL', async () => {
    const before = mock.requests.length;
    await check(config('SELECT 1'), sourceContext());
    assert.deepEqual(mock.requests.slice(before).map((r) => `${r.method} ${r.path}`), [`GET /api/2.0/sql/warehouses/${mock.warehouseId}`]);
  });

  test('a wrong token fails with 401, names config.token, and never echoes the token', async () => {
    const wrong = 'dapi-wrong-99887766';
    const err = await rejection(check(databricksReadConfig.parse({ host: mock.url, token: wrong, warehouseId: mock.warehouseId, query: 'SELECT 1' }), sourceContext()));
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /answered 401 Unauthorized: .*Invalid access token.*; authentication failed: check config\.token/);
    assert.doesNotMatch(err.message, new RegExp(wrong));
  });

  test('an unknown warehouse and an unreachable host each say what is wrong', async () => {
    const err = await rejection(check(config('SELECT 1', { warehouseId: 'nope' }), sourceContext()));
    assert.match(err.message, /^config\.warehouseId: there is no SQL warehouse "nope"/);
    const closed = await startDatabricksMock({ token: TOKEN });
    await closed.close();
    const err2 = await rejection(check(config('SELECT 1', { host: closed.url }), sourceContext()));
    assert.match(err2.message, /^config\.host: GET http:\/\/127\.0\.0\.1:\d+\/api\/2\.0\/sql\/warehouses\/abc123def456 cannot connect \(ECONNREFUSED\)/);
  });
});
