// Sluice as a team runs it: the real Temporal server on PostgreSQL (npm run test:cluster starts it),
// two `sluice api` processes that share nothing but the metadata database, two central workers
// and two site workers of one site staging in one S3 store, payloads encrypted with one key on
// all of them. A load runs through both APIs in turn while one worker of each kind is SIGKILLed
// in the middle of its node; a schedule runs beside it. Every part is a real process or server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../../temporal/dev-server.js';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/messages.js';
import { payloadDataConverter } from '../../src/codec/data-converter.js';
import { parsePayloadKeys } from '../../src/codec/keys.js';
import { createTestDatabase, uniqueName, waitFor, type TestDatabase } from '../helpers/env.js';
import { destinationCounts, seedLoad } from '../helpers/faults.js';
import { startS3, type TestS3 } from '../helpers/s3.js';
import { spawnWorker, type WorkerProcess } from '../helpers/worker-process.js';
import { assertExactlyOnce, ledgerBatches } from '../../connectors/postgres/test/exactly-once.js';

const SLUICE = path.join(import.meta.dirname, '..', '..', 'bin', 'sluice.js');
const ROWS = 60_000;
const BATCH = 1000;
const SITE = 'plant';
/** Seconds between the schedule's slots. */
const EVERY = 10;

const address = process.env.TEMPORAL_ADDRESS;
const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
const taskQueue = uniqueName('cluster');
const payloadKeys = `c1:${crypto.randomBytes(32).toString('base64')}`;
let meta: TestDatabase;
let data: TestDatabase;
let s3: TestS3;
let connection: Connection;
let client: Client;
let key: string;
const apis: ApiProcess[] = [];
const central: WorkerProcess[] = [];
const site: WorkerProcess[] = [];
const dirs: string[] = [];

interface ApiProcess {
  url: string;
  proc: ChildProcess;
  logs(): string;
  call(method: string, route: string, body?: unknown): Promise<{ status: number; json: any }>;
}

