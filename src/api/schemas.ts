// Every request and response shape of the REST API, as zod schemas: handlers validate with them,
// types come from them, and openapi.ts renders them.
import { z } from 'zod';
import { durationSchema, durationWithin } from '../dag/duration.js';
import { textProblem } from '../dag/guard.js';
import {
  MAX_CRON_LENGTH,
  MAX_INT32,
  MAX_NODE_ID_LENGTH,
  MAX_NODES,
  MAX_PIPELINE_NAME_LENGTH,
  MAX_SCHEDULE_ID_LENGTH,
  MAX_SCHEDULE_INTERVAL_MS,
  MAX_SCHEDULE_NOTE_LENGTH,
  MIN_CATCHUP_WINDOW_MS,
  MIN_SCHEDULE_INTERVAL_MS,
} from '../dag/limits.js';
import { PIPELINE_NAME_PATTERN } from '../dag/spec.js';
import { NODE_STATES, RUN_STATUSES } from '../dag/vocabulary.js';
import { ROLES } from '../store/types.js';

export const pipelineName = z
  .string()
  .max(MAX_PIPELINE_NAME_LENGTH)
  .regex(PIPELINE_NAME_PATTERN, 'expected a pipeline name of lower-case letters, digits and -');

/** A positive integer given as a query-string value. */
const intString = (max: number) =>
  z
    .string()
    .regex(/^[0-9]+$/, 'expected a positive integer')
    .transform(Number)
    .pipe(z.number().int().min(1, 'expected a positive integer').max(max, `must be at most ${max}`));

/** Free text that reaches PostgreSQL or Temporal as-is: no NUL, no unpaired surrogates. */
const text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .superRefine((s, ctx) => {
      const problem = textProblem(s);
      if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
    });

export const pipelineParams = z.object({ name: pipelineName });
export const pipelineQuery = z.strictObject({ version: intString(MAX_INT32).optional() });

export const runIdParams = z.object({ runId: text(255) });

/**
 * The path parameter after each collection of /api/v1 (the keys of pipelineParams, runIdParams and
 * keyIdParams), to name it in errors found before a route matched: bad percent-encoding.
 */
export const PATH_PARAMS: Readonly<Record<string, string>> = { pipelines: 'name', runs: 'runId', keys: 'id', schedules: 'id' };

export const startRunBody = z.strictObject({
  params: z.record(z.string(), z.unknown()).optional(),
  version: z.number().int().min(1).max(MAX_INT32).optional(),
});

/** A schedule id: unique in the Temporal namespace; its runs' ids are `<id>-<RFC 3339 time>`. */
export const scheduleId = z
  .string()
  .min(1)
  .max(MAX_SCHEDULE_ID_LENGTH)
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a schedule id of lower-case letters, digits and -, starting with a letter or digit');

export const listRunsQuery = z.strictObject({
  pipeline: pipelineName.optional(),
  schedule: scheduleId.optional().describe('only runs this schedule started (by its spec, a trigger or a backfill)'),
  status: z.enum(RUN_STATUSES, { error: `expected one of ${RUN_STATUSES.join(', ')}` }).optional(),
  from: z.iso.datetime({ offset: true, error: 'expected an ISO 8601 date-time like 2026-11-30T00:00:00Z' }).transform((v) => new Date(v)).optional().describe('runs started at or after this time'),
  to: z.iso.datetime({ offset: true, error: 'expected an ISO 8601 date-time like 2026-11-30T00:00:00Z' }).transform((v) => new Date(v)).optional().describe('runs started before this time'),
  cursor: text(512).optional().describe('the `next` of the previous page'),
  limit: intString(500).default(50),
});

export const nodesPageQuery = z.strictObject({
  state: z.enum(NODE_STATES, { error: `expected one of ${NODE_STATES.join(', ')}` }).optional(),
  cursor: text(255).optional().describe('the `next` of the previous page'),
  limit: intString(1000).default(100),
});

