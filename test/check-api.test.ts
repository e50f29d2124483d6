// POST /api/v1/pipelines/{name}/check through the real API, Temporal server, PostgreSQL and Sluice
// workers: every node is checked by the worker of its site, with that worker's secrets.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import proto from '@temporalio/proto';
import { createStore } from '../src/store/store.js';
import type { Store } from '../src/store/types.js';
import { createTestDatabase, temporalEnv, uniqueName, type TemporalTestEnv, type TestDatabase } from './helpers/env.js';
import { startWorker, type RunningWorker } from './helpers/worker.js';
import { startTestApi, type TestApi } from './helpers/api.js';

let env: TemporalTestEnv;
let db: TestDatabase;
let store: Store;
let api: TestApi;
let central: RunningWorker;
let siteWorker: RunningWorker;
const taskQueue = uniqueName('check-api');
const site = uniqueName('acme');
const absentSite = uniqueName('nowhere');

// Trust auth ignores passwords, so each URL can carry one that must never leave its worker.
const PASSWORDS = { src: 'src-pw-5813', dst: 'dst-pw-2297', bad: 'bad-pw-6604', site: 'site-pw-3371' };
let secrets: Record<string, string>;

function withPassword(url: string, password: string, database?: string): string {
  const u = new URL(url);
  u.password = password;
  if (database) u.pathname = `/${database}`;
  return u.toString();
}

before(async () => {
  [env, db] = await Promise.all([temporalEnv(), createTestDatabase()]);
  store = await createStore(db.url);
  secrets = {
    CHECK_SRC: withPassword(db.url, PASSWORDS.src),
    CHECK_DST: withPassword(db.url, PASSWORDS.dst, `${db.name}_nope`),
    CHECK_BAD: `mysql://root:${PASSWORDS.bad}@db.internal/shop`,
  };
  const centralEnv = { ...process.env, ...secrets };
  delete centralEnv.SITE_DB;
  central = await startWorker(env.address, { namespace: env.namespace, taskQueue, env: centralEnv });
  // Only the site worker knows SITE_DB.
  siteWorker = await startWorker(env.address, { namespace: env.namespace, taskQueue, site, env: { ...process.env, SITE_DB: withPassword(db.url, PASSWORDS.site) } });
  api = await startTestApi({ store, client: env.client, taskQueue });
});

after(async () => {
  await api?.close();
  await siteWorker?.stop();
  await central?.stop();
  await store?.close();
  await db?.drop();
  await env?.close();
});

async function register(spec: Record<string, unknown>): Promise<void> {
  const created = await api.call('POST', '/api/v1/pipelines', spec);
  assert.equal(created.status, 201, JSON.stringify(created.json));
}

/** The check workflow's whole history as text: payloads are JSON, so secret values would show. */
async function historyText(checkId: string): Promise<string> {
  const history = await env.client.workflow.getHandle(checkId).fetchHistory();
  return Buffer.from(proto.temporal.api.history.v1.History.encode(history).finish()).toString('utf8');
}

test('checking over REST: the source passes, the sink fails with Postgres\' message, a bad config names its path, and no secret value reaches the response or the history', async () => {
  const name = uniqueName('check-etl');
  await register({
    name,
    params: { since: { type: 'string', default: '2024-01-01' } },
    nodes: [
      { id: 'extract', type: 'postgres.read', config: { connection: { $secret: 'CHECK_SRC' }, query: 'select datname from pg_database where datname > $1', params: ['{{ params.since }}'] } },
      { id: 'clean', type: 'transform.map', needs: ['extract'], config: { rename: { datname: 'name' } } },
      { id: 'load', type: 'postgres.write', needs: ['clean'], config: { connection: { $secret: 'CHECK_DST' }, table: 'dw.orders' } },
      { id: 'legacy', type: 'postgres.read', config: { connection: { $secret: 'CHECK_BAD' }, query: 'select 1' } },
    ],
  });
  const res = await api.call('POST', `/api/v1/pipelines/${name}/check`, { params: { since: '2025-01-01' } });
  assert.equal(res.status, 200, JSON.stringify(res.json));
  const body = res.json;
  assert.equal(body.ok, false);
  assert.equal(body.pipeline, name);
  assert.equal(body.version, 1);
  assert.match(body.checkId, new RegExp(`^check-${name}-[0-9a-f]{12}$`));
  assert.equal(body.nodes.extract.ok, true, JSON.stringify(body.nodes.extract));
  assert.equal(typeof body.nodes.extract.ms, 'number');
  assert.deepEqual(body.nodes.clean, { ok: true, skipped: 'no check for this node type' });
  assert.deepEqual(body.nodes.load, { ok: false, error: `cannot connect to the destination database: database "${db.name}_nope" does not exist` });
  assert.equal(body.nodes.legacy.ok, false);
  assert.match(body.nodes.legacy.error, /^config\.connection: expected a postgres URL/);

  const history = await historyText(body.checkId);
  assert.ok(history.includes(`database \\"${db.name}_nope\\" does not exist`), 'the history text holds the check results (the search below can see payloads)');
  const text = JSON.stringify(body);
  for (const value of [...Object.values(secrets), ...Object.values(PASSWORDS)]) {
    assert.ok(!text.includes(value), `the response leaks ${value}`);
    assert.ok(!history.includes(value), `the history leaks ${value}`);
  }
});

