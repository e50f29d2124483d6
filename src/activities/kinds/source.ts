// Runs a source node: stages each batch the connector reads as the next dataset part and
// commits the connector's cursor with it, so a pause, retry or crash resumes after the last
// staged batch without reading it again.
import type { SourceNodeType } from '../../kit/contract.js';
import type { NodeRunner } from '../context.js';
import { DeadLetters, type DeadLetterCheckpoint } from '../dead-letter.js';
import type { ColumnSchema, PartFormat } from '../../kit/dataset.js';
import { restore } from './checkpoint.js';
import { connectorContext } from './connector-context.js';

interface SourceCheckpoint extends Partial<DeadLetterCheckpoint> {
  cursor: unknown;
  rows: number;
  parts: number;
  bytes: number;
  schema: ColumnSchema[] | null;
  state: unknown;
  /** Encoding of the parts staged so far (absent in checkpoints of older workers: Avro). */
  format?: PartFormat;
}

/**
 * A source may discover columns as it reads (e.g. JSON APIs): later columns are appended, earlier
 * parts keep their own schema in their files and read back with the new columns missing (null).
 */
function grow(current: ColumnSchema[], next: ColumnSchema[], nodeId: string): ColumnSchema[] {
  const known = new Map(current.map((c) => [c.name, c.type]));
  const added = next.filter((c) => !known.has(c.name));
  for (const c of next) {
    const type = known.get(c.name);
    if (type !== undefined && type !== c.type) {
      throw new Error(`node ${nodeId}: column "${c.name}" changed type from ${type} to ${c.type} between batches`);
    }
  }
  return added.length === 0 ? current : [...current, ...added];
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
      ...connectorContext(ctx),
      cursor: cp.cursor,
      state: ctx.state,
      setState: (state) => {
        cp.state = state;
      },
    });
    for await (const batch of batches) {
      if (batch.schema) cp.schema = cp.schema === null ? batch.schema : grow(cp.schema, batch.schema, ctx.nodeId);
      const rows = batch.copy ? batch.copy.rows : batch.rows.length;
      if (rows > 0) {
        if (cp.schema === null) throw new Error(`connector of ${ctx.nodeId} returned rows without a schema`);
        const format: PartFormat = batch.copy ? 'pgcopy' : 'avro';
        // One dataset, one encoding: its reference says how to read every part.
        if (cp.parts > 0 && format !== (cp.format ?? 'avro')) throw new Error(`connector of ${ctx.nodeId} mixed ${format} batches into a ${cp.format ?? 'avro'} dataset`);
        cp.format = format;
        cp.bytes += batch.copy
          ? await ctx.staging.writeEncodedPart(dir, cp.parts, 'pgcopy', batch.copy.data)
          : await ctx.staging.writePart(dir, cp.parts, batch.rows, cp.schema);
        cp.parts += 1;
        cp.rows += rows;
        ctx.count('rowsRead', rows);
        ctx.count('bytesRead', batch.copy ? batch.copy.data.length : 0);
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
    const dataset = await ctx.staging.seal(dir, {
      rows: cp.rows,
      bytes: cp.bytes,
      parts: cp.parts,
      schema: cp.schema ?? [],
      ...(cp.format === 'pgcopy' ? { format: cp.format } : {}),
    });
    return {
      outputs: { dataset, rows: cp.rows, badRows: dead.count, rejected, ...(cp.state === undefined ? {} : { state: cp.state }) },
    };
  };
}
