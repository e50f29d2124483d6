// Overlays what Temporal knows about a run's in-flight node activities on the workflow's own
// progress: the workflow only learns attempts and row counts when an activity returns, while
// heartbeats, retries and unpolled task queues are visible on the server right away.
import proto from '@temporalio/proto';
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { nodeTaskQueue } from '../../config.js';
import { CENTRAL, FINAL_NODE_STATES } from '../../dag/vocabulary.js';
import type { NodeHeartbeat } from '../../workflows/node-task.js';
import { ACQUIRE_SLOT_ACTIVITY } from '../../workflows/messages.js';
import type { NodeView } from '../schemas.js';
import { decodeFailure, decodeFirst } from './decode.js';

const { PendingActivityState, TaskQueueType, TaskQueueKind } = proto.temporal.api.enums.v1;

function heartbeatStats(details: unknown): Record<string, number> | null {
  if (!details || typeof details !== 'object') return null;
  const hb = details as Partial<NodeHeartbeat>;
  const stats: Record<string, number> = {};
  for (const [k, v] of Object.entries(hb.stats ?? {})) if (typeof v === 'number') stats[k] = v;
  if (typeof hb.rowsIn === 'number') stats.rowsIn = hb.rowsIn;
  if (typeof hb.rowsOut === 'number') stats.rowsOut = hb.rowsOut;
  return stats;
}

/** Whether any worker polled `taskQueue` for activity (or workflow) tasks lately. */
export async function hasPollers(client: Client, taskQueue: string, kind: 'activity' | 'workflow' = 'activity'): Promise<boolean> {
  const res = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: kind === 'activity' ? TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY : TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  return (res.pollers ?? []).length > 0;
}

/** Mutates `nodes` with attempts, heartbeat stats, last failures and `waiting` from pending activities. */
export async function overlayPendingActivities(
  client: Client,
  desc: WorkflowExecutionDescription,
  nodes: Record<string, NodeView>,
): Promise<void> {
  const polled = new Map<string, Promise<boolean>>();
  await Promise.all(
    (desc.raw.pendingActivities ?? []).map(async (pa) => {
      // Activity ids are `<nodeId>.<execution>`; node ids never contain a dot.
      const nodeId = (pa.activityId ?? '').split('.')[0]!;
      const node = Object.hasOwn(nodes, nodeId) ? nodes[nodeId] : undefined;
      if (!node || FINAL_NODE_STATES.has(node.state)) return;
      if (typeof pa.attempt === 'number' && pa.attempt > node.attempt) node.attempt = pa.attempt;
      try {
        const stats = heartbeatStats(await decodeFirst(client, pa.heartbeatDetails?.payloads));
        if (stats) node.stats = { ...node.stats, ...stats };
      } catch {
        // Undecodable details (a codec this API lacks) only cost the live counts.
      }
      if (pa.lastFailure?.message) node.error = pa.lastFailure.message;
      if (pa.state === PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED) {
        const queue = nodeTaskQueue(desc.taskQueue, node.site === CENTRAL ? undefined : node.site);
        if (!polled.has(queue)) polled.set(queue, hasPollers(client, queue));
        if (!(await polled.get(queue))) node.waiting = `no worker is polling task queue ${queue}`;
      }
    }),
  );
}

/**
 * What a queued run waits for, from its pending sluice.acquireSlot: the last attempt's message
 * (its place in the queue and the runs holding the slots); undefined before the first look.
 */
export async function slotWaiting(client: Client, desc: WorkflowExecutionDescription): Promise<string | undefined> {
  const pa = (desc.raw.pendingActivities ?? []).find((a) => a.activityType?.name === ACQUIRE_SLOT_ACTIVITY);
  if (!pa?.lastFailure) return undefined;
  try {
    // Decoded: with payload encryption the message travels encoded.
    return (await decodeFailure(client, pa.lastFailure))?.message || undefined;
  } catch {
    return undefined;
  }
}
