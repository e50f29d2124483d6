import { z } from 'zod';
import { code, credential, durationSchema } from '../../src/kit/index.js';
import { retrySchema } from '../../src/kit/http/retry.js';

export const databricksReadConfig = z.strictObject({
  /** Workspace URL. */
  host: z.url({ protocol: /^https?$/, error: 'expected the workspace URL, like https://dbc-a1b2c3d4-e5f6.cloud.databricks.com' }),
  /** A personal access or OAuth token; write it as { $secret: NAME }. Sent as `Authorization: Bearer <token>`. */
  token: credential(z.string().min(1)),
  warehouseId: z.string().min(1),
  query: code('sql', z.string().refine((s) => s.trim() !== '', 'must not be empty')),
  catalog: z.string().min(1).optional(),
  schema: z.string().min(1).optional(),
  /** Bound to the query's `:name` markers, so values never get spliced into SQL. */
  parameters: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        value: z.union([z.string(), z.number(), z.boolean(), z.null()]),
        /** A SQL type such as INT, DATE or DECIMAL(10,2); Databricks defaults to STRING. */
        type: z.string().min(1).optional(),
      }),
    )
    .optional(),
  /** How long the submitting request waits for the result before polling takes over. */
  waitTimeout: z.string().regex(/^(0|[5-9]|[1-4]\d|50)s$/, 'expected 0s, or 5s to 50s').default('10s'),
  /** Polling starts at 250ms and slows down to this. */
  maxPollInterval: durationSchema.default(5_000),
  /** Per request, on top of waitTimeout for the submitting one. */
  timeout: durationSchema.default(60_000),
  retry: retrySchema,
});

export type DatabricksReadConfig = z.output<typeof databricksReadConfig>;