/** `sluice api` as its own process on a free port, ready once /healthz answers. */
async function spawnApi(env: Record<string, string>): Promise<ApiProcess> {
  const port = await freePort();
  let logs = '';
  const proc = spawn(process.execPath, [SLUICE, 'api'], { env: { ...process.env, ...env, PORT: String(port), LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d: Buffer) => (logs += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (logs += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const api: ApiProcess = {
    url,
    proc,
    logs: () => logs,
    async call(method, route, body) {
      const res = await fetch(url + route, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : undefined };
    },
  };
  await waitFor(async () => {
    if (proc.exitCode !== null) throw new Error(`sluice api exited with ${proc.exitCode}:\n${logs.slice(-2000)}`);
    return (await fetch(`${url}/healthz`)).ok;
  }, 'sluice api to answer /healthz', 90_000);
  return api;
}

/** The process (central or site worker) whose identity Temporal recorded for the running `node`. */
async function holderOf(runId: string, node: string, workers: WorkerProcess[]): Promise<WorkerProcess | undefined> {
  const desc = await client.workflow.getHandle(runId).describe();
  const pending = desc.raw.pendingActivities?.find((a) => a.activityType?.name?.startsWith(node === 'extract' ? 'postgres.read' : 'postgres.write'));
  const pid = Number(/@(\d+)$/.exec(pending?.lastWorkerIdentity ?? '')?.[1]);
  return workers.find((w) => w.pid === pid && w.alive());
}

before(async () => {
  assert.ok(address, 'TEMPORAL_ADDRESS: run this file through `npm run test:cluster`, which starts the PostgreSQL-backed server');
  connection = await Connection.connect({ address });
  const keys = parsePayloadKeys(payloadKeys);
  assert.ok(keys.ok);
  client = new Client({ connection, namespace, dataConverter: payloadDataConverter(keys.keyring)! });
  [meta, data, s3] = await Promise.all([createTestDatabase('sluice_meta'), createTestDatabase(), startS3()]);
  // A slow destination (0.2 s per 1,000 rows) so both kills land mid-node.
  await seedLoad(data, { rows: ROWS, slow: { every: BATCH, seconds: 0.2 } });
  const bucket = await s3.bucket(uniqueName('staging'));
  const staging = s3.stagingEnv(`s3://${bucket}/sluice`);
  // The operator's first key, made the documented way on the fresh metadata database.
  const out = execFileSync(process.execPath, [SLUICE, 'keys', 'create', '--name', 'admin', '--role', 'admin'], { env: { ...process.env, DATABASE_URL: meta.url }, stdio: ['ignore', 'pipe', 'pipe'] });
  key = out.toString().trim().split('\n').pop()!;
  assert.match(key, /^sk_/);

  const common = { TEMPORAL_ADDRESS: address!, TEMPORAL_NAMESPACE: namespace, SLUICE_TASK_QUEUE: taskQueue, SLUICE_PAYLOAD_KEYS: payloadKeys };
  const dir = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-cluster-'));
    dirs.push(d);
    return d;
  };
  const worker = (siteName?: string) =>
    spawnWorker({
      address: address!,
      taskQueue,
      stagingDir: dir(),
      ...(siteName ? { site: siteName } : {}),
      // Central workers keep marks and slots in the metadata database; site workers never see it.
      env: { ...common, ...staging, SRC_DB: data.url, ...(siteName ? {} : { DATABASE_URL: meta.url }) },
    });
  const started = await Promise.all([
    spawnApi({ ...common, DATABASE_URL: meta.url }),
    spawnApi({ ...common, DATABASE_URL: meta.url }),
    worker(),
    worker(),
    worker(SITE),
    worker(SITE),
  ]);
  apis.push(started[0] as ApiProcess, started[1] as ApiProcess);
  central.push(started[2] as WorkerProcess, started[3] as WorkerProcess);
  site.push(started[4] as WorkerProcess, started[5] as WorkerProcess);
});

after(async () => {
  for (const w of [...central, ...site]) await w.kill('SIGKILL');
  await Promise.all(
    apis.map((a) => (a.proc.exitCode === null && a.proc.signalCode === null ? new Promise((r) => (a.proc.once('exit', r), a.proc.kill('SIGTERM'))) : null)),
  );
  await connection?.close();
  await s3?.stop();
  await data?.drop();
  await meta?.drop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

test('a load through both APIs completes with every row exactly once while a site worker and a central worker are SIGKILLed mid-node; both APIs show the same run', async (t) => {
  const [a, b] = apis as [ApiProcess, ApiProcess];
  const name = uniqueName('cluster-load');
  const spec = {
    name,
    recoveryWindow: 0,
    defaults: { heartbeatTimeout: '5s', retry: { maximumAttempts: 20, initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '3s' } },
    nodes: [
      // 0.1 s per 1,000 rows read, so the site's read lasts long enough to be hit too.
      { id: 'extract', type: 'postgres.read', site: SITE, config: { connection: { $secret: 'SRC_DB' }, table: 'src.orders', where: 'slow_every(id, 1000, 0.1)', batchSize: BATCH } },
      { id: 'load', type: 'postgres.write', needs: ['extract'], config: { connection: { $secret: 'SRC_DB' }, table: 'dst', mode: 'append' } },
    ],
  };
  const created = await a.call('POST', '/api/v1/pipelines', spec);
  assert.equal(created.status, 201, JSON.stringify(created.json));
  assert.equal((await b.call('GET', `/api/v1/pipelines/${name}`)).status, 200, 'the pipeline registered through A is known to B');
  const started = await b.call('POST', `/api/v1/pipelines/${name}/runs`, {});
  assert.equal(started.status, 201, JSON.stringify(started.json));
  const runId = started.json.runId as string;

  // Reads alternate between the APIs.
  let turn = 0;
  const view = async () => {
    const api = apis[turn++ % 2]!;
    const r = await api.call('GET', `/api/v1/runs/${runId}`);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    return r.json;
  };
  const until = (what: string, ok: (v: any) => boolean, ms = 120_000) => waitFor(async () => ((v) => (ok(v) ? v : null))(await view()), what, ms);

  await until('the site read to move', (v) => v.nodes.extract.state === 'running' && v.nodes.extract.stats.rowsOut > 0);
  // Paused through one API, seen paused through the other, resumed through the other.
  assert.equal((await a.call('POST', `/api/v1/runs/${runId}/pause`)).status, 202);
  await waitFor(async () => (await b.call('GET', `/api/v1/runs/${runId}`)).json.status === 'paused', 'B to see the run paused');
  assert.equal((await b.call('POST', `/api/v1/runs/${runId}/resume`)).status, 202);
  await waitFor(async () => (await a.call('GET', `/api/v1/runs/${runId}`)).json.status === 'running', 'A to see the run running again');

  // The site worker that holds the read is killed once the read is a third through.
  await until('a third of the read', (v) => v.nodes.extract.stats.rowsOut >= ROWS / 3);
  const reader = await waitFor(() => holderOf(runId, 'extract', site), 'the site worker running the read');
  await reader.kill('SIGKILL');
  const readAtKill = (await view()).nodes.extract;
  assert.equal(readAtKill.state, 'running', 'killed mid-read');

  // The central worker that holds the load is killed once the ledger has a quarter of the batches.
  await waitFor(async () => (await ledgerBatches(data, runId)) >= ROWS / BATCH / 4, 'a quarter of the load', 240_000);
  const loader = await waitFor(() => holderOf(runId, 'load', central), 'the central worker running the load');
  await loader.kill('SIGKILL');
  const batchesAtKill = await ledgerBatches(data, runId);
  assert.ok(batchesAtKill < ROWS / BATCH, `killed mid-load (${batchesAtKill} batches committed)`);
  t.diagnostic(`site worker ${reader.pid} killed at ${readAtKill.stats.rowsOut} rows read; central worker ${loader.pid} at ${batchesAtKill} batches`);

  const done = await until('the run to end', (v) => ['completed', 'failed', 'cancelled'].includes(v.status), 300_000);
  assert.equal(done.status, 'completed', JSON.stringify(done.nodes));
  assert.ok(done.nodes.extract.attempt >= 2, `the read was retried on the other site worker (attempt ${done.nodes.extract.attempt})`);
  assert.ok(done.nodes.load.attempt >= 2, `the load was retried on the other central worker (attempt ${done.nodes.load.attempt})`);
  assert.equal(done.nodes.load.outputs.rows, ROWS);
  assert.deepEqual(await destinationCounts(data), { rows: ROWS, distinct: ROWS, duplicates: 0 });
  await assertExactlyOnce(data, 'dst', runId, ROWS, ROWS / BATCH);

  // Both APIs give the same account of the run, and list it alike.
  const [va, vb] = await Promise.all([a.call('GET', `/api/v1/runs/${runId}`), b.call('GET', `/api/v1/runs/${runId}`)]);
  assert.deepEqual(va.json, vb.json);
  const lists = await waitFor(async () => {
    const [la, lb] = await Promise.all([a.call('GET', `/api/v1/runs?pipeline=${name}&status=completed`), b.call('GET', `/api/v1/runs?pipeline=${name}&status=completed`)]);
    return la.json.runs.length === 1 && lb.json.runs.length === 1 ? [la.json.runs, lb.json.runs] : null;
  }, 'both APIs to list the completed run', 30_000);
  assert.deepEqual(lists[0], lists[1]);
  assert.equal(lists[0][0].runId, runId);
  // Payloads were encrypted: the history holds no source table name in plain text.
  const history = JSON.stringify(await client.workflow.getHandle(runId).fetchHistory());
  assert.doesNotMatch(history, /src\.orders/);
  for (const w of [...central, ...site].filter((w) => w !== reader && w !== loader)) assert.ok(w.alive(), `worker ${w.pid} alive`);
});

test('SQL visibility holds Sluice search attributes in its typed slots and answers run queries on them', async () => {
  const listed = await connection.operatorService.listSearchAttributes({ namespace });
  const custom = listed.customAttributes ?? {};
  // The slots SQL visibility has per type are the columns of its schema (Keyword01..Keyword10, ...).
  const schema = fs.readFileSync(path.join(process.env.SLUICE_TEMPORAL_SERVER_HOME ?? '', 'schema', 'postgresql', 'v12', 'visibility', 'schema.sql'), 'utf8');
  const slots = (type: string) => new Set(schema.match(new RegExp(`\\b${type}\\d\\d\\b`, 'g')) ?? []).size;
  const want: Record<string, number> = {};
  for (const k of SEARCH_ATTRIBUTES) {
    assert.ok(k.name in custom, `${k.name} is registered`);
    const column = { KEYWORD: 'Keyword', TEXT: 'Text', INT: 'Int', DOUBLE: 'Double', BOOL: 'Bool', DATETIME: 'Datetime', KEYWORD_LIST: 'KeywordList' }[k.type];
    want[column!] = (want[column!] ?? 0) + 1;
  }
  for (const [column, n] of Object.entries(want)) assert.ok(n <= slots(column), `${n} ${column} attributes fit the ${slots(column)} slots of SQL visibility`);
  assert.equal(slots('Keyword'), 10);

  const ids = new Set<string>();
  for await (const wf of client.workflow.list({ query: `WorkflowType = 'runPipeline' AND SluiceStatus = 'completed' AND SluicePipeline STARTS_WITH 'cluster-load-'` })) ids.add(wf.workflowId);
  assert.equal(ids.size, 1, 'the load run is found by its search attributes');
  const count = await client.workflow.count(`SluicePipeline STARTS_WITH 'cluster-load-' AND ExecutionStatus = 'Completed'`);
  assert.equal(count.count, 1);
});

test('a schedule made through one API fires once per slot, though two APIs and two central workers run', async (t) => {
  const [a, b] = apis as [ApiProcess, ApiProcess];
  const name = uniqueName('cluster-tick');
  assert.equal((await b.call('POST', '/api/v1/pipelines', { name, recoveryWindow: 0, nodes: [{ id: 'tick', type: 'control.sleep', config: { ms: 0 } }] })).status, 201);
  const made = await a.call('POST', `/api/v1/pipelines/${name}/schedules`, { interval: `${EVERY}s`, overlap: 'allow_all' });
  assert.equal(made.status, 201, JSON.stringify(made.json));
  const id = made.json.id as string;
  const since = Date.now();
  await new Promise((r) => setTimeout(r, EVERY * 3_500));
  assert.equal((await b.call('DELETE', `/api/v1/schedules/${id}`)).status, 200);
  const elapsed = (Date.now() - since) / 1000;

  const settled = await waitFor(async () => {
    const [la, lb] = await Promise.all([a.call('GET', `/api/v1/runs?schedule=${id}`), b.call('GET', `/api/v1/runs?schedule=${id}`)]);
    const runs = la.json.runs as { runId: string; status: string; scheduledAt: string }[];
    return runs.length > 0 && runs.every((r) => r.status === 'completed') && JSON.stringify(la.json) === JSON.stringify(lb.json) ? runs : null;
  }, 'every scheduled run to complete, listed alike by both APIs', 60_000);
  const slots = settled.map((r) => Date.parse(r.scheduledAt));
  t.diagnostic(`${settled.length} runs in ${elapsed.toFixed(0)}s: ${settled.map((r) => r.scheduledAt).join(', ')}`);
  assert.equal(new Set(slots).size, slots.length, 'one run per slot');
  for (const at of slots) assert.equal(at % (EVERY * 1000), 0, `${new Date(at).toISOString()} is on the ${EVERY}s grid`);
  assert.ok(settled.length >= 2 && settled.length <= Math.ceil(elapsed / EVERY) + 1, `${settled.length} runs for ${elapsed.toFixed(0)}s at one per ${EVERY}s`);
  const all = await client.workflow.count(`TemporalScheduledById = '${id}'`);
  assert.equal(all.count, settled.length, 'Temporal holds no other run of the schedule');
});
