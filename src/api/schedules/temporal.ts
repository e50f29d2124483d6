// A Sluice schedule as a Temporal Schedule: what the API sends Temporal (the spec, the action that
// starts runPipeline like POST /runs does, the policies), and what it reads back.
import crypto from 'node:crypto';
import { msToTs } from '@temporalio/common/lib/time.js';
import type { Client, ScheduleDescription, ScheduleOptionsStartWorkflowAction, ScheduleOverlapPolicy, ScheduleSpec } from '@temporalio/client';
import { formatDuration } from '../../dag/duration.js';
import type { PipelineVersion } from '../../store/types.js';
import { SLUICE_PIPELINE, WORKFLOW_TYPE, type RunInput } from '../../workflows/messages.js';
import { BadRequestError, NotFoundError, type FieldError } from '../errors.js';
import { startOptions } from '../runs/start.js';
import type { RunMemo } from '../runs/view.js';
import type { ScheduleOverlap, ScheduleView } from '../schemas.js';

/** runPipeline's signature, for the action's types (the API never imports the workflow itself). */
type RunWorkflow = (input: RunInput) => Promise<unknown>;

/** Sluice's overlap names and Temporal's. */
const OVERLAP: Record<ScheduleOverlap, ScheduleOverlapPolicy> = {
  skip: 'SKIP',
  buffer_one: 'BUFFER_ONE',
  buffer_all: 'BUFFER_ALL',
  cancel_other: 'CANCEL_OTHER',
  allow_all: 'ALLOW_ALL',
};

export function temporalOverlap(o: ScheduleOverlap): ScheduleOverlapPolicy {
  return OVERLAP[o];
}

/** Temporal's policy as Sluice names it; one set outside Sluice (terminate_other) keeps its own name. */
export function sluiceOverlap(p: ScheduleOverlapPolicy | string): string {
  const found = Object.entries(OVERLAP).find(([, t]) => t === p);
  return found ? found[0] : String(p).toLowerCase();
}

export function newScheduleId(pipeline: string): string {
  return `${pipeline}-${crypto.randomBytes(4).toString('hex')}`;
}

/**
 * What each run's memo holds besides RunMemo: the cron text as given. Temporal stores a cron
 * expression as calendars and the schedule's own memo cannot change, so the expression lives on
 * the action, which an update replaces whole.
 */
export interface ScheduledRunMemo extends RunMemo {
  cron?: string;
}

/** When: a cron expression or an interval, read in a time zone. */
export interface When {
  cron?: string | undefined;
  intervalMs?: number | undefined;
  timezone: string;
}

export function scheduleSpec(when: When): ScheduleSpec {
  return {
    ...(when.cron !== undefined ? { cronExpressions: [when.cron] } : { intervals: [{ every: when.intervalMs! }] }),
    timezone: when.timezone,
  };
}

/**
 * The action that starts each run: the same workflow type, task queue, search attributes, memo
 * and summary as POST /runs, with the version pinned now. Its input carries no node states: each
 * run reads them as it starts (`readState`). Its workflow id is the schedule id; Temporal appends
 * `-<RFC 3339 time>` to it for each run.
 */
export function scheduleAction(scheduleId: string, pv: PipelineVersion, params: Record<string, unknown>, taskQueue: string, cron: string | undefined): ScheduleOptionsStartWorkflowAction<RunWorkflow> {
  const { options } = startOptions(pv, params, taskQueue, {}, { runId: scheduleId });
  const input: RunInput = { ...(options.args![0] as RunInput), readState: true };
  const memo: ScheduledRunMemo = { pipeline: pv.name, version: pv.version, ...(cron !== undefined ? { cron } : {}) };
  return {
    type: 'startWorkflow',
    workflowType: WORKFLOW_TYPE,
    taskQueue,
    workflowId: scheduleId,
    args: [input],
    memo: { ...memo },
    typedSearchAttributes: options.typedSearchAttributes,
    staticSummary: options.staticSummary,
    staticDetails: options.staticDetails,
  };
}

/** The pipeline a schedule belongs to, or null when it is not a Sluice schedule (another workflow type, no pipeline). */
export function pipelineOf(desc: Pick<ScheduleDescription, 'action' | 'typedSearchAttributes'> & { memo?: Record<string, unknown> | undefined }): string | null {
  if (desc.action.workflowType !== WORKFLOW_TYPE) return null;
  const name = desc.typedSearchAttributes?.get(SLUICE_PIPELINE);
  return typeof name === 'string' && name !== '' ? name : null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The schedule as the API answers it. */
export function scheduleView(desc: ScheduleDescription, pipeline: string): ScheduleView {
  const memo = (isRecord(desc.action.memo) ? desc.action.memo : {}) as Partial<ScheduledRunMemo>;
  const input = isRecord(desc.action.args?.[0]) ? (desc.action.args[0] as Partial<RunInput>) : {};
  const every = desc.spec.intervals?.[0]?.every;
  const calendars = desc.spec.calendars?.length ?? 0;
  return {
    id: desc.scheduleId,
    pipeline,
    version: typeof memo.version === 'number' ? memo.version : typeof input.version === 'number' ? input.version : null,
    cron: calendars > 0 ? (typeof memo.cron === 'string' ? memo.cron : '(a calendar set outside Sluice)') : null,
    interval: calendars === 0 && every !== undefined ? formatDuration(Number(every)) : null,
    timezone: desc.spec.timezone || 'UTC',
    params: isRecord(input.params) ? input.params : {},
    overlap: sluiceOverlap(desc.policies.overlap),
    catchupWindow: formatDuration(desc.policies.catchupWindow),
    paused: desc.state.paused,
    note: desc.state.note ? desc.state.note : null,
    nextRunTimes: desc.info.nextActionTimes.map((d) => d.toISOString()),
    recentRuns: desc.info.recentActions.map((a) => ({ runId: a.action.workflow.workflowId, scheduledAt: a.scheduledAt.toISOString(), startedAt: a.takenAt.toISOString() })),
    runningRuns: desc.info.runningActions.map((a) => a.workflow.workflowId),
    createdAt: desc.info.createdAt.toISOString(),
    updatedAt: desc.info.lastUpdatedAt?.toISOString() ?? null,
  };
}

/** Temporal's refusal of a spec (a cron field out of range, a time zone its server lacks) as a 400 at the field. */
export function specRefusal(err: unknown, given: { cron?: unknown; interval?: unknown; timezone?: unknown }): BadRequestError | null {
  if (!(err instanceof TypeError)) return null;
  const message = err.message;
  const path = /time ?zone/i.test(message) && given.timezone !== undefined ? 'timezone' : given.cron !== undefined ? 'cron' : given.interval !== undefined ? 'interval' : 'body';
  const errors: FieldError[] = [{ path, message: `Temporal refused the schedule: ${message}` }];
  return new BadRequestError('the schedule is invalid', errors);
}

/**
 * The logical times of the runs a backfill of [from, to] starts (both inclusive, as Temporal's
 * backfill reads them). Temporal lists at most 1,000.
 */
export async function backfillTimes(client: Client, scheduleId: string, from: Date, to: Date): Promise<Date[]> {
  // Temporal lists times after startTime; a backfill starts at `from` itself.
  const res = await client.workflowService.listScheduleMatchingTimes({
    namespace: client.options.namespace,
    scheduleId,
    startTime: msToTs(from.getTime() - 1),
    endTime: msToTs(to.getTime()),
  });
  return (res.startTime ?? []).map((t) => new Date(Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6)));
}

export function scheduleNotFound(id: string): NotFoundError {
  return new NotFoundError(`schedule ${id} not found`);
}
