// The `retry` block of HTTP-based connectors: tries of one request before the node's own retry takes over.
import { z } from 'zod';
import { durationSchema } from '../config.js';

export const retrySchema = z
  .strictObject({
    maxAttempts: z.number().int().min(1).max(20).default(5),
    /** First backoff; doubles per attempt, with jitter, up to maxDelay. */
    initialDelay: durationSchema.default(500),
    /** Longest single wait, also the longest Retry-After honoured before giving up to the activity retry. */
    maxDelay: durationSchema.default(60_000),
  })
  .prefault({});

export type RetryConfig = z.output<typeof retrySchema>;
