// postgres.write: loads the input dataset part by part. Each part is committed in one
// destination transaction together with a ledger row keyed by (run, node, part), so a retried,
// resumed or concurrent execution skips what is committed and never duplicates a row.
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { NodeRunner } from '../../src/activities/context.js';
import { ConfigError } from '../../src/activities/errors.js';
import type { ColumnSchema, Row } from '../../src/activities/staging.js';
import type { PostgresWriteConfig } from './schema.js';
import { pgType, quoteTable, splitTable } from './types.js';

const LEDGER = 'sluice.load_ledger';
/** PostgreSQL allows 65535 bind parameters per statement. */
const MAX_PARAMS = 60_000;

interface WriteCheckpoint {
  part: number;
  rows: number;
}

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

async function upsertRows(client: pg.Client, table: string, columns: readonly string[], key: readonly string[], rows: readonly Row[]): Promise<void> {
  // One statement cannot update the same key twice: keep the last row of each key.
  const byKey = new Map<string, Row>();
  for (const row of rows) byKey.set(JSON.stringify(key.map((k) => row[k] ?? null)), row);
  const unique = [...byKey.values()];
  const cols = columns.map((c) => pg.escapeIdentifier(c));
  const updates = columns.filter((c) => !key.includes(c)).map((c) => `${pg.escapeIdentifier(c)} = EXCLUDED.${pg.escapeIdentifier(c)}`);
  const conflict = `ON CONFLICT (${key.map((k) => pg.escapeIdentifier(k)).join(', ')}) ${updates.length ? `DO UPDATE SET ${updates.join(', ')}` : 'DO NOTHING'}`;
  const perStatement = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
  for (let i = 0; i < unique.length; i += perStatement) {
    const chunk = unique.slice(i, i + perStatement);
    const values: unknown[] = [];
    const tuples = chunk.map((row) => `(${columns.map((c) => {
      const v = row[c];
      values.push(v !== null && typeof v === 'object' ? JSON.stringify(v) : (v ?? null));
      return `$${values.length}`;
    }).join(', ')})`);
    await client.query(`INSERT INTO ${quoteTable(table)} (${cols.join(', ')}) VALUES ${tuples.join(', ')} ${conflict}`, values);
  }
}

function explain(err: unknown, config: PostgresWriteConfig): Error {
  const e = err as Error & { code?: string };
  if (e.code === '42P10') return new ConfigError(`config.key: ${config.table} has no unique index or primary key on (${config.key?.join(', ')}), which upsert needs`);
  if (e.code && /^(42|22|23)/.test(e.code)) return new ConfigError(`loading into ${config.table}: ${e.message}`);
  return e;
}

export const write: NodeRunner<PostgresWriteConfig> = async (ctx) => {
  const config = ctx.config;
  const input = ctx.inputDataset(config.input);
  const cp: WriteCheckpoint = { part: 0, rows: 0, ...(ctx.checkpoint as Partial<WriteCheckpoint> | undefined) };
  const client = new pg.Client({ connectionString: config.connection, application_name: `sluice:${ctx.nodeId}` });
  await client.connect().catch((err: Error) => {
    throw new Error(`cannot connect to the destination database: ${err.message}`);
  });
  let skipped = 0;
  try {
    await ensureLedger(client);
    const existing = await ensureTable(client, config, input.schema);
    const columns = input.schema.map((c) => c.name);
    const missing = columns.filter((c) => !existing.has(c));
    if (missing.length > 0) throw new ConfigError(`config.table: ${config.table} has no column(s) ${missing.join(', ')} that the input dataset carries`);
    if (config.mode === 'upsert') {
      const badKey = (config.key ?? []).filter((k) => !columns.includes(k));
      if (badKey.length > 0) throw new ConfigError(`config.key: the input dataset has no field(s) ${badKey.join(', ')}`);
    }
    ctx.stats.rowsIn = cp.rows;
    ctx.stats.rowsOut = cp.rows;
    for (let part = cp.part; part < input.parts; part++) {
      if (ctx.stopRequested()) return { paused: true, checkpoint: { ...cp } };
      const rows = await ctx.staging.readPart(input, part);
      await client.query('BEGIN');
      try {
        // Claim the batch first: a concurrent execution of the same batch blocks here until we
        // commit, then finds the row and skips.
        const claim = await client.query(
          `INSERT INTO ${LEDGER} (run_id, node_id, batch, rows) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
          [ctx.runId, ctx.nodeId, part, rows.length],
        );
        if (claim.rowCount === 0) {
          await client.query('ROLLBACK');
          skipped++;
        } else {
          if (config.mode === 'replace' && part === 0) await client.query(`DELETE FROM ${quoteTable(config.table)}`);
          if (rows.length > 0) {
            if (config.mode === 'upsert') await upsertRows(client, config.table, columns, config.key ?? [], rows);
            else await copyRows(client, config.table, columns, rows);
          }
          await client.query('COMMIT');
        }
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw explain(err, config);
      }
      cp.part = part + 1;
      cp.rows += rows.length;
      ctx.stats.rowsIn = cp.rows;
      ctx.stats.rowsOut = cp.rows;
      ctx.commit({ ...cp });
    }
  } finally {
    await client.end().catch(() => undefined);
  }
  return { outputs: { table: config.table, rows: cp.rows, batches: input.parts, skippedBatches: skipped } };
};
