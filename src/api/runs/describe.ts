// Finds a run by id: a runPipeline workflow execution, or a NotFoundError.
import type { Client, WorkflowExecutionDescription, WorkflowHandle } from '@temporalio/client';
import { WORKFLOW_TYPE } from '../../workflows/messages.js';
import { NotFoundError } from '../errors.js';

export interface DescribedRun {
  handle: WorkflowHandle;
  desc: WorkflowExecutionDescription;
}

/** Describes the run's latest execution; an unknown id or another workflow type is a 404. */
export async function describeRun(client: Client, runId: string): Promise<DescribedRun> {
  const handle = client.workflow.getHandle(runId);
  const desc = await handle.describe(); // WorkflowNotFoundError -> 404 in the error handler
  if (desc.type !== WORKFLOW_TYPE) throw new NotFoundError(`run ${runId} not found`);
  return { handle, desc };
}
