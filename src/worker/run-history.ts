// sluice.recordRun: the central activity with which a run writes its record in the durable run
// history (sluice.runs) as its status changes and as it closes. A central worker without a
// metadata database records nothing (it says so once in its log): the run is not failed for it.
import { ConfigError } from '../kit/errors.js';
import { scrub } from '../activities/errors.js';
import type { Logger } from '../log.js';
import { RECORD_RUN_ACTIVITY, type RunRecordInput } from '../workflows/messages.js';
import type { OpenStore } from './metadata.js';

export function runHistoryActivities(open: OpenStore, databaseUrl: string | undefined, logger: Logger): Record<string, (input: RunRecordInput) => Promise<{ recorded: boolean }>> {
  let warned = false;
  return {
    [RECORD_RUN_ACTIVITY]: async (input) => {
      let store;
      try {
        store = await open('record run history');
      } catch (err) {
        if (!(err instanceof ConfigError)) throw new Error(scrub((err as Error).message, databaseUrl ? [databaseUrl] : []));
        if (!warned) logger.warn({ runId: input.runId }, `runs are not recorded in the run history: ${err.message}`);
        warned = true;
        return { recorded: false };
      }
      try {
        const { summary, nodes, ...rest } = input;
        return { recorded: await store.recordRun({ ...rest, ...(summary ? { summary: { ...summary } } : {}), ...(nodes ? { nodes } : {}) }) };
      } catch (err) {
        throw new Error(`cannot record run ${input.runId}: ${scrub((err as Error).message, databaseUrl ? [databaseUrl] : [])}`);
      }
    },
  };
}
