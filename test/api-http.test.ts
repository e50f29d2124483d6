// The REST contract's requests and errors against a real Temporal server and a real PostgreSQL,
// with no worker polling: runs are started and observed, never executed, in this file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultPayloadConverter } from '@temporalio/common';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStore } from '../src/store/store.js';
import { startEmbeddedPostgres } from '../src/store/embedded.js';
import type { Store } from '../src/store/types.js';
import type { RunInput } from '../src/workflows/messages.js';
import { createTestDatabase, temporalEnv, uniqueName, waitFor, type TemporalTestEnv, type TestDatabase } from './helpers/env.js';
import { startTestApi, type TestApi } from './helpers/api.js';

let env: TemporalTestEnv;
let db: TestDatabase;
let store: Store;
let api: TestApi;
const taskQueue = uniqueName('api-http');

before(async () => {
  [env, db] = await Promise.all([temporalEnv(), createTestDatabase()]);
  store = await createStore(db.url);
  api = await startTestApi({ store, client: env.client, taskQueue });
});

after(async () => {
  await api?.close();
  await store?.close();
  await db?.drop();
  await env?.close();
});

function sleepSpec(name: string, ms = 1000, extra: Record<string, unknown> = {}) {
  return { name, nodes: [{ id: 'wait', type: 'control.sleep', config: { ms } }], ...extra };
}

function assertProblem(res: { status: number; headers: Headers; json: any }, status: number) {
  assert.equal(res.status, status, JSON.stringify(res.json));
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(res.json.status, status);
  assert.equal(typeof res.json.type, 'string');
  assert.equal(typeof res.json.title, 'string');
  assert.equal(typeof res.json.detail, 'string');
  assert.ok(Array.isArray(res.json.errors));
}

const paths = (res: { json: any }) => (res.json.errors as { path: string }[]).map((e) => e.path);

async function createPipeline(spec: unknown) {
  const res = await api.call('POST', '/api/v1/pipelines', spec);
  assert.equal(res.status, 201, JSON.stringify(res.json));
  return res.json as { name: string; version: number };
}

test('POST /pipelines creates version 1, an identical re-POST returns it with 200, a change adds version 2', async () => {
  const name = uniqueName('http-create');
  const created = await api.call('POST', '/api/v1/pipelines', sleepSpec(name));
  assert.equal(created.status, 201);
  assert.equal(created.json.name, name);
  assert.equal(created.json.version, 1);
  assert.ok(!Number.isNaN(Date.parse(created.json.createdAt)));
  assert.equal(created.json.spec.nodes[0].id, 'wait');
  assert.deepEqual(created.json.spec.nodes[0].needs, [], 'the stored spec is the normalised one');
  assert.equal(created.headers.get('location'), `/api/v1/pipelines/${name}?version=1`);

  const again = await api.call('POST', '/api/v1/pipelines', sleepSpec(name));
  assert.equal(again.status, 200);
  assert.equal(again.json.version, 1);
  assert.equal(again.json.createdAt, created.json.createdAt);

  const changed = await api.call('POST', '/api/v1/pipelines', sleepSpec(name, 2000, { description: 'two seconds' }));
  assert.equal(changed.status, 201);
  assert.equal(changed.json.version, 2);

  const list = await api.call('GET', '/api/v1/pipelines');
  assert.equal(list.status, 200);
  const entry = list.json.pipelines.find((p: { name: string }) => p.name === name);
  assert.equal(entry.latestVersion, 2);
  assert.equal(entry.description, 'two seconds');
  assert.ok(!Number.isNaN(Date.parse(entry.updatedAt)));

  const latest = await api.call('GET', `/api/v1/pipelines/${name}`);
  assert.equal(latest.status, 200);
  assert.equal(latest.json.version, 2);
  assert.deepEqual(latest.json.versions, [1, 2]);
  assert.equal(latest.json.spec.nodes[0].config.ms, 2000);
  const v1 = await api.call('GET', `/api/v1/pipelines/${name}?version=1`);
  assert.equal(v1.json.version, 1);
  assert.equal(v1.json.spec.nodes[0].config.ms, 1000);
});

