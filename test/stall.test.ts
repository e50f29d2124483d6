// Stall detection: a node attempt whose rows and parts stand still for its stallTimeout is failed
// (retryably, saying that it stalled and for how long) and its hung statement is cancelled, while
// a node that moves slowly but steadily is left alone. The activities run in a mock activity
// context against a real PostgreSQL, with the stall timeout set in the task as the workflow sets it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { connectors } from '../connectors/index.js';
import { createActivities } from '../src/activities/index.js';
import { StagingStore } from '../src/activities/staging.js';
import { createLogger } from '../src/log.js';
import type { NodeHeartbeat, NodeTaskInput, NodeTaskResult } from '../src/workflows/node-task.js';
import { testPolicy } from './helpers/access.js';
import { createTestDatabase, uniqueName, waitFor, type TestDatabase } from './helpers/env.js';

let db: TestDatabase;
let dir: string;
let activities: ReturnType<typeof createActivities>;

before(async () => {
  db = await createTestDatabase();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-stall-'));
  activities = createActivities(connectors, {
    staging: new StagingStore(dir),
    policy: testPolicy,
    logger: createLogger('silent'),
    env: { ...process.env, STALL_DB: db.url },
  });
});

after(async () => {
  await db?.drop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function task(nodeId: string, type: string, config: Record<string, unknown>, stallTimeoutMs?: number): NodeTaskInput {
  return { runId: uniqueName('stall'), pipeline: 'stall', nodeId, type, site: null, config, inputs: {}, ...(stallTimeoutMs === undefined ? {} : { stallTimeoutMs }) };
}

/** Backends of `nodeId` still running a statement. */
async function activeStatements(nodeId: string): Promise<number> {
  const r = await db.pool.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND state = 'active'`, [`sluice:${nodeId}`]);
  return r.rows[0].n;
}

test('a read whose statement hangs fails as stalled after its stallTimeout, retryably, and its statement is cancelled', async () => {
  const env = new MockActivityEnvironment({ attempt: 1 });
  const beats: NodeHeartbeat[] = [];
  env.on('heartbeat', (d: NodeHeartbeat) => beats.push(d));
  const nodeId = 'hung_read';
  const t0 = Date.now();
  // The statement would run for ten minutes (its statement timeout is an hour).
  const run = env.run(activities['postgres.read']!, task(nodeId, 'postgres.read', { connection: { $secret: 'STALL_DB' }, query: 'SELECT 1 AS id FROM pg_sleep(600)' }, 2_000));
  await waitFor(async () => (await activeStatements(nodeId)) === 1, 'the hung statement to be running');
  await assert.rejects(run, (err: unknown) => {
    assert.ok(err instanceof ApplicationFailure, `an ApplicationFailure, got ${String(err)}`);
    assert.equal(err.type, 'StallError');
    assert.equal(err.nonRetryable, false, 'a stalled attempt is retried');
    assert.match(err.message, /^node hung_read stalled: its rows and parts have not moved for [23]s \(stallTimeout 2s\)/);
    return true;
  });
  const took = Date.now() - t0;
  assert.ok(took < 60_000, `failed long before the statement would have ended (${took}ms)`);
  // The heartbeats kept going while nothing moved, and said since when nothing had.
  assert.ok(beats.length >= 2, `heartbeats were sent while stalled (${beats.length})`);
  assert.equal(beats.at(-1)!.movedAt, beats[0]!.movedAt, 'movedAt stayed at the start: nothing moved');
  await waitFor(async () => (await activeStatements(nodeId)) === 0, 'the hung statement to be cancelled on the server', 20_000);
});

test('a write that waits on a lock fails as stalled and leaves nothing behind: the lock holder can go on', async () => {
  await db.pool.query('CREATE TABLE locked (id int)');
  const holder = await db.pool.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE locked IN ACCESS EXCLUSIVE MODE');
    // A one-row dataset staged for the load.
    const staging = new StagingStore(dir);
    const dsDir = staging.datasetDir('seed', 'rows');
    const bytes = await staging.writePart(dsDir, 0, [{ id: 1 }], [{ name: 'id', type: 'int' }]);
    const dataset = await staging.seal(dsDir, { rows: 1, bytes, parts: 1, schema: [{ name: 'id', type: 'int' }] });
    const env = new MockActivityEnvironment({ attempt: 1 });
    const nodeId = 'hung_write';
    const t = { ...task(nodeId, 'postgres.write', { connection: { $secret: 'STALL_DB' }, table: 'locked' }, 2_000), inputs: { rows: { dataset } } };
    const run = env.run(activities['postgres.write']!, t);
    await assert.rejects(run, (err: unknown) => err instanceof ApplicationFailure && err.type === 'StallError' && /stalled/.test(err.message));
    await waitFor(async () => (await activeStatements(nodeId)) === 0, 'the waiting statement to be cancelled', 20_000);
    await holder.query('INSERT INTO locked VALUES (2)');
    await holder.query('COMMIT');
  } finally {
    holder.release();
  }
  assert.deepEqual((await db.pool.query('SELECT id FROM locked ORDER BY id')).rows, [{ id: 2 }], 'the stalled load committed nothing');
});

test('a node that moves slowly but steadily is not stalled, however long it runs', async () => {
  const env = new MockActivityEnvironment({ attempt: 1 });
  // control.sleep commits its remaining time every 100ms: 4 s of steady progress against a 1 s stall timeout.
  const result = (await env.run(activities['control.sleep']!, task('steady', 'control.sleep', { ms: 4_000 }, 1_000))) as NodeTaskResult;
  assert.equal(result.status, 'done');
});
