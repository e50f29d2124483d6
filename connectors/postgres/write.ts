// postgres.write: commits each batch in one destination transaction together with a ledger
// row keyed by (run, node, batch), so a retried, resumed or concurrent execution skips what is
// committed and never duplicates a row. Rows the table refuses (constraint or data errors) are
// isolated with savepoints and handed back as rejected; the rest of the batch still commits.
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { BadRecord, SinkContext, SinkWriter } from '../../src/activities/connector.js';
import { ConfigError } from '../../src/activities/errors.js';
import type { ColumnSchema, Row } from '../../src/activities/staging.js';
import type { PostgresWriteConfig } from './schema.js';
import { connect } from './connect.js';
import { pgType, quoteTable, splitTable } from './types.js';

const LEDGER = 'sluice.load_ledger';
/** PostgreSQL allows 65535 bind parameters per statement. */
const MAX_PARAMS = 60_000;
/** Batch number under which replace mode records emptying the table when nothing was loaded. */
const EMPTY_REPLACE_BATCH = -1;

async function ensureLedger(client: pg.Client): Promise<void> {
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

async function ensureTable(client: pg.Client, config: PostgresWriteConfig, schema: readonly ColumnSchema[]): Promise<Set<string>> {
  const { schema: ns, table } = splitTable(config.table);
  const existing = await client.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2`,
    [ns, table],
  );
  if (existing.rowCount && existing.rowCount > 0) return new Set(existing.rows.map((r) => r.column_name));
  if (schema.length === 0) throw new ConfigError(`config.table: ${config.table} does not exist and the input dataset has no columns to create it from`);
  const cols = schema.map((c) => `${pg.escapeIdentifier(c.name)} ${pgType(c.type)}`);
  if (config.mode === 'upsert' && config.key) cols.push(`PRIMARY KEY (${config.key.map((k) => pg.escapeIdentifier(k)).join(', ')})`);
  if (ns !== 'public') await client.query(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(ns)}`);
  await client.query(`CREATE TABLE IF NOT EXISTS ${quoteTable(config.table)} (${cols.join(', ')})`);
  return new Set(schema.map((c) => c.name));
}

function csvValue(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return `"${s.replace(/"/g, '""')}"`;
}

async function copyRows(client: pg.Client, table: string, columns: readonly string[], rows: readonly Row[]): Promise<void> {
  const cols = columns.map((c) => pg.escapeIdentifier(c)).join(', ');
  const stream = client.query(copyFrom(`COPY ${quoteTable(table)} (${cols}) FROM STDIN WITH (FORMAT csv)`));
  const CHUNK = 1000;
  async function* lines() {
    for (let i = 0; i < rows.length; i += CHUNK) {
      let buf = '';
      for (const row of rows.slice(i, i + CHUNK)) buf += columns.map((c) => csvValue(row[c])).join(',') + '\n';
      yield buf;
    }
  }
  await pipeline(Readable.from(lines()), stream);
}

function insertStatement(config: PostgresWriteConfig, columns: readonly string[], rows: readonly Row[]): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const tuples = rows.map(
    (row) =>
      `(${columns
        .map((c) => {
          const v = row[c];
          values.push(v !== null && typeof v === 'object' ? JSON.stringify(v) : (v ?? null));
          return `$${values.length}`;
        })
        .join(', ')})`,
  );
  let conflict = '';
  if (config.mode === 'upsert') {
    const key = config.key ?? [];
    const updates = columns.filter((c) => !key.includes(c)).map((c) => `${pg.escapeIdentifier(c)} = EXCLUDED.${pg.escapeIdentifier(c)}`);
    conflict = ` ON CONFLICT (${key.map((k) => pg.escapeIdentifier(k)).join(', ')}) ${updates.length ? `DO UPDATE SET ${updates.join(', ')}` : 'DO NOTHING'}`;
  }
  return { text: `INSERT INTO ${quoteTable(config.table)} (${columns.map((c) => pg.escapeIdentifier(c)).join(', ')}) VALUES ${tuples.join(', ')}${conflict}`, values };
}

/** One statement cannot update the same key twice: keep the last row of each key. */
function lastPerKey(rows: readonly Row[], key: readonly string[]): Row[] {
  const byKey = new Map<string, Row>();
  for (const row of rows) byKey.set(JSON.stringify(key.map((k) => row[k] ?? null)), row);
  return [...byKey.values()];
}

