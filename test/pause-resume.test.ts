// Pausing a 100k-row postgres.read -> transform.map -> postgres.write run mid-node on a real
// Temporal server and a real PostgreSQL, then resuming it: exact counts, no duplicates.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSlowFilter, createTestDatabase, temporalEnv, uniqueName, waitFor, type TemporalTestEnv, type TestDatabase } from './helpers/env.js';
import { progressOf, spec, startRun } from './helpers/pipelines.js';
import { startWorker, type RunningWorker } from './helpers/worker.js';
import type { RunProgress } from '../src/workflows/messages.js';

const ROWS = 100_000;
let env: TemporalTestEnv;
let db: TestDatabase;
let worker: RunningWorker;
const taskQueue = uniqueName('pause');

before(async () => {
  env = await temporalEnv();
  db = await createTestDatabase();
  await db.pool.query(`CREATE SCHEMA src; CREATE TABLE src.orders (id bigint PRIMARY KEY, customer text NOT NULL, amount numeric(12,2) NOT NULL, created_at timestamptz NOT NULL, meta jsonb)`);
  await db.pool.query(
    `INSERT INTO src.orders SELECT g, 'customer-' || (g % 977), (g % 10000) / 100.0, now() - g * interval '1 minute', jsonb_build_object('n', g) FROM generate_series(1, $1) g`,
    [ROWS],
  );
  // The load checks each row with a function that sleeps 200ms every 2000th order, so it lasts a
  // few seconds and a pause can land in the middle of it.
  await createSlowFilter(db);
  await db.pool.query(`CREATE SCHEMA dw; CREATE TABLE dw.orders (order_id bigint, customer text, amount double precision, created_at timestamptz, meta jsonb,
    CHECK (slow_every(order_id, 2000, 0.2)))`);
  worker = await startWorker(env.address, { namespace: env.namespace, taskQueue, env: { ...process.env, PAUSE_TEST_DB: db.url } });
});

after(async () => {
  await worker?.stop();
  await env?.close();
  await db?.drop();
});

test('pausing mid-node stops new work, keeps progress readable, and resume loads exactly 100k rows once', async () => {
  const s = spec({
    name: uniqueName('orders-pause'),
    nodes: [
      { id: 'extract', type: 'postgres.read', config: { connection: { $secret: 'PAUSE_TEST_DB' }, query: 'select id, customer, amount, created_at, meta from src.orders order by id', batchSize: 2000 } },
      { id: 'clean', type: 'transform.map', needs: ['extract'], config: { rename: { id: 'order_id' }, cast: { amount: 'float' } } },
      { id: 'load', type: 'postgres.write', needs: ['clean'], config: { connection: { $secret: 'PAUSE_TEST_DB' }, table: 'dw.orders', mode: 'append' } },
      { id: 'report', type: 'control.sleep', needs: ['load'], config: { ms: 10 } },
    ],
  });
  const handle = await startRun(env.client, taskQueue, s);
  const destCount = async () => {
    const exists = await db.pool.query(`select to_regclass('dw.orders') as t`);
    if (!exists.rows[0].t) return 0;
    return Number((await db.pool.query(`select count(*)::int as n from dw.orders`)).rows[0].n);
  };

  // Pause while the load is part-way through.
  await waitFor(async () => (await destCount()) >= 10_000, 'load to commit its first batches', 120_000);
  await handle.signal('pause');
  const paused = await waitFor(async () => {
    const p = await progressOf(handle);
    return p.status === 'paused' && p.nodes.load!.state === 'paused' ? p : null;
  }, 'the load node to stop at a batch boundary');
  const atPause = await destCount();
  assert.ok(atPause > 0 && atPause < ROWS, `paused mid-load (${atPause} rows loaded)`);
  assert.equal(atPause % 2000, 0, 'the load stopped at a batch boundary');

  // While paused: nothing moves, nothing new starts, and progress stays readable.
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(await destCount(), atPause, 'no rows are written while paused');
  const still: RunProgress = await progressOf(handle);
  assert.equal(still.status, 'paused');
  assert.equal(still.nodes.report!.state, 'pending', 'no node starts while paused');
  assert.equal(still.nodes.load!.stats.rowsOut, paused.nodes.load!.stats.rowsOut);
  const desc = await handle.describe();
  assert.equal(desc.status.name, 'RUNNING');
  assert.equal(desc.typedSearchAttributes.get({ name: 'SluiceStatus', type: 'KEYWORD' } as never), 'paused');

  await handle.signal('resume');
  const result = (await handle.result()) as RunProgress;
  assert.equal(result.status, 'completed');
  assert.equal(result.nodes.load!.outputs!.rows, ROWS);
  assert.equal(result.nodes.extract!.outputs!.rows, ROWS);

  const counts = await db.pool.query(`select count(*)::int as n, count(distinct order_id)::int as d, min(order_id)::int as lo, max(order_id)::int as hi from dw.orders`);
  assert.deepEqual(counts.rows[0], { n: ROWS, d: ROWS, lo: 1, hi: ROWS });
  const diff = await db.pool.query(
    `select count(*)::int as n from src.orders s full join dw.orders d on d.order_id = s.id
     where d.order_id is null or s.id is null or d.customer <> s.customer or d.amount <> s.amount::float8 or d.meta <> s.meta or d.created_at <> s.created_at`,
  );
  assert.equal(diff.rows[0].n, 0, 'every row arrives with the same values');
  const ledger = await db.pool.query(`select count(*)::int as batches, sum(rows)::int as rows from sluice.load_ledger where run_id = $1 and node_id = 'load'`, [handle.workflowId]);
  assert.deepEqual(ledger.rows[0], { batches: ROWS / 2000, rows: ROWS });
});
