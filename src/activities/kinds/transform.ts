// Runs a transform node: one input part to one output part, so a resumed or retried execution
// continues at the next part and rewrites nothing already staged. The output is Avro, except
// that a transform of a COPY text dataset stays COPY text when its output types allow (and a
// column-only one moves the parts without decoding them).
import type { TransformNodeType } from '../../kit/contract.js';
import type { NodeRunner } from '../context.js';
import type { DatasetRef, PartFormat } from '../../kit/dataset.js';
import { DeadLetters, type DeadLetterCheckpoint } from '../dead-letter.js';
import { copyEncodable, encodeCopyText, mapCopyText } from '../../kit/copy-text.js';
import { DataError } from '../../kit/errors.js';
import { restore } from './checkpoint.js';

interface TransformCheckpoint extends Partial<DeadLetterCheckpoint> {
  part: number;
  rowsIn: number;
  rows: number;
  bytes: number;
}

/**
 * Rows of part `index` of a dataset passed through unchanged, spread evenly over its parts: the
 * progress of a shared part without reading it. The parts add up to the dataset's exact count.
 */
function partRows(input: DatasetRef, index: number): number {
  const upTo = (i: number) => Math.floor((input.rows * i) / input.parts);
  return upTo(index + 1) - upTo(index);
}

export function transformRunner(node: TransformNodeType): NodeRunner<unknown> {
  return async (ctx) => {
    const input = ctx.inputDataset((ctx.config as { input?: string }).input);
    const dir = ctx.staging.datasetDir(ctx.runId, ctx.nodeId);
    const cp = restore<TransformCheckpoint>({ part: 0, rowsIn: 0, rows: 0, bytes: 0 }, ctx.checkpoint);
    const dead = new DeadLetters(ctx, ctx.limits, cp);
    const snapshot = (): TransformCheckpoint => ({ ...cp, ...dead.checkpoint() });
    const prepared = node.prepare(ctx.config, input.schema);
    // COPY text stays COPY text (a Postgres load then takes it as it is), when the output's types allow.
    const format: PartFormat = input.format === 'pgcopy' && copyEncodable(prepared.schema) ? 'pgcopy' : 'avro';
    if (prepared.restore) {
      for (let part = 0; part < cp.part; part++) prepared.restore(await ctx.staging.readPartAt(dir, part, format, prepared.schema));
    }
    ctx.stats.rowsIn = cp.rowsIn;
    ctx.stats.rowsOut = cp.rows;
    // COPY text input through a transform that only renames, drops, reorders or casts columns one
    // by one: rewrite the encoded parts field by field (or, when only names change, link them).
    const steps = format === 'pgcopy' ? prepared.columns : undefined;
    const identity = steps !== undefined && steps.length === input.schema.length && steps.every((c, i) => c.from === i && c.cast === undefined);
    for (let part = cp.part; part < input.parts; part++) {
      if (ctx.stopRequested()) return { paused: true, checkpoint: snapshot() };
      let rowsIn: number;
      let rowsOut: number;
      if (identity) {
        // Only names change, and they live in the reference: the store links or copies the part, unread.
        cp.bytes += await ctx.staging.copyPart(input, part, dir);
        rowsIn = rowsOut = partRows(input, part);
      } else if (steps !== undefined) {
        const first = cp.rowsIn;
        const out = mapCopyText(await ctx.staging.readEncodedPart(input, part), input.schema, prepared.schema, steps, `part ${part}`, (err) => err instanceof DataError);
        cp.bytes += await ctx.staging.writeEncodedPart(dir, part, 'pgcopy', out.data);
        await dead.add(out.bad.map((b) => ({ reason: b.reason, position: `part ${part} row ${first + b.line}`, record: b.row })));
        rowsIn = out.rowsIn;
        rowsOut = out.rowsOut;
      } else {
        const rows = await ctx.staging.readPart(input, part);
        const first = cp.rowsIn;
        const out = prepared.apply(rows, (i) => `part ${part} row ${first + i + 1}`);
        cp.bytes +=
          format === 'pgcopy'
            ? await ctx.staging.writeEncodedPart(dir, part, 'pgcopy', encodeCopyText(out.rows, prepared.schema, `part ${part}`))
            : await ctx.staging.writePart(dir, part, out.rows, prepared.schema);
        await dead.add(out.bad);
        rowsIn = rows.length;
        rowsOut = out.rows.length;
      }
      cp.part = part + 1;
      cp.rowsIn += rowsIn;
      cp.rows += rowsOut;
      ctx.count('rowsWritten', rowsOut);
      ctx.stats.rowsIn = cp.rowsIn;
      ctx.stats.rowsOut = cp.rows;
      ctx.commit(snapshot());
    }
    const rejected = await dead.finish(cp.rowsIn);
    const dataset = await ctx.staging.seal(dir, {
      rows: cp.rows,
      bytes: cp.bytes,
      parts: input.parts,
      schema: prepared.schema,
      ...(format === 'pgcopy' ? { format } : {}),
    });
    return { outputs: { dataset, rows: cp.rows, badRows: dead.count, rejected } };
  };
}
