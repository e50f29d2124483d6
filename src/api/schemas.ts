// Every request and response shape of the REST API, as zod schemas: handlers validate with them,
// types come from them, and openapi.ts renders them.
import { z } from 'zod';
import { durationSchema } from '../dag/duration.js';
import { PIPELINE_NAME_PATTERN } from '../dag/spec.js';
import { NODE_STATES, RUN_STATUSES } from '../dag/vocabulary.js';

export const pipelineName = z
  .string()
  .max(63)
  .regex(PIPELINE_NAME_PATTERN, 'expected a pipeline name of lower-case letters, digits and -');

/** A positive integer given as a query-string value. */
const intString = (max: number) =>
  z
    .string()
    .regex(/^[0-9]+$/, 'expected a positive integer')
    .transform(Number)
    .pipe(z.number().int().min(1, 'expected a positive integer').max(max, `must be at most ${max}`));

export const pipelineParams = z.object({ name: pipelineName });
export const pipelineQuery = z.strictObject({ version: intString(2_147_483_647).optional() });

export const runIdParams = z.object({ runId: z.string().min(1).max(255) });

export const startRunBody = z.strictObject({
  params: z.record(z.string(), z.unknown()).optional(),
  version: z.number().int().min(1).optional(),
});

export const listRunsQuery = z.strictObject({
  pipeline: pipelineName.optional(),
  status: z.enum(RUN_STATUSES, { error: `expected one of ${RUN_STATUSES.join(', ')}` }).optional(),
  limit: intString(500).default(50),
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

export const runCreatedResponse = z.object({ runId: z.string() });

export const runSummary = z.object({
  runId: z.string(),
  pipeline: z.string().nullable(),
  status: z.enum(RUN_STATUSES),
  startedAt: isoDate,
  closedAt: isoDate.nullable(),
});
export const runListResponse = z.object({ runs: z.array(runSummary) });

export const nodeView = z.object({
  state: z.enum(NODE_STATES),
  attempt: z.number().int(),
  startedAt: isoDate.nullable(),
  endedAt: isoDate.nullable(),
  stats: z.record(z.string(), z.number()),
  error: z.string().nullable(),
  site: z.string(),
  outputs: z.record(z.string(), z.unknown()).nullable(),
  waiting: z.string().optional().describe('why a scheduled node has not started, e.g. no worker polls its task queue'),
});

export const runResponse = z.object({
  runId: z.string(),
  pipeline: z.string(),
  version: z.number().int(),
  status: z.enum(RUN_STATUSES),
  startedAt: isoDate,
  endedAt: isoDate.nullable(),
  error: z.string().nullable(),
  nodes: z.record(z.string(), nodeView),
});

export const runActionResponse = z.object({ runId: z.string(), requested: z.enum(['pause', 'resume', 'cancel']) });

export const problemResponse = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })),
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
