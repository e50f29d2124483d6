// End to end through the REST API: real API, real PostgreSQL, real Temporal server and real
// Sluice workers. Runs are started, watched, paused, resumed and cancelled only over HTTP, through
// the typed client generated from the OpenAPI document (src/api/client), as the CLI calls it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createStore } from '../src/store/store.js';
import type { Store } from '../src/store/types.js';
import { createTestDatabase, temporalEnv, uniqueName, waitFor, type TemporalTestEnv, type TestDatabase } from './helpers/env.js';
import { rowsActivity, rowsCatalog, testActivities } from './helpers/pipelines.js';
import { startWorker, type RunningWorker } from './helpers/worker.js';
import { startTestApi, type TestApi } from './helpers/api.js';
import type { Schemas } from '../src/api/client/index.js';

const ROW_BATCHES = 40;

const catalog = rowsCatalog;

let env: TemporalTestEnv;
let db: TestDatabase;
let store: Store;
let api: TestApi;
let central: RunningWorker;
let siteWorker: RunningWorker | null = null;
const taskQueue = uniqueName('api-e2e');

before(async () => {
  [env, db] = await Promise.all([temporalEnv(), createTestDatabase()]);
  store = await createStore(db.url);
  central = await startWorker(env.address, {
    namespace: env.namespace,
    taskQueue,
    extraActivities: { ...testActivities, 'test.rows': rowsActivity(ROW_BATCHES, 150) },
  });
  api = await startTestApi({ store, client: env.client, taskQueue, catalog });
});

after(async () => {
  await api?.close();
  await siteWorker?.stop();
  await central?.stop();
  await store?.close();
  await db?.drop();
  await env?.close();
});

type Json = any;



type RunStatus = NonNullable<Schemas['RunList']['runs'][number]['status']>;

async function listIds(pipeline: string, status?: RunStatus): Promise<string[]> {
  const { data, error, response } = await api.client.GET('/api/v1/runs', { params: { query: { pipeline, ...(status ? { status } : {}) } } });
  assert.equal(response.status, 200, JSON.stringify(error));
  return data!.runs.map((run) => run.runId);
}

/** Pause, resume or cancel through the typed client: the status and the body (data or problem). */
async function act(action: 'pause' | 'resume' | 'cancel', runId: string): Promise<{ status: number; json: Json }> {
  const { data, error, response } = await api.client.POST(`/api/v1/runs/{runId}/${action}`, { params: { path: { runId } } });
  return { status: response.status, json: data ?? error };
}

test('a run is visible while running, pauses and resumes over REST, completes, and is listed by pipeline and status', async () => {
  const name = uniqueName('e2e-sleep');
  const runId = await api.startPipelineRun({ name, nodes: [{ id: 'nap', type: 'control.sleep', config: { ms: 3000 } }] });

  const running = await api.runWhere(runId, 'the node to run', (v) => v.nodes.nap.state === 'running' && v.nodes.nap.attempt === 1);
  assert.equal(running.runId, runId);
  assert.equal(running.pipeline, name);
  assert.equal(running.version, 1);
  assert.equal(running.status, 'running');
  assert.equal(running.nodes.nap.site, 'central');
  assert.equal(running.nodes.nap.waiting, undefined, 'the central worker polls the node queue');
  assert.deepEqual(await listIds(name, 'running'), [runId]);

  const pause = await act('pause', runId);
  assert.equal(pause.status, 202);
  const paused = await api.runWhere(runId, 'the run to pause', (v) => v.status === 'paused' && v.nodes.nap.state === 'paused');
  assert.equal(paused.endedAt, null);
  await waitFor(async () => (await listIds(name, 'paused')).includes(runId), 'the run to be listed as paused');
  // While paused the run does not finish, however long the node had left.
  await sleep(3500);
  const { data: view } = await api.client.GET('/api/v1/runs/{runId}', { params: { path: { runId } } });
  assert.equal(view!.status, 'paused');

  assert.equal((await act('resume', runId)).status, 202);
  const done = await api.runWhere(runId, 'the run to complete', (v) => v.status === 'completed');
  assert.equal(done.nodes.nap.state, 'succeeded');
  assert.deepEqual(done.nodes.nap.outputs, { sleptMs: 3000 });
  assert.ok(done.endedAt);
  assert.equal(done.error, null);

  await waitFor(async () => (await listIds(name, 'completed')).includes(runId), 'the run to be listed as completed');
  assert.deepEqual(await listIds(name, 'running'), []);
  assert.deepEqual(await listIds(name), [runId]);
  assertProblemStatus(await act('pause', runId), 409);
});

