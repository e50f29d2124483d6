// Starts the real API (real store, real Temporal client) on a free port for one test file.
import type { ApiMetrics } from '../../src/api/metrics.js';
import assert from 'node:assert/strict';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { catalog } from '../../src/catalog.js';
import { startApi } from '../../src/api/server.js';
import { createLogger } from '../../src/log.js';
import type { Catalog } from '../../src/dag/catalog.js';
import type { Role, Store } from '../../src/store/types.js';
import type { AuthSettings } from '../../src/api/auth/middleware.js';
import type { WebSettings } from '../../src/api/guards.js';
import type { CodecSettings } from '../../src/api/deps.js';
import type { ConsoleSettings } from '../../src/api/console.js';
import { issueKey } from '../../src/api/auth/keys.js';
import { waitFor } from './env.js';
import { ApiConformance } from './openapi-conformance.js';
import { createSluiceClient, type SluiceClient } from '../../src/api/client/index.js';

export interface TestApi {
  url: string;
  server: http.Server;
  /** An admin key `call` sends unless told otherwise. */
  adminKey: string;
  /** The typed client (generated from the OpenAPI document) with the admin key. */
  client: SluiceClient;
  /**
   * fetch against the API as the admin key; a plain object body is sent as JSON. An
   * `authorization` header replaces the key; `authorization: ''` sends none. Every answer is
   * checked against the OpenAPI document (status listed, body fits its schema): a mismatch throws.
   */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; json: any }>;
  /** Makes a key with this role (and scope) through the store, as `sluice keys create` does. */
  makeKey(role: Role, pipelines?: string[]): Promise<string>;
  /** Registers `spec` (201 expected) and starts a run of it with `body`; returns the run id. */
  startPipelineRun(spec: { name: string; [key: string]: unknown }, body?: unknown): Promise<string>;
  /** Polls GET /runs/{id} until `ok` holds for its view; returns that view. */
  runWhere(runId: string, what: string, ok: (view: any) => boolean, timeoutMs?: number): Promise<any>;
  close(): Promise<void>;
}

export async function startTestApi(deps: { store: Store; client: Client; taskQueue: string; catalog?: Catalog; auth?: AuthSettings; web?: WebSettings; codec?: CodecSettings; metrics?: ApiMetrics; console?: ConsoleSettings; port?: number }): Promise<TestApi> {
  const logger = createLogger(process.env.LOG_LEVEL ?? 'silent', 'sluice-api-test');
  const auth: AuthSettings = deps.auth ?? { mode: 'on', oidc: null };
  const { port = 0, ...appDeps } = deps;
  const server = await startApi({ catalog, ...appDeps, auth, logger }, port, '127.0.0.1');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const makeKey = async (role: Role, pipelines?: string[]) =>
    (await issueKey(deps.store, { name: `test ${role}`, role, pipelines: pipelines ?? null, expiresInMs: null, createdBy: 'test' })).key;
  // With SLUICE_AUTH=off no key is needed (and a broken store could not make one).
  const adminKey = auth.mode === 'off' ? '' : await makeKey('admin');
  const conformance = new ApiConformance(deps.catalog ?? catalog);
  // Every answer through the typed client is held to the document too.
  const checkedFetch = async (request: Request): Promise<Response> => {
    const res = await fetch(request);
    const text = await res.clone().text();
    const wrong = conformance.check(request.method, new URL(request.url).pathname + new URL(request.url).search, res.status, res.headers.get('content-type'), parse(text));
    if (wrong) throw new assert.AssertionError({ message: wrong });
    return res;
  };
  const api: TestApi = {
    url,
    server,
    adminKey,
    client: createSluiceClient({ baseUrl: url, key: adminKey, fetch: checkedFetch }),
    makeKey,
    async startPipelineRun(spec, body = {}) {
      const created = await api.client.POST('/api/v1/pipelines', { body: spec as never });
      assert.equal(created.response.status, 201, JSON.stringify(created.error));
      const run = await api.client.POST('/api/v1/pipelines/{name}/runs', { params: { path: { name: spec.name } }, body: body as never });
      assert.equal(run.response.status, 201, JSON.stringify(run.error ?? run.data));
      assert.ok(run.data && 'runId' in run.data && typeof run.data.runId === 'string');
      return run.data.runId;
    },
    runWhere(runId, what, ok, timeoutMs = 30_000) {
      return waitFor(async () => {
        const { data, error, response } = await api.client.GET('/api/v1/runs/{runId}', { params: { path: { runId } } });
        assert.equal(response.status, 200, JSON.stringify(error));
        return ok(data) ? data : null;
      }, what, timeoutMs);
    },
    async call(method, path, body, headers = {}) {
      const { authorization = adminKey ? `Bearer ${adminKey}` : '', ...rest } = headers;
      const init: RequestInit = { method, headers: { ...rest, ...(authorization === '' ? {} : { authorization }) } };
      if (typeof body === 'string') init.body = body;
      else if (body !== undefined) {
        init.body = JSON.stringify(body);
        (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
      }
      const res = await fetch(url + path, init);
      const text = await res.text();
      const json = parse(text);
      const wrong = conformance.check(method, path, res.status, res.headers.get('content-type'), json);
      if (wrong) throw new assert.AssertionError({ message: `${wrong}\n${text.slice(0, 500)}` });
      return { status: res.status, headers: res.headers, json };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return api;
}

/** JSON when the text is JSON, else the text itself (undefined when empty). */
function parse(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