// Responses.

const isoDate = z.iso.datetime();

export const pipelineVersionResponse = z.object({
  name: z.string(),
  version: z.number().int(),
  createdAt: isoDate,
  spec: z.record(z.string(), z.unknown()).describe('the normalised pipeline spec (durations in ms)'),
});

export const pipelineResponse = pipelineVersionResponse.extend({ versions: z.array(z.number().int()) });

export const pipelineListResponse = z.object({
  pipelines: z.array(
    z.object({ name: z.string(), latestVersion: z.number().int(), description: z.string().nullable(), updatedAt: isoDate }),
  ),
});

export const runCreatedResponse = z.object({
  runId: z.string(),
  queued: z
    .boolean()
    .optional()
    .describe("only for a pipeline with a concurrency limit: true when the run waits for a slot (status queued) before any node runs"),
});

/** A start that found the pipeline's concurrency limit reached with onConflict skip: no run, and why. */
export const runSkippedResponse = z.object({
  runId: z.null().describe('no run was started'),
  skipped: z.string().describe('why: the limit and the runs holding its slots'),
  holding: z.array(z.string()).describe('the runs holding the slots'),
});

const scheduledBy = {
  scheduleId: z.string().nullable().describe('the schedule that started the run (by its spec, a trigger or a backfill); null for a run started by hand'),
  scheduledAt: isoDate.nullable().describe("the time the schedule started the run for (its run.scheduledAt); null for a run started by hand, whose run.scheduledAt is its start"),
};

export const runSummary = z.object({
  runId: z.string(),
  pipeline: z.string().nullable(),
  status: z.enum(RUN_STATUSES),
  startedAt: isoDate,
  closedAt: isoDate.nullable(),
  ...scheduledBy,
});
export const runListResponse = z.object({
  runs: z.array(runSummary),
  next: z.string().nullable().describe('the cursor of the next page (pass it as `cursor`); null on the last'),
});

export const nodeView = z.object({
  state: z.enum(NODE_STATES),
  attempt: z.number().int(),
  startedAt: isoDate.nullable(),
  endedAt: isoDate.nullable(),
  stats: z.record(z.string(), z.number()),
  error: z.string().nullable(),
  site: z.string(),
  outputs: z.record(z.string(), z.unknown()).nullable(),
  waiting: z
    .string()
    .optional()
    .describe("why a node that could run has not started: no worker polls its node's task queue, or (in a stale view) the run's own"),
  earlierTries: z
    .array(
      z.object({
        state: z.enum(NODE_STATES),
        attempt: z.number().int(),
        startedAt: isoDate.nullable(),
        endedAt: isoDate.nullable(),
        error: z.string().nullable(),
        stats: z.record(z.string(), z.number()),
      }),
    )
    .optional()
    .describe('how earlier tries of this node ended, oldest first, when the run was retried in place'),
  map: z
    .object({
      items: z.number().int(),
      chunks: z.number().int(),
      chunksDone: z.number().int(),
      byState: z.partialRecord(z.enum(NODE_STATES), z.number().int()).describe('items by state: the ended chunks, plus what the running chunks answer'),
      running: z.array(z.string()).optional().describe('workflow ids of the chunks running now (child workflows, in the Temporal Web UI)'),
    })
    .optional()
    .describe('a mapped node (forEach): its items and how far they have got'),
});

