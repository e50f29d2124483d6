// Concurrency per pipeline (`concurrency: { limit, onConflict }`): the API claims a slot for a run
// as it starts it, and the run's workflow waits for its slot (sluice.acquireSlot on a central
// worker) before any node runs. Both go through here, so both drop leaked slots the same way: a
// row whose run Temporal says is closed (terminated from outside, say) is removed when it is in
// the way, so a pipeline never stays blocked by a run that is gone.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { ConcurrencySpec } from '../dag/spec.js';
import type { Logger } from '../log.js';
import type { RunSlotStore, SlotClaim, SlotPoll } from '../store/types.js';

/** A row's run is asked about at most this often (Temporal's describe, when the row is in the way). */
export const SLOT_CHECK_EVERY_MS = 5_000;
/**
 * A row whose run Temporal does not know is dropped once it is this old: the API writes a claim
 * just before it starts the workflow, so a young row may belong to a start still on its way.
 */
export const SLOT_CLAIM_GRACE_MS = 60_000;
/** How many runs a message names before "and N more". */
const NAMED_RUNS = 10;

export interface SlotDeps {
  store: RunSlotStore;
  /** Asks Temporal whether the runs of leaked-looking rows are still open. */
  client: Client;
  logger: Logger;
}

type Liveness = 'open' | 'closed' | 'unknown';

/** Whether the run is open, closed, or unknown to Temporal (never started, or past retention). */
async function liveness(client: Client, runId: string): Promise<Liveness> {
  try {
    const desc = await client.workflow.getHandle(runId).describe();
    return desc.status.name === 'RUNNING' || desc.status.name === 'PAUSED' ? 'open' : 'closed';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'unknown';
    throw err;
  }
}

/**
 * Drops the pipeline's rows whose runs have closed (or that Temporal has never heard of, once past
 * the grace); returns the runs dropped. A row is looked at most every SLOT_CHECK_EVERY_MS, and one
 * Temporal cannot tell about right now is kept.
 */
export async function reconcileSlots({ store, client, logger }: SlotDeps, pipeline: string): Promise<string[]> {
  const rows = await store.slotsToCheck(pipeline, SLOT_CHECK_EVERY_MS);
  const gone: string[] = [];
  await Promise.all(
    rows.map(async (row) => {
      let state: Liveness;
      try {
        state = await liveness(client, row.runId);
      } catch (err) {
        logger.warn({ runId: row.runId, pipeline, err: (err as Error).message }, 'could not ask Temporal whether a run holding a concurrency slot is open');
        return;
      }
      if (state === 'closed' || (state === 'unknown' && row.ageMs > SLOT_CLAIM_GRACE_MS)) gone.push(row.runId);
    }),
  );
  if (gone.length > 0) {
    await store.dropSlots(gone);
    logger.warn({ pipeline, runs: gone }, 'dropped concurrency slots of runs that closed without giving them back');
  }
  return gone;
}

/** A start's claim: a slot, a place in the queue (onConflict queue) or a refusal (skip, fail), after dropping leaked slots in the way. */
export async function claimSlot(deps: SlotDeps, pipeline: string, runId: string, concurrency: ConcurrencySpec): Promise<SlotClaim> {
  const queue = concurrency.onConflict === 'queue';
  const claim = await deps.store.claimSlot(pipeline, runId, concurrency.limit, queue);
  // Queued, the run's own wait takes the slot once a leaked one is dropped; refused, it is asked again now.
  if (claim.kind !== 'refused' || (await reconcileSlots(deps, pipeline)).length === 0) return claim;
  return deps.store.claimSlot(pipeline, runId, concurrency.limit, queue);
}

/** A waiting run's look at the queue: its slot, or its place; leaked slots in the way are dropped first. */
export async function pollSlot(deps: SlotDeps, pipeline: string, runId: string, limit: number): Promise<SlotPoll> {
  const poll = await deps.store.pollSlot(pipeline, runId, limit);
  if (poll.granted || (await reconcileSlots(deps, pipeline)).length === 0) return poll;
  return deps.store.pollSlot(pipeline, runId, limit);
}

function runList(runs: readonly string[]): string {
  const shown = runs.slice(0, NAMED_RUNS).join(', ');
  return runs.length > NAMED_RUNS ? `${shown} and ${runs.length - NAMED_RUNS} more` : shown;
}

/** "pipeline p runs at most 1 run at a time (concurrency.limit 1), held by p-1a2b": what is in the way. */
export function limitReached(pipeline: string, limit: number, holding: readonly string[], queued = 0): string {
  const held = holding.length > 0 ? `held by ${runList(holding)}` : 'its slots promised to queued runs';
  const waiting = queued > 0 ? `; ${queued} more run${queued === 1 ? '' : 's'} queued` : '';
  return `pipeline ${pipeline} runs at most ${limit} run${limit === 1 ? '' : 's'} at a time (concurrency.limit ${limit}), ${held}${waiting}`;
}

/** Why a queued run waits: its place and what holds the slots. */
export function queuedMessage(pipeline: string, limit: number, ahead: number, holding: readonly string[]): string {
  const place = ahead === 0 ? 'next in line' : `${ahead} run${ahead === 1 ? '' : 's'} ahead`;
  return `queued (${place}): ${limitReached(pipeline, limit, holding)}`;
}
