// The durable run history (sluice.runs): one row per run, written by its workflow (sluice.recordRun)
// and by the API that started it, read by GET /runs (keyset pages, newest first) and by GET
// /runs/{id} once Temporal no longer has the run.
import type pg from 'pg';
import type { RunHistoryStore, RunRecord, RunRecordFilter, RunRecordWrite } from './types.js';

interface Row {
  run_id: string;
  pipeline: string;
  version: number | null;
  status: string;
  open: boolean;
  schedule_id: string | null;
  scheduled_at: Date | null;
  params: Record<string, unknown>;
  started_at: Date;
  ended_at: Date | null;
  error: string | null;
  summary: Record<string, unknown> | null;
  nodes: Record<string, unknown> | null;
}

const COLUMNS = 'run_id, pipeline, version, status, open, schedule_id, scheduled_at, params, started_at, ended_at, error, summary, nodes';

function record(row: Row): RunRecord {
  return {
    runId: row.run_id,
    pipeline: row.pipeline,
    version: row.version,
    status: row.status as RunRecord['status'],
    open: row.open,
    scheduleId: row.schedule_id,
    scheduledAt: row.scheduled_at,
    params: row.params,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    error: row.error,
    summary: row.summary,
    nodes: row.nodes,
  };
}

export function runHistoryStore(pool: pg.Pool): RunHistoryStore {
  return {
    async recordRun(w: RunRecordWrite) {
      // Fields a write leaves out keep what the row has (params come with the first write only).
      const res = await pool.query(
        `INSERT INTO sluice.runs (run_id, pipeline, version, status, open, schedule_id, scheduled_at, params, started_at, ended_at, error, summary, nodes, seq)
         VALUES ($1, $2, $3, $4, $5, $6, $7, COALESCE($8::jsonb, '{}'), $9, $10, $11, $12, $13, $14)
         ON CONFLICT (run_id) DO UPDATE SET
           version = COALESCE(EXCLUDED.version, sluice.runs.version),
           status = EXCLUDED.status,
           open = EXCLUDED.open,
           schedule_id = COALESCE(EXCLUDED.schedule_id, sluice.runs.schedule_id),
           scheduled_at = COALESCE(EXCLUDED.scheduled_at, sluice.runs.scheduled_at),
           params = CASE WHEN $8::jsonb IS NULL THEN sluice.runs.params ELSE EXCLUDED.params END,
           ended_at = EXCLUDED.ended_at,
           error = EXCLUDED.error,
           summary = COALESCE(EXCLUDED.summary, sluice.runs.summary),
           nodes = COALESCE(EXCLUDED.nodes, sluice.runs.nodes),
           seq = EXCLUDED.seq,
           updated_at = now()
         WHERE sluice.runs.seq < EXCLUDED.seq`,
        [
          w.runId,
          w.pipeline,
          w.version ?? null,
          w.status,
          w.open,
          w.scheduleId ?? null,
          w.scheduledAt ?? null,
          w.params === undefined ? null : JSON.stringify(w.params),
          w.startedAt,
          w.endedAt ?? null,
          w.error ?? null,
          w.summary === undefined ? null : JSON.stringify(w.summary),
          w.nodes === undefined ? null : JSON.stringify(w.nodes),
          w.seq,
        ],
      );
      return (res.rowCount ?? 0) > 0;
    },

    async listRunRecords(filter: RunRecordFilter) {
      const where: string[] = [];
      const values: unknown[] = [];
      const add = (clause: (n: string) => string, value: unknown): void => {
        values.push(value);
        where.push(clause(`$${values.length}`));
      };
      if (filter.pipeline !== undefined) add((n) => `pipeline = ${n}`, filter.pipeline);
      if (filter.within !== undefined) add((n) => `pipeline = ANY(${n}::text[])`, [...filter.within]);
      if (filter.schedule !== undefined) add((n) => `schedule_id = ${n}`, filter.schedule);
      if (filter.status !== undefined) add((n) => `(status = ${n} OR open)`, filter.status);
      if (filter.from !== undefined) add((n) => `started_at >= ${n}`, filter.from);
      if (filter.to !== undefined) add((n) => `started_at < ${n}`, filter.to);
      if (filter.after !== undefined) {
        values.push(filter.after.startedAt, filter.after.runId);
        where.push(`(started_at, run_id) < ($${values.length - 1}, $${values.length})`);
      }
      values.push(filter.limit);
      const res = await pool.query<Row>(
        `SELECT ${COLUMNS} FROM sluice.runs ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC, run_id DESC LIMIT $${values.length}`,
        values,
      );
      return res.rows.map(record);
    },

    async getRunRecord(runId) {
      const res = await pool.query<Row>(`SELECT ${COLUMNS} FROM sluice.runs WHERE run_id = $1`, [runId]);
      return res.rows[0] ? record(res.rows[0]) : null;
    },

    async countRuns(closedWithinMs) {
      const res = await pool.query<{ status: RunRecord['status']; open: boolean; runs: number }>(
        `SELECT status, open, count(*)::int AS runs FROM sluice.runs WHERE open OR ended_at > now() - make_interval(secs => $1) GROUP BY status, open`,
        [closedWithinMs / 1000],
      );
      return res.rows;
    },

    async closeRunRecord(runId, status, endedAt, error) {
      await pool.query(`UPDATE sluice.runs SET status = $2, open = false, ended_at = COALESCE(ended_at, $3), error = COALESCE($4, error), updated_at = now() WHERE run_id = $1 AND open`, [runId, status, endedAt, error]);
    },
  };
}
