// Node states in the metadata database: per pipeline and node, the state the last successful
// run saved (e.g. an incremental read's high-water mark), read by the API when it starts a run.
import type pg from 'pg';
import type { NodeStateStore } from './types.js';

export function nodeStateStore(pool: pg.Pool): NodeStateStore {
  return {
    async getNodeStates(pipeline) {
      const res = await pool.query<{ node_id: string; state: unknown }>('SELECT node_id, state FROM sluice.node_state WHERE pipeline = $1', [pipeline]);
      return Object.fromEntries(res.rows.map((r) => [r.node_id, r.state]));
    },

    async saveNodeStates(pipeline, runId, states) {
      const entries = Object.entries(states);
      if (entries.length === 0) return;
      // One statement: a run's marks move together or not at all.
      await pool.query(
        `INSERT INTO sluice.node_state (pipeline, node_id, state, run_id)
         SELECT $1, s.key, s.value, $2 FROM jsonb_each($3::jsonb) AS s
         ON CONFLICT (pipeline, node_id) DO UPDATE SET state = EXCLUDED.state, run_id = EXCLUDED.run_id, updated_at = now()`,
        [pipeline, runId, JSON.stringify(Object.fromEntries(entries))],
      );
    },
  };
}
