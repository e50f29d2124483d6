// Config schemas of the transform node types. Expressions are compiled here too, so `sluice validate`
// and the API report one that does not compile at its path; unknown fields are caught when the node
// starts and sees its input's columns.
import { z } from 'zod';
import { code, datasetInputSchema } from '../../src/kit/index.js';
import { expressionProblem } from './expr.js';

export const CAST_TYPES = ['string', 'int', 'bigint', 'float', 'numeric', 'boolean', 'json', 'timestamp'] as const;

/** A CEL expression over the fields of a row. */
export const expressionSchema = code(
  'cel',
  z
  .string()
  .min(1, 'must not be empty')
  .superRefine((source, ctx) => {
    const problem = expressionProblem(source);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `does not compile: ${problem}` });
  })
  .describe('A CEL expression over the fields of a row, e.g. amount * quantity or row["odd name"] > 0.'),
);

const computedField = z.union([
  expressionSchema,
  z.strictObject({
    expr: expressionSchema,
    type: z.enum(CAST_TYPES).optional().describe('Type of the result (the column type); inferred from the expression when omitted.'),
  }),
]);

export const transformMapConfig = z.strictObject({
  rename: z.record(z.string(), z.string().min(1)).optional(),
  drop: z.array(z.string()).optional(),
  cast: z.record(z.string(), z.enum(CAST_TYPES)).optional(),
  compute: z
    .record(z.string().min(1), computedField)
    .optional()
    .describe('New (or replaced) fields computed from the input row after casts; rename and drop apply to them too.'),
  ...datasetInputSchema.shape,
});

export const transformFilterConfig = z.strictObject({
  where: expressionSchema.describe('Keeps the rows for which this CEL expression is true.'),
  onError: z
    .enum(['reject', 'drop'])
    .default('reject')
    .describe('A row whose expression fails (or is not a boolean): reject it as a bad record, or drop it silently.'),
  ...datasetInputSchema.shape,
});

const KEEP_LAST =
  'last is not supported: transform.dedupe writes each part as it reads it, so it cannot take back a row once a later ' +
  'duplicate appears; order the input newest first (e.g. ORDER BY updated_at DESC) and keep: first';

export const transformDedupeConfig = z.strictObject({
  key: z
    .array(z.string().min(1))
    .min(1)
    .refine((k) => new Set(k).size === k.length, 'lists a field twice')
    .describe('Fields whose values together identify a record.'),
  keep: z
    .enum(['first'], { error: (iss) => (iss.input === 'last' ? KEEP_LAST : undefined) })
    .default('first')
    .describe('Which record of each key to keep: the first in input order.'),
  ...datasetInputSchema.shape,
});

const fieldRule = z
  .strictObject({
    type: z.enum(CAST_TYPES).optional().describe('The value must be of this type or text that casts to it.'),
    required: z.boolean().optional().describe('The value must be present and not null.'),
    pattern: z
      .string()
      .refine(isRegExp, 'is not a valid regular expression')
      .optional()
      .describe('The value as text must match this regular expression (JavaScript syntax, unicode).'),
    min: z.number().optional(),
    max: z.number().optional(),
    minLength: z.number().int().min(0).optional(),
    maxLength: z.number().int().min(0).optional(),
    enum: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1).optional().describe('Allowed values, compared as text.'),
  })
  .superRefine((rule, ctx) => {
    if (rule.min !== undefined && rule.max !== undefined && rule.min > rule.max) {
      ctx.addIssue({ code: 'custom', path: ['max'], message: `must be at least min (${rule.min})` });
    }
    if (rule.minLength !== undefined && rule.maxLength !== undefined && rule.minLength > rule.maxLength) {
      ctx.addIssue({ code: 'custom', path: ['maxLength'], message: `must be at least minLength (${rule.minLength})` });
    }
    const numeric = rule.type === undefined || ['int', 'bigint', 'float', 'numeric'].includes(rule.type);
    for (const key of ['min', 'max'] as const) {
      if (rule[key] !== undefined && !numeric) {
        ctx.addIssue({ code: 'custom', path: [key], message: `applies to numbers, not to type ${rule.type}; use minLength/maxLength for text` });
      }
    }
  });

export const transformValidateConfig = z.strictObject({
  fields: z.record(z.string().min(1), fieldRule).describe('Rules per field; a row that breaks any rule is rejected as a bad record.'),
  allowExtra: z.boolean().default(true).describe('Whether a row may hold fields that `fields` does not list.'),
  ...datasetInputSchema.shape,
});

function isRegExp(pattern: string): boolean {
  try {
    new RegExp(pattern, 'u');
    return true;
  } catch {
    return false;
  }
}

export type TransformMapConfig = z.output<typeof transformMapConfig>;
export type TransformFilterConfig = z.output<typeof transformFilterConfig>;
export type TransformDedupeConfig = z.output<typeof transformDedupeConfig>;
export type TransformValidateConfig = z.output<typeof transformValidateConfig>;
export type FieldRule = z.output<typeof fieldRule>;
