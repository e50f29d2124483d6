// postgres.read: streams rows in batches. With a `table`, or a `query` and a `key`, it pages by
// keyset (keyset.ts): resumes re-read nothing. A `query` without a key streams through a
// server-side cursor; the position handed to the engine is the number of rows read, and a
// resumed read skips them with OFFSET, so such a query needs an ORDER BY on a unique key.
// Either goes through COPY instead when its columns allow (copy-read.ts), with the same positions.
import pg from 'pg';
import Cursor from 'pg-cursor';
import type { Row, SourceBatch, SourceContext } from '../../src/kit/index.js';
import type { PostgresReadConfig } from './schema.js';
import { connect, connectionLost, oneStatement, readOnlySession } from './connect.js';
import { copyByKeyset, copyByOffset, copySchema } from './copy-read.js';
import { firstBound, readKeyset } from './keyset.js';
import { isKeyset, offsetQuery, planKeyset, queryBody, sqlError, type ProbedField } from './plan.js';
import { logicalType } from './types.js';

function readBatch(cursor: Cursor, size: number): Promise<{ rows: Row[]; fields: { name: string; dataTypeID: number }[] }> {
  return new Promise((resolve, reject) => {
    cursor.read(size, (err, rows, result) => (err ? reject(err) : resolve({ rows: rows as Row[], fields: result?.fields ?? [] })));
  });
}

async function* readByOffset(client: pg.Client, config: PostgresReadConfig, ctx: SourceContext): AsyncIterable<SourceBatch> {
  const offset = typeof ctx.cursor === 'number' ? ctx.cursor : 0;
  const cursor = client.query(new Cursor(offsetQuery(config, offset), config.params ?? []));
  try {
    let position = offset;
    for (;;) {
      let batch;
      try {
        batch = await readBatch(cursor, config.batchSize);
      } catch (err) {
        throw sqlError(err, 'config.query');
      }
      position += batch.rows.length;
      const schema = batch.fields.map((f) => ({ name: f.name, type: logicalType(f.dataTypeID) }));
      if (batch.rows.length > 0) yield { rows: batch.rows, cursor: position, schema };
      if (batch.rows.length < config.batchSize) {
        // An empty result still has columns: hand them on so the sink can create its table.
        if (batch.rows.length === 0) yield { rows: [], cursor: position, schema };
        return;
      }
    }
  } finally {
    await new Promise<void>((resolve) => cursor.close(() => resolve()));
  }
}

/** The columns a query without a key returns, probed without reading; null when the query needs parameters (COPY cannot bind them). */
async function probeQuery(client: pg.Client, config: PostgresReadConfig): Promise<ProbedField[] | null> {
  if ((config.params ?? []).length > 0) return null;
  try {
    const probe = await client.query(oneStatement(`SELECT * FROM (${queryBody(config)}) AS sluice_source LIMIT 0`));
    return probe.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID }));
  } catch (err) {
    throw sqlError(err, 'config.query');
  }
}

/** Reads by keyset or by offset, through COPY when the columns allow it (copy-read.ts), else row by row. */
async function* readWith(client: pg.Client, config: PostgresReadConfig, ctx: SourceContext): AsyncIterable<SourceBatch> {
  if (isKeyset(config)) {
    const plan = await planKeyset(client, config);
    const bound = firstBound(plan, ctx);
    const schema = copySchema(plan.fields, plan.params);
    yield* schema ? copyByKeyset(plan, client, config, schema, bound, ctx) : readKeyset(plan, client, config, bound, ctx);
    return;
  }
  const fields = await probeQuery(client, config);
  const schema = fields && copySchema(fields, config.params);
  yield* schema ? copyByOffset(client, config, schema, ctx) : readByOffset(client, config, ctx);
}

export async function* read(config: PostgresReadConfig, ctx: SourceContext): AsyncIterable<SourceBatch> {
  const client: pg.Client = await connect(config.connection, 'source', ctx, { connectTimeoutMs: config.connectTimeout });
  try {
    await readOnlySession(client, config.statementTimeout);
    yield* readWith(client, config, ctx);
  } catch (err) {
    throw connectionLost(err, 'source');
  } finally {
    await client.end().catch(() => undefined);
  }
}
