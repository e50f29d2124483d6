// Exactly-once under SIGKILL, upsert mode: a `sluice worker` process is killed in the middle of a
// 100k-row upsert into a table that already holds some of the keys with stale values; a new worker
// process finishes the retried load, and the table ends up equal to the source, row for row.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunProgress } from '../../../src/workflows/messages.js';
import { uniqueName } from '../../../test/helpers/env.js';
import { assertExactlyOnce, ledgerBatches, pollUntil, seedOrders, killTestEnv, type KillTestEnv } from './exactly-once.js';
import { spec, startRun } from '../../../test/helpers/pipelines.js';

const ROWS = 100_000;
const BATCH = 500;
let env: KillTestEnv;

before(async () => {
  env = await killTestEnv('exactly-once-upsert', async (db) => {
    await seedOrders(db, ROWS);
    // A tenth of the keys exist already, with values the load must overwrite.
    await db.pool.query(`CREATE TABLE dst_upsert (LIKE src.orders INCLUDING ALL)`);
    await db.pool.query(`INSERT INTO dst_upsert SELECT id, 'stale', 0, created_at, NULL FROM src.orders WHERE id % 10 = 0`);
  });
});

after(() => env?.close());

test('SIGKILL of the worker mid-upsert: a new worker process finishes it and the table equals the source', async (t) => {
  const first = await env.spawnWorker();

  const s = spec({
    name: uniqueName('exo-upsert'),
    defaults: { heartbeatTimeout: '5s', retry: { maximumAttempts: 5, initialInterval: '200ms' } },
    nodes: [
      { id: 'extract', type: 'postgres.read', config: { connection: { $secret: 'EXO_DB' }, query: 'SELECT * FROM src.orders', key: ['id'], batchSize: BATCH } },
      { id: 'load', type: 'postgres.write', needs: ['extract'], config: { connection: { $secret: 'EXO_DB' }, table: 'dst_upsert', mode: 'upsert', key: ['id'] } },
    ],
  });
  const handle = await startRun(env.client, env.taskQueue, s);
  await pollUntil(async () => (await ledgerBatches(env.db, handle.workflowId)) >= 5, 'the upsert to commit a few batches');
  await first.kill('SIGKILL');
  const atKill = await ledgerBatches(env.db, handle.workflowId);
  assert.ok(atKill < ROWS / BATCH, `killed mid-load (${atKill} of ${ROWS / BATCH} batches committed)`);

  const killedAt = Date.now();
  await env.spawnWorker();
  const result = (await handle.result()) as RunProgress;
  assert.equal(result.status, 'completed');
  assert.ok(result.nodes.load!.attempt >= 2, `the killed load was retried (attempt ${result.nodes.load!.attempt})`);
  assert.equal(result.nodes.load!.outputs!.rows, ROWS);
  await assertExactlyOnce(env.db, 'dst_upsert', handle.workflowId, ROWS, ROWS / BATCH);
  t.diagnostic(`killed after ${atKill} batches; ${String(result.nodes.load!.outputs!.skippedBatches)} skipped by the ledger on retry; completed ${Date.now() - killedAt}ms after the kill`);
});
