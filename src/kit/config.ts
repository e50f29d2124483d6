// Config schemas several connectors share, so the same field reads and fails the same way everywhere.
import { z } from 'zod';
import { NODE_ID_PATTERN } from '../dag/spec.js';

import { COLUMN_TYPES } from './dataset.js';

import { codeRegistry, credentialRegistry, type CodeKind, type CredentialRule } from '../dag/credential.js';

export { durationSchema } from '../dag/duration.js';

/**
 * Marks a config field as a credential: a spec may give it only as `{ $secret: NAME }` (resolved on
 * the worker), never as a literal or a template, so no stored spec or run input holds one.
 * `without-password` accepts a literal with no password in it (a connection URL); `keys` marks
 * the values of a record under matching keys (authentication headers).
 */
export function credential<S extends z.ZodType>(schema: S, rule: CredentialRule = { literal: 'never' }): S {
  credentialRegistry.add(schema, rule);
  return schema;
}

/** Marks a config field as code (SQL or CEL): a `{{ }}` template inside it is refused; values are bound through params. */
export function code<S extends z.ZodType>(kind: CodeKind, schema: S): S {
  codeRegistry.add(schema, { code: kind });
  return schema;
}

/** Header names whose values authenticate: given only as { $secret }. */
export const CREDENTIAL_HEADER = /^(authorization|proxy-authorization|cookie|x-api-key)$|token|secret|api[-_]?key|auth|password|session/i;

/** `types: { column: logical type }`: what sources that cannot tell a column's type on their own are told. */
export const columnTypesSchema = z.record(z.string().min(1), z.enum(COLUMN_TYPES));

/** The id of a node in the same pipeline. */
export const nodeIdSchema = z.string().regex(NODE_ID_PATTERN, 'expected the id of an upstream node');

/**
 * A postgres connection URL. Usually written as `{ $secret: NAME }` so the password stays on the worker; the
 * validator accepts a secret ref anywhere, and this schema checks the resolved value inside the activity.
 */
export const connectionSchema = credential(
  z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres URL like postgres://user@host:5432/db, or { $secret: NAME }'),
  { literal: 'without-password' },
);

/** Shared by node types that read a dataset: which direct upstream to read when there are several. */
export const datasetInputSchema = z.strictObject({
  input: nodeIdSchema.optional(),
});

/** Records per staged part: what bounds a node's memory. */
export const batchSizeSchema = z.number().int().min(1).max(100_000).default(5000);
