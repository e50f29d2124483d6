// Shared by the fault suite (test/fault-*.test.ts) and `npm run bench:faults`: a source table of
// orders, a destination whose load can be slowed so faults land in the middle of it, the
// read -> write pipeline under test, and waiting for a run through outages of Temporal itself.
import type { WorkflowHandle } from '@temporalio/client';
import type { PipelineSpec } from '../../src/dag/spec.js';
import type { RunProgress } from '../../src/workflows/messages.js';
import { seedOrders } from '../../connectors/postgres/test/exactly-once.js';
import { createSlowFilter, type TestDatabase } from './env.js';
import { spec } from './pipelines.js';

export interface LoadTables {
  rows: number;
  /** The load sleeps `seconds` on every `every`-th id (a CHECK constraint), so it lasts long enough to be hit. */
  slow?: { every: number; seconds: number };
}

/** `src.orders` with `rows` orders, and an empty `dst` of the same columns (append: any duplicate shows). */
export async function seedLoad(db: TestDatabase, options: LoadTables): Promise<void> {
  await seedOrders(db, options.rows);
  await createSlowFilter(db);
  await createDestination(db, 'dst', options.slow);
}

/** An empty destination table `name` with the columns of src.orders, optionally slowed. */
export async function createDestination(db: TestDatabase, name: string, slow?: LoadTables['slow']): Promise<void> {
  const check = slow ? `, CHECK (slow_every(id, ${slow.every}, ${slow.seconds}))` : '';
  await db.pool.query(`CREATE TABLE ${name} (id bigint, customer text, amount numeric(12,2), created_at timestamptz, meta jsonb${check})`);
}

export interface LoadPipeline {
  name: string;
  /** Rows per staged part (and ledger batch). */
  batch: number;
  /** `$secret`s of the source and destination URLs. */
  source: string;
  destination: string;
  /** Node retry policy: enough attempts to outlast the fault. */
  retry?: Record<string, unknown>;
  heartbeatTimeout?: string;
  /** Destination table (default dst). */
  table?: string;
}

/** `postgres.read` of src.orders -> `postgres.write` (append) into dst (or `table`). */
export function loadPipeline(p: LoadPipeline): PipelineSpec {
  return spec({
    name: p.name,
    defaults: {
      heartbeatTimeout: p.heartbeatTimeout ?? '5s',
      retry: p.retry ?? { maximumAttempts: 20, initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '3s' },
    },
    nodes: [
      { id: 'extract', type: 'postgres.read', config: { connection: { $secret: p.source }, table: 'src.orders', batchSize: p.batch } },
      { id: 'load', type: 'postgres.write', needs: ['extract'], config: { connection: { $secret: p.destination }, table: p.table ?? 'dst', mode: 'append' } },
    ],
  });
}

/** `url` with its host and port replaced by the proxy's. */
export function viaProxy(url: string, port: number): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  return u.toString();
}

/**
 * Waits for the run to close and returns its result, riding out a Temporal server that is down or
 * restarting meanwhile (every call that fails is tried again until the deadline).
 */
export async function waitForRun(handle: WorkflowHandle, timeoutMs: number): Promise<RunProgress> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const desc = await handle.describe();
      if (desc.status.name !== 'RUNNING') return (await handle.result()) as RunProgress;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`run ${handle.workflowId} did not close within ${timeoutMs}ms${last ? ` (last error: ${String(last)})` : ''}`);
}

/** Rows in dst (or `table`), and how many of them repeat an id already there (0 when exactly once). */
export async function destinationCounts(db: TestDatabase, table = 'dst'): Promise<{ rows: number; distinct: number; duplicates: number }> {
  const r = await db.pool.query(`SELECT count(*)::int AS rows, count(DISTINCT id)::int AS distinct FROM ${table}`);
  const { rows, distinct } = r.rows[0] as { rows: number; distinct: number };
  return { rows, distinct, duplicates: rows - distinct };
}
