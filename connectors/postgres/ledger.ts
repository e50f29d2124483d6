// The load ledger in the destination: one row per committed (run, node, batch), written in the
// same transaction as the batch itself, so a batch is in the table exactly when it is in the ledger.
import type pg from 'pg';

export const LEDGER = 'sluice.load_ledger';
/** Batch number under which replace mode records its swap of the loaded table into place. */
export const SWAP_BATCH = -1;

export async function ensureLedger(client: pg.Client): Promise<void> {
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS sluice`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${LEDGER} (
      run_id text NOT NULL, node_id text NOT NULL, batch integer NOT NULL, rows integer NOT NULL,
      committed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (run_id, node_id, batch))`);
  } catch (err) {
    // Two loads creating the ledger at once: the loser sees a catalog conflict; the table exists.
    if ((err as { code?: string }).code !== '23505') throw err;
  }
}

/**
 * Claims `batches` inside the caller's open transaction; returns the indexes no other execution
 * committed already. A concurrent execution of the same batch blocks here until the first commits.
 */
export async function claim(client: pg.Client, runId: string, nodeId: string, batches: readonly { index: number; rows: number }[]): Promise<Set<number>> {
  const res = await client.query<{ batch: number }>(
    `INSERT INTO ${LEDGER} (run_id, node_id, batch, rows) SELECT $1, $2, b, r FROM unnest($3::int[], $4::int[]) AS t(b, r) ON CONFLICT DO NOTHING RETURNING batch`,
    [runId, nodeId, batches.map((b) => b.index), batches.map((b) => b.rows)],
  );
  return new Set(res.rows.map((r) => r.batch));
}

export async function isCommitted(client: pg.Client, runId: string, nodeId: string, index: number): Promise<boolean> {
  const res = await client.query(`SELECT 1 FROM ${LEDGER} WHERE run_id = $1 AND node_id = $2 AND batch = $3`, [runId, nodeId, index]);
  return res.rowCount === 1;
}
