// Reads a run's event history, page by page and bounded, into the few facts a run view needs: the
// start input (the spec), every activity execution with its attempt and outcome, and how the run
// closed. Event kinds it does not use (timers, signals, child workflows, updates, kinds a newer
// server adds) are counted and passed over, and an event missing its attributes is skipped.
import proto from '@temporalio/proto';
import type { Client } from '@temporalio/client';
import type { Payload, ProtoFailure } from '@temporalio/common';

const { EventType, HistoryEventFilterType } = proto.temporal.api.enums.v1;
type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;
type Timestamp = proto.google.protobuf.ITimestamp;

/**
 * Page size asked for. The server counts it in stored batches, not events, so one page may hold
 * thousands of events (server 1.29: 9,093 events on the first page of a 10,241-event history when
 * asked for 100); the caps below are what bound the work.
 */
export const HISTORY_PAGE_SIZE = 1_000;
/**
 * Events folded at most. DESIGN.md keeps every execution under 10,000 events, so a run's whole
 * history fits; past it the view shows what the first 10,000 events say (later nodes as pending).
 * Measured here (2 cores, dev server): 10,000 events of a 3,300-node run read in 0.4-0.7 s.
 */
export const MAX_HISTORY_EVENTS = 10_000;
/** How long reading may take in all before the view is built from what was read. */
export const HISTORY_DEADLINE_MS = 2_000;

/** How an activity execution ended, with what it returned or why it failed (still encoded). */
export type ActivityClose =
  | { kind: 'completed'; at: Date | null; result: Payload[] }
  | { kind: 'failed' | 'timedOut'; at: Date | null; failure: ProtoFailure | null }
  | { kind: 'cancelled'; at: Date | null };

/** One activity execution (one ActivityTaskScheduled event and what followed it). */
export interface ActivityRecord {
  activityId: string;
  activityType: string;
  taskQueue: string;
  scheduledAt: Date | null;
  /** Attempt of the started event, which the server writes only once the attempt has ended. */
  attempt: number | null;
  cancelRequested: boolean;
  closed: ActivityClose | null;
}

export type WorkflowClose =
  | { kind: 'completed'; at: Date | null }
  | { kind: 'failed'; at: Date | null; failure: ProtoFailure | null }
  | { kind: 'terminated'; at: Date | null; reason: string | null }
  | { kind: 'cancelled' | 'timedOut' | 'continuedAsNew'; at: Date | null };

export interface RunHistory {
  /** Payloads of the workflow's start input (the RunInput), still encoded. */
  input: Payload[] | null;
  startedAt: Date | null;
  /** Activity executions by the id of their scheduled event, in the order they were scheduled. */
  activities: Map<string, ActivityRecord>;
  close: WorkflowClose | null;
  /** Events read. */
  events: number;
  /** Events of kinds this reader does not use. */
  ignored: number;
  /** Reading stopped at MAX_HISTORY_EVENTS or at the deadline, before the end of the history. */
  truncated: boolean;
}

export function emptyHistory(): RunHistory {
  return { input: null, startedAt: null, activities: new Map(), close: null, events: 0, ignored: 0, truncated: false };
}

function toDate(ts: Timestamp | null | undefined): Date | null {
  if (!ts) return null;
  const ms = Number(ts.seconds ?? 0) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
  return Number.isFinite(ms) ? new Date(ms) : null;
}

/** The key of a ScheduledEventId (a Long, or a number when decoded without longs). */
function idKey(id: unknown): string {
  return id === null || id === undefined ? '' : String(id);
}

