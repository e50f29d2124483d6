import { z } from 'zod';
import { batchSizeSchema, code, connectionSchema, datasetInputSchema, durationSchema, PG_CONNECT_TIMEOUT_MS } from '../../src/kit/index.js';

const TABLE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;
const COLUMN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Longest wait for a connection to be established and authenticated. */
const connectTimeoutSchema = durationSchema.refine((ms) => ms > 0, 'must be longer than 0').default(PG_CONNECT_TIMEOUT_MS);

const tableName = z.string().regex(TABLE, 'expected a table name like orders or dw.orders');
const columnName = z.string().regex(COLUMN, 'expected a column name like id or updated_at');

export const postgresReadConfig = z
  .strictObject({
    connection: connectionSchema,
    /** Query mode: any SELECT; resumable by OFFSET, or by keyset when `key` is set. */
    query: code(
      'sql',
      z.string().refine((s) => s.trim() !== '', 'must not be empty'),
    ).optional(),
    /** Table mode: reads `columns` of `table` filtered by `where`, by keyset over `key` (default: its primary key). */
    table: tableName.optional(),
    columns: z.array(columnName).min(1).optional(),
    /** A SQL condition; it may use $1, $2, ... from params. */
    where: code(
      'sql',
      z.string().refine((s) => s.trim() !== '', 'must not be empty'),
    ).optional(),
    // Bound to $1, $2, ... so values never get spliced into SQL.
    params: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
    /** A unique, NOT NULL ordering key: each batch is `WHERE (key) > (last key) ORDER BY key LIMIT batchSize`. */
    key: z.array(columnName).min(1).optional(),
    /** Reads only rows whose `column` is past the mark the last successful run saved. */
    incremental: z.strictObject({ column: columnName }).optional(),
    batchSize: batchSizeSchema,
    /** Longest any one statement of the read may run (a whole COPY is one statement). */
    statementTimeout: durationSchema.default(3_600_000),
    connectTimeout: connectTimeoutSchema,
  })
  .superRefine(
    (config, ctx) => {
      const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
      if (config.query === undefined && config.table === undefined) issue('query', 'required unless table is set');
      if (config.query !== undefined && config.table !== undefined) issue('table', 'set either query or table, not both');
      if (config.query !== undefined) {
        for (const field of ['columns', 'where'] as const) {
          if (config[field] !== undefined) issue(field, `only with table; in query mode, write it into the query`);
        }
        if (config.incremental !== undefined && config.key === undefined) {
          issue('key', 'required with query and incremental: a unique key that orders rows sharing an incremental.column value');
        }
      }
      // Other fields may be malformed here (reported by their own schemas): look only at well-formed ones.
      const key = strings(config.key);
      const dup = key.filter((k, i) => key.indexOf(k) !== i);
      if (dup.length > 0) issue('key', `lists ${[...new Set(dup)].join(', ')} more than once`);
      const incremental = isObject(config.incremental) ? strings([config.incremental?.column]) : [];
      if (Array.isArray(config.columns)) {
        const cols = strings(config.columns);
        const missing = [...new Set([...key, ...incremental])].filter((c) => !cols.includes(c));
        if (missing.length > 0) issue('columns', `must include ${missing.join(', ')}: the read pages by them`);
      }
    },
    // Runs even when other fields are wrong, so every problem is reported at once.
    { when: (payload) => isObject(payload.value) },
  );

export const postgresWriteConfig = z
  .strictObject({
    connection: connectionSchema,
    table: tableName,
    mode: z.enum(['append', 'replace', 'upsert']).default('append'),
    key: z.array(z.string().min(1)).min(1).optional(),
    /** Longest any one statement of the load may run (a COPY of one group of parts, an upsert, the swap). */
    statementTimeout: durationSchema.default(3_600_000),
    connectTimeout: connectTimeoutSchema,
    ...datasetInputSchema.shape,
  })
  .superRefine(
    (config, ctx) => {
      if (config.mode === 'upsert' && config.key === undefined) {
        ctx.addIssue({ code: 'custom', path: ['key'], message: 'required when mode is upsert' });
      }
    },
    // Runs even when other fields are wrong, so every problem is reported at once.
    { when: (payload) => isObject(payload.value) },
  );

function isObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}

export type PostgresReadConfig = z.output<typeof postgresReadConfig>;
export type PostgresWriteConfig = z.output<typeof postgresWriteConfig>;
