// What the API needs from the rest of the system; tests pass real instances of each.
import type { ApiMetrics } from './metrics.js';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { Catalog } from '../dag/catalog.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/types.js';
import type { AuthSettings } from './auth/middleware.js';
import type { ConsoleSettings } from './console.js';
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
  /** Request and run counters for /metrics (SLUICE_METRICS_PORT); none when unset. */
  metrics?: ApiMetrics;
  /** The codec endpoint (/codec); default: encryption off, so it answers 404. */
  codec?: CodecSettings;
  /** The web console at `/`; default: dist/console, no Temporal Web UI links, namespace `default`. */
  console?: ConsoleSettings;
}

/** What the codec endpoint serves, and to which browser origins. */
export interface CodecSettings {
  /** The payload codec of SLUICE_PAYLOAD_KEYS; null when payloads are not encrypted. */
  codec: PayloadCodec | null;
  /** The namespace whose payloads these keys encrypt (X-Namespace must match when sent). */
  namespace: string;
  /** Temporal Web UI origins allowed by CORS (SLUICE_CODEC_CORS_ORIGINS). */
  origins: readonly string[];
  /** `sluice dev` on loopback: the dev Web UI's origins, whose calls need no key. Empty elsewhere. */
  localUiOrigins: readonly string[];
}
