// API keys and the audit trail in the metadata database. Keys are stored as hashes only; the
// audit log is append-only and read newest first in id-cursor pages.
import type pg from 'pg';
import type { ApiKeyRecord, AuditEntry, AuditFilter, AuditStore, KeyStore, NewApiKey, StoredAuditEntry } from './types.js';

interface KeyRow {
  id: string;
  name: string;
  role: ApiKeyRecord['role'];
  pipelines: string[] | null;
  site: string | null;
  hash: string;
  created_at: Date;
  created_by: string;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

const KEY_COLUMNS = 'id, name, role, pipelines, site, hash, created_at, created_by, expires_at, revoked_at, last_used_at';

function toKey(r: KeyRow): ApiKeyRecord {
  return {
    id: r.id,
    name: r.name,
    role: r.role,
    pipelines: r.pipelines,
    site: r.site,
    createdAt: r.created_at,
    createdBy: r.created_by,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
  };
}

export function keyStore(pool: pg.Pool): KeyStore {
  return {
    async insertKey(k: NewApiKey) {
      const res = await pool.query<KeyRow>(
        `INSERT INTO sluice.api_keys (id, name, role, pipelines, site, hash, created_by, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${KEY_COLUMNS}`,
        [k.id, k.name, k.role, k.pipelines, k.site ?? null, k.hash, k.createdBy, k.expiresAt],
      );
      return toKey(res.rows[0]!);
    },

    async getKey(id) {
      const res = await pool.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM sluice.api_keys WHERE id = $1`, [id]);
      const row = res.rows[0];
      return row ? { ...toKey(row), hash: row.hash } : null;
    },

    async listKeys() {
      const res = await pool.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM sluice.api_keys ORDER BY created_at DESC, id`);
      return res.rows.map(toKey);
    },

    async revokeKey(id) {
      const res = await pool.query<KeyRow>(
        `UPDATE sluice.api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING ${KEY_COLUMNS}`,
        [id],
      );
      const row = res.rows[0];
      return row ? toKey(row) : null;
    },

    async touchKey(id) {
      // At most one write a minute per key: a busy client does not turn every read into a write.
      await pool.query(
        `UPDATE sluice.api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
        [id],
      );
    },

    async countUsableKeys() {
      const res = await pool.query<{ n: string }>(
        'SELECT count(*) AS n FROM sluice.api_keys WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())',
      );
      return Number(res.rows[0]!.n);
    },
  };
}

interface AuditRow {
  id: string;
  at: Date;
  actor_id: string | null;
  actor_name: string | null;
  role: string | null;
  action: string;
  target: string | null;
  status: number;
  request_id: string;
  remote: string | null;
}

export function auditStore(pool: pg.Pool): AuditStore {
  return {
    async appendAudit(e: AuditEntry) {
      await pool.query(
        `INSERT INTO sluice.audit_log (actor_id, actor_name, role, action, target, status, request_id, remote)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [e.actorId, e.actorName, e.role, e.action, e.target, e.status, e.requestId, e.remote],
      );
    },

    async listAudit(f: AuditFilter) {
      const res = await pool.query<AuditRow>(
        `SELECT id, at, actor_id, actor_name, role, action, target, status, request_id, remote
           FROM sluice.audit_log
          WHERE ($1::text IS NULL OR actor_id = $1 OR actor_name = $1)
            AND ($2::text IS NULL OR action = $2)
            AND ($3::timestamptz IS NULL OR at >= $3)
            AND ($4::bigint IS NULL OR id < $4)
          ORDER BY id DESC
          LIMIT $5`,
        [f.actor ?? null, f.action ?? null, f.since ?? null, f.before ?? null, f.limit + 1],
      );
      const rows = res.rows.slice(0, f.limit);
      const entries: StoredAuditEntry[] = rows.map((r) => ({
        id: r.id,
        at: r.at,
        actorId: r.actor_id,
        actorName: r.actor_name,
        role: r.role,
        action: r.action,
        target: r.target,
        status: r.status,
        requestId: r.request_id,
        remote: r.remote,
      }));
      return { entries, next: res.rows.length > f.limit ? rows[rows.length - 1]!.id : null };
    },
  };
}
