import { z } from 'zod';
import { durationSchema } from './duration.js';
import { CENTRAL } from './vocabulary.js';

export const PIPELINE_NAME_PATTERN = /^[a-z0-9][a-z0-9-]*$/;
export const PARAM_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
// No dots: ids are segments of template paths (`nodes.<id>.outputs`).
export const NODE_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;
export const NODE_TYPE_PATTERN = /^[a-z0-9_]+\.[a-z0-9_]+$/;
export const SITE_PATTERN = /^[a-z0-9][a-z0-9-]*$/;

const positiveDuration = durationSchema.refine((ms) => ms > 0, 'must be longer than 0');

export const retrySpecSchema = z.strictObject({
  maximumAttempts: z.number().int().min(1).optional(),
  initialInterval: positiveDuration.optional(),
  backoffCoefficient: z.number().min(1).optional(),
  maximumInterval: positiveDuration.optional(),
  nonRetryableErrorTypes: z.array(z.string().min(1)).optional(),
});

function defaultError(type: string) {
  return (iss: { input?: unknown }) =>
    iss.input === undefined ? undefined : `expected ${type} to match the param's type, got ${typeName(iss.input)}`;
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

const paramCommon = { description: z.string().optional() };

// A discriminated union, so a default of the wrong type is reported at `params.<name>.default`.
export const paramSpecSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('string'), default: z.string({ error: defaultError('string') }).optional(), ...paramCommon }),
  z.strictObject({ type: z.literal('number'), default: z.number({ error: defaultError('number') }).optional(), ...paramCommon }),
  z.strictObject({ type: z.literal('boolean'), default: z.boolean({ error: defaultError('boolean') }).optional(), ...paramCommon }),
]);

/** How many bad records a node tolerates (dead-lettered) before it fails. Default: none. */
const badRecordLimits = {
  maxBadRecords: z.number().int().min(0).optional(),
  maxBadRatio: z.number().min(0).max(1).optional(),
};

const nodeIdSchema = z
  .string()
  .max(64)
  .regex(NODE_ID_PATTERN, 'expected an id of letters, digits, _ and - (starting with a letter or _), no dots');

export const nodeSpecSchema = z.strictObject({
  id: nodeIdSchema,
  type: z.string().regex(NODE_TYPE_PATTERN, 'expected a node type like postgres.read (<connector>.<verb>)'),
  // A single id is accepted too, as in GitHub Actions (`needs: extract`).
  needs: z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (typeof v === 'string' ? [v] : v))
    .default([]),
  site: z
    .string()
    .regex(SITE_PATTERN, 'expected a site name of lower-case letters, digits and -')
    // Progress reports central nodes as site "central"; a site of that name would be ambiguous.
    .refine((s) => s !== CENTRAL, `"${CENTRAL}" is reserved for the ${CENTRAL} workers; omit site to run there`)
    .optional(),
  when: z.string().optional(),
  retry: retrySpecSchema.optional(),
  timeout: positiveDuration.optional(),
  heartbeatTimeout: positiveDuration.optional(),
  ...badRecordLimits,
  // Checked against the node type's own schema by the validator, which knows the catalog.
  config: z.record(z.string(), z.unknown()).default({}),
});

export const pipelineSpecSchema = z.strictObject({
  name: z
    .string()
    .max(63)
    .regex(PIPELINE_NAME_PATTERN, 'expected a name of lower-case letters, digits and - (like orders-daily)'),
  description: z.string().optional(),
  params: z
    .record(z.string().regex(PARAM_NAME_PATTERN, 'expected a param name of letters, digits and _'), paramSpecSchema)
    .optional(),
  defaults: z
    .strictObject({
      retry: retrySpecSchema.optional(),
      timeout: positiveDuration.optional(),
      heartbeatTimeout: positiveDuration.optional(),
      ...badRecordLimits,
    })
    .optional(),
  maxParallel: z.number().int().min(1).max(64).default(4),
  nodes: z.array(nodeSpecSchema).min(1),
});

/** The normalised spec: durations in ms, `needs` and `config` defaulted, config values as written. */
export type PipelineSpec = z.output<typeof pipelineSpecSchema>;
export type NodeSpec = PipelineSpec['nodes'][number];
export type RetrySpec = z.output<typeof retrySpecSchema>;
export type ParamSpec = z.output<typeof paramSpecSchema>;
