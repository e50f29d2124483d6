// Fault suite: the Temporal server itself is SIGKILLed in the middle of a load and started again
// on the same port from the same SQLite file (a persistent dev server of this file's own). The
// worker process and the client ride it out and reconnect; the run completes with every row once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { freePort, startDevServer, type DevServer } from '../temporal/dev-server.js';
import { ensureSearchAttributes } from '../temporal/search-attributes.js';
import { createTestDatabase, uniqueName, waitFor, type TestDatabase } from './helpers/env.js';
import { destinationCounts, loadPipeline, seedLoad, waitForRun } from './helpers/faults.js';
import { startRun } from './helpers/pipelines.js';
import { spawnWorker, type WorkerProcess } from './helpers/worker-process.js';
import { assertExactlyOnce, ledgerBatches } from '../connectors/postgres/test/exactly-once.js';

const ROWS = 100_000;
const BATCH = 1000;
const BATCHES = ROWS / BATCH;
const DOWN_MS = 10_000;
let db: TestDatabase;
let dir: string;
let port: number;
let server: DevServer | undefined;
let connection: Connection | undefined;
let worker: WorkerProcess | undefined;

/** This file's own dev server, on a fixed port and SQLite file, so a restart comes back as it was. */
function startServer(): Promise<DevServer> {
  return startDevServer({ dbFile: path.join(dir, 'temporal.db'), port, logFile: path.join(dir, 'temporal.log') });
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-temporal-restart-'));
  port = await freePort();
  [server, db] = await Promise.all([startServer(), createTestDatabase()]);
  // 0.5 s every 1,000 rows, two COPYs at a time: the load lasts about 25 s, so it is still under
  // way when the server comes back.
  await seedLoad(db, { rows: ROWS, slow: { every: 1000, seconds: 0.5 } });
});

after(async () => {
  await worker?.kill('SIGKILL');
  await connection?.close().catch(() => undefined);
  await server?.stop();
  await db?.drop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('the Temporal server killed and restarted mid-load: the worker reconnects and the run completes with every row once', async (t) => {
  connection = await Connection.connect({ address: server!.address });
  await ensureSearchAttributes(connection, 'default');
  const client = new Client({ connection, namespace: 'default' });
  const taskQueue = uniqueName('restart');
  worker = await spawnWorker({ address: server!.address, taskQueue, stagingDir: path.join(dir, 'staging'), env: { EXO_DB: db.url } });
  const handle = await startRun(client, taskQueue, loadPipeline({ name: uniqueName('restart'), batch: BATCH, source: 'EXO_DB', destination: 'EXO_DB', heartbeatTimeout: '10s' }));
  await waitFor(async () => (await ledgerBatches(db, handle.workflowId)) >= 10, 'the load to commit its first batches', 120_000);

  // No graceful stop: the server process is killed outright.
  server!.process.kill('SIGKILL');
  await server!.stop();
  const killedAt = Date.now();
  const atKill = await ledgerBatches(db, handle.workflowId);
  assert.ok(atKill < BATCHES, `killed mid-load (${atKill} of ${BATCHES} batches committed)`);
  while (Date.now() - killedAt < DOWN_MS) {
    assert.ok(worker.alive(), `the worker process died while Temporal was down:\n${worker.logs().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  server = await startServer();
  t.diagnostic(`Temporal killed after ${atKill} batches, back after ${Date.now() - killedAt} ms; ${await ledgerBatches(db, handle.workflowId)} batches committed by then`);

  const result = await waitForRun(handle, 240_000);
  assert.equal(result.status, 'completed', `the run completed (error: ${String(result.error)})`);
  assert.equal(result.nodes.load!.outputs!.rows, ROWS);
  t.diagnostic(`load attempts: ${result.nodes.load!.attempt}`);
  assert.deepEqual(await destinationCounts(db), { rows: ROWS, distinct: ROWS, duplicates: 0 });
  await assertExactlyOnce(db, 'dst', handle.workflowId, ROWS, BATCHES);
  assert.ok(worker.alive(), 'the worker process is alive at the end');
});
