// Destination tables: their columns, and creating one from a dataset's schema when it is missing.
import pg from 'pg';
import { type ColumnSchema, ConfigError } from '../../src/kit/index.js';
import { pgType, quoteTable, splitTable } from './types.js';

/** The table's column names; empty when it does not exist. */
export async function tableColumns(client: pg.Client, name: string): Promise<Set<string>> {
  const { schema, table } = splitTable(name);
  const res = await client.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2`,
    [schema, table],
  );
  return new Set(res.rows.map((r) => r.column_name));
}

/**
 * Creates `name` with the dataset's columns (and `key` as its primary key) unless it exists.
 * `configured` is the table the user named, for the message when there is nothing to create it from.
 */
export async function createFromSchema(
  client: pg.Client,
  name: string,
  configured: string,
  schema: readonly ColumnSchema[],
  key: readonly string[] | undefined,
): Promise<void> {
  if (schema.length === 0) throw new ConfigError(`config.table: ${configured} does not exist and the input dataset has no columns to create it from`);
  const cols = schema.map((c) => `${pg.escapeIdentifier(c.name)} ${pgType(c.type)}`);
  if (key) cols.push(`PRIMARY KEY (${key.map((k) => pg.escapeIdentifier(k)).join(', ')})`);
  const ns = splitTable(name).schema;
  if (ns !== 'public') await client.query(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(ns)}`);
  await client.query(`CREATE TABLE IF NOT EXISTS ${quoteTable(name)} (${cols.join(', ')})`);
}
