import { z } from 'zod';
import { batchSizeSchema, columnTypesSchema, datasetInputSchema } from '../../src/kit/index.js';
import { pathSchema, sinkGzipSchema, sourceGzipSchema } from '../../src/kit/files/schema.js';

export const jsonlReadConfig = z.strictObject({
  path: pathSchema,
  gzip: sourceGzipSchema,
  batchSize: batchSizeSchema,
  /** Logical type per field: these fields come first in the schema and their values are checked. */
  types: columnTypesSchema.optional(),
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
