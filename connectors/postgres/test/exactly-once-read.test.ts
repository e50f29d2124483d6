// Exactly-once under SIGKILL, during the read: a `sluice worker` process is killed while a keyset
// postgres.read of 100k rows is staging its batches. The retried read on a new worker process
// resumes after the last key its heartbeat recorded, and the append load that follows holds every
// source row exactly once (a re-read batch would show up as duplicates).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { getRunView } from '../../../src/api/runs/view.js';
import type { RunProgress } from '../../../src/workflows/messages.js';
import { createSlowFilter, uniqueName } from '../../../test/helpers/env.js';
import { assertExactlyOnce, ledgerBatches, pollUntil, seedOrders, killTestEnv, type KillTestEnv } from './exactly-once.js';
import { spec, startRun } from '../../../test/helpers/pipelines.js';

const ROWS = 100_000;
const BATCH = 500;
let env: KillTestEnv;

before(async () => {
  env = await killTestEnv('exactly-once-read', async (db) => {
    await seedOrders(db, ROWS);
    await createSlowFilter(db);
  });
});

after(() => env?.close());

test('SIGKILL of the worker mid-read: the read resumes after its last key on a new worker process and every row loads once', async (t) => {
  const first = await env.spawnWorker();

  const s = spec({
    name: uniqueName('exo-read'),
    defaults: { heartbeatTimeout: '5s', retry: { maximumAttempts: 5, initialInterval: '200ms' } },
    nodes: [
      {
        id: 'extract',
        type: 'postgres.read',
        // 20ms per batch of rows, so the read lasts seconds and can be hit mid-way.
        config: { connection: { $secret: 'EXO_DB' }, table: 'src.orders', where: `slow_every(id, ${BATCH}, 0.02)`, batchSize: BATCH },
      },
      { id: 'load', type: 'postgres.write', needs: ['extract'], config: { connection: { $secret: 'EXO_DB' }, table: 'dst_read', mode: 'append' } },
    ],
  });
  const handle = await startRun(env.client, env.taskQueue, s);
  const staged = await pollUntil(async () => {
    const n = (await getRunView(env.client, handle.workflowId)).nodes.extract?.stats.rowsOut ?? 0;
    return n >= 10 * BATCH ? n : null;
  }, 'the read to stage a few batches');
  await first.kill('SIGKILL');
  assert.equal(await ledgerBatches(env.db, handle.workflowId), 0, 'killed before the load started');

  const killedAt = Date.now();
  await env.spawnWorker();
  const result = (await handle.result()) as RunProgress;
  assert.equal(result.status, 'completed');
  const extract = result.nodes.extract!;
  assert.ok(extract.attempt >= 2, `the killed read was retried (attempt ${extract.attempt})`);
  assert.equal(extract.outputs!.rows, ROWS, 'the dataset holds each source row once');
  assert.equal(result.nodes.load!.attempt, 1);
  await assertExactlyOnce(env.db, 'dst_read', handle.workflowId, ROWS, ROWS / BATCH);
  t.diagnostic(`killed with ${staged}+ rows staged; completed ${Date.now() - killedAt}ms after the kill`);
});
