// sluice.sampleRejected: the central activity that reads the first records of a central node's
// dead-letter dataset for GET /runs/{id}/nodes/{node}/rejected (the API has no staging store).
import type { StagingStore } from '../activities/staging.js';
import { readRejectedSample } from '../activities/rejected-sample.js';
import { REJECTED_SAMPLE_ACTIVITY, type RejectedSampleInput, type RejectedSampleResult } from '../workflows/messages.js';

export function rejectedActivities(staging: StagingStore): { [REJECTED_SAMPLE_ACTIVITY]: (input: RejectedSampleInput) => Promise<RejectedSampleResult> } {
  return { [REJECTED_SAMPLE_ACTIVITY]: (input) => readRejectedSample(staging, input) };
}
