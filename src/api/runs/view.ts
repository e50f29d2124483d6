// GET /runs/:runId: the workflow's progress query, corrected by the execution status and
// overlaid with the server's view of in-flight node activities. When no worker answers the query
// in time, the view is built from the run's history instead and marked stale, so the route
// answers within a second whether or not a worker polls.
import { isGrpcServiceError, WorkflowFailedError, type Client, type WorkflowExecutionDescription, type WorkflowHandle } from '@temporalio/client';
import { PROGRESS_NODE_LIMIT, progressQuery, SLUICE_PIPELINE, SLUICE_STATUS, TEMPORAL_SCHEDULED_START_TIME, type RunProgress } from '../../workflows/messages.js';
import { NODE_STATES, type NodeState } from '../../dag/vocabulary.js';
import { NotFoundError } from '../errors.js';
import type { NodeView, RunView } from '../schemas.js';
import { describeRun, type DescribedRun } from './describe.js';
import { readRunHistory } from './history.js';
import { buildHistoryView } from './history-view.js';
import { hasPollers, overlayPendingActivities, slotWaiting } from './pending.js';
import { runStatus } from './status.js';
import { overlayRunningChunks } from './chunks.js';

/**
 * How long the progress query may take before the view is built from history instead. A worker
 * answers in milliseconds; without one the query only runs out this clock, so it is kept short
 * enough that the whole request (describe, query, history, pending activities) stays under a second.
 */
export const QUERY_DEADLINE_MS = 400;
/**
 * A query still unanswered after this long starts the history read alongside it, so a long history
 * (~0.5 s for 10,000 events here) is not read only after the query's whole deadline. A worker that
 * has the run cached answers well within it, so a healthy run costs no history read.
 */
export const HISTORY_HEDGE_MS = 150;

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
      if (Date.now() + 100 >= deadline) return null;
      await new Promise((r) => setTimeout(r, 100));
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

const GRPC_NOT_FOUND = 5;

/** The run as Temporal's history, search attributes and memo tell it, without any worker. */
async function fromHistory(client: Client, runId: string, desc: WorkflowExecutionDescription, open: boolean): Promise<RunView> {
  const memo = (desc.memo ?? {}) as Partial<RunMemo>;
  const [history, polled] = await Promise.all([
    readRunHistory(client, { workflowId: desc.workflowId, runId: desc.runId }).catch((err: unknown) => {
      // Removed since it was described (retention, a delete): as unknown as any other id.
      if (isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND) throw new NotFoundError(`run ${runId} not found`);
      throw err;
    }),
    open ? hasPollers(client, desc.taskQueue, 'workflow') : true,
  ]);
  return buildHistoryView(
    client,
    {
      runId,
      status: runStatus(desc.status.name, desc.typedSearchAttributes.get(SLUICE_STATUS)),
      open,
      taskQueue: desc.taskQueue,
      startedAt: desc.startTime,
      endedAt: desc.closeTime ?? null,
      pipeline: typeof memo.pipeline === 'string' ? memo.pipeline : (desc.typedSearchAttributes.get(SLUICE_PIPELINE) ?? null),
      version: typeof memo.version === 'number' ? memo.version : null,
      scheduledAt: desc.typedSearchAttributes.get(TEMPORAL_SCHEDULED_START_TIME) ?? null,
    },
    history,
    polled ? undefined : `no worker is polling task queue ${desc.taskQueue}, where the run's workflow schedules its nodes`,
  );
}

/** The run's current view; throws NotFoundError for an unknown run. */
/** `described`: the run already described by the caller (the scope check), so it is not fetched twice. */
export async function getRunView(client: Client, runId: string, described?: DescribedRun): Promise<RunView> {
  return bounded(await getFullRunView(client, runId, described));
}

/**
 * A view built here (from history) holds every node; one from the workflow is already bounded. Past
 * PROGRESS_NODE_LIMIT nodes, keep the summary and the active nodes, as the workflow does.
 */
function bounded(view: RunView): RunView {
  const entries = Object.entries(view.nodes);
  const byState = Object.fromEntries(NODE_STATES.map((s) => [s, 0])) as Record<NodeState, number>;
  let rowsIn = 0;
  let rowsOut = 0;
  for (const [, n] of entries) {
    byState[n.state]++;
    rowsIn += n.stats.rowsIn ?? 0;
    rowsOut += n.stats.rowsOut ?? 0;
  }
  view.summary ??= { nodes: entries.length, byState, rowsIn, rowsOut, segments: 1 };
  if (view.detail === 'partial' || entries.length <= PROGRESS_NODE_LIMIT) {
    view.detail ??= 'all';
    return view;
  }
  const active = entries.filter(([, n]) => n.state === 'running' || n.state === 'paused' || n.state === 'failed').slice(0, PROGRESS_NODE_LIMIT);
  return { ...view, nodes: Object.fromEntries(active), detail: 'partial' };
}

/** The run's view with every node it knows (the workflow's answer is bounded already; GET /runs/{id}/nodes pages a history view with it). */
export async function getFullRunView(client: Client, runId: string, described?: DescribedRun): Promise<RunView> {
  const { handle, desc } = described ?? (await describeRun(client, runId));
  const open = desc.status.name === 'RUNNING' || desc.status.name === 'PAUSED';
  const status = runStatus(desc.status.name, desc.typedSearchAttributes.get(SLUICE_STATUS));

  let view: RunView;
  if (desc.status.name === 'COMPLETED') {
    // A completed run's result is its final progress, and needs no worker to read.
    view = fromProgress((await handle.result()) as RunProgress);
  } else {
    let fallback: Promise<RunView> | null = null;
    const hedge = setTimeout(() => {
      fallback = fromHistory(client, runId, desc, open);
      fallback.catch(() => undefined); // awaited below when it is used; a query's answer makes it moot
    }, HISTORY_HEDGE_MS);
    const progress = await queryProgress(client, handle, QUERY_DEADLINE_MS);
    clearTimeout(hedge);
    if (progress) {
      view = fromProgress(progress);
    } else {
      view = await (fallback ?? fromHistory(client, runId, desc, open));
      view.stale = true;
    }
  }
  if (!open) {
    // Open, the workflow's own status is the freshest; closed, the execution has the last word.
    view.status = status;
    view.endedAt ??= desc.closeTime?.toISOString() ?? null;
    // Terminated or timed out: the workflow never recorded why, the execution's failure says.
    if (status === 'failed' && !view.error) view.error = await closedRunError(handle);
    if (status !== 'failed') view.error = null;
  } else {
    await Promise.all([overlayPendingActivities(client, desc, view.nodes), overlayRunningChunks(client, view.nodes)]);
    if (view.status === 'queued') view.waiting = (await slotWaiting(client, desc)) ?? view.waiting ?? 'waits for a concurrency slot';
  }
  if (view.status !== 'queued') delete view.waiting;
  return view;
}
