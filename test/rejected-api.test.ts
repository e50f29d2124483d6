// GET /api/v1/runs/{runId}/nodes/{nodeId}/rejected through the real API, Temporal server,
// PostgreSQL and Sluice workers: a central node's bad records are read by a central worker, a site
// node's stay on the site (the answer says where, and `sluice rejected` reads them there).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createStore } from '../src/store/store.js';
import type { Store } from '../src/store/types.js';
import { createTestDatabase, temporalEnv, uniqueName, waitFor, type TemporalTestEnv, type TestDatabase } from './helpers/env.js';
import { startWorker, type RunningWorker } from './helpers/worker.js';
import { startTestApi, type TestApi } from './helpers/api.js';
import { rejectingPipeline } from './helpers/pipelines.js';

const SLUICE = path.join(import.meta.dirname, '..', 'bin', 'sluice.js');
let env: TemporalTestEnv;
let db: TestDatabase;
let store: Store;
let api: TestApi;
let central: RunningWorker;
let siteWorker: RunningWorker;
const taskQueue = uniqueName('rejected-api');
const site = uniqueName('acme');
const PASSWORD = 'rej-pw-8841';

const ROWS = 100;
const BATCH = 20;
// Every tenth row is bad: 10 bad records, two in each of the five parts.
const BAD = ROWS / 10;
const reason = 'status: "bad" is not one of ok';

function withPassword(url: string): string {
  const u = new URL(url);
  u.password = PASSWORD;
  return u.toString();
}

