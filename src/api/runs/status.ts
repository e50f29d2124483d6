// A run's status from what Temporal knows: the execution status decides once the run is closed
// (a terminated run never got to upsert its own status); while open, SluiceStatus tells running
// from queued (waiting for a concurrency slot), paused and failed (waiting in its recovery window).
import type { WorkflowExecutionStatusName } from '@temporalio/client';
import type { RunStatus } from '../../dag/vocabulary.js';

export function runStatus(execution: WorkflowExecutionStatusName, sluiceStatus: string | undefined): RunStatus {
  switch (execution) {
    case 'RUNNING':
      // A failed run stays open through its recovery window, waiting for a retry.
      return sluiceStatus === 'queued' || sluiceStatus === 'paused' || sluiceStatus === 'failed' ? sluiceStatus : 'running';
    case 'PAUSED':
      return 'paused';
    case 'COMPLETED':
      // runPipeline fails the workflow when a node fails, so a completed execution is a completed run.
      return 'completed';
    case 'CANCELLED':
      return 'cancelled';
    case 'CONTINUED_AS_NEW':
      return 'running';
    default:
      // FAILED, TERMINATED, TIMED_OUT and anything a newer server may add.
      return 'failed';
  }
}