test('a YAML body is accepted under each YAML media type and equals the same spec sent as JSON', async () => {
  const name = uniqueName('http-yaml');
  const yaml = `name: ${name}\nparams:\n  since: { type: string, default: "2024-01-01" }\nnodes:\n  - id: wait\n    type: control.sleep\n    config: { ms: 5 }\n`;
  const first = await api.call('POST', '/api/v1/pipelines', yaml, { 'content-type': 'application/yaml' });
  assert.equal(first.status, 201, JSON.stringify(first.json));
  assert.equal(first.json.spec.params.since.default, '2024-01-01');
  for (const type of ['text/yaml', 'application/x-yaml']) {
    const again = await api.call('POST', '/api/v1/pipelines', yaml, { 'content-type': type });
    assert.equal(again.status, 200, `${type}: ${JSON.stringify(again.json)}`);
    assert.equal(again.json.version, 1);
  }
  const asJson = await api.call('POST', '/api/v1/pipelines', {
    name,
    params: { since: { type: 'string', default: '2024-01-01' } },
    nodes: [{ id: 'wait', type: 'control.sleep', config: { ms: 5 } }],
  });
  assert.equal(asJson.status, 200);
  assert.equal(asJson.json.version, 1);
});

test('an invalid spec is a 422 listing every error with its path, and nothing is stored', async () => {
  const name = uniqueName('http-invalid');
  const res = await api.call('POST', '/api/v1/pipelines', {
    name,
    nodes: [
      { id: 'a', type: 'control.sleep', config: { ms: 'soon' } },
      { id: 'b', type: 'control.sleep', needs: ['zzz'], config: { ms: 1 } },
      { id: 'c', type: 'nope.nope', config: {} },
    ],
  });
  assertProblem(res, 422);
  assert.deepEqual(paths(res).sort(), ['nodes[0].config.ms', 'nodes[1].needs[0]', 'nodes[2].type']);
  assert.match(res.json.errors.find((e: { path: string }) => e.path === 'nodes[1].needs[0]').message, /zzz/);
  assertProblem(await api.call('GET', `/api/v1/pipelines/${name}`), 404);

  const cycle = await api.call('POST', '/api/v1/pipelines', {
    name,
    nodes: [
      { id: 'a', type: 'control.sleep', needs: ['b'], config: { ms: 1 } },
      { id: 'b', type: 'control.sleep', needs: ['a'], config: { ms: 1 } },
    ],
  });
  assertProblem(cycle, 422);
  assert.match(cycle.json.errors[0].message, /cycle a -> b -> a/);
});

test('a malformed, empty or unsupported body is a 4xx naming the problem, never a 500', async () => {
  const badJson = await api.call('POST', '/api/v1/pipelines', '{"name": ', { 'content-type': 'application/json' });
  assertProblem(badJson, 400);
  assert.deepEqual(paths(badJson), ['body']);
  assert.match(badJson.json.detail, /invalid JSON/);

  const badYaml = await api.call('POST', '/api/v1/pipelines', 'a: [1, 2\nb: }', { 'content-type': 'application/yaml' });
  assertProblem(badYaml, 400);
  assert.match(badYaml.json.errors[0].message, /^\d+:\d+: /, 'YAML errors carry line:col');

  assertProblem(await api.call('POST', '/api/v1/pipelines', '', { 'content-type': 'application/json' }), 400);
  assertProblem(await api.call('POST', '/api/v1/pipelines'), 400);
  assertProblem(await api.call('POST', '/api/v1/pipelines', 'name: x', { 'content-type': 'text/plain' }), 415);
  assertProblem(await api.call('POST', '/api/v1/pipelines', '[1, 2]', { 'content-type': 'application/json' }), 422);

  const badRunBody = await api.call('POST', `/api/v1/pipelines/whatever/runs`, '{oops', { 'content-type': 'application/json' });
  assertProblem(badRunBody, 400);
  assert.deepEqual(paths(badRunBody), ['body']);
  assertProblem(await api.call('POST', `/api/v1/pipelines/whatever/runs`, 'x', { 'content-type': 'text/plain' }), 415);
});

test('unknown pipelines and versions are 404; a malformed name or version is 400 with its path', async () => {
  const { name } = await createPipeline(sleepSpec(uniqueName('http-404')));
  assertProblem(await api.call('GET', `/api/v1/pipelines/${uniqueName('missing')}`), 404);
  assertProblem(await api.call('GET', `/api/v1/pipelines/${name}?version=7`), 404);
  const badVersion = await api.call('GET', `/api/v1/pipelines/${name}?version=abc`);
  assertProblem(badVersion, 400);
  assert.deepEqual(paths(badVersion), ['version']);
  const badName = await api.call('GET', '/api/v1/pipelines/Not_A_Name');
  assertProblem(badName, 400);
  assert.deepEqual(paths(badName), ['name']);
  assertProblem(await api.call('POST', `/api/v1/pipelines/${uniqueName('missing')}/runs`, {}), 404);
  assertProblem(await api.call('POST', `/api/v1/pipelines/${name}/runs`, { version: 9 }), 404);
});