before(async () => {
  [env, db] = await Promise.all([temporalEnv(), createTestDatabase()]);
  store = await createStore(db.url);
  const secrets = { REJ_DB: withPassword(db.url) };
  central = await startWorker(env.address, { namespace: env.namespace, taskQueue, env: { ...process.env, ...secrets } });
  siteWorker = await startWorker(env.address, { namespace: env.namespace, taskQueue, site, env: { ...process.env, ...secrets } });
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

const pipeline = (name: string, site?: string) => rejectingPipeline(name, { rows: ROWS, batch: BATCH, maxBad: 50, site });

async function completedRun(name: string, where?: string, client: TestApi = api): Promise<string> {
  const runId = await client.startPipelineRun(pipeline(name, where));
  await client.runWhere(runId, 'the run completes', (v) => v.status === 'completed' || v.status === 'failed', 60_000);
  const view = (await client.call('GET', `/api/v1/runs/${runId}`)).json;
  assert.equal(view.status, 'completed', JSON.stringify(view));
  assert.equal(view.nodes.check.outputs.badRows, BAD);
  return runId;
}

const rejectedPath = (runId: string, nodeId: string, query = '') => `/api/v1/runs/${encodeURIComponent(runId)}/nodes/${encodeURIComponent(nodeId)}/rejected${query}`;

/** sampleRejected workflows started for this pipeline (Temporal's visibility is eventually consistent). */
async function samplesStarted(pipelineName: string): Promise<number> {
  let n = 0;
  for await (const _ of env.client.workflow.list({ query: `WorkflowType = 'sampleRejected' AND SluicePipeline = '${pipelineName}'` })) n++;
  return n;
}

/** The environment of a worker whose staging store is the local directory `dir`. */
function localStaging(dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SLUICE_STAGING_DIR: dir };
  delete env.SLUICE_STAGING_URL;
  return env;
}

let centralRun = '';
let centralName = '';

test("a central node's rejected records come back in order with their reasons and positions, the total is its badRows, and limit is respected", async () => {
  centralName = uniqueName('rej-central');
  centralRun = await completedRun(centralName);

  const first = await api.call('GET', rejectedPath(centralRun, 'check'));
  assert.equal(first.status, 200, JSON.stringify(first.json));
  assert.equal(first.json.runId, centralRun);
  assert.equal(first.json.nodeId, 'check');
  assert.equal(first.json.site, 'central');
  assert.equal(first.json.total, BAD);
  assert.equal(first.json.truncated, false);
  assert.equal(first.json.keptOnSite, undefined);
  assert.equal(first.json.records.length, BAD, 'default limit 20 is above the 10 bad records');
  first.json.records.forEach((r: { reason: string; position: string; record: { id: number; status: string } }, i: number) => {
    const id = (i + 1) * 10;
    assert.equal(r.reason, reason);
    assert.equal(r.position, `part ${Math.floor((id - 1) / BATCH)} row ${id}`);
    assert.equal(r.record.id, id);
    assert.equal(r.record.status, 'bad');
  });
  assert.ok(!JSON.stringify(first.json).includes(PASSWORD), "the source's secret is in no record, reason or location");

  const three = await api.call('GET', rejectedPath(centralRun, 'check', '?limit=3'));
  assert.equal(three.status, 200, JSON.stringify(three.json));
  assert.equal(three.json.total, BAD);
  assert.equal(three.json.truncated, true);
  assert.deepEqual(three.json.records.map((r: { record: { id: number } }) => r.record.id), [10, 20, 30]);
  assert.deepEqual(three.json.records.map((r: { position: string }) => r.position), ['part 0 row 10', 'part 0 row 20', 'part 1 row 30']);

  // The typed client has the route, and a viewer may read it.
  const viewer = await api.makeKey('viewer');
  const byViewer = await api.call('GET', rejectedPath(centralRun, 'check', '?limit=1'), undefined, { authorization: `Bearer ${viewer}` });
  assert.equal(byViewer.status, 200, JSON.stringify(byViewer.json));
  assert.equal(byViewer.json.records.length, 1);
  const typed = await api.client.GET('/api/v1/runs/{runId}/nodes/{nodeId}/rejected', { params: { path: { runId: centralRun, nodeId: 'check' }, query: { limit: '2' } } });
  assert.equal(typed.data?.records.length, 2);

  // A node without bad records: total 0, nothing read.
  const clean = await api.call('GET', rejectedPath(centralRun, 'extract'));
  assert.equal(clean.status, 200, JSON.stringify(clean.json));
  assert.deepEqual(clean.json, { runId: centralRun, nodeId: 'extract', site: 'central', total: 0, records: [], truncated: false });
  await waitFor(async () => (await samplesStarted(centralName)) === 4, 'the four reads with records show in visibility', 15_000);
});

test('a site node: the answer says where the site keeps its records and how to read them there, nothing is fetched from it, and sluice rejected reads them on the site', async () => {
  const name = uniqueName('rej-site');
  const runId = await completedRun(name, site);
  const res = await api.call('GET', rejectedPath(runId, 'check', '?limit=5'));
  assert.equal(res.status, 200, JSON.stringify(res.json));
  assert.equal(res.json.site, site);
  assert.equal(res.json.total, BAD);
  assert.deepEqual(res.json.records, []);
  assert.equal(res.json.truncated, true);
  const kept = res.json.keptOnSite;
  assert.equal(kept.site, site);
  assert.equal(kept.location, `file://${siteWorker.stagingDir}/${runId}/check/_rejected`);
  assert.match(kept.how, new RegExp(`sluice rejected ${runId} check --limit 5$`));
  assert.match(kept.how, new RegExp(`^on a host of site ${site}`));

  const clean = await api.call('GET', rejectedPath(runId, 'extract'));
  assert.deepEqual(clean.json, { runId, nodeId: 'extract', site, total: 0, records: [], truncated: false });
  // The central case above shows its reads in visibility by now; this pipeline has none.
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await samplesStarted(name), 0, 'no workflow read anything for a site node');

  // On the site's host, with its worker's staging directory.
  const cli = spawnSync(process.execPath, [SLUICE, 'rejected', runId, 'check', '--limit', '4'], {
    encoding: 'utf8',
    env: localStaging(siteWorker.stagingDir),
  });
  assert.equal(cli.status, 0, cli.stderr);
  const printed = JSON.parse(cli.stdout);
  assert.equal(printed.total, BAD);
  assert.equal(printed.truncated, true);
  assert.deepEqual(printed.records.map((r: { record: { id: number } }) => r.record.id), [10, 20, 30, 40]);
  assert.equal(printed.records[0].reason, reason);

  // Elsewhere (the central worker's store) the site's records are not there.
  const elsewhere = spawnSync(process.execPath, [SLUICE, 'rejected', runId, 'check'], { encoding: 'utf8', env: localStaging(central.stagingDir) });
  assert.equal(elsewhere.status, 0, elsewhere.stderr);
  assert.deepEqual({ ...JSON.parse(elsewhere.stdout), location: undefined }, { runId, nodeId: 'check', location: undefined, total: 0, records: [], truncated: false });
});

