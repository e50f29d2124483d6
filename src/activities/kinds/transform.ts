// Runs a transform node: one input part to one output part, so a resumed or retried execution
// continues at the next part and rewrites nothing already staged.
import type { TransformNodeType } from '../connector.js';
import type { NodeRunner } from '../context.js';
import { DeadLetters, type DeadLetterCheckpoint } from '../dead-letter.js';
import { restore } from './checkpoint.js';

interface TransformCheckpoint extends Partial<DeadLetterCheckpoint> {
  part: number;
  rowsIn: number;
  rows: number;
  bytes: number;
}

export function transformRunner(node: TransformNodeType): NodeRunner<unknown> {
  return async (ctx) => {
    const input = ctx.inputDataset((ctx.config as { input?: string }).input);
    const dir = ctx.staging.datasetDir(ctx.runId, ctx.nodeId);
    const cp = restore<TransformCheckpoint>({ part: 0, rowsIn: 0, rows: 0, bytes: 0 }, ctx.checkpoint);
    const dead = new DeadLetters(ctx, ctx.limits, cp);
    const snapshot = (): TransformCheckpoint => ({ ...cp, ...dead.checkpoint() });
    const prepared = node.prepare(ctx.config, input.schema);
    if (prepared.restore) {
      for (let part = 0; part < cp.part; part++) prepared.restore(await ctx.staging.readPartAt(dir, part));
    }
    ctx.stats.rowsIn = cp.rowsIn;
    ctx.stats.rowsOut = cp.rows;
    for (let part = cp.part; part < input.parts; part++) {
      if (ctx.stopRequested()) return { paused: true, checkpoint: snapshot() };
      const rows = await ctx.staging.readPart(input, part);
      const first = cp.rowsIn;
      const out = prepared.apply(rows, (i) => `part ${part} row ${first + i + 1}`);
      cp.bytes += await ctx.staging.writePart(dir, part, out.rows, prepared.schema);
      await dead.add(out.bad);
      cp.part = part + 1;
      cp.rowsIn += rows.length;
      cp.rows += out.rows.length;
      ctx.stats.rowsIn = cp.rowsIn;
      ctx.stats.rowsOut = cp.rows;
      ctx.commit(snapshot());
    }
    const rejected = await dead.finish(cp.rowsIn);
    const dataset = await ctx.staging.seal(dir, { rows: cp.rows, bytes: cp.bytes, parts: input.parts, schema: prepared.schema });
    return { outputs: { dataset, rows: cp.rows, badRows: dead.count, rejected } };
  };
}
