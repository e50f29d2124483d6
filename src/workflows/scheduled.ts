// What a run started by a schedule knows and does apart from other runs: its logical time (the
// TemporalScheduledStartTime search attribute Temporal sets on it) and, since a schedule's input is
// fixed when the schedule is made, the node states saved so far, read as it starts.
// Deterministic: imports limited to @temporalio/workflow and messages.
import * as wf from '@temporalio/workflow';
import { READ_STATE_ACTIVITY, TEMPORAL_SCHEDULED_BY_ID, TEMPORAL_SCHEDULED_START_TIME, type RunInput } from './messages.js';
import { ERROR_TYPES } from './node-task.js';

/** Guards sluice.readState, asked only when the input says `readState` (set by schedules), so older histories never meet it. */
export const READ_STATE_PATCH = 'schedule-read-state';

/** The time the run's schedule started it for (ISO 8601), or null for a run started by hand. */
export function scheduledTimeOf(info: wf.WorkflowInfo): string | null {
  let value: unknown = info.typedSearchAttributes.get(TEMPORAL_SCHEDULED_START_TIME);
  // Older servers send the attribute without its type: read the untyped map as well.
  if (value === undefined) value = (info.searchAttributes as Record<string, unknown[] | undefined> | undefined)?.[TEMPORAL_SCHEDULED_START_TIME.name]?.[0];
  const at = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : null;
  return at !== null && Number.isFinite(at.getTime()) ? at.toISOString() : null;
}

/** The id of the schedule that started the run, or null for a run started by hand. */
export function scheduleIdOf(info: wf.WorkflowInfo): string | null {
  let value: unknown = info.typedSearchAttributes.get(TEMPORAL_SCHEDULED_BY_ID);
  if (value === undefined) value = (info.searchAttributes as Record<string, unknown[] | undefined> | undefined)?.[TEMPORAL_SCHEDULED_BY_ID.name]?.[0];
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Whether this execution reads the saved node states first: a scheduled run's first execution (a continued one carries them in its input). */
export function readsStateAtStart(input: RunInput, continued: boolean): boolean {
  return input.readState === true && !continued && wf.patched(READ_STATE_PATCH);
}

type ReadStateActivity = (input: { pipeline: string }) => Promise<Record<string, unknown>>;

/** The node states saved for the pipeline, limited to `nodeIds` (states of nodes no longer in the spec stay out). */
export async function readSavedStates(pipeline: string, nodeIds: readonly string[]): Promise<Record<string, unknown>> {
  const read = wf.proxyActivities<Record<string, ReadStateActivity>>({
    summary: 'read saved node state',
    startToCloseTimeout: 60_000,
    retry: { maximumAttempts: 10, initialInterval: 1000, backoffCoefficient: 2, maximumInterval: 30_000, nonRetryableErrorTypes: [ERROR_TYPES.config] },
  })[READ_STATE_ACTIVITY]!;
  const saved = await read({ pipeline });
  const ids = new Set(nodeIds);
  return Object.fromEntries(Object.entries(saved).filter(([id]) => ids.has(id)));
}
