// postgres.read on a real PostgreSQL and a real Temporal server: keyset reads resume after
// their last key without fetching a row twice, table mode selects and filters, and wrong
// names in the config fail at once with their config path instead of being retried.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { getRunView } from '../../../src/api/runs/view.js';
import type { RunProgress } from '../../../src/workflows/messages.js';
import { connectorTestEnv, type ConnectorTestEnv } from '../../../test/helpers/connector.js';
import { createSlowFilter, uniqueName, waitFor, type TestDatabase } from '../../../test/helpers/env.js';
import { progressOf, spec, startRun } from '../../../test/helpers/pipelines.js';

const ROWS = 20_000;
const BATCH = 200;
/** Every batch of the read takes 50ms longer. */
const SLOW = `slow_every(id, ${BATCH}, 0.05)`;
const connection = { $secret: 'READ_TEST_DB' };

let env: ConnectorTestEnv;

async function seed(db: TestDatabase): Promise<void> {
  await db.pool.query(`CREATE TABLE src (id bigint PRIMARY KEY, h text NOT NULL, grp int NOT NULL, at timestamptz NOT NULL)`);
  await db.pool.query(`INSERT INTO src SELECT g, md5(g::text), g % 7, timestamp '2024-01-01' + g * interval '1.000001 second' FROM generate_series(1, $1) g`, [ROWS]);
  // Not copied from src: the test's own reads of src would count in the statistics the first test measures.
  await db.pool.query(`CREATE TABLE nopk AS SELECT g::bigint AS id FROM generate_series(1, 10) g`);
  await db.pool.query(`ANALYZE src`);
  await createSlowFilter(db);
}

before(async () => {
  env = await connectorTestEnv({ queue: 'pgread', seed, workerEnv: (db) => ({ READ_TEST_DB: db.url }) });
});

after(() => env?.close());

/** Rows of `src` that scans have fetched so far, from the statistics every backend flushes when it exits. */
async function rowsFetched(): Promise<number> {
  await env.db.pool.query('SELECT pg_stat_clear_snapshot()');
  const r = await env.db.pool.query(`SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) AS n FROM pg_stat_user_tables WHERE relid = 'src'::regclass`);
  return Number(r.rows[0].n);
}

/**
 * Runs `extract` (a slowed read of src) -> load into `table`: pauses it once a few batches are
 * staged, checks it stopped mid-read at a batch boundary and resumes it. Returns the finished run
 * and the rows staged at the pause.
 */
async function pauseAndResumeRead(name: string, read: Record<string, unknown>, table: string): Promise<{ result: RunProgress; atPause: number }> {
  const s = spec({
    name: uniqueName(name),
    nodes: [
      { id: 'extract', type: 'postgres.read', config: { connection, ...read, batchSize: BATCH } },
      { id: 'load', type: 'postgres.write', needs: ['extract'], config: { connection, table, mode: 'append' } },
    ],
  });
  const handle = await startRun(env.client, env.taskQueue, s);
  await waitFor(async () => ((await getRunView(env.client, handle.workflowId)).nodes.extract?.stats.rowsOut ?? 0) >= 10 * BATCH, 'the read to stage a few batches', 60_000);
  await handle.signal('pause');
  const paused = await waitFor(async () => {
    const p = await progressOf(handle);
    return p.nodes.extract!.state === 'paused' ? p : null;
  }, 'the read to stop at a batch boundary');
  const atPause = paused.nodes.extract!.stats.rowsOut;
  assert.ok(atPause > 0 && atPause < ROWS, `paused mid-read (${atPause} rows staged)`);
  assert.equal(atPause % BATCH, 0, 'stopped at a batch boundary');

  await handle.signal('resume');
  const result = (await handle.result()) as RunProgress;
  assert.equal(result.status, 'completed');
  assert.equal(result.nodes.extract!.outputs!.rows, ROWS);
  return { result, atPause };
}

