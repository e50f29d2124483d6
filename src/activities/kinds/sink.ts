// Runs a sink node: hands the input dataset to the connector's writer part by part. The writer
// commits each part exactly once (a ledger, or a deterministic object name); the checkpoint
// only saves it from re-reading parts already loaded.
import type { SinkNodeType } from '../connector.js';
import type { NodeRunner } from '../context.js';
import { DeadLetters, type DeadLetterCheckpoint } from '../dead-letter.js';
import { restore } from './checkpoint.js';

interface SinkCheckpoint extends Partial<DeadLetterCheckpoint> {
  part: number;
  rows: number;
  skipped: number;
}

export function sinkRunner(node: SinkNodeType): NodeRunner<unknown> {
  return async (ctx) => {
    const input = ctx.inputDataset((ctx.config as { input?: string }).input);
    const cp = restore<SinkCheckpoint>({ part: 0, rows: 0, skipped: 0 }, ctx.checkpoint);
    const dead = new DeadLetters(ctx, ctx.limits, cp);
    const snapshot = (): SinkCheckpoint => ({ ...cp, ...dead.checkpoint() });
    ctx.stats.rowsIn = cp.rows + dead.count;
    ctx.stats.rowsOut = cp.rows;
    if (ctx.stopRequested()) return { paused: true, checkpoint: snapshot() };
    const writer = await node.open(ctx.config, {
      runId: ctx.runId,
      pipeline: ctx.pipeline,
      nodeId: ctx.nodeId,
      attempt: ctx.attempt,
      log: ctx.log,
      signal: ctx.signal,
      schema: input.schema,
    });
    try {
      for (let part = cp.part; part < input.parts; part++) {
        if (ctx.stopRequested()) return { paused: true, checkpoint: snapshot() };
        const rows = await ctx.staging.readPart(input, part);
        const result = await writer.write(part, rows);
        const rejected = result.rejected?.length ?? 0;
        await dead.add(result.rejected);
        cp.part = part + 1;
        cp.rows += rows.length - rejected;
        if (result.skipped) cp.skipped += 1;
        ctx.stats.rowsIn = cp.rows + dead.count;
        ctx.stats.rowsOut = cp.rows;
        ctx.commit(snapshot());
      }
      const rejectedRef = await dead.finish(cp.rows + dead.count);
      const extra = await writer.finish({ batches: input.parts, rows: cp.rows });
      return { outputs: { rows: cp.rows, batches: input.parts, skippedBatches: cp.skipped, badRows: dead.count, rejected: rejectedRef, ...extra } };
    } finally {
      await writer.close();
    }
  };
}
