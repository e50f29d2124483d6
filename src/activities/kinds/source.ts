// Runs a source node: stages each batch the connector reads as the next dataset part and
// commits the connector's cursor with it, so a pause, retry or crash resumes after the last
// staged batch without reading it again.
import type { SourceNodeType } from '../connector.js';
import type { NodeRunner } from '../context.js';
import { DeadLetters, type DeadLetterCheckpoint } from '../dead-letter.js';
import type { ColumnSchema } from '../staging.js';
import { restore } from './checkpoint.js';

interface SourceCheckpoint extends Partial<DeadLetterCheckpoint> {
  cursor: unknown;
  rows: number;
  parts: number;
  bytes: number;
  schema: ColumnSchema[] | null;
  state: unknown;
}

export function sourceRunner(node: SourceNodeType): NodeRunner<unknown> {
  return async (ctx) => {
    const cp = restore<SourceCheckpoint>({ cursor: undefined, rows: 0, parts: 0, bytes: 0, schema: null, state: undefined }, ctx.checkpoint);
    const dir = ctx.staging.datasetDir(ctx.runId, ctx.nodeId);
    const dead = new DeadLetters(ctx, ctx.limits, cp);
    const snapshot = (): SourceCheckpoint => ({ ...cp, ...dead.checkpoint() });
    ctx.stats.rowsIn = cp.rows + dead.count;
    ctx.stats.rowsOut = cp.rows;
    if (ctx.stopRequested()) return { paused: true, checkpoint: snapshot() };

    const batches = node.read(ctx.config, {
      runId: ctx.runId,
      pipeline: ctx.pipeline,
      nodeId: ctx.nodeId,
      attempt: ctx.attempt,
      log: ctx.log,
      signal: ctx.signal,
      cursor: cp.cursor,
      state: ctx.state,
      setState: (state) => {
        cp.state = state;
      },
    });
    for await (const batch of batches) {
      if (batch.schema && cp.schema === null) cp.schema = batch.schema;
      if (batch.rows.length > 0) {
        if (cp.schema === null) throw new Error(`connector of ${ctx.nodeId} returned rows without a schema`);
        cp.bytes += await ctx.staging.writePart(dir, cp.parts, batch.rows, cp.schema);
        cp.parts += 1;
        cp.rows += batch.rows.length;
      }
      await dead.add(batch.bad);
      cp.cursor = batch.cursor;
      ctx.stats.rowsIn = cp.rows + dead.count;
      ctx.stats.rowsOut = cp.rows;
      ctx.commit(snapshot());
      // Leaving the loop closes the connector's iterator (its finally blocks run).
      if (ctx.stopRequested()) return { paused: true, checkpoint: snapshot() };
    }
    const rejected = await dead.finish(cp.rows + dead.count);
    const dataset = await ctx.staging.seal(dir, { rows: cp.rows, bytes: cp.bytes, parts: cp.parts, schema: cp.schema ?? [] });
    return {
      outputs: { dataset, rows: cp.rows, badRows: dead.count, rejected, ...(cp.state === undefined ? {} : { state: cp.state }) },
    };
  };
}
