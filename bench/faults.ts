// `npm run bench:faults`: the fault suite at full size. A 1M-row postgres.read -> postgres.write
// (append, so any duplicate shows) runs on `sluice worker` processes that are SIGKILLed 20 times
// over the run, while the destination is unreachable for 30 s in the middle of the load (a TCP
// proxy resets its connections and refuses new ones). In the same run, the same load without
// faults is the baseline. Prints expected and loaded rows, duplicates, kills and wall times.
//   BENCH_ROWS=1000000   rows in the source table
//   BENCH_KILLS=20       worker processes SIGKILLed during the run
//   BENCH_OUTAGE=30s     how long the destination is unreachable (0 for none)
//   BENCH_BATCH=1000     rows per staged part and per ledger batch
//   SLUICE_TEST_PG_URL   server to create the bench database on (default postgres://postgres@127.0.0.1:5432/postgres)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { parseDuration } from '../src/dag/duration.js';
import type { RunProgress } from '../src/workflows/messages.js';
import { startDevServer } from '../temporal/dev-server.js';
import { ensureSearchAttributes } from '../temporal/search-attributes.js';
import { ledgerBatches } from '../connectors/postgres/test/exactly-once.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/env.js';
import { createDestination, destinationCounts, loadPipeline, seedLoad, viaProxy, waitForRun } from '../test/helpers/faults.js';
import { startRun } from '../test/helpers/pipelines.js';
import { startTcpProxy, type TcpProxy } from '../test/helpers/tcp-proxy.js';
import { spawnWorker, type WorkerProcess } from '../test/helpers/worker-process.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const KILLS = Number(process.env.BENCH_KILLS ?? 20);
const OUTAGE_MS = parseDuration(process.env.BENCH_OUTAGE ?? '30s');
const BATCH = Number(process.env.BENCH_BATCH ?? 1000);
const PARTS = Math.ceil(ROWS / BATCH);
/** Progress units of a run: parts the read staged plus batches the load committed. */
const UNITS = 2 * PARTS;
/** The fewest units a worker process must see move before it is killed: one COPY group of the load. */
const MIN_STEP = 10;
// Enough attempts for every kill and the outage's refused connections, at most 3 s apart.
const RETRY = { maximumAttempts: 500, initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '3s' };

const fmt = (n: number) => n.toLocaleString('en');
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

interface Rig {
  db: TestDatabase;
  client: Client;
  proxy: TcpProxy;
  staging: string;
  taskQueue: string;
  workers: WorkerProcess[];
  spawn(): Promise<WorkerProcess>;
}

function stagedParts(staging: string, runId: string): number {
  try {
    return fs.readdirSync(path.join(staging, runId, 'extract')).filter((f) => f.startsWith('part-')).length;
  } catch {
    return 0;
  }
}

async function run(rig: Rig, name: string, table: string): Promise<WorkflowHandle> {
  return startRun(rig.client, rig.taskQueue, loadPipeline({ name, batch: BATCH, source: 'BENCH_SRC', destination: 'BENCH_DST', table, retry: RETRY, heartbeatTimeout: '5s' }));
}

function nodeTimes(result: RunProgress): string {
  return ['extract', 'load']
    .map((id) => {
      const n = result.nodes[id]!;
      return `${id} ${secs(Date.parse(n.endedAt!) - Date.parse(n.startedAt!))}, attempt ${n.attempt}`;
    })
    .join('; ');
}

async function baseline(rig: Rig): Promise<{ ms: number; result: RunProgress }> {
  const worker = await rig.spawn();
  const t0 = performance.now();
  const handle = await run(rig, 'bench-faults-baseline', 'dst_baseline');
  const result = await waitForRun(handle, 30 * 60_000);
  const ms = performance.now() - t0;
  await worker.kill('SIGTERM');
  return { ms, result };
}

interface Faulted {
  ms: number;
  result: RunProgress;
  kills: { extract: number; load: number };
  outageMs: number;
  survivedOutage: boolean;
  lastWorkerAlive: boolean;
}

