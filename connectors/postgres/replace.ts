// Replace mode, atomically: batches load into a shadow table `<table>__sluice_<hash>` that only
// this (run, node) writes, and `finish` swaps it in with one transaction (rename the old table
// away, rename the shadow in, drop the old). Readers see the old rows until that commit and all
// the new ones after it, never a half-loaded table. The swap claims its own ledger row, so a
// retried finish after the swap committed does nothing.
import crypto from 'node:crypto';
import pg from 'pg';
import { type ColumnSchema, ConfigError } from '../../src/kit/index.js';
import { claim, isCommitted, SWAP_BATCH } from './ledger.js';
import type { PostgresWriteConfig } from './schema.js';
import { createFromSchema, tableColumns } from './table.js';
import { quoteTable, splitTable } from './types.js';

const MAX_IDENTIFIER = 63;

/** A sibling of `table` (same schema) named `<table>__sluice_<hash><tag>`, within PostgreSQL's 63-byte limit. */
function sibling(table: string, runId: string, nodeId: string, tag: string): string {
  const { schema, table: base } = splitTable(table);
  const hash = crypto.createHash('sha256').update(`${runId}\0${nodeId}`).digest('hex').slice(0, 8);
  const suffix = `__sluice_${hash}${tag}`;
  return `${schema}.${base.slice(0, MAX_IDENTIFIER - suffix.length)}${suffix}`;
}

export function shadowTable(table: string, runId: string, nodeId: string): string {
  return sibling(table, runId, nodeId, '');
}

export async function isSwapped(client: pg.Client, runId: string, nodeId: string): Promise<boolean> {
  return isCommitted(client, runId, nodeId, SWAP_BATCH);
}

async function exists(client: pg.Client, name: string): Promise<boolean> {
  const res = await client.query<{ oid: string | null }>(`SELECT to_regclass($1) AS oid`, [quoteTable(name)]);
  return res.rows[0]?.oid !== null;
}

/** Creates the shadow table (once per run and node): like the target when it exists, else from the dataset's schema. */
export async function prepareShadow(client: pg.Client, config: PostgresWriteConfig, shadow: string, schema: readonly ColumnSchema[]): Promise<Set<string>> {
  try {
    if (await exists(client, config.table)) {
      // Defaults, NOT NULL and CHECK constraints, identity, indexes (so keys are still enforced) and storage.
      await client.query(`CREATE TABLE IF NOT EXISTS ${quoteTable(shadow)} (LIKE ${quoteTable(config.table)} INCLUDING ALL)`);
    } else {
      await createFromSchema(client, shadow, config.table, schema, undefined);
    }
  } catch (err) {
    // A concurrent execution of this node created it first.
    const code = (err as { code?: string }).code;
    if (code !== '23505' && code !== '42P07') throw err;
  }
  return tableColumns(client, shadow);
}

/** Serial columns of the old table whose sequence the new table's defaults still use: it must move before the drop. */
async function ownedSequences(client: pg.Client, table: string): Promise<{ column: string; sequence: string }[]> {
  const res = await client.query<{ column: string; sequence: string }>(
    `SELECT a.attname AS column, pg_get_serial_sequence($1, a.attname) AS sequence
       FROM pg_attribute a
      WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attidentity = ''
        AND pg_get_serial_sequence($1, a.attname) IS NOT NULL`,
    [quoteTable(table)],
  );
  return res.rows;
}

/** Gives the swapped-in table's indexes the names the target's own would have (orders_pkey, not orders__sluice_..._pkey). */
async function renameIndexes(client: pg.Client, shadow: string, table: string): Promise<void> {
  const { schema, table: base } = splitTable(table);
  const prefix = splitTable(shadow).table;
  const res = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = $1::regclass`,
    [quoteTable(table)],
  );
  for (const { name } of res.rows) {
    if (!name.startsWith(prefix)) continue;
    const wanted = `${base}${name.slice(prefix.length)}`.slice(0, MAX_IDENTIFIER);
    const taken = await client.query(`SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`, [schema, wanted]);
    if (taken.rowCount === 0) await client.query(`ALTER INDEX ${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(name)} RENAME TO ${pg.escapeIdentifier(wanted)}`);
  }
}

/** Swaps the shadow table in, exactly once per (run, node); a later call finds the swap in the ledger and does nothing. */
export async function swapIn(client: pg.Client, config: PostgresWriteConfig, shadow: string, runId: string, nodeId: string, rows: number): Promise<{ swapped: boolean }> {
  const old = sibling(config.table, runId, nodeId, '_old');
  await client.query('BEGIN');
  try {
    if ((await claim(client, runId, nodeId, [{ index: SWAP_BATCH, rows }])).size === 0) {
      await client.query('ROLLBACK');
      return { swapped: false };
    }
    const base = splitTable(config.table).table;
    const hadTable = await exists(client, config.table);
    const sequences = hadTable ? await ownedSequences(client, config.table) : [];
    if (hadTable) await client.query(`ALTER TABLE ${quoteTable(config.table)} RENAME TO ${pg.escapeIdentifier(splitTable(old).table)}`);
    await client.query(`ALTER TABLE ${quoteTable(shadow)} RENAME TO ${pg.escapeIdentifier(base)}`);
    for (const s of sequences) await client.query(`ALTER SEQUENCE ${s.sequence} OWNED BY ${quoteTable(config.table)}.${pg.escapeIdentifier(s.column)}`);
    if (hadTable) await client.query(`DROP TABLE ${quoteTable(old)}`);
    await renameIndexes(client, shadow, config.table);
    await client.query('COMMIT');
    return { swapped: true };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    const e = err as Error & { code?: string; detail?: string };
    if (e.code === '2BP01') {
      // The detail names the dependents (e.g. "view v depends on table ..."), about the old table's temporary name.
      const dependents = (e.detail ?? e.message).split(splitTable(old).table).join(splitTable(config.table).table).replace(/\n/g, '; ');
      throw new ConfigError(
        `config.table: cannot swap the new ${config.table} in, because other objects depend on the old one (${dependents}); ` +
          'drop or recreate them, or load with mode append or upsert',
      );
    }
    throw err;
  }
}
