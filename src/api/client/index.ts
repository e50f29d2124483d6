// The typed client of the Sluice API: openapi-fetch over the types generated from the OpenAPI
// document (schema.ts, `npm run api:types`). The `sluice` CLI, the API tests and the console call
// the API through it, so a route or body the document does not describe does not compile.
// Browser-safe: no Node imports.
import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, paths } from './schema.js';

export type { components, operations, paths } from './schema.js';
export type SluiceClient = Client<paths, 'application/json'>;
export type Schemas = components['schemas'];

export interface SluiceClientOptions {
  /** The API's address, without /api/v1 (paths in the document carry it). */
  baseUrl: string;
  /** An API key or OIDC token, sent as a bearer token. */
  key?: string | undefined;
  fetch?: ClientOptions['fetch'];
  headers?: Record<string, string>;
}

export function createSluiceClient(opts: SluiceClientOptions): SluiceClient {
  return createClient<paths>({
    baseUrl: opts.baseUrl.replace(/\/+$/, ''),
    headers: { ...opts.headers, ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}) },
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
}

/** A problem+json answer's parts, when `error` is one. */
export function problemOf(error: unknown): { detail: string; errors: { path: string; message: string }[] } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { detail, errors } = error as { detail?: unknown; errors?: unknown };
  if (typeof detail !== 'string') return undefined;
  const list = Array.isArray(errors) ? errors.filter((e): e is { path: string; message: string } => typeof e?.path === 'string' && typeof e?.message === 'string') : [];
  return { detail, errors: list };
}
