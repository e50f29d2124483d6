// postgres.read: streams rows in batches. With a `table`, or a `query` and a `key`, it pages by
// keyset (keyset.ts): resumes re-read nothing. A `query` without a key streams through a
// server-side cursor; the position handed to the engine is the number of rows read, and a
// resumed read skips them with OFFSET, so such a query needs an ORDER BY on a unique key.
import pg from 'pg';
import Cursor from 'pg-cursor';
import type { SourceBatch, SourceContext } from '../../src/activities/connector.js';
import type { Row } from '../../src/activities/staging.js';
import type { PostgresReadConfig } from './schema.js';
import { connect } from './connect.js';
import { readKeyset } from './keyset.js';
import { isKeyset, sqlError } from './plan.js';
import { logicalType } from './types.js';

function readBatch(cursor: Cursor, size: number): Promise<{ rows: Row[]; fields: { name: string; dataTypeID: number }[] }> {
  return new Promise((resolve, reject) => {
    cursor.read(size, (err, rows, result) => (err ? reject(err) : resolve({ rows: rows as Row[], fields: result?.fields ?? [] })));
  });
}

async function* readByOffset(client: pg.Client, config: PostgresReadConfig, ctx: SourceContext): AsyncIterable<SourceBatch> {
  const offset = typeof ctx.cursor === 'number' ? ctx.cursor : 0;
  const body = (config.query ?? '').trim().replace(/;+\s*$/, '');
  const sql = offset > 0 ? `SELECT * FROM (${body}) AS sluice_source OFFSET ${offset}` : body;
  const cursor = client.query(new Cursor(sql, config.params ?? []));
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

export async function* read(config: PostgresReadConfig, ctx: SourceContext): AsyncIterable<SourceBatch> {
  const client: pg.Client = await connect(config.connection, ctx.nodeId, 'source');
  try {
    yield* isKeyset(config) ? readKeyset(client, config, ctx) : readByOffset(client, config, ctx);
  } finally {
    await client.end().catch(() => undefined);
  }
}
