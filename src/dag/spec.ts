// The pipeline spec (v1) as zod schemas: the one source of its shape, its limits (src/dag/limits.ts)
// and its normalised types.
import { z } from 'zod';
import { durationSchema } from './duration.js';
import {
  MAX_CONCURRENCY_LIMIT,
  MAX_DESCRIPTION_LENGTH,
  MAX_INT32,
  MAX_MAP_ITEMS,
  MAX_NOTIFY,
  MAX_URL_LENGTH,
  MAX_NODE_ID_LENGTH,
  MAX_NODE_TYPE_LENGTH,
  MAX_NODES,
  MAX_PARAM_NAME_LENGTH,
  MAX_PARAMS,
  MAX_PIPELINE_NAME_LENGTH,
  MAX_SHORT_TEXT_LENGTH,
  MAX_SITE_LENGTH,
} from './limits.js';
import { CENTRAL, NOTIFY_EVENTS } from './vocabulary.js';
import { SECRET_NAME_PATTERN } from './secret.js';

export const PIPELINE_NAME_PATTERN = /^[a-z0-9][a-z0-9-]*$/;
export const PARAM_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
// No dots: ids are segments of template paths (`nodes.<id>.outputs`).
export const NODE_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;
export const NODE_TYPE_PATTERN = /^[a-z0-9_]+\.[a-z0-9_]+$/;
export const SITE_PATTERN = /^[a-z0-9][a-z0-9-]*$/;
const FOR_EACH_FORMS = 'expected one template like "{{ nodes.<id>.outputs.<list> }}", or a list of items';
/** A string that is exactly one `{{ path }}` template. */
export const SINGLE_TEMPLATE_PATTERN = /^\{\{[^{}]*\}\}$/;

const positiveDuration = durationSchema.refine((ms) => ms > 0, 'must be longer than 0');
/**
 * How long a running node's rows and parts may stand still before the attempt is failed as
 * stalled and retried (default 5m, in src/workflows/node-task.ts). At least a second: progress is
 * looked at once a second.
 */
const stallTimeoutSchema = durationSchema.refine((ms) => ms >= 1000, 'must be at least 1s');

export const retrySpecSchema = z.strictObject({
  maximumAttempts: z.number().int().min(1).max(MAX_INT32).optional(),
  initialInterval: positiveDuration.optional(),
  backoffCoefficient: z.number().min(1).optional(),
  maximumInterval: positiveDuration.optional(),
  nonRetryableErrorTypes: z.array(z.string().min(1).max(MAX_SHORT_TEXT_LENGTH)).max(100).optional(),
});

function defaultError(type: string) {
  return (iss: { input?: unknown }) =>
    iss.input === undefined ? undefined : `expected ${type} to match the param's type, got ${typeName(iss.input)}`;
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v;
}

const paramCommon = { description: z.string().max(MAX_DESCRIPTION_LENGTH).optional() };

// A discriminated union, so a default of the wrong type is reported at `params.<name>.default`.
export const paramSpecSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('string'), default: z.string({ error: defaultError('string') }).optional(), ...paramCommon }),
  z.strictObject({ type: z.literal('number'), default: z.number({ error: defaultError('number') }).optional(), ...paramCommon }),
  z.strictObject({ type: z.literal('boolean'), default: z.boolean({ error: defaultError('boolean') }).optional(), ...paramCommon }),
  // A list param is what a mapped node's forEach can run over (`forEach: "{{ params.regions }}"`).
  z.strictObject({
    type: z.literal('list'),
    default: z.array(z.unknown(), { error: defaultError('list') }).max(MAX_MAP_ITEMS, `must list at most ${MAX_MAP_ITEMS} items`).optional(),
    ...paramCommon,
  }),
]);

/** How many bad records a node tolerates (dead-lettered) before it fails. Default: none. */
const badRecordLimits = {
  maxBadRecords: z.number().int().min(0).optional(),
  maxBadRatio: z.number().min(0).max(1).optional(),
};

const nodeIdSchema = z
  .string()
  .max(MAX_NODE_ID_LENGTH)
  .regex(NODE_ID_PATTERN, 'expected an id of letters, digits, _ and - (starting with a letter or _), no dots');

export const nodeSpecSchema = z.strictObject({
  id: nodeIdSchema,
  type: z.string().max(MAX_NODE_TYPE_LENGTH).regex(NODE_TYPE_PATTERN, 'expected a node type like postgres.read (<connector>.<verb>)'),
  // A single id is accepted too, as in GitHub Actions (`needs: extract`).
  needs: z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (typeof v === 'string' ? [v] : v))
    .pipe(z.array(z.string().max(MAX_NODE_ID_LENGTH)).max(MAX_NODES))
    .default([]),
  site: z
    .string()
    .max(MAX_SITE_LENGTH)
    .regex(SITE_PATTERN, 'expected a site name of lower-case letters, digits and -')
    // Progress reports central nodes as site "central"; a site of that name would be ambiguous.
    .refine((s) => s !== CENTRAL, `"${CENTRAL}" is reserved for the ${CENTRAL} workers; omit site to run there`)
    .optional(),
  when: z.string().max(MAX_SHORT_TEXT_LENGTH).optional(),
  // A mapped node: one instance per item, each with `{{ item }}` and `{{ index }}` in its config.
  forEach: z
    .union([z.string(), z.array(z.unknown())], { error: FOR_EACH_FORMS })
    .superRefine((v, ctx) => {
      if (typeof v === 'string' && (v.length > MAX_SHORT_TEXT_LENGTH || !SINGLE_TEMPLATE_PATTERN.test(v))) ctx.addIssue({ code: 'custom', message: FOR_EACH_FORMS });
      if (Array.isArray(v) && v.length > MAX_MAP_ITEMS) ctx.addIssue({ code: 'custom', message: `must list at most ${MAX_MAP_ITEMS} items` });
    })
    .optional(),
  retry: retrySpecSchema.optional(),
  timeout: positiveDuration.optional(),
  heartbeatTimeout: positiveDuration.optional(),
  stallTimeout: stallTimeoutSchema.optional(),
  ...badRecordLimits,
  // Checked against the node type's own schema by the validator, which knows the catalog.
  config: z.record(z.string(), z.unknown()).default({}),
});

