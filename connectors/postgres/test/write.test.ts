// postgres.write on a real PostgreSQL and a real Temporal server: upsert updates existing keys,
// and replace loads into a shadow table that one transaction swaps in, so readers never see a
// half-loaded table, an empty input empties it, and a retried finish does not swap twice.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SinkContext, SinkNodeType } from '../../../src/kit/contract.js';
import type { Row } from '../../../src/kit/dataset.js';
import { postgres } from '../index.js';
import { postgresWriteConfig } from '../schema.js';
import { createLogger } from '../../../src/log.js';
import type { RunProgress } from '../../../src/workflows/messages.js';
import { connectorTestEnv, type ConnectorTestEnv } from '../../../test/helpers/connector.js';
import { uniqueName, waitFor, type TestDatabase } from '../../../test/helpers/env.js';
import { progressOf, spec, startRun } from '../../../test/helpers/pipelines.js';
import { testAccess } from '../../../test/helpers/access.js';

const ROWS = 20_000;
const BATCH = 200;
const connection = { $secret: 'WRITE_TEST_DB' };

let env: ConnectorTestEnv;

async function seed(db: TestDatabase): Promise<void> {
  await db.pool.query(`CREATE TABLE src (id bigint PRIMARY KEY, h text NOT NULL)`);
  await db.pool.query(`INSERT INTO src SELECT g, md5(g::text) FROM generate_series(1, $1) g`, [ROWS]);
  // A CHECK that sleeps 50ms on every 200th id: each batch of the load takes that much longer.
  await db.pool.query(`CREATE FUNCTION slow_check(id bigint) RETURNS boolean LANGUAGE plpgsql AS $$
    BEGIN IF id % ${BATCH} = 0 THEN PERFORM pg_sleep(0.05); END IF; RETURN true; END $$`);
}

before(async () => {
  env = await connectorTestEnv({ queue: 'pgwrite', seed, workerEnv: (db) => ({ WRITE_TEST_DB: db.url }) });
});

after(() => env?.close());

async function count(sql: string, params: unknown[] = []): Promise<number> {
  return Number((await env.db.pool.query(sql, params)).rows[0].n);
}

function readSrc(extra: Record<string, unknown> = {}) {
  return { id: 'extract', type: 'postgres.read', config: { connection, table: 'src', batchSize: BATCH, ...extra } };
}

test('upsert updates the rows of existing keys and inserts the others', async () => {
  await env.db.pool.query(`CREATE TABLE up_dst (id bigint PRIMARY KEY, h text NOT NULL, note text DEFAULT 'kept')`);
  await env.db.pool.query(`INSERT INTO up_dst (id, h) SELECT g, 'old' FROM generate_series(1, 500) g`);
  await env.db.pool.query(`INSERT INTO up_dst (id, h) VALUES (900001, 'untouched')`);
  const s = spec({
    name: uniqueName('upsert'),
    nodes: [readSrc({ where: 'id <= 2000' }), { id: 'load', type: 'postgres.write', needs: ['extract'], config: { connection, table: 'up_dst', mode: 'upsert', key: ['id'] } }],
  });
  const result = (await (await startRun(env.client, env.taskQueue, s)).result()) as RunProgress;
  assert.equal(result.status, 'completed');
  assert.equal(await count(`SELECT count(*) AS n FROM up_dst`), 2001);
  assert.equal(await count(`SELECT count(*) AS n FROM up_dst WHERE h = 'old'`), 0, 'existing keys were updated');
  assert.equal(await count(`SELECT count(*) AS n FROM up_dst d JOIN src s USING (id) WHERE d.h = s.h`), 2000);
  assert.equal(await count(`SELECT count(*) AS n FROM up_dst WHERE note = 'kept'`), 2001, 'columns outside the dataset keep their values');
  assert.equal(await count(`SELECT count(*) AS n FROM up_dst WHERE id = 900001 AND h = 'untouched'`), 1);
});