/** Folds history events, in order, into `into`. */
export function foldHistory(into: RunHistory, events: readonly HistoryEvent[]): void {
  const byScheduledId = into.activities;
  const closeActivity = (scheduledEventId: unknown, close: ActivityClose) => {
    const record = byScheduledId.get(idKey(scheduledEventId));
    if (record && !record.closed) record.closed = close;
  };
  for (const event of events) {
    into.events++;
    const at = toDate(event.eventTime);
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: {
        const a = event.workflowExecutionStartedEventAttributes;
        into.input = (a?.input?.payloads as Payload[] | null | undefined) ?? null;
        into.startedAt = at;
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: {
        const a = event.activityTaskScheduledEventAttributes;
        if (!a?.activityId) break;
        const record: ActivityRecord = {
          activityId: a.activityId,
          activityType: a.activityType?.name ?? '',
          taskQueue: a.taskQueue?.name ?? '',
          scheduledAt: at,
          attempt: null,
          cancelRequested: false,
          closed: null,
        };
        byScheduledId.set(idKey(event.eventId), record);
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED: {
        const a = event.activityTaskStartedEventAttributes;
        const record = byScheduledId.get(idKey(a?.scheduledEventId));
        if (record && typeof a?.attempt === 'number') record.attempt = a.attempt;
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: {
        const a = event.activityTaskCompletedEventAttributes;
        if (a) closeActivity(a.scheduledEventId, { kind: 'completed', at, result: (a.result?.payloads as Payload[] | null | undefined) ?? [] });
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED: {
        const a = event.activityTaskFailedEventAttributes;
        if (a) closeActivity(a.scheduledEventId, { kind: 'failed', at, failure: (a.failure as ProtoFailure | null | undefined) ?? null });
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: {
        const a = event.activityTaskTimedOutEventAttributes;
        if (a) closeActivity(a.scheduledEventId, { kind: 'timedOut', at, failure: (a.failure as ProtoFailure | null | undefined) ?? null });
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED: {
        const record = byScheduledId.get(idKey(event.activityTaskCancelRequestedEventAttributes?.scheduledEventId));
        if (record) record.cancelRequested = true;
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED: {
        const a = event.activityTaskCanceledEventAttributes;
        if (a) closeActivity(a.scheduledEventId, { kind: 'cancelled', at });
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
        into.close = { kind: 'completed', at };
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
        into.close = { kind: 'failed', at, failure: (event.workflowExecutionFailedEventAttributes?.failure as ProtoFailure | null | undefined) ?? null };
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
        into.close = { kind: 'terminated', at, reason: event.workflowExecutionTerminatedEventAttributes?.reason || null };
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
        into.close = { kind: 'cancelled', at };
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
        into.close = { kind: 'timedOut', at };
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
        into.close = { kind: 'continuedAsNew', at };
        break;
      default:
        into.ignored++;
    }
  }
}

export interface HistoryLimits {
  maxEvents?: number;
  pageSize?: number;
  deadlineMs?: number;
}

/** Reads one execution's history from its start, at most `maxEvents` events and for at most `deadlineMs`. */
export async function readRunHistory(
  client: Client,
  execution: { workflowId: string; runId: string },
  { maxEvents = MAX_HISTORY_EVENTS, pageSize = HISTORY_PAGE_SIZE, deadlineMs = HISTORY_DEADLINE_MS }: HistoryLimits = {},
): Promise<RunHistory> {
  const history = emptyHistory();
  const deadline = Date.now() + deadlineMs;
  let nextPageToken: Uint8Array | undefined;
  do {
    const left = maxEvents - history.events;
    if (left <= 0 || Date.now() >= deadline) {
      history.truncated = true;
      break;
    }
    let page: proto.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse;
    try {
      page = await client.connection.withDeadline(deadline, () =>
        client.workflowService.getWorkflowExecutionHistory({
          namespace: client.options.namespace,
          execution,
          maximumPageSize: Math.min(pageSize, left),
          historyEventFilterType: HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT,
          waitNewEvent: false,
          ...(nextPageToken ? { nextPageToken } : {}),
        }),
      );
    } catch (err) {
      // Out of time after some pages: the view is built from those. Nothing read yet: the caller hears why.
      if (history.events > 0 && Date.now() >= deadline) {
        history.truncated = true;
        break;
      }
      throw err;
    }
    // The server may fill a page past the size asked for; the cap counts what is folded.
    const events = page.history?.events ?? [];
    foldHistory(history, events.slice(0, left));
    if (events.length > left) {
      history.truncated = true;
      break;
    }
    nextPageToken = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return history;
}
