// Keeps sluice.run_logs within SLUICE_LOG_RETENTION: at start and every hour, each API process makes
// the partitions of the coming days and drops the days wholly past retention (the store serialises
// processes that do it at once).
import type { Logger } from '../log.js';
import type { LogStore } from '../store/logs.js';

export const LOG_MAINTENANCE_MS = 3_600_000;

/** Starts the hourly maintenance; the returned function stops it. */
export function startLogRetention(store: LogStore, retentionMs: number, logger: Logger, everyMs = LOG_MAINTENANCE_MS): () => void {
  const run = () =>
    store.maintainLogPartitions(retentionMs).then(
      ({ created, dropped }) => {
        if (created.length > 0 || dropped.length > 0) logger.info({ created, dropped }, 'log partitions maintained');
      },
      (err: unknown) => logger.warn({ err: (err as Error).message }, 'could not maintain the log partitions'),
    );
  void run();
  const timer = setInterval(run, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
