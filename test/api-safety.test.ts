// The API's network and browser safety against a real Temporal server and a real PostgreSQL:
// Idempotency-Key on starting and steering runs, CORS only for listed origins, security headers,
// no form-encoded bodies, a per-key rate limit, and no credential ever stored in a spec.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createStore } from '../src/store/store.js';
import type { Store } from '../src/store/types.js';
import { createTestDatabase, temporalEnv, uniqueName, type TemporalTestEnv, type TestDatabase } from './helpers/env.js';
import { startTestApi, type TestApi } from './helpers/api.js';

let env: TemporalTestEnv;
let db: TestDatabase;
let store: Store;
let api: TestApi;
const taskQueue = uniqueName('api-safety');

before(async () => {
  [env, db] = await Promise.all([temporalEnv(), createTestDatabase()]);
  store = await createStore(db.url);
  api = await startTestApi({ store, client: env.client, taskQueue, web: { corsOrigins: ['https://console.example.com'], ratePerMinute: 1200 } });
});

after(async () => {
  await api?.close();
  await store?.close();
  await db?.drop();
  await env?.close();
});

const sleepSpec = (name: string) => ({ name, nodes: [{ id: 'wait', type: 'control.sleep', config: { ms: 60_000 } }] });

async function pipeline(prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  assert.equal((await api.call('POST', '/api/v1/pipelines', sleepSpec(name))).status, 201);
  return name;
}

test('the same Idempotency-Key starts one run however often it is sent, even concurrently; another body with it is 422', async () => {
  const name = await pipeline('idem');
  const key = { 'idempotency-key': `retry-${uniqueName('k')}` };
  const answers = await Promise.all([1, 2, 3, 4].map(() => api.call('POST', `/api/v1/pipelines/${name}/runs`, { params: {} }, key)));
  const started = answers.filter((a) => a.status === 201);
  assert.ok(started.length >= 1, JSON.stringify(answers.map((a) => [a.status, a.json])));
  // Concurrent duplicates either replay the answer or are told the first is still in progress.
  for (const a of answers) assert.ok(a.status === 201 || a.status === 409, `${a.status} ${JSON.stringify(a.json)}`);
  const again = await api.call('POST', `/api/v1/pipelines/${name}/runs`, { params: {} }, key);
  assert.equal(again.status, 201);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.equal(again.headers.get('location'), started[0]!.headers.get('location'));
  const runIds = new Set([...started, again].map((a) => a.json.runId));
  assert.equal(runIds.size, 1, 'one run for one key');
  const list = await env.client.workflow.list({ query: `SluicePipeline = '${name}'` });
  const executions: string[] = [];
  for await (const wf of list) executions.push(wf.workflowId);
  assert.deepEqual(executions, [...runIds]);

  const other = await api.call('POST', `/api/v1/pipelines/${name}/runs`, { params: {}, version: 1 }, key);
  assert.equal(other.status, 422);
  assert.deepEqual(other.json.errors, [{ path: 'headers.idempotency-key', message: 'already used for a different request' }]);
  // Without a key, each request is its own run; a key is per caller.
  const fresh = await api.call('POST', `/api/v1/pipelines/${name}/runs`, {});
  assert.notEqual(fresh.json.runId, again.json.runId);
  const operator = await api.makeKey('operator');
  const theirs = await api.call('POST', `/api/v1/pipelines/${name}/runs`, { params: {} }, { ...key, authorization: `Bearer ${operator}` });
  assert.equal(theirs.status, 201);
  assert.notEqual(theirs.json.runId, again.json.runId);
  assert.equal((await api.call('POST', `/api/v1/pipelines/${name}/runs`, {}, { 'idempotency-key': 'has space' })).status, 400);
});

test('a cancel retried with its Idempotency-Key after the run closed gets the first 202, not a 409', async () => {
  const name = await pipeline('idem-cancel');
  const run = await api.call('POST', `/api/v1/pipelines/${name}/runs`, {});
  const key = { 'idempotency-key': uniqueName('cancel') };
  const first = await api.call('POST', `/api/v1/runs/${run.json.runId}/cancel`, undefined, key);
  assert.equal(first.status, 202);
  await env.client.workflow.getHandle(run.json.runId).terminate('closed for the test');
  const retried = await api.call('POST', `/api/v1/runs/${run.json.runId}/cancel`, undefined, key);
  assert.deepEqual([retried.status, retried.json, retried.headers.get('idempotent-replayed')], [202, first.json, 'true']);
  assert.equal((await api.call('POST', `/api/v1/runs/${run.json.runId}/cancel`)).status, 409, 'without the key the closed run is a conflict');
});

