import { z } from 'zod';
import { credential, datasetInputSchema, durationSchema, S3_CONNECT_TIMEOUT_MS, S3_REQUEST_TIMEOUT_MS } from '../../src/kit/index.js';

const positive = durationSchema.refine((ms) => ms > 0, 'must be longer than 0');

/** S3's bucket naming rules (lowercase letters, digits, dots, hyphens; 3 to 63 characters). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export const s3WriteConfig = z.strictObject({
  bucket: z.string().regex(BUCKET, 'expected an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens'),
  /** Key prefix of the load, e.g. `orders/{{ params.date }}`; objects go to `<prefix>/part-NNNNNN.<format>`. */
  prefix: z
    .string()
    .refine((p) => !p.split('/').some((s) => s === '.' || s === '..'), 'must not contain "." or ".." segments')
    .default(''),
  format: z.enum(['jsonl', 'csv']).default('jsonl'),
  gzip: z.boolean().default(false),
  /** An S3-compatible server (MinIO, Ceph, ...); AWS when unset. */
  endpoint: z.url().optional(),
  region: z.string().min(1).optional(),
  /** Usually `{ accessKeyId: { $secret: A }, secretAccessKey: { $secret: B } }`; the worker's AWS default chain when unset. */
  credentials: z.strictObject({ accessKeyId: credential(z.string().min(1), { literal: 'allowed' }), secretAccessKey: credential(z.string().min(1)) }).optional(),
  /** Path-style URLs; default: on when `endpoint` is set. */
  forcePathStyle: z.boolean().optional(),
  /** Objects larger than this are sent as a multipart upload in parts of this size (S3's minimum is 5 MiB). */
  partSizeMb: z.number().int().min(5).max(5120).default(16),
  /** Longest wait to connect to S3. */
  connectTimeout: positive.default(S3_CONNECT_TIMEOUT_MS),
  /** Longest a request may go without a byte moving before it fails and is retried. */
  requestTimeout: positive.default(S3_REQUEST_TIMEOUT_MS),
  ...datasetInputSchema.shape,
});

export type S3WriteConfig = z.output<typeof s3WriteConfig>;
