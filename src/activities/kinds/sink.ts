// Runs a sink node: hands the input dataset to the connector's writer part by part (COPY text
// parts in small groups, to writers that take them as they are). The writer commits each part
// exactly once (a ledger, or a deterministic object name); the checkpoint only saves it from
// re-reading parts already loaded.
import type { BadRecord, CopyPart, SinkNodeType } from '../../kit/contract.js';
import type { NodeRunner } from '../context.js';
import { DeadLetters, type DeadLetterCheckpoint } from '../dead-letter.js';
import { countRows, decodeCopyText } from '../../kit/copy-text.js';
import { restore } from './checkpoint.js';
import { connectorContext } from './connector-context.js';

/**
 * COPY text parts are handed to a sink in groups of up to this many parts or about this many
 * bytes; the sink may commit a group at once. A pause lands between groups.
 */
const GROUP_PARTS = 10;
const GROUP_BYTES = 4 * 1024 * 1024;

/** What loading one group (or one part) did. */
interface Loaded {
  /** The part after the group. */
  next: number;
  rows: number;
  skipped: number;
  rejected?: BadRecord[] | undefined;
}

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
      ...connectorContext(ctx),
      schema: input.schema,
    });
    const writeCopy = input.format === 'pgcopy' ? writer.writeCopy?.bind(writer) : undefined;
    // Groups may load side by side when the writer allows it; their results are taken into the
    // checkpoint in part order only, so it always describes a prefix of the dataset.
    const width = writeCopy === undefined ? 1 : Math.max(1, writer.copyConcurrency ?? 1);

    /**
     * Starts loading the parts from `first` on: a group of COPY text parts (up to GROUP_PARTS /
     * GROUP_BYTES, read before it starts) when the writer takes them, else one part as rows.
     */
    const start = async (first: number): Promise<{ next: number; done: Promise<Loaded> }> => {
      if (writeCopy === undefined) {
        const done = (async () => {
          const rows = await ctx.staging.readPart(input, first);
          const result = await writer.write(first, rows);
          return { next: first + 1, rows: rows.length, skipped: result.skipped ? 1 : 0, rejected: result.rejected };
        })();
        return { next: first + 1, done };
      }
      const group: CopyPart[] = [];
      let bytes = 0;
      for (let index = first; index < input.parts && group.length < GROUP_PARTS && (group.length === 0 || bytes < GROUP_BYTES); index++) {
        const data = await ctx.staging.readEncodedPart(input, index);
        group.push({ index, data, rows: countRows(data), decode: () => decodeCopyText(data, input.schema, `part ${index}`) });
        bytes += data.length;
      }
      const next = first + group.length;
      const done = writeCopy(group).then((result) => ({ next, rows: group.reduce((n, p) => n + p.rows, 0), skipped: result.skipped, rejected: result.rejected }));
      return { next, done };
    };

    const finished = new Map<number, Loaded>();
    const running = new Set<Promise<void>>();
    const failures: unknown[] = [];
    /** Takes finished groups that continue the checkpoint's prefix into it. */
    const fold = async () => {
      for (let loaded = finished.get(cp.part); loaded !== undefined; loaded = finished.get(cp.part)) {
        finished.delete(cp.part);
        const rejected = loaded.rejected?.length ?? 0;
        await dead.add(loaded.rejected);
        cp.part = loaded.next;
        cp.rows += loaded.rows - rejected;
        cp.skipped += loaded.skipped;
        // A batch the ledger says an earlier attempt committed is not counted again.
        if (loaded.skipped === 0) ctx.count('rowsWritten', loaded.rows - rejected);
      }
      ctx.stats.rowsIn = cp.rows + dead.count;
      ctx.stats.rowsOut = cp.rows;
      ctx.commit(snapshot());
    };
    try {
      let next = cp.part;
      for (;;) {
        while (failures.length === 0 && running.size < width && next < input.parts && !ctx.stopRequested()) {
          const first = next;
          let started: Awaited<ReturnType<typeof start>>;
          try {
            started = await start(first);
          } catch (error) {
            // Reading a group failed: let the groups under way finish before failing.
            failures.push(error);
            break;
          }
          next = started.next;
          const task: Promise<void> = started.done
            .then((loaded) => void finished.set(first, loaded), (error: unknown) => void failures.push(error))
            .finally(() => running.delete(task));
          running.add(task);
        }
        if (running.size === 0) break;
        await Promise.race(running);
        await fold();
      }
      if (failures.length > 0) throw failures[0];
      if (cp.part < input.parts) return { paused: true, checkpoint: snapshot() };
      const rejectedRef = await dead.finish(cp.rows + dead.count);
      const extra = await writer.finish({ batches: input.parts, rows: cp.rows });
      return { outputs: { rows: cp.rows, batches: input.parts, skippedBatches: cp.skipped, badRows: dead.count, rejected: rejectedRef, ...extra } };
    } finally {
      await writer.close();
    }
  };
}
