// Retry in place: a run whose node fails for good stays open as `failed` through its recovery
// window; POST /runs/{id}/retry runs the failed nodes (and what depends on them) again in the same
// run, keeping what succeeded. Real API, real Temporal server, real PostgreSQL and real workers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowFailedError } from '@temporalio/client';
import { createStore } from '../src/store/store.js';
import type { Store } from '../src/store/types.js';
import type { RunProgress } from '../src/workflows/messages.js';
import { createTestDatabase, temporalEnv, uniqueName, waitFor, type TemporalTestEnv, type TestDatabase } from './helpers/env.js';
import { progressOf, spec, startRun, testActivities, testCatalog } from './helpers/pipelines.js';
import { startWorker, type RunningWorker } from './helpers/worker.js';
import { startTestApi, type TestApi } from './helpers/api.js';

const ROWS = 20_000;
const BATCH = 500;
/** The destination refuses this row with a non-data error, so its whole transaction fails; those before it committed. */
const POISON_ID = 19_990;

let env: TemporalTestEnv;
let db: TestDatabase;
let store: Store;
let api: TestApi;
let worker: RunningWorker;
const taskQueue = uniqueName('retry-in-place');

before(async () => {
  [env, db] = await Promise.all([temporalEnv(), createTestDatabase()]);
  store = await createStore(db.url);
  worker = await startWorker(env.address, { namespace: env.namespace, taskQueue, extraActivities: testActivities, env: { ...process.env, RIP_DB: db.url } });
  api = await startTestApi({ store, client: env.client, taskQueue, catalog: testCatalog });
  await db.pool.query(`CREATE TABLE src AS SELECT g AS id, 'row ' || g AS label FROM generate_series(1, ${ROWS}) g`);
});

after(async () => {
  await api?.close();
  await worker?.stop();
  await store?.close();
  await db?.drop();
  await env?.close();
});

type Json = any;


/** Activity executions the run scheduled for `node`, from its history. */
async function executionsOf(runId: string, node: string): Promise<number> {
  const history = await env.client.workflow.getHandle(runId).fetchHistory();
  return (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityId?.startsWith(`${node}.`)).length;
}