export const runResponse = z.object({
  runId: z.string(),
  pipeline: z.string(),
  version: z.number().int(),
  scheduleId: scheduledBy.scheduleId.optional(),
  scheduledAt: scheduledBy.scheduledAt.optional(),
  status: z.enum(RUN_STATUSES),
  startedAt: isoDate,
  endedAt: isoDate.nullable(),
  error: z.string().nullable(),
  recoverableUntil: isoDate
    .nullable()
    .optional()
    .describe('while a failed run waits for POST /runs/{id}/retry: when its recovery window ends and it closes as failed'),
  waiting: z
    .string()
    .optional()
    .describe("while the run is queued: what for, its place in the pipeline's queue and the runs holding the concurrency slots"),
  summary: z
    .object({
      nodes: z.number().int(),
      byState: z.record(z.enum(NODE_STATES), z.number().int()),
      rowsIn: z.number(),
      rowsOut: z.number(),
      segments: z.number().int().describe('executions of the run so far: a long run continues as new to keep each history short'),
    })
    .optional()
    .describe('node counts by state and row totals'),
  detail: z
    .enum(['all', 'partial'])
    .optional()
    .describe('partial: the run has more than 1,000 nodes, and `nodes` holds only those running, paused or failed; GET /runs/{id}/nodes pages through all'),
  nodes: z.record(z.string(), nodeView),
  stale: z
    .literal(true)
    .optional()
    .describe(
      "set when no worker answered the run's progress query in time, so the view was built from Temporal's history, the execution's search attributes and the last heartbeats: it may lag the workflow by a moment",
    ),
  archived: z
    .literal(true)
    .optional()
    .describe("set when Temporal no longer has the run (its retention removed it): the view is the run history's record, with per-node counts but no outputs or times"),
});

export const nodesPageResponse = z.object({
  runId: z.string(),
  nodes: z.array(nodeView.extend({ id: z.string() })),
  next: z.string().nullable().describe('pass as `cursor` for the next page; null on the last'),
  stale: z.literal(true).optional().describe('set when no worker answered, so the page was cut from the view built from history'),
});

/** A node id, or one instance of a mapped node (`extract[3]`), as the dead-letter datasets are named. */
export const rejectedParams = z.object({
  runId: text(255),
  nodeId: z
    .string()
    .max(MAX_NODE_ID_LENGTH + 9)
    .regex(/^[A-Za-z_][A-Za-z0-9_-]*(\[[0-9]{1,7}\])?$/, "expected a node id, or an instance of a mapped node like extract[3]"),
});
export const rejectedQuery = z.strictObject({ limit: intString(100).default(20).describe('how many records, 1-100 (default 20)') });

export const rejectedSampleResponse = z.object({
  runId: z.string(),
  nodeId: z.string(),
  site: z.string().describe('where the node ran: central, or its site'),
  total: z
    .number()
    .int()
    .nullable()
    .describe("the node's bad records (badRows) so far; null when unknown: a mapped node itself, or an instance that did not seal its dead letters"),
  records: z
    .array(z.object({ reason: z.string(), position: z.string().describe('where the record was: `part 3 row 17`'), record: z.unknown().describe('the record, scrubbed of secret values') }))
    .describe('the first records of the dead-letter dataset, in order; always empty for a site node'),
  truncated: z.boolean().describe('true when the node has more bad records than `records` holds'),
  keptOnSite: z
    .object({
      site: z.string(),
      location: z.string().describe("the dead-letter dataset in the site worker's staging store"),
      how: z.string().describe('how to read it on a host of the site'),
    })
    .optional()
    .describe('a site node with bad records: they stay on the site, and nothing is fetched from it'),
  note: z.string().optional().describe('why there are no records to show, when that is not because the node has none'),
});

export const runActionResponse = z.object({ runId: z.string(), requested: z.enum(['pause', 'resume', 'cancel']) });

/** POST /runs/{id}/retry: the failed nodes to run again; absent or empty, every failed node. */
export const retryRunBody = z.strictObject({ nodes: z.array(text(255)).max(MAX_NODES).optional() });
export const retryRunResponse = z.object({
  runId: z.string(),
  requested: z.literal('retry'),
  retried: z.array(z.string()).describe('the failed nodes run again'),
  reopened: z.array(z.string()).describe('every node that will run again: the retried ones, what depends on them, and nodes cancelled by the failure'),
});

export const problemResponse = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })),
});