const secretRefSchema = z.strictObject({
  $secret: z.string().regex(SECRET_NAME_PATTERN, 'expected a secret name of upper-case letters, digits and _ (like HOOK_KEY)'),
});

// An http(s) URL as written, or a secret holding one (a Slack webhook URL is itself a credential).
const hookUrlSchema = z.union(
  [
    z
      .string()
      .max(MAX_URL_LENGTH)
      .refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), 'expected an http or https URL'),
    secretRefSchema,
  ],
  { error: 'expected an http or https URL, or { $secret: NAME } naming one' },
);

/** Where a run's events are sent: a webhook (JSON, signed when `secret` is set) or a Slack incoming webhook. */
export const notifySpecSchema = z
  .strictObject({
    on: z.array(z.enum(NOTIFY_EVENTS, { error: `expected one of ${NOTIFY_EVENTS.join(', ')}` })).min(1).max(NOTIFY_EVENTS.length),
    webhook: z.strictObject({ url: hookUrlSchema, secret: secretRefSchema.optional() }).optional(),
    slack: z.strictObject({ url: hookUrlSchema }).optional(),
  })
  .refine((n) => (n.webhook === undefined) !== (n.slack === undefined), 'expected exactly one of webhook or slack');

/** What a start does when the pipeline already runs `limit` runs: wait its turn, start nothing, or answer 409. */
export const ON_CONFLICT = ['queue', 'skip', 'fail'] as const;

export const concurrencySpecSchema = z.strictObject({
  // Not .int(): its safe-integer bound would be reported beside ours for a huge number (1e300).
  limit: z.number().min(1).max(MAX_CONCURRENCY_LIMIT).refine(Number.isInteger, 'expected an integer').meta({ type: 'integer' }),
  onConflict: z.enum(ON_CONFLICT, { error: `expected one of ${ON_CONFLICT.join(', ')}` }).default('queue'),
});

export const pipelineSpecSchema = z.strictObject({
  name: z
    .string()
    .max(MAX_PIPELINE_NAME_LENGTH)
    .regex(PIPELINE_NAME_PATTERN, 'expected a name of lower-case letters, digits and - (like orders-daily)'),
  description: z.string().max(MAX_DESCRIPTION_LENGTH).optional(),
  params: z
    .record(z.string().max(MAX_PARAM_NAME_LENGTH).regex(PARAM_NAME_PATTERN, 'expected a param name of letters, digits and _'), paramSpecSchema)
    .refine((p) => Object.keys(p).length <= MAX_PARAMS, `must declare at most ${MAX_PARAMS} params`)
    .optional(),
  defaults: z
    .strictObject({
      retry: retrySpecSchema.optional(),
      timeout: positiveDuration.optional(),
      heartbeatTimeout: positiveDuration.optional(),
      stallTimeout: stallTimeoutSchema.optional(),
      ...badRecordLimits,
    })
    .optional(),
  maxParallel: z.number().int().min(1).max(64).default(4),
  // When a node fails for good: stop (cancel the rest; default) or continue (independent branches run on).
  onFailure: z.enum(['stop', 'continue']).optional(),
  // How long a failed run stays open for POST /runs/{id}/retry before it closes as failed (default 7d; 0: at once).
  recoveryWindow: durationSchema.optional(),
  // At most `limit` runs of this pipeline at once, across every API process (default: no limit).
  concurrency: concurrencySpecSchema.optional(),
  // Who is told when a run succeeds, fails, pauses, is cancelled, or is still open `sla` after it started.
  notify: z.array(notifySpecSchema).max(MAX_NOTIFY).optional(),
  sla: positiveDuration.optional(),
  nodes: z.array(nodeSpecSchema).min(1).max(MAX_NODES),
});

/** The normalised spec: durations in ms, `needs` and `config` defaulted, config values as written. */
export type PipelineSpec = z.output<typeof pipelineSpecSchema>;
export type NodeSpec = PipelineSpec['nodes'][number];
export type RetrySpec = z.output<typeof retrySpecSchema>;
export type ParamSpec = z.output<typeof paramSpecSchema>;
export type ConcurrencySpec = z.output<typeof concurrencySpecSchema>;
export type NotifySpec = z.output<typeof notifySpecSchema>;