test('replace loads into a shadow table: readers see only the old rows during a paused load, then all the new ones', async () => {
  await env.db.pool.query(`CREATE TABLE rep_dst (seq bigserial, id bigint PRIMARY KEY, h text NOT NULL, loaded_at timestamptz NOT NULL DEFAULT now(), CHECK (slow_check(id)))`);
  await env.db.pool.query(`CREATE INDEX rep_dst_h_idx ON rep_dst (h)`);
  await env.db.pool.query(`INSERT INTO rep_dst (id, h) SELECT g, 'old' FROM generate_series(100001, 103000) g`);
  const s = spec({
    name: uniqueName('replace'),
    nodes: [readSrc(), { id: 'load', type: 'postgres.write', needs: ['extract'], config: { connection, table: 'rep_dst', mode: 'replace' } }],
  });
  const handle = await startRun(env.client, env.taskQueue, s);
  const batches = () => count(`SELECT count(*) AS n FROM sluice.load_ledger WHERE run_id = $1 AND node_id = 'load' AND batch >= 0`, [handle.workflowId]).catch(() => 0);
  await waitFor(async () => (await batches()) >= 10, 'the load to commit a few batches', 60_000);
  await handle.signal('pause');
  await waitFor(async () => (await progressOf(handle)).nodes.load!.state === 'paused', 'the load to pause');

  // Another connection, mid-load: the table is exactly the old one; the new rows sit in the shadow.
  const loaded = await batches();
  assert.ok(loaded > 0 && loaded < ROWS / BATCH, `paused mid-load (${loaded} batches)`);
  const visible = await env.db.pool.query(`SELECT count(*)::int AS n, count(*) FILTER (WHERE h = 'old')::int AS old FROM rep_dst`);
  assert.deepEqual(visible.rows[0], { n: 3000, old: 3000 }, 'readers see the old table, untouched');
  const shadows = await env.db.pool.query(`SELECT tablename FROM pg_tables WHERE tablename LIKE 'rep\\_dst\\_\\_sluice\\_%'`);
  assert.equal(shadows.rows.length, 1);
  assert.equal(await count(`SELECT count(*) AS n FROM ${shadows.rows[0].tablename}`), loaded * BATCH, 'committed batches are in the shadow table');

  await handle.signal('resume');
  const result = (await handle.result()) as RunProgress;
  assert.equal(result.status, 'completed');
  assert.equal(await count(`SELECT count(*) AS n FROM rep_dst`), ROWS);
  assert.equal(await count(`SELECT count(*) AS n FROM rep_dst d JOIN src s USING (id) WHERE d.h = s.h AND d.seq IS NOT NULL AND d.loaded_at IS NOT NULL`), ROWS);
  assert.equal(await count(`SELECT count(*) AS n FROM pg_tables WHERE tablename LIKE 'rep\\_dst\\_\\_%'`), 0, 'no shadow or old table is left');
  const indexes = await env.db.pool.query(`SELECT indexname FROM pg_indexes WHERE tablename = 'rep_dst' ORDER BY 1`);
  assert.deepEqual(indexes.rows.map((r) => r.indexname), ['rep_dst_h_idx', 'rep_dst_pkey'], 'indexes carried over under their usual names');
  // The serial column's sequence moved to the new table with the old one's drop.
  await env.db.pool.query(`INSERT INTO rep_dst (id, h) VALUES (-1, 'after')`);
  const ledger = await env.db.pool.query(`SELECT count(*)::int AS n, count(*) FILTER (WHERE batch = -1)::int AS swaps FROM sluice.load_ledger WHERE run_id = $1`, [handle.workflowId]);
  assert.deepEqual(ledger.rows[0], { n: ROWS / BATCH + 1, swaps: 1 });
});

test('replace with an empty input empties the table', async () => {
  await env.db.pool.query(`CREATE TABLE rep_empty (id bigint PRIMARY KEY, h text)`);
  await env.db.pool.query(`INSERT INTO rep_empty SELECT g, 'old' FROM generate_series(1, 100) g`);
  const s = spec({
    name: uniqueName('replace-empty'),
    nodes: [readSrc({ where: 'false' }), { id: 'load', type: 'postgres.write', needs: ['extract'], config: { connection, table: 'rep_empty', mode: 'replace' } }],
  });
  const handle = await startRun(env.client, env.taskQueue, s);
  const result = (await handle.result()) as RunProgress;
  assert.equal(result.status, 'completed');
  assert.equal(result.nodes.load!.outputs!.rows, 0);
  assert.equal(await count(`SELECT count(*) AS n FROM rep_empty`), 0);
  assert.equal(await count(`SELECT count(*) AS n FROM sluice.load_ledger WHERE run_id = $1 AND batch = -1`, [handle.workflowId]), 1);
});

