// Bad records of a node: written to a dead-letter dataset next to the node's output, counted in
// its stats, and fatal only past the node's maxBadRecords / maxBadRatio.
import type { NodeLimits } from '../workflows/node-task.js';
import type { BadRecord } from '../kit/contract.js';
import type { NodeContext } from './context.js';
import { DataError } from '../kit/errors.js';
import { scrubDeep } from './errors.js';
import type { ColumnSchema, DatasetRef } from '../kit/dataset.js';

export interface DeadLetterCheckpoint {
  bad: number;
  badParts: number;
  badBytes: number;
}

const SCHEMA: ColumnSchema[] = [
  { name: 'reason', type: 'text' },
  { name: 'position', type: 'text' },
  { name: 'record', type: 'json' },
];

export class DeadLetters {
  private readonly dir: string;
  private state: DeadLetterCheckpoint;

  constructor(
    private readonly ctx: NodeContext<unknown>,
    private readonly limits: NodeLimits,
    restored: Partial<DeadLetterCheckpoint> | undefined,
  ) {
    this.dir = ctx.staging.datasetDir(ctx.runId, ctx.nodeId, '_rejected');
    this.state = { bad: restored?.bad ?? 0, badParts: restored?.badParts ?? 0, badBytes: restored?.badBytes ?? 0 };
    ctx.stats.badRows = this.state.bad;
  }

  get count(): number {
    return this.state.bad;
  }

  checkpoint(): DeadLetterCheckpoint {
    return { ...this.state };
  }

  /** Stages `bad` and fails the node once their number passes maxBadRecords. */
  async add(bad: readonly BadRecord[] | undefined): Promise<void> {
    if (!bad || bad.length === 0) return;
    // A reason or a record may quote what a source answered; secret values never reach the dataset.
    const rows = scrubDeep(
      bad.map((b) => ({ reason: b.reason, position: b.position, record: b.record ?? null })),
      this.ctx.secrets,
    );
    this.state.badBytes += await this.ctx.staging.writePart(this.dir, this.state.badParts, rows, SCHEMA);
    this.state.badParts += 1;
    this.ctx.count('badRecords', bad.length);
    this.state.bad += bad.length;
    this.ctx.stats.badRows = this.state.bad;
    const max = this.limits.maxBadRecords;
    if (max !== null && this.state.bad > max) {
      throw new DataError(`${this.state.bad} bad records, more than maxBadRecords (${max}); first in this batch: ${rows[0]!.position}: ${rows[0]!.reason}`);
    }
  }

  /** Checks the ratio once the total is known, and returns the dead-letter dataset (null if empty). */
  async finish(total: number): Promise<DatasetRef | null> {
    const ratio = this.limits.maxBadRatio;
    if (ratio !== null && total > 0 && this.state.bad / total > ratio) {
      throw new DataError(`${this.state.bad} of ${total} records were bad (${((100 * this.state.bad) / total).toFixed(2)}%), more than maxBadRatio ${ratio}`);
    }
    if (this.state.bad === 0) return null;
    return this.ctx.staging.seal(this.dir, { rows: this.state.bad, bytes: this.state.badBytes, parts: this.state.badParts, schema: SCHEMA });
  }
}
