// Logs from site workers, end to end on real services: `sluice worker --site` processes ship their
// nodes' lines to the real API (a site key, a disk spool), readable and followable while the run
// goes, complete after the API was down mid-run, bounded by the spool with the drops counted,
// scrubbed of secret values, and not shipped at all when the site's policy says so.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { issueKey } from '../src/api/auth/keys.js';
import { createStore } from '../src/store/store.js';
import type { Store } from '../src/store/types.js';
import { createTestDatabase, temporalEnv, uniqueName, waitFor, type TemporalTestEnv, type TestDatabase } from './helpers/env.js';
import { startTestApi, type TestApi } from './helpers/api.js';
import { startWorker, type RunningWorker } from './helpers/worker.js';
import { spawnWorker, type WorkerProcess } from './helpers/worker-process.js';

let env: TemporalTestEnv;
let db: TestDatabase;
let store: Store;
let api: TestApi | null = null;
let central: RunningWorker;
const workers: WorkerProcess[] = [];
const taskQueue = uniqueName('site-logs');
const PASSWORD = 'Sup3r-s3cret-pw-42';

interface Line {
  id: string;
  nodeId: string;
  attempt: number;
  level: string;
  msg: string;
  fields: Record<string, unknown> | null;
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

async function siteWorker(site: string, extra: Record<string, string> = {}): Promise<WorkerProcess> {
  const key = (await issueKey(store, { name: `worker of ${site}`, role: 'viewer', pipelines: null, expiresInMs: null, createdBy: 'test', site })).key;
  const url = new URL(db.url);
  url.username = 'postgres';
  url.password = PASSWORD; // trust auth takes any password: it only has to be a secret value
  const w = await spawnWorker({
    address: env.address,
    taskQueue,
    site,
    stagingDir: fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-staging-')),
    env: {
      ACME_DB: url.toString(),
      SLUICE_API_URL: api!.url,
      SLUICE_LOG_KEY: key,
      SLUICE_LOG_BUFFER_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-log-buffer-')),
      ...extra,
    },
  });
  workers.push(w);
  return w;
}

async function allLines(runId: string): Promise<Line[]> {
  const lines: Line[] = [];
  let cursor = '';
  for (;;) {
    const r = await api!.call('GET', `/api/v1/runs/${runId}/logs?limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    lines.push(...(r.json.lines as Line[]));
    if (r.json.lines.length < 1000) return lines;
    cursor = r.json.next;
  }
}

before(async () => {
  [env, db] = await Promise.all([temporalEnv(), createTestDatabase()]);
  await db.pool.query(`CREATE TABLE source_rows AS SELECT g AS id, 'v' || g AS label FROM generate_series(1, 300) g`);
  store = await createStore(db.url);
  api = await startTestApi({ store, client: env.client, taskQueue, port: await freePort() });
  central = await startWorker(env.address, { namespace: env.namespace, taskQueue });
});

after(async () => {
  for (const w of workers) await w.kill('SIGTERM');
  await central?.stop();
  await api?.close();
  await store?.close();
  await db?.drop();
  await env?.close();
});

test('a site worker\'s node logs are followable while the run goes, and arrive complete after the API was down mid-run', async () => {
  const site = uniqueName('acme');
  const worker = await siteWorker(site);
  const runId = await api!.startPipelineRun({
    name: uniqueName('site-logs'),
    nodes: [
      { id: 'wait', type: 'control.sleep', site, config: { ms: 4_000 } },
      { id: 'extract', type: 'postgres.read', site, needs: ['wait'], config: { connection: { $secret: 'ACME_DB' }, query: 'select id, label from source_rows order by id', batchSize: 100 } },
      { id: 'linger', type: 'control.sleep', site, needs: ['extract'], config: { ms: 6_000 } },
    ],
  });

  // Follow the stream: the first node's start arrives while it sleeps.
  const controller = new AbortController();
  const res = await fetch(`${api!.url}/api/v1/runs/${runId}/logs?follow=1`, { headers: { authorization: `Bearer ${api!.adminKey}` }, signal: controller.signal });
  assert.equal(res.status, 200);
  let streamed = '';
  const reading = (async () => {
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) streamed += Buffer.from(chunk).toString();
    } catch {
      // the API went away under the stream, as planned
    }
  })();
  await waitFor(async () => /data: \{[^\n]*"nodeId":"wait"[^\n]*"msg":"node started"/.test(streamed), 'the first node\'s start on the stream', 30_000);
  const view = await api!.call('GET', `/api/v1/runs/${runId}`);
  assert.equal(view.json.status, 'running', 'the line arrived while the run was going');

  // The API goes down while the rest of the run happens; the worker keeps its lines on disk.
  const port = Number(new URL(api!.url).port);
  await api!.close();
  controller.abort();
  await reading;
  await waitFor(async () => worker.logs().includes('the API is unreachable'), 'the worker to notice the outage', 30_000);
  const handle = env.client.workflow.getHandle(runId);
  await waitFor(async () => (await handle.describe()).status.name === 'COMPLETED', 'the run to complete during the outage', 60_000);
  api = await startTestApi({ store, client: env.client, taskQueue, port });

  const expected = ['wait', 'extract', 'linger'].flatMap((n) => [`${n}: node started`, `${n}: node succeeded`]);
  const lines = await waitFor(async () => {
    const got = await allLines(runId);
    const have = new Set(got.map((l) => `${l.nodeId}: ${l.msg}`));
    return expected.every((e) => have.has(e)) ? got : null;
  }, 'every line to arrive once the API is back', 30_000);
  // None lost, none twice.
  for (const e of expected) assert.equal(lines.filter((l) => `${l.nodeId}: ${l.msg}` === e).length, 1, e);
  assert.ok(lines.every((l) => l.attempt === 1));
  assert.equal(lines.find((l) => l.nodeId === 'extract' && l.msg === 'node succeeded')!.fields!.stats !== undefined, true);
  assert.ok(!JSON.stringify(lines).includes(PASSWORD), 'no secret value in any stored line');
  const stored = await db.pool.query(`SELECT count(*)::int AS n FROM sluice.run_logs WHERE msg LIKE $1 OR fields::text LIKE $1`, [`%${PASSWORD}%`]);
  assert.equal(stored.rows[0].n, 0);
});

test('a tiny spool drops the oldest lines while the API is away and reports how many, per node', async () => {
  const site = uniqueName('tiny');
  // This worker's API address answers nothing until the run is over.
  const laterPort = await freePort();
  const realUrl = api!.url;
  api = { ...api!, url: `http://127.0.0.1:${laterPort}` } as TestApi;
  const worker = await siteWorker(site, { SLUICE_LOG_BUFFER_SIZE: '16kb' });
  api = { ...api!, url: realUrl } as TestApi;
  const items = 120;
  const runId = await api!.startPipelineRun({
    name: uniqueName('tiny-spool'),
    maxParallel: 16,
    nodes: [{ id: 'each', type: 'control.sleep', site, forEach: Array.from({ length: items }, (_, i) => i), config: { ms: 1 } }],
  });
  const handle = env.client.workflow.getHandle(runId);
  await waitFor(async () => (await handle.describe()).status.name === 'COMPLETED', 'the run to complete', 90_000);
  await waitFor(async () => worker.logs().includes('the API is unreachable'), 'the worker to keep its lines', 10_000);
  // Give the spool a beat to write its last lines and drop what is past its bound.
  await new Promise((r) => setTimeout(r, 1_500));
  const second = await startTestApi({ store, client: env.client, taskQueue, port: laterPort });
  try {
    const total = items * 2; // each instance: node started, node succeeded
    let seen = '';
    const lines = await waitFor(async () => {
      const got = await allLines(runId);
      const kept = got.filter((l) => l.msg === 'node started' || l.msg === 'node succeeded').length;
      const dropped = got.reduce((n, l) => n + (typeof l.fields?.droppedLines === 'number' ? l.fields.droppedLines : 0), 0);
      seen = `kept ${kept}, dropped ${dropped}, lines ${got.length}`;
      return kept + dropped === total ? got : null;
    }, 'every line to be either stored or counted as dropped', 45_000).catch((err: Error) => {
      throw new Error(`${err.message} (${seen}); worker:\n${worker.logs().split('\n').filter((l) => !l.includes('"runId"')).slice(-15).join('\n')}`);
    });
    const notes = lines.filter((l) => typeof l.fields?.droppedLines === 'number');
    assert.ok(notes.length > 0, 'some lines were dropped and said so');
    assert.ok(notes.every((l) => l.level === 'warn' && /^\d+ log line\(s\) of node each \(its attempts and instances up to attempt 1\) were dropped: the worker.s log buffer \(16384 bytes/.test(l.msg)));
    assert.ok(lines.length - notes.length < total, 'the bound held: not every line was kept');
  } finally {
    await second.close();
  }
});

test('a site whose policy turns shipping off sends no line; the run\'s logs say where they are kept', async () => {
  const site = uniqueName('quiet');
  const policy = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-policy-')), 'policy.yaml');
  fs.writeFileSync(policy, 'logs: { ship: false }\n');
  const worker = await siteWorker(site, { SLUICE_WORKER_POLICY: policy });
  const runId = await api!.startPipelineRun({ name: uniqueName('quiet'), nodes: [{ id: 'work', type: 'control.sleep', site, config: { ms: 10 } }] });
  await api!.runWhere(runId, 'the run to complete', (v) => v.status === 'completed', 60_000);
  await new Promise((r) => setTimeout(r, 1_500));
  const r = await api!.call('GET', `/api/v1/runs/${runId}/logs`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.lines, []);
  const place = r.json.places.find((p: { site: string }) => p.site === site);
  assert.equal(place.shipping, 'off');
  assert.match(place.note, /keeps its logs on its own workers/);
  const rows = await db.pool.query('SELECT count(*)::int AS n FROM sluice.run_logs WHERE site = $1', [site]);
  assert.equal(rows.rows[0].n, 0, 'nothing of the site was stored');
  // The lines are still where the site keeps them: its worker's own output.
  assert.match(worker.logs(), new RegExp(`"runId":"${runId}".*"msg":"node succeeded"`));
});
