// postgres.read through COPY: the read is one `COPY (SELECT ...) TO STDOUT` whose output is cut
// into batches at row boundaries and staged as it arrives, with no row objects in between. It is
// used when no parameter needs binding (COPY takes none) and every column is of a type whose
// COPY text decodes to exactly the value the row-by-row reader hands over (COPY_OIDS); any
// other read goes row by row. The cursors are the row-by-row reader's (rows read, or the last
// key), so a read paused on one path resumes on the other.
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { type ColumnSchema, CopyBatcher, type CopyChunk, decodeLastRow, type SourceBatch, type SourceContext } from '../../src/kit/index.js';
import { oneStatement } from './connect.js';
import { stateAfter } from './incremental.js';
import { lastKey, type KeysetCursor } from './keyset.js';
import { offsetQuery, sqlError, streamQuery, type Bound, type KeysetPlan, type ProbedField } from './plan.js';
import type { PostgresReadConfig } from './schema.js';
import { COPY_OIDS, logicalType } from './types.js';

/** The dataset schema of a read that can go through COPY, or null when it must go row by row. */
export function copySchema(fields: readonly ProbedField[], params: readonly unknown[] | undefined): ColumnSchema[] | null {
  if ((params ?? []).length > 0) return null;
  const names = new Set(fields.map((f) => f.name));
  // Two columns of one name collapse into one field of a row; COPY would keep both.
  if (fields.length === 0 || names.size !== fields.length || !fields.every((f) => COPY_OIDS.has(f.dataTypeID))) return null;
  return fields.map((f) => ({ name: f.name, type: logicalType(f.dataTypeID) }));
}

/** Streams `COPY (sql) TO STDOUT` in batches of `size` rows (bounded memory: the stream waits while a batch is staged). */
async function* copyBatches(client: pg.Client, sql: string, size: number, sqlPath: string): AsyncIterable<CopyChunk> {
  // COPY goes through the simple protocol, which runs every statement of its text: first make sure
  // the text is one statement, as the extended protocol does (a second one fails to parse there).
  try {
    await client.query(oneStatement(`SELECT * FROM (${sql}) AS sluice_one LIMIT 0`));
  } catch (err) {
    throw sqlError(err, sqlPath);
  }
  const stream = client.query(copyTo(`COPY (${sql}) TO STDOUT`));
  // Leaving early (a pause) ends the client mid-COPY, which fails the stream: that is expected.
  stream.on('error', () => undefined);
  const batcher = new CopyBatcher(size);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) yield* batcher.push(chunk);
  } catch (err) {
    throw sqlError(err, sqlPath);
  }
  const rest = batcher.flush();
  if (rest) yield rest;
}

/** A query without a key, through COPY: the cursor is the number of rows read, skipped with OFFSET on resume. */
export async function* copyByOffset(client: pg.Client, config: PostgresReadConfig, schema: ColumnSchema[], ctx: SourceContext): AsyncIterable<SourceBatch> {
  const offset = typeof ctx.cursor === 'number' ? ctx.cursor : 0;
  let position = offset;
  for await (const copy of copyBatches(client, offsetQuery(config, offset), config.batchSize, 'config.query')) {
    position += copy.rows;
    yield { rows: [], copy, cursor: position, schema };
  }
  // An empty result still has columns: hand them on so the sink can create its table.
  if (position === offset) yield { rows: [], cursor: position, schema };
}

/** A keyset read through COPY: one statement in key order; each batch's cursor is its last row's key. */
export async function* copyByKeyset(plan: KeysetPlan, client: pg.Client, config: PostgresReadConfig, schema: ColumnSchema[], bound: Bound | null, ctx: SourceContext): AsyncIterable<SourceBatch> {
  let yielded = false;
  for await (const copy of copyBatches(client, streamQuery(plan, bound), config.batchSize, plan.sqlPath)) {
    const last = decodeLastRow(copy.data, schema);
    const cursor: KeysetCursor = { after: lastKey(plan, [last]) };
    if (plan.incremental !== null) ctx.setState(stateAfter(plan.order, last));
    yielded = true;
    yield { rows: [], copy, cursor, schema };
  }
  if (!yielded) yield { rows: [], cursor: ctx.cursor, schema };
}
