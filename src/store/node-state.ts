// Node states in the metadata database: per pipeline and node, the state the last successful
// run saved (e.g. an incremental read's high-water mark), read by the API when it starts a run.
// A save only moves the marks forward: one from a run that started before the run whose state is
// stored is refused, whatever order overlapping runs end in.
import type pg from 'pg';
import { withPipelineLock } from './lock.js';
import type { NodeStateStore } from './types.js';

export function nodeStateStore(pool: pg.Pool): NodeStateStore {
  return {
    async getNodeStates(pipeline) {
      const res = await pool.query<{ node_id: string; state: unknown }>('SELECT node_id, state FROM sluice.node_state WHERE pipeline = $1', [pipeline]);
      return Object.fromEntries(res.rows.map((r) => [r.node_id, r.state]));
    },

    async saveNodeStates(pipeline, runId, states, startedAt = null) {
      const entries = Object.entries(states);
      if (entries.length === 0) return { saved: true };
      // Under the pipeline's marks lock: the check and the write see no other save in between.
      return withPipelineLock(pool, 'marks', pipeline, async (db) => {
        if (startedAt !== null) {
          const newer = await db.query<{ run_id: string; run_started_at: Date }>(
            `SELECT run_id, run_started_at FROM sluice.node_state
              WHERE pipeline = $1 AND node_id = ANY($2::text[]) AND run_started_at > $3
              ORDER BY run_started_at DESC LIMIT 1`,
            [pipeline, entries.map(([id]) => id), startedAt],
          );
          const row = newer.rows[0];
          if (row) return { saved: false, newer: { runId: row.run_id, startedAt: row.run_started_at } };
        }
        // One statement: a run's marks move together or not at all.
        await db.query(
          `INSERT INTO sluice.node_state (pipeline, node_id, state, run_id, run_started_at)
           SELECT $1, s.key, s.value, $2, $4 FROM jsonb_each($3::jsonb) AS s
           ON CONFLICT (pipeline, node_id) DO UPDATE
             SET state = EXCLUDED.state, run_id = EXCLUDED.run_id, run_started_at = EXCLUDED.run_started_at, updated_at = now()`,
          [pipeline, runId, JSON.stringify(Object.fromEntries(entries)), startedAt],
        );
        return { saved: true };
      });
    },
  };
}
