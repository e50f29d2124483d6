// Notifications: a run tells its `notify` targets when it succeeds, fails, pauses, is cancelled or
// is still open past its `sla`. Each event is delivered by a child workflow started with
// ParentClosePolicy ABANDON, so a slow or failing receiver neither holds the run open nor fails it,
// and its retries outlive the run (and its continue-as-new). Deterministic code only.
import * as wf from '@temporalio/workflow';
import { ParentClosePolicy, ChildWorkflowCancellationType } from '@temporalio/workflow';
import type { NotifySpec, PipelineSpec } from '../dag/spec.js';
import type { NotifyEvent } from '../dag/vocabulary.js';
import { ERROR_TYPES } from './node-task.js';
import { NOTIFY_ACTIVITY, NOTIFY_WORKFLOW_TYPE, type Notification, type NotifyTask } from './messages.js';

type NotifyActivity = (task: NotifyTask) => Promise<{ status: number }>;

/** Delivers one event to every target that asked for it, each retried for about an hour before it is given up (and logged). */
export async function sendNotification(notification: Notification, targets: { index: number; target: NotifySpec }[]): Promise<{ delivered: number; failed: string[] }> {
  const send = wf.proxyActivities<Record<string, NotifyActivity>>({
    summary: `notify ${notification.event}`,
    startToCloseTimeout: 30_000,
    retry: { initialInterval: 1000, backoffCoefficient: 2, maximumInterval: 5 * 60_000, maximumAttempts: 16, nonRetryableErrorTypes: [ERROR_TYPES.config, ERROR_TYPES.policy, 'NotifyRejected'] },
  })[NOTIFY_ACTIVITY]!;
  const delivery = wf.workflowInfo().workflowId;
  const results = await Promise.allSettled(targets.map(({ index, target }) => send({ notification, target, index, delivery: `${delivery}#${index}` })));
  const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`notify[${targets[i]!.index}]: ${r.reason instanceof wf.ActivityFailure && r.reason.cause ? r.reason.cause.message : String(r.reason)}`] : []));
  for (const f of failed) wf.log.warn('notification not delivered', { error: f, runId: notification.runId, event: notification.event });
  return { delivered: results.length - failed.length, failed };
}

/** Starts the deliveries of a run's events; the run awaits only that they started (flush) before it closes or continues as new. */
export class Notifier {
  private sent = 0;
  private readonly starting: Promise<void>[] = [];

  constructor(
    private readonly spec: PipelineSpec,
    private readonly runId: string,
    /** This execution's number among the run's executions, so delivery ids stay unique across continue-as-new. */
    private readonly segment: number,
  ) {}

  wants(event: NotifyEvent): boolean {
    return (this.spec.notify ?? []).some((n) => n.on.includes(event));
  }

  send(notification: Notification): void {
    const targets = (this.spec.notify ?? []).flatMap((target, index) => (target.on.includes(notification.event) ? [{ index, target }] : []));
    if (targets.length === 0) return;
    const workflowId = `${this.runId}/notify/${this.segment}.${++this.sent}-${notification.event}`;
    this.starting.push(
      wf.CancellationScope.nonCancellable(async () => {
        try {
          await wf.startChild<typeof sendNotification>(NOTIFY_WORKFLOW_TYPE, {
            workflowId,
            args: [notification, targets],
            parentClosePolicy: ParentClosePolicy.ABANDON,
            cancellationType: ChildWorkflowCancellationType.ABANDON,
            staticSummary: `${notification.event}: ${this.runId}`,
          });
        } catch (err) {
          // A notification that cannot even start never changes the run's outcome.
          wf.log.warn('notification not started', { runId: this.runId, event: notification.event, error: err instanceof Error ? err.message : String(err) });
        }
      }),
    );
  }

  /** Waits until every delivery asked for so far has started (a run must not close before its children start). */
  async flush(): Promise<void> {
    while (this.starting.length > 0) await Promise.all(this.starting.splice(0));
  }
}
