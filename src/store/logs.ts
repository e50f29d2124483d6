// Node attempts' log lines in the metadata database (sluice.run_logs), shipped by the workers that
// ran them. The table is partitioned by the UTC day the API received each line: partitions are
// made ahead of time (and on demand, when a line finds none), and retention drops whole days.
import type pg from 'pg';
import type { Logger } from '../log.js';
import { inTransaction } from './lock.js';

/** pino's level numbers for the levels that are shipped (info and above). */
export const LOG_LEVELS = { info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type LogLevelName = keyof typeof LOG_LEVELS;

export function levelName(n: number): LogLevelName {
  return n >= 60 ? 'fatal' : n >= 50 ? 'error' : n >= 40 ? 'warn' : 'info';
}

/** One line as a worker sends it. `seq` numbers the lines of its source, increasing. */
export interface IngestLine {
  seq: number;
  time: string;
  runId: string;
  nodeId: string;
  attempt: number;
  level: LogLevelName;
  msg: string;
  fields?: Record<string, unknown> | undefined;
}

export interface StoredLogLine {
  /** Arrival order, as a string (bigint): the cursor. */
  id: string;
  time: string;
  nodeId: string;
  attempt: number;
  site: string;
  level: LogLevelName;
  msg: string;
  fields: Record<string, unknown> | null;
}

export interface LogFilter {
  /** A node id: its own lines and those of its instances (`node[3]`). */
  node?: string | undefined;
  minLevel?: LogLevelName | undefined;
  /** Lines after this id. */
  after?: string | undefined;
  limit: number;
}

/** What the center last heard from a site about its logs. */
export interface LogSiteStatus {
  site: string;
  shipping: boolean;
  seenAt: Date;
}

export type IngestOutcome = { stored: number; duplicates: number } | { otherSite: string };

export interface LogStore {
  /**
   * Stores the lines of `source` (a worker's spool) that are newer than the last line stored from
   * it, so a batch sent again is not stored twice; refused when the source belongs to another site.
   */
  ingestLogs(source: string, site: string, lines: readonly IngestLine[]): Promise<IngestOutcome>;
  /** Records that `source` of `site` keeps its logs (shipping false) or ships them. */
  announceLogShipping(source: string, site: string, shipping: boolean): Promise<IngestOutcome>;
  /** A run's lines in arrival order. */
  readLogs(runId: string, filter: LogFilter): Promise<StoredLogLine[]>;
  /** The latest word from each of these sites. */
  logSites(sites: readonly string[]): Promise<LogSiteStatus[]>;
  /** Makes the partitions of the coming days and drops those wholly older than `retentionMs`. */
  maintainLogPartitions(retentionMs: number, now?: Date): Promise<{ created: string[]; dropped: string[] }>;
}

const DAY_MS = 86_400_000;
/** Days made ahead, so a line at midnight never waits for a partition. */
const DAYS_AHEAD = 2;
/** Advisory lock key of partition maintenance ('SLLG'): two API processes never race to create or drop one. */
const PARTITION_LOCK = 0x534c4c47;
const PARTITION = /^run_logs_p(\d{4})(\d{2})(\d{2})$/;

function dayStart(t: number): number {
  return Math.floor(t / DAY_MS) * DAY_MS;
}

function partitionName(dayMs: number): string {
  return `run_logs_p${new Date(dayMs).toISOString().slice(0, 10).replaceAll('-', '')}`;
}

async function createPartitions(db: pg.ClientBase, now: number): Promise<string[]> {
  const created: string[] = [];
  for (let d = 0; d <= DAYS_AHEAD; d++) {
    const from = dayStart(now) + d * DAY_MS;
    const name = partitionName(from);
    const exists = await db.query('SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2', ['sluice', name]);
    if (exists.rowCount) continue;
    // Names and bounds are built from numbers only, never from input.
    await db.query(
      `CREATE TABLE sluice.${name} PARTITION OF sluice.run_logs FOR VALUES FROM ('${new Date(from).toISOString()}') TO ('${new Date(from + DAY_MS).toISOString()}')`,
    );
    created.push(name);
  }
  return created;
}

/** Postgres: "no partition of relation ... found for row". */
function isMissingPartition(err: unknown): boolean {
  return (err as { code?: string }).code === '23514' && /no partition/.test((err as Error).message);
}

interface LineRow {
  id: string;
  at: Date;
  node_id: string;
  attempt: number;
  site: string;
  level: number;
  msg: string;
  fields: Record<string, unknown> | null;
}

export function logStore(pool: pg.Pool, logger?: Logger): LogStore {
  /** The day (ms) whose partitions this process knows exist. */
  let readyDay = -1;

  const ensurePartitions = async (now = Date.now()) => {
    if (dayStart(now) === readyDay) return [];
    const created = await inTransaction(
      pool,
      async (db) => {
        await db.query('SELECT pg_advisory_xact_lock($1::int, 0)', [PARTITION_LOCK]);
        return createPartitions(db, now);
      },
      logger,
    );
    readyDay = dayStart(now);
    return created;
  };

  const claimSource = async (db: pg.PoolClient, source: string, site: string) => {
    await db.query('INSERT INTO sluice.log_sources (source, site) VALUES ($1, $2) ON CONFLICT (source) DO NOTHING', [source, site]);
    const row = await db.query<{ site: string; last_seq: string }>('SELECT site, last_seq FROM sluice.log_sources WHERE source = $1 FOR UPDATE', [source]);
    return row.rows[0]!;
  };

  const insert = (source: string, site: string, lines: readonly IngestLine[]) =>
    inTransaction(
      pool,
      async (db): Promise<IngestOutcome> => {
        const src = await claimSource(db, source, site);
        if (src.site !== site) return { otherSite: src.site };
        const last = Number(src.last_seq);
        const fresh = lines.filter((l) => l.seq > last);
        if (fresh.length > 0) {
          await db.query(
            `INSERT INTO sluice.run_logs (at, run_id, node_id, attempt, site, level, msg, fields)
             SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::int[], $5::text[], $6::smallint[], $7::text[], $8::jsonb[])`,
            [
              fresh.map((l) => l.time),
              fresh.map((l) => l.runId),
              fresh.map((l) => l.nodeId),
              fresh.map((l) => l.attempt),
              fresh.map(() => site),
              fresh.map((l) => LOG_LEVELS[l.level]),
              fresh.map((l) => l.msg),
              fresh.map((l) => (l.fields && Object.keys(l.fields).length > 0 ? JSON.stringify(l.fields) : null)),
            ],
          );
        }
        const top = lines.reduce((m, l) => Math.max(m, l.seq), last);
        await db.query('UPDATE sluice.log_sources SET last_seq = $2, shipping = true, seen_at = now() WHERE source = $1', [source, top]);
        return { stored: fresh.length, duplicates: lines.length - fresh.length };
      },
      logger,
    );

  return {
    async ingestLogs(source, site, lines) {
      await ensurePartitions();
      try {
        return await insert(source, site, lines);
      } catch (err) {
        // Midnight passed since this process last looked, and no one made today's partition yet.
        if (!isMissingPartition(err)) throw err;
        readyDay = -1;
        await ensurePartitions();
        return insert(source, site, lines);
      }
    },

    announceLogShipping(source, site, shipping) {
      return inTransaction(
        pool,
        async (db): Promise<IngestOutcome> => {
          const src = await claimSource(db, source, site);
          if (src.site !== site) return { otherSite: src.site };
          await db.query('UPDATE sluice.log_sources SET shipping = $2, seen_at = now() WHERE source = $1', [source, shipping]);
          return { stored: 0, duplicates: 0 };
        },
        logger,
      );
    },

    async readLogs(runId, f) {
      const res = await pool.query<LineRow>(
        `SELECT id, at, node_id, attempt, site, level, msg, fields
           FROM sluice.run_logs
          WHERE run_id = $1
            AND ($2::text IS NULL OR node_id = $2 OR (left(node_id, length($2) + 1) = $2 || '[' AND right(node_id, 1) = ']'))
            AND level >= $3
            AND ($4::bigint IS NULL OR id > $4)
          ORDER BY id
          LIMIT $5`,
        [runId, f.node ?? null, LOG_LEVELS[f.minLevel ?? 'info'], f.after ?? null, f.limit],
      );
      return res.rows.map((r) => ({
        id: r.id,
        time: r.at.toISOString(),
        nodeId: r.node_id,
        attempt: r.attempt,
        site: r.site,
        level: levelName(r.level),
        msg: r.msg,
        fields: r.fields,
      }));
    },

    async logSites(sites) {
      if (sites.length === 0) return [];
      const res = await pool.query<{ site: string; shipping: boolean; seen_at: Date }>(
        'SELECT DISTINCT ON (site) site, shipping, seen_at FROM sluice.log_sources WHERE site = ANY($1::text[]) ORDER BY site, seen_at DESC',
        [sites],
      );
      return res.rows.map((r) => ({ site: r.site, shipping: r.shipping, seenAt: r.seen_at }));
    },

    async maintainLogPartitions(retentionMs, now = new Date()) {
      readyDay = -1;
      return inTransaction(
        pool,
        async (db) => {
          await db.query('SELECT pg_advisory_xact_lock($1::int, 0)', [PARTITION_LOCK]);
          const created = await createPartitions(db, now.getTime());
          const parts = await db.query<{ name: string }>(
            `SELECT c.relname AS name FROM pg_inherits i
               JOIN pg_class c ON c.oid = i.inhrelid
               JOIN pg_class p ON p.oid = i.inhparent
               JOIN pg_namespace n ON n.oid = p.relnamespace
              WHERE n.nspname = 'sluice' AND p.relname = 'run_logs'`,
          );
          const dropped: string[] = [];
          for (const { name } of parts.rows) {
            const m = PARTITION.exec(name);
            if (!m) continue;
            const end = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) + DAY_MS;
            // Only a day whose every line is past retention goes.
            if (end <= now.getTime() - retentionMs) {
              await db.query(`DROP TABLE sluice.${name}`);
              dropped.push(name);
            }
          }
          // `now` may be another day than today (tests): look again at the next ingest.
          readyDay = -1;
          return { created, dropped };
        },
        logger,
      );
    },
  };
}
