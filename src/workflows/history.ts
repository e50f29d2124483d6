// The run's side of the durable run history: writes of its record (sluice.recordRun, a central
// activity) as its status changes and as it closes. A write never holds up the run (each is awaited
// only before the run closes or continues as new) and never fails it: a history that cannot be
// written is logged. Writes carry a sequence number carried across continue-as-new, so the store
// keeps the latest whatever order they land in. Deterministic code only.
import * as wf from '@temporalio/workflow';
import { RECORD_RUN_ACTIVITY, type RunRecordInput } from './messages.js';
import { ERROR_TYPES } from './node-task.js';

/** Guards the history writes (runs recorded before them never write). */
export const RUN_HISTORY_PATCH = 'run-history';

type RecordActivity = (input: RunRecordInput) => Promise<unknown>;

export class RunRecorder {
  private readonly pending: Promise<void>[] = [];
  private readonly send: RecordActivity;

  constructor(private seq: number) {
    this.send = wf.proxyActivities<Record<string, RecordActivity>>({
      summary: 'record the run',
      startToCloseTimeout: 30_000,
      retry: { initialInterval: 1000, backoffCoefficient: 2, maximumInterval: 10_000, maximumAttempts: 6, nonRetryableErrorTypes: [ERROR_TYPES.config] },
    })[RECORD_RUN_ACTIVITY]!;
  }

  /** The last sequence number used (carried across continue-as-new). */
  get lastSeq(): number {
    return this.seq;
  }

  record(write: Omit<RunRecordInput, 'seq'>): void {
    const input: RunRecordInput = { ...write, seq: ++this.seq };
    this.pending.push(
      wf.CancellationScope.nonCancellable(async () => {
        try {
          await this.send(input);
        } catch (err) {
          wf.log.warn('run history not written', { runId: input.runId, status: input.status, error: err instanceof wf.ActivityFailure && err.cause ? err.cause.message : String(err) });
        }
      }),
    );
  }

  /** Waits for every write so far (before the run closes or continues as new). */
  async flush(): Promise<void> {
    while (this.pending.length > 0) await Promise.all(this.pending.splice(0));
  }
}