/** GET /whoami: who the credential is and what it may see, so a client can offer only what the role allows. */
export const whoamiResponse = z.object({
  kind: z.enum(['key', 'oidc', 'anonymous']).describe('an API key, an OIDC token, or anyone (SLUICE_AUTH=off)'),
  id: z.string().nullable().describe('the key id or OIDC subject; null when anonymous'),
  name: z.string().nullable(),
  role: z.enum(ROLES),
  pipelines: z.array(z.string()).nullable().describe('the pipeline globs the caller is limited to; null: every pipeline'),
});

export type RunView = z.infer<typeof runResponse>;
export type NodeView = z.infer<typeof nodeView>;
export type RunSummary = z.infer<typeof runSummary>;

const MAX_TIMEOUT_MS = 5 * 60_000;

/** A run's body plus how long each node's worker has to pick up and to finish its check. */
export const checkBody = startRunBody.extend({
  timeout: durationSchema
    .pipe(z.number().min(1000, 'must be at least 1s').max(MAX_TIMEOUT_MS, 'must be at most 5m'))
    .optional()
    .describe('per node: how long its worker has to pick up the check, and then to finish it (default 30s)'),
});

const nodeCheckResponse = z.union([
  z.object({ ok: z.literal(true), ms: z.number().describe('how long the check took') }),
  z.object({ ok: z.literal(true), skipped: z.string().describe('why the node was not checked') }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);

export const checkResponse = z.object({
  checkId: z.string().describe('workflow id of the checkPipeline execution'),
  pipeline: z.string(),
  version: z.number().int(),
  ok: z.boolean().describe('false when any node failed its check'),
  nodes: z.record(z.string(), nodeCheckResponse),
});

// API keys and the audit log (admin routes).

const TEN_YEARS_MS = 10 * 365 * 86_400_000;

/** A pipeline-name glob: the name alphabet plus `*` and `?`. */
export const pipelineGlob = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9*?-]+$/, 'expected a pipeline-name glob of lower-case letters, digits, -, * and ?');

export const createKeyBody = z.strictObject({
  name: z.string().min(1).max(100).regex(/^[\p{L}\p{N} ._@-]+$/u, 'expected letters, digits, spaces and . _ @ -'),
  role: z.enum(ROLES, { error: `expected one of ${ROLES.join(', ')}` }),
  pipelines: z.array(pipelineGlob).min(1).max(50).optional().describe('limit the key to these pipeline names (globs); default: every pipeline'),
  expires: durationWithin(TEN_YEARS_MS).pipe(z.number().min(60_000, 'must be at least 1m').max(TEN_YEARS_MS, 'must be at most 3650d')).optional().describe('lifetime, e.g. 90d; default: no expiry'),
});

export const keyIdParams = z.object({ id: z.string().regex(/^[0-9a-f]{16}$/, 'expected a key id (16 hex digits)') });

export const keyResponse = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  pipelines: z.array(z.string()).nullable(),
  createdAt: isoDate,
  createdBy: z.string(),
  expiresAt: isoDate.nullable(),
  revokedAt: isoDate.nullable(),
  lastUsedAt: isoDate.nullable(),
});

export const createdKeyResponse = keyResponse.extend({ key: z.string().describe('the key itself: shown this once, stored only as a hash') });
export const keyListResponse = z.object({ keys: z.array(keyResponse) });

export const auditQuery = z.strictObject({
  actor: text(200).optional().describe('key id, key name or OIDC subject'),
  action: text(100).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  cursor: z.string().regex(/^[1-9][0-9]{0,17}$/, 'expected the next cursor of a previous page').optional(),
  limit: intString(500).default(100),
});

export const auditEntryResponse = z.object({
  id: z.string(),
  at: isoDate,
  actorId: z.string().nullable(),
  actorName: z.string().nullable(),
  role: z.string().nullable(),
  action: z.string(),
  target: z.string().nullable(),
  status: z.number().int(),
  requestId: z.string(),
  remote: z.string().nullable(),
});

