// Shared by the exactly-once tests: a `sluice worker` OS process that can be SIGKILLed, a source
// table of orders, and the checks that a destination holds every source row exactly once.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { temporalAndDatabase, type ServicesTestEnv } from '../../../test/helpers/connector.js';
import type { TestDatabase } from '../../../test/helpers/env.js';
import { uniqueName } from '../../../test/helpers/env.js';
import { spawnWorker, type WorkerProcess } from '../../../test/helpers/worker-process.js';

export { spawnWorker, type WorkerProcess };

export interface KillTestEnv extends ServicesTestEnv {
  taskQueue: string;
  /**
   * Starts a `sluice worker` process on the task queue, with the staging dir they all share (as on
   * one host) and the database as secret EXO_DB.
   */
  spawnWorker(): Promise<WorkerProcess>;
  /** SIGKILLs the worker processes, closes Temporal and drops the database. */
  close(): Promise<void>;
}

/** Temporal and a database (filled by `seed`) for worker processes on a task queue named after `queue`. */
export async function killTestEnv(queue: string, seed: (db: TestDatabase) => Promise<void>): Promise<KillTestEnv> {
  const services = await temporalAndDatabase();
  const taskQueue = uniqueName(queue);
  const stagingDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-exo-'));
  const workers: WorkerProcess[] = [];
  const close = async () => {
    for (const w of workers) await w.kill('SIGKILL');
    await services.close();
  };
  try {
    await seed(services.db);
  } catch (err) {
    await close();
    throw err;
  }
  return {
    ...services,
    taskQueue,
    async spawnWorker() {
      const worker = await spawnWorker({ address: services.address, taskQueue, stagingDir, env: { EXO_DB: services.db.url } });
      workers.push(worker);
      return worker;
    },
    close,
  };
}

/** Polls `fn` every 50ms (fast enough to act in the middle of a node that runs for seconds). */
export async function pollUntil<T>(fn: () => Promise<T | null | false | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `src.orders`: `rows` orders with text, numeric, timestamp and json columns. */
export async function seedOrders(db: TestDatabase, rows: number): Promise<void> {
  await db.pool.query(`CREATE SCHEMA src; CREATE TABLE src.orders (id bigint PRIMARY KEY, customer text NOT NULL, amount numeric(12,2) NOT NULL, created_at timestamptz NOT NULL, meta jsonb)`);
  await db.pool.query(
    `INSERT INTO src.orders SELECT g, 'customer-' || (g % 977), (g % 10000) / 100.0, timestamp '2024-01-01' + g * interval '1.000001 second', jsonb_build_object('n', g) FROM generate_series(1, $1) g`,
    [rows],
  );
  await db.pool.query(`ANALYZE src.orders`);
}

/** Committed batches of a run's node in the destination's ledger (0 before the ledger exists). */
export async function ledgerBatches(db: TestDatabase, runId: string, nodeId = 'load'): Promise<number> {
  const exists = await db.pool.query(`SELECT to_regclass('sluice.load_ledger') AS t`);
  if (!exists.rows[0].t) return 0;
  const r = await db.pool.query(`SELECT count(*)::int AS n FROM sluice.load_ledger WHERE run_id = $1 AND node_id = $2`, [runId, nodeId]);
  return r.rows[0].n;
}

/** Every source order is in `table` exactly once with the same values, and the ledger has one row per batch. */
export async function assertExactlyOnce(db: TestDatabase, table: string, runId: string, rows: number, batches: number): Promise<void> {
  const counts = await db.pool.query(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS d, min(id)::int AS lo, max(id)::int AS hi FROM ${table}`);
  assert.deepEqual(counts.rows[0], { n: rows, d: rows, lo: 1, hi: rows }, 'count = count distinct = source count');
  const diff = await db.pool.query(
    `SELECT count(*)::int AS n FROM src.orders s FULL JOIN ${table} d USING (id)
      WHERE d.id IS NULL OR s.id IS NULL OR d.customer <> s.customer OR d.amount <> s.amount OR d.created_at <> s.created_at OR d.meta <> s.meta`,
  );
  assert.equal(diff.rows[0].n, 0, 'every row arrives with the same values');
  const ledger = await db.pool.query(
    `SELECT count(*)::int AS n, count(DISTINCT batch)::int AS d, min(batch) AS lo, max(batch) AS hi, sum(rows)::int AS rows
       FROM sluice.load_ledger WHERE run_id = $1 AND node_id = 'load'`,
    [runId],
  );
  assert.deepEqual(ledger.rows[0], { n: batches, d: batches, lo: 0, hi: batches - 1, rows }, 'one ledger row per batch');
}
