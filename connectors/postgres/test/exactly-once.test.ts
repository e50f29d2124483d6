// The headline proof of exactly-once loads: a 100k-row postgres.read -> postgres.write (append,
// so any duplicate would show) runs on a `sluice worker` process that is SIGKILLed in the middle
// of the load: no graceful shutdown, no checkpoint handed back. A new worker process (same host,
// so same staging dir) picks the retried load up after its heartbeat timeout, and every source
// row arrives exactly once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunProgress } from '../../../src/workflows/messages.js';
import { uniqueName } from '../../../test/helpers/env.js';
import { assertExactlyOnce, ledgerBatches, pollUntil, seedOrders, killTestEnv, type KillTestEnv } from './exactly-once.js';
import { progressOf, spec, startRun } from '../../../test/helpers/pipelines.js';

const ROWS = 100_000;
const BATCH = 500;
let env: KillTestEnv;

before(async () => {
  env = await killTestEnv('exactly-once', async (db) => {
    await seedOrders(db, ROWS);
  });
});

after(() => env?.close());

test('SIGKILL of the worker mid-load: the retried load on a new worker process commits every row exactly once', async (t) => {
  const t0 = Date.now();
  const first = await env.spawnWorker();
  t.diagnostic(`worker A up after ${Date.now() - t0}ms`);

  const s = spec({
    name: uniqueName('exo-append'),
    defaults: { heartbeatTimeout: '5s', retry: { maximumAttempts: 5, initialInterval: '200ms' } },
    nodes: [
      { id: 'extract', type: 'postgres.read', config: { connection: { $secret: 'EXO_DB' }, table: 'src.orders', batchSize: BATCH } },
      { id: 'load', type: 'postgres.write', needs: ['extract'], config: { connection: { $secret: 'EXO_DB' }, table: 'dst_append', mode: 'append' } },
    ],
  });
  const handle = await startRun(env.client, env.taskQueue, s);
  await pollUntil(async () => (await ledgerBatches(env.db, handle.workflowId)) >= 5, 'the load to commit a few batches');
  await first.kill('SIGKILL');
  const atKill = await ledgerBatches(env.db, handle.workflowId);
  assert.ok(atKill < ROWS / BATCH, `killed mid-load (${atKill} of ${ROWS / BATCH} batches committed)`);
  assert.doesNotMatch(first.logs(), /node stopped at a checkpoint/, 'no graceful stop happened');

  const killedAt = Date.now();
  await env.spawnWorker();
  t.diagnostic(`the new worker process polled ${Date.now() - killedAt}ms after the kill`);
  const result = (await handle.result()) as RunProgress;
  assert.equal(result.status, 'completed');
  const load = result.nodes.load!;
  assert.ok(load.attempt >= 2, `the killed load was retried (attempt ${load.attempt})`);
  assert.equal(load.outputs!.rows, ROWS);
  assert.equal((await progressOf(handle)).nodes.extract!.attempt, 1, 'the read was not involved');
  await assertExactlyOnce(env.db, 'dst_append', handle.workflowId, ROWS, ROWS / BATCH);
  t.diagnostic(`killed after ${atKill} batches; the retry skipped ${String(load.outputs!.skippedBatches)} batches already in the ledger; recovered in ${Date.now() - killedAt}ms`);
});
