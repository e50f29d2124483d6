import { z } from 'zod';
import { columnTypesSchema, credential, CREDENTIAL_HEADER, durationSchema } from '../../src/kit/index.js';
import { retrySchema } from '../../src/kit/http/retry.js';

/** An http(s) URL; other schemes (file:, ftp:) are refused so a spec cannot read the worker's disk. */
export const httpUrlSchema = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' });

/** Retries of one request on 429, 5xx and network errors, before the node's own (activity) retry takes over. */

/** A dotted path into a JSON document, e.g. `data.items`; digits index arrays. */
const jsonPathSchema = z.string().regex(/^[^.]+(\.[^.]+)*$/, 'expected a dotted path like data.items');

const paramName = z.string().min(1);

export const paginationSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  z
    .strictObject({
      type: z.literal('page'),
      param: paramName.default('page'),
      start: z.number().int().min(0).default(1),
      /** Records per page: sent as sizeParam, and a shorter page ends the read. */
      size: z.number().int().min(1).optional(),
      sizeParam: paramName.optional(),
    })
    .refine((p) => p.sizeParam === undefined || p.size !== undefined, { path: ['size'], message: 'required when sizeParam is set' }),
  z.strictObject({
    type: z.literal('offset'),
    param: paramName.default('offset'),
    limitParam: paramName.default('limit'),
    /** Records per request; a shorter page ends the read, so keep it within the API's maximum. */
    limit: z.number().int().min(1),
  }),
  z.strictObject({
    type: z.literal('cursor'),
    /** Query parameter that carries the cursor on the next request. */
    param: paramName,
    /** Where the next cursor is in the response; missing, null or "" ends the read. */
    cursorPath: jsonPathSchema,
  }),
  z.strictObject({ type: z.literal('link') }),
]);

export type Pagination = z.output<typeof paginationSchema>;


export const httpReadConfig = z.strictObject({
  url: httpUrlSchema,
  method: z.enum(['GET', 'POST']).default('GET'),
  /** Values may be `{ $secret: NAME }`; they are never logged or quoted in errors. */
  headers: credential(z.record(z.string().min(1), z.string()), { keys: CREDENTIAL_HEADER }).optional(),
  query: credential(z.record(z.string().min(1), z.union([z.string(), z.number(), z.boolean()])), { keys: CREDENTIAL_HEADER }).optional(),
  /** JSON body of a POST. */
  body: z.json().optional(),
  /** Path of the records array in each response; omitted: the response itself is the array. */
  records: jsonPathSchema.optional(),
  pagination: paginationSchema.default({ type: 'none' }),
  maxPages: z.number().int().min(1).optional(),
  /** Column types that inference should not guess (e.g. a number column whose first values are whole). */
  types: columnTypesSchema.optional(),
  /** Per request. */
  timeout: durationSchema.default(30_000),
  retry: retrySchema,
});

export type HttpReadConfig = z.output<typeof httpReadConfig>;
