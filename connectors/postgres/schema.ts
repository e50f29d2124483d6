import { z } from 'zod';
import { batchSizeSchema, connectionSchema, datasetInputSchema } from '../common.js';

export const postgresReadConfig = z.strictObject({
  connection: connectionSchema,
  query: z.string().refine((s) => s.trim() !== '', 'must not be empty'),
  // Bound to $1, $2, ... so values never get spliced into SQL.
  params: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  batchSize: batchSizeSchema,
});

const TABLE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

export const postgresWriteConfig = z
  .strictObject({
    connection: connectionSchema,
    table: z.string().regex(TABLE, 'expected a table name like orders or dw.orders'),
    mode: z.enum(['append', 'replace', 'upsert']).default('append'),
    key: z.array(z.string().min(1)).min(1).optional(),
    batchSize: batchSizeSchema,
    ...datasetInputSchema.shape,
  })
  .superRefine(
    (config, ctx) => {
      if (config.mode === 'upsert' && config.key === undefined) {
        ctx.addIssue({ code: 'custom', path: ['key'], message: 'required when mode is upsert' });
      }
    },
    // Runs even when other fields are wrong, so every problem is reported at once.
    { when: (payload) => isObject(payload.value) },
  );

function isObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export type PostgresReadConfig = z.output<typeof postgresReadConfig>;
export type PostgresWriteConfig = z.output<typeof postgresWriteConfig>;
