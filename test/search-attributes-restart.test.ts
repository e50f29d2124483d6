// A Temporal dev server without a database file keeps its search-attribute registrations in memory:
// restarted, it has none, and refuses every start that sets SluicePipeline and every workflow task
// that upserts SluiceStatus. The API (started as `sluice api` starts it) registers them again when a
// start is refused for that reason, and a central worker puts them back on its own; runs go on.
// This file runs its own dev server on a fixed port, so it can stop and start it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Connection } from '@temporalio/client';
import { freePort, startDevServer, type DevServer } from '../temporal/dev-server.js';
import { SEARCH_ATTRIBUTES, SLUICE_STATUS, WORKFLOW_TYPE, type RunInput } from '../src/workflows/messages.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { startApiFromConfig, type RunningApi } from '../src/api/server.js';
import { issueKey } from '../src/api/auth/keys.js';
import { createStore } from '../src/store/store.js';
import { createTestDatabase, uniqueName, waitFor, type TestDatabase } from './helpers/env.js';
import { spec } from './helpers/pipelines.js';
import { startWorker, type RunningWorker } from './helpers/worker.js';

let port: number;
let server: DevServer | null = null;
let db: TestDatabase;
let api: RunningApi;
let key: string;
let worker: RunningWorker | null = null;
let watcher: RunningWorker | null = null;
const taskQueue = uniqueName('sa-restart');
const namespace = 'default';

/** (Re)starts the in-memory dev server on the same port. */
async function startServer(): Promise<void> {
  server = await startDevServer({ port });
}

async function registered(): Promise<string[]> {
  const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
  try {
    const res = await connection.operatorService.listSearchAttributes({ namespace });
    return SEARCH_ATTRIBUTES.map((k) => k.name).filter((n) => Object.hasOwn(res.customAttributes ?? {}, n));
  } finally {
    await connection.close();
  }
}

/** Restarts the server; `checkEmpty`: asserts at once that it has no Sluice search attribute (no worker may re-register them first). */
async function restart(checkEmpty: boolean): Promise<void> {
  await server!.stop();
  await startServer();
  if (checkEmpty) assert.deepEqual(await registered(), [], 'a restarted in-memory server has no Sluice search attributes');
}

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(api.url + path, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

async function runToCompletion(pipeline: string): Promise<string> {
  const started = await call('POST', `/api/v1/pipelines/${pipeline}/runs`, {});
  assert.equal(started.status, 201, JSON.stringify(started.json));
  const runId: string = started.json.runId;
  await waitFor(async () => {
    const r = await call('GET', `/api/v1/runs/${runId}`);
    return r.status === 200 && r.json.status === 'completed';
  }, `run ${runId} to complete`, 60_000);
  return runId;
}

before(async () => {
  port = await freePort();
  await startServer();
  db = await createTestDatabase();
  const store = await createStore(db.url);
  key = (await issueKey(store, { name: 'restart test', role: 'admin', pipelines: null, expiresInMs: null, createdBy: 'test' })).key;
  await store.close();
  const config = loadConfig({ TEMPORAL_ADDRESS: `127.0.0.1:${port}`, DATABASE_URL: db.url, PORT: '0', SLUICE_TASK_QUEUE: taskQueue });
  api = await startApiFromConfig(config, createLogger(process.env.LOG_LEVEL ?? 'silent'), { host: '127.0.0.1' });
  // This worker leaves the search attributes alone, so the API's own re-registration is what is tested first.
  worker = await startWorker(`127.0.0.1:${port}`, { namespace, taskQueue, searchAttributeCheckMs: 0 });
});

after(async () => {
  await api?.close();
  await watcher?.stop();
  await worker?.stop();
  await server?.stop();
  await db?.drop();
});

test('after the in-memory dev server restarts empty, the API registers the search attributes again and a run starts and completes', async () => {
  const pipeline = uniqueName('sa-restart');
  const created = await call('POST', '/api/v1/pipelines', { name: pipeline, nodes: [{ id: 'nap', type: 'control.sleep', config: { ms: 10 } }] });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  assert.deepEqual(await registered(), ['SluicePipeline', 'SluiceStatus'], 'registered by the API at start-up');
  await runToCompletion(pipeline);

  await restart(true);

  const runId = await runToCompletion(pipeline);
  assert.deepEqual(await registered(), ['SluicePipeline', 'SluiceStatus']);
  // The workflow's own upserts went through, and visibility filters on them again.
  await waitFor(async () => {
    const r = await call('GET', `/api/v1/runs?pipeline=${pipeline}&status=completed`);
    return r.status === 200 && r.json.runs.some((run: { runId: string }) => run.runId === runId);
  }, 'the run to be listed by pipeline and status');
});

test('a central worker registers the search attributes again on its own once the server comes back empty, so runs started without them still upsert theirs', async () => {
  const pipeline = uniqueName('sa-before');
  assert.equal((await call('POST', '/api/v1/pipelines', { name: pipeline, nodes: [{ id: 'nap', type: 'control.sleep', config: { ms: 10 } }] })).status, 201);
  const before = await runToCompletion(pipeline);
  watcher = await startWorker(`127.0.0.1:${port}`, { namespace, taskQueue: `${taskQueue}-w`, searchAttributeCheckMs: 300 });
  await restart(false);
  // The server came back empty (the run from before is gone). The watcher may already have put the
  // attributes back, and nothing else here would: the API registers them only when a start is refused.
  // Temporal forgot it; the run history has it (archived), as after Temporal's retention.
  const gone = await call('GET', `/api/v1/runs/${before}`);
  assert.equal(gone.status, 200);
  assert.equal(gone.json.archived, true);

  await waitFor(async () => (await registered()).length === SEARCH_ATTRIBUTES.length, 'the worker to register the search attributes', 30_000);

  // Started as `temporal workflow start` would: no search attributes set, and no API to register them.
  const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
  try {
    const client = new Client({ connection, namespace });
    const s = spec({ name: uniqueName('sa-worker'), nodes: [{ id: 'nap', type: 'control.sleep', config: { ms: 10 } }] });
    const input: RunInput = { pipeline: s.name, version: 1, spec: s, params: {} };
    const handle = await client.workflow.start(WORKFLOW_TYPE, { taskQueue: `${taskQueue}-w`, workflowId: uniqueName(s.name), args: [input] });
    await handle.result();
    const desc = await handle.describe();
    assert.equal(desc.typedSearchAttributes.get(SLUICE_STATUS), 'completed');
  } finally {
    await connection.close();
  }
});