test('run params are checked against the declared params: unknown, mistyped and missing are each a 400 path', async () => {
  const { name } = await createPipeline(
    sleepSpec(uniqueName('http-params'), 1000, {
      params: { n: { type: 'number' }, label: { type: 'string', default: 'x' }, dry: { type: 'boolean', default: false } },
    }),
  );
  const unknown = await api.call('POST', `/api/v1/pipelines/${name}/runs`, { params: { n: 1, x: 2 } });
  assertProblem(unknown, 400);
  assert.deepEqual(paths(unknown), ['params.x']);

  const wrongType = await api.call('POST', `/api/v1/pipelines/${name}/runs`, { params: { n: 'five' } });
  assertProblem(wrongType, 400);
  assert.deepEqual(paths(wrongType), ['params.n']);
  assert.match(wrongType.json.errors[0].message, /^expected number/);

  const missing = await api.call('POST', `/api/v1/pipelines/${name}/runs`, {});
  assertProblem(missing, 400);
  assert.deepEqual(paths(missing), ['params.n']);
  assert.match(missing.json.errors[0].message, /required/);

  const several = await api.call('POST', `/api/v1/pipelines/${name}/runs`, { params: { label: 3, dry: 'yes' } });
  assert.deepEqual(paths(several).sort(), ['params.dry', 'params.label', 'params.n']);

  const badBody = await api.call('POST', `/api/v1/pipelines/${name}/runs`, { params: [1], version: 'one', extra: true });
  assertProblem(badBody, 400);
  assert.deepEqual(paths(badBody).sort(), ['extra', 'params', 'version']);
});

test('starting a run returns 201 with its id and Location, with defaults applied and the run tagged for visibility', async () => {
  const { name } = await createPipeline(
    sleepSpec(uniqueName('http-start'), 1000, { params: { n: { type: 'number' }, label: { type: 'string', default: 'x' } } }),
  );
  const res = await api.call('POST', `/api/v1/pipelines/${name}/runs`, { params: { n: 3 } });
  assert.equal(res.status, 201, JSON.stringify(res.json));
  const { runId } = res.json;
  assert.match(runId, new RegExp(`^${name}-[0-9a-f]{12}$`));
  assert.equal(res.headers.get('location'), `/api/v1/runs/${runId}`);

  const handle = env.client.workflow.getHandle(runId);
  const desc = await handle.describe();
  assert.equal(desc.type, 'runPipeline');
  assert.equal(desc.taskQueue, taskQueue);
  assert.equal(await desc.staticSummary(), `${name} v1 · 1 node`);
  assert.match((await desc.staticDetails()) ?? '', /- `wait` \(control\.sleep\)/);
  const history = await handle.fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  const input = defaultPayloadConverter.fromPayload<RunInput>(payload!);
  assert.deepEqual(input.params, { n: 3, label: 'x' });
  assert.equal(input.version, 1);
  assert.equal(input.spec.nodes[0]!.id, 'wait');

  const listed = await waitFor(async () => {
    const r = await api.call('GET', `/api/v1/runs?pipeline=${name}`);
    return r.json.runs.length === 1 ? r.json.runs : null;
  }, 'the run to appear in visibility');
  assert.equal(listed[0].runId, runId);
  assert.equal(listed[0].pipeline, name);
  assert.equal(listed[0].status, 'running');
  assert.equal(listed[0].closedAt, null);
  const running = await api.call('GET', `/api/v1/runs?pipeline=${name}&status=running`);
  assert.equal(running.json.runs.length, 1);
  const completed = await api.call('GET', `/api/v1/runs?pipeline=${name}&status=completed`);
  assert.equal(completed.json.runs.length, 0);

  // No worker polls this file's task queue: nobody answers the progress query, so the view comes
  // from the history (marked stale), and says what the node waits for.
  const view = await api.call('GET', `/api/v1/runs/${runId}`);
  assert.equal(view.status, 200, JSON.stringify(view.json));
  assert.equal(view.json.stale, true);
  assert.equal(view.json.status, 'running');
  assert.equal(view.json.nodes.wait.state, 'pending');
  assert.equal(view.json.nodes.wait.waiting, `no worker is polling task queue ${taskQueue}, where the run's workflow schedules its nodes`);
  await handle.terminate('test cleanup');
});