test('unknown runs and nodes are 404 at their path, a bad limit is 400 at limit, hostile ids are 4xx, and other teams\' runs look missing', async () => {
  const runId = centralRun || (await completedRun(uniqueName('rej-hostile')));
  const unknownNode = await api.call('GET', rejectedPath(runId, 'nope'));
  assert.equal(unknownNode.status, 404, JSON.stringify(unknownNode.json));
  assert.deepEqual(unknownNode.json.errors, [{ path: 'nodeId', message: `run ${runId} has no node nope` }]);
  const instance = await api.call('GET', rejectedPath(runId, 'check[2]'));
  assert.equal(instance.status, 404);
  assert.equal(instance.json.errors[0].path, 'nodeId');
  assert.match(instance.json.detail, /is not mapped \(forEach\)/);

  const unknownRun = await api.call('GET', rejectedPath(uniqueName('no-run'), 'check'));
  assert.equal(unknownRun.status, 404, JSON.stringify(unknownRun.json));

  for (const limit of ['0', '101', 'x', '-1', '1.5', '']) {
    const res = await api.call('GET', rejectedPath(runId, 'check', `?limit=${limit}`));
    assert.equal(res.status, 400, `limit=${limit}: ${JSON.stringify(res.json)}`);
    assert.deepEqual(res.json.errors.map((e: { path: string }) => e.path), ['limit'], `limit=${limit}`);
  }
  const extra = await api.call('GET', rejectedPath(runId, 'check', '?limit=5&offset=2'));
  assert.equal(extra.status, 400);

  for (const nodeId of ['x'.repeat(5000), 'é', '../../etc', 'check[99999999]', 'a b', '\u0000', '%', 'check]', '🙂'.repeat(100)]) {
    const res = await api.call('GET', rejectedPath(runId, nodeId));
    assert.ok(res.status >= 400 && res.status < 500, `${JSON.stringify(nodeId.slice(0, 20))}: ${res.status} ${JSON.stringify(res.json)}`);
  }
  for (const bad of ['x'.repeat(5000), '🙂', '\u0000x']) {
    const res = await api.call('GET', rejectedPath(bad, 'check'));
    assert.ok(res.status >= 400 && res.status < 500, `run ${JSON.stringify(bad.slice(0, 20))}: ${res.status}`);
  }

  // A key limited to other pipelines: the run is "not found", as on every run route.
  const scoped = await api.makeKey('admin', ['someone-else-*']);
  const hidden = await api.call('GET', rejectedPath(runId, 'check'), undefined, { authorization: `Bearer ${scoped}` });
  assert.equal(hidden.status, 404);
  assert.equal(hidden.json.detail, `run ${runId} not found`);
  assert.ok(!JSON.stringify(hidden.json).includes(reason));

  const post = await api.call('POST', rejectedPath(runId, 'check'));
  assert.equal(post.status, 405);
});

test('with no central worker to read the records, the API answers 503 with a clear message', async () => {
  const queue = uniqueName('rej-idle');
  const worker = await startWorker(env.address, { namespace: env.namespace, taskQueue: queue, env: { ...process.env, REJ_DB: withPassword(db.url) } });
  const other = await startTestApi({ store, client: env.client, taskQueue: queue });
  try {
    const runId = await completedRun(uniqueName('rej-idle'), undefined, other);
    await worker.stop();
    const res = await other.call('GET', rejectedPath(runId, 'check'));
    assert.equal(res.status, 503, JSON.stringify(res.json));
    assert.equal(res.json.detail, `no central worker on task queue ${queue} read the rejected records within 20s`);
  } finally {
    await other.close();
    await worker.stop().catch(() => undefined);
  }
});
