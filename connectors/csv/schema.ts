import { z } from 'zod';
import { batchSizeSchema, columnTypesSchema, datasetInputSchema } from '../../src/kit/index.js';
import { asciiCharSchema, isObject, pathSchema, sinkGzipSchema, sourceGzipSchema } from '../../src/kit/files/schema.js';

export const csvReadConfig = z
  .strictObject({
    path: pathSchema,
    gzip: sourceGzipSchema,
    batchSize: batchSizeSchema,
    /** The first line holds column names (skipped, and replaced by `columns` when given). */
    header: z.boolean().default(true),
    columns: z.array(z.string().min(1)).min(1).optional(),
    delimiter: asciiCharSchema.default(','),
    quote: asciiCharSchema.default('"'),
    /** Logical type per column; columns not listed are text. */
    types: columnTypesSchema.optional(),
  })
  .superRefine(
    (config, ctx) => {
      if (config.header === false && config.columns === undefined) {
        ctx.addIssue({ code: 'custom', path: ['columns'], message: 'required when header is false (the file has no column names)' });
      }
      if (config.delimiter === config.quote) ctx.addIssue({ code: 'custom', path: ['quote'], message: 'must differ from the delimiter' });
      if (config.columns) {
        const seen = new Set<string>();
        for (const [i, name] of config.columns.entries()) {
          if (seen.has(name)) ctx.addIssue({ code: 'custom', path: ['columns', i], message: `column "${name}" is listed twice` });
          seen.add(name);
        }
        for (const name of Object.keys(config.types ?? {})) {
          if (!seen.has(name)) ctx.addIssue({ code: 'custom', path: ['types', name], message: `not one of columns (${config.columns.join(', ')})` });
        }
      }
    },
    // Runs even when other fields are wrong, so every problem is reported at once.
    { when: (payload) => isObject(payload.value) },
  );

export const csvWriteConfig = z
  .strictObject({
    /** Directory the part files go to; created when missing. */
    path: pathSchema,
    gzip: sinkGzipSchema,
    header: z.boolean().default(true),
    delimiter: asciiCharSchema.default(','),
    ...datasetInputSchema.shape,
  })
  .refine((config) => config.delimiter !== '"', { path: ['delimiter'], message: 'must not be the quote character "' });

export type CsvReadConfig = z.output<typeof csvReadConfig>;
export type CsvWriteConfig = z.output<typeof csvWriteConfig>;
