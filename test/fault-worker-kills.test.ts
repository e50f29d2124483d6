// Fault suite: the worker process is SIGKILLed three times in the middle of one load (no graceful
// shutdown, no checkpoint handed back), and each time a new worker process takes over. The run
// completes with every row loaded exactly once, and the last worker process is alive at the end.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { temporalAndDatabase, type ServicesTestEnv } from './helpers/connector.js';
import { uniqueName, waitFor } from './helpers/env.js';
import { destinationCounts, loadPipeline, seedLoad, waitForRun } from './helpers/faults.js';
import { startRun } from './helpers/pipelines.js';
import { spawnWorker, type WorkerProcess } from './helpers/worker-process.js';
import { assertExactlyOnce, ledgerBatches } from '../connectors/postgres/test/exactly-once.js';

const ROWS = 100_000;
const BATCH = 1000;
const BATCHES = ROWS / BATCH;
/** Kill the worker once the ledger holds at least this many batches (of 100). */
const KILL_AT = [10, 35, 60];
let env: ServicesTestEnv;
const workers: WorkerProcess[] = [];
let stagingDir: string;

before(async () => {
  env = await temporalAndDatabase();
  // 0.1 s every 1,000 rows: each worker's share of the load lasts seconds, so every kill lands mid-load.
  await seedLoad(env.db, { rows: ROWS, slow: { every: 1000, seconds: 0.1 } });
  stagingDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kills-'));
});

after(async () => {
  for (const w of workers) await w.kill('SIGKILL');
  await env?.close();
  if (stagingDir) fs.rmSync(stagingDir, { recursive: true, force: true });
});

test('the worker process SIGKILLed three times mid-load: each new worker process resumes, and every row arrives once', async (t) => {
  const taskQueue = uniqueName('kills');
  // Workers on one host share the staging directory, as the retried load reads the staged dataset.
  const start = async () => {
    const w = await spawnWorker({ address: env.address, taskQueue, stagingDir, env: { EXO_DB: env.db.url } });
    workers.push(w);
    return w;
  };
  let worker = await start();
  const s = loadPipeline({ name: uniqueName('kills'), batch: BATCH, source: 'EXO_DB', destination: 'EXO_DB', heartbeatTimeout: '5s' });
  const handle = await startRun(env.client, taskQueue, s);

  const killedAt: number[] = [];
  for (const threshold of KILL_AT) {
    await waitFor(async () => (await ledgerBatches(env.db, handle.workflowId)) >= threshold, `the load to commit ${threshold} batches`, 180_000);
    await worker.kill('SIGKILL');
    const at = await ledgerBatches(env.db, handle.workflowId);
    assert.ok(at < BATCHES, `killed mid-load (${at} of ${BATCHES} batches committed)`);
    assert.doesNotMatch(worker.logs(), /node stopped at a checkpoint/, 'no graceful stop happened');
    killedAt.push(at);
    worker = await start();
  }
  t.diagnostic(`killed after ${killedAt.join(', ')} of ${BATCHES} batches`);

  const result = await waitForRun(handle, 240_000);
  assert.equal(result.status, 'completed', `the run completed (error: ${String(result.error)})`);
  const load = result.nodes.load!;
  assert.ok(load.attempt >= KILL_AT.length + 1, `the load was retried after each kill (attempt ${load.attempt})`);
  assert.equal(load.outputs!.rows, ROWS);
  assert.deepEqual(await destinationCounts(env.db), { rows: ROWS, distinct: ROWS, duplicates: 0 });
  await assertExactlyOnce(env.db, 'dst', handle.workflowId, ROWS, BATCHES);
  assert.ok(worker.alive(), 'the last worker process is alive at the end');
});
