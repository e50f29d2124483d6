// `npm run bench:etl`: moves a 1M-row table through Sluice (postgres.read -> transform.map ->
// postgres.write, on a real Temporal dev server and a worker process) and, in the same run, the
// raw baseline (COPY ... TO STDOUT piped into COPY ... FROM STDIN between the same tables).
// Prints rows/s of both, their ratio, and the worker's peak RSS.
//   BENCH_ROWS=1000000  rows in the source table
//   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/postgres  server to create the bench database on
//   BENCH_MAP='{"cast":{"amount":"float"}}'  the transform.map config (the default only renames, so the
//     COPY text the read staged passes through; a cast that changes values makes the map decode rows)
//   BENCH_WRITE='{"mode":"upsert","key":["id"]}'  merged into the postgres.write config (default: append)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { pgConnectionOptions } from '../src/kit/postgres.js';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { Client, Connection } from '@temporalio/client';
import { catalog } from '../src/catalog.js';
import { validatePipeline } from '../src/dag/validate.js';
import type { RunInput, RunProgress } from '../src/workflows/messages.js';
import { startDevServer } from '../temporal/dev-server.js';
import { ensureSearchAttributes } from '../temporal/search-attributes.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const ADMIN = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB = 'sluice_bench';
const WRITE = JSON.parse(process.env.BENCH_WRITE ?? '{}') as Record<string, unknown>;
const MAP = JSON.parse(process.env.BENCH_MAP ?? '{"rename":{"name":"customer"},"cast":{"amount":"numeric"}}') as Record<string, unknown>;
const dbUrl = (() => {
  const u = new URL(ADMIN);
  u.pathname = `/${DB}`;
  return u.toString();
})();

async function query(url: string, sql: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url, ...pgConnectionOptions() });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

