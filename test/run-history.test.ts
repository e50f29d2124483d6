// The durable run history through the REST API on a real Temporal dev server and PostgreSQL: runs
// record themselves (central activity sluice.recordRun) and GET /runs lists them newest first in
// keyset pages, with filters; a run Temporal no longer has is still listed and readable; a run
// terminated from outside is listed as failed once the list looks at it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createStore } from '../src/store/store.js';
import type { Store } from '../src/store/types.js';
import { createTestDatabase, temporalEnv, uniqueName, waitFor, type TemporalTestEnv, type TestDatabase } from './helpers/env.js';
import { spec, startRun, testActivities } from './helpers/pipelines.js';
import { startWorker, type RunningWorker } from './helpers/worker.js';
import { startTestApi, type TestApi } from './helpers/api.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiMetrics } from '../src/api/metrics.js';
import { serveMetrics } from '../src/metrics-server.js';
import { createLogger } from '../src/log.js';

let env: TemporalTestEnv;
let db: TestDatabase;
let store: Store;
let api: TestApi;
let worker: RunningWorker;
let metrics: ApiMetrics;
let metricsServer: http.Server | undefined;
const taskQueue = uniqueName('history');

before(async () => {
  [env, db] = await Promise.all([temporalEnv(), createTestDatabase()]);
  store = await createStore(db.url);
  worker = await startWorker(env.address, { namespace: env.namespace, taskQueue, metadata: store, extraActivities: testActivities });
  metrics = new ApiMetrics({ store, client: env.client, taskQueue });
  metricsServer = await serveMetrics(metrics.registry, 0, '127.0.0.1', createLogger('silent'));
  api = await startTestApi({ store, client: env.client, taskQueue, metrics });
});

after(async () => {
  metricsServer?.close();
  await api?.close();
  await worker?.stop();
  await store?.close();
  await db?.drop();
  await env?.close();
});

async function list(query: string): Promise<{ runs: { runId: string; status: string; closedAt: string | null; startedAt: string }[]; next: string | null }> {
  const r = await api.call('GET', `/api/v1/runs?${query}`);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json;
}

test('runs are listed newest first in keyset pages, with what they recorded: params, status, summary and node counts', async () => {
  const name = uniqueName('hist');
  await api.call('POST', '/api/v1/pipelines', {
    name,
    params: { day: { type: 'string', default: '2026-11-30' } },
    nodes: [
      { id: 'a', type: 'control.sleep', config: { ms: 10 } },
      { id: 'b', type: 'control.sleep', needs: 'a', config: { ms: 10 } },
    ],
  });
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await api.call('POST', `/api/v1/pipelines/${name}/runs`, { params: { day: `2026-11-2${i}` } });
    assert.equal(r.status, 201);
    ids.push(r.json.runId);
    await new Promise((res) => setTimeout(res, 20));
  }
  // A run started outside the API (as a schedule does) records itself too.
  const direct = await startRun(env.client, taskQueue, spec({ name, nodes: [{ id: 'a', type: 'control.sleep', config: { ms: 10 } }] }));
  ids.push(direct.workflowId);
  for (const id of ids) await env.client.workflow.getHandle(id).result();
  await waitFor(async () => (await store.getRunRecord(direct.workflowId))?.open === false, 'the direct run records its end');

  const first = await list(`pipeline=${name}&limit=3`);
  assert.deepEqual(first.runs.map((r) => r.runId), [...ids].reverse().slice(0, 3));
  assert.ok(first.runs.every((r) => r.status === 'completed' && r.closedAt !== null));
  assert.ok(first.next);
  const second = await list(`pipeline=${name}&limit=3&cursor=${first.next}`);
  assert.deepEqual(second.runs.map((r) => r.runId), [ids[0]]);
  assert.equal(second.next, null);

  const recorded = await store.getRunRecord(ids[1]!);
  assert.deepEqual(recorded!.params, { day: '2026-11-21' });
  assert.equal(recorded!.status, 'completed');
  assert.equal((recorded!.summary as { byState: { succeeded: number } }).byState.succeeded, 2);
  assert.deepEqual(Object.keys(recorded!.nodes!), ['a', 'b']);
  assert.equal(recorded!.version, 1);

  const from = new Date(Date.parse(first.runs[2]!.startedAt)).toISOString();
  const between = await list(`pipeline=${name}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(first.runs[0]!.startedAt)}`);
  assert.deepEqual(between.runs.map((r) => r.runId), [ids[2], ids[1]]);
  assert.deepEqual((await list(`pipeline=${name}&status=failed`)).runs, []);
});