async function faulted(rig: Rig): Promise<Faulted> {
  let worker = await rig.spawn();
  const t0 = performance.now();
  const handle = await run(rig, 'bench-faults', 'dst');
  const units = async () => stagedParts(rig.staging, handle.workflowId) + (await ledgerBatches(rig.db, handle.workflowId));
  const kills = { extract: 0, load: 0 };
  let outageMs = 0;
  let survivedOutage = true;
  let outageDone = OUTAGE_MS === 0;
  let since = 0;
  let step = Math.max(MIN_STEP, Math.floor(UNITS / (KILLS + 1)));
  for (;;) {
    const desc = await handle.describe();
    if (desc.status.name !== 'RUNNING') break;
    const u = await units();
    const loaded = await ledgerBatches(rig.db, handle.workflowId);
    if (!outageDone && loaded >= PARTS / 2) {
      // The destination goes away mid-load: connections reset, new ones refused.
      await rig.proxy.cut();
      const cutAt = performance.now();
      while (performance.now() - cutAt < OUTAGE_MS) {
        if (!worker.alive()) survivedOutage = false;
        await new Promise((r) => setTimeout(r, 500));
      }
      await rig.proxy.restore();
      outageMs = performance.now() - cutAt;
      outageDone = true;
      console.log(`  outage: destination unreachable for ${secs(outageMs)} after ${fmt(loaded)} batches; worker ${worker.alive() ? 'alive' : 'DEAD'}`);
      since = await units();
      continue;
    }
    if (kills.extract + kills.load < KILLS && u - since >= step) {
      const staged = stagedParts(rig.staging, handle.workflowId);
      const inLoad = staged >= PARTS;
      await worker.kill('SIGKILL');
      if (inLoad) kills.load++;
      else kills.extract++;
      const done = kills.extract + kills.load;
      console.log(`  kill ${String(done).padStart(2)}: ${inLoad ? `load, ${fmt(loaded)} of ${fmt(PARTS)} batches committed` : `extract, ${fmt(staged)} of ${fmt(PARTS)} parts staged`}`);
      worker = await rig.spawn();
      since = await units();
      // Spread the kills still to come over the work still to do.
      step = Math.max(MIN_STEP, Math.floor((UNITS - since) / (KILLS - done + 1)));
      continue;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const result = await waitForRun(handle, 60_000);
  const ms = performance.now() - t0;
  return { ms, result, kills, outageMs, survivedOutage, lastWorkerAlive: worker.alive() };
}

console.log(`bench:faults — ${fmt(ROWS)} rows in batches of ${fmt(BATCH)}, ${KILLS} worker kills and a ${secs(OUTAGE_MS)} destination outage, ${os.cpus().length} cores`);
const [server, db] = await Promise.all([startDevServer({ logFile: path.join(os.tmpdir(), 'sluice-bench-faults-temporal.log') }), createTestDatabase('sluice_bench_faults')]);
const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-faults-'));
const workers: WorkerProcess[] = [];
let proxy: TcpProxy | undefined;
let exit = 0;
try {
  await seedLoad(db, { rows: ROWS });
  await createDestination(db, 'dst_baseline');
  const target = new URL(db.url);
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  const connection = await Connection.connect({ address: server.address });
  await ensureSearchAttributes(connection, 'default');
  const taskQueue = `bench-faults-${process.pid}`;
  const rig: Rig = {
    db,
    client: new Client({ connection }),
    proxy,
    staging,
    taskQueue,
    workers,
    async spawn() {
      // The destination through the proxy, in both runs, so they take the same path.
      const w = await spawnWorker({ address: server.address, taskQueue, stagingDir: staging, env: { BENCH_SRC: db.url, BENCH_DST: viaProxy(db.url, proxy!.port) } });
      workers.push(w);
      return w;
    },
  };

  const base = await baseline(rig);
  const baseCounts = await destinationCounts(db, 'dst_baseline');
  console.log(`baseline, no faults : ${secs(base.ms)}  (${nodeTimes(base.result)}); ${fmt(baseCounts.rows)} rows`);

  console.log('with faults:');
  const f = await faulted(rig);
  const counts = await destinationCounts(db, 'dst');
  const missing = (await db.pool.query(`SELECT count(*)::int AS n FROM src.orders s WHERE NOT EXISTS (SELECT 1 FROM dst d WHERE d.id = s.id)`)).rows[0].n as number;
  const ledger = await ledgerBatches(db, f.result.runId);
  await connection.close();

  console.log(`with faults         : ${secs(f.ms)}  (${nodeTimes(f.result)}); status ${f.result.status}`);
  console.log(`  expected rows     : ${fmt(ROWS)}`);
  console.log(`  loaded rows       : ${fmt(counts.rows)}  (${fmt(counts.distinct)} distinct ids; ledger ${fmt(ledger)} of ${fmt(PARTS)} batches)`);
  console.log(`  duplicates        : ${fmt(counts.duplicates)}`);
  console.log(`  missing           : ${fmt(missing)}`);
  console.log(`  kills             : ${f.kills.extract + f.kills.load} (${f.kills.extract} during extract, ${f.kills.load} during load)`);
  console.log(`  outage            : ${secs(f.outageMs)}; worker process ${f.survivedOutage ? 'survived it' : 'DIED in it'}`);
  console.log(`  last worker alive : ${f.lastWorkerAlive ? 'yes' : 'NO'}`);
  console.log(`  wall time         : ${secs(f.ms)} against ${secs(base.ms)} without faults (${(f.ms / base.ms).toFixed(1)}x)`);
  const exact = f.result.status === 'completed' && counts.rows === ROWS && counts.duplicates === 0 && missing === 0 && baseCounts.rows === ROWS;
  const complete = f.kills.extract + f.kills.load === KILLS && f.survivedOutage && f.lastWorkerAlive;
  console.log(exact && complete ? 'OK: exact rows through every fault' : `FAILED: ${exact ? 'not every fault happened or a worker died' : 'the rows are not exact'}`);
  if (!(exact && complete)) exit = 1;
} catch (err) {
  console.error(err);
  for (const w of workers.slice(-1)) console.error(w.logs().slice(-4000));
  exit = 1;
} finally {
  for (const w of workers) await w.kill('SIGKILL');
  await proxy?.close();
  await server.stop();
  await db.drop();
  fs.rmSync(staging, { recursive: true, force: true });
}
process.exit(exit);
