// Getting batches into a table: COPY for append and replace (COPY text as it is, rows as CSV),
// COPY into a temporary table and one INSERT ... ON CONFLICT for upsert, and a row-by-row
// fallback under savepoints that isolates refused rows.
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { type BadRecord, csvField, type Row } from '../../src/kit/index.js';
import type { PostgresWriteConfig } from './schema.js';
import { quoteTable } from './types.js';

/** Where a batch goes: the configured table, or replace mode's shadow table; `config.table` names it in messages. */
export interface LoadTarget {
  config: PostgresWriteConfig;
  table: string;
  columns: readonly string[];
}

/** COPYs rows (as CSV) into `into`, a quoted table name. */
async function copyRows(client: pg.Client, into: string, columns: readonly string[], rows: readonly Row[]): Promise<void> {
  const cols = columns.map((c) => pg.escapeIdentifier(c)).join(', ');
  const stream = client.query(copyFrom(`COPY ${into} (${cols}) FROM STDIN WITH (FORMAT csv)`));
  const CHUNK = 1000;
  async function* lines() {
    for (let i = 0; i < rows.length; i += CHUNK) {
      let buf = '';
      for (const row of rows.slice(i, i + CHUNK)) buf += columns.map((c) => csvField(row[c], ',', true)).join(',') + '\n';
      yield buf;
    }
  }
  await pipeline(Readable.from(lines()), stream);
}

/** Loads batches already in COPY text format, as they are (their columns are the target's, in order), with one COPY. */
export async function copyText(client: pg.Client, { table, columns }: LoadTarget, data: readonly Buffer[]): Promise<void> {
  const cols = columns.map((c) => pg.escapeIdentifier(c)).join(', ');
  await pipeline(Readable.from(data), client.query(copyFrom(`COPY ${quoteTable(table)} (${cols}) FROM STDIN`)));
}

/**
 * Upserts with one COPY and one statement: `fill` COPYs the rows, in order, into a temporary
 * table (the target's column types, dropped at commit), and INSERT ... ON CONFLICT takes them
 * into the target, keeping the last row of each key (one statement cannot update a key twice).
 */
async function upsertVia(client: pg.Client, target: LoadTarget, fill: (stage: string) => Promise<void>): Promise<void> {
  const { table, columns } = target;
  const stage = 'sluice_upsert_stage';
  const ordinal = pg.escapeIdentifier('sluice ordinal');
  const cols = columns.map((c) => pg.escapeIdentifier(c)).join(', ');
  const key = (target.config.key ?? []).map((k) => pg.escapeIdentifier(k)).join(', ');
  await client.query(`CREATE TEMP TABLE ${stage} ON COMMIT DROP AS SELECT ${cols} FROM ${quoteTable(table)} WITH NO DATA`);
  await client.query(`ALTER TABLE ${stage} ADD COLUMN ${ordinal} bigint GENERATED ALWAYS AS IDENTITY`);
  await fill(stage);
  await client.query(`INSERT INTO ${quoteTable(table)} (${cols}) SELECT DISTINCT ON (${key}) ${cols} FROM ${stage} ORDER BY ${key}, ${ordinal} DESC${onConflict(target)}`);
  await client.query(`DROP TABLE ${stage}`);
}

/** Upserts batches in COPY text (see upsertVia). */
export function upsertText(client: pg.Client, target: LoadTarget, data: readonly Buffer[]): Promise<void> {
  const cols = target.columns.map((c) => pg.escapeIdentifier(c)).join(', ');
  return upsertVia(client, target, (stage) => pipeline(Readable.from(data), client.query(copyFrom(`COPY ${stage} (${cols}) FROM STDIN`))));
}

/** The ON CONFLICT clause of an upsert (empty for other modes): update every non-key column. */
function onConflict({ config, columns }: LoadTarget): string {
  if (config.mode !== 'upsert') return '';
  const key = config.key ?? [];
  const updates = columns.filter((c) => !key.includes(c)).map((c) => `${pg.escapeIdentifier(c)} = EXCLUDED.${pg.escapeIdentifier(c)}`);
  return ` ON CONFLICT (${key.map((k) => pg.escapeIdentifier(k)).join(', ')}) ${updates.length ? `DO UPDATE SET ${updates.join(', ')}` : 'DO NOTHING'}`;
}

function insertStatement(target: LoadTarget, rows: readonly Row[]): { text: string; values: unknown[] } {
  const { table, columns } = target;
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
  return { text: `INSERT INTO ${quoteTable(table)} (${columns.map((c) => pg.escapeIdentifier(c)).join(', ')}) VALUES ${tuples.join(', ')}${onConflict(target)}`, values };
}

/** One statement cannot update the same key twice: keep the last row of each key. */
function lastPerKey(rows: readonly Row[], key: readonly string[]): Row[] {
  const byKey = new Map<string, Row>();
  for (const row of rows) byKey.set(JSON.stringify(key.map((k) => row[k] ?? null)), row);
  return [...byKey.values()];
}

/** Loads one batch of rows: COPY (as CSV), through a temporary table for upsert. */
export async function loadBulk(client: pg.Client, target: LoadTarget, rows: readonly Row[]): Promise<void> {
  if (target.config.mode !== 'upsert') return copyRows(client, quoteTable(target.table), target.columns, rows);
  return upsertVia(client, target, (stage) => copyRows(client, stage, target.columns, rows));
}

/** Integrity-constraint (23) and data-exception (22) errors are about rows, not the load. */
export function isRowError(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return typeof code === 'string' && (code.startsWith('23') || code.startsWith('22'));
}

/** Loads rows one by one under savepoints, returning those the table refuses. */
export async function loadRowByRow(client: pg.Client, target: LoadTarget, rows: readonly Row[], index: number): Promise<BadRecord[]> {
  const { config } = target;
  const rejected: BadRecord[] = [];
  const candidates = config.mode === 'upsert' ? lastPerKey(rows, config.key ?? []) : rows;
  for (const [i, row] of candidates.entries()) {
    await client.query('SAVEPOINT sluice_row');
    try {
      const stmt = insertStatement(target, [row]);
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
