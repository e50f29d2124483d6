// One transaction per pipeline at a time, across every process that shares the metadata database:
// a transaction-scoped advisory lock on (what, pipeline), released by COMMIT or ROLLBACK, so a
// crashed holder never leaves it taken.
import type pg from 'pg';
import type { Logger } from '../log.js';

/** The first key of each kind of pipeline lock, so two kinds never wait on each other. */
export const PIPELINE_LOCKS = {
  /** Concurrency slots (sluice.run_slots). */
  slots: 0x534c5354, // 'SLST'
  /** Saved node states (sluice.node_state): the compare-and-set of incremental marks. */
  marks: 0x534c4d4b, // 'SLMK'
} as const;

/** Logs a connection lost while checked out and idle (between two queries of a transaction), instead of crashing. */
export function onLost(client: pg.PoolClient, logger: Logger | undefined): () => void {
  const listener = (err: Error) => logger?.warn({ err: err.message }, 'metadata database connection lost');
  client.on('error', listener);
  return () => client.removeListener('error', listener);
}

/** Runs `fn` in a transaction; a client whose transaction failed is discarded, not pooled. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>, logger?: Logger): Promise<T> {
  const client = await pool.connect();
  // While checked out, a client's 'error' has no listener of the pool's: a lost connection would crash the process.
  const unlisten = onLost(client, logger);
  let failed: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    failed = err as Error;
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    unlisten();
    // A client that failed is discarded, not pooled: its connection may be the broken part.
    client.release(failed);
  }
}

/** Runs `fn` in a transaction that holds the `kind` lock of `pipeline`; other holders of it wait. */
export async function withPipelineLock<T>(pool: pg.Pool, kind: keyof typeof PIPELINE_LOCKS, pipeline: string, fn: (db: pg.PoolClient) => Promise<T>, logger?: Logger): Promise<T> {
  return inTransaction(
    pool,
    async (db) => {
      // hashtext: two pipelines may share a lock now and then, which only makes one wait a moment.
      await db.query('SELECT pg_advisory_xact_lock($1::int, hashtext($2))', [PIPELINE_LOCKS[kind], pipeline]);
      return fn(db);
    },
    logger,
  );
}