test('a failed load is retried in place after the cause is fixed: same run id, exact rows, upstream run once', async () => {
  await db.pool.query(`CREATE TABLE dst (id integer, label text)`);
  await db.pool.query(`CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.id = ${POISON_ID} THEN RAISE EXCEPTION 'dst is closed for maintenance'; END IF; RETURN NEW; END $$`);
  await db.pool.query(`CREATE TRIGGER refuse BEFORE INSERT ON dst FOR EACH ROW EXECUTE FUNCTION refuse()`);
  const name = uniqueName('rip').toLowerCase().replace(/_/g, '-');
  const runId = await api.startPipelineRun({
    name,
    nodes: [
      { id: 'extract', type: 'postgres.read', config: { connection: { $secret: 'RIP_DB' }, query: 'select id, label from src order by id', batchSize: BATCH } },
      {
        id: 'load',
        type: 'postgres.write',
        needs: ['extract'],
        retry: { maximumAttempts: 2, initialInterval: '100ms' },
        config: { connection: { $secret: 'RIP_DB' }, table: 'dst', mode: 'append' },
      },
    ],
  });

  const failed = await api.runWhere(runId, 'the run to fail and wait for a retry', (v) => v.status === 'failed');
  assert.match(failed.error, /node "load" failed: .*dst is closed for maintenance/);
  assert.ok(Date.parse(failed.recoverableUntil) > Date.now() + 6 * 86_400_000, `a 7-day recovery window by default (${failed.recoverableUntil})`);
  assert.equal(failed.nodes.extract.state, 'succeeded');
  assert.equal(failed.nodes.load.state, 'failed');
  const committedBefore = Number((await db.pool.query('SELECT count(*) FROM dst')).rows[0].count);
  assert.ok(committedBefore > 0 && committedBefore < ROWS, `the batches before the poisoned one committed (${committedBefore} rows)`);

  const listed = await api.call('GET', `/api/v1/runs?pipeline=${name}&status=failed`);
  assert.deepEqual(listed.json.runs.map((r: Json) => [r.runId, r.status]), [[runId, 'failed']], 'listed as failed while open');

  const paused = await api.call('POST', `/api/v1/runs/${runId}/pause`);
  assert.equal(paused.status, 409, 'a failed run is not paused');
  const notFailed = await api.call('POST', `/api/v1/runs/${runId}/retry`, { nodes: ['extract', 'nope'] });
  assert.equal(notFailed.status, 422, JSON.stringify(notFailed.json));
  assert.deepEqual(notFailed.json.errors, [
    { path: 'nodes[0]', message: 'node "extract" is succeeded, not failed' },
    { path: 'nodes[1]', message: 'no node "nope" in this run' },
  ]);

  const many = await api.call('POST', `/api/v1/runs/${runId}/retry`, { nodes: Array.from({ length: 5000 }, (_, i) => `ghost_${i}`) });
  assert.equal(many.status, 422, 'thousands of unknown ids are a 422 too');
  assert.equal(many.json.errors.length, 100, 'the first 100 problems, not 5,000');
  assert.deepEqual(many.json.errors[0], { path: 'nodes[0]', message: 'no node "ghost_0" in this run' });

  await db.pool.query('DROP TRIGGER refuse ON dst');
  const retried = await api.call('POST', `/api/v1/runs/${runId}/retry`, {});
  assert.equal(retried.status, 202, JSON.stringify(retried.json));
  assert.deepEqual(retried.json, { runId, requested: 'retry', retried: ['load'], reopened: ['load'] });

  const done = await api.runWhere(runId, 'the retried run to complete', (v) => v.status === 'completed');
  assert.equal(done.runId, runId);
  assert.equal(done.error, null);
  assert.equal(done.nodes.load.outputs.rows, ROWS);
  assert.equal(done.nodes.load.earlierTries.length, 1, 'the failed try is kept');
  assert.equal(done.nodes.load.earlierTries[0].state, 'failed');
  assert.equal(done.nodes.load.earlierTries[0].attempt, 2);
  assert.match(done.nodes.load.earlierTries[0].error, /dst is closed for maintenance/);
  assert.equal(done.nodes.extract.earlierTries, undefined);

  const counts = (await db.pool.query('SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids, min(id) AS lo, max(id) AS hi FROM dst')).rows[0];
  assert.deepEqual(counts, { n: ROWS, ids: ROWS, lo: 1, hi: ROWS }, 'every row exactly once');
  assert.equal(await executionsOf(runId, 'extract'), 1, 'the extract ran once');
  assert.equal(await executionsOf(runId, 'load'), 2, 'the load ran twice: the failed try and the retry');

  const again = await api.call('POST', `/api/v1/runs/${runId}/retry`, {});
  assert.equal(again.status, 409, 'a completed run cannot be retried');
  assert.match(again.json.detail, /already completed/);
});

