// Staging retention: each worker removes from its own store the run folders whose newest file is
// older than the retention period. Age is taken from the newest file, not the folder, so a run
// that is still writing (or was written recently) is never removed under a node's feet.
import type { Logger } from '../../log.js';
import type { StagingStore } from '../staging.js';

export interface SweepResult {
  removed: string[];
  kept: number;
}

/** Removes every run of `store` whose newest file is older than `retentionMs` at `now`. */
export async function sweepStaging(store: StagingStore, retentionMs: number, now: number = Date.now()): Promise<SweepResult> {
  const removed: string[] = [];
  let kept = 0;
  for (const run of await store.runs()) {
    if (now - run.newest.getTime() > retentionMs) {
      await store.removeRun(run.runId);
      removed.push(run.runId);
    } else {
      kept += 1;
    }
  }
  return { removed, kept };
}

export interface SweeperOptions {
  retentionMs: number;
  log: Logger;
  /** False once the owning worker has stopped: the sweeper then stops too. */
  active: () => boolean;
  /** Time between sweeps; default a quarter of the retention, between 1 minute and 1 hour. */
  intervalMs?: number;
}

export interface Sweeper {
  /** The sweep started with the sweeper (tests wait for it). */
  first: Promise<void>;
  stop(): void;
}

/** Sweeps now and then periodically, on a timer that never keeps the process alive. */
export function startStagingSweeper(store: StagingStore, options: SweeperOptions): Sweeper {
  const interval = options.intervalMs ?? Math.min(3_600_000, Math.max(60_000, Math.floor(options.retentionMs / 4)));
  let running = false;
  const log = options.log.child({ component: 'staging-retention', store: store.root });
  const sweep = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      const result = await sweepStaging(store, options.retentionMs);
      if (result.removed.length > 0) log.info({ removed: result.removed, kept: result.kept }, 'removed expired staging runs');
    } catch (err) {
      // A failed sweep is retried at the next tick; nodes are never affected by it.
      log.warn({ error: (err as Error).message }, 'staging sweep failed');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => {
    if (!options.active()) {
      clearInterval(timer);
      return;
    }
    void sweep();
  }, interval);
  timer.unref();
  return { first: sweep(), stop: () => clearInterval(timer) };
}
