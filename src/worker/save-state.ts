// sluice.saveState: the central activity a successful run calls once, at its end, to save the
// state its nodes reported (incremental high-water marks) in the metadata database. A save from a
// run that started before the one whose state is stored is refused with a log line, not an error:
// the marks only move forward, whatever order overlapping runs end in.
import { ConfigError } from '../kit/errors.js';
import { scrub } from '../activities/errors.js';
import type { Logger } from '../log.js';
import type { SaveStatesOutcome } from '../store/types.js';
import { READ_STATE_ACTIVITY, SAVE_STATE_ACTIVITY, type SaveStateInput } from '../workflows/messages.js';
import type { OpenStore } from './metadata.js';

export type SaveStateActivity = (input: SaveStateInput) => Promise<SaveStatesOutcome>;
export type ReadStateActivity = (input: { pipeline: string }) => Promise<Record<string, unknown>>;

/** sluice.readState: the node states saved so far, read by a scheduled run as it starts (its input was fixed when the schedule was made). */
export function readStateActivities(open: OpenStore, databaseUrl: string | undefined): Record<string, ReadStateActivity> {
  return {
    [READ_STATE_ACTIVITY]: async (input) => {
      try {
        let store;
        try {
          store = await open('read saved node states');
        } catch (err) {
          // No metadata database here: nothing can have been saved through this worker, so there is nothing to read.
          if (err instanceof ConfigError) return {};
          throw err;
        }
        return await store.getNodeStates(input.pipeline);
      } catch (err) {
        const message = `cannot read the saved node states of pipeline ${input.pipeline}: ${scrub((err as Error).message, databaseUrl ? [databaseUrl] : [])}`;
        throw err instanceof ConfigError ? new ConfigError(message) : new Error(message);
      }
    },
  };
}

/** The activity over the worker's metadata store (src/worker/metadata.ts). */
export function saveStateActivities(open: OpenStore, databaseUrl: string | undefined, logger: Logger): Record<string, SaveStateActivity> {
  return {
    [SAVE_STATE_ACTIVITY]: async (input) => {
      const nodes = Object.keys(input.states);
      let outcome: SaveStatesOutcome;
      try {
        const store = await open('save node state');
        outcome = await store.saveNodeStates(input.pipeline, input.runId, input.states, input.startedAt ? new Date(input.startedAt) : null);
      } catch (err) {
        const message = `cannot save the state of ${nodes.join(', ')} of pipeline ${input.pipeline}: ${scrub((err as Error).message, databaseUrl ? [databaseUrl] : [])}`;
        throw err instanceof ConfigError ? new ConfigError(message) : new Error(message);
      }
      if (outcome.saved) logger.info({ runId: input.runId, pipeline: input.pipeline, nodes }, 'saved node state');
      else {
        logger.warn(
          { runId: input.runId, pipeline: input.pipeline, nodes, startedAt: input.startedAt, newerRun: outcome.newer.runId, newerStartedAt: outcome.newer.startedAt.toISOString() },
          'node state not saved: a run that started later has saved newer state, and marks only move forward',
        );
      }
      return outcome;
    },
  };
}