export const auditResponse = z.object({ entries: z.array(auditEntryResponse), next: z.string().nullable().describe('cursor of the next (older) page; null on the last') });

// Schedules (Temporal Schedules that start runs of one pipeline).

export const SCHEDULE_OVERLAPS = ['skip', 'buffer_one', 'buffer_all', 'cancel_other', 'allow_all'] as const;
export type ScheduleOverlap = (typeof SCHEDULE_OVERLAPS)[number];
const overlap = z.enum(SCHEDULE_OVERLAPS, { error: `expected one of ${SCHEDULE_OVERLAPS.join(', ')}` });

const CRON_MACROS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/** A cron expression as Temporal reads it; Temporal checks each field's range when the schedule is saved. */
const cron = z
  .string()
  .min(1)
  .max(MAX_CRON_LENGTH)
  .superRefine((s, ctx) => {
    const text = s.trim();
    if (/^(CRON_TZ|TZ)=/i.test(text)) {
      ctx.addIssue({ code: 'custom', message: 'give the time zone as timezone, not inside the expression' });
      return;
    }
    if (!/^[A-Za-z0-9*/,?#@ \t-]+$/.test(text)) {
      ctx.addIssue({ code: 'custom', message: 'expected a cron expression: fields of digits, names, * / , - ? # L W, separated by spaces' });
      return;
    }
    if (text.startsWith('@')) {
      if (!CRON_MACROS.has(text)) ctx.addIssue({ code: 'custom', message: `expected one of ${[...CRON_MACROS].join(', ')}, or 5 to 7 fields` });
      return;
    }
    const fields = text.split(/[ \t]+/).length;
    if (fields < 5 || fields > 7) {
      ctx.addIssue({ code: 'custom', message: `expected 5 fields (minute hour day-of-month month day-of-week), 6 (and year) or 7 (second first, year last); got ${fields}` });
    }
  });

/** IANA time zone names this process knows (Temporal checks the name again as it saves the schedule). */
let zones: Set<string> | null = null;
export function isKnownTimeZone(name: string): boolean {
  zones ??= new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);
  return zones.has(name);
}

const timezone = z
  .string()
  .min(1)
  .max(64)
  .refine(isKnownTimeZone, 'unknown time zone: expected an IANA name such as UTC or Europe/Paris');

const interval = durationWithin(MAX_SCHEDULE_INTERVAL_MS).pipe(z.number().min(MIN_SCHEDULE_INTERVAL_MS, 'must be at least 1s'));
const catchupWindow = durationWithin(MAX_SCHEDULE_INTERVAL_MS).pipe(z.number().min(MIN_CATCHUP_WINDOW_MS, 'must be at least 10s (Temporal\'s minimum)'));

/** Free text that may be empty (a PATCH clears a note with ""). */
const note = z
  .string()
  .max(MAX_SCHEDULE_NOTE_LENGTH)
  .superRefine((s, ctx) => {
    const problem = textProblem(s);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  });

/** Runs an object's own refinement even when some field failed (a value that is an object at all). */
const onObject = { when: (payload: { value: unknown }) => typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value) };

const scheduleFields = {
  cron: cron.optional().describe('when to start runs: 5 fields (minute hour day-of-month month day-of-week), 6 (and year) or 7 (second first, year last), or @daily and the like'),
  interval: interval.optional().describe('or: every this long (at least 1s), counted from the Unix epoch in UTC'),
  timezone: timezone.optional().describe('IANA time zone the cron fields are read in (default UTC)'),
  params: z.record(z.string(), z.unknown()).optional().describe("the runs' params, checked against the pinned version's params like a run start"),
  catchupWindow: catchupWindow.optional().describe('how late a missed start (Temporal down) may still run (default 1 year, minimum 10s)'),
  paused: z.boolean().optional(),
  note: note.optional().describe('free text shown with the schedule (and in the Temporal Web UI)'),
};

