// Fault suite: the destination database becomes unreachable for 30 s in the middle of a load (a
// TCP proxy in front of it resets every connection and refuses new ones, then comes back). The
// worker process survives it, the load's attempts fail and are retried until the database is
// back, and the run completes with every row loaded exactly once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { temporalAndDatabase, type ServicesTestEnv } from './helpers/connector.js';
import { uniqueName, waitFor } from './helpers/env.js';
import { destinationCounts, loadPipeline, seedLoad, viaProxy, waitForRun } from './helpers/faults.js';
import { startRun } from './helpers/pipelines.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';
import { spawnWorker, type WorkerProcess } from './helpers/worker-process.js';
import { assertExactlyOnce, ledgerBatches } from '../connectors/postgres/test/exactly-once.js';

const ROWS = 100_000;
const BATCH = 1000;
const OUTAGE_MS = 30_000;
let env: ServicesTestEnv;
let proxy: TcpProxy;
let worker: WorkerProcess | undefined;
let stagingDir: string;

before(async () => {
  env = await temporalAndDatabase();
  // 0.1 s every 1,000 rows: the load takes about 10 s, long enough to be cut in the middle.
  await seedLoad(env.db, { rows: ROWS, slow: { every: 1000, seconds: 0.1 } });
  const db = new URL(env.db.url);
  proxy = await startTcpProxy({ host: db.hostname, port: Number(db.port || 5432) });
  stagingDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-outage-'));
});

after(async () => {
  await worker?.kill('SIGKILL');
  await proxy?.close();
  await env?.close();
  if (stagingDir) fs.rmSync(stagingDir, { recursive: true, force: true });
});

test('the destination unreachable for 30 s mid-load: the worker process lives on, the load is retried, and every row arrives once', async (t) => {
  const taskQueue = uniqueName('outage');
  worker = await spawnWorker({ address: env.address, taskQueue, stagingDir, env: { SRC_DB: env.db.url, DST_DB: viaProxy(env.db.url, proxy.port) } });
  const s = loadPipeline({
    name: uniqueName('outage'),
    batch: BATCH,
    source: 'SRC_DB',
    destination: 'DST_DB',
    // Enough attempts, at most 3 s apart, to outlast the outage.
    retry: { maximumAttempts: 40, initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '3s' },
  });
  const handle = await startRun(env.client, taskQueue, s);
  await waitFor(async () => (await ledgerBatches(env.db, handle.workflowId)) >= 10, 'the load to commit its first batches', 120_000);

  await proxy.cut();
  const cutAt = Date.now();
  // A COMMIT already in the server's hands when the cut came may still land: let it.
  await new Promise((r) => setTimeout(r, 1000));
  const atCut = await ledgerBatches(env.db, handle.workflowId);
  assert.ok(atCut < ROWS / BATCH, `cut mid-load (${atCut} of ${ROWS / BATCH} batches committed)`);
  // Through the outage, the worker process stays up, and nothing reaches the destination.
  while (Date.now() - cutAt < OUTAGE_MS) {
    assert.ok(worker.alive(), `the worker process died during the outage:\n${worker.logs().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  const duringOutage = await ledgerBatches(env.db, handle.workflowId);
  assert.equal(duringOutage, atCut, 'no batch was committed while the destination was unreachable');
  await proxy.restore();
  t.diagnostic(`cut after ${atCut} batches; back after ${Date.now() - cutAt} ms`);

  const result = await waitForRun(handle, 180_000);
  assert.equal(result.status, 'completed', `the run completed (error: ${String(result.error)})`);
  const load = result.nodes.load!;
  assert.ok(load.attempt >= 3, `the load was retried through the outage (attempt ${load.attempt})`);
  assert.equal(load.outputs!.rows, ROWS);
  assert.equal(result.nodes.extract!.attempt, 1, 'the read, on another connection, was not touched');
  assert.deepEqual(await destinationCounts(env.db), { rows: ROWS, distinct: ROWS, duplicates: 0 });
  await assertExactlyOnce(env.db, 'dst', handle.workflowId, ROWS, ROWS / BATCH);
  assert.ok(worker.alive(), 'the worker process is alive at the end');
  // The attempts failed on the lost connection and on the refused ones, and said so.
  assert.match(worker.logs(), /"nodeId":"load".*"error":"lost the connection to the destination database: [^"]+".*"msg":"node attempt failed"/);
  assert.match(worker.logs(), /"nodeId":"load".*"error":"cannot connect to the destination database: connect ECONNREFUSED[^"]*".*"msg":"node attempt failed"/);
  assert.ok(proxy.accepted() > 2, 'the retried attempts connected through the proxy again');
});
