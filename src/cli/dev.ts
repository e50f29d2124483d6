// `sluice dev`: everything on a laptop in one process tree: the Temporal dev server (SQLite file,
// Web UI), the metadata database, the API and a central worker. Ctrl-C stops all of it.
import path from 'node:path';
import pg from 'pg';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig, type Config } from '../config.js';
import type { Logger } from '../log.js';
import { startApiFromConfig, type RunningApi } from '../api/server.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../store/embedded.js';
import { bundleInChildProcess } from '../worker/bundle.js';
import { createWorker } from '../worker/create.js';
import { LogShipper } from '../worker/logs/shipper.js';
import { issueKey } from '../api/auth/keys.js';
import { installRuntime } from '../worker/runtime.js';
import { freePort, startDevServer, type DevServer } from '../../temporal/dev-server.js';
import { payloadDataConverter } from '../codec/data-converter.js';
import { devPayloadKeys } from '../codec/dev-keys.js';
import { CENTRAL } from '../dag/vocabulary.js';
import { pgConnectionOptions } from '../kit/postgres.js';

export interface DevOptions {
  dataDir: string;
  apiPort: number;
  temporalPort: number;
  uiPort: number;
  /** Interface the API listens on (default 127.0.0.1: this machine only). */
  host?: string;
  /** Encrypt payloads (default): SLUICE_PAYLOAD_KEYS, else a dev key kept in dataDir; the Web UI decodes through the API. */
  encrypt?: boolean;
}

export interface DevEnvironment {
  apiUrl: string;
  uiUrl: string;
  temporalAddress: string;
  databaseUrl: string;
  /** An admin key made for this start (the previous dev key is revoked). */
  apiKey: string;
  config: Config;
  stop(): Promise<void>;
}

/** The local server's URL for `database` when one answers at 127.0.0.1:5432, else null. */
async function localPostgres(database: string): Promise<string | null> {
  const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres', ...pgConnectionOptions({ connectTimeoutMs: 1500, statementTimeoutMs: 30_000 }) });
  // Lost between its two queries, the connection would emit an 'error' nobody hears and end the process.
  admin.on('error', () => undefined);
  try {
    await admin.connect();
  } catch {
    return null;
  }
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
  } finally {
    await admin.end();
  }
  return `postgres://postgres@127.0.0.1:5432/${database}`;
}

export async function startDev(options: DevOptions, logger: Logger): Promise<DevEnvironment> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((err: unknown) => logger.warn({ err }, 'stop failed'));
  };
  try {
    installRuntime(logger);
    // The Web UI is told the API's codec endpoint at start, so the API's port is settled first.
    const apiPort = options.apiPort || (await freePort());
    const payloadKeys = options.encrypt === false ? undefined : devPayloadKeys(options.dataDir, process.env.SLUICE_PAYLOAD_KEYS);
    const temporal: DevServer = await startDevServer({
      dbFile: path.join(options.dataDir, 'temporal.db'),
      port: options.temporalPort,
      uiPort: options.uiPort,
      logFile: path.join(options.dataDir, 'temporal.log'),
      ...(payloadKeys ? { uiCodecEndpoint: `http://127.0.0.1:${apiPort}/codec` } : {}),
    });
    stops.push(() => temporal.stop());
    logger.info({ address: temporal.address, ui: temporal.uiUrl }, 'Temporal dev server started');

    let databaseUrl = process.env.DATABASE_URL ?? (await localPostgres('sluice'));
    let maxConnections: number | undefined;
    if (!databaseUrl) {
      const embedded: EmbeddedPostgres = await startEmbeddedPostgres(path.join(options.dataDir, 'pglite'));
      stops.push(() => embedded.stop());
      databaseUrl = embedded.url;
      maxConnections = embedded.maxConnections;
      logger.info('no PostgreSQL at 127.0.0.1:5432 and no DATABASE_URL: using an embedded PGlite database');
    }

    const config = loadConfig({
      ...process.env,
      TEMPORAL_ADDRESS: temporal.address,
      DATABASE_URL: databaseUrl,
      PORT: String(apiPort),
      SLUICE_STAGING_DIR: process.env.SLUICE_STAGING_DIR ?? path.join(options.dataDir, 'staging'),
      SLUICE_PAYLOAD_KEYS: payloadKeys,
      // The console links each run to this dev server's Web UI.
      SLUICE_TEMPORAL_UI_URL: process.env.SLUICE_TEMPORAL_UI_URL ?? temporal.uiUrl ?? undefined,
    });
    const api: RunningApi = await startApiFromConfig(config, logger.child({ role: 'api' }), {
      databaseUrl,
      host: options.host ?? '127.0.0.1',
      devKey: true,
      devUiOrigins: [`http://127.0.0.1:${options.uiPort}`, `http://localhost:${options.uiPort}`],
      ...(maxConnections ? { maxConnections } : {}),
    });
    stops.push(() => api.close());

    // The central worker ships its nodes' log lines to this API (a site key of its own), so the
    // console and `sluice logs` show them, as a production worker does with SLUICE_LOG_KEY.
    const logKey = (await issueKey(api.store, { name: 'sluice dev central worker logs', role: 'viewer', pipelines: null, expiresInMs: null, createdBy: 'sluice dev', site: CENTRAL })).key;
    const shipper = await LogShipper.start({
      apiUrl: api.url,
      key: logKey,
      site: CENTRAL,
      dir: path.join(options.dataDir, 'log-buffer'),
      maxBytes: config.SLUICE_LOG_BUFFER_SIZE,
      logger: logger.child({ role: 'log-shipper' }),
    });
    stops.push(() => shipper.close());

    const connection = await NativeConnection.connect({ address: temporal.address });
    const drain = new AbortController();
    const dataConverter = payloadDataConverter(config.SLUICE_PAYLOAD_KEYS);
    const worker = await createWorker({
      drain: drain.signal,
      workflowBundle: await bundleInChildProcess(dataConverter),
      ...(dataConverter ? { dataConverter } : {}),
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.SLUICE_TASK_QUEUE,
      stagingDir: config.SLUICE_STAGING_DIR,
      logger: logger.child({ site: CENTRAL }),
      // Shares the API's store: the embedded database serves one connection only.
      metadata: api.store,
      logShipper: shipper,
      // Notifications link to the run in this API.
      env: { ...process.env, SLUICE_PUBLIC_URL: process.env.SLUICE_PUBLIC_URL ?? api.url },
    });
    const running = worker.run();
    stops.push(async () => {
      drain.abort();
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close();
    });

    return { apiUrl: api.url, uiUrl: temporal.uiUrl!, temporalAddress: temporal.address, databaseUrl, apiKey: api.devKey!, config, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
