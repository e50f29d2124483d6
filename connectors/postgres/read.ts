// postgres.read: streams a query's rows in batches through a server-side cursor into the
// node's dataset, one part per batch. A stop hands back the rows and parts already staged;
// the next execution skips those rows (OFFSET) and continues with the next part.
import pg from 'pg';
import Cursor from 'pg-cursor';
import type { NodeRunner } from '../../src/activities/context.js';
import { ConfigError } from '../../src/activities/errors.js';
import type { ColumnSchema, Row } from '../../src/activities/staging.js';
import type { PostgresReadConfig } from './schema.js';
import { logicalType, readTypes } from './types.js';

interface ReadCheckpoint {
  rows: number;
  parts: number;
  bytes: number;
  schema: ColumnSchema[] | null;
}

function readBatch(cursor: Cursor, size: number): Promise<{ rows: Row[]; fields: { name: string; dataTypeID: number }[] }> {
  return new Promise((resolve, reject) => {
    cursor.read(size, (err, rows, result) => (err ? reject(err) : resolve({ rows: rows as Row[], fields: result?.fields ?? [] })));
  });
}

export const read: NodeRunner<PostgresReadConfig> = async (ctx) => {
  const { connection, query, params = [], batchSize } = ctx.config;
  const cp: ReadCheckpoint = { rows: 0, parts: 0, bytes: 0, schema: null, ...(ctx.checkpoint as Partial<ReadCheckpoint> | undefined) };
  const dir = ctx.staging.datasetDir(ctx.runId, ctx.nodeId);
  const client = new pg.Client({ connectionString: connection, application_name: `sluice:${ctx.nodeId}`, types: readTypes });
  await client.connect().catch((err: Error) => {
    throw new Error(`cannot connect to the source database: ${err.message}`);
  });
  ctx.stats.rowsIn = cp.rows;
  ctx.stats.rowsOut = cp.rows;
  try {
    const body = query.trim().replace(/;+\s*$/, '');
    const sql = cp.rows > 0 ? `SELECT * FROM (${body}) AS sluice_source OFFSET ${cp.rows}` : body;
    const cursor = client.query(new Cursor(sql, params));
    try {
      for (;;) {
        if (ctx.stopRequested()) return { paused: true, checkpoint: { ...cp } };
        let batch;
        try {
          batch = await readBatch(cursor, batchSize);
        } catch (err) {
          const e = err as Error & { code?: string; position?: string };
          // Syntax errors, unknown tables/columns and wrong parameters will fail every retry.
          if (e.code && /^(42|22|0A)/.test(e.code)) throw new ConfigError(`config.query: ${e.message}`);
          throw err;
        }
        if (cp.schema === null) cp.schema = batch.fields.map((f) => ({ name: f.name, type: logicalType(f.dataTypeID) }));
        if (batch.rows.length === 0) break;
        cp.bytes += await ctx.staging.writePart(dir, cp.parts, batch.rows);
        cp.parts += 1;
        cp.rows += batch.rows.length;
        ctx.stats.rowsIn = cp.rows;
        ctx.stats.rowsOut = cp.rows;
        ctx.commit({ ...cp });
        if (batch.rows.length < batchSize) break;
      }
    } finally {
      await new Promise<void>((resolve) => cursor.close(() => resolve()));
    }
  } finally {
    await client.end().catch(() => undefined);
  }
  const dataset = await ctx.staging.seal(dir, { rows: cp.rows, bytes: cp.bytes, parts: cp.parts, schema: cp.schema ?? [] });
  return { outputs: { dataset, rows: cp.rows } };
};
