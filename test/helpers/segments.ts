// A stack of its own for tests of runs that continue as new: a Temporal dev server started with
// `dynamicConfig` (e.g. suggesting continue-as-new early), a metadata database and store, a central
// worker and the API, torn down together.
import { Client, Connection } from '@temporalio/client';
import { createStore } from '../../src/store/store.js';
import type { Store } from '../../src/store/types.js';
import { startDevServer, type DevServer } from '../../temporal/dev-server.js';
import { ensureSearchAttributes } from '../../temporal/search-attributes.js';
import { createTestDatabase, uniqueName, type TestDatabase } from './env.js';
import { testCatalog } from './pipelines.js';
import { startWorker, type RunningWorker } from './worker.js';
import { startTestApi, type TestApi } from './api.js';

export interface OwnStack {
  server: DevServer;
  client: Client;
  db: TestDatabase;
  store: Store;
  worker: RunningWorker;
  api: TestApi;
  taskQueue: string;
  close(): Promise<void>;
}

/** `workerEnv`: given the metadata database's URL, the central worker's environment. */
export async function startOwnStack(options: {
  dynamicConfig: Record<string, unknown>;
  queue: string;
  dbPrefix?: string;
  workerEnv?: (dbUrl: string) => NodeJS.ProcessEnv;
}): Promise<OwnStack> {
  const server = await startDevServer({ dynamicConfig: options.dynamicConfig });
  const connection = await Connection.connect({ address: server.address });
  await ensureSearchAttributes(connection, 'default');
  const client = new Client({ connection });
  const db = await createTestDatabase(options.dbPrefix);
  const store = await createStore(db.url);
  const taskQueue = uniqueName(options.queue);
  const worker = await startWorker(server.address, { namespace: 'default', taskQueue, ...(options.workerEnv ? { env: options.workerEnv(db.url) } : {}) });
  const api = await startTestApi({ store, client, taskQueue, catalog: testCatalog });
  return {
    server,
    client,
    db,
    store,
    worker,
    api,
    taskQueue,
    async close() {
      await api.close();
      await worker.stop();
      await store.close();
      await db.drop();
      await connection.close();
      await server.stop();
    },
  };
}
