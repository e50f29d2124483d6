// sluice.saveState: the central activity a successful run calls once, at its end, to save the
// state its nodes reported (incremental high-water marks) in the metadata database.
import { ConfigError } from '../kit/errors.js';
import { scrub } from '../activities/errors.js';
import type { Logger } from '../log.js';
import type { PgTimeouts } from '../kit/postgres.js';
import { createStore } from '../store/store.js';
import type { NodeStateStore } from '../store/types.js';
import { SAVE_STATE_ACTIVITY, type SaveStateInput } from '../workflows/messages.js';

export type SaveStateActivity = (input: SaveStateInput) => Promise<void>;

/**
 * The activity over `store`, or over a store opened on first use from `databaseUrl`. With neither,
 * it fails with a ConfigError (not retried) that says what to set.
 */
export function saveStateActivities(
  store: NodeStateStore | undefined,
  databaseUrl: string | undefined,
  logger: Logger,
  timeouts: PgTimeouts = {},
): Record<string, SaveStateActivity> {
  let opened: Promise<NodeStateStore> | null = null;
  const target = (): Promise<NodeStateStore> => {
    if (store) return Promise.resolve(store);
    if (!databaseUrl) throw new ConfigError('this central worker has no metadata database: set DATABASE_URL so it can save node state');
    // Idle connections must not keep a stopping worker alive.
    opened ??= createStore(databaseUrl, { logger, allowExitOnIdle: true, timeouts }).catch((err: unknown) => {
      opened = null;
      throw err;
    });
    return opened;
  };
  return {
    [SAVE_STATE_ACTIVITY]: async (input) => {
      const nodes = Object.keys(input.states);
      try {
        await (await target()).saveNodeStates(input.pipeline, input.runId, input.states);
      } catch (err) {
        const message = `cannot save the state of ${nodes.join(', ')} of pipeline ${input.pipeline}: ${scrub((err as Error).message, databaseUrl ? [databaseUrl] : [])}`;
        throw err instanceof ConfigError ? new ConfigError(message) : new Error(message);
      }
      logger.info({ runId: input.runId, pipeline: input.pipeline, nodes }, 'saved node state');
    },
  };
}