test('onFailure: continue runs independent branches to the end; the run fails naming failed and skipped nodes; the window closes it', async () => {
  const s = spec({
    name: uniqueName('continue'),
    onFailure: 'continue',
    recoveryWindow: '3s',
    nodes: [
      { id: 'root', type: 'control.sleep', config: { ms: 10 } },
      { id: 'bad', type: 'test.fail', needs: ['root'], config: { message: 'broken on purpose' } },
      { id: 'after_bad', type: 'control.sleep', needs: ['bad'], config: { ms: 1 } },
      { id: 'slow', type: 'control.sleep', needs: ['root'], config: { ms: 1500 } },
      { id: 'after_slow', type: 'control.sleep', needs: ['slow'], config: { ms: 10 } },
    ],
  });
  const handle = await startRun(env.client, taskQueue, s);
  const failed = await waitFor(async () => {
    const p = await progressOf(handle);
    return p.status === 'failed' ? p : null;
  }, 'the run to end failed');
  assert.deepEqual(
    Object.fromEntries(Object.entries(failed.nodes).map(([id, n]) => [id, n.state])),
    { root: 'succeeded', bad: 'failed', after_bad: 'skipped', slow: 'succeeded', after_slow: 'succeeded' },
    'the healthy branch ran to the end',
  );
  assert.equal(failed.error, 'node "bad" failed: broken on purpose; not run because of it: "after_bad"');
  assert.ok(failed.recoverableUntil, 'open for a retry');
  await assert.rejects(handle.result(), (err: unknown) => {
    assert.ok(err instanceof WorkflowFailedError);
    assert.match(err.cause?.message ?? '', /node "bad" failed: broken on purpose/);
    return true;
  });
  const closed = await api.call('GET', `/api/v1/runs/${handle.workflowId}`);
  assert.equal(closed.json.status, 'failed');
  const late = await api.call('POST', `/api/v1/runs/${handle.workflowId}/retry`, {});
  assert.equal(late.status, 409, 'after the window the run is closed');
});

test('a retry that fails again keeps every try, waits again, and a cancel closes the run', async () => {
  const s = spec({
    name: uniqueName('twice'),
    recoveryWindow: '1h',
    nodes: [
      { id: 'ok', type: 'control.sleep', config: { ms: 10 } },
      { id: 'bad', type: 'test.fail', needs: ['ok'], config: { message: 'still broken' } },
      { id: 'next', type: 'control.sleep', needs: ['bad'], config: { ms: 10 } },
    ],
  });
  const handle = await startRun(env.client, taskQueue, s);
  const runId = handle.workflowId;
  await api.runWhere(runId, 'the first failure', (v) => v.status === 'failed');
  const first = await api.call('POST', `/api/v1/runs/${runId}/retry`, { nodes: ['bad'] });
  assert.deepEqual(first.json, { runId, requested: 'retry', retried: ['bad'], reopened: ['bad', 'next'] });
  const second = await api.runWhere(runId, 'the retry to fail again', (v) => v.status === 'failed' && v.nodes.bad.earlierTries?.length === 1);
  assert.equal(second.nodes.bad.state, 'failed');
  assert.equal(second.nodes.next.state, 'skipped');
  assert.equal(second.nodes.ok.state, 'succeeded');

  const cancelled = await api.call('POST', `/api/v1/runs/${runId}/cancel`);
  assert.equal(cancelled.status, 202, JSON.stringify(cancelled.json));
  await assert.rejects(handle.result());
  const final = (await progressOf(handle)) as RunProgress;
  assert.equal(final.status, 'cancelled');
  assert.equal(final.nodes.bad!.state, 'failed', 'the failed node keeps its outcome');
  assert.equal(final.recoverableUntil, undefined);
  assert.equal(await executionsOf(runId, 'ok'), 1);
  assert.equal(await executionsOf(runId, 'bad'), 2);
});

test("the spec's stallTimeout reaches the node: a hung read fails as stalled instead of holding its slot until startToClose", async () => {
  const s = spec({
    name: uniqueName('stalled'),
    defaults: { stallTimeout: '2s', retry: { maximumAttempts: 1 } },
    nodes: [{ id: 'hung', type: 'postgres.read', config: { connection: { $secret: 'RIP_DB' }, query: 'SELECT 1 AS id FROM pg_sleep(600)' } }],
  });
  const handle = await startRun(env.client, taskQueue, s);
  await assert.rejects(handle.result(), (err: unknown) => {
    assert.ok(err instanceof WorkflowFailedError);
    assert.match(err.cause?.message ?? '', /node "hung" failed: node hung stalled: its rows and parts have not moved for 2s/);
    return true;
  });
});
