// Runs the checkPipeline workflow and waits for its result: shared by the API and `sluice check`.
import crypto from 'node:crypto';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { TimeoutFailure } from '@temporalio/common';
import type { checkPipeline } from '../../workflows/check.js';
import { CHECK_WORKFLOW_TYPE, DEFAULT_CHECK_TIMEOUT_MS, SLUICE_PIPELINE, type CheckInput, type CheckResult } from '../../workflows/messages.js';

/** The check never started: no central worker ran the checkPipeline workflow in time. */
export class CheckNotRunError extends Error {
  override name = 'CheckNotRunError';
}

export function newCheckId(pipeline: string): string {
  return `check-${pipeline}-${crypto.randomBytes(6).toString('hex')}`;
}

/** Starts checkPipeline on the central task queue and resolves with every node's result. */
export async function runCheck(client: Client, taskQueue: string, input: CheckInput): Promise<{ checkId: string; result: CheckResult }> {
  const timeoutMs = input.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  // A node waits at most timeoutMs for a worker and timeoutMs (+5s) for its answer; the margin
  // covers the workflow's own tasks. Without a central worker the caller hears so, not silence.
  const executionTimeoutMs = 2 * timeoutMs + 15_000;
  const n = input.spec.nodes.length;
  const handle = await client.workflow.start<typeof checkPipeline>(CHECK_WORKFLOW_TYPE, {
    taskQueue,
    workflowId: newCheckId(input.pipeline),
    args: [input],
    workflowExecutionTimeout: executionTimeoutMs,
    typedSearchAttributes: [{ key: SLUICE_PIPELINE, value: input.pipeline }],
    staticSummary: `check ${input.pipeline} v${input.version} · ${n} node${n === 1 ? '' : 's'}`,
  });
  try {
    const result = await handle.result();
    return { checkId: handle.workflowId, result };
  } catch (err) {
    if (err instanceof WorkflowFailedError && err.cause instanceof TimeoutFailure) {
      throw new CheckNotRunError(`no central worker on task queue ${taskQueue} finished the check within ${executionTimeoutMs / 1000}s`);
    }
    throw err;
  }
}