test('a site node is checked by its site worker with the secret only that worker has, and a site without a worker times out with a clear message', async () => {
  const name = uniqueName('check-site');
  await register({
    name,
    nodes: [
      { id: 'extract', type: 'postgres.read', site, config: { connection: { $secret: 'SITE_DB' }, query: 'select 1' } },
      { id: 'load', type: 'postgres.write', site: absentSite, needs: ['extract'], config: { connection: { $secret: 'SITE_DB' }, table: 'copied' } },
      { id: 'central', type: 'postgres.read', config: { connection: { $secret: 'SITE_DB' }, query: 'select 1' } },
    ],
  });
  const started = Date.now();
  const res = await api.call('POST', `/api/v1/pipelines/${name}/check`, { timeout: '2s' });
  assert.equal(res.status, 200, JSON.stringify(res.json));
  assert.ok(Date.now() - started < 15_000, `answered in ${Date.now() - started}ms`);
  assert.equal(res.json.nodes.extract.ok, true, JSON.stringify(res.json.nodes.extract));
  assert.deepEqual(res.json.nodes.load, { ok: false, error: `no worker for site ${absentSite} answered within 2s` });
  // The same secret on a central node: the central worker does not have it, so the site one ran there.
  assert.deepEqual(res.json.nodes.central, {
    ok: false,
    error: 'config.connection: secret SITE_DB is not set on the central worker, which runs this node; set the environment variable SITE_DB there',
  });
  assert.equal(res.json.ok, false);
});

test('an unknown pipeline is 404, and bad params or timeout are 400 with their paths', async () => {
  const missing = await api.call('POST', `/api/v1/pipelines/${uniqueName('nope')}/check`, {});
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get('content-type'), 'application/problem+json; charset=utf-8');

  const name = uniqueName('check-params');
  await register({ name, params: { n: { type: 'number' } }, nodes: [{ id: 'nap', type: 'control.sleep', config: { ms: '{{ params.n }}' } }] });
  const badParams = await api.call('POST', `/api/v1/pipelines/${name}/check`, { params: { n: 'x', extra: 1 } });
  assert.equal(badParams.status, 400);
  assert.deepEqual(badParams.json.errors.map((e: { path: string }) => e.path).sort(), ['params.extra', 'params.n']);
  const missingParam = await api.call('POST', `/api/v1/pipelines/${name}/check`, {});
  assert.equal(missingParam.status, 400);
  assert.deepEqual(missingParam.json.errors, [{ path: 'params.n', message: 'required (number, no default)' }]);
  const badTimeout = await api.call('POST', `/api/v1/pipelines/${name}/check`, { params: { n: 1 }, timeout: '1h' });
  assert.equal(badTimeout.status, 400);
  assert.deepEqual(badTimeout.json.errors, [{ path: 'timeout', message: 'must be at most 5m' }]);

  const ok = await api.call('POST', `/api/v1/pipelines/${name}/check`, { params: { n: 5 } });
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  assert.deepEqual(ok.json.nodes, { nap: { ok: true, skipped: 'no check for this node type' } });
  assert.equal(ok.json.ok, true);

  const openapi = await api.call('GET', '/api/v1/openapi.json');
  assert.ok(openapi.json.paths['/api/v1/pipelines/{name}/check'].post, 'the route is in the OpenAPI document');
});

test('with no central worker to run the check, the API answers 503 once the check times out', async () => {
  const idle = await startTestApi({ store, client: env.client, taskQueue: uniqueName('no-central') });
  try {
    const name = uniqueName('check-idle');
    await register({ name, nodes: [{ id: 'nap', type: 'control.sleep', config: { ms: 1 } }] });
    const res = await idle.call('POST', `/api/v1/pipelines/${name}/check`, { timeout: '1s' });
    assert.equal(res.status, 503, JSON.stringify(res.json));
    assert.match(res.json.detail, /^no central worker on task queue no-central-[0-9a-f]+ finished the check within 17s$/);
  } finally {
    await idle.close();
  }
});
