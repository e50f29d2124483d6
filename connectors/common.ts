import { z } from 'zod';
import { NODE_ID_PATTERN } from '../src/dag/spec.js';

/**
 * A postgres connection URL. Usually written as `{ $secret: NAME }` so the password stays on the worker; the
 * validator accepts a secret ref anywhere, and this schema checks the resolved value inside the activity.
 */
export const connectionSchema = z
  .string()
  .regex(/^postgres(ql)?:\/\//, 'expected a postgres URL like postgres://user@host:5432/db, or { $secret: NAME }');

/** Shared by node types that read a dataset: which direct upstream to read when there are several. */
export const datasetInputSchema = z.strictObject({
  input: z.string().regex(NODE_ID_PATTERN, 'expected the id of an upstream node').optional(),
});

export const batchSizeSchema = z.number().int().min(1).max(100_000).default(5000);