test('GET /runs validates its filters: bad status, bad pipeline name, out-of-range limit and unknown keys are 400', async () => {
  const badStatus = await api.call('GET', '/api/v1/runs?status=sleeping');
  assertProblem(badStatus, 400);
  assert.deepEqual(paths(badStatus), ['status']);
  const badPipeline = await api.call('GET', `/api/v1/runs?pipeline=${encodeURIComponent("x' OR 1=1")}`);
  assertProblem(badPipeline, 400);
  assert.deepEqual(paths(badPipeline), ['pipeline']);
  for (const limit of ['0', '501', 'ten']) {
    const r = await api.call('GET', `/api/v1/runs?limit=${limit}`);
    assertProblem(r, 400);
    assert.deepEqual(paths(r), ['limit']);
  }
  assert.deepEqual(paths(await api.call('GET', '/api/v1/runs?state=running')), ['state']);
  assert.deepEqual(paths(await api.call('GET', '/api/v1/runs?status=running&status=paused')), ['status']);
});

test('GET /runs honours limit and lists newest first', async () => {
  const { name } = await createPipeline(sleepSpec(uniqueName('http-limit')));
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    // A bodiless POST is a run with defaults.
    const started = await api.call('POST', `/api/v1/pipelines/${name}/runs`);
    assert.equal(started.status, 201, JSON.stringify(started.json));
    ids.push(started.json.runId);
  }
  const all = await waitFor(async () => {
    const r = await api.call('GET', `/api/v1/runs?pipeline=${name}`);
    return r.json.runs.length === 3 ? r.json.runs : null;
  }, 'three runs in visibility');
  assert.deepEqual(all.map((r: { runId: string }) => r.runId), [...ids].reverse());
  const limited = await api.call('GET', `/api/v1/runs?pipeline=${name}&limit=2`);
  assert.equal(limited.json.runs.length, 2);
  await Promise.all(ids.map((id) => env.client.workflow.getHandle(id).terminate('test cleanup')));
});

test('unknown runs and workflows that are not runs are 404 for every run route', async () => {
  const other = await env.client.workflow.start('someOtherWorkflow', { taskQueue, workflowId: uniqueName('not-a-run') });
  try {
    for (const id of [uniqueName('no-such-run'), other.workflowId]) {
      assertProblem(await api.call('GET', `/api/v1/runs/${id}`), 404);
      for (const action of ['pause', 'resume', 'cancel']) assertProblem(await api.call('POST', `/api/v1/runs/${id}/${action}`), 404);
    }
  } finally {
    await other.terminate('test cleanup');
  }
});

test('a closed run is 409 for pause, resume and cancel, and GET reports it failed with the reason', async () => {
  const { name } = await createPipeline(sleepSpec(uniqueName('http-closed')));
  const { runId } = (await api.call('POST', `/api/v1/pipelines/${name}/runs`, {})).json;
  await env.client.workflow.getHandle(runId).terminate('stopped by an operator');
  for (const action of ['pause', 'resume', 'cancel']) {
    const r = await api.call('POST', `/api/v1/runs/${runId}/${action}`);
    assertProblem(r, 409);
    assert.match(r.json.detail, /already failed/);
  }
  // No worker can replay it for the progress query, so the view comes from the execution and its history.
  const view = await api.call('GET', `/api/v1/runs/${runId}`);
  assert.equal(view.status, 200, JSON.stringify(view.json));
  assert.equal(view.json.stale, true);
  assert.equal(view.json.status, 'failed');
  // Its node never ran, and never will: the run ended around it.
  assert.equal(view.json.nodes.wait.state, 'cancelled');
  assert.equal(view.json.nodes.wait.waiting, undefined);
  assert.equal(view.json.pipeline, name);
  assert.equal(view.json.version, 1);
  assert.match(view.json.error, /stopped by an operator/);
  assert.ok(view.json.endedAt);
  const failed = await waitFor(async () => {
    const r = await api.call('GET', `/api/v1/runs?pipeline=${name}&status=failed`);
    return r.json.runs.length === 1 ? r.json.runs : null;
  }, 'the terminated run to be listed as failed');
  assert.equal(failed[0].runId, runId);
  assert.ok(failed[0].closedAt);
});

test('pause, resume and cancel on a running run are accepted with 202', async () => {
  const { name } = await createPipeline(sleepSpec(uniqueName('http-actions')));
  const { runId } = (await api.call('POST', `/api/v1/pipelines/${name}/runs`, {})).json;
  for (const requested of ['pause', 'resume', 'cancel']) {
    const r = await api.call('POST', `/api/v1/runs/${runId}/${requested}`);
    assert.equal(r.status, 202, JSON.stringify(r.json));
    assert.deepEqual(r.json, { runId, requested });
  }
  await env.client.workflow.getHandle(runId).terminate('test cleanup');
});