async function setup(): Promise<void> {
  await query(ADMIN, `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await query(ADMIN, `CREATE DATABASE ${DB}`);
  await query(
    dbUrl,
    `CREATE TABLE src (id bigint PRIMARY KEY, name text NOT NULL, amount numeric(12,2) NOT NULL, created_at timestamptz NOT NULL, attrs jsonb);
     INSERT INTO src SELECT g, 'customer ' || g, (g % 100000) / 100.0, timestamptz '2024-01-01' + g * interval '1 second',
       jsonb_build_object('tier', g % 5, 'tags', jsonb_build_array('a', 'b'))
     FROM generate_series(1, ${ROWS}) g;
     ANALYZE src;`,
  );
}

async function rawCopy(): Promise<number> {
  await query(dbUrl, `CREATE TABLE dst_raw (LIKE src)`);
  const from = new pg.Client({ connectionString: dbUrl, ...pgConnectionOptions() });
  const to = new pg.Client({ connectionString: dbUrl, ...pgConnectionOptions() });
  for (const c of [from, to]) c.on('error', () => undefined);
  await from.connect();
  await to.connect();
  const t0 = performance.now();
  await pipeline(from.query(copyTo('COPY src TO STDOUT')), to.query(copyFrom('COPY dst_raw FROM STDIN')));
  const ms = performance.now() - t0;
  await from.end();
  await to.end();
  const n = (await query(dbUrl, 'SELECT count(*)::int AS n FROM dst_raw')).rows[0].n as number;
  if (n !== ROWS) throw new Error(`baseline copied ${n} rows, expected ${ROWS}`);
  return ms;
}

function rssOf(pid: number): { rss: number; hwm: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

async function sluiceRun(): Promise<{ ms: number; peakRss: number; idleRss: number }> {
  const server = await startDevServer({ logFile: path.join(os.tmpdir(), 'sluice-bench-temporal.log') });
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-staging-'));
  const taskQueue = `bench-${process.pid}`;
  let logs = '';
  // Started as users start it (`sluice worker`: the executable, with its own node flags), unless
  // BENCH_WORKER_NODE_FLAGS or BENCH_PROF ask for other node flags.
  const bin = path.join(import.meta.dirname, '..', 'bin', 'sluice.js');
  const flags = [...(process.env.BENCH_WORKER_NODE_FLAGS?.split(' ').filter(Boolean) ?? []), ...(process.env.BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.BENCH_PROF] : [])];
  const worker = spawn(flags.length > 0 ? process.execPath : bin, flags.length > 0 ? [...flags, bin, 'worker'] : ['worker'], {
    env: { ...process.env, TEMPORAL_ADDRESS: server.address, SLUICE_TASK_QUEUE: taskQueue, SLUICE_STAGING_DIR: staging, BENCH_DB: dbUrl, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  worker.stdout.on('data', (d: Buffer) => (logs += d.toString()));
  worker.stderr.on('data', (d: Buffer) => (logs += d.toString()));
  try {
    const connection = await Connection.connect({ address: server.address });
    await ensureSearchAttributes(connection, 'default');
    const client = new Client({ connection });
    const result = validatePipeline(
      {
        name: 'bench-etl',
        nodes: [
          { id: 'extract', type: 'postgres.read', config: { connection: { $secret: 'BENCH_DB' }, query: 'select id, name, amount, created_at, attrs from src', batchSize: 10_000 } },
          { id: 'clean', type: 'transform.map', needs: ['extract'], config: MAP },
          { id: 'load', type: 'postgres.write', needs: ['clean'], config: { connection: { $secret: 'BENCH_DB' }, table: 'dst_sluice', mode: 'append', ...WRITE } },
        ],
      },
      catalog,
    );
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    // The worker bundles the workflow code when it starts; measure the run only.
    for (let i = 0; !logs.includes('worker polling'); i++) {
      if (i > 600 || worker.exitCode !== null) throw new Error('the worker did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    const idleRss = rssOf(worker.pid!).rss;
    let peakRss = idleRss;
    const sampler = setInterval(() => {
      try {
        peakRss = Math.max(peakRss, rssOf(worker.pid!).rss);
      } catch {
        // the worker exited; the error surfaces below
      }
    }, 100);
    const input: RunInput = { pipeline: 'bench-etl', version: 1, spec: result.spec, params: {} };
    const t0 = performance.now();
    const handle = await client.workflow.start('runPipeline', { taskQueue, workflowId: `bench-${Date.now()}`, args: [input] });
    const progress = (await handle.result()) as RunProgress;
    const ms = performance.now() - t0;
    clearInterval(sampler);
    peakRss = Math.max(peakRss, rssOf(worker.pid!).hwm);
    if (progress.nodes.load?.outputs?.rows !== ROWS) throw new Error(`Sluice loaded ${String(progress.nodes.load?.outputs?.rows)} rows, expected ${ROWS}`);
    const n = (await query(dbUrl, 'SELECT count(*)::int AS n FROM dst_sluice')).rows[0].n as number;
    if (n !== ROWS) throw new Error(`destination holds ${n} rows, expected ${ROWS}`);
    for (const id of ['extract', 'clean', 'load']) {
      const node = progress.nodes[id]!;
      console.log(`  ${id.padEnd(8)} ${((Date.parse(node.endedAt!) - Date.parse(node.startedAt!)) / 1000).toFixed(2)}s`);
    }
    await connection.close();
    return { ms, peakRss, idleRss };
  } catch (err) {
    console.error(logs.slice(-4000));
    throw err;
  } finally {
    worker.kill('SIGTERM');
    await new Promise((r) => worker.once('exit', r));
    await server.stop();
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;
console.log(`bench:etl — ${ROWS.toLocaleString('en')} rows (bigint, text, numeric, timestamptz, jsonb), ${os.cpus().length} cores`);
await setup();
const rawMs = await rawCopy();
console.log('sluice run (per node):');
const run = await sluiceRun();
const rawRate = ROWS / (rawMs / 1000);
const sluiceRate = ROWS / (run.ms / 1000);
console.log(`raw COPY baseline : ${(rawMs / 1000).toFixed(2)}s  ${Math.round(rawRate).toLocaleString('en')} rows/s`);
console.log(`sluice pipeline   : ${(run.ms / 1000).toFixed(2)}s  ${Math.round(sluiceRate).toLocaleString('en')} rows/s`);
console.log(`ratio sluice/raw  : ${(sluiceRate / rawRate).toFixed(2)}  (target >= 0.50)`);
console.log(`worker peak RSS   : ${mb(run.peakRss)}  (idle ${mb(run.idleRss)}; target < 300 MB)`);
await query(ADMIN, `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
