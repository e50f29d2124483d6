// Starting the API: on given dependencies (tests, `sluice dev`), or from the environment.
import { ApiMetrics } from './metrics.js';
import { clientTracing, startTracing } from '../tracing.js';
import { serveMetrics } from '../metrics-server.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@temporalio/client';
import { catalog } from '../catalog.js';
import { ensureSearchAttributes, registerSearchAttributesOnStart } from '../../temporal/search-attributes.js';
import { connectClient } from '../../temporal/connection.js';
import { metadataDbTimeoutsOf, type Config } from '../config.js';
import type { Logger } from '../log.js';
import { createStore } from '../store/store.js';
import type { Store } from '../store/types.js';
import { createApp, type AppDeps } from './app.js';
import { issueKey } from './auth/keys.js';
import type { AuthSettings } from './auth/middleware.js';
import { authSettings } from './auth/settings.js';
import type { CodecSettings } from './deps.js';
import { PayloadEncryptionCodec } from '../codec/codec.js';
import { payloadDataConverter } from '../codec/data-converter.js';
import { startLogRetention } from './log-retention.js';

const DEV_KEY_NAME = 'sluice dev';

/** A fresh admin key for `sluice dev`; the previous one (from an earlier start) is revoked, so old dev keys do not pile up. */
async function issueDevKey(store: Store): Promise<string> {
  for (const k of await store.listKeys()) if (k.name === DEV_KEY_NAME && k.createdBy === DEV_KEY_NAME && !k.revokedAt) await store.revokeKey(k.id);
  const { key } = await issueKey(store, { name: DEV_KEY_NAME, role: 'admin', pipelines: null, expiresInMs: null, createdBy: DEV_KEY_NAME });
  return key;
}

/**
 * The codec endpoint's settings: the configured Web UI origins, plus for `sluice dev` its own UI,
 * which may call without a key only while the API listens on loopback.
 */
function codecSettings(config: Config, logger: Logger, host: string | undefined, devUiOrigins: string[]): CodecSettings {
  const loopback = host !== undefined && /^(127(?:\.\d{1,3}){3}|::1|localhost)$/.test(host);
  if (devUiOrigins.length > 0 && !loopback && config.SLUICE_PAYLOAD_KEYS) {
    logger.warn({ host }, 'the API listens beyond this machine, so the dev Web UI cannot decode payloads without a key (see docs/security.md)');
  }
  const codec = config.SLUICE_PAYLOAD_KEYS ? new PayloadEncryptionCodec(config.SLUICE_PAYLOAD_KEYS) : null;
  if (config.SLUICE_PAYLOAD_KEYS) logger.info({ keys: config.SLUICE_PAYLOAD_KEYS }, 'payloads are encrypted; the codec endpoint is /codec');
  return {
    codec,
    namespace: config.TEMPORAL_NAMESPACE,
    origins: [...new Set([...config.SLUICE_CODEC_CORS_ORIGINS, ...devUiOrigins])],
    localUiOrigins: loopback ? devUiOrigins : [],
  };
}

/** Listens on `port` (0 = any free port) and resolves once the server accepts connections. */
export async function startApi(deps: AppDeps, port: number, host?: string): Promise<http.Server> {
  const server = http.createServer(createApp(deps));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  deps.logger.info({ port: addr.port }, 'API listening');
  return server;
}

export interface RunningApi {
  server: http.Server;
  url: string;
  /** The metadata store (a worker in the same process saves node state through it). */
  store: Store;
  /** With `devKey`: a fresh admin key for this machine's user (`sluice dev`, the demo). */
  devKey?: string;
  close(): Promise<void>;
}

/**
 * Connects everything the API needs from configuration (DATABASE_URL, Temporal, PORT) and starts it.
 * `maxConnections` is 1 when the database is the embedded PGlite server.
 */
export async function startApiFromConfig(
  config: Config,
  logger: Logger,
  options: { databaseUrl?: string; maxConnections?: number; host?: string; devKey?: boolean; devUiOrigins?: string[] } = {},
): Promise<RunningApi> {
  const databaseUrl = options.databaseUrl ?? config.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL is not set');
  const store = await createStore(databaseUrl, { logger, timeouts: metadataDbTimeoutsOf(config), ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}) });
  let devKey: string | undefined;
  let auth: AuthSettings;
  try {
    if (options.devKey) devKey = await issueDevKey(store);
    auth = await authSettings(config, store, logger);
  } catch (err) {
    await store.close();
    throw err;
  }
  const connection = await connectClient(config);
  try {
    await ensureSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
    const dataConverter = payloadDataConverter(config.SLUICE_PAYLOAD_KEYS);
    // A Temporal server that lost them (an in-memory dev server restarted) gets them again at the next start.
    const tracing = startTracing('sluice-api', process.env, logger);
    const reregister = registerSearchAttributesOnStart(connection, config.TEMPORAL_NAMESPACE, (added) =>
      logger.warn({ added }, 'Temporal had lost the search attributes; registered them again'),
    );
    const client = new Client({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      interceptors: { workflow: [reregister, ...(tracing ? [clientTracing(tracing.tracer)] : [])] },
      ...(dataConverter ? { dataConverter } : {}),
    });
    const codec = codecSettings(config, logger, options.host, options.devUiOrigins ?? []);
    const metrics = config.SLUICE_METRICS_PORT === undefined ? undefined : new ApiMetrics({ store, client, taskQueue: config.SLUICE_TASK_QUEUE });
    const metricsServer = metrics ? await serveMetrics(metrics.registry, config.SLUICE_METRICS_PORT!, config.SLUICE_METRICS_HOST, logger) : undefined;
    const server = await startApi(
      { store, client, taskQueue: config.SLUICE_TASK_QUEUE, catalog, logger, auth, codec, ...(metrics ? { metrics } : {}), console: {
          namespace: config.TEMPORAL_NAMESPACE,
          temporalUiUrl: config.SLUICE_TEMPORAL_UI_URL,
          ...(config.SLUICE_OIDC_ISSUER && config.SLUICE_OIDC_CLIENT_ID
            ? { oidc: { issuer: config.SLUICE_OIDC_ISSUER, audience: config.SLUICE_OIDC_AUDIENCE, clientId: config.SLUICE_OIDC_CLIENT_ID, clientSecret: config.SLUICE_OIDC_CLIENT_SECRET, scopes: config.SLUICE_OIDC_SCOPES } }
            : {}),
        }, web: { corsOrigins: config.SLUICE_CORS_ORIGINS, ratePerMinute: config.SLUICE_RATE_LIMIT } },
      config.PORT,
      options.host,
    );
    const { port } = server.address() as AddressInfo;
    // Idempotent answers are kept 24 hours; each API process sweeps the expired ones hourly.
    const purge = setInterval(() => {
      store.purgeIdempotency().catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'could not purge idempotent answers'));
    }, 3_600_000);
    purge.unref();
    const stopLogRetention = startLogRetention(store, config.SLUICE_LOG_RETENTION, logger);
    return {
      server,
      url: `http://127.0.0.1:${port}`,
      store,
      ...(devKey ? { devKey } : {}),
      async close() {
        clearInterval(purge);
        metricsServer?.close();
        await tracing?.shutdown();
        stopLogRetention();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await connection.close();
        await store.close();
      },
    };
  } catch (err) {
    await connection.close();
    await store.close();
    throw err;
  }
}
