// The interpreter workflow: runs a validated pipeline spec as a DAG of node activities. The run's
// state and scheduling live in PipelineRun (run.ts); this function only wires its messages.
import * as wf from '@temporalio/workflow';
import { nodesQuery, pauseSignal, progressQuery, resumeSignal, retryUpdate, type RunInput, type RunResult } from './messages.js';
import type { RunCarry } from './carry.js';
import { PipelineRun } from './run.js';

/** Runs one pipeline: nodes in dependency order, up to maxParallel at once, pausable mid-node, retryable in place. */
export async function runPipeline(input: RunInput, carry?: RunCarry): Promise<RunResult> {
  const run = new PipelineRun(input, carry);
  wf.setHandler(progressQuery, () => run.progress());
  wf.setHandler(nodesQuery, (request) => run.nodesPage(request));
  wf.setHandler(pauseSignal, () => run.pause());
  wf.setHandler(resumeSignal, () => run.resume());
  wf.setHandler(retryUpdate, (request) => run.retry(request), { validator: (request) => run.validateRetry(request) });
  return await run.execute();
}
