// Concurrency slots in the metadata database (sluice.run_slots): which runs of a pipeline hold one
// of its `concurrency.limit` slots and which wait for one, in order. Every decision is taken under
// the pipeline's slot lock, so API processes and central workers sharing the database agree.
import type pg from 'pg';
import { withPipelineLock } from './lock.js';
import type { RunSlotStore, SlotRow, SlotState } from './types.js';

interface Row {
  run_id: string;
  state: SlotState;
  seq: string;
}

async function rowsOf(db: pg.PoolClient, pipeline: string): Promise<Row[]> {
  return (await db.query<Row>('SELECT run_id, state, seq FROM sluice.run_slots WHERE pipeline = $1 ORDER BY seq', [pipeline])).rows;
}

async function nodeStates(db: pg.PoolClient, pipeline: string): Promise<Record<string, unknown>> {
  const res = await db.query<{ node_id: string; state: unknown }>('SELECT node_id, state FROM sluice.node_state WHERE pipeline = $1', [pipeline]);
  return Object.fromEntries(res.rows.map((r) => [r.node_id, r.state]));
}

export function runSlotStore(pool: pg.Pool): RunSlotStore {
  return {
    claimSlot(pipeline, runId, limit, queue) {
      return withPipelineLock(pool, 'slots', pipeline, async (db) => {
        const rows = await rowsOf(db, pipeline);
        const holding = rows.filter((r) => r.state === 'holding').map((r) => r.run_id);
        const queued = rows.length - holding.length;
        // Free only when every run already waiting fits as well: queued runs come first (FIFO).
        if (rows.length < limit) {
          await db.query(`INSERT INTO sluice.run_slots (run_id, pipeline, state, granted_at) VALUES ($1, $2, 'holding', now())`, [runId, pipeline]);
          return { kind: 'holding' };
        }
        if (!queue) return { kind: 'refused', holding, queued };
        await db.query(`INSERT INTO sluice.run_slots (run_id, pipeline, state) VALUES ($1, $2, 'queued')`, [runId, pipeline]);
        return { kind: 'queued', ahead: queued, holding };
      });
    },

    pollSlot(pipeline, runId, limit) {
      return withPipelineLock(pool, 'slots', pipeline, async (db) => {
        const rows = await rowsOf(db, pipeline);
        let mine = rows.find((r) => r.run_id === runId);
        if (!mine) {
          // Started without a claim (not through the API), or its claim was dropped: it joins the queue's end.
          const inserted = await db.query<Row>(`INSERT INTO sluice.run_slots (run_id, pipeline, state) VALUES ($1, $2, 'queued') RETURNING run_id, state, seq`, [runId, pipeline]);
          mine = inserted.rows[0]!;
          rows.push(mine);
        }
        const holding = rows.filter((r) => r.state === 'holding').map((r) => r.run_id);
        if (mine.state === 'holding') return { granted: true, states: await nodeStates(db, pipeline) };
        const ahead = rows.filter((r) => r.state === 'queued' && BigInt(r.seq) < BigInt(mine.seq)).length;
        if (ahead < limit - holding.length) {
          await db.query(`UPDATE sluice.run_slots SET state = 'holding', granted_at = now() WHERE run_id = $1`, [runId]);
          // Read with the grant: every run that held a slot before this one has saved its marks by now.
          return { granted: true, states: await nodeStates(db, pipeline) };
        }
        return { granted: false, ahead, holding };
      });
    },

    async releaseSlot(runId) {
      const res = await pool.query('DELETE FROM sluice.run_slots WHERE run_id = $1', [runId]);
      return (res.rowCount ?? 0) > 0;
    },

    async slotsToCheck(pipeline, everyMs) {
      // Claims the check, so concurrent callers do not each ask Temporal about the same runs.
      const res = await pool.query<{ run_id: string; state: SlotState; age_ms: number }>(
        `UPDATE sluice.run_slots SET checked_at = now()
          WHERE pipeline = $1 AND (checked_at IS NULL OR checked_at < now() - make_interval(secs => $2::float8 / 1000))
          RETURNING run_id, state, (extract(epoch FROM now() - queued_at) * 1000)::float8 AS age_ms`,
        [pipeline, everyMs],
      );
      return res.rows.map((r) => ({ runId: r.run_id, state: r.state, ageMs: r.age_ms }));
    },

    async dropSlots(runIds) {
      if (runIds.length === 0) return 0;
      const res = await pool.query('DELETE FROM sluice.run_slots WHERE run_id = ANY($1::text[])', [runIds]);
      return res.rowCount ?? 0;
    },

    async listSlots(pipeline): Promise<SlotRow[]> {
      const res = await pool.query<{ run_id: string; state: SlotState; age_ms: number }>(
        `SELECT run_id, state, (extract(epoch FROM now() - queued_at) * 1000)::float8 AS age_ms FROM sluice.run_slots WHERE pipeline = $1 ORDER BY seq`,
        [pipeline],
      );
      return res.rows.map((r) => ({ runId: r.run_id, state: r.state, ageMs: r.age_ms }));
    },
  };
}
