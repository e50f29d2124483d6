// What the API needs from the rest of the system; tests pass real instances of each.
import type { Client } from '@temporalio/client';
import type { Catalog } from '../dag/catalog.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/types.js';
import type { AuthSettings } from './auth/middleware.js';
import type { WebSettings } from './guards.js';

export interface AppDeps {
  store: Store;
  client: Client;
  /** Base task queue the runPipeline workflow runs on. */
  taskQueue: string;
  catalog: Catalog;
  logger: Logger;
  /** How callers prove who they are (API keys, OIDC tokens, or SLUICE_AUTH=off). */
  auth: AuthSettings;
  /** CORS origins and the per-caller rate limit; defaults: no CORS, 1200 requests a minute. */
  web?: WebSettings;
}
