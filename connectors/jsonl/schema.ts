import { z } from 'zod';
import { batchSizeSchema, datasetInputSchema } from '../common.js';
import { pathSchema, sinkGzipSchema, sourceGzipSchema } from '../files/schema.js';
import { typesSchema } from '../files/types.js';

export const jsonlReadConfig = z.strictObject({
  path: pathSchema,
  gzip: sourceGzipSchema,
  batchSize: batchSizeSchema,
  /** Logical type per field: these fields come first in the schema and their values are checked. */
  types: typesSchema.optional(),
  /** Drop fields outside the schema instead of rejecting their line as a bad record. */
  ignoreUnknownFields: z.boolean().default(false),
});

export const jsonlWriteConfig = z.strictObject({
  /** Directory the part files go to; created when missing. */
  path: pathSchema,
  gzip: sinkGzipSchema,
  ...datasetInputSchema.shape,
});

export type JsonlReadConfig = z.output<typeof jsonlReadConfig>;
export type JsonlWriteConfig = z.output<typeof jsonlWriteConfig>;
