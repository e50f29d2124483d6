// GET /runs: runs from Temporal visibility, newest first.
import type { Client } from '@temporalio/client';
import { SLUICE_PIPELINE, SLUICE_STATUS } from '../../workflows/messages.js';
import type { RunSummary } from '../schemas.js';
import { scheduleFacts } from './scheduled.js';
import { runStatus } from './status.js';
import { visibilityQuery, type RunFilter } from './visibility.js';

export async function listRuns(
  client: Client,
  filter: RunFilter & { limit: number },
): Promise<RunSummary[]> {
  const runs: RunSummary[] = [];
  if (filter.within?.length === 0) return runs;
  const query = visibilityQuery(filter);
  for await (const wf of client.workflow.list({ query, pageSize: Math.min(filter.limit, 1000) })) {
    runs.push({
      runId: wf.workflowId,
      pipeline: wf.typedSearchAttributes.get(SLUICE_PIPELINE) ?? null,
      status: runStatus(wf.status.name, wf.typedSearchAttributes.get(SLUICE_STATUS)),
      startedAt: wf.startTime.toISOString(),
      closedAt: wf.closeTime?.toISOString() ?? null,
      ...scheduleFacts(wf.typedSearchAttributes),
    });
    if (runs.length >= filter.limit) break;
  }
  // Visibility stores may order open and closed runs differently; the contract is newest first.
  return runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}