/** `table` holds every row of src once, with its values. */
async function assertLoaded(table: string): Promise<void> {
  const dst = await env.db.pool.query(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS d, min(id)::int AS lo, max(id)::int AS hi FROM ${table}`);
  assert.deepEqual(dst.rows[0], { n: ROWS, d: ROWS, lo: 1, hi: ROWS });
  const diff = await env.db.pool.query(`SELECT count(*)::int AS n FROM src s FULL JOIN ${table} d USING (id) WHERE d.id IS NULL OR s.id IS NULL OR d.h <> s.h OR d.at <> s.at`);
  assert.equal(diff.rows[0].n, 0, 'every row arrives with its values');
}

test('a keyset read paused mid-table resumes after its last key and fetches every source row exactly once', async () => {
  const fetchedBefore = await rowsFetched();
  const { atPause } = await pauseAndResumeRead('keyset-pause', { table: 'src', where: SLOW }, 'keyset_dst');

  // The resumed read started after the last staged key; an OFFSET resume would scan the first
  // `atPause` rows (at least 10 batches) again. The paused read's statement may have fetched a
  // batch or two past its last staged row before it was stopped; the planner's probes add a handful.
  const fetched = await waitFor(async () => {
    const n = (await rowsFetched()) - fetchedBefore;
    return n >= ROWS ? n : null;
  }, 'the readers to flush their statistics');
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await rowsFetched()) - fetchedBefore, fetched, 'no reader was still running');
  assert.ok(fetched < ROWS + 5 * BATCH, `${fetched} rows fetched from src across both executions for ${ROWS} rows (paused after ${atPause})`);
  await assertLoaded('keyset_dst');
});

test('a query without a key, read through COPY, paused mid-read resumes at the rows it staged and loads each row once', async () => {
  const { result } = await pauseAndResumeRead('offset-pause', { query: `SELECT id, h, at FROM src WHERE ${SLOW} ORDER BY id` }, 'offset_dst');
  assert.equal((result.nodes.extract!.outputs!.dataset as { format?: string }).format, 'pgcopy');
  await assertLoaded('offset_dst');
});

test('table mode reads the chosen columns of the rows its where clause selects, with bound params', async () => {
  const s = spec({
    name: uniqueName('keyset-table'),
    nodes: [
      { id: 'extract', type: 'postgres.read', config: { connection, table: 'src', columns: ['id', 'h'], where: 'grp = $1 AND id <= $2', params: [3, 5000], key: ['id'], batchSize: 97 } },
      { id: 'load', type: 'postgres.write', needs: ['extract'], config: { connection, table: 'table_dst' } },
    ],
  });
  const result = (await (await startRun(env.client, env.taskQueue, s)).result()) as RunProgress;
  assert.equal(result.status, 'completed');
  const expected = (await env.db.pool.query(`SELECT count(*)::int AS n FROM src WHERE grp = 3 AND id <= 5000`)).rows[0].n;
  assert.equal(result.nodes.extract!.outputs!.rows, expected);
  const cols = await env.db.pool.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'table_dst' ORDER BY ordinal_position`);
  assert.deepEqual(cols.rows.map((r) => r.column_name), ['id', 'h']);
  const diff = await env.db.pool.query(
    `SELECT count(*)::int AS n FROM (SELECT id, h FROM src WHERE grp = 3 AND id <= 5000) s FULL JOIN table_dst d USING (id) WHERE d.id IS NULL OR s.id IS NULL OR d.h <> s.h`,
  );
  assert.equal(diff.rows[0].n, 0);
});

test('a query with a key pages by keyset over the query output, ties of a non-unique column included', async () => {
  const s = spec({
    name: uniqueName('keyset-query'),
    nodes: [
      {
        id: 'extract',
        type: 'postgres.read',
        // grp repeats across batches of 50: the key (grp, id) keeps ties apart.
        config: { connection, query: 'SELECT grp, id, h FROM src WHERE id <= $1', params: [3000], key: ['grp', 'id'], batchSize: 50 },
      },
      { id: 'load', type: 'postgres.write', needs: ['extract'], config: { connection, table: 'query_dst' } },
    ],
  });
  const result = (await (await startRun(env.client, env.taskQueue, s)).result()) as RunProgress;
  assert.equal(result.status, 'completed');
  assert.equal(result.nodes.extract!.outputs!.rows, 3000);
  const dst = await env.db.pool.query(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM query_dst`);
  assert.deepEqual(dst.rows[0], { n: 3000, d: 3000 });
});

test('a wrong key column, a missing table or incremental column, or a table without a key fails at once with its config path', async () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['missing-table', { table: 'no_such_table' }, /^config\.table: relation "no_such_table" does not exist$/],
    ['unknown-key', { table: 'src', key: ['idx'] }, /^config\.key: table src has no column\(s\) idx \(it has id, h, grp, at\)$/],
    ['unknown-incremental', { table: 'src', incremental: { column: 'updated_at' } }, /^config\.incremental\.column: table src has no column\(s\) updated_at/],
    ['no-primary-key', { table: 'nopk' }, /^config\.key: required: table nopk has no primary key to page by/],
    ['query-key', { query: 'SELECT id AS order_id FROM src', key: ['id'] }, /^config\.key: the query has no column\(s\) id \(it has order_id\)$/],
    ['bad-where', { table: 'src', where: 'no_such_column > 1' }, /^config\.where: column "no_such_column" does not exist$/],
  ];
  await Promise.all(
    cases.map(async ([name, config, message]) => {
      const s = spec({
        name: uniqueName(name),
        defaults: { retry: { maximumAttempts: 3, initialInterval: '100ms' } },
        nodes: [{ id: 'extract', type: 'postgres.read', config: { connection, ...config } }],
      });
      const handle = await startRun(env.client, env.taskQueue, s);
      await assert.rejects(handle.result());
      const p = await progressOf(handle);
      assert.equal(p.status, 'failed', name);
      assert.equal(p.nodes.extract!.state, 'failed', name);
      assert.match(p.nodes.extract!.error ?? '', message, name);
      assert.equal(p.nodes.extract!.attempt, 1, `${name}: not retried`);
    }),
  );
});
