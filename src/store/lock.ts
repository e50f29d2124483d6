// One transaction per pipeline at a time, across every process that shares the metadata database:
// a transaction-scoped advisory lock on (what, pipeline), released by COMMIT or ROLLBACK, so a
// crashed holder never leaves it taken.
import type pg from 'pg';

/** The first key of each kind of pipeline lock, so two kinds never wait on each other. */
export const PIPELINE_LOCKS = {
  /** Concurrency slots (sluice.run_slots). */
  slots: 0x534c5354, // 'SLST'
  /** Saved node states (sluice.node_state): the compare-and-set of incremental marks. */
  marks: 0x534c4d4b, // 'SLMK'
} as const;

/** Runs `fn` in a transaction that holds the `kind` lock of `pipeline`; other holders of it wait. */
export async function withPipelineLock<T>(pool: pg.Pool, kind: keyof typeof PIPELINE_LOCKS, pipeline: string, fn: (db: pg.PoolClient) => Promise<T>): Promise<T> {
  const db = await pool.connect();
  // While checked out, a client's 'error' (its connection lost between two queries) has no
  // listener of the pool's; without one it would end the process. The failed query reports it.
  const ignore = (): void => undefined;
  db.on('error', ignore);
  let failed: Error | undefined;
  try {
    await db.query('BEGIN');
    // hashtext: two pipelines may share a lock now and then, which only makes one wait a moment.
    await db.query('SELECT pg_advisory_xact_lock($1::int, hashtext($2))', [PIPELINE_LOCKS[kind], pipeline]);
    const result = await fn(db);
    await db.query('COMMIT');
    return result;
  } catch (err) {
    failed = err as Error;
    await db.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    db.removeListener('error', ignore);
    // A client that failed is discarded, not pooled: its connection may be what broke.
    db.release(failed);
  }
}