const sinkNode = postgres.nodes.find((n) => n.verb === 'write') as SinkNodeType;
const logger = createLogger('silent');

function sinkContext(runId: string, attempt: number): SinkContext {
  return { runId, pipeline: 'direct', nodeId: 'load', attempt, log: logger, signal: new AbortController().signal, access: testAccess, schema: [{ name: 'id', type: 'bigint' }, { name: 'h', type: 'text' }] };
}

const rowsOf = (from: number, to: number): Row[] => Array.from({ length: to - from + 1 }, (_, i) => ({ id: from + i, h: `new-${from + i}` }));

test('a retried finish after the swap committed neither fails nor swaps again', async () => {
  await env.db.pool.query(`CREATE TABLE rep_retry (id bigint PRIMARY KEY, h text)`);
  await env.db.pool.query(`INSERT INTO rep_retry VALUES (1, 'old')`);
  const config = postgresWriteConfig.parse({ connection: env.db.url, table: 'rep_retry', mode: 'replace' });
  const runId = uniqueName('direct');

  const first = await sinkNode.open(config, sinkContext(runId, 1));
  await first.write(0, rowsOf(1, 10));
  await first.write(1, rowsOf(11, 15));
  await first.finish({ batches: 2, rows: 15 });
  await first.close();
  const swappedOid = (await env.db.pool.query(`SELECT 'rep_retry'::regclass::oid AS oid`)).rows[0].oid;

  // As if the attempt died after the swap committed but before it reported success.
  const retry = await sinkNode.open(config, sinkContext(runId, 2));
  assert.deepEqual(await retry.write(0, rowsOf(1, 10)), { skipped: true });
  assert.deepEqual(await retry.write(1, rowsOf(11, 15)), { skipped: true });
  assert.deepEqual(await retry.finish({ batches: 2, rows: 15 }), { table: 'rep_retry' });
  await retry.close();

  assert.equal((await env.db.pool.query(`SELECT 'rep_retry'::regclass::oid AS oid`)).rows[0].oid, swappedOid, 'not swapped again');
  assert.equal(await count(`SELECT count(*) AS n FROM rep_retry WHERE h LIKE 'new-%'`), 15);
  assert.equal(await count(`SELECT count(*) AS n FROM rep_retry`), 15);
  assert.equal(await count(`SELECT count(*) AS n FROM sluice.load_ledger WHERE run_id = $1`, [runId]), 3);
});

test('replace refuses to swap when other objects depend on the table, and leaves it as it was', async () => {
  await env.db.pool.query(`CREATE TABLE rep_viewed (id bigint PRIMARY KEY, h text)`);
  await env.db.pool.query(`INSERT INTO rep_viewed VALUES (1, 'old')`);
  await env.db.pool.query(`CREATE VIEW rep_viewed_v AS SELECT * FROM rep_viewed`);
  const config = postgresWriteConfig.parse({ connection: env.db.url, table: 'rep_viewed', mode: 'replace' });
  const writer = await sinkNode.open(config, sinkContext(uniqueName('viewed'), 1));
  try {
    await writer.write(0, rowsOf(1, 5));
    await assert.rejects(writer.finish({ batches: 1, rows: 5 }), (err: Error) => {
      assert.equal(err.name, 'ConfigError');
      assert.match(err.message, /^config\.table: cannot swap the new rep_viewed in, because other objects depend on the old one \(view rep_viewed_v depends on table rep_viewed\); /);
      return true;
    });
  } finally {
    await writer.close();
  }
  assert.deepEqual((await env.db.pool.query(`SELECT id::int, h FROM rep_viewed_v`)).rows, [{ id: 1, h: 'old' }]);
});
