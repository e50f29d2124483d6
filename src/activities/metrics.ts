// What the executor and node runners report to a worker's metrics (src/worker/metrics.ts serves them).

/** What a node attempt can count as it commits work. */
export type NodeCount = 'rowsRead' | 'rowsWritten' | 'bytesRead' | 'bytesWritten' | 'badRecords';

/** The executor's view of a worker's metrics. */
export interface NodeMetrics {
  /** An attempt began: `attempt` > 1 is a retry. */
  attemptStarted(type: string, site: string, attempt: number): void;
  /** An attempt ended: succeeded, paused (a checkpoint handed back) or failed. */
  attemptEnded(type: string, site: string, outcome: 'succeeded' | 'paused' | 'failed', seconds: number): void;
  count(type: string, site: string, what: NodeCount, n: number): void;
}
