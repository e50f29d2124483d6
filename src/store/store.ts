// The metadata store on PostgreSQL: pipelines, their immutable versions, node states, concurrency
// slots, API keys (hashed) and the audit trail.
import pg from 'pg';
import type { PipelineSpec } from '../dag/spec.js';
import type { Logger } from '../log.js';
import { pgConnectionOptions, type PgTimeouts } from '../kit/postgres.js';
import { specHash } from './hash.js';
import { inTransaction, onLost } from './lock.js';
import { migrate } from './migrate.js';
import { auditStore, keyStore } from './access.js';
import { idempotencyStore } from './idempotency.js';
import { nodeStateStore } from './node-state.js';
import { runSlotStore } from './run-slots.js';
import { runHistoryStore } from './run-history.js';
import { logStore } from './logs.js';
import type { PipelineSummary, PipelineVersion, Store } from './types.js';

export interface StoreOptions {
  /** Pool size; 1 for the embedded PGlite server, which serves one connection at a time. */
  maxConnections?: number;
  logger?: Logger;
  /** Let the process exit while idle connections are open (for workers, which save state now and then). */
  allowExitOnIdle?: boolean;
  /** Connect and statement timeouts; unset fields take METADATA_DB_TIMEOUTS. */
  timeouts?: PgTimeouts;
}

/**
 * Metadata queries are small: one that runs a minute is stuck (a lock, a lost server), and the
 * caller (an API request, a run's last step) is better told so than kept waiting.
 */
export const METADATA_DB_TIMEOUTS = { connectTimeoutMs: 10_000, statementTimeoutMs: 60_000 } satisfies Required<PgTimeouts>;

interface VersionRow {
  name: string;
  version: number;
  spec: PipelineSpec;
  spec_hash: string;
  created_at: Date;
}

function toVersion(row: VersionRow): PipelineVersion {
  return { name: row.name, version: row.version, spec: row.spec, specHash: row.spec_hash, createdAt: row.created_at };
}

/** Connects, applies pending migrations, and returns the store. */
export async function createStore(databaseUrl: string, options: StoreOptions = {}): Promise<Store> {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.maxConnections ?? 10,
    allowExitOnIdle: options.allowExitOnIdle ?? false,
    ...pgConnectionOptions({ ...METADATA_DB_TIMEOUTS, ...options.timeouts }),
  });
  // An idle connection dropped by the server must not crash the process; the pool reconnects.
  pool.on('error', (err) => options.logger?.warn({ err: err.message }, 'metadata database connection lost'));
  try {
    const client = await pool.connect();
    const unlisten = onLost(client, options.logger);
    let failed: Error | undefined;
    try {
      // Migrations may wait for another process's migration lock, and may take a while themselves.
      await client.query('SET statement_timeout = 0');
      const applied = await migrate(client, options.logger);
      await client.query('RESET statement_timeout');
      if (applied.length > 0) options.logger?.info({ migrations: applied }, 'metadata schema migrated');
    } catch (err) {
      failed = err as Error;
      throw err;
    } finally {
      unlisten();
      client.release(failed);
    }
  } catch (err) {
    await pool.end();
    throw err;
  }

  return {
    putPipeline(spec) {
      const hash = specHash(spec);
      return inTransaction(pool, async (db) => {
        await db.query('INSERT INTO sluice.pipelines (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [spec.name]);
        // The row lock serialises writers of one pipeline, so two racing POSTs cannot both
        // take latest+1; the (name, version) primary key backs that up.
        const latest = await db.query<{ latest_version: number } & Partial<VersionRow>>(
          `SELECT p.latest_version, v.name, v.version, v.spec, v.spec_hash, v.created_at
             FROM sluice.pipelines p
             LEFT JOIN sluice.pipeline_versions v ON v.name = p.name AND v.version = p.latest_version
            WHERE p.name = $1
            FOR UPDATE OF p`,
          [spec.name],
        );
        const row = latest.rows[0]!;
        if (row.spec_hash === hash) return { ...toVersion(row as VersionRow), created: false };
        const version = row.latest_version + 1;
        const inserted = await db.query<VersionRow>(
          `INSERT INTO sluice.pipeline_versions (name, version, spec, spec_hash)
           VALUES ($1, $2, $3, $4)
           RETURNING name, version, spec, spec_hash, created_at`,
          [spec.name, version, JSON.stringify(spec), hash],
        );
        await db.query(
          'UPDATE sluice.pipelines SET latest_version = $2, description = $3, updated_at = now() WHERE name = $1',
          [spec.name, version, spec.description ?? null],
        );
        return { ...toVersion(inserted.rows[0]!), created: true };
      }, options.logger);
    },

    async listPipelines(): Promise<PipelineSummary[]> {
      const res = await pool.query<{ name: string; latest_version: number; description: string | null; updated_at: Date }>(
        'SELECT name, latest_version, description, updated_at FROM sluice.pipelines WHERE latest_version > 0 ORDER BY name',
      );
      return res.rows.map((r) => ({ name: r.name, latestVersion: r.latest_version, description: r.description, updatedAt: r.updated_at }));
    },

    async getPipeline(name, version) {
      const res = await pool.query<VersionRow & { versions: number[] }>(
        `SELECT v.name, v.version, v.spec, v.spec_hash, v.created_at,
                (SELECT array_agg(a.version ORDER BY a.version) FROM sluice.pipeline_versions a WHERE a.name = v.name) AS versions
           FROM sluice.pipelines p
           JOIN sluice.pipeline_versions v ON v.name = p.name AND v.version = COALESCE($2::int, p.latest_version)
          WHERE p.name = $1`,
        [name, version ?? null],
      );
      const row = res.rows[0];
      return row ? { ...toVersion(row), versions: row.versions } : null;
    },

    ...nodeStateStore(pool),
    ...runSlotStore(pool),
    ...runHistoryStore(pool),
    ...keyStore(pool),
    ...auditStore(pool),
    ...idempotencyStore(pool),
    ...logStore(pool, options.logger),

    close: () => pool.end(),
  };
}
