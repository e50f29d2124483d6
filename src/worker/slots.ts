// sluice.acquireSlot and sluice.releaseSlot: the central activities with which a run of a pipeline
// with `concurrency` takes one of its slots before any node runs, and gives it back as it closes.
// An acquire attempt looks once: granted, it returns the node states as they are now; otherwise it
// fails with a benign SlotQueued (position and holders in its message) that Temporal retries after
// the delay it names. A waiting run therefore holds no activity slot of the worker, and its
// history does not grow however long it waits.
import { Context } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { pollSlot, queuedMessage } from '../concurrency/slots.js';
import { ConfigError } from '../kit/errors.js';
import { scrub } from '../activities/errors.js';
import type { Logger } from '../log.js';
import { ACQUIRE_SLOT_ACTIVITY, RELEASE_SLOT_ACTIVITY, SLOT_QUEUED, type SlotGrant, type SlotRequest } from '../workflows/messages.js';
import type { OpenStore } from './metadata.js';

/** How soon a queued run looks again: next in line, soon; further back, a slot must free up for each run ahead first. */
export const SLOT_POLL_NEXT_MS = 1_000;
export const SLOT_POLL_BEHIND_MS = 3_000;

export function slotActivities(open: OpenStore, databaseUrl: string | undefined, logger: Logger): Record<string, (input: SlotRequest) => Promise<unknown>> {
  const failure = (what: string, input: SlotRequest, err: unknown): Error => {
    const message = `cannot ${what} of pipeline ${input.pipeline}: ${scrub((err as Error).message, databaseUrl ? [databaseUrl] : [])}`;
    return err instanceof ConfigError ? new ConfigError(message) : new Error(message);
  };
  return {
    [ACQUIRE_SLOT_ACTIVITY]: async (input): Promise<SlotGrant> => {
      let poll;
      try {
        const store = await open('run pipelines that have a concurrency limit');
        poll = await pollSlot({ store, client: Context.current().client, logger }, input.pipeline, input.runId, input.limit);
      } catch (err) {
        throw failure('take a concurrency slot', input, err);
      }
      if (poll.granted) {
        if (Context.current().info.attempt > 1) logger.info({ runId: input.runId, pipeline: input.pipeline }, 'concurrency slot granted after waiting');
        return { states: poll.states };
      }
      throw ApplicationFailure.create({
        type: SLOT_QUEUED,
        message: queuedMessage(input.pipeline, input.limit, poll.ahead, poll.holding),
        details: [{ ahead: poll.ahead, holding: poll.holding }],
        nextRetryDelay: poll.ahead === 0 ? SLOT_POLL_NEXT_MS : SLOT_POLL_BEHIND_MS,
        // Waiting is not an error: the worker logs it at debug level and counts no failure.
        category: ApplicationFailureCategory.BENIGN,
      });
    },
    [RELEASE_SLOT_ACTIVITY]: async (input): Promise<boolean> => {
      try {
        const store = await open('run pipelines that have a concurrency limit');
        return await store.releaseSlot(input.runId);
      } catch (err) {
        throw failure('give back the concurrency slot', input, err);
      }
    },
  };
}