test('a run Temporal no longer has is still listed, and GET /runs/{id} answers from the history', async () => {
  const name = uniqueName('gone');
  const runId = await api.startPipelineRun({ name, nodes: [{ id: 'only', type: 'control.sleep', config: { ms: 10 } }] });
  await env.client.workflow.getHandle(runId).result();
  await waitFor(async () => (await store.getRunRecord(runId))?.open === false, 'the run records its end');
  // As retention would: the execution is deleted from Temporal.
  await env.client.workflowService.deleteWorkflowExecution({ namespace: env.namespace, workflowExecution: { workflowId: runId } });
  await waitFor(async () => (await env.client.workflow.getHandle(runId).describe().then(() => false, () => true)), 'Temporal to forget the run', 120_000);

  const listed = await list(`pipeline=${name}`);
  assert.deepEqual(listed.runs.map((r) => [r.runId, r.status]), [[runId, 'completed']]);
  const view = await api.call('GET', `/api/v1/runs/${runId}`);
  assert.equal(view.status, 200, JSON.stringify(view.json));
  assert.equal(view.json.archived, true);
  assert.equal(view.json.status, 'completed');
  assert.equal(view.json.summary.byState.succeeded, 1);
  assert.equal(view.json.nodes.only.state, 'succeeded');
  const viewer = await api.makeKey('viewer', ['someone-else-*']);
  assert.equal((await api.call('GET', `/api/v1/runs/${runId}`, undefined, { authorization: `Bearer ${viewer}` })).status, 404, 'outside the key scope it is not found');
});

test('a run terminated from outside is listed as failed once the list looks at it', async () => {
  const name = uniqueName('term');
  const runId = await api.startPipelineRun({ name, nodes: [{ id: 'long', type: 'control.sleep', config: { ms: 60_000 } }] });
  await waitFor(async () => (await list(`pipeline=${name}`)).runs[0]?.status === 'running', 'running');
  await env.client.workflow.getHandle(runId).terminate('an operator stopped it');
  const listed = await waitFor(async () => {
    const runs = (await list(`pipeline=${name}`)).runs;
    return runs[0]?.status === 'failed' ? runs : null;
  }, 'the list to see the termination');
  assert.ok(listed[0]!.closedAt);
  assert.equal((await store.getRunRecord(runId))!.open, false, 'and the history is corrected');
});

test('bad list queries are 400s with their paths', async () => {
  for (const [query, path] of [
    ['cursor=not-a-cursor', 'cursor'],
    ['from=yesterday', 'from'],
    ['from=2026-11-30T00:00:00Z&to=2026-11-29T00:00:00Z', 'from'],
  ]) {
    const r = await api.call('GET', `/api/v1/runs?${query}`);
    assert.equal(r.status, 400, query);
    assert.equal(r.json.errors[0].path, path, query);
  }
});

test("the API's /metrics counts requests by route, runs started, runs by status from the history, and the task queue backlog", async () => {
  const name = uniqueName('metered');
  await api.startPipelineRun({ name, nodes: [{ id: 'a', type: 'control.sleep', config: { ms: 10 } }] });
  const [r2] = [await api.call('POST', `/api/v1/pipelines/${name}/runs`, {})];
  await env.client.workflow.getHandle(r2.json.runId).result();
  await api.call('GET', `/api/v1/runs?pipeline=${name}`);
  await api.call('GET', '/api/v1/runs/no-such-run');
  const text = await (await fetch(`http://127.0.0.1:${(metricsServer!.address() as AddressInfo).port}/metrics`)).text();
  const value = (pattern: RegExp): number => Number(pattern.exec(text)?.[1] ?? NaN);
  assert.equal(value(new RegExp(`^sluice_runs_started_total\\{pipeline="${name}"\\} (\\d+)`, 'm')), 2);
  assert.ok(value(/^sluice_api_requests_total\{method="GET",route="\/api\/v1\/runs",status="200"\} (\d+)/m) >= 1, 'requests by route pattern');
  assert.ok(value(/^sluice_api_requests_total\{method="GET",route="\/api\/v1\/runs\/:runId",status="404"\} (\d+)/m) >= 1, 'never by the path a caller sent');
  assert.ok(value(/^sluice_runs\{status="completed",open="false"\} (\d+)/m) >= 2, 'runs by status from the history');
  assert.match(text, /^sluice_task_queue_backlog\{queue="[^"]+",kind="workflow"\} \d+/m);
});
