// The console's side of the API: the typed client (src/api/client) with the signed-in key, the
// key kept in sessionStorage (gone when the tab closes), role checks, problem messages, and the
// log stream read with fetch (EventSource cannot send the Authorization header).
import { createSluiceClient, problemOf, type Schemas, type SluiceClient } from '../api/client/index.js';

export type { Schemas, SluiceClient };
export type Role = Schemas['Whoami']['role'];
export type Run = Schemas['Run'];
export type NodeView = Run['nodes'][string];
export type LogLine = Schemas['RunLogs']['lines'][number];

const KEY_ITEM = 'sluice.apiKey';
const ROLES: readonly Role[] = ['viewer', 'operator', 'author', 'admin'];

export const storedKey = (): string | null => sessionStorage.getItem(KEY_ITEM);
export const storeKey = (key: string): void => sessionStorage.setItem(KEY_ITEM, key);
export const forgetKey = (): void => sessionStorage.removeItem(KEY_ITEM);

export function clientFor(key: string): SluiceClient {
  return createSluiceClient({ baseUrl: location.origin, key });
}

/** Whether `role` may do what `needed` may (viewer < operator < author < admin). */
export function roleAllows(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** Thrown for a refused answer: the status and the API's own words. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: { path: string; message: string }[] = [],
  ) {
    super(message);
    this.name = 'ApiProblem';
  }
}

/** The data of an openapi-fetch answer, or an ApiProblem carrying its detail. */
export function unwrap<T>(answer: { data?: T; error?: unknown; response: Response }): T {
  if (answer.data !== undefined && answer.response.ok) return answer.data;
  const p = problemOf(answer.error);
  throw new ApiProblem(answer.response.status, p?.detail ?? `${answer.response.status} ${answer.response.statusText}`, p?.errors ?? []);
}

export function messageOf(err: unknown): string {
  if (err instanceof ApiProblem) return err.errors.length > 0 ? `${err.message} (${err.errors.map((e) => `${e.path}: ${e.message}`).join('; ')})` : err.message;
  if (err instanceof TypeError) return `the API could not be reached: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/** Temporal Web UI address and namespace, from the <meta> tags the API fills in. */
export function temporalRunLink(runId: string): string | null {
  const ui = document.querySelector<HTMLMetaElement>('meta[name="sluice-temporal-ui"]')?.content;
  const ns = document.querySelector<HTMLMetaElement>('meta[name="sluice-namespace"]')?.content ?? 'default';
  if (!ui || !/^https?:\/\//.test(ui)) return null;
  return `${ui}/namespaces/${encodeURIComponent(ns)}/workflows/${encodeURIComponent(runId)}`;
}

/** This page's style nonce (a fresh one per page load): CodeMirror's <style> element carries it. */
export function styleNonce(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="sluice-style-nonce"]')?.content ?? '';
}

export interface LogPlace {
  site: string;
  nodes: string[];
  shipping: string;
  note: string;
}

export interface LogHandlers {
  onLine(line: LogLine): void;
  onPlaces(places: LogPlace[]): void;
  onEnd(status: string): void;
}

/**
 * Follows GET /runs/{id}/logs?follow=1 (server-sent events) until the run's lines end or `signal`
 * aborts. The stream is not in the OpenAPI client's typed answers (text/event-stream), so it is
 * read here with fetch and the same bearer key.
 */
export async function followLogs(key: string, runId: string, node: string | null, signal: AbortSignal, on: LogHandlers): Promise<void> {
  const q = new URLSearchParams({ follow: '1', ...(node ? { node } : {}) });
  const res = await fetch(`/api/v1/runs/${encodeURIComponent(runId)}/logs?${q}`, { headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream' }, signal });
  if (!res.ok || !res.body) {
    const body: unknown = await res.json().catch(() => undefined);
    throw new ApiProblem(res.status, problemOf(body)?.detail ?? `logs: ${res.status}`);
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += value;
    let at: number;
    while ((at = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length === 0) continue;
      const payload: unknown = JSON.parse(data.join('\n'));
      if (event === 'line') on.onLine(payload as LogLine);
      else if (event === 'places') on.onPlaces(payload as LogPlace[]);
      else if (event === 'end') on.onEnd(String((payload as { status?: unknown }).status ?? 'closed'));
      else if (event === 'error') throw new Error(String((payload as { message?: unknown }).message ?? 'the log stream failed'));
    }
  }
}

export type PipelineSpec = Schemas['PipelineSpec'];
export type Schedule = Schemas['Schedule'];

export interface Saved {
  /** 201: a new version; 200: the same spec as the latest version, nothing registered. */
  created: boolean;
  name: string;
  version: number;
}

/**
 * Registers a spec from its YAML text (POST /pipelines as application/yaml), so the API parses
 * exactly what was typed and its 400s name lines of it. A refusal throws an ApiProblem with the
 * API's errors (422: `{ path, message }` for each).
 */
export async function saveSpecYaml(client: SluiceClient, text: string): Promise<Saved> {
  const answer = await client.POST('/api/v1/pipelines', {
    // The document gives every media type of this body the PipelineSpec schema; the YAML text is
    // sent as it is by the serializer below.
    body: text as unknown as PipelineSpec,
    bodySerializer: (body) => body as unknown as string,
    headers: { 'content-type': 'application/yaml' },
  });
  const data = unwrap(answer);
  return { created: answer.response.status === 201, name: data.name, version: data.version };
}

let schemaOnce: Promise<Record<string, unknown>> | undefined;

/**
 * The pipeline JSON Schema of this API: `components.schemas.PipelineSpec` of its OpenAPI document
 * (GET /api/docs/openapi.json, which needs no key), so it lists exactly the node types this server's
 * catalog has. Its `$ref`s point into `components.schemas`, which is kept beside it. Once a page.
 */
export function pipelineSchema(): Promise<Record<string, unknown>> {
  schemaOnce ??= fetch('/api/docs/openapi.json', { headers: { accept: 'application/json' } })
    .then(async (res) => {
      if (!res.ok) throw new ApiProblem(res.status, `the OpenAPI document: ${res.status} ${res.statusText}`);
      const doc = (await res.json()) as { components?: { schemas?: Record<string, Record<string, unknown>> } };
      const schemas = doc.components?.schemas ?? {};
      const spec = schemas.PipelineSpec;
      if (!spec) throw new Error('the OpenAPI document has no PipelineSpec schema');
      return { ...spec, components: { schemas } };
    })
    .catch((err: unknown) => {
      schemaOnce = undefined;
      throw err;
    });
  return schemaOnce;
}
