// Resolves a keyset read before it starts: which relation it reads, which columns it pages by
// (the `key`, or the table's primary key), and whether they exist, so a wrong name fails once
// with the config path that is wrong instead of failing every retry with a SQL error.
import pg from 'pg';
import { ConfigError } from '../../src/kit/index.js';
import type { PostgresReadConfig } from './schema.js';
import { quoteTable } from './types.js';

export interface KeysetPlan {
  /** `FROM ...` target: a table, or the user's query as a subquery. */
  from: string;
  /** Select list: `*` or the configured columns, quoted. */
  select: string;
  /** The user's own condition (table mode), if any. */
  where: string | null;
  /** Bound to $1..$n: the where clause's or the query's own parameters. */
  params: unknown[];
  /** Columns of the ORDER BY: the incremental column first (when set), then the key. */
  order: string[];
  /** The incremental column, when the read is incremental. */
  incremental: string | null;
  /** Config path blamed for SQL errors of the batches (bad where clause, bad query). */
  sqlPath: string;
  /** The columns a batch returns, in order, with their type OIDs. */
  fields: ProbedField[];
}

export interface ProbedField {
  name: string;
  dataTypeID: number;
}

/** The configured query without its trailing semicolons, to be wrapped in a subquery or COPY. */
export function queryBody(config: PostgresReadConfig): string {
  return (config.query ?? '').trim().replace(/;+\s*$/, '');
}

/** A query without a key, after the `offset` rows a paused or retried read already staged. */
export function offsetQuery(config: PostgresReadConfig, offset: number): string {
  return offset > 0 ? `SELECT * FROM (${queryBody(config)}) AS sluice_source OFFSET ${offset}` : queryBody(config);
}

/** Uses keyset pagination: a table, or a query with a key. A query without a key pages by OFFSET. */
export function isKeyset(config: PostgresReadConfig): boolean {
  return config.table !== undefined || config.key !== undefined;
}

function isSqlConfigError(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown }).code;
  // Syntax errors, unknown tables/columns, wrong parameters and bad casts fail every retry alike.
  return typeof code === 'string' && /^(42|22|0A)/.test(code);
}

/** A SQL error that no retry can fix, as a ConfigError blaming `path`; anything else unchanged. */
export function sqlError(err: unknown, path: string): unknown {
  return isSqlConfigError(err) ? new ConfigError(`${path}: ${err.message}`) : err;
}

async function primaryKey(client: pg.Client, table: string): Promise<string[]> {
  const res = await client.query<{ name: string }>(
    `SELECT a.attname AS name
       FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
      WHERE i.indrelid = $1::regclass AND i.indisprimary
      ORDER BY array_position(i.indkey::int2[], a.attnum)`,
    [quoteTable(table)],
  );
  return res.rows.map((r) => r.name);
}

function missingFrom(names: readonly string[], available: readonly string[]): string[] {
  return names.filter((n) => !available.includes(n));
}

/** Probes the source with a zero-row query and checks every column the read depends on. */
export async function planKeyset(client: pg.Client, config: PostgresReadConfig): Promise<KeysetPlan> {
  const table = config.table;
  const from = table !== undefined ? quoteTable(table) : `(${queryBody(config)}) AS sluice_source`;
  const what = table !== undefined ? `table ${table}` : 'the query';
  let available: string[];
  let probed: ProbedField[];
  try {
    // Table mode probes without the where clause, so the params (which belong to it) are not bound here.
    const probe = await client.query(`SELECT * FROM ${from} LIMIT 0`, table !== undefined ? [] : (config.params ?? []));
    probed = probe.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID }));
    available = probed.map((f) => f.name);
  } catch (err) {
    throw sqlError(err, table !== undefined ? 'config.table' : 'config.query');
  }
  const noColumns = (path: string, names: string[]) =>
    new ConfigError(`${path}: ${what} has no column(s) ${names.join(', ')} (it has ${available.join(', ')})`);

  if (config.columns) {
    const missing = missingFrom(config.columns, available);
    if (missing.length > 0) throw noColumns('config.columns', missing);
  }
  let key = config.key;
  if (key === undefined) {
    // Only table mode gets here (query mode without a key pages by OFFSET).
    key = await primaryKey(client, table!);
    if (key.length === 0) {
      throw new ConfigError(`config.key: required: ${what} has no primary key to page by; name a unique, NOT NULL column (or columns)`);
    }
    const unselected = config.columns ? missingFrom(key, config.columns) : [];
    if (unselected.length > 0) throw new ConfigError(`config.columns: must include ${unselected.join(', ')}, the primary key of ${table} that the read pages by`);
  } else {
    const missing = missingFrom(key, available);
    if (missing.length > 0) throw noColumns('config.key', missing);
  }
  const incremental = config.incremental?.column ?? null;
  if (incremental !== null && !available.includes(incremental)) throw noColumns('config.incremental.column', [incremental]);

  return {
    from,
    select: config.columns ? config.columns.map((c) => pg.escapeIdentifier(c)).join(', ') : '*',
    where: config.where?.trim() ?? null,
    params: config.params ?? [],
    order: incremental === null ? key : [incremental, ...key.filter((k) => k !== incremental)],
    incremental,
    sqlPath: table === undefined ? 'config.query' : config.where !== undefined ? 'config.where' : 'config.table',
    fields: config.columns ? config.columns.map((c) => probed.find((f) => f.name === c)!) : probed,
  };
}

/** Rows strictly after `after` in `columns` order: `(a, b) > ($n+1, $n+2)`. */
export interface Bound {
  columns: string[];
  values: unknown[];
}

/** The rows after `bound`, in key order, at most `limit` of them; `bind` turns a value into SQL. */
function selectAfter(plan: KeysetPlan, bound: Bound | null, bind: (v: unknown) => string, limit: number | null): string {
  const conditions: string[] = [];
  if (plan.where !== null) conditions.push(`(${plan.where})`);
  // A row without a value for the incremental column can never pass a mark; it is not read.
  if (plan.incremental !== null) conditions.push(`${pg.escapeIdentifier(plan.incremental)} IS NOT NULL`);
  if (bound !== null) {
    conditions.push(`(${bound.columns.map((c) => pg.escapeIdentifier(c)).join(', ')}) > (${bound.values.map(bind).join(', ')})`);
  }
  const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
  const order = plan.order.map((c) => pg.escapeIdentifier(c)).join(', ');
  return `SELECT ${plan.select} FROM ${plan.from}${where} ORDER BY ${order}${limit === null ? '' : ` LIMIT ${limit}`}`;
}

/** The SQL of one batch: the rows after `bound`, in key order, at most `limit` of them. */
export function batchQuery(plan: KeysetPlan, bound: Bound | null, limit: number): { text: string; values: unknown[] } {
  const values = [...plan.params];
  const text = selectAfter(
    plan,
    bound,
    (v) => {
      values.push(v);
      return `$${values.length}`;
    },
    limit,
  );
  return { text, values };
}

/**
 * A value as an untyped SQL literal, which PostgreSQL resolves exactly like an untyped bind
 * parameter (COPY takes no parameters).
 */
function sqlLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  return pg.escapeLiteral(typeof v === 'object' ? JSON.stringify(v) : String(v));
}

/** Every row after `bound`, in key order, as one statement for COPY; only for plans without parameters. */
export function streamQuery(plan: KeysetPlan, bound: Bound | null): string {
  if (plan.params.length > 0) throw new Error('a keyset read with parameters cannot stream through COPY');
  return selectAfter(plan, bound, sqlLiteral, null);
}