export const createScheduleBody = z
  .strictObject({
    id: scheduleId.optional().describe('default: <pipeline>-<8 hex digits>'),
    ...scheduleFields,
    overlap: overlap.describe("what a start does while the schedule's last run is still open"),
    version: z.number().int().min(1).max(MAX_INT32).optional().describe('the pipeline version its runs use (default: the latest, pinned now)'),
  })
  // Checked even when other fields are wrong, so one answer names every problem.
  .refine((b) => b.cron !== undefined || b.interval !== undefined, { ...onObject, path: ['cron'], message: 'give exactly one of cron or interval' })
  .refine((b) => b.cron === undefined || b.interval === undefined, { ...onObject, path: ['interval'], message: 'give exactly one of cron or interval' });

export const updateScheduleBody = z
  .strictObject({
    ...scheduleFields,
    overlap: overlap.optional(),
    version: z
      .union([z.number().int().min(1).max(MAX_INT32), z.literal('latest')], { error: 'expected a version number or "latest"' })
      .optional()
      .describe('pin the runs to this version ("latest": the latest now); the params are checked against it'),
  })
  .refine((b) => b.cron === undefined || b.interval === undefined, { ...onObject, path: ['interval'], message: 'give at most one of cron or interval' })
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to change: give at least one field' });

export const scheduleIdParams = z.object({ id: scheduleId });

export const listSchedulesQuery = z.strictObject({
  pipeline: pipelineName.optional(),
  limit: intString(100).default(50),
});

export const pauseScheduleBody = z.strictObject({ note: note.optional().describe('why; shown with the schedule') });

export const triggerScheduleBody = z.strictObject({
  overlap: overlap.optional().describe('default allow_all: the run starts whatever is running'),
});

const instant = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 date-time with a time zone, e.g. 2026-01-01T00:00:00Z' });

export const backfillScheduleBody = z
  .strictObject({
    from: instant.describe('inclusive'),
    to: instant.describe('inclusive; not later than now'),
    overlap: overlap.optional().describe('default buffer_all: every slot runs, one after another'),
  })
  .refine((b) => !(Date.parse(b.from) > Date.parse(b.to)), { path: ['to'], message: 'must not be before from' });

export const scheduleResponse = z.object({
  id: z.string(),
  pipeline: z.string(),
  version: z.number().int().nullable().describe('the pipeline version its runs use (pinned when the schedule was made or last re-pinned)'),
  cron: z.string().nullable(),
  interval: z.string().nullable(),
  timezone: z.string(),
  params: z.record(z.string(), z.unknown()),
  overlap: z.string().describe(SCHEDULE_OVERLAPS.join(' | ')),
  catchupWindow: z.string(),
  paused: z.boolean(),
  note: z.string().nullable(),
  nextRunTimes: z.array(isoDate).describe('the next few times the schedule will start a run (none while paused)'),
  recentRuns: z.array(z.object({ runId: z.string(), scheduledAt: isoDate, startedAt: isoDate })).describe('the last runs it started, oldest first'),
  runningRuns: z.array(z.string()).describe('runs it started that are still open'),
  createdAt: isoDate,
  updatedAt: isoDate.nullable(),
});
export const scheduleListResponse = z.object({ schedules: z.array(scheduleResponse) });
export const scheduleActionResponse = z.object({ id: z.string(), requested: z.enum(['pause', 'unpause', 'trigger']) });
export const backfillResponse = z.object({
  id: z.string(),
  requested: z.literal('backfill'),
  from: isoDate,
  to: isoDate,
  overlap: z.enum(SCHEDULE_OVERLAPS),
  runs: z.number().int().describe('how many runs the range holds: the backfill starts one for each'),
  scheduledTimes: z.array(isoDate).describe('their logical times (run.scheduledAt), oldest first'),
});
export type ScheduleView = z.infer<typeof scheduleResponse>;
