// GET /runs/:runId: the workflow's progress query, corrected by the execution status and
// overlaid with the server's view of in-flight node activities.
import { WorkflowFailedError, type Client, type WorkflowExecutionDescription, type WorkflowHandle } from '@temporalio/client';
import { progressQuery, SLUICE_PIPELINE, SLUICE_STATUS, type RunProgress } from '../../workflows/messages.js';
import { UnavailableError } from '../errors.js';
import type { NodeView, RunView } from '../schemas.js';
import { describeRun, type DescribedRun } from './describe.js';
import { overlayPendingActivities } from './pending.js';
import { runStatus } from './status.js';

/** How long a progress query may take before the run is reported without it. */
const QUERY_DEADLINE_MS = { open: 5_000, closed: 3_000 };

/** What the API records on the workflow at start, so a closed run can be described without a worker. */
export interface RunMemo {
  pipeline: string;
  version: number;
}

async function queryProgress(client: Client, handle: WorkflowHandle, timeoutMs: number): Promise<RunProgress | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await client.connection.withDeadline(deadline, () => handle.query(progressQuery));
    } catch {
      // A query racing the run's first workflow task fails; anything else (no worker) runs out the clock.
      if (Date.now() + 200 >= deadline) return null;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function closedRunError(handle: WorkflowHandle): Promise<string | null> {
  try {
    await handle.result();
    return null;
  } catch (err) {
    if (err instanceof WorkflowFailedError) return err.cause?.message ?? err.message;
    throw err;
  }
}

function fromProgress(p: RunProgress): RunView {
  const nodes: Record<string, NodeView> = {};
  for (const [id, n] of Object.entries(p.nodes)) nodes[id] = { ...n, stats: { ...n.stats } };
  return { ...p, nodes };
}

/** A closed run whose progress no worker answered: what the execution itself says. */
async function fromExecution(runId: string, handle: WorkflowHandle, desc: WorkflowExecutionDescription): Promise<RunView> {
  const memo = (desc.memo ?? {}) as Partial<RunMemo>;
  return {
    runId,
    pipeline: memo.pipeline ?? desc.typedSearchAttributes.get(SLUICE_PIPELINE) ?? '',
    version: memo.version ?? 0,
    status: 'failed',
    startedAt: desc.startTime.toISOString(),
    endedAt: desc.closeTime?.toISOString() ?? null,
    error: await closedRunError(handle),
    nodes: {},
  };
}

/** The run's current view; throws NotFoundError for an unknown run. */
/** `described`: the run already described by the caller (the scope check), so it is not fetched twice. */
export async function getRunView(client: Client, runId: string, described?: DescribedRun): Promise<RunView> {
  const { handle, desc } = described ?? (await describeRun(client, runId));
  const open = desc.status.name === 'RUNNING' || desc.status.name === 'PAUSED';
  const status = runStatus(desc.status.name, desc.typedSearchAttributes.get(SLUICE_STATUS));

  // A completed run's result is its final progress, and needs no worker to read.
  const progress =
    desc.status.name === 'COMPLETED'
      ? ((await handle.result()) as RunProgress)
      : await queryProgress(client, handle, open ? QUERY_DEADLINE_MS.open : QUERY_DEADLINE_MS.closed);

  if (!progress) {
    if (open) {
      throw new UnavailableError(
        `run ${runId} is ${status} but no worker answered its progress query; is a worker polling task queue ${desc.taskQueue}?`,
      );
    }
    const fallback = await fromExecution(runId, handle, desc);
    return { ...fallback, status, error: status === 'failed' ? fallback.error : null };
  }

  const view = fromProgress(progress);
  if (!open) {
    // Open, the workflow's own status is the freshest; closed, the execution has the last word.
    view.status = status;
    view.endedAt ??= desc.closeTime?.toISOString() ?? null;
    // Terminated or timed out: the workflow never recorded why, the execution's failure says.
    if (status === 'failed' && !view.error) view.error = await closedRunError(handle);
  } else {
    await overlayPendingActivities(client, desc, view.nodes);
  }
  return view;
}
