// A `sluice worker` process with --metrics-port serves Prometheus metrics whose row counters match a
// run's rows, with its node attempts and the Temporal SDK's own metrics, on a real Temporal dev
// server and PostgreSQL.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { temporalAndDatabase, type ServicesTestEnv } from './helpers/connector.js';
import http from 'node:http';
import { uniqueName, waitFor } from './helpers/env.js';
import { destinationCounts, loadPipeline, seedLoad } from './helpers/faults.js';
import { startRun } from './helpers/pipelines.js';
import { spawnWorker, type WorkerProcess } from './helpers/worker-process.js';

const ROWS = 12_345;
let env: ServicesTestEnv;
let worker: WorkerProcess | undefined;
let stagingDir: string;
let collector: http.Server | undefined;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The value of one sample (`name{labels}`) in Prometheus text, or null. */
function sample(text: string, name: string, labels: Record<string, string>): number | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const body = line.slice(name.length + 1, line.lastIndexOf('}'));
    if (Object.entries(labels).every(([k, v]) => body.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return null;
}

before(async () => {
  env = await temporalAndDatabase();
  await seedLoad(env.db, { rows: ROWS });
  stagingDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-metrics-'));
});

after(async () => {
  await worker?.kill('SIGTERM');
  collector?.close();
  await env?.close();
  if (stagingDir) fs.rmSync(stagingDir, { recursive: true, force: true });
});

test("a worker's /metrics counts the rows a run read and wrote, its node attempts, and the SDK's own metrics; its node attempts are traced", async () => {
  const taskQueue = uniqueName('metrics');
  const [port, sdkPort] = [await freePort(), await freePort()];
  // An OTLP/HTTP collector of our own: the worker's spans arrive as JSON.
  const spans: { name: string; attributes: { key: string; value: { stringValue?: string; intValue?: string } }[] }[] = [];
  collector = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const parsed = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: (typeof spans)[number][] }[] }[] };
      for (const r of parsed.resourceSpans) for (const s of r.scopeSpans) spans.push(...s.spans);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector!.listen(0, '127.0.0.1', resolve));
  const otlp = `http://127.0.0.1:${(collector.address() as net.AddressInfo).port}/v1/traces`;
  worker = await spawnWorker({ address: env.address, taskQueue, stagingDir, env: { MET_DB: env.db.url, SLUICE_METRICS_PORT: String(port), SLUICE_SDK_METRICS_PORT: String(sdkPort), OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlp } });
  const handle = await startRun(env.client, taskQueue, loadPipeline({ name: uniqueName('metrics'), batch: 1000, source: 'MET_DB', destination: 'MET_DB' }));
  await handle.result();
  assert.equal((await destinationCounts(env.db)).rows, ROWS);

  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
  const text = await res.text();
  assert.equal(sample(text, 'sluice_rows_total', { type: 'postgres.read', site: 'central', direction: 'read' }), ROWS);
  assert.equal(sample(text, 'sluice_rows_total', { type: 'postgres.write', site: 'central', direction: 'written' }), ROWS);
  assert.equal(sample(text, 'sluice_node_attempts_total', { type: 'postgres.write', outcome: 'succeeded' }), 1);
  assert.equal(sample(text, 'sluice_node_attempt_duration_seconds_count', { type: 'postgres.read', outcome: 'succeeded' }), 1);
  assert.ok((sample(text, 'sluice_bytes_total', { type: 'postgres.read', direction: 'read' }) ?? 0) > 0, 'staged bytes counted');
  assert.match(text, /^temporal_\w+/m, "the Temporal SDK's metrics are folded in");
  assert.match(text, /^sluice_worker_process_cpu_seconds_total/m, 'and the process metrics');
  assert.equal((await fetch(`http://127.0.0.1:${port}/other`)).status, 404);

  // Tracing: each node attempt is a span naming its node.
  const load = await waitFor(async () => spans.find((s) => s.name === 'RunActivity:postgres.write'), 'the load attempt span');
  const attr = (key: string) => load.attributes.find((a) => a.key === key)?.value;
  assert.equal(attr('sluice.node_id')?.stringValue, 'load');
  assert.equal(attr('sluice.run_id')?.stringValue, handle.workflowId);
  assert.ok(spans.some((s) => s.name === 'RunActivity:postgres.read'));
});