async function loadBulk(client: pg.Client, config: PostgresWriteConfig, columns: readonly string[], rows: readonly Row[]): Promise<void> {
  if (config.mode !== 'upsert') return copyRows(client, config.table, columns, rows);
  const unique = lastPerKey(rows, config.key ?? []);
  const perStatement = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
  for (let i = 0; i < unique.length; i += perStatement) {
    const stmt = insertStatement(config, columns, unique.slice(i, i + perStatement));
    await client.query(stmt.text, stmt.values);
  }
}

/** Integrity-constraint (23) and data-exception (22) errors are about rows, not the load. */
function isRowError(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return typeof code === 'string' && (code.startsWith('23') || code.startsWith('22'));
}

/** Loads rows one by one under savepoints, returning those the table refuses. */
async function loadRowByRow(client: pg.Client, config: PostgresWriteConfig, columns: readonly string[], rows: readonly Row[], index: number): Promise<BadRecord[]> {
  const rejected: BadRecord[] = [];
  const candidates = config.mode === 'upsert' ? lastPerKey(rows, config.key ?? []) : rows;
  for (const [i, row] of candidates.entries()) {
    await client.query('SAVEPOINT sluice_row');
    try {
      const stmt = insertStatement(config, columns, [row]);
      await client.query(stmt.text, stmt.values);
      await client.query('RELEASE SAVEPOINT sluice_row');
    } catch (err) {
      if (!isRowError(err)) throw err;
      await client.query('ROLLBACK TO SAVEPOINT sluice_row');
      rejected.push({ reason: `${config.table}: ${(err as Error).message}`, position: `part ${index} row ${i + 1}`, record: row });
    }
  }
  return rejected;
}

function explain(err: unknown, config: PostgresWriteConfig): Error {
  const e = err as Error & { code?: string };
  if (e.code === '42P10') return new ConfigError(`config.key: ${config.table} has no unique index or primary key on (${config.key?.join(', ')}), which upsert needs`);
  if (e.code && e.code.startsWith('42')) return new ConfigError(`loading into ${config.table}: ${e.message}`);
  return e;
}

export async function open(config: PostgresWriteConfig, ctx: SinkContext): Promise<SinkWriter> {
  const client = await connect(config.connection, ctx.nodeId, 'destination');
  try {
    await ensureLedger(client);
    const existing = await ensureTable(client, config, ctx.schema);
    const columns = ctx.schema.map((c) => c.name);
    const missing = columns.filter((c) => !existing.has(c));
    if (missing.length > 0) throw new ConfigError(`config.table: ${config.table} has no column(s) ${missing.join(', ')} that the input dataset carries`);
    const badKey = config.mode === 'upsert' ? (config.key ?? []).filter((k) => !columns.includes(k)) : [];
    if (badKey.length > 0) throw new ConfigError(`config.key: the input dataset has no field(s) ${badKey.join(', ')}`);
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  const columns = ctx.schema.map((c) => c.name);

  /** Runs `load` in a transaction that first claims batch `index` in the ledger; false if already committed. */
  async function inClaimedTransaction(index: number, rows: number, load: () => Promise<void>): Promise<boolean> {
    await client.query('BEGIN');
    try {
      // A concurrent execution of the same batch blocks here until we commit, then skips.
      const claim = await client.query(`INSERT INTO ${LEDGER} (run_id, node_id, batch, rows) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, [ctx.runId, ctx.nodeId, index, rows]);
      if (claim.rowCount === 0) {
        await client.query('ROLLBACK');
        return false;
      }
      await load();
      await client.query('COMMIT');
      return true;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw explain(err, config);
    }
  }

  return {
    async write(index, rows) {
      let rejected: BadRecord[] = [];
      const committed = await inClaimedTransaction(index, rows.length, async () => {
        if (config.mode === 'replace' && index === 0) await client.query(`DELETE FROM ${quoteTable(config.table)}`);
        if (rows.length === 0) return;
        await client.query('SAVEPOINT sluice_bulk');
        try {
          await loadBulk(client, config, columns, rows);
          await client.query('RELEASE SAVEPOINT sluice_bulk');
        } catch (err) {
          if (!isRowError(err)) throw err;
          await client.query('ROLLBACK TO SAVEPOINT sluice_bulk');
          rejected = await loadRowByRow(client, config, columns, rows, index);
        }
      });
      return committed ? { skipped: false, rejected } : { skipped: true };
    },
    async finish(summary) {
      if (config.mode === 'replace' && summary.batches === 0) {
        await inClaimedTransaction(EMPTY_REPLACE_BATCH, 0, async () => {
          await client.query(`DELETE FROM ${quoteTable(config.table)}`);
        });
      }
      return { table: config.table };
    },
    async close() {
      await client.end().catch(() => undefined);
    },
  };
}