function assertProblemStatus(res: { status: number; json: Json }, status: number) {
  assert.equal(res.status, status, JSON.stringify(res.json));
  assert.equal(res.json.status, status);
}

test('cancelling a run over REST ends it as cancelled, node included', async () => {
  const name = uniqueName('e2e-cancel');
  const runId = await api.startPipelineRun({
    name,
    nodes: [
      { id: 'long', type: 'control.sleep', config: { ms: 60_000 } },
      { id: 'after', type: 'control.sleep', needs: ['long'], config: { ms: 1 } },
    ],
  });
  await api.runWhere(runId, 'the node to run', (v) => v.nodes.long.state === 'running');
  const cancel = await act('cancel', runId);
  assert.equal(cancel.status, 202);
  assert.deepEqual(cancel.json, { runId, requested: 'cancel' });
  const cancelled = await api.runWhere(runId, 'the run to be cancelled', (v) => v.status === 'cancelled');
  assert.equal(cancelled.nodes.long.state, 'cancelled');
  assert.equal(cancelled.nodes.after.state, 'cancelled');
  await waitFor(async () => (await listIds(name, 'cancelled')).includes(runId), 'the run to be listed as cancelled');
  assertProblemStatus(await act('resume', runId), 409);
});

test('a site node shows why it waits while no site worker polls, and runs once one does', async () => {
  const site = uniqueName('plant');
  const name = uniqueName('e2e-site');
  const runId = await api.startPipelineRun({ name, nodes: [{ id: 'remote', type: 'control.sleep', site, config: { ms: 10 } }] });
  const waiting = await api.runWhere(runId, 'the site node to wait', (v) => typeof v.nodes.remote.waiting === 'string');
  assert.equal(waiting.nodes.remote.waiting, `no worker is polling task queue ${taskQueue}-site-${site}`);
  assert.equal(waiting.nodes.remote.site, site);
  assert.equal(waiting.status, 'running');

  siteWorker = await startWorker(env.address, { namespace: env.namespace, taskQueue, site });
  const done = await api.runWhere(runId, 'the site node to run on its worker', (v) => v.status === 'completed');
  assert.equal(done.nodes.remote.state, 'succeeded');
  assert.equal(done.nodes.remote.waiting, undefined);
});

test('row counts from heartbeats move while a node runs, before the node reports them itself', async () => {
  const runId = await api.startPipelineRun({ name: uniqueName('e2e-rows'), nodes: [{ id: 'read', type: 'test.rows', config: {} }] });
  const first = await api.runWhere(runId, 'a first heartbeat', (v) => v.nodes.read.state === 'running' && v.nodes.read.stats.rowsIn > 0);
  const later = await api.runWhere(
    runId,
    'counts to grow',
    (v) => v.nodes.read.state === 'running' && v.nodes.read.stats.rowsIn > first.nodes.read.stats.rowsIn,
  );
  assert.ok(later.nodes.read.stats.rowsOut > 0);
  assert.ok(later.nodes.read.stats.rowsIn < ROW_BATCHES * 100, 'still mid-node');
  const done = await api.runWhere(runId, 'the run to complete', (v) => v.status === 'completed');
  assert.equal(done.nodes.read.stats.rowsIn, ROW_BATCHES * 100);
});

test('a retrying node shows its attempt and last failure; a failed node fails the run with its message', async () => {
  const name = uniqueName('e2e-retry');
  const runId = await api.startPipelineRun({
    name,
    defaults: { retry: { initialInterval: '2s', backoffCoefficient: 1 } },
    nodes: [{ id: 'shaky', type: 'test.flaky', config: { failures: 2 } }],
  });
  const retrying = await api.runWhere(runId, 'a retry after a failure', (v) => v.nodes.shaky.attempt >= 2 && v.nodes.shaky.error !== null);
  assert.match(retrying.nodes.shaky.error, /flaky failure on attempt \d/);
  assert.equal(retrying.nodes.shaky.state, 'running');
  assert.equal(retrying.status, 'running');
  const done = await api.runWhere(runId, 'the node to succeed on attempt 3', (v) => v.status === 'completed');
  assert.equal(done.nodes.shaky.attempt, 3);
  assert.deepEqual(done.nodes.shaky.outputs, { succeededOnAttempt: 3 });

  const failing = await api.startPipelineRun({ name: uniqueName('e2e-fail'), nodes: [{ id: 'boom', type: 'test.fail', config: { message: 'disk on fire' } }] });
  const failed = await api.runWhere(failing, 'the run to fail', (v) => v.status === 'failed');
  assert.equal(failed.nodes.boom.state, 'failed');
  assert.match(failed.nodes.boom.error, /disk on fire/);
  assert.match(failed.error, /node "boom" failed: disk on fire/);
});
