// `npm run demo`: starts `sluice dev`, seeds a demo shop database, registers the example
// pipeline over REST, runs it (pausing and resuming it mid-load to show both), checks the
// warehouse, and keeps everything up for the Temporal Web UI until Ctrl-C.
//   --exit        stop once the run is verified (used by the test suite)
//   --free-ports  pick free ports instead of 3000 / 7233 / 8233
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { pgConnectionOptions } from '../src/kit/postgres.js';
import { createLogger } from '../src/log.js';
import { startDev } from '../src/cli/dev.js';
import { freePort } from '../temporal/dev-server.js';

const args = new Set(process.argv.slice(2));
const exitWhenDone = args.has('--exit');
const EXAMPLE_DB = process.env.SLUICE_EXAMPLE_DB ?? 'postgres://postgres@127.0.0.1:5432/sluice_example';
const here = path.dirname(new URL(import.meta.url).pathname);
const example = path.join(here, '..', 'examples', 'orders');

async function seed(): Promise<void> {
  const url = new URL(EXAMPLE_DB);
  const dbName = url.pathname.slice(1);
  const adminUrl = new URL(EXAMPLE_DB);
  adminUrl.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: adminUrl.toString(), ...pgConnectionOptions() });
  admin.on('error', () => undefined);
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(`the demo needs a PostgreSQL server for its shop and warehouse (${adminUrl.host}): ${(err as Error).message}. Set SLUICE_EXAMPLE_DB to another server's URL.`);
  }
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName]);
  if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(dbName)}`);
  await admin.end();
  const db = new pg.Client({ connectionString: EXAMPLE_DB, ...pgConnectionOptions() });
  db.on('error', () => undefined);
  await db.connect();
  await db.query(fs.readFileSync(path.join(example, 'seed.sql'), 'utf8'));
  await db.end();
}

let apiKey = '';

async function api<T>(base: string, method: string, route: string, body?: string, type = 'application/json'): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': type }) };
  const res = await fetch(`${base}${route}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const json = (await res.json()) as T;
  if (!res.ok) throw new Error(`${method} ${route} -> ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

interface RunView {
  status: string;
  error: string | null;
  nodes: Record<string, { state: string; attempt: number; stats: { rowsIn: number; rowsOut: number } }>;
}

function line(run: RunView): string {
  const nodes = Object.entries(run.nodes).map(([id, n]) => `${id}=${n.state}${n.stats.rowsOut ? `(${n.stats.rowsOut})` : ''}`);
  return `[${run.status}] ${nodes.join(' ')}`;
}

const logger = createLogger(process.env.LOG_LEVEL ?? 'warn');
console.log('Seeding the demo shop database (100,000 orders)...');
await seed();
// The worker resolves { $secret: NAME } from its environment; the API and history never see them.
process.env.EXAMPLE_SHOP_DB = EXAMPLE_DB;
process.env.EXAMPLE_WAREHOUSE_DB = EXAMPLE_DB;

const ports = args.has('--free-ports')
  ? { apiPort: 0, temporalPort: await freePort(), uiPort: await freePort() }
  : { apiPort: 3000, temporalPort: 7233, uiPort: 8233 };
const dataDir = args.has('--free-ports') ? fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-demo-')) : '.sluice';
console.log('Starting Temporal (dev server + Web UI), the API and a central worker...');
const dev = await startDev({ dataDir, ...ports }, logger);
apiKey = dev.apiKey;
let stopping = false;
const shutdown = async (code: number) => {
  if (stopping) return;
  stopping = true;
  await dev.stop();
  process.exit(code);
};
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  const yaml = fs.readFileSync(path.join(example, 'pipeline.yaml'), 'utf8');
  const created = await api<{ name: string; version: number }>(dev.apiUrl, 'POST', '/api/v1/pipelines', yaml, 'application/yaml');
  console.log(`Registered pipeline ${created.name} v${created.version}`);
  const { runId } = await api<{ runId: string }>(dev.apiUrl, 'POST', `/api/v1/pipelines/${created.name}/runs`, JSON.stringify({ params: { since: '2020-01-01' } }));
  console.log(`Started run ${runId}\n  watch it: ${dev.apiUrl}/runs/${runId}  (the console; sign in with the key below)\n  or:       ${dev.uiUrl}/namespaces/${dev.config.TEMPORAL_NAMESPACE}/workflows/${runId}\n  or:       curl ${dev.apiUrl}/api/v1/runs/${runId}\n  API key (admin): ${dev.apiKey}\n`);

  let pausedOnce = false;
  let run: RunView;
  for (;;) {
    run = await api<RunView>(dev.apiUrl, 'GET', `/api/v1/runs/${runId}`);
    console.log(line(run));
    if (['completed', 'failed', 'cancelled'].includes(run.status)) break;
    if (!pausedOnce && run.nodes.load_orders?.state === 'running') {
      pausedOnce = true;
      await api(dev.apiUrl, 'POST', `/api/v1/runs/${runId}/pause`);
      console.log(`-- pause requested while load_orders runs (POST /api/v1/runs/${runId}/pause)`);
      for (let i = 0; i < 4; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        console.log(line(await api<RunView>(dev.apiUrl, 'GET', `/api/v1/runs/${runId}`)));
      }
      await api(dev.apiUrl, 'POST', `/api/v1/runs/${runId}/resume`);
      console.log('-- resumed: the load continues from its checkpoint');
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  if (run.status !== 'completed') throw new Error(`run ${runId} ended ${run.status}: ${run.error}`);

  const db = new pg.Client({ connectionString: EXAMPLE_DB, ...pgConnectionOptions() });
  db.on('error', () => undefined);
  await db.connect();
  const orders = (await db.query('SELECT count(*)::int AS n, count(DISTINCT order_id)::int AS d FROM dw.orders')).rows[0] as { n: number; d: number };
  const customers = (await db.query('SELECT count(*)::int AS n FROM dw.customers')).rows[0] as { n: number };
  await db.end();
  console.log(`\nWarehouse: dw.orders has ${orders.n} rows (${orders.d} distinct order ids), dw.customers has ${customers.n} rows.`);
  if (orders.n !== 100_000 || orders.d !== 100_000 || customers.n !== 2000) throw new Error('the warehouse does not hold exactly the source rows');
  console.log('DEMO OK: 100,000 orders loaded exactly once, across a pause and resume.');
} catch (err) {
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
  await shutdown(1);
}

if (exitWhenDone) await shutdown(0);
console.log(`\nStill running for you to explore:
  Console:         ${dev.apiUrl}/  (sign in with the API key below)
  Temporal Web UI: ${dev.uiUrl}  (filter: SluicePipeline="orders-demo")
  API:             ${dev.apiUrl}/api/v1/runs?pipeline=orders-demo
  API reference:   ${dev.apiUrl}/api/docs/
  API key (admin): ${dev.apiKey}
                   curl -H "Authorization: Bearer ${dev.apiKey}" "${dev.apiUrl}/api/v1/runs?pipeline=orders-demo"
Press Ctrl-C to stop.`);
