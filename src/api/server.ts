// Starting the API: on given dependencies (tests, `sluice dev`), or from the environment.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@temporalio/client';
import { catalog } from '../catalog.js';
import { ensureSearchAttributes } from '../../temporal/search-attributes.js';
import { connectClient } from '../../temporal/connection.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { createStore } from '../store/store.js';
import type { Store } from '../store/types.js';
import { createApp, type AppDeps } from './app.js';

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
  close(): Promise<void>;
}

/**
 * Connects everything the API needs from configuration (DATABASE_URL, Temporal, PORT) and starts it.
 * `maxConnections` is 1 when the database is the embedded PGlite server.
 */
export async function startApiFromConfig(
  config: Config,
  logger: Logger,
  options: { databaseUrl?: string; maxConnections?: number } = {},
): Promise<RunningApi> {
  const databaseUrl = options.databaseUrl ?? config.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL is not set');
  const store = await createStore(databaseUrl, { logger, ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}) });
  const connection = await connectClient(config);
  try {
    await ensureSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
    const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
    const server = await startApi({ store, client, taskQueue: config.SLUICE_TASK_QUEUE, catalog, logger }, config.PORT);
    const { port } = server.address() as AddressInfo;
    return {
      server,
      url: `http://127.0.0.1:${port}`,
      store,
      async close() {
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