test('CORS answers only listed origins; security headers are set; form-encoded and plain-text bodies are refused on every state-changing route', async () => {
  const preflight = (origin: string) =>
    fetch(`${api.url}/api/v1/pipelines`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
  const allowed = await preflight('https://console.example.com');
  assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://console.example.com');
  assert.match(allowed.headers.get('access-control-allow-headers') ?? '', /Authorization/);
  const refused = await preflight('https://evil.example');
  assert.equal(refused.headers.get('access-control-allow-origin'), null);

  const res = await api.call('GET', '/api/v1/pipelines', undefined, { origin: 'https://evil.example' });
  assert.equal(res.headers.get('access-control-allow-origin'), null);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  assert.ok(res.headers.get('strict-transport-security'));
  assert.equal(res.headers.get('x-powered-by'), null);

  const name = await pipeline('forms');
  for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plain']) {
    for (const route of ['/api/v1/pipelines', `/api/v1/pipelines/${name}/runs`, `/api/v1/runs/${name}-000000000000/pause`, '/api/v1/keys']) {
      const posted = await api.call('POST', route, 'a=1', { 'content-type': type });
      assert.equal(posted.status, 415, `${route} as ${type}: ${posted.status}`);
    }
  }
});

test('a key that sends more than its rate gets 429 with Retry-After, and other keys are not slowed', async () => {
  const limited = await startTestApi({ store, client: env.client, taskQueue, web: { corsOrigins: [], ratePerMinute: 5 } });
  try {
    const statuses: number[] = [];
    let last: Awaited<ReturnType<TestApi['call']>> | undefined;
    for (let i = 0; i < 7; i++) {
      last = await limited.call('GET', '/api/v1/pipelines');
      statuses.push(last.status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
    assert.ok(Number(last!.headers.get('retry-after')) >= 1);
    assert.match(last!.json.detail, /more than 5 requests in a minute/);
    const other = await limited.makeKey('viewer');
    assert.equal((await limited.call('GET', '/api/v1/pipelines', undefined, { authorization: `Bearer ${other}` })).status, 200);
  } finally {
    await limited.close();
  }
});

test('a literal credential in a spec is a 422 at its path pointing to { $secret }; secret refs and password-less URLs are accepted', async () => {
  const name = uniqueName('creds');
  const node = (id: string, type: string, config: Record<string, unknown>, needs: string[] = []) => ({ id, type, config, needs });
  const spec = {
    name,
    params: { token: { type: 'string', default: 'x' } },
    nodes: [
      node('pg', 'postgres.read', { connection: 'postgres://etl:hunter2@db.internal:5432/shop', query: 'select 1 as x' }),
      node('pg2', 'postgres.read', { connection: 'host=db user=etl password=hunter2', query: 'select 1 as x' }),
      node('api', 'http.read', { url: 'https://api.example.com/items', headers: { Accept: 'application/json', Authorization: 'Bearer abc123' }, query: { api_key: 'k-123', page: 1 } }),
      node('bricks', 'databricks.read', { host: 'https://x.cloud.databricks.com', token: '{{ params.token }}', warehouseId: 'w1', query: 'select 1' }),
      node('out', 's3.write', { bucket: 'my-bucket', credentials: { accessKeyId: 'AKIA1', secretAccessKey: 'plain-secret' } }, ['pg']),
    ],
  };
  const refused = await api.call('POST', '/api/v1/pipelines', spec);
  assert.equal(refused.status, 422, JSON.stringify(refused.json));
  const byPath = Object.fromEntries((refused.json.errors as { path: string; message: string }[]).map((e) => [e.path, e.message]));
  assert.deepEqual(Object.keys(byPath).sort(), [
    'nodes[0].config.connection',
    'nodes[1].config.connection',
    'nodes[2].config.headers.Authorization',
    'nodes[2].config.query.api_key',
    'nodes[3].config.token',
    'nodes[4].config.credentials.secretAccessKey',
  ]);
  for (const message of Object.values(byPath)) assert.match(message, /\{ \$secret: NAME \}/);
  assert.ok(!JSON.stringify(refused.json).includes('hunter2') && !JSON.stringify(refused.json).includes('plain-secret'), 'the credential is not echoed');
  assert.equal((await api.call('GET', `/api/v1/pipelines/${name}`)).status, 404, 'nothing was stored');

  const fine = {
    name,
    nodes: [
      node('pg', 'postgres.read', { connection: 'postgres://etl@db.internal:5432/shop', query: 'select 1 as x' }),
      node('api', 'http.read', { url: 'https://api.example.com/items', headers: { Accept: 'application/json', Authorization: { $secret: 'API_AUTH' } }, query: { page: 1 } }),
      node('out', 's3.write', { bucket: 'my-bucket', credentials: { accessKeyId: 'AKIA1', secretAccessKey: { $secret: 'S3_SECRET' } } }, ['pg']),
    ],
  };
  const stored = await api.call('POST', '/api/v1/pipelines', fine);
  assert.equal(stored.status, 201, JSON.stringify(stored.json));
});

test('a spec stored before credentials were refused never shows one: GET masks it', async () => {
  const name = uniqueName('legacy');
  const spec = { name, nodes: [{ id: 'pg', type: 'postgres.read', needs: [], config: { connection: 'postgres://etl:hunter2@db/shop', query: 'select 1 as x', batchSize: 5000 } }] };
  await store.putPipeline(spec as unknown as Parameters<Store['putPipeline']>[0]);
  const got = await api.call('GET', `/api/v1/pipelines/${name}`);
  assert.equal(got.status, 200);
  assert.equal(got.json.spec.nodes[0].config.connection, '***');
  assert.ok(!JSON.stringify(got.json).includes('hunter2'));
});
