// The central worker's metadata database, for the activities that need it (sluice.saveState,
// sluice.acquireSlot, sluice.releaseSlot): one store, opened on first use from DATABASE_URL, or
// one handed in (`sluice dev` shares the API's).
import { ConfigError } from '../kit/errors.js';
import type { PgTimeouts } from '../kit/postgres.js';
import type { Logger } from '../log.js';
import { createStore } from '../store/store.js';
import type { NodeStateStore, RunHistoryStore, RunSlotStore } from '../store/types.js';

/** What central activities read and write in the metadata database. */
export type CentralStore = NodeStateStore & RunSlotStore & RunHistoryStore;

/** Opens the store once, on first call; without a store or a URL, fails with a ConfigError (not retried) saying what to set. */
export type OpenStore = (purpose: string) => Promise<CentralStore>;

export function metadataStore(store: CentralStore | undefined, databaseUrl: string | undefined, logger: Logger, timeouts: PgTimeouts = {}): OpenStore {
  let opened: Promise<CentralStore> | null = null;
  return (purpose) => {
    if (store) return Promise.resolve(store);
    if (!databaseUrl) return Promise.reject(new ConfigError(`this central worker has no metadata database: set DATABASE_URL so it can ${purpose}`));
    // Idle connections must not keep a stopping worker alive.
    opened ??= createStore(databaseUrl, { logger, allowExitOnIdle: true, timeouts }).catch((err: unknown) => {
      opened = null;
      throw err;
    });
    return opened;
  };
}
