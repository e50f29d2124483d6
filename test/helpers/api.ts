// Starts the real API (real store, real Temporal client) on a free port for one test file.
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { catalog } from '../../src/catalog.js';
import { startApi } from '../../src/api/server.js';
import { createLogger } from '../../src/log.js';
import type { Catalog } from '../../src/dag/catalog.js';
import type { Store } from '../../src/store/types.js';

export interface TestApi {
  url: string;
  server: http.Server;
  /** fetch against the API; a plain object body is sent as JSON. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; json: any }>;
  close(): Promise<void>;
}

export async function startTestApi(deps: { store: Store; client: Client; taskQueue: string; catalog?: Catalog }): Promise<TestApi> {
  const logger = createLogger(process.env.LOG_LEVEL ?? 'silent', 'sluice-api-test');
  const server = await startApi({ catalog, ...deps, logger }, 0, '127.0.0.1');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    server,
    async call(method, path, body, headers = {}) {
      const init: RequestInit = { method, headers: { ...headers } };
      if (typeof body === 'string') init.body = body;
      else if (body !== undefined) {
        init.body = JSON.stringify(body);
        (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
      }
      const res = await fetch(url + path, init);
      const text = await res.text();
      let json: unknown = undefined;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = text;
      }
      return { status: res.status, headers: res.headers, json };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