test('unknown routes are 404 and known routes with the wrong method are 405 with Allow, both as problems', async () => {
  assertProblem(await api.call('GET', '/api/v1/nothing-here'), 404);
  assertProblem(await api.call('GET', '/elsewhere'), 404);
  const wrong = await api.call('DELETE', '/api/v1/pipelines');
  assertProblem(wrong, 405);
  assert.equal(wrong.headers.get('allow'), 'GET, POST');
  assertProblem(await api.call('GET', '/api/v1/pipelines/some-name/runs'), 405);
  assertProblem(await api.call('GET', '/api/v1/runs/some-run/pause'), 405);
});

test('health and the OpenAPI document are served', async () => {
  const health = await api.call('GET', '/healthz');
  assert.equal(health.status, 200);
  const doc = await api.call('GET', '/api/v1/openapi.json');
  assert.equal(doc.status, 200);
  assert.equal(doc.json.openapi, '3.1.0');
  assert.ok(doc.json.paths['/api/v1/runs/{runId}'].get);
  const runsParams = doc.json.paths['/api/v1/runs'].get.parameters.map((p: { name: string }) => p.name);
  assert.deepEqual(runsParams.sort(), ['cursor', 'from', 'limit', 'pipeline', 'schedule', 'status', 'to']);
  assert.ok(doc.json.components.schemas.PipelineSpec.properties.nodes);
});

test('the OpenAPI document lists exactly the routes the server has, method by method', async () => {
  const doc = (await api.call('GET', '/api/v1/openapi.json')).json;
  const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
    .flatMap(([path, item]) => Object.keys(item).filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m)).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
  // The server's own route table: Express layers, mounted routers followed with their prefix.
  const served: string[] = [];
  const walk = (stack: any[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const path = (prefix + layer.route.path).replace(/:(\w+)/g, '{$1}');
        for (const m of Object.keys(layer.route.methods).filter((k) => k !== '_all')) served.push(`${m.toUpperCase()} ${path}`);
      } else if (layer.handle?.stack) walk(layer.handle.stack, prefix + (layer.rawPath && layer.rawPath !== '/' ? layer.rawPath : ''));
    }
  };
  const app = api.server.listeners('request')[0] as any;
  walk(app.router.stack, '');
  // The reference page and its files are not API operations.
  const operations = served.filter((r) => !r.includes(' /api/docs')).sort();
  assert.ok(operations.length >= 30, operations.join('\n'));
  assert.deepEqual(documented, operations);
});

test('an unexpected failure is a 500 problem that reveals no internals', async () => {
  const broken = await createStore(db.url);
  await broken.close(); // every query on it now throws
  const brokenApi = await startTestApi({ store: broken, client: env.client, taskQueue, auth: { mode: 'off', oidc: null } });
  try {
    const res = await brokenApi.call('GET', '/api/v1/pipelines');
    assertProblem(res, 500);
    assert.doesNotMatch(JSON.stringify(res.json), /pool|stack|at /i);
  } finally {
    await brokenApi.close();
  }
});

test('the API works the same on the embedded PGlite server, with concurrent requests sharing its one connection', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-pglite-api-'));
  const pg = await startEmbeddedPostgres(dir);
  const embeddedStore = await createStore(pg.url, { maxConnections: pg.maxConnections });
  const embeddedApi = await startTestApi({ store: embeddedStore, client: env.client, taskQueue });
  try {
    const name = uniqueName('embedded-api');
    const posts = await Promise.all([1, 2, 3].map((ms) => embeddedApi.call('POST', '/api/v1/pipelines', sleepSpec(name, ms))));
    assert.deepEqual(posts.map((p) => p.status), [201, 201, 201]);
    assert.deepEqual(posts.map((p) => p.json.version).sort(), [1, 2, 3]);
    const latest = posts.find((p) => p.json.version === 3)!;
    const again = await embeddedApi.call('POST', '/api/v1/pipelines', latest.json.spec);
    assert.equal(again.status, 200);
    assert.deepEqual((await embeddedApi.call('GET', `/api/v1/pipelines/${name}`)).json.versions, [1, 2, 3]);
    assertProblem(await embeddedApi.call('POST', '/api/v1/pipelines', { name, nodes: [] }), 422);
    const run = await embeddedApi.call('POST', `/api/v1/pipelines/${name}/runs`, { version: 2 });
    assert.equal(run.status, 201, JSON.stringify(run.json));
    await env.client.workflow.getHandle(run.json.runId).terminate('test cleanup');
  } finally {
    await embeddedApi.close();
    await embeddedStore.close();
    await pg.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
