// postgres.read by keyset: each batch is `WHERE (key) > (last key) ORDER BY key LIMIT n`, and the
// cursor handed to the engine is the last key of the batch, so a resumed read re-reads nothing
// and never re-scans skipped rows. An incremental read orders by (column, key) and starts after
// the saved high-water mark; it reports the new mark through setState after every batch.
import pg from 'pg';
import { type ColumnSchema, ConfigError, type Row, type SourceBatch, type SourceContext } from '../../src/kit/index.js';
import { startBound, stateAfter } from './incremental.js';
import { batchQuery, sqlError, type Bound, type KeysetPlan } from './plan.js';
import type { PostgresReadConfig } from './schema.js';
import { logicalType } from './types.js';

/** A keyset read's position: the ordering-key values of the last row staged. */
export interface KeysetCursor {
  after: unknown[];
}

function isKeysetCursor(v: unknown): v is KeysetCursor {
  return typeof v === 'object' && v !== null && Array.isArray((v as KeysetCursor).after);
}

export function firstBound(plan: KeysetPlan, ctx: SourceContext): Bound | null {
  // A resumed read continues after its own last batch, which is past any saved mark.
  if (isKeysetCursor(ctx.cursor)) return { columns: plan.order, values: ctx.cursor.after };
  if (plan.incremental === null) return null;
  const { bound, ignored } = startBound(plan.order, ctx.state);
  if (ignored) ctx.log.warn({ reason: ignored }, 'incremental read starts from the beginning');
  return bound;
}

export function lastKey(plan: KeysetPlan, rows: readonly Row[]): unknown[] {
  const last = rows[rows.length - 1]!;
  const values = plan.order.map((c) => last[c]);
  const nulls = plan.order.filter((c, i) => values[i] === null || values[i] === undefined);
  if (nulls.length > 0) {
    throw new ConfigError(`config.key: ${nulls.join(', ')} is NULL in a row; the key must be unique and NOT NULL to page by`);
  }
  return values;
}

export async function* readKeyset(plan: KeysetPlan, client: pg.Client, config: PostgresReadConfig, bound: Bound | null, ctx: SourceContext): AsyncIterable<SourceBatch> {
  let yielded = false;
  for (;;) {
    const query = batchQuery(plan, bound, config.batchSize);
    let result: pg.QueryResult<Row>;
    try {
      result = await client.query<Row>(query.text, query.values);
    } catch (err) {
      throw sqlError(err, plan.sqlPath);
    }
    const rows = result.rows;
    const schema: ColumnSchema[] = result.fields.map((f) => ({ name: f.name, type: logicalType(f.dataTypeID) }));
    if (rows.length > 0) {
      const after = lastKey(plan, rows);
      bound = { columns: plan.order, values: after };
      if (plan.incremental !== null) ctx.setState(stateAfter(plan.order, rows[rows.length - 1]!));
      yielded = true;
      const cursor: KeysetCursor = { after };
      yield { rows, cursor, schema };
    }
    if (rows.length < config.batchSize) {
      // An empty result still has columns: hand them on so the sink can create its table.
      if (!yielded) yield { rows: [], cursor: ctx.cursor, schema };
      return;
    }
  }
}
