// The sampleRejected workflow: reads a sample of a central node's rejected records on a central
// worker, whose staging store holds them. Started by the API, on the central task queue; short.
import * as wf from '@temporalio/workflow';
import { REJECTED_SAMPLE_ACTIVITY, REJECTED_SAMPLE_TIMEOUT_MS, type RejectedSampleInput, type RejectedSampleResult } from './messages.js';

type SampleActivity = (input: RejectedSampleInput) => Promise<RejectedSampleResult>;

/** The first `input.limit` rejected records of the node, read by a central worker. */
export async function sampleRejected(input: RejectedSampleInput): Promise<RejectedSampleResult> {
  const read = wf.proxyActivities<Record<string, SampleActivity>>({
    summary: `rejected records of ${input.nodeId}`,
    // The workflow's own execution timeout bounds the wait for a worker; a read is a few parts.
    startToCloseTimeout: REJECTED_SAMPLE_TIMEOUT_MS / 2,
    retry: { maximumAttempts: 2, initialInterval: '500ms' },
  })[REJECTED_SAMPLE_ACTIVITY]!;
  return read(input);
}
