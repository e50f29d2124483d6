// Stored answers of idempotent requests (sluice.idempotency). Claiming a key is one INSERT ... ON
// CONFLICT, so of two concurrent requests with the same key exactly one goes ahead.
import type pg from 'pg';
import type { IdempotencyClaim, IdempotencyStore, StoredAnswer } from './types.js';

/** How long an answer is kept and replayed. */
export const IDEMPOTENCY_TTL_HOURS = 24;

export function idempotencyStore(pool: pg.Pool): IdempotencyStore {
  return {
    async claimIdempotency(scope, key, fingerprint): Promise<IdempotencyClaim> {
      // An answer older than the window is forgotten first, so the key can start afresh.
      await pool.query(`DELETE FROM sluice.idempotency WHERE scope = $1 AND key = $2 AND created_at < now() - make_interval(hours => $3)`, [scope, key, IDEMPOTENCY_TTL_HOURS]);
      const inserted = await pool.query(
        'INSERT INTO sluice.idempotency (scope, key, fingerprint) VALUES ($1, $2, $3) ON CONFLICT (scope, key) DO NOTHING',
        [scope, key, fingerprint],
      );
      if (inserted.rowCount === 1) return { kind: 'claimed' };
      const res = await pool.query<{ fingerprint: string; status: number | null; headers: Record<string, string> | null; body: unknown }>(
        'SELECT fingerprint, status, headers, body FROM sluice.idempotency WHERE scope = $1 AND key = $2',
        [scope, key],
      );
      const row = res.rows[0];
      // Deleted in between (a failed request gave its key back): the caller may simply retry.
      if (!row || row.status === null) return { kind: 'in-progress' };
      if (row.fingerprint !== fingerprint) return { kind: 'mismatch' };
      return { kind: 'answered', answer: { status: row.status, headers: row.headers ?? {}, body: row.body } };
    },

    async saveIdempotentAnswer(scope, key, answer: StoredAnswer) {
      await pool.query('UPDATE sluice.idempotency SET status = $3, headers = $4, body = $5 WHERE scope = $1 AND key = $2', [
        scope,
        key,
        answer.status,
        JSON.stringify(answer.headers),
        JSON.stringify(answer.body),
      ]);
    },

    async releaseIdempotency(scope, key) {
      await pool.query('DELETE FROM sluice.idempotency WHERE scope = $1 AND key = $2 AND status IS NULL', [scope, key]);
    },

    async purgeIdempotency() {
      const res = await pool.query(`DELETE FROM sluice.idempotency WHERE created_at < now() - make_interval(hours => $1)`, [IDEMPOTENCY_TTL_HOURS]);
      return res.rowCount ?? 0;
    },
  };
}
